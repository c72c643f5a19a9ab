import { nodeModule } from '../wasm/node.js';
import type { Op } from '../wasm/ops.js';
import { HelperPool } from '../wasm/pool.js';
import type { Arena } from './wasm.js';

/**
 * The dense engine's use of helper threads (src/wasm/pool.ts): one large kernel call is cut into contiguous
 * ranges of its outputs, one per thread; every output is still computed whole, by one thread, in the plain
 * loop's order, so results do not depend on the number of threads. One pool per process, started on first
 * need; in a browser (or on Node < 20.16) it is empty and every kernel runs on the calling thread.
 */

let wanted: number | undefined;
let pool: HelperPool | undefined;
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

/**
 * Use up to n threads for the large WebAssembly kernel calls (1: the calling thread only). The default is
 * the number of cores, at most 2, on the main thread and 1 in a worker. Results are the same bits for every n.
 */
export function setKernelThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`kernel threads: ${n} (allowed: an integer ≥ 1)`);
  wanted = n;
  if (pool && pool.size !== n - 1) {
    pool.close();
    pool = undefined;
  }
}

/** Whether a kernel call of `work` multiply-adds would be shared with helper threads (starts them if so). */
export function useHelpers(work: number): boolean {
  return work >= MIN_PARALLEL_WORK && helpers().size > 0;
}

function helpers(): HelperPool {
  pool ??= HelperPool.start((wanted ?? defaultThreads()) - 1);
  return pool;
}

/**
 * Run the call `part(lo, hi)` for [0, n) split into contiguous ranges, one per thread (range 0 on the
 * caller); returns when all are done. Without a shared arena, helpers or enough work (`work` multiply-adds),
 * the caller makes the one call part(0, n).
 */
export function parallelRanges(arena: Arena<string>, n: number, work: number, part: (lo: number, hi: number) => Op): void {
  const pool = arena.shared && useHelpers(work) ? helpers() : undefined;
  const parts = Math.min((pool?.size ?? 0) + 1, n);
  if (!pool || parts <= 1) {
    arena.call(part(0, n));
    return;
  }
  const cut = (i: number) => Math.round((n * i) / parts);
  handedOff += parts - 1;
  pool.run(
    arena.instance,
    Array.from({ length: parts }, (_, i) => part(cut(i), cut(i + 1))),
  );
}

/** Below this many multiply-adds a call is not worth a hand-off (a round trip costs some 10–50 µs). */
const MIN_PARALLEL_WORK = 1 << 20;
