import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { ConfigFamily } from '../study/types.js';
import { UserError } from '../util/errors.js';

/**
 * Validating configs of any study, with one-line messages naming the field and the allowed range. Pure (no file
 * access), so the explorer's page can use it too; reading YAML files is load.ts's.
 */

const plural = (n: number) => (n > 1 ? 's' : '');

export function unknownKeysMessage(where: string, unknown: readonly string[], allowed: readonly string[]): string {
  return `${where}: unknown key${plural(unknown.length)} ${unknown.map((k) => `"${k}"`).join(', ')} (allowed: ${allowed.join(', ')})`;
}

/**
 * A schema's rule across keys that states a field's full condition marks its issue `params: { overrides: true }`: it
 * replaces the field's own, narrower message (d's range given the signals, not the plain [2, 10⁷] and then a second,
 * different bound).
 */
export const overrides = (issue: z.core.$ZodIssue): boolean =>
  issue.code === 'custom' && (issue as { params?: { overrides?: boolean } }).params?.overrides === true;

/**
 * One line per problem: `field "alpha": must be a number in [0, 1] (got 1.5)`. A field with several issues gets one
 * line: its first, or the rule across keys that `overrides` it.
 */
export function formatIssues(error: z.ZodError, input: unknown, where: string, allowed: readonly string[]): string {
  const byField = new Map<string, z.core.$ZodIssue>();
  for (const issue of error.issues) {
    const key = issue.code === 'unrecognized_keys' ? `\0${issue.keys.join()}` : issue.path.join('.');
    if (!byField.has(key) || overrides(issue)) byField.set(key, issue);
  }
  const lines = [...byField.values()].map((issue) => {
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

/** The full config of a preset of the family (its settings over the defaults), or undefined. */
export function presetConfigOf<C>(family: ConfigFamily<C>, name: string): C | undefined {
  const p = family.presets.find((q) => q.name === name);
  return p && { ...family.defaults, ...p.settings };
}
