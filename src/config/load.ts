import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../util/errors.js';
import { defaultConfig, findPreset, presetConfig, presets } from './presets.js';
import { experimentKeys, experimentSchema, type ExperimentConfig } from './schema.js';

/** One line per problem: `field "alpha": must be a number in [0, 1] (got 1.5)`. */
export function formatIssues(error: z.ZodError, input: unknown, where: string): string {
  const lines = error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys
        .map((k) => `"${k}"`)
        .join(', ')} (allowed: ${experimentKeys.join(', ')})`;
    }
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

export function validateConfig(input: unknown, where = 'config'): ExperimentConfig {
  const r = experimentSchema.safeParse(input);
  if (!r.success) throw new UserError(formatIssues(r.error, input, where));
  return r.data;
}

/** Parse a `key=value` override; the value is read as a YAML scalar (numbers, booleans, strings). */
export function parseOverride(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UserError(`--set "${text}": expected key=value`);
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  if (!(experimentKeys as string[]).includes(key)) {
    throw new UserError(`--set: unknown key "${key}" (allowed: ${experimentKeys.join(', ')})`);
  }
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
 * A YAML file holds any subset of the keys; the rest come from the defaults (SPEC §6).
 */
export function loadConfig(source: string, overrides: string[] = []): ExperimentConfig {
  let base: Record<string, unknown>;
  let where: string;
  const preset = findPreset(source);
  if (preset) {
    base = { ...presetConfig(preset) };
    where = `preset ${preset.name}`;
  } else if (existsSync(source)) {
    where = source;
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(source, 'utf8'));
    } catch (e) {
      throw new UserError(`${source}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    if (doc === null || doc === undefined) doc = {};
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      throw new UserError(`${source}: expected a mapping of config keys`);
    }
    const unknown = Object.keys(doc as object).filter((k) => !(experimentKeys as string[]).includes(k));
    if (unknown.length) {
      throw new UserError(
        `${source}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown
          .map((k) => `"${k}"`)
          .join(', ')} (allowed: ${experimentKeys.join(', ')})`,
      );
    }
    base = { ...defaultConfig, ...(doc as Record<string, unknown>) };
  } else {
    throw new UserError(
      `"${source}" is neither a preset (${presets.map((p) => p.name).join(', ')}) nor an existing config file`,
    );
  }
  for (const o of overrides) {
    const [k, v] = parseOverride(o);
    base[k] = v;
  }
  return validateConfig(base, overrides.length ? `${where} with --set` : where);
}
