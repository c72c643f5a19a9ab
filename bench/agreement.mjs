#!/usr/bin/env node
/**
 * `npm run bench:agreement [-- --seeds 8 --presets positive-transfer,… --no-explicit --no-build --json]`
 *
 * Does `paratransfer run` compute the experiment of docs/model.md? The NumPy peer
 * (bench/peers/synthetic_numpy.py) is an independent implementation with its own random streams, so single
 * runs differ; over seeds 0…S−1 of each preset the mean clean test errors must agree within their standard
 * errors. Runs the CLI with the default sampler (subspace) and, unless --no-explicit, with explicit vectors
 * in ℝ^d, and the peer on one BLAS thread (only its numbers matter here). Prints mean ± standard error per
 * run type and z = (ours − peer) / √(se_ours² + se_peer²); |z| < 3 is agreement at this sample size.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { benchArgs, numpyPython, peerFigures, privateBuild, root, syntheticPeer } from './common.mjs';

const { flag, has } = benchArgs();
const seeds = Number(flag('seeds', '8'));
const presets = flag('presets', 'positive-transfer,negative-transfer,no-shared-signal').split(',');
const explicit = !has('no-explicit');
const python = numpyPython();
const bin = privateBuild('paratransfer-bench', has('no-build'));
const log = (s) => process.stderr.write(`${s}\n`);

function run(cmd, argv, env = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

const ours = (preset, seed, extra) => {
  const out = JSON.parse(run(process.execPath, [bin, 'run', preset, '--set', `seed=${seed}`, ...extra, '--json']));
  return [out.upstream.testError, out.transfer.testError, out.scratch.testError];
};
const peer = (preset, seed) =>
  peerFigures(run(python, [syntheticPeer, '--preset', preset, '--seed', String(seed)], { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' })).errors;

function meanSe(xs) {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, n - 1);
  return { mean, se: Math.sqrt(variance / n) };
}

const sources = [
  ['paratransfer (subspace)', (p, s) => ours(p, s, [])],
  ...(explicit ? [['paratransfer (explicit)', (p, s) => ours(p, s, ['--set', 'sampler=explicit'])]] : []),
  ['NumPy peer', peer],
];
const loads = [loadavg()[0]];
const results = [];
for (const preset of presets) {
  const errors = Object.fromEntries(sources.map(([name]) => [name, []]));
  for (let seed = 0; seed < seeds; seed++) {
    for (const [name, fn] of sources) errors[name].push(fn(preset, seed));
    log(`${preset} seed ${seed}: ${sources.map(([name]) => `${name} ${errors[name][seed].join(' / ')}`).join('; ')}`);
  }
  loads.push(loadavg()[0]);
  const runs = ['upstream', 'transfer', 'scratch', 'gain'];
  const pick = (rows, k) => rows.map((e) => (k === 3 ? e[2] - e[1] : e[k]));
  const stats = Object.fromEntries(sources.map(([name]) => [name, runs.map((_, k) => meanSe(pick(errors[name], k)))]));
  results.push({ preset, seeds, stats, errors });
}

if (has('json')) {
  process.stdout.write(JSON.stringify({ seeds, presets, results }) + '\n');
} else {
  const f = (x) => `${x.mean.toFixed(4)} ± ${x.se.toFixed(4)}`;
  const z = (a, b) => ((a.mean - b.mean) / Math.hypot(a.se, b.se || 1e-12)).toFixed(1);
  const ourNames = sources.map(([n]) => n).filter((n) => n !== 'NumPy peer');
  const lines = [
    `| preset | error | ${sources.map(([n]) => n).join(' | ')} | ${ourNames.map((n) => `z ${n.replace('paratransfer ', '')}`).join(' | ')} |`,
    `|---|---|${sources.map(() => '---:').join('|')}|${ourNames.map(() => '---:').join('|')}|`,
  ];
  for (const r of results) {
    ['upstream', 'transfer', 'scratch', 'gain Δ'].forEach((what, k) => {
      const peerStat = r.stats['NumPy peer'][k];
      lines.push(
        `| ${k === 0 ? r.preset : ''} | ${what} | ${sources.map(([n]) => f(r.stats[n][k])).join(' | ')} | ` +
          `${ourNames.map((n) => z(r.stats[n][k], peerStat)).join(' | ')} |`,
      );
    });
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`seeds 0–${seeds - 1}; mean ± standard error over seeds; load average (1 min) ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}\n`);
}
