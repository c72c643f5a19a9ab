import { gemmSharedWasmBase64 } from './generated/gemm-shared-wasm.js';
import { gemmWasmBase64 } from './generated/gemm-wasm.js';

/**
 * The WebAssembly SIMD kernels (assembly/gemm.ts), loaded synchronously from bytes embedded in the bundle:
 * no file access, no fetch, so the same code runs in Node, a browser and a Web Worker. Where WebAssembly
 * SIMD is missing (or switched off) callers use the TypeScript kernels, which give the same bits.
 */

/** The exports of assembly/gemm.ts; pointers are byte offsets into the arena's memory. */
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

// Typed locally rather than through a global declaration: the project's lib is ES2022 (no DOM), and a
// private interface cannot clash with anyone else's WebAssembly typings.
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

const PAGE = 65536;
/** wasm32 addresses 4 GiB at most; engines fall back to the TypeScript kernels beyond this */
const MAX_PAGES = 65536;

let enabled = true;
const compiled: Record<'plain' | 'shared', object | null | undefined> = { plain: undefined, shared: undefined };

function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/**
 * The compiled kernels, or null where this runtime cannot run them. `shared`: the variant on a shared
 * memory, for helper threads (it needs WebAssembly threads as well as SIMD).
 */
export function wasmModule(shared = false): object | null {
  const key = shared ? 'shared' : 'plain';
  if (compiled[key] === undefined) {
    const api = wasmApi();
    const bytes = decodeBase64(shared ? gemmSharedWasmBase64 : gemmWasmBase64);
    let module: object | null = null;
    try {
      if (api && api.validate(bytes)) module = new api.Module(bytes);
    } catch {
      module = null; // validate passed but compiling failed: treat as unsupported
    }
    compiled[key] = module;
  }
  return compiled[key];
}

/** Switch the WebAssembly kernels off (true: use them where available). For tests and benchmarks. */
export function setWasmKernels(on: boolean): void {
  enabled = on;
}

/** True when the WebAssembly SIMD kernels are enabled and this runtime supports them. */
export function wasmKernelsAvailable(): boolean {
  return enabled && wasmModule() !== null;
}

let arenas = 0;

/**
 * A private WebAssembly memory with the kernels bound to it. It is sized once, for a named layout of blocks,
 * and never grows, so the typed-array views handed out stay valid for its whole life (a grown memory would
 * detach them). Blocks are 64-byte aligned. A shared arena can be handed to helper threads (threads.ts).
 */
export class Arena<B extends string> {
  readonly kernels: GemmKernels;
  /** byte offset of each block */
  readonly at: Record<B, number>;
  /** identifies the arena to helper threads */
  readonly id = ++arenas;

  private constructor(
    readonly memory: WasmMemory,
    readonly shared: boolean,
    module: object,
    api: WasmApi,
    at: Record<B, number>,
  ) {
    this.kernels = new api.Instance(module, { env: { memory } }).exports as GemmKernels;
    this.at = at;
  }

  /**
   * An arena with a block of the given byte size per name, or null when the WebAssembly kernels are
   * unavailable or the blocks do not fit in 32-bit memory (callers then use the TypeScript kernels).
   * `shared`: on a shared memory when this runtime allows it (else an ordinary one; see `this.shared`).
   */
  static create<B extends string>(blocks: Record<B, number>, shared = false): Arena<B> | null {
    const api = wasmApi();
    const module = enabled ? wasmModule() : null;
    if (!api || !module) return null;
    const at = {} as Record<B, number>;
    let top = 0;
    for (const name of Object.keys(blocks) as B[]) {
      at[name] = top;
      top += Math.ceil(blocks[name] / 64) * 64;
    }
    const pages = Math.max(1, Math.ceil(top / PAGE));
    if (pages > MAX_PAGES) return null;
    const sharedModule = shared ? wasmModule(true) : null;
    try {
      if (sharedModule) {
        try {
          const memory = new api.Memory({ initial: pages, maximum: pages, shared: true });
          return new Arena(memory, true, sharedModule, api, at);
        } catch (e) {
          if (!(e instanceof RangeError || e instanceof TypeError)) throw e;
          // no shared memory here (e.g. a page without cross-origin isolation): an ordinary arena
        }
      }
      return new Arena(new api.Memory({ initial: pages, maximum: pages }), false, module, api, at);
    } catch (e) {
      if (e instanceof RangeError) return null; // the runtime could not reserve that much memory
      throw e;
    }
  }

  f64(block: B, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, this.at[block], length);
  }

  i32(block: B, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, this.at[block], length);
  }
}
