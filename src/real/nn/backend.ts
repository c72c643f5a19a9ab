import { compileKernelSet, createMemory, KernelInstance } from '../../wasm/module.js';
import { runOps, type KernelFn, type Op } from '../../wasm/ops.js';
import { PlainHeap, WasmHeap, type Dtype, type Heap } from './heap.js';
import { plainKernels } from './kernels-plain.js';
import { cnnKernels, tableArray, type KernelName } from './kernels.js';

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

export interface WasmBackend extends Backend {
  readonly name: 'wasm';
  readonly heap: WasmHeap;
  /** the kernels over the heap's memory (what helper threads attach) */
  readonly instance: KernelInstance<KernelName>;
}

/** The SIMD kernels over a fresh shared heap of 2 MiB that grows to the kernels' declared maximum. */
export function wasmBackend(): WasmBackend {
  const module = compileKernelSet(cnnKernels);
  if (!module) throw new Error('the CNN engine needs WebAssembly with SIMD and threads (use the plain backend)');
  const heap = new WasmHeap(createMemory(cnnKernels, 32), cnnKernels.binary.maximumPages);
  const instance = new KernelInstance(cnnKernels, module, heap.memory);
  return { name: 'wasm', heap, table: instance.table, instance, run: (ops) => instance.run(ops) };
}
