import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodeSafetensors,
  getTensor,
  parseSafetensors,
  readSafetensors,
  tensorAsFloat64,
  writeSafetensors,
  type SafetensorsData,
} from '../../src/io/safetensors.js';
import { UserError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'pt-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A safetensors image from a header object (padded like the reference writer) and raw data bytes. */
function image(
  header: unknown,
  data: Uint8Array = new Uint8Array(0),
  headerText: string | Uint8Array = JSON.stringify(header),
): Uint8Array {
  const json = typeof headerText === 'string' ? new TextEncoder().encode(headerText) : headerText;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const samples: Record<string, { shape: number[]; data: SafetensorsData }> = {
  F64: { shape: [2, 3], data: Float64Array.of(1.5, -0, Number.MIN_VALUE, -1e308, Math.PI, 2 ** 53 + 2) },
  F32: { shape: [3], data: Float32Array.of(0.1, -3.25, 3.4e38) },
  I64: { shape: [2, 2], data: BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n, 0n, -7n) },
  I32: { shape: [1, 3], data: Int32Array.of(-(2 ** 31), 2 ** 31 - 1, 5) },
  I16: { shape: [3], data: Int16Array.of(-32768, 32767, 3) },
  I8: { shape: [4], data: Int8Array.of(-128, 127, -1, 0) },
  U64: { shape: [2], data: BigUint64Array.of(2n ** 64n - 1n, 9n) },
  U32: { shape: [2], data: Uint32Array.of(2 ** 32 - 1, 0) },
  U16: { shape: [2], data: Uint16Array.of(65535, 1) },
  U8: { shape: [5], data: Uint8Array.of(0, 255, 1, 128, 7) },
};

describe('safetensors round trip', () => {
  for (const [dtype, t] of Object.entries(samples)) {
    it(`${dtype}: write then read gives the same dtype, shape and bits`, () => {
      const path = join(dir, `rt-${dtype}.safetensors`);
      writeSafetensors(path, { t }, { note: `dtype ${dtype}` });
      const f = readSafetensors(path);
      const back = getTensor(f, 't');
      expect(back.dtype).toBe(dtype);
      expect(back.shape).toEqual(t.shape);
      expect(back.data.constructor).toBe(t.data.constructor);
      expect(new Uint8Array(back.data.buffer, back.data.byteOffset, back.data.byteLength)).toEqual(
        new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      );
      expect(f.metadata).toEqual({ note: `dtype ${dtype}` });
    });
  }

  it('all dtypes in one file, including a scalar and an empty tensor, from subarrays', () => {
    const tensors = {
      ...samples,
      scalar: { shape: [], data: Float64Array.of(-2.5) },
      empty: { shape: [0, 4], data: new Float64Array(0) },
      // a view at an odd byte offset into a larger buffer
      view: { shape: [2], data: new Int8Array(Int8Array.of(9, -9, 8, 7).buffer, 1, 2) },
    };
    const bytes = encodeSafetensors(tensors);
    const f = parseSafetensors(bytes, 'mem');
    expect(Object.keys(f.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      expect(f.tensors[name].shape).toEqual(t.shape);
      expect(Array.from(f.tensors[name].data as ArrayLike<number | bigint>)).toEqual(Array.from(t.data as ArrayLike<number | bigint>));
    }
    expect(f.tensors.view.data).toEqual(Int8Array.of(-9, 8));
    expect(f.metadata).toEqual({});
  });

  it('writes the layout of the format: u64 LE header length, space-padded JSON, data at 8-byte alignment', () => {
    const bytes = encodeSafetensors({ a: { shape: [2], data: Int32Array.of(1, -2) } }, { k: 'v' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(JSON.parse(header)).toEqual({
      __metadata__: { k: 'v' },
      a: { dtype: 'I32', shape: [2], data_offsets: [0, 8] },
    });
    expect(header.trimEnd().length).toBeLessThan(n); // padded with spaces
    expect(Array.from(bytes.subarray(8 + n))).toEqual([1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff]);
  });

  it('reads a hand-made file (tensors out of header order, unpadded header)', () => {
    const data = new Uint8Array(8 + 3);
    new DataView(data.buffer).setFloat64(0, -1.25, true);
    data.set([1, 2, 3], 8);
    const f = parseSafetensors(
      image({
        b: { dtype: 'U8', shape: [3], data_offsets: [8, 11] },
        a: { dtype: 'F64', shape: [1, 1], data_offsets: [0, 8] },
        __metadata__: { who: 'hand' },
      }, data),
      'hand.safetensors',
    );
    expect(f.tensors.a.data).toEqual(Float64Array.of(-1.25));
    expect(f.tensors.b.data).toEqual(Uint8Array.of(1, 2, 3));
    expect(f.metadata).toEqual({ who: 'hand' });
  });

  it('tensorAsFloat64 widens F32 exactly and converts integers', () => {
    expect(tensorAsFloat64({ dtype: 'F32', shape: [2], data: Float32Array.of(0.1, -2) })).toEqual(
      Float64Array.of(Math.fround(0.1), -2),
    );
    expect(tensorAsFloat64({ dtype: 'I64', shape: [2], data: BigInt64Array.of(-1n, 2n ** 53n) })).toEqual(
      Float64Array.of(-1, 2 ** 53),
    );
    expect(tensorAsFloat64({ dtype: 'I8', shape: [2], data: Int8Array.of(-1, 1) })).toEqual(Float64Array.of(-1, 1));
    expect(tensorAsFloat64({ dtype: 'U64', shape: [2], data: BigUint64Array.of(2n ** 64n - 1n, 4n) })).toEqual(
      Float64Array.of(2 ** 64, 4),
    );
    expect(tensorAsFloat64({ dtype: 'U16', shape: [1], data: Uint16Array.of(65535) })).toEqual(Float64Array.of(65535));
    const f64 = Float64Array.of(3);
    expect(tensorAsFloat64({ dtype: 'F64', shape: [1], data: f64 })).toBe(f64);
  });
});

describe('safetensors: every corrupt file is a one-line UserError naming the file', () => {
  const f64 = (n: number) => new Uint8Array(8 * n);
  const ok = { dtype: 'F64', shape: [2], data_offsets: [0, 16] };
  const valid = image({ x: ok }, f64(2));
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty file', new Uint8Array(0), /shorter than the 8-byte header length \(0 bytes\)/],
    ['7 bytes', new Uint8Array(7), /shorter than the 8-byte/],
    ['header length beyond the file', valid.slice(0, 20), /header length \d+ runs past the end of the file/],
    ['header length 2^64 − 1', (() => { const b = valid.slice(); b.fill(0xff, 0, 8); return b; })(), /runs past the end/],
    ['invalid JSON', image(null, f64(2), '{"x": {"dtype": "F64",'), /header is not valid JSON/],
    ['invalid UTF-8', image(null, undefined, Uint8Array.of(0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d)), /not valid JSON/],
    ['JSON array', image([1, 2]), /header is not a JSON object/],
    ['unknown dtype', image({ x: { ...ok, dtype: 'BF16' } }, f64(2)), /tensor "x": unsupported dtype "BF16" \(supported: F64, F32, I64, I32, I16, I8, U64, U32, U16, U8\)/],
    ['missing dtype', image({ x: { shape: [2], data_offsets: [0, 16] } }, f64(2)), /unsupported dtype undefined/],
    ['shape not integers', image({ x: { ...ok, shape: [2.5] } }, f64(2)), /shape \[2.5\] is not a list of non-negative integers/],
    ['negative shape', image({ x: { ...ok, shape: [-2] } }, f64(2)), /is not a list of non-negative integers/],
    ['offsets not a pair', image({ x: { ...ok, data_offsets: [0] } }, f64(2)), /data_offsets \[0\] is not \[begin, end\]/],
    ['begin > end', image({ x: { ...ok, data_offsets: [16, 0] } }, f64(2)), /is not \[begin, end\] with 0 ≤ begin ≤ end/],
    ['size ≠ dtype × shape', image({ x: { ...ok, data_offsets: [0, 8] } }, f64(2)), /hold 8 bytes but F64 \[2\] needs 16/],
    ['offsets out of range (truncated data)', image({ x: ok }, f64(1)), /run past the end of the file: truncated/],
    [
      'overlapping tensors',
      image({ x: ok, z: { dtype: 'F64', shape: [1], data_offsets: [8, 16] } }, f64(2)),
      /overlap another tensor/,
    ],
    ['gap before a tensor', image({ x: { ...ok, data_offsets: [8, 24] } }, f64(3)), /gap in the data before offset 8/],
    ['bytes after the last tensor', image({ x: ok }, f64(3)), /8 bytes after the last tensor/],
    ['entry not an object', image({ x: 5 }), /tensor "x": entry is not an object/],
    ['metadata not strings', image({ __metadata__: { a: 1 } }), /__metadata__ value of "a" is not a string/],
    ['metadata not an object', image({ __metadata__: 'x' }), /__metadata__ is not an object/],
  ];

  for (const [what, bytes, message] of cases) {
    it(what, () => {
      const path = join(dir, `corrupt ${what.replace(/[^a-z0-9]+/gi, '-')}.safetensors`);
      writeFileSync(path, bytes);
      let err: unknown;
      try {
        readSafetensors(path);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      const msg = (err as Error).message;
      expect(msg.startsWith(`${path}: `)).toBe(true);
      expect(msg).toMatch(message);
      expect(msg).not.toContain('\n');
    });
  }

  it('the valid file of those cases does parse', () => {
    expect(parseSafetensors(valid, 'v').tensors.x.data).toEqual(new Float64Array(2));
  });

  it('missing file, a directory', () => {
    const missing = join(dir, 'nope.safetensors');
    expect(() => readSafetensors(missing)).toThrow(new UserError(`${missing}: no such file`));
    expect(() => readSafetensors(dir)).toThrow(new UserError(`${dir}: cannot read: it is a directory`));
  });

  it('getTensor names the file and the tensors it has', () => {
    const f = parseSafetensors(valid, 'data.safetensors');
    expect(() => getTensor(f, 'W')).toThrow(new UserError('data.safetensors: no tensor "W" (the file has "x")'));
  });

  it('a failed write is a UserError naming the file and leaves nothing behind', () => {
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'a file, not a folder');
    const target = join(blocker, 'sub', 'w.safetensors');
    expect(() => writeSafetensors(target, { W: { shape: [1], data: Float64Array.of(1) } })).toThrow(UserError);
    expect(() => writeSafetensors(target, { W: { shape: [1], data: Float64Array.of(1) } })).toThrow(
      `${target}: cannot write`,
    );
    const existingDir = join(dir, 'is-a-dir');
    mkdirSync(existingDir);
    expect(() => writeSafetensors(existingDir, { W: { shape: [1], data: Float64Array.of(1) } })).toThrow(
      `${existingDir}: cannot write`,
    );
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(join(blocker, 'sub'))).toBe(false);
    expect(readFileSync(blocker, 'utf8')).toBe('a file, not a folder');
  });
});
