import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Backend, WasmBackend } from './backend.js';
import { kernelNames, type Op } from './kernels.js';

/**
 * Runs the shard programs of one step. Shard s always runs the same program on the same buffers whatever
 * the thread count (thread = s mod threads), and gradients are reduced afterwards in a fixed order, so
 * results are bitwise identical with one thread or several.
 */
export interface Runner {
  readonly threads: number;
  /** Make a program known to every thread; returns its id. */
  register(ops: Op[]): number;
  /** Run programs ids[s] for s = 0…, in parallel where threads allow; returns when all are done. */
  run(ids: readonly number[]): void;
  close(): void;
}

export function serialRunner(backend: Backend): Runner {
  const programs: Op[][] = [];
  return {
    threads: 1,
    register(ops) {
      programs.push(ops);
      return programs.length - 1;
    },
    run(ids) {
      for (const id of ids) backend.run(programs[id]);
    },
    close() {},
  };
}

// The worker: instantiate the kernels on the shared memory, say it is ready (ctrl[3]), then sleep on ctrl[0]
// until told to run program ctrl[1] (1) or to quit (2); ctrl[2] = 1 reports a failure. New programs arrive
// on a port that is drained synchronously when woken.
const workerSource = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { module, memory, ctrl, port, names } = workerData;
const inst = new WebAssembly.Instance(module, { env: { memory } });
const table = names.map((n) => inst.exports[n]);
const programs = [];
const c = new Int32Array(ctrl);
Atomics.store(c, 3, 1);
for (;;) {
  Atomics.wait(c, 0, 0);
  if (Atomics.load(c, 0) === 2) break;
  try {
    const id = c[1];
    for (let m; (m = receiveMessageOnPort(port)); ) programs[m.message.id] = m.message.ops;
    while (programs[id] === undefined) {
      const m = receiveMessageOnPort(port);
      if (m) programs[m.message.id] = m.message.ops;
    }
    const ops = programs[id];
    for (let i = 0; i < ops.length; i++) {
      const o = ops[i];
      table[o[0]](...o.slice(1));
    }
    c[2] = 0;
  } catch {
    c[2] = 1;
  }
  Atomics.store(c, 0, 0);
  Atomics.notify(c, 0);
}
`;

interface Helper {
  worker: Worker;
  ctrl: Int32Array;
  port: MessagePort;
  /** the program it runs */
  running: number;
}

/** Shard 0, threads, 2·threads… run on the main thread; the others on worker threads over shared memory. */
export function threadedRunner(backend: WasmBackend, threads: number): Runner {
  if (threads <= 1) return serialRunner(backend);
  const programs: Op[][] = [];
  const helpers: Helper[] = [];
  for (let t = 1; t < threads; t++) {
    const ctrl = new Int32Array(new SharedArrayBuffer(16));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(workerSource, {
      eval: true,
      workerData: { module: backend.module, memory: backend.heap.memory, ctrl: ctrl.buffer, port: port2, names: kernelNames },
      transferList: [port2],
    });
    worker.unref();
    helpers.push({ worker, ctrl, port: port1, running: -1 });
  }
  const wait = (h: Helper) => {
    // The main thread is blocked, so it cannot hear a worker's events: a worker that never became ready
    // is reported after a while; one that is running is waited for (a program has no other way to end).
    for (let waited = 0; Atomics.load(h.ctrl, 0) !== 0; waited++) {
      if (!Atomics.load(h.ctrl, 3) && waited > 60) throw new Error('CNN worker thread did not start');
      Atomics.wait(h.ctrl, 0, 1, 1000);
    }
    if (h.ctrl[2]) {
      // Rerun the program here to surface the worker's exception (programs only write their own shard).
      backend.run(programs[h.running]);
      throw new Error('CNN worker thread failed on a program that runs on the main thread');
    }
  };
  return {
    threads,
    register(ops) {
      programs.push(ops);
      const id = programs.length - 1;
      for (const h of helpers) h.port.postMessage({ id, ops });
      return id;
    },
    run(ids) {
      // Rounds of `threads` shards: helpers start theirs, the main thread runs its own, then waits.
      for (let base = 0; base < ids.length; base += threads) {
        const busy: Helper[] = [];
        for (let t = 1; t < threads && base + t < ids.length; t++) {
          const h = helpers[t - 1];
          h.running = ids[base + t];
          h.ctrl[1] = h.running;
          Atomics.store(h.ctrl, 0, 1);
          Atomics.notify(h.ctrl, 0);
          busy.push(h);
        }
        try {
          backend.run(programs[ids[base]]);
        } finally {
          for (const h of busy) wait(h);
        }
      }
    },
    close() {
      for (const h of helpers) {
        Atomics.store(h.ctrl, 0, 2);
        Atomics.notify(h.ctrl, 0);
        void h.worker.terminate();
      }
      helpers.length = 0;
    },
  };
}
