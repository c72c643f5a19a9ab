import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type SafetensorsInput } from '../io/safetensors.js';
import { UserError } from '../util/errors.js';
import { version } from '../version.js';
import type { RealConfig } from './config.js';
import { plainBackend } from './nn/backend.js';
import { Model, type Param } from './nn/net.js';
import type { RealNetworks } from './types.js';

/**
 * Networks in and out: safetensors files whose tensors carry the parameter names of the documented PyTorch modules
 * (tools/torch_models.py: `features.0.weight`, `classifier.bias`, `layer2.shortcut.weight`, …), float32, in
 * PyTorch's shapes ([Co, Ci, k, k] filters, [O, I] linear weights, [O] biases). `load_state_dict` of the matching
 * module reads a saved file, and a state dict PyTorch saved loads here. Fixed parameters (the two-layer CNN's class
 * sums) belong to the architecture and are not in the file.
 */

/** The safetensors name of a parameter: its layer's module path and its role. */
export function torchName(model: Model, p: Param): string {
  const pl = model.paramLayers.find((l) => l.weight === p || l.bias === p)!;
  if (!pl.spec.module) throw new Error(`layer ${pl.layer} has no PyTorch module name`);
  return `${pl.spec.module}.${p.role}`;
}

/** The saved parameters of a model: every trainable one, by PyTorch name, in parameter order. */
export function savedParams(model: Model): { name: string; param: Param }[] {
  return model.params.filter((p) => !p.fixed).map((param) => ({ name: torchName(model, param), param }));
}

/** Write a model's parameters as float32 tensors with PyTorch names (atomically), with string metadata. */
export function saveNetwork(path: string, model: Model, metadata: Record<string, string>): void {
  const tensors: Record<string, SafetensorsInput> = {};
  for (const { name, param } of savedParams(model)) tensors[name] = { shape: param.shape, data: Float32Array.from(model.view(param)) };
  writeSafetensors(path, tensors, metadata);
}

/**
 * Read a network file into a model of the expected architecture (in place). Every trainable parameter must be in
 * the file with its exact shape, as F32 (or F64, rounded to the heap's float32), and the file may hold nothing
 * else; `what` describes the expected network in errors (e.g. "a vgg network of width 4 with 5 classes").
 */
export function loadNetwork(path: string, model: Model, what: string): void {
  const file = readSafetensors(path);
  const expected = savedParams(model);
  const names = new Set(expected.map((e) => e.name));
  const extra = Object.keys(file.tensors).filter((n) => !names.has(n));
  if (extra.length) {
    throw new UserError(`${path}: unexpected tensor "${extra[0]}" for ${what} (it has ${[...names].join(', ')})`);
  }
  const values: { param: Param; data: ArrayLike<number> }[] = [];
  for (const { name, param } of expected) {
    const t = file.tensors[name];
    if (!t) throw new UserError(`${path}: no tensor "${name}" (${what} has ${[...names].join(', ')})`);
    if (t.shape.join() !== param.shape.join()) {
      throw new UserError(`${path}: tensor "${name}" has shape [${t.shape}], expected [${param.shape}] for ${what}`);
    }
    if (t.dtype !== 'F32' && t.dtype !== 'F64') throw new UserError(`${path}: tensor "${name}" must be F32 or F64, not ${t.dtype}`);
    const data = t.data as Float32Array | Float64Array;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new UserError(`${path}: tensor "${name}" has a non-finite value at entry ${i}`);
    }
    values.push({ param, data });
  }
  for (const { param, data } of values) model.view(param).set(data);
  // the architecture's fixed weights (not in the file)
  for (const pl of model.paramLayers) if (pl.spec.kind === 'linear' && pl.spec.fixed) model.view(pl.weight).set(pl.spec.fixed);
}

/** The files `real --save DIR` writes, by network. */
export const networkFiles = {
  upstream: 'upstream.safetensors',
  transferInit: 'transfer-init.safetensors',
  transfer: 'transfer.safetensors',
  scratch: 'scratch.safetensors',
} as const;

/**
 * `real --save DIR`: the upstream network, the transfer network before and after downstream training and the scratch
 * network, each a safetensors file with PyTorch names; the metadata names the architecture, the phase and the full
 * config (JSON). Returns the files written.
 */
export function saveRealNetworks(dir: string, networks: RealNetworks, config: RealConfig): string[] {
  const heap = plainBackend('float32').heap;
  const files: string[] = [];
  for (const [phase, file] of Object.entries(networkFiles) as [keyof RealNetworks, string][]) {
    const n = networks[phase];
    const model = new Model(heap, n.layers, n.input);
    model.load(n.parameters);
    const path = join(dir, file);
    saveNetwork(path, model, {
      format: 'paratransfer-cnn',
      version,
      phase,
      arch: config.arch,
      classes: String(model.classes),
      input: `${n.input.c},${n.input.h},${n.input.w}`,
      config: JSON.stringify(config),
    });
    files.push(path);
  }
  return files;
}
