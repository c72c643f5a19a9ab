// The one WebAssembly runtime (docs/architecture.md): loading, memory and the helper-thread pool of every kernel set.
export { PAGE, wasmApi, type WasmApi, type WasmInstance, type WasmMemory, type WasmModule } from './api.js';
export { decodeBase64 } from './base64.js';
export { compileKernelSet, createMemory, KernelInstance, type EmbeddedBinary, type KernelSet } from './module.js';
export { call, indices, runOps, type CallOf, type KernelFn, type Op } from './ops.js';
export { HelperPool, type Work } from './pool.js';
