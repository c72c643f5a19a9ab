import type { Command } from 'commander';
import { loadWith, presetConfigOf } from '../config/load.js';
import { availableParallelism } from 'node:os';
import { guardRuns } from '../study/guard.js';
import type { AnyStudy, StudyResult } from '../study/types.js';
import { formatSeeds, summarizeSeeds } from '../study/verdict.js';
import { UserError } from '../util/errors.js';
import { progressBar, type Progress } from './progress.js';

interface StudyFlags {
  set: string[];
  seeds?: string;
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

/** `--seeds K`: a count of paired seeds. */
export function parseSeeds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new UserError(`--seeds: must be an integer in [1, 10000] (got ${text})`);
  return n;
}

const note = (text: string) => process.stderr.write(`paratransfer: note: ${text}\n`);

/** The config keys and values in one line, for the note about a config file that set none. */
const defaultsLine = (study: AnyStudy) =>
  Object.entries(study.configs.defaults as Record<string, unknown>)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');

/** The theory's prediction for a config, when the study has a theory (`theory` in --json). */
const theoryOf = (study: AnyStudy, config: object) => (study.theory ? { theory: study.theory.predict(config) } : {});

/**
 * `--seeds K`: the K paired seeds seed, seed+1, … of one config, run as jobs of the sweep system's worker pool (one
 * job per core, each on one thread: results are those of single runs, whatever the thread count).
 */
async function runSeeds(study: AnyStudy, config: Record<string, unknown>, k: number, engine: string, threads: number | undefined, showProgress: boolean) {
  const [{ LocalPoolQueue }, { runConfigs }] = await Promise.all([import('../sweep/queue.js'), import('./jobs.js')]);
  const first = config.seed as number;
  const configs = Array.from({ length: k }, (_, i) => ({ ...config, seed: first + i }));
  return runConfigs(configs, {
    engine,
    queue: new LocalPoolQueue(Math.min(k, threads ?? availableParallelism())),
    progress: { enabled: showProgress, label: 'seeds', opts: { quietSeconds: 10 } },
    failure: (i, error) => `seed ${first + i}: ${error}`,
  });
}

/**
 * `paratransfer <study.command> <preset|config.yaml>`: one run of a study (upstream, transfer, scratch) with a
 * readable summary or one JSON object, or with `--seeds K` K paired seeds with the gain's interval and a verdict.
 * Every study gets the same command; its options follow what the study offers (a choice of engines, saving its
 * networks). The resource guard prices the work first (study/guard.ts).
 */
export function registerStudyCommand(study: AnyStudy): (program: Command) => void {
  return (program) => {
    const names = study.configs.presets.map((p) => p.name);
    const cmd = program
      .command(study.command)
      .description(study.description)
      .argument('[preset|config.yaml]', `a preset (${names.join(', ')}) or a YAML file of config keys`)
      .option('--set <key=value>', 'override a config key (repeatable; values are YAML: 0.5, true, [5,6,7])', (v, acc: string[]) => [...acc, v], [])
      .option('--seeds <K>', 'run K paired seeds (seed, seed+1, …) on all cores: per-seed gains, the mean gain with its 95% interval, a verdict')
      .option('--json', 'print one JSON object on stdout instead of the summary')
      .option('--timings', 'include wall-clock seconds (makes output non-reproducible)')
      .option('--threads <n>', 'threads for the kernels (default: up to 2; results do not depend on it); with --seeds, runs at once')
      .option('--list', 'list the presets and every config key with its default')
      .option('--no-progress', 'never show progress (a bar on a terminal, else a line per tenth of long work)');
    if (study.engines.length > 1) {
      cmd.option('--engine <name>', `training engine (${study.engines.join(', ')})`, study.defaultEngine);
    }
    if (study.save) cmd.option('--save <dir>', 'also write the networks, initialisations and data (safetensors) into this directory');
    if (study.upstreamFile) cmd.option('--upstream <file>', `start from this upstream network instead of training it: ${study.upstreamFile}`);
    cmd.action(async (source: string | undefined, flags: StudyFlags) => {
      if (flags.list) {
        process.stdout.write((flags.json ? JSON.stringify(presetObjects(study)) : presetListing(study)) + '\n');
        return;
      }
      if (!source) throw new UserError(`${study.command}: give a preset (${names.join(', ')}) or a config file (see --list)`);
      const seeds = parseSeeds(flags.seeds);
      const threads = parseThreads(flags.threads);
      if (seeds !== undefined && flags.save) {
        throw new UserError('--save writes one run: drop --seeds, or save the seed you want with --set seed=N --save DIR');
      }
      const config = loadWith(study.configs, source, flags.set, (empty) =>
        note(`${empty} sets no keys: running the ${study.title}'s defaults: ${defaultsLine(study)}`),
      );
      const engine = flags.engine ?? study.defaultEngine;
      if (!study.engines.includes(engine)) {
        throw new UserError(`--engine: unknown engine "${engine}" (allowed: ${study.engines.join(', ')})`);
      }
      const seedConfigs = Array.from({ length: seeds ?? 1 }, (_, i) => ({ ...config, seed: config.seed + i }));
      const announce = await guardRuns(study, seedConfigs, {
        engine,
        workers: seeds === undefined ? 1 : Math.min(seeds, threads ?? availableParallelism()),
        describe: () => 'this config',
      });
      if (announce) note(announce);
      const showProgress = flags.progress && !flags.json;

      if (seeds !== undefined) {
        const runs = await runSeeds(study, config, seeds, engine, threads, flags.progress);
        const summary = summarizeSeeds(runs.map((r) => r.result));
        const warnings = summary.runs.flatMap((r) => (r.warnings ?? []).map((w) => `seed ${(r.config as { seed: number }).seed}: ${w}`));
        if (flags.json) {
          const { mean, low, high } = summary.gain;
          const out = {
            runs: summary.runs,
            seeds: summary.seeds,
            gain: { mean, low, high },
            verdict: summary.verdict,
            ...theoryOf(study, config),
            ...(warnings.length ? { warnings } : {}),
            ...(flags.timings ? { timings: { seconds: runs.map((r) => r.seconds) } } : {}),
          };
          for (const w of warnings) process.stderr.write(`paratransfer: warning: ${w}\n`);
          process.stdout.write(JSON.stringify(out) + '\n');
          return;
        }
        process.stdout.write(formatSeeds(study, summary, source) + '\n');
        return;
      }

      let bar: Progress | undefined;
      const run = await study.run(config, {
        engine,
        threads,
        keepWeights: Boolean(flags.save),
        upstream: flags.upstream,
        onProgress: (p) => {
          bar ??= progressBar(p.total, showProgress, 'training', { unit: p.unit, rate: p.unit !== 'steps', quietSeconds: 10 });
          bar.update(p.done, { phase: p.phase });
        },
      });
      bar?.stop();
      const result = run.result as StudyResult;
      const saved = flags.save && study.save ? await study.save(flags.save, run) : [];
      if (flags.json) {
        for (const w of result.warnings ?? []) process.stderr.write(`paratransfer: warning: ${w}\n`);
        const out = { ...result, ...theoryOf(study, config) };
        process.stdout.write(JSON.stringify(flags.timings ? { ...out, timings: run.timings } : out) + '\n');
        return;
      }
      const lines = [study.format(run.result, { source, timings: flags.timings ? run.timings : undefined })];
      for (const w of result.warnings ?? []) lines.push(`  warning: ${w}`);
      if (saved.length) lines.push(`  saved ${saved.length} files in ${flags.save}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
  };
}
