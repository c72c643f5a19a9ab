/**
 * Dense engine vs the NumPy peer (bench/peers/synthetic_numpy.py) on the positive-transfer preset, both run
 * here, interleaved, several times; best and median are reported with the ratio ours/NumPy.
 *
 * Like for like: the peer times its upstream training (300 steps) and its two downstream trainings
 * (transfer + scratch, 300 steps each), nothing else; "training" rows time exactly that through
 * denseEngine.train. Whole runs add data, test error and feature measures at the checkpoints (the peer
 * evaluates once, after training): in process via runExperiment, and as a process from the command line
 * against the peer's process.
 *
 * Options: --reps N (default 5), --threads N (kernel threads; default the cores, at most 2; training is also
 * timed on 1 thread, against the peer with its BLAS on 1 thread), --ts (also time training on the TypeScript kernels), --json (last line: the figures
 * as JSON). Python: $PARATRANSFER_PYTHON, else python3, else /usr/bin/python3 (NumPy uses its own BLAS threads).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { relative } from 'node:path';
import { denseEngine, experimentData, findPreset, inherit, presetConfig, Rng, runExperiment } from '../dist/index.js';
import { setKernelThreads } from '../dist/kernels/threads.js';
import { setWasmKernels } from '../dist/kernels/wasm.js';
import { numpyPython, peerFigures, root, syntheticPeer as peer } from './common.mjs';

const preset = 'positive-transfer';
const peerArgs = ['--preset', preset];

function fail(message) {
  console.error(`bench dense: ${message}`);
  process.exit(1);
}

function option(args, name, fallback) {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) fail(`${name} needs a positive integer`);
  return v;
}

const seconds = (t0) => (performance.now() - t0) / 1000;

/** The peer's timed regions, through the engine: upstream training, then transfer + scratch training. */
function training(c) {
  const data = experimentData(c);
  const problem = (ds, W0) => ({ data: ds, W0, m: c.m, lr: c.lr, steps: c.steps, lossThreshold: c.lossThreshold });
  let t0 = performance.now();
  const up = denseEngine.train(problem(data.train1, data.init(1)));
  const upstream = seconds(t0);
  const fresh = data.init(2);
  const transferInit = inherit(up.W, fresh, c.m, c.d, c.alpha, c.inheritance, new Rng(c.seed, 'inherit')).W;
  t0 = performance.now();
  denseEngine.train(problem(data.train2, transferInit));
  denseEngine.train(problem(data.train2, fresh));
  const downstream = seconds(t0);
  return { upstream, downstream, total: upstream + downstream };
}

function wholeRun(c) {
  const t0 = performance.now();
  const run = runExperiment(c, { engine: denseEngine });
  return { seconds: seconds(t0), result: run.result };
}

function cliRun() {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['bin/paratransfer.js', 'run', preset, '--json', '--engine', 'dense', '--set', 'sampler=explicit'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status !== 0) fail(`paratransfer run failed:\n${r.stderr}`);
  return seconds(t0);
}

/** One run of the peer; `blasThreads` pins its BLAS to that many threads (default: BLAS's own choice). */
function peerRun(python, blasThreads) {
  const env = { ...process.env };
  if (blasThreads) {
    for (const v of ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS']) env[v] = String(blasThreads);
  }
  const t0 = performance.now();
  const r = spawnSync(python, [peer, ...peerArgs], { encoding: 'utf8', env });
  const wall = seconds(t0);
  if (r.status !== 0) fail(`${relative(root, peer)} failed:\n${r.stderr}`);
  return { ...peerFigures(r.stdout), wall };
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { best: s[0], median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2 };
}

function machine(python) {
  const cpus = os.cpus();
  const numpy = spawnSync(python, ['-c', 'import numpy, sys; print(numpy.__version__, sys.version.split()[0])'], {
    encoding: 'utf8',
  });
  const [numpyVersion, pythonVersion] = numpy.stdout.trim().split(' ');
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    node: process.version,
    python: pythonVersion,
    numpy: numpyVersion,
    platform: `${os.platform()} ${os.arch()}`,
  };
}

export async function run(args) {
  const reps = option(args, '--reps', 5);
  const json = args.includes('--json');
  const withTs = args.includes('--ts');
  const threads = option(args, '--threads', Math.min(2, os.availableParallelism?.() ?? os.cpus().length));
  const python = numpyPython();

  // Vectors in ℝ^d, as the peer draws them: the default subspace sampler would train in far fewer coordinates.
  const c = { ...presetConfig(findPreset(preset)), sampler: 'explicit' };
  const facts = machine(python);
  const loadBefore = os.loadavg();
  console.error(`bench dense: ${reps} repetitions, ${facts.cpu}, ${facts.cores} cores, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);

  setKernelThreads(threads);
  // Warm up: compile the kernels and let the JIT see the hot loops once.
  training({ ...c, steps: 5 });
  const ours = { upstream: [], downstream: [], total: [], total1: [], whole: [], whole2: [], cli: [] };
  const numpy = { upstream: [], downstream: [], total: [], wall: [], total1: [] };
  let result;
  let peerOut;
  for (let r = 0; r < reps; r++) {
    const t = training(c);
    for (const k of ['upstream', 'downstream', 'total']) ours[k].push(t[k]);
    setKernelThreads(1);
    ours.total1.push(training(c).total);
    setKernelThreads(threads);
    const p = peerRun(python);
    for (const k of ['upstream', 'downstream', 'total']) numpy[k].push(p[k]);
    numpy.wall.push(p.wall);
    peerOut = p.out;
    numpy.total1.push(peerRun(python, 1).total);
    const w = wholeRun(c);
    ours.whole.push(w.seconds);
    result = w.result;
    ours.whole2.push(wholeRun({ ...c, checkpoints: 2 }).seconds);
    ours.cli.push(cliRun());
    console.error(`  rep ${r + 1}/${reps}: training ${t.total.toFixed(3)} s (NumPy ${p.total.toFixed(3)} s), whole run ${w.seconds.toFixed(3)} s`);
  }
  let ts;
  if (withTs) {
    setWasmKernels(false);
    ts = training(c);
    setWasmKernels(true);
  }
  const loadAfter = os.loadavg();

  const rows = [
    ['upstream training (300 steps)', ours.upstream, numpy.upstream],
    ['downstream training (transfer + scratch)', ours.downstream, numpy.downstream],
    ['training total', ours.total, numpy.total],
    ['training total, both on 1 thread', ours.total1, numpy.total1],
    ['whole run in process, 12 checkpoints *', ours.whole, numpy.wall],
    ['whole run in process, 2 checkpoints *', ours.whole2, numpy.wall],
    ['whole run, CLI process vs peer process', ours.cli, numpy.wall],
  ].map(([what, a, b]) => {
    const sa = stats(a);
    const sb = stats(b);
    return { what, ours: sa, numpy: sb, ratio: { best: sa.best / sb.best, median: sa.median / sb.median } };
  });

  const f = (x) => x.toFixed(3);
  const header = ['', 'ours best', 'ours median', 'NumPy best', 'NumPy median', 'ratio best', 'ratio median'];
  const table = rows.map((r) => [r.what, f(r.ours.best), f(r.ours.median), f(r.numpy.best), f(r.numpy.median), `${r.ratio.best.toFixed(2)}×`, `${r.ratio.median.toFixed(2)}×`]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells) => cells.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  console.log(`\nDense engine vs NumPy peer: ${preset} (d = ${c.d}, m = ${c.m}, N₁ = ${c.n1}, N₂ = ${c.n2}, ${c.steps} steps), seconds, ${reps} repetitions, ${threads} kernel thread(s)`);
  console.log(line(header));
  for (const t of table) console.log(line(t));
  console.log('* NumPy column: the peer\'s whole process (interpreter start, data, training, one evaluation)');
  if (ts) console.log(`TypeScript kernels (no WebAssembly), one run: upstream ${f(ts.upstream)} s, downstream ${f(ts.downstream)} s, training total ${f(ts.total)} s (${(ts.total / stats(ours.total).best).toFixed(1)}× the WebAssembly best)`);
  console.log(`test error (ours, clean): upstream ${result.upstream.testError}, transfer ${result.transfer.testError}, scratch ${result.scratch.testError}; NumPy peer (its own data): upstream ${peerOut.upstream.testError}, transfer ${peerOut.transfer.testError}, scratch ${peerOut.scratch.testError}`);
  console.log(`machine: ${facts.cpu}, ${facts.cores} cores, ${facts.platform}, Node ${facts.node}, Python ${facts.python}, NumPy ${facts.numpy}`);
  console.log(`load average (1, 5, 15 min) before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`peer: ${python} ${relative(root, peer)} ${peerArgs.join(' ')}`);
  if (json) {
    console.log(JSON.stringify({ benchmark: 'dense', preset, reps, threads, machine: facts, load: { before: loadBefore, after: loadAfter }, rows, ...(ts ? { typescript: ts } : {}) }));
  }
}
