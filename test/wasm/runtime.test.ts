import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { gemmPanels, packPanels } from '../../src/kernels/calls.js';
import { gemmKernels, gemmSharedKernels } from '../../src/kernels/wasm.js';
import { wasmBackend } from '../../src/real/nn/backend.js';
import { fill, gemmNN } from '../../src/real/nn/calls.js';
import { cnnKernels } from '../../src/real/nn/kernels.js';
import { Rng } from '../../src/util/rng.js';
import { decodeBase64 } from '../../src/wasm/base64.js';
import { compileKernelSet, createMemory, KernelInstance, type KernelSet } from '../../src/wasm/module.js';
import { HelperPool } from '../../src/wasm/pool.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sets: KernelSet[] = [gemmKernels, gemmSharedKernels, cnnKernels];

/** The limits of the memory a WebAssembly binary imports, read from its import section. */
function importedMemory(bytes: Uint8Array): { initial: number; maximum?: number; shared: boolean } {
  let p = 8; // magic and version
  const u32 = () => {
    let r = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[p++];
      r += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return r;
    }
  };
  while (p < bytes.length) {
    const id = bytes[p++];
    const length = u32();
    const end = p + length;
    if (id === 2) {
      for (let i = u32(); i > 0; i--) {
        for (let names = 0; names < 2; names++) {
          const length = u32(); // module name, then field name
          p += length;
        }
        const kind = bytes[p++];
        if (kind === 2) {
          const flags = bytes[p++];
          const initial = u32();
          return { initial, maximum: flags & 1 ? u32() : undefined, shared: (flags & 2) !== 0 };
        }
        if (kind === 0) u32();
        else if (kind === 3) p += 2;
        else throw new Error(`import kind ${kind} not expected`);
      }
    }
    p = end;
  }
  throw new Error('the binary imports no memory');
}

describe('WebAssembly runtime (src/wasm)', () => {
  it('decodes base64 as Node does, at every length modulo 3', () => {
    const rng = new Rng(1, 'base64');
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(rng.uniform() * 256));
      const text = Buffer.from(bytes).toString('base64');
      expect(Array.from(decodeBase64(text))).toEqual(Array.from(bytes));
    }
    for (const set of sets) expect(decodeBase64(set.binary.base64)).toEqual(new Uint8Array(Buffer.from(set.binary.base64, 'base64')));
  });

  it('sizes memories by the maximum the build script compiled each binary with', async () => {
    const build = (await import(pathToFileURL(join(root, 'assembly/build.mjs')).href)) as {
      entries: { set: string; shared: boolean; maximumPages: number }[];
    };
    expect(build.entries.map((e) => e.set)).toEqual(sets.map((s) => s.name));
    for (const set of sets) {
      const entry = build.entries.find((e) => e.set === set.name)!;
      expect(set.binary.maximumPages).toBe(entry.maximumPages);
      expect(set.binary.shared).toBe(entry.shared);
      const declared = importedMemory(decodeBase64(set.binary.base64));
      expect(declared.shared).toBe(set.binary.shared);
      // a plain module's import declares no maximum: then wasm32's 4 GiB bound it
      expect(declared.maximum ?? 65536).toBe(set.binary.maximumPages);
      // a memory of the largest allowed maximum links; one page more is refused before it fails to link
      const module = compileKernelSet(set)!;
      expect(new KernelInstance(set, module, createMemory(set, 1)).table).toHaveLength(set.kernels.length);
      expect(() => createMemory(set, 1, set.binary.maximumPages + 1)).toThrow(RangeError);
    }
  });

  it('no module of src/wasm imports a Node built-in (they load in a browser bundle)', () => {
    const dir = join(root, 'src/wasm');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(readFileSync(join(dir, f), 'utf8'), f).not.toMatch(/from ['"](node:|worker_threads|os['"])/);
  });

  describe('helper pool', () => {
    const pool = HelperPool.start(1);
    afterAll(() => pool.close());

    it('starts helpers on Node, none when asked for none', () => {
      expect(pool.size).toBe(1);
      expect(HelperPool.start(0).size).toBe(0);
    });

    it('dense kernels: one call split over 2 threads gives the bits of the whole call on 1', () => {
      const [na, nb, K] = [19, 37, 29];
      const product = (threads: 1 | 2) => {
        const set = gemmSharedKernels;
        const inst = new KernelInstance(set, compileKernelSet(set)!, createMemory(set, 2, 2));
        const f64 = new Float64Array(inst.memory.buffer);
        const [A, B, Ap, Bp, out] = [0, 1, 2, 3, 4].map((b) => b * 16384); // byte offsets
        const rng = new Rng(2, 'dense');
        for (let i = 0; i < na * K; i++) f64[A / 8 + i] = rng.normal();
        for (let i = 0; i < nb * K; i++) f64[B / 8 + i] = rng.normal();
        inst.call(packPanels({ src: A, rows: na, K, R: 8, dst: Ap }));
        inst.call(packPanels({ src: B, rows: nb, K, R: 2, dst: Bp }));
        // panels of 2 rows of B: q0 … q1−1
        const part = (q0: number, q1: number) =>
          gemmPanels({ Ap, na, Bp: Bp + q0 * 2 * K * 8, nb: Math.min(nb, 2 * q1) - 2 * q0, K, out: out + q0 * 16, ldo: nb });
        const panels = Math.ceil(nb / 2);
        if (threads === 1) inst.call(part(0, panels));
        else pool.run(inst, [part(0, 7), part(7, panels)]);
        return Float64Array.from(f64.subarray(out / 8, out / 8 + na * nb));
      };
      const one = product(1);
      const two = product(2);
      expect(one.some((v) => v !== 0)).toBe(true);
      for (let i = 0; i < one.length; i++) expect(Object.is(two[i], one[i]), `entry ${i}`).toBe(true);
    });

    it('CNN kernels: registered programs on 2 threads give the bits of the same programs on 1', () => {
      const backend = wasmBackend();
      const [M, N, K] = [13, 45, 31];
      const h = () => backend.heap.data;
      const A = backend.heap.alloc(M * K);
      const B = backend.heap.alloc(2 * K * N);
      const rng = new Rng(3, 'cnn');
      for (let i = 0; i < M * K; i++) h()[A + i] = rng.normal();
      for (let i = 0; i < 2 * K * N; i++) h()[B + i] = rng.normal();
      const shard = (s: number, C: number) => [
        gemmNN({ M, N, K, A, lda: K, B: B + s * K * N, ldb: N, C, ldc: N, relu: s === 1 }),
        gemmNN({ M, N, K, A, lda: K, B: B + s * K * N, ldb: N, C, ldc: N, accumulate: true }),
      ];
      const serial = [backend.heap.alloc(M * N), backend.heap.alloc(M * N)];
      const threaded = [backend.heap.alloc(M * N), backend.heap.alloc(M * N)];
      backend.run([...shard(0, serial[0]), ...shard(1, serial[1])]);
      const ids = [pool.register(shard(0, threaded[0])), pool.register(shard(1, threaded[1]))];
      pool.run(backend.instance, ids);
      for (let s = 0; s < 2; s++) {
        const want = h().subarray(serial[s], serial[s] + M * N);
        expect(Array.from(h().subarray(threaded[s], threaded[s] + M * N))).toEqual(Array.from(want));
      }
    });

    it('a kernel failure on a helper thread surfaces as an error, and the pool stays usable', () => {
      const dense = new KernelInstance(gemmSharedKernels, compileKernelSet(gemmSharedKernels)!, createMemory(gemmSharedKernels, 1, 1));
      const ok = packPanels({ src: 0, rows: 2, K: 4, R: 2, dst: 1024 });
      const outside = packPanels({ src: 0, rows: 2, K: 4, R: 2, dst: 1 << 20 });
      expect(() => pool.run(dense, [ok, outside])).toThrow(/helper thread: RuntimeError: memory access out of bounds/);
      pool.run(dense, [ok, ok]);

      const backend = wasmBackend();
      const good = pool.register([fill({ n: 4, dst: backend.heap.alloc(4), value: 1 })]);
      const bad = pool.register([fill({ n: 16, dst: 2 ** 28, value: 1 })]); // byte 2^30: outside the memory
      expect(() => pool.run(backend.instance, [good, bad])).toThrow(/helper thread: RuntimeError: memory access out of bounds/);
      pool.run(backend.instance, [good, good]);
      // the caller's own failure is the one reported
      expect(() => pool.run(backend.instance, [bad, good])).toThrow(/^memory access out of bounds/);
    });
  });

  it('starts its helpers in a process whose eval code is ES modules (node --input-type=module)', () => {
    const script = `const { real } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist', 'internals.js')).href)});
const r = real.benchCnn({ threads: 2, images: 128, epochs: 1 });
console.log(r.threads, r.imagesPerSecond > 0);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('2 true');
  });
});
