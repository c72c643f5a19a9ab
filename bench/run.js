#!/usr/bin/env node
/**
 * `npm run bench [-- <name> …] [options]`: run the named benchmarks (`dense` when none is named) against the
 * built library in dist/ (`npm run build` first). The other words are passed on to each benchmark:
 *   dense  dense engine on the positive-transfer preset vs the NumPy peer (bench/dense.js: --reps N, --threads N,
 *          --ts, --json)
 *   cnn    CNN engine training throughput vs the PyTorch peer (`paratransfer bench cnn`: --json, --repeat K, …)
 *   scores transferability scores vs the NumPy peer (bench/scores.js: --sizes N×D×C,…, --reps K, --no-peer, --json)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

const benchmarks = {
  dense: {
    about: 'dense engine on the positive-transfer preset vs the NumPy peer',
    run: async (args) => (await import('./dense.js')).run(args),
  },
  scores: {
    about: 'transferability scores (LogME, H-score, TransRate, k-NN) vs the NumPy peer',
    run: async (args) => (await import('./scores.js')).run(args),
  },
  cnn: {
    about: 'CNN engine training throughput vs the PyTorch peer',
    run: (args) => {
      const r = spawnSync(process.execPath, [join(root, 'bin', 'paratransfer.js'), 'bench', 'cnn', ...args], {
        stdio: 'inherit',
      });
      if (r.status !== 0) process.exit(r.status ?? 1);
    },
  },
};

const args = process.argv.slice(2);
// names are the words that are neither options nor option values (numbers, or the word after a flag that takes one)
const valueFlags = new Set(['--sizes', '--reps']);
const named = args.filter((a, i) => !a.startsWith('-') && !/^\d+$/.test(a) && !valueFlags.has(args[i - 1]));
const unknown = named.filter((n) => !(n in benchmarks));
if (unknown.length) {
  const list = Object.entries(benchmarks).map(([n, b]) => `  ${n}: ${b.about}`);
  console.error(`bench: unknown benchmark "${unknown[0]}"; available:\n${list.join('\n')}`);
  process.exit(1);
}
if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('bench: dist/ is missing: run `npm run build` first');
  process.exit(1);
}
const options = args.filter((a) => !named.includes(a));
for (const name of named.length ? named : ['dense']) await benchmarks[name].run(options);
