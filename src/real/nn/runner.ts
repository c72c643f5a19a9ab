import type { Op } from '../../wasm/ops.js';
import { HelperPool } from '../../wasm/pool.js';
import type { Backend, WasmBackend } from './backend.js';

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

/**
 * Shards 0, threads, 2·threads… run on the calling thread, the others on helper threads (src/wasm/pool.ts)
 * over the shared heap. Where helpers cannot start, every shard runs on the calling thread (same results).
 */
export function threadedRunner(backend: WasmBackend, threads: number): Runner {
  if (threads <= 1) return serialRunner(backend);
  const pool = HelperPool.start(threads - 1);
  const width = pool.size + 1;
  return {
    threads: width,
    register: (ops) => pool.register(ops),
    run(ids) {
      // Rounds of `width` shards: helpers start theirs, the calling thread runs its own, then waits.
      for (let base = 0; base < ids.length; base += width) pool.run(backend.instance, ids.slice(base, base + width));
    },
    close: () => pool.close(),
  };
}
