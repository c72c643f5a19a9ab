import { syntheticStudy } from '../experiment/study.js';
import { realStudy } from '../real/study.js';
import { UserError } from '../util/errors.js';
import type { AnyStudy } from './types.js';

/**
 * Every study, the default first: a spec without `family:`, a job payload without `kind:` and a stored plan of
 * an earlier version all mean the first. A new study is one line here.
 */
export const studies: readonly AnyStudy[] = [syntheticStudy, realStudy];

/** The default study (the first): what a spec without `family:` or a payload without `kind:` runs. */
export const defaultStudy: AnyStudy = studies[0];

export const studyNames: readonly string[] = studies.map((s) => s.name);

/** The names as a choice in messages: "synthetic or real". */
export const studyChoice = studyNames.length < 2 ? studyNames.join('') : `${studyNames.slice(0, -1).join(', ')} or ${studyNames[studyNames.length - 1]}`;

/** The study of that name (absent: the default); a one-line error naming the allowed ones otherwise. */
export function studyNamed(name: string | undefined, where = 'study'): AnyStudy {
  if (name === undefined) return defaultStudy;
  const s = studies.find((x) => x.name === name);
  if (!s) throw new UserError(`${where}: unknown study "${name}" (must be ${studyChoice})`);
  return s;
}

/** The study whose CLI command this is. */
export const studyOfCommand = (command: string): AnyStudy | undefined => studies.find((s) => s.command === command);

/** The study a full config belongs to: the one whose keys are exactly the config's (schemas are strict). */
export function studyOfConfig(config: object): AnyStudy {
  const keys = Object.keys(config);
  const s = studies.find((x) => x.configs.keys.length === keys.length && keys.every((k) => x.configs.keys.includes(k)));
  if (!s) throw new Error(`a config with keys ${keys.join(', ')} belongs to no study`);
  return s;
}

/**
 * The study a partial mapping of config keys belongs to: the one that knows the most of them, or undefined when
 * that is a tie (keys several studies share, such as alpha or n1, or keys none knows).
 */
export function studyOfKeys(keys: readonly string[]): AnyStudy | undefined {
  const known = studies.map((s) => keys.filter((k) => s.configs.keys.includes(k)).length);
  const best = Math.max(...known);
  return known.filter((n) => n === best).length === 1 ? studies[known.indexOf(best)] : undefined;
}

/** The study that has a preset of this name. */
export const studyOfPreset = (name: string): AnyStudy | undefined =>
  studies.find((s) => s.configs.presets.some((p) => p.name === name));
