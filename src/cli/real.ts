import type { Command } from 'commander';
import { UserError } from '../util/errors.js';
import { loadRealConfig, realDefaults, realPresetConfig, realPresets } from '../real/config.js';
import { formatRealSummary } from '../real/format.js';
import { runReal } from '../real/run.js';
import { progressBar } from './progress.js';

interface RealFlags {
  set: string[];
  json?: boolean;
  timings?: boolean;
  threads?: string;
  list?: boolean;
  progress: boolean;
}

export function parseThreads(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UserError(`--threads: must be an integer in [1, 256] (got ${text})`);
  return n;
}

function listPresets(): string {
  const lines: string[] = [];
  for (const p of realPresets) {
    lines.push(`${p.name}\n  ${p.description}`);
    const set = Object.entries(p.settings).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    if (set.length) lines.push(`  settings: ${set.join(' ')}`);
  }
  lines.push('', 'every preset starts from the defaults (keys for YAML files and --set):');
  for (const [k, v] of Object.entries(realDefaults)) lines.push(`  ${k}: ${JSON.stringify(v)}`);
  return lines.join('\n');
}

export function registerReal(program: Command): void {
  program
    .command('real')
    .description('real-data transfer: upstream, transfer and scratch CNNs on MNIST, Fashion-MNIST or your images')
    .argument('[preset|config.yaml]', `a preset (${realPresets.map((p) => p.name).join(', ')}) or a YAML file of config keys`)
    .option('--set <key=value>', 'override a config key (repeatable; lists as [5,6,7])', (v, acc: string[]) => [...acc, v], [])
    .option('--json', 'print one JSON object on stdout instead of the summary')
    .option('--timings', 'include wall-clock seconds and images/s (makes output non-reproducible)')
    .option('--threads <n>', 'threads to use (default 2; results do not depend on it)')
    .option('--list', 'list the presets and every config key with its default')
    .option('--no-progress', 'never show a progress bar')
    .action((source: string | undefined, flags: RealFlags) => {
      if (flags.list) {
        process.stdout.write(flags.json ? JSON.stringify(realPresets.map((p) => ({ ...p, config: realPresetConfig(p) }))) + '\n' : listPresets() + '\n');
        return;
      }
      if (!source) throw new UserError(`real: give a preset (${realPresets.map((p) => p.name).join(', ')}) or a config file (see --list)`);
      const config = loadRealConfig(source, flags.set);
      const threads = parseThreads(flags.threads);
      let bar: ReturnType<typeof progressBar> | undefined;
      const run = runReal(config, {
        threads,
        onProgress: (p) => {
          bar ??= progressBar(p.total, flags.progress && !flags.json, 'training', { unit: 'images', rate: true });
          bar.update(p.images, { phase: p.phase });
        },
      });
      bar?.stop();
      if (flags.json) {
        const out = flags.timings ? { ...run.result, timings: run.timings } : run.result;
        process.stdout.write(JSON.stringify(out) + '\n');
      } else {
        process.stdout.write(formatRealSummary(run.result, source, flags.timings ? run.timings : undefined) + '\n');
      }
    });
}
