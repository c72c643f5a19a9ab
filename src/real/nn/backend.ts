import { cnnWasmBase64 } from './generated/cnn-wasm.js';
import { PlainHeap, WasmHeap, type Dtype, type Heap } from './heap.js';
import { plainKernels } from './kernels-plain.js';
import { kernelNames, runOps, tableArray, type KernelFn, type Op } from './kernels.js';
import { wasm, type WasmMemory, type WasmModule } from './wasm-api.js';

/** Where the kernels run: plain JS loops (float32 or float64), or WebAssembly SIMD (float32). */
export interface Backend {
  readonly name: 'plain' | 'wasm';
  readonly heap: Heap;
  readonly table: KernelFn[];
  run(ops: readonly Op[]): void;
}

export function plainBackend(dtype: Dtype = 'float64'): Backend {
  const heap = new PlainHeap(dtype);
  const table = tableArray(plainKernels(heap));
  return { name: 'plain', heap, table, run: (ops) => runOps(table, ops) };
}

let compiled: WasmModule | undefined;

/** The SIMD kernels, compiled once per process from the embedded binary (`npm run build:cnn-wasm`). */
export function wasmModule(): WasmModule {
  compiled ??= new wasm.Module(Buffer.from(cnnWasmBase64, 'base64'));
  return compiled;
}

/** An instance of the kernels over a (shared) memory, as a table in kernelNames order. */
export function instantiateKernels(module: WasmModule, memory: WasmMemory): KernelFn[] {
  const inst = new wasm.Instance(module, { env: { memory } });
  return kernelNames.map((n) => {
    const f = inst.exports[n];
    if (typeof f !== 'function') throw new Error(`CNN kernels: export ${n} is missing (rebuild the wasm)`);
    return f as KernelFn;
  });
}

export interface WasmBackend extends Backend {
  readonly name: 'wasm';
  readonly heap: WasmHeap;
  readonly module: WasmModule;
}

export function wasmBackend(): WasmBackend {
  const module = wasmModule();
  const heap = WasmHeap.create(true);
  const table = instantiateKernels(module, heap.memory);
  return { name: 'wasm', heap, table, module, run: (ops) => runOps(table, ops) };
}
