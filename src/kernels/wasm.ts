import { PAGE } from '../wasm/api.js';
import { compileKernelSet, createMemory, KernelInstance, type KernelSet } from '../wasm/module.js';
import { gemmSharedWasm } from '../wasm/generated/gemm-shared.js';
import { gemmWasm } from '../wasm/generated/gemm.js';
import type { Op } from '../wasm/ops.js';

/**
 * The dense engine's WebAssembly SIMD kernels (assembly/gemm.ts) on the runtime of src/wasm. Where
 * WebAssembly SIMD is missing (or switched off) callers use the TypeScript kernels, which give the same bits.
 */

/** The exports of assembly/gemm.ts; pointers are byte offsets into the arena's memory (calls.ts names them). */
export interface GemmKernels {
  packPanels(src: number, rows: number, K: number, R: number, dst: number): void;
  gemmPanels(Ap: number, na: number, Bp: number, nb: number, K: number, out: number, ldo: number): void;
  packChunks(Z: number, n: number, K: number, A: number, a0: number, dst: number): void;
  csrRows(H: number, rows: number, na: number, scale: number, start: number, idx: number, val: number): number;
  gemmAddCsr(
    start: number,
    idx: number,
    val: number,
    rows: number,
    ZC: number,
    A: number,
    K: number,
    out: number,
    chunk0: number,
    chunk1: number,
  ): void;
}

const kernels = ['packPanels', 'gemmPanels', 'packChunks', 'csrRows', 'gemmAddCsr'] as const satisfies readonly (keyof GemmKernels)[];
export type GemmKernelName = (typeof kernels)[number];

/** The kernels on an ordinary memory, and the same on a shared one for helper threads (it needs threads too). */
export const gemmKernels: KernelSet<GemmKernelName> = { name: 'gemm', binary: gemmWasm, kernels };
export const gemmSharedKernels: KernelSet<GemmKernelName> = { name: 'gemm-shared', binary: gemmSharedWasm, kernels };

let enabled = true;

/** Switch the WebAssembly kernels off (true: use them where available). For tests and benchmarks. */
export function setWasmKernels(on: boolean): void {
  enabled = on;
}

/** True when the WebAssembly SIMD kernels are enabled and this runtime supports them. */
export function wasmKernelsAvailable(): boolean {
  return enabled && compileKernelSet(gemmKernels) !== null;
}

/**
 * A private WebAssembly memory with the kernels bound to it. It is sized once, for a named layout of blocks,
 * and never grows, so the typed-array views handed out stay valid for its whole life (a grown memory would
 * detach them). Blocks are 64-byte aligned. A shared arena can be handed to helper threads (threads.ts).
 */
export class Arena<B extends string> {
  private constructor(
    readonly instance: KernelInstance<GemmKernelName>,
    /** byte offset of each block */
    readonly at: Record<B, number>,
  ) {}

  get shared(): boolean {
    return this.instance.set.binary.shared;
  }

  /**
   * An arena with a block of the given byte size per name, or null when the WebAssembly kernels are
   * unavailable or the blocks do not fit in 32-bit memory (callers then use the TypeScript kernels).
   * `shared`: on a shared memory when this runtime allows it (else an ordinary one; see `this.shared`).
   */
  static create<B extends string>(blocks: Record<B, number>, shared = false): Arena<B> | null {
    if (!wasmKernelsAvailable()) return null;
    const at = {} as Record<B, number>;
    let top = 0;
    for (const name of Object.keys(blocks) as B[]) {
      at[name] = top;
      top += Math.ceil(blocks[name] / 64) * 64;
    }
    const pages = Math.max(1, Math.ceil(top / PAGE));
    const sets = shared && compileKernelSet(gemmSharedKernels) ? [gemmSharedKernels, gemmKernels] : [gemmKernels];
    if (pages > gemmKernels.binary.maximumPages) return null;
    for (const set of sets) {
      try {
        return new Arena(new KernelInstance(set, compileKernelSet(set)!, createMemory(set, pages, pages)), at);
      } catch (e) {
        // No shared memory here (e.g. a page without cross-origin isolation), or not that much of it: an
        // ordinary arena. The runtime could not reserve an ordinary one: the TypeScript kernels.
        if (set === gemmKernels && e instanceof RangeError) return null;
        if (set === gemmKernels || !(e instanceof RangeError || e instanceof TypeError)) throw e;
      }
    }
    return null;
  }

  /** Run one call on this thread; returns the kernel's result. */
  call(op: Op): unknown {
    return this.instance.call(op);
  }

  f64(block: B, length: number): Float64Array {
    return new Float64Array(this.instance.memory.buffer, this.at[block], length);
  }

  i32(block: B, length: number): Int32Array {
    return new Int32Array(this.instance.memory.buffer, this.at[block], length);
  }
}
