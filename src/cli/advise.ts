import type { Command } from 'commander';
import { loadWith, parseOverrideWith } from '../config/load.js';
import { validateWith } from '../config/validate.js';
import { studies } from '../study/registry.js';
import type { AdviceJson, AnyStudy, StudyAdvisor } from '../study/types.js';
import { writeFileAtomic } from '../io/atomic.js';
import { tInterval } from '../sweep/stats.js';
import { UserError } from '../util/errors.js';
import { runConfigs } from './jobs.js';
import { makeQueue, parseWorkers } from './sweep.js';
import { percent, signedPoints } from '../study/verdict.js';

/**
 * `paratransfer advise`: should this task inherit from that upstream network, and how much? Three ways in, one
 * answer (docs/theory.md §11): the theory alone for a config (< 1 s), `--simulate` (the exact engine at every α with
 * K paired seeds), and data mode (the theory's inputs estimated from the two training sets). The study decides what
 * advice means: its `advisor` (src/study/types.ts); a study without one cannot be advised.
 */

interface AdviseFlags {
  set: string[];
  alphas?: string;
  simulate?: boolean;
  seeds?: string;
  dataset?: string;
  upstreamDataset?: string;
  engine?: string;
  workers?: string;
  json?: boolean;
  progress: boolean;
  upstream?: string;
  benchmark?: string;
  [study: string]: unknown;
}

type Advised = AnyStudy & { advisor: StudyAdvisor<unknown> };

/** The studies that offer advice: the first is advised by default, each other one with its `--<name>` flag. */
const advising = () => studies.filter((x) => x.advisor) as Advised[];
const flagged = () => advising().slice(1);

/** The study advise runs: the one flagged, or the first registered study with an advisor. */
function advisedStudy(flags: AdviseFlags): Advised {
  const all = advising();
  if (!all.length) throw new UserError('advise: no study offers advice');
  const chosen = flagged().filter((s) => flags[s.name] === true);
  if (chosen.length > 1) throw new UserError(`--${chosen[0].name} and --${chosen[1].name} exclude each other: advise one study at a time`);
  return chosen[0] ?? all[0];
}

/** `--alphas`: a comma-separated list of α in [0, 1], or a:step:b (both ends included). */
export function parseAlphas(text: string | undefined): number[] {
  if (text === undefined) return Array.from({ length: 11 }, (_, i) => i / 10);
  const bad = (why: string) => new UserError(`--alphas: ${why} (got "${text}"); give a list such as 0,0.25,0.5,1 or a range 0:0.1:1`);
  let values: number[];
  const range = /^\s*([^:]+):([^:]+):([^:]+)\s*$/.exec(text);
  if (range) {
    const [a, step, b] = range.slice(1).map(Number);
    if (![a, step, b].every(Number.isFinite) || step <= 0 || b < a) throw bad('a range a:step:b needs numbers with step > 0 and b ≥ a');
    const n = Math.floor((b - a) / step + 1e-9);
    if (n > 1000) throw bad('at most 1001 values');
    values = Array.from({ length: n + 1 }, (_, i) => Number((a + i * step).toPrecision(12)));
  } else {
    const parts = text.split(',').map((s) => s.trim());
    if (parts.some((p) => p === '')) throw bad('empty value');
    for (const p of parts) {
      const v = Number(p);
      if (!Number.isFinite(v) || v < 0 || v > 1) throw bad(`${p} is not a number in [0, 1]`);
    }
    values = parts.map(Number);
  }
  if (!values.length) throw bad('no values');
  for (const v of values) if (!Number.isFinite(v) || v < 0 || v > 1) throw bad(`${v} is not a number in [0, 1]`);
  if (new Set(values).size !== values.length) throw bad('a value is listed twice');
  return [...values].sort((x, y) => x - y);
}

function parseSeeds(text: string | undefined): number {
  if (text === undefined) return 3;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isInteger(n) || n < 2 || n > 1000) {
    throw new UserError(`--seeds: must be an integer in [2, 1000] (paired seeds per α; 2 at least for an interval), got "${text}"`);
  }
  return n;
}

/** The config to advise on: a preset or file with --set (config mode), or the estimates from two training sets (data mode). */
async function resolveConfig(study: Advised, source: string | undefined, flags: AdviseFlags) {
  const data = flags.dataset !== undefined || flags.upstreamDataset !== undefined;
  if (data && !study.advisor.estimate) throw new UserError(`advise: the ${study.title} cannot estimate its inputs from data (--dataset, --upstream-dataset)`);
  if (source !== undefined && data) {
    throw new UserError('advise: give a preset or config file, or --dataset with --upstream-dataset, not both');
  }
  if (!data) {
    if (source === undefined) {
      const names = study.configs.presets.map((p) => p.name).join(', ');
      const dataMode = study.advisor.estimate ? ', or --dataset T2.safetensors --upstream-dataset T1.safetensors' : '';
      throw new UserError(`advise: give a preset (${names}) or a config file${dataMode}`);
    }
    return { config: loadWith(study.configs, source, flags.set), estimated: undefined };
  }
  if (flags.dataset === undefined) throw new UserError('--upstream-dataset needs --dataset (the downstream task’s training set)');
  if (flags.upstreamDataset === undefined) throw new UserError('--dataset needs --upstream-dataset (the upstream task’s training set)');
  // --set may give what data cannot tell (m, steps, η, σ₀, …) but not what is estimated.
  const base = { ...(study.configs.defaults as Record<string, unknown>) };
  for (const o of flags.set) {
    const [k, v] = parseOverrideWith(study.configs.keys, o);
    if (study.advisor.estimatedKeys?.includes(k)) throw new UserError(`--set ${k}: estimated from the data in data mode; drop it`);
    base[k] = v;
  }
  const validBase = validateWith(study.configs, base, 'defaults with --set');
  return study.advisor.estimate!({ downstream: flags.dataset, upstream: flags.upstreamDataset }, validBase);
}

/** `--simulate`: every α > 0 at K paired seeds on the exact engine; the measured gain's mean and 95% t-interval per α. */
async function simulate(
  study: Advised,
  config: Record<string, unknown>,
  alphas: readonly number[],
  seeds: number,
  flags: AdviseFlags,
): Promise<Map<number, { mean: number; lo: number; hi: number }>> {
  const first = typeof config.seed === 'number' ? config.seed : 0;
  const jobs = alphas
    .filter((a) => a > 0)
    .flatMap((alpha) => Array.from({ length: seeds }, (_, s) => ({ alpha, config: { ...config, alpha, seed: first + s } })));
  const runs = await runConfigs(
    jobs.map((j) => j.config),
    {
      engine: flags.engine ?? study.defaultEngine,
      queue: makeQueue(parseWorkers(flags.workers)),
      progress: { enabled: flags.progress && !flags.json, label: 'simulating' },
      failure: (i, error) => `advise --simulate: the run at α = ${jobs[i].alpha}, seed ${jobs[i].config.seed} failed: ${error}`,
    },
  );
  const gains = new Map<number, number[]>();
  runs.forEach((r, i) => gains.set(jobs[i].alpha, [...(gains.get(jobs[i].alpha) ?? []), study.advisor.measuredGain(r.result)]));
  const out = new Map<number, { mean: number; lo: number; hi: number }>();
  for (const [alpha, g] of gains) {
    const iv = tInterval(g);
    out.set(alpha, { mean: iv.mean ?? NaN, lo: iv.lo ?? NaN, hi: iv.hi ?? NaN });
  }
  return out;
}

const pct = (x: number) => percent(x, 1);
const pts = (x: number) => signedPoints(x, 1);

/** The advice as a readable table and paragraph. */
function formatAdvice(a: AdviceJson, source: string): string {
  const lines = [`paratransfer advise ${source}`];
  if (a.estimated) {
    lines.push('  estimated from the data: ' + Object.entries(a.estimated).map(([k, v]) => `${k}=${Number(v.toPrecision(4))}`).join(' '));
  }
  const measured = a.alphas.some((x) => x.measuredGain !== undefined);
  lines.push('', `  α       predicted transfer error   predicted gain${measured ? '   measured gain [95% interval]' : ''}`);
  for (const x of a.alphas) {
    const m =
      x.measuredGain === undefined
        ? x.alpha === 0 && measured
          ? '   0 (scratch)'
          : ''
        : `   ${pts(x.measuredGain)} [${x.measuredGainInterval ? `${pts(x.measuredGainInterval[0])}, ${pts(x.measuredGainInterval[1])}` : '—'}] points`;
    lines.push(`  ${String(x.alpha).padEnd(6)}  ${pct(x.predictedTransferError ?? NaN).padStart(24)}   ${`${pts(x.predictedGain ?? NaN)} points`.padStart(14)}${m}`);
  }
  lines.push(`  scratch error (predicted): ${pct(a.predictedScratchError ?? NaN)}`, '');
  lines.push(`  decision: ${a.decision}${a.decision === 'transfer' ? `, α = ${a.recommendedAlpha}` : ''}`);
  lines.push(`  ${a.reason}`);
  return lines.join('\n');
}

export function registerAdvise(program: Command): void {
  const cmd = program
    .command('advise')
    .description(
      `should the downstream task inherit from the upstream network, and how much? (theory, simulation or data)${flagged()
        .map((s) => `; with --${s.name}, the ${s.title}'s advisor`)
        .join('')}`,
    )
    .argument('[preset|config.yaml]', 'a preset or a YAML config file (config mode)');
  for (const s of flagged()) cmd.option(`--${s.name}`, `advise on a config of the ${s.title}`);
  cmd
    .option('--set <key=value>', 'override a config key (repeatable; in data mode only keys the data do not tell)', (v, acc: string[]) => [...acc, v], [])
    .option('--alphas <list>', 'candidate α values: a list 0,0.25,1 or a range 0:0.1:1', '0:0.1:1')
    .option('--simulate', 'also run the exact engine at every α with paired seeds and recommend from the measurements')
    .option('--seeds <K>', 'paired seeds per α with --simulate (default 3); with --benchmark, advise from the upstream networks of the sweep’s first K seeds (default 1)')
    .option('--dataset <file>', 'data mode: the downstream task’s training set (X [N, P, d], y), as run --save writes it')
    .option('--upstream-dataset <file>', 'data mode: the upstream task’s training set')
    .option('--engine <name>', 'training engine for --simulate')
    .option('--workers <n>', 'worker threads for --simulate (default: all cores; 0 runs in this thread)')
    .option('--upstream <file>', 'start from this upstream network file instead of training it (studies whose runs can)')
    .option('--benchmark <dir>', "score the advisor and the baseline scores against the measured gains of the study's benchmark sweep in DIR")
    .option('--json', 'print one JSON object')
    .option('--no-progress', 'never show a progress bar')
    .action(async (source: string | undefined, flags: AdviseFlags) => {
      const study = advisedStudy(flags);
      if (flags.benchmark !== undefined) {
        if (!study.advisor.benchmark) throw new UserError(`--benchmark: the ${study.title}'s advisor has no benchmark`);
        if (source !== undefined || flags.simulate || flags.upstream !== undefined) {
          throw new UserError('--benchmark: give only the sweep directory (no config, --simulate or --upstream)');
        }
        const networks = flags.seeds === undefined ? 1 : Number(flags.seeds);
        if (!Number.isInteger(networks) || networks < 1 || networks > 1000) {
          throw new UserError(`--seeds: with --benchmark, the number of upstream networks (the sweep's first seeds) to advise from: an integer in [1, 1000], got "${flags.seeds}"`);
        }
        const b = await study.advisor.benchmark(flags.benchmark, { progress: flags.progress && !flags.json, networks });
        writeFileAtomic(`${flags.benchmark}/advisor-benchmark.json`, JSON.stringify(b.json, null, 2) + '\n');
        writeFileAtomic(`${flags.benchmark}/advisor-benchmark.md`, b.text + '\n');
        process.stdout.write(flags.json ? JSON.stringify(b.json) + '\n' : b.text + '\n');
        return;
      }
      if (flags.upstream !== undefined && !study.upstreamFile) throw new UserError(`--upstream: the ${study.title} cannot start from a network file`);
      const alphas = parseAlphas(flags.alphas);
      if (flags.seeds !== undefined && !flags.simulate) throw new UserError('--seeds: only with --simulate');
      if ((flags.engine !== undefined || flags.workers !== undefined) && !flags.simulate) {
        throw new UserError(`${flags.engine !== undefined ? '--engine' : '--workers'}: only with --simulate`);
      }
      const seeds = parseSeeds(flags.seeds);
      const engine = flags.engine ?? study.defaultEngine;
      if (!study.engines.includes(engine)) throw new UserError(`--engine: unknown engine "${engine}" (allowed: ${study.engines.join(', ')})`);
      if (flags.simulate) parseWorkers(flags.workers);
      const { config, estimated } = await resolveConfig(study, source, flags);
      const advice: AdviceJson = await study.advisor.advise(config, alphas, { upstream: flags.upstream });
      if (flags.simulate) {
        const measured = await simulate(study, config as Record<string, unknown>, alphas, seeds, flags);
        for (const x of advice.alphas) {
          const m = measured.get(x.alpha);
          if (!m) continue;
          x.measuredGain = m.mean;
          if (Number.isFinite(m.lo)) x.measuredGainInterval = [m.lo, m.hi];
        }
        // Recommend from the measurements: the α with the largest mean measured gain, if it is positive.
        let best: (typeof advice.alphas)[number] | undefined;
        for (const x of advice.alphas) if (x.measuredGain !== undefined && (!best || x.measuredGain > best.measuredGain!)) best = x;
        const alone = study.theory ? 'the theory alone' : 'the advisor alone';
        const theory = advice.decision === 'transfer' ? `${alone} recommends α = ${advice.recommendedAlpha}` : `${alone} recommends training from scratch`;
        if (best && best.measuredGain! > 0) {
          const iv = best.measuredGainInterval;
          advice.decision = 'transfer';
          advice.recommendedAlpha = best.alpha;
          advice.reason = `Measured over ${seeds} paired seeds: α = ${best.alpha} gains ${pts(best.measuredGain!)} points${
            iv ? ` (95% interval ${pts(iv[0])} to ${pts(iv[1])}${iv[0] > 0 ? '' : ', not significant'})` : ''
          }, the best of ${advice.alphas.filter((x) => x.alpha > 0).length} α's; ${theory}. ${study.theory ? 'Theory' : 'Advisor'}: ${advice.reason}`;
        } else {
          advice.decision = 'scratch';
          advice.recommendedAlpha = 0;
          advice.reason = `Measured over ${seeds} paired seeds: no α gains (best ${best ? `α = ${best.alpha}, ${pts(best.measuredGain!)} points` : '—'}); ${theory}. ${study.theory ? 'Theory' : 'Advisor'}: ${advice.reason}`;
        }
      }
      if (estimated) advice.estimated = estimated;
      // The issue's keys first, in this order; a study's advisor may add its own after them.
      const { decision, recommendedAlpha, recommendedLayers, predictedScratchError, alphas: candidates, reason, estimated: _, ...extra } = advice;
      const ordered: AdviceJson = {
        decision,
        recommendedAlpha,
        ...(recommendedLayers !== undefined ? { recommendedLayers } : {}),
        ...(predictedScratchError !== undefined ? { predictedScratchError } : {}),
        alphas: candidates,
        reason,
        ...(estimated ? { estimated } : {}),
        ...extra,
      };
      const where = source ?? `--dataset ${flags.dataset} --upstream-dataset ${flags.upstreamDataset}`;
      const format = study.advisor.format ?? formatAdvice;
      process.stdout.write(flags.json ? JSON.stringify(ordered) + '\n' : format(ordered, where) + '\n');
    });
}
