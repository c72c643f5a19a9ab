import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../util/errors.js';
import { defaultConfig, findPreset, presetConfig, presets } from './presets.js';
import { experimentKeys, experimentSchema, type ExperimentConfig } from './schema.js';

/**
 * A family of configs (the synthetic experiment, the real-data study): its keys, schema, defaults and presets.
 * One loader serves every family, so `<preset|config.yaml> --set key=value` behaves and fails the same way.
 */
export interface ConfigFamily<C> {
  /** "preset" or "real-data preset", for messages */
  presetNoun: string;
  keys: readonly string[];
  schema: z.ZodType<C>;
  defaults: C;
  presetNames: () => string[];
  presetConfig: (name: string) => C | undefined;
}

const plural = (n: number) => (n > 1 ? 's' : '');

function unknownKeysMessage(where: string, unknown: readonly string[], allowed: readonly string[]): string {
  return `${where}: unknown key${plural(unknown.length)} ${unknown.map((k) => `"${k}"`).join(', ')} (allowed: ${allowed.join(', ')})`;
}

/** One line per problem: `field "alpha": must be a number in [0, 1] (got 1.5)`. */
export function formatIssues(error: z.ZodError, input: unknown, where: string, allowed: readonly string[] = experimentKeys): string {
  const lines = error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return unknownKeysMessage(where, issue.keys, allowed);
    const path = issue.path.join('.');
    let got = '';
    if (path && input && typeof input === 'object') {
      const v = (input as Record<string, unknown>)[String(issue.path[0])];
      got = ` (got ${JSON.stringify(v) ?? String(v)})`;
      if (typeof v === 'number' && !Number.isFinite(v)) got = ` (got ${v})`;
    }
    return `${where}: field "${path}": ${issue.message}${got}`;
  });
  return lines.join('\n');
}

export function validateWith<C>(family: ConfigFamily<C>, input: unknown, where = 'config'): C {
  const r = family.schema.safeParse(input);
  if (!r.success) throw new UserError(formatIssues(r.error, input, where, family.keys));
  return r.data;
}

/** Parse a `key=value` override; the value is read as YAML (numbers, booleans, strings, lists). */
export function parseOverrideWith(keys: readonly string[], text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UserError(`--set "${text}": expected key=value`);
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  if (!keys.includes(key)) throw new UserError(unknownKeysMessage('--set', [key], keys));
  let value: unknown;
  try {
    value = parseYaml(raw);
  } catch {
    value = raw;
  }
  // YAML reads ".nan" and ".inf" as numbers; "nan"/"NaN" typed by hand should also be rejected as numbers.
  if (typeof value === 'string' && /^[+-]?(nan|inf(inity)?)$/i.test(value)) {
    value = /nan/i.test(value) ? NaN : value.startsWith('-') ? -Infinity : Infinity;
  }
  if (value === null || value === '') throw new UserError(`--set ${key}: missing value`);
  return [key, value];
}

/**
 * Resolve `<preset|config.yaml>` plus `--set` overrides into a validated config.
 * A YAML file holds any subset of the keys; the rest come from the family's defaults.
 */
export function loadWith<C>(family: ConfigFamily<C>, source: string, overrides: string[] = []): C {
  let base: Record<string, unknown>;
  let where: string;
  const preset = family.presetConfig(source);
  if (preset) {
    base = { ...preset };
    where = `preset ${source}`;
  } else if (existsSync(source)) {
    where = source;
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(source, 'utf8'));
    } catch (e) {
      throw new UserError(`${source}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    doc ??= {};
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw new UserError(`${source}: expected a mapping of config keys`);
    }
    const unknown = Object.keys(doc).filter((k) => !family.keys.includes(k));
    if (unknown.length) throw new UserError(unknownKeysMessage(source, unknown, family.keys));
    base = { ...family.defaults, ...(doc as Record<string, unknown>) };
  } else {
    throw new UserError(
      `"${source}" is neither a ${family.presetNoun} (${family.presetNames().join(', ')}) nor an existing config file`,
    );
  }
  for (const o of overrides) {
    const [k, v] = parseOverrideWith(family.keys, o);
    base[k] = v;
  }
  return validateWith(family, base, overrides.length ? `${where} with --set` : where);
}

/** The synthetic experiment's family (SPEC §1–3). */
export const experimentFamily: ConfigFamily<ExperimentConfig> = {
  presetNoun: 'preset',
  keys: experimentKeys,
  schema: experimentSchema,
  defaults: defaultConfig,
  presetNames: () => presets.map((p) => p.name),
  presetConfig: (name) => {
    const p = findPreset(name);
    return p && presetConfig(p);
  },
};

export const validateConfig = (input: unknown, where = 'config') => validateWith(experimentFamily, input, where);
export const parseOverride = (text: string) => parseOverrideWith(experimentKeys, text);
export const loadConfig = (source: string, overrides: string[] = []) => loadWith(experimentFamily, source, overrides);
