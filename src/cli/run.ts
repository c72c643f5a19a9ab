import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { getEngine, engineNames } from '../engine/registry.js';
import { runExperiment, type Phase } from '../experiment/run.js';
import { formatRunSummary } from './format.js';
import { progressBar } from './progress.js';
import { saveWeights } from './weights.js';

interface RunFlags {
  set: string[];
  json?: boolean;
  engine: string;
  timings?: boolean;
  save?: string;
  progress: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run upstream, transfer and scratch training on a preset or a YAML config')
    .argument('<preset|config.yaml>', 'a preset name (see `paratransfer presets`) or a YAML file of config keys')
    .option('--set <key=value>', 'override a config key (repeatable)', (v, acc: string[]) => [...acc, v], [])
    .option('--json', 'print one JSON object on stdout instead of the summary')
    .option('--engine <name>', `training engine (${engineNames.join(', ')}; auto picks the cheaper exact one)`, 'auto')
    .option('--timings', 'include wall-clock seconds per phase (makes output non-reproducible)')
    .option('--save <dir>', 'write the trained weights (safetensors) into this directory')
    .option('--no-progress', 'never show a progress bar')
    .action((source: string, flags: RunFlags) => {
      const config = loadConfig(source, flags.set);
      const engine = getEngine(flags.engine);
      const bar = progressBar(3 * config.steps, flags.progress && !flags.json);
      const order: Phase[] = ['upstream', 'transfer', 'scratch'];
      const run = runExperiment(config, {
        engine,
        keepWeights: Boolean(flags.save),
        onProgress: (phase, step, steps) => bar.update(order.indexOf(phase) * steps + step, { phase }),
      });
      bar.stop();
      if (flags.save && run.weights) saveWeights(flags.save, run.weights, config);
      const out = flags.timings ? { ...run.result, timings: run.timings } : run.result;
      if (flags.json) {
        process.stdout.write(JSON.stringify(out) + '\n');
      } else {
        process.stdout.write(formatRunSummary(run.result, source) + '\n');
        if (flags.timings) {
          const t = run.timings;
          process.stdout.write(
            `  timings: upstream ${t.upstream.toFixed(2)} s, transfer ${t.transfer.toFixed(2)} s, scratch ${t.scratch.toFixed(2)} s\n`,
          );
        }
        if (flags.save) process.stdout.write(`  weights saved in ${join(flags.save)}\n`);
      }
    });
}
