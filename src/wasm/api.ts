/**
 * The few WebAssembly JS-API types the runtime uses. Node and browsers have the API at run time, but the
 * project's TypeScript libs (ES2022 + node, no DOM) do not declare it; a private declaration here cannot
 * clash with anyone else's WebAssembly typings.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

/** A compiled module (opaque; can be posted to worker threads). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/** The runtime's WebAssembly API, or undefined where there is none (or it is switched off). */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/** Bytes per WebAssembly page. */
export const PAGE = 65536;
