import type { KernelInstance } from './module.js';
import { nodeModule, type NodePort, type NodeWorker, type WorkerThreads } from './node.js';
import type { Op } from './ops.js';

/**
 * Helper threads for the WebAssembly kernels, one protocol for every kernel set. A helper shares a kernel
 * instance's memory and runs work the caller hands it: a registered program (a list of calls, posted once)
 * or a single call (a program of one, passed in shared memory so that a hand-off costs no message). The
 * caller runs its own part meanwhile and then blocks in Atomics.wait until the helpers are done (allowed on
 * Node's main thread and in workers), so the engines stay synchronous. Which thread runs a piece of work
 * never changes what it computes: callers split work into parts that write disjoint outputs.
 *
 * Helpers are Node worker threads (src/wasm/node.ts); where there are none (a browser) a pool is empty and
 * callers run everything themselves.
 */

// Control words of a helper (an Int32Array on a SharedArrayBuffer). The caller writes CMD, PROGRAM, ARGC
// and INSTANCE, then bumps SEQ; the helper writes STATUS, then sets DONE to that SEQ.
const SEQ = 0;
const CMD = 1; // RUN or QUIT
const PROGRAM = 2; // a registered program's id, or INLINE: the one call in the args buffer
const ARGC = 3; // words of the inline call
const INSTANCE = 4; // the kernel instance to run on (its memory and module arrive by message first)
const DONE = 5; // -1 until the helper is up
const STATUS = 6; // 0 ok, 1 failed (the error's text follows on the port)
const WORDS = 8;
const RUN = 1;
const QUIT = 2;
const INLINE = -1;
/** words of an inline call: [kernel index, ...arguments] */
const MAX_CALL = 16;

/**
 * The helper's loop, run with `eval`: it reaches worker_threads through process.getBuiltinModule, which works
 * whether the eval'd code is read as CommonJS or, when the parent runs with --input-type=module, as ESM. Messages on `port` (attach an instance, register a program)
 * are posted before the command that needs them but may arrive after it, so it reads them until it has what
 * the command names.
 */
const helperSource = `
const { receiveMessageOnPort, workerData } = process.getBuiltinModule('node:worker_threads');
const { control, args, port } = workerData;
const c = new Int32Array(control);
const a = new Float64Array(args);
const programs = new Map();
let table = null;
let attached = 0;
function take(m) {
  if (m.attach) {
    const exports = new WebAssembly.Instance(m.module, { env: { memory: m.memory } }).exports;
    table = m.kernels.map((n) => exports[n]);
    attached = m.attach;
  } else programs.set(m.id, m.ops);
}
function until(ready) {
  while (!ready()) {
    const m = receiveMessageOnPort(port);
    if (m) take(m.message);
  }
}
Atomics.store(c, ${DONE}, 0);
Atomics.notify(c, ${DONE});
for (let seq = 0; ; ) {
  Atomics.wait(c, ${SEQ}, seq);
  seq = Atomics.load(c, ${SEQ});
  if (c[${CMD}] === ${QUIT}) break;
  try {
    const id = c[${PROGRAM}];
    until(() => attached === c[${INSTANCE}] && (id === ${INLINE} || programs.has(id)));
    if (id === ${INLINE}) table[a[0]](...a.subarray(1, c[${ARGC}]));
    else for (const o of programs.get(id)) table[o[0]](...o.slice(1));
    c[${STATUS}] = 0;
  } catch (e) {
    port.postMessage(String(e));
    c[${STATUS}] = 1;
  }
  Atomics.store(c, ${DONE}, seq);
  Atomics.notify(c, ${DONE});
}`;

/** A registered program's id, or one call. */
export type Work = number | Op;

class Helper {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * WORDS));
  private readonly args = new Float64Array(new SharedArrayBuffer(8 * MAX_CALL));
  private readonly port: NodePort;
  private readonly worker: NodeWorker;
  private seq = 0;
  /** the instance the helper has (been sent) */
  private attached = 0;

  constructor(private readonly threads: WorkerThreads) {
    this.control[DONE] = -1;
    const { port1, port2 } = new threads.MessageChannel();
    this.port = port1;
    this.worker = new threads.Worker(helperSource, {
      eval: true,
      workerData: { control: this.control.buffer, args: this.args.buffer, port: port2 },
      transferList: [port2],
    });
    this.worker.unref(); // an idle helper never keeps the process alive
  }

  /** Wait (up to timeoutMs) for the helper to start; false if it did not. */
  ready(timeoutMs: number): boolean {
    return Atomics.wait(this.control, DONE, -1, timeoutMs) !== 'timed-out' || this.control[DONE] !== -1;
  }

  post(message: unknown): void {
    this.port.postMessage(message);
  }

  /** Start `work` over `inst`'s memory. */
  start(inst: KernelInstance, work: Work): void {
    if (this.attached !== inst.id) {
      this.post({ attach: inst.id, module: inst.module, memory: inst.memory, kernels: inst.set.kernels });
      this.attached = inst.id;
    }
    const c = this.control;
    if (typeof work === 'number') c[PROGRAM] = work;
    else {
      if (work.length > MAX_CALL) throw new RangeError(`a call of ${work.length} words (a hand-off takes at most ${MAX_CALL})`);
      this.args.set(work);
      c[PROGRAM] = INLINE;
      c[ARGC] = work.length;
    }
    c[CMD] = RUN;
    c[INSTANCE] = inst.id;
    this.signal();
  }

  /** Wait for the last command to finish; throws the helper's error if it failed. */
  join(): void {
    for (;;) {
      const done = Atomics.load(this.control, DONE);
      if (done === this.seq) break;
      Atomics.wait(this.control, DONE, done);
    }
    if (this.control[STATUS] !== 0) {
      this.attached = 0; // it may have failed attaching: attach again before its next work
      throw new Error(`a WebAssembly kernel failed on a helper thread: ${this.failure()}`);
    }
  }

  stop(): void {
    this.control[CMD] = QUIT;
    this.signal();
    void this.worker.terminate();
  }

  private signal(): void {
    Atomics.store(this.control, SEQ, ++this.seq);
    Atomics.notify(this.control, SEQ);
  }

  /** The error text the helper posted (before it reported the failure; delivery may trail a little). */
  private failure(): string {
    for (let i = 0; i < 1000; i++) {
      const m = this.threads.receiveMessageOnPort(this.port);
      if (m) return String(m.message);
    }
    return 'unknown error';
  }
}

/**
 * A set of helper threads. Work handed to `run` goes to helpers 0, 1, … in order; registered programs are
 * known to every helper.
 */
export class HelperPool {
  private readonly programs: Op[][] = [];

  private constructor(private readonly helpers: Helper[]) {}

  /**
   * n helper threads, started and ready, or none where this runtime has no worker threads or shared memory
   * (or they do not come up within 10 s: no helpers rather than a hang later).
   */
  static start(n: number): HelperPool {
    const threads = nodeModule<WorkerThreads>('node:worker_threads');
    if (n < 1 || !threads || typeof SharedArrayBuffer === 'undefined') return new HelperPool([]);
    const helpers = Array.from({ length: n }, () => new Helper(threads));
    if (helpers.every((h) => h.ready(10_000))) return new HelperPool(helpers);
    for (const h of helpers) h.stop();
    return new HelperPool([]);
  }

  get size(): number {
    return this.helpers.length;
  }

  /** Make a program known to every helper (and to `run` on the calling thread); returns its id. */
  register(ops: Op[]): number {
    const id = this.programs.push(ops) - 1;
    for (const h of this.helpers) h.post({ id, ops });
    return id;
  }

  /**
   * Run works[0] on the calling thread and works[1…] on helpers 0…, all over `inst`; returns when every part
   * is done and throws the first failure (the caller's own first).
   */
  run(inst: KernelInstance, works: readonly Work[]): void {
    if (works.length > this.helpers.length + 1) throw new RangeError(`${works.length} parts for ${this.helpers.length} helpers`);
    for (let i = 1; i < works.length; i++) this.helpers[i - 1].start(inst, works[i]);
    let failure: unknown;
    try {
      const own = works[0];
      if (typeof own === 'number') inst.run(this.programs[own]);
      else inst.call(own);
    } catch (e) {
      failure = e;
    }
    for (let i = 1; i < works.length; i++) {
      try {
        this.helpers[i - 1].join();
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure !== undefined) throw failure;
  }

  close(): void {
    for (const h of this.helpers) h.stop();
    this.helpers.length = 0;
  }
}
