import { UserError } from '../../util/errors.js';
import { PAGE, type WasmMemory } from '../../wasm/api.js';

/**
 * The flat tensor heap of the CNN engine: one typed array that every kernel indexes by element offset.
 * Allocation is a bump pointer (the engine allocates a model once and reuses its buffers every step).
 */
export type Dtype = 'float32' | 'float64';
export type HeapArray = Float32Array | Float64Array;

export interface Heap {
  readonly dtype: Dtype;
  /** A view of the whole heap; replaced when the heap grows, so never keep it across `alloc`. */
  readonly data: HeapArray;
  /** Reserve n elements (zeroed), aligned to 16 elements; returns the element offset. */
  alloc(n: number): number;
  /** elements in use */
  readonly used: number;
}

const ALIGN = 16;
const alignUp = (x: number) => Math.ceil(x / ALIGN) * ALIGN;

/** A heap in ordinary JS memory: float32 for comparisons with the fast kernels, float64 for gradient checks. */
export class PlainHeap implements Heap {
  data: HeapArray;
  used = ALIGN; // offset 0 is never handed out, so 0 can mean "no buffer"

  constructor(
    readonly dtype: Dtype,
    initial = 1 << 16,
  ) {
    this.data = dtype === 'float64' ? new Float64Array(initial) : new Float32Array(initial);
  }

  alloc(n: number): number {
    const off = this.used;
    const end = off + alignUp(Math.max(n, 1));
    if (end > this.data.length) {
      let size = this.data.length;
      while (size < end) size *= 2;
      const next = this.dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
      next.set(this.data);
      this.data = next;
    }
    this.used = end;
    return off;
  }
}

/** the first page belongs to the WebAssembly module (its stack and statics) */
const RESERVED_BYTES = PAGE;

/**
 * A float32 heap inside a WebAssembly memory that grows up to `maxPages` (the kernels' declared maximum:
 * a shared memory needs one, and it is only address space until used).
 */
export class WasmHeap implements Heap {
  readonly dtype = 'float32';
  data: Float32Array;
  used = RESERVED_BYTES / 4;

  constructor(
    readonly memory: WasmMemory,
    readonly maxPages: number,
  ) {
    this.data = new Float32Array(memory.buffer);
  }

  alloc(n: number): number {
    const off = this.used;
    const end = off + alignUp(Math.max(n, 1));
    const bytes = end * 4;
    if (bytes > this.memory.buffer.byteLength) {
      const pages = Math.ceil((bytes - this.memory.buffer.byteLength) / PAGE);
      if (this.memory.buffer.byteLength / PAGE + pages > this.maxPages) {
        throw new UserError(
          `the network and batch need more than ${(this.maxPages * PAGE) / 2 ** 30} GiB of engine memory: lower batchSize or width`,
        );
      }
      this.memory.grow(pages);
    }
    // A grown memory has a new buffer; fresh memory is zero, and we never reuse offsets.
    if (this.data.buffer !== this.memory.buffer || this.data.length * 4 !== this.memory.buffer.byteLength) {
      this.data = new Float32Array(this.memory.buffer);
    }
    this.used = end;
    return off;
  }
}
