import { type Arena, type GemmKernels, wasmModule } from './wasm.js';

/**
 * Helper threads for the WebAssembly kernels. A helper shares an arena's memory and runs one kernel call on
 * a disjoint range of the outputs while the calling thread runs the rest; every output is still computed
 * whole, by one thread, in the plain loop's order, so results do not depend on the number of threads.
 *
 * Helpers are Node worker threads, reached through `process.getBuiltinModule` so that nothing here is
 * Node-only at import time: in a browser (or on Node < 20.16) there are no helpers and every kernel runs on
 * the calling thread. The caller blocks in Atomics.wait while helpers work (allowed on Node's main thread
 * and in workers), so the engines stay synchronous.
 */

type KernelName = keyof GemmKernels;
const kernelNames: KernelName[] = ['packPanels', 'gemmPanels', 'packChunks', 'csrRows', 'gemmAddCsr'];

// Control words of a helper (Int32Array on a SharedArrayBuffer)
const SEQ = 0; // bumped by the caller to post a command
const OP = 1; // ATTACH, or 1 + index into kernelNames
const ARGC = 2;
const DONE = 3; // set to SEQ by the helper when finished
const STATUS = 4; // 0 ok, 1 failed
const ATTACH = 0;
const MAX_ARGS = 16;

/** The helper's loop (CommonJS, run with `eval`): attach arenas, call kernels, report. */
const helperSource = `
const { parentPort, receiveMessageOnPort, workerData } = require('node:worker_threads');
const { module, control, args, names } = workerData;
const c = new Int32Array(control);
const a = new Float64Array(args);
let kernels = null;
let seq = 0;
Atomics.store(c, ${DONE}, 0);
Atomics.notify(c, ${DONE});
for (;;) {
  Atomics.wait(c, ${SEQ}, seq);
  seq = Atomics.load(c, ${SEQ});
  try {
    if (c[${OP}] === ${ATTACH}) {
      let m;
      while (!(m = receiveMessageOnPort(parentPort))); // posted just before the command
      kernels = new WebAssembly.Instance(module, { env: { memory: m.message.memory } }).exports;
    } else {
      kernels[names[c[${OP}] - 1]](...a.subarray(0, c[${ARGC}]));
    }
    c[${STATUS}] = 0;
  } catch (e) {
    c[${STATUS}] = 1;
  }
  Atomics.store(c, ${DONE}, seq);
  Atomics.notify(c, ${DONE});
}`;

interface NodeWorker {
  postMessage(message: unknown): void;
  unref(): void;
  terminate(): unknown;
}
interface NodeWorkerThreads {
  Worker: new (source: string, options: { eval: true; workerData: unknown }) => NodeWorker;
}

class Helper {
  private readonly control = new Int32Array(new SharedArrayBuffer(32));
  private readonly args = new Float64Array(new SharedArrayBuffer(8 * MAX_ARGS));
  private readonly worker: NodeWorker;
  private seq = 0;
  /** the arena whose memory the helper has instantiated the kernels on */
  private attached = 0;

  constructor(threads: NodeWorkerThreads, module: object) {
    this.control[DONE] = -1;
    this.worker = new threads.Worker(helperSource, {
      eval: true,
      workerData: { module, control: this.control.buffer, args: this.args.buffer, names: kernelNames },
    });
    this.worker.unref(); // an idle helper never keeps the process alive
  }

  stop(): void {
    void this.worker.terminate();
  }

  /** Wait (up to timeoutMs) for the helper to start; false if it did not. */
  ready(timeoutMs: number): boolean {
    return Atomics.wait(this.control, DONE, -1, timeoutMs) !== 'timed-out' || this.control[DONE] !== -1;
  }

  private post(op: number, args: readonly number[]): void {
    this.args.set(args);
    this.control[OP] = op;
    this.control[ARGC] = args.length;
    Atomics.store(this.control, SEQ, ++this.seq);
    Atomics.notify(this.control, SEQ);
  }

  /** Start kernel `name`(…args) on the helper, over the arena's memory. */
  start(arena: Arena<string>, name: KernelName, args: readonly number[]): void {
    if (this.attached !== arena.id) {
      this.worker.postMessage({ memory: arena.memory });
      this.post(ATTACH, []);
      this.join();
      this.attached = arena.id;
    }
    this.post(1 + kernelNames.indexOf(name), args);
  }

  /** Wait for the last command to finish; throws if it failed. */
  join(): void {
    for (;;) {
      const done = Atomics.load(this.control, DONE);
      if (done === this.seq) break;
      Atomics.wait(this.control, DONE, done);
    }
    if (this.control[STATUS] !== 0) {
      this.attached = 0;
      throw new Error('a WebAssembly kernel failed on a helper thread');
    }
  }
}

let wanted: number | undefined;
let helpers: Helper[] | undefined;
let handedOff = 0;

/** How many kernel calls helper threads have run so far in this process (a diagnostic for tests). */
export function helperCalls(): number {
  return handedOff;
}

/** The cores, at most 2, on a main thread; 1 inside a worker (runs spread over workers, e.g. a sweep, already fill the cores). */
function defaultThreads(): number {
  const os = nodeModule<{ availableParallelism?: () => number }>('node:os');
  const worker = nodeModule<{ isMainThread?: boolean }>('node:worker_threads');
  if (!worker?.isMainThread) return 1;
  return Math.max(1, Math.min(2, os?.availableParallelism?.() ?? 1));
}

function nodeModule<T>(name: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(name) as T | undefined;
}

/**
 * Use up to n threads for the large WebAssembly kernel calls (1: the calling thread only). The default is
 * the number of cores, at most 2, on the main thread and 1 in a worker. Results are the same bits for every n.
 */
export function setKernelThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`kernel threads: ${n} (allowed: an integer ≥ 1)`);
  wanted = n;
  if (helpers && helpers.length !== Math.max(0, n - 1)) {
    for (const h of helpers) h.stop();
    helpers = undefined;
  }
}

/** Whether a kernel call of `work` multiply-adds would be shared with helper threads (starts them if so). */
export function useHelpers(work: number): boolean {
  return work >= MIN_PARALLEL_WORK && kernelHelpers().length > 0;
}

/** Helper threads available for shared arenas (none where threads are unsupported or not wanted). */
function kernelHelpers(): readonly Helper[] {
  const n = wanted ?? defaultThreads();
  if (n <= 1) return [];
  if (helpers && helpers.length === n - 1) return helpers;
  const threads = nodeModule<NodeWorkerThreads>('node:worker_threads');
  const module = wasmModule(true);
  if (!threads || !module || typeof SharedArrayBuffer === 'undefined') return (helpers = []);
  const started: Helper[] = [];
  for (let i = 0; i < n - 1; i++) started.push(new Helper(threads, module));
  // A helper that does not come up within 10 s means no helpers at all, not a hang later.
  if (started.every((h) => h.ready(10_000))) return (helpers = started);
  for (const h of started) h.stop();
  return (helpers = []);
}

/**
 * Run `call(lo, hi)` over [0, n) split into contiguous parts, one per thread: parts 1… on helpers (as the
 * kernel call `name` with the arguments `args(lo, hi)`), part 0 on the caller; returns when all are done.
 * Without a shared arena, helpers or enough work (`work` multiply-adds), the caller does it all.
 */
export function parallelRanges(
  arena: Arena<string>,
  name: KernelName,
  n: number,
  work: number,
  args: (lo: number, hi: number) => number[],
): void {
  const k = arena.kernels[name] as (...a: number[]) => unknown;
  const hs = arena.shared && useHelpers(work) ? kernelHelpers() : [];
  const parts = Math.min(hs.length + 1, n);
  if (parts <= 1) {
    k(...args(0, n));
    return;
  }
  const cut = (i: number) => Math.round((n * i) / parts);
  for (let i = 1; i < parts; i++) hs[i - 1].start(arena, name, args(cut(i), cut(i + 1)));
  handedOff += parts - 1;
  let failure: unknown;
  try {
    k(...args(0, cut(1)));
  } catch (e) {
    failure = e;
  }
  for (let i = 1; i < parts; i++) {
    try {
      hs[i - 1].join();
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure !== undefined) throw failure;
}

/** Below this many multiply-adds a call is not worth a hand-off (a round trip costs some 10–50 µs). */
const MIN_PARALLEL_WORK = 1 << 20;
