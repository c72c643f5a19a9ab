import type { Command } from 'commander';
import { loadWith, presetConfigOf } from '../config/load.js';
import type { AnyStudy } from '../study/types.js';
import { UserError } from '../util/errors.js';
import { progressBar, type Progress } from './progress.js';

interface StudyFlags {
  set: string[];
  json?: boolean;
  timings?: boolean;
  threads?: string;
  engine?: string;
  save?: string;
  upstream?: string;
  list?: boolean;
  progress: boolean;
}

export function parseThreads(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UserError(`--threads: must be an integer in [1, 256] (got ${text})`);
  return n;
}

/** A study's presets and every key with its default, as text (`presets`, `<command> --list`). */
export function presetListing(study: AnyStudy): string {
  const { configs } = study;
  const lines: string[] = [];
  for (const p of configs.presets) {
    lines.push(`${p.name}\n  ${p.description}`);
    const set = Object.entries(p.settings).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    if (set.length) lines.push(`  settings: ${set.join(' ')}`);
  }
  lines.push('', `every preset of the ${study.title} starts from the defaults (keys for YAML files and --set):`);
  for (const [k, v] of Object.entries(configs.defaults as Record<string, unknown>)) lines.push(`  ${k}: ${JSON.stringify(v)}`);
  return lines.join('\n');
}

/** A study's presets with their full configs, as JSON objects. */
export const presetObjects = (study: AnyStudy) =>
  study.configs.presets.map((p) => ({ study: study.name, name: p.name, description: p.description, config: presetConfigOf(study.configs, p.name) }));

/**
 * `paratransfer <study.command> <preset|config.yaml>`: one run of a study (upstream, transfer, scratch) with a
 * readable summary or one JSON object. Every study gets the same command; its options follow what the study offers
 * (a choice of engines, saving its networks).
 */
export function registerStudyCommand(study: AnyStudy): (program: Command) => void {
  return (program) => {
    const names = study.configs.presets.map((p) => p.name);
    const cmd = program
      .command(study.command)
      .description(study.description)
      .argument('[preset|config.yaml]', `a preset (${names.join(', ')}) or a YAML file of config keys`)
      .option('--set <key=value>', 'override a config key (repeatable; values are YAML: 0.5, true, [5,6,7])', (v, acc: string[]) => [...acc, v], [])
      .option('--json', 'print one JSON object on stdout instead of the summary')
      .option('--timings', 'include wall-clock seconds (makes output non-reproducible)')
      .option('--threads <n>', 'threads for the kernels (default: up to 2; results do not depend on it)')
      .option('--list', 'list the presets and every config key with its default')
      .option('--no-progress', 'never show a progress bar');
    if (study.engines.length > 1) {
      cmd.option('--engine <name>', `training engine (${study.engines.join(', ')})`, study.defaultEngine);
    }
    if (study.save) cmd.option('--save <dir>', 'also write the trained networks and the data (safetensors) into this directory');
    if (study.upstreamFile) cmd.option('--upstream <file>', `start from this upstream network instead of training it: ${study.upstreamFile}`);
    cmd.action(async (source: string | undefined, flags: StudyFlags) => {
      if (flags.list) {
        process.stdout.write((flags.json ? JSON.stringify(presetObjects(study)) : presetListing(study)) + '\n');
        return;
      }
      if (!source) throw new UserError(`${study.command}: give a preset (${names.join(', ')}) or a config file (see --list)`);
      const config = loadWith(study.configs, source, flags.set);
      const engine = flags.engine ?? study.defaultEngine;
      if (!study.engines.includes(engine)) {
        throw new UserError(`--engine: unknown engine "${engine}" (allowed: ${study.engines.join(', ')})`);
      }
      let bar: Progress | undefined;
      const run = await study.run(config, {
        engine,
        threads: parseThreads(flags.threads),
        keepWeights: Boolean(flags.save),
        upstream: flags.upstream,
        onProgress: (p) => {
          bar ??= progressBar(p.total, flags.progress && !flags.json, 'training', { unit: p.unit, rate: p.unit !== 'steps' });
          bar.update(p.done, { phase: p.phase });
        },
      });
      bar?.stop();
      const saved = flags.save && study.save ? await study.save(flags.save, run) : [];
      if (flags.json) {
        process.stdout.write(JSON.stringify(flags.timings ? { ...run.result, timings: run.timings } : run.result) + '\n');
        return;
      }
      process.stdout.write(study.format(run.result, { source, timings: flags.timings ? run.timings : undefined }) + '\n');
      if (saved.length) process.stdout.write(`  saved ${saved.length} files in ${flags.save}\n`);
    });
  };
}
