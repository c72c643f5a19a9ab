import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { AnyStudy, ConfigFamily } from '../study/types.js';
import { UserError } from '../util/errors.js';
import { experimentConfigs } from './presets.js';
import { experimentKeys } from './schema.js';
import { parseOverrideWith, presetConfigOf, unknownKeysMessage, validateWith } from './validate.js';

export { formatIssues, parseOverrideWith, presetConfigOf, validateWith } from './validate.js';

/**
 * Resolve `<preset|config.yaml>` plus `--set` overrides into a validated config.
 * A YAML file holds any subset of the keys; the rest come from the family's defaults. `onEmptyFile` hears of a
 * file that sets no key at all (the CLI prints a note naming the defaults used).
 */
export function loadWith<C>(family: ConfigFamily<C>, source: string, overrides: string[] = [], onEmptyFile?: (file: string) => void): C {
  let base: Record<string, unknown>;
  let where: string;
  const preset = presetConfigOf(family, source);
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
    // An empty file is a valid config (every key at its default), but rarely what was meant: say so.
    if (!Object.keys(doc).length) onEmptyFile?.(source);
    const unknown = Object.keys(doc).filter((k) => !family.keys.includes(k));
    if (unknown.length) throw new UserError(unknownKeysMessage(source, unknown, family.keys));
    base = { ...family.defaults, ...(doc as Record<string, unknown>) };
  } else {
    throw new UserError(
      `"${source}" is neither a ${family.presetNoun} (${family.presets.map((p) => p.name).join(', ')}) nor an existing config file`,
    );
  }
  for (const o of overrides) {
    const [k, v] = parseOverrideWith(family.keys, o);
    base[k] = v;
  }
  return validateWith(family, base, overrides.length ? `${where} with --set` : where);
}

/** Validate a synthetic config (every key); a one-line UserError per problem otherwise. */
export const validateConfig = (input: unknown, where = 'config') => validateWith(experimentConfigs, input, where);
/** Parse one `key=value` override of the synthetic experiment (the value read as YAML). */
export const parseOverride = (text: string) => parseOverrideWith(experimentKeys, text);
/** The synthetic experiment's `<preset|config.yaml>` plus `--set` overrides → a validated config. */
export const loadConfig = (source: string, overrides: string[] = []) => loadWith(experimentConfigs, source, overrides);

/** A study's `<preset|config.yaml>` plus `--set` overrides → a validated config of that study. */
export const loadStudyConfig = <C>(study: AnyStudy & { configs: ConfigFamily<C> }, source: string, overrides: string[] = []): C =>
  loadWith(study.configs, source, overrides);
