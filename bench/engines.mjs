#!/usr/bin/env node
/**
 * `npm run bench:engines [-- --d 2000,5000,… --reps 1 --dense-budget 120 --no-build --json]`
 *
 * Whole-command wall time of `paratransfer run positive-transfer --set d=D` side by side with the NumPy
 * peer (`python3 bench/peers/synthetic_numpy.py --preset positive-transfer --d D`) in one run, at each D:
 * - the default command (subspace sampler, auto engine): the target is peer / default ≥ 10 at d = 20000;
 * - explicit vectors in ℝ^d (`--set sampler=explicit`) with the coefficient engine, and with the dense engine;
 * - the peer as given (OpenBLAS picks its threads) and with one BLAS thread (OpenBLAS threads spin and
 *   collapse when other processes share the cores).
 * Reports the ratios, each process's peak memory, the seconds each tool reports for its training phases,
 * and the load average (the CPU is shared). With --reps N every figure is the fastest of N runs. Dense
 * runs only while its predicted time (linear in d from the previous point) stays under --dense-budget s.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { benchArgs, numpyPython, peerFigures, privateBuild, root, syntheticPeer as peer } from './common.mjs';

const { flag, has } = benchArgs();
const dims = flag('d', '2000,5000,10000,20000,50000,100000').split(',').map(Number);
const denseBudget = Number(flag('dense-budget', '120'));
const reps = Number(flag('reps', '1'));
const json = has('json');
const python = numpyPython();
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const bin = privateBuild('paratransfer-bench', has('no-build'));

/** Run a command; wall seconds, peak resident MB (with GNU time), stdout. */
function timed(cmd, argv, env = {}) {
  const load = loadavg()[0];
  const full = gnuTime ? [gnuTime, ['-f', '__MAXRSS_KB=%M', cmd, ...argv]] : [cmd, argv];
  const t0 = performance.now();
  const r = spawnSync(full[0], full[1], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, ...env } });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const rss = /__MAXRSS_KB=(\d+)/.exec(r.stderr ?? '');
  return { seconds, peakMB: rss ? Number(rss[1]) / 1024 : null, stdout: r.stdout, load };
}

/** `run positive-transfer` at dimension d with extra flags (none: the default command). */
function paratransfer(d, extra) {
  const r = timed(process.execPath, [
    bin,
    ...['run', 'positive-transfer', '--set', `d=${d}`, ...extra, '--json', '--timings'],
  ]);
  const out = JSON.parse(r.stdout);
  const phases = out.timings.upstream + out.timings.transfer + out.timings.scratch;
  return {
    ...r,
    stdout: undefined,
    engine: out.engine,
    sampler: out.sampler,
    phases,
    errors: [out.upstream.testError, out.transfer.testError, out.scratch.testError],
  };
}

/** The fastest of `reps` runs. */
function best(fn) {
  let out = null;
  for (let i = 0; i < reps; i++) {
    const r = fn();
    if (!out || r.seconds < out.seconds) out = r;
  }
  return out;
}

function numpy(d, env = {}) {
  const r = timed(python, [peer, '--preset', 'positive-transfer', '--d', String(d)], env);
  const { total, errors } = peerFigures(r.stdout);
  return { ...r, stdout: undefined, phases: total, errors };
}

const rows = [];
let denseLast = null;
const log = (s) => process.stderr.write(`${s}\n`);
log(`bench:engines on ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const d of dims) {
  const oneThread = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
  const explicit = ['--set', 'sampler=explicit', '--engine'];
  const row = {
    d,
    default: best(() => paratransfer(d, [])),
    coef: best(() => paratransfer(d, [...explicit, 'coef'])),
    numpy: best(() => numpy(d)),
    numpy1: best(() => numpy(d, oneThread)),
  };
  log(
    `d=${d}: default ${row.default.seconds.toFixed(2)} s, explicit coef ${row.coef.seconds.toFixed(2)} s, ` +
      `numpy ${row.numpy.seconds.toFixed(2)} s, numpy 1 thread ${row.numpy1.seconds.toFixed(2)} s`,
  );
  const predicted = denseLast ? (denseLast.seconds * d) / denseLast.d : 0;
  if (predicted <= denseBudget) {
    row.dense = best(() => paratransfer(d, [...explicit, 'dense']));
    denseLast = { d, seconds: row.dense.seconds };
    log(`d=${d}: dense ${row.dense.seconds.toFixed(2)} s`);
  }
  rows.push(row);
}

if (json) {
  process.stdout.write(JSON.stringify({ cpus: cpus().length, rows }) + '\n');
} else {
  const s = (x) => (x == null ? '—' : x.toFixed(2));
  const mb = (x) => (x == null ? '—' : Math.round(x).toString());
  const lines = [
    '| d | default s (phases) | explicit coef s (phases) | explicit dense s (phases) | NumPy s (training) | NumPy 1 thread s (training) | NumPy / default | NumPy / explicit coef | peak MB default / coef / dense / NumPy | load (1 min) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const t = (x) => (x ? `${s(x.seconds)} (${s(x.phases)})` : '—');
  for (const r of rows) {
    const loads = [r.default, r.coef, r.dense, r.numpy, r.numpy1].filter(Boolean).map((x) => x.load);
    lines.push(
      `| ${r.d} | ${t(r.default)} | ${t(r.coef)} | ${t(r.dense)} | ${t(r.numpy)} | ${t(r.numpy1)} | ` +
        `${(r.numpy.seconds / r.default.seconds).toFixed(1)}× | ${(r.numpy.seconds / r.coef.seconds).toFixed(1)}× | ` +
        `${mb(r.default.peakMB)} / ${mb(r.coef.peakMB)} / ${mb(r.dense?.peakMB)} / ${mb(r.numpy.peakMB)} | ` +
        `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} |`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}
