import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from './atomic.js';

/**
 * The safetensors format, by hand (it is small): an 8-byte little-endian header length N, N bytes of
 * JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}, then the
 * raw little-endian tensor bytes, offsets relative to the end of the header. It is what PyTorch, NumPy
 * and JAX users exchange weights in, and it cannot run code when loaded (unlike pickles).
 */

export type SafetensorsDtype = 'F64' | 'F32' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8';
export type SafetensorsData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | BigUint64Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: SafetensorsData;
}

export interface SafetensorsFile {
  /** where it was read from (names the file in errors) */
  path: string;
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

const dtypes = {
  F64: Float64Array,
  F32: Float32Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U64: BigUint64Array,
  U32: Uint32Array,
  U16: Uint16Array,
  U8: Uint8Array,
} as const;
export const safetensorsDtypes = Object.keys(dtypes) as SafetensorsDtype[];

/** Header lengths beyond this are corrupt files, not real headers (the reference reader uses the same cap). */
const maxHeader = 100_000_000;
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function dtypeOf(data: SafetensorsData): SafetensorsDtype {
  for (const name of safetensorsDtypes) if (data instanceof dtypes[name]) return name;
  throw new TypeError('unsupported typed array');
}

/** Copy bytes into a fresh, aligned typed array, swapping to host order if the host is big-endian. */
function typedFromLE(bytes: Uint8Array, dtype: SafetensorsDtype): SafetensorsData {
  const copy = new Uint8Array(bytes); // a copy: Node's Buffer.slice would share memory, unaligned
  const size = dtypes[dtype].BYTES_PER_ELEMENT;
  if (!littleEndianHost && size > 1) swapBytes(copy, size);
  return new dtypes[dtype](copy.buffer, 0, copy.length / size);
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** Parse a safetensors image; `path` names the file in errors. Every inconsistency is a one-line UserError. */
export function parseSafetensors(bytes: Uint8Array, path: string): SafetensorsFile {
  const bad = (problem: string) => new UserError(`${path}: not a valid safetensors file: ${problem}`);
  if (bytes.length < 8) throw bad(`shorter than the 8-byte header length (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(bytes.length - 8)) {
    throw bad(`header length ${headerLen} runs past the end of the file (${bytes.length} bytes): truncated or corrupt`);
  }
  if (headerLen > BigInt(maxHeader)) throw bad(`header length ${headerLen} is implausibly large (limit ${maxHeader})`);
  const start = 8 + Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, start)));
  } catch (e) {
    throw bad(`header is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw bad('header is not a JSON object');
  }

  let metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') throw bad(`__metadata__ value of "${k}" is not a string`);
      }
      metadata = { ...(raw as Record<string, string>) };
      continue;
    }
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (t === null || typeof t !== 'object' || Array.isArray(t)) throw bad(`tensor "${name}": entry is not an object`);
    if (typeof t.dtype !== 'string' || !(safetensorsDtypes as string[]).includes(t.dtype)) {
      throw bad(`tensor "${name}": unsupported dtype ${JSON.stringify(t.dtype)} (supported: ${safetensorsDtypes.join(', ')})`);
    }
    const dtype = t.dtype as SafetensorsDtype;
    if (!Array.isArray(t.shape) || !t.shape.every(isCount)) {
      throw bad(`tensor "${name}": shape ${JSON.stringify(t.shape)} is not a list of non-negative integers`);
    }
    const shape = t.shape as number[];
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isCount) || off[0] > off[1]) {
      throw bad(`tensor "${name}": data_offsets ${JSON.stringify(off)} is not [begin, end] with 0 ≤ begin ≤ end`);
    }
    const [begin, end] = off as number[];
    const numel = shape.reduce((a, b) => a * b, 1);
    const expected = numel * dtypes[dtype].BYTES_PER_ELEMENT;
    if (!Number.isSafeInteger(expected) || end - begin !== expected) {
      throw bad(
        `tensor "${name}": data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} [${shape.join(', ')}] needs ${expected}`,
      );
    }
    if (end > bytes.length - start) {
      throw bad(`tensor "${name}": data_offsets [${begin}, ${end}] run past the end of the file: truncated`);
    }
    entries.push({ name, dtype, shape, begin, end });
  }

  // The tensors must tile the data buffer exactly, as the reference implementation requires.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of entries) {
    if (e.begin < pos) throw bad(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap another tensor`);
    if (e.begin > pos) throw bad(`tensor "${e.name}": gap in the data before offset ${e.begin}`);
    pos = e.end;
  }
  if (start + pos !== bytes.length) {
    throw bad(`${bytes.length - start - pos} bytes after the last tensor (the header does not describe them)`);
  }

  const tensors: Record<string, SafetensorsTensor> = {};
  for (const e of entries) {
    tensors[e.name] = {
      dtype: e.dtype,
      shape: e.shape,
      data: typedFromLE(bytes.subarray(start + e.begin, start + e.end), e.dtype),
    };
  }
  return { path, tensors, metadata };
}

/**
 * The tensor shapes of a safetensors file from its header alone (nothing else is read): for pricing work before
 * loading it. Undefined when the file is missing or its header unreadable (reading the file reports why).
 */
export function readSafetensorsShapes(path: string): Record<string, number[]> | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(8);
    if (readSync(fd, head, 0, 8, 0) < 8) return undefined;
    const n = Number(head.readBigUInt64LE(0));
    if (n > maxHeader) return undefined;
    const text = Buffer.alloc(n);
    if (readSync(fd, text, 0, n, 8) < n) return undefined;
    const header = JSON.parse(text.toString('utf8')) as Record<string, { shape?: unknown }>;
    const out: Record<string, number[]> = {};
    for (const [k, v] of Object.entries(header)) {
      if (k !== '__metadata__' && Array.isArray(v?.shape)) out[k] = v.shape as number[];
    }
    return out;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Read and validate a safetensors file. */
export function readSafetensors(path: string): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`${path}: ${fsProblem(e, 'cannot read')}`);
  }
  return parseSafetensors(bytes, path);
}

export interface SafetensorsInput {
  shape: readonly number[];
  /** the dtype follows the array type: Float64Array → F64, BigInt64Array → I64, … */
  data: SafetensorsData;
}

/** Encode tensors (in the given order) and string metadata as a safetensors image. */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsInput>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let pos = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new TypeError('"__metadata__" is reserved');
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) throw new TypeError(`tensor "${name}": shape [${t.shape}] does not match ${t.data.length} values`);
    header[name] = { dtype: dtypeOf(t.data), shape: [...t.shape], data_offsets: [pos, pos + t.data.byteLength] };
    pos += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + pos);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const t of Object.values(tensors)) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(bytes, at);
    if (!littleEndianHost) swapBytes(out.subarray(at, at + bytes.length), t.data.BYTES_PER_ELEMENT);
    at += bytes.length;
  }
  return out;
}

/** Write a safetensors file atomically: the whole file or nothing. */
export function writeSafetensors(
  path: string,
  tensors: Record<string, SafetensorsInput>,
  metadata: Record<string, string> = {},
): void {
  const bytes = encodeSafetensors(tensors, metadata);
  try {
    writeFileAtomic(path, bytes);
  } catch (e) {
    throw new UserError(`${path}: ${fsProblem(e, 'cannot write')}`);
  }
}

function fsProblem(e: unknown, what: string): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return what === 'cannot read' ? 'no such file' : `${what}: a parent folder is missing`;
  if (code === 'EISDIR') return `${what}: it is a directory`;
  if (code === 'EACCES' || code === 'EPERM') return `${what}: permission denied`;
  if (code === 'ENOTDIR') return `${what}: a parent path is not a directory`;
  return `${what} (${code ?? (e as Error)?.message ?? String(e)})`;
}

/** The tensor `name`, or a UserError naming the file and the tensors it does have. */
export function getTensor(file: SafetensorsFile, name: string): SafetensorsTensor {
  const t = file.tensors[name];
  if (!t) {
    const have = Object.keys(file.tensors);
    throw new UserError(
      `${file.path}: no tensor "${name}" (the file has ${have.length ? have.map((h) => `"${h}"`).join(', ') : 'no tensors'})`,
    );
  }
  return t;
}

/** The values as float64: F64 as is, F32 widened exactly, integers converted (I64 and U64 exact up to 2^53). */
export function tensorAsFloat64(t: SafetensorsTensor): Float64Array {
  if (t.data instanceof Float64Array) return t.data;
  const out = new Float64Array(t.data.length);
  if (t.data instanceof BigInt64Array || t.data instanceof BigUint64Array) {
    for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]);
  } else {
    out.set(t.data);
  }
  return out;
}
