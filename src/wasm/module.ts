import { wasmApi, type WasmMemory, type WasmModule } from './api.js';
import { decodeBase64 } from './base64.js';
import { call, runOps, type KernelFn, type Op } from './ops.js';

/** A binary as assembly/build.mjs embeds it (src/wasm/generated/<set>.ts). */
export interface EmbeddedBinary {
  readonly shared: boolean;
  /** the most pages its imported memory may have (the number the binary was compiled with) */
  readonly maximumPages: number;
  readonly base64: string;
}

/** A kernel set: an embedded binary and the names of its exports, in the order of its call tables. */
export interface KernelSet<Name extends string = string> {
  readonly name: string;
  readonly binary: EmbeddedBinary;
  readonly kernels: readonly Name[];
}

const compiled = new Map<KernelSet, WasmModule | null>();

/**
 * The set's module, compiled once per process from the embedded bytes, or null where this runtime cannot run
 * it (no WebAssembly, no SIMD, or — for a shared set — no threads).
 */
export function compileKernelSet(set: KernelSet): WasmModule | null {
  let module = compiled.get(set);
  if (module === undefined) {
    const api = wasmApi();
    const bytes = decodeBase64(set.binary.base64);
    module = null;
    try {
      if (api && api.validate(bytes)) module = new api.Module(bytes);
    } catch {
      module = null; // validate passed but compiling failed: treat as unsupported
    }
    compiled.set(set, module);
  }
  return module;
}

/**
 * A memory for the set's kernels: `initial` pages, growable to `maximum` (at most the binary's own maximum),
 * shared when the set is. Throws RangeError where the runtime cannot reserve it, TypeError where it has no
 * shared memory (e.g. a page without cross-origin isolation).
 */
export function createMemory(set: KernelSet, initial: number, maximum = set.binary.maximumPages): WasmMemory {
  const api = wasmApi();
  if (!api) throw new TypeError('this runtime has no WebAssembly');
  if (maximum > set.binary.maximumPages) throw new RangeError(`${maximum} pages: the ${set.name} kernels address at most ${set.binary.maximumPages}`);
  return new api.Memory({ initial, maximum, shared: set.binary.shared });
}

let instances = 0;

/** A kernel set instantiated over one memory: a call table for this thread; helpers re-create it by id. */
export class KernelInstance<Name extends string = string> {
  /** identifies the instance (its memory) to helper threads */
  readonly id = ++instances;
  /** kernel index → export */
  readonly table: KernelFn[];

  constructor(
    readonly set: KernelSet<Name>,
    readonly module: WasmModule,
    readonly memory: WasmMemory,
  ) {
    const exports = new (wasmApi()!.Instance)(module, { env: { memory } }).exports;
    this.table = set.kernels.map((n) => {
      const f = exports[n];
      if (typeof f !== 'function') throw new Error(`${set.name} kernels: export ${n} is missing (run \`npm run build:wasm\`)`);
      return f as KernelFn;
    });
  }

  /** Run one call on this thread; returns the kernel's result. */
  call(op: Op): unknown {
    return call(this.table, op);
  }

  run(ops: readonly Op[]): void {
    runOps(this.table, ops);
  }
}
