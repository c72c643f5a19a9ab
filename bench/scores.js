/**
 * Transferability scores (src/scores) against the NumPy peer (bench/peers/scores_numpy.py, the fixture
 * implementation on NumPy/LAPACK), on Gaussian features with class structure at a few sizes: the primal side
 * (N > D), the dual side (D > N), and the target size N = 10⁴, D = 512. Reports seconds per score
 * (each score alone, as its function computes it) and for transferScores (all of them, sharing the work), with
 * the ratio ours/NumPy, and checks that both give the same values (1e-6 relative).
 *
 * Options: --sizes N×D×C,… (default 1000×64×10,1000×2048×10,10000×512×10), --reps K (the best of K, default
 * 2; after a warm-up on a small case), --no-peer, --json (last line: the figures as JSON). Python:
 * $PARATRANSFER_PYTHON, else python3 (its BLAS uses every core; ours runs on the main thread, with the k-NN
 * products on up to 2).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { hscore, knnAccuracy, logme, transferScores, transrate, writeSafetensors } from '../dist/index.js';
import { Rng } from '../dist/internals.js';

const peer = join(dirname(fileURLToPath(import.meta.url)), 'peers', 'scores_numpy.py');

function features(n, d, c) {
  const rng = new Rng(1, 'bench:scores');
  const labels = Int32Array.from({ length: n }, (_, i) => i % c);
  const means = Float64Array.from({ length: c * d }, () => 0.3 * rng.normal());
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) data[i * d + j] = rng.normal() + means[labels[i] * d + j];
  return { features: { data, rows: n, cols: d }, labels };
}

/** The best of `reps` timings of fn, and its value. */
function time(fn, reps) {
  let best = Infinity;
  let value;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    value = fn();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return { seconds: best, value };
}

export function run(args) {
  const flag = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
  const sizes = flag('sizes', '1000x64x10,1000x2048x10,10000x512x10')
    .split(',')
    .map((s) => s.split(/[x×]/).map(Number));
  const python = process.env.PARATRANSFER_PYTHON ?? 'python3';
  const reps = Number(flag('reps', '2'));
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps needs a positive integer');
  transferScores(features(300, 40, 5)); // warm-up: compile the hot loops first
  const dir = mkdtempSync(join(tmpdir(), 'pt-bench-scores-'));
  const rows = [];
  try {
    for (const [n, d, c] of sizes) {
      const input = features(n, d, c);
      const ours = {
        logme: time(() => logme(input.features, input.labels), reps),
        hscore: time(() => hscore(input.features, input.labels), reps),
        transrate: time(() => transrate(input.features, input.labels), reps),
        knn: time(() => knnAccuracy(input.features, input.labels), reps),
        all: time(() => transferScores(input), reps),
      };
      let theirs = null;
      if (!args.includes('--no-peer')) {
        const file = join(dir, `f-${n}-${d}.safetensors`);
        writeSafetensors(file, { features: { shape: [n, d], data: input.features.data }, labels: { shape: [n], data: input.labels } });
        const r = spawnSync(python, [peer, file], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`the NumPy peer failed:\n${r.stderr}`);
        theirs = JSON.parse(r.stdout);
        for (const k of ['logme', 'hscore', 'transrate']) {
          const rel = Math.abs(ours[k].value - theirs.values[k]) / Math.abs(theirs.values[k]);
          if (!(rel < 1e-6)) throw new Error(`${k} at N=${n} D=${d}: ours ${ours[k].value}, NumPy ${theirs.values[k]}`);
        }
      }
      rows.push({ n, d, c, ours, theirs });
      const cell = (k) => {
        const s = ours[k].seconds.toFixed(2);
        return theirs && theirs[k] !== undefined ? `${s} s (NumPy ${theirs[k].toFixed(2)} s, ×${(ours[k].seconds / theirs[k]).toFixed(2)})` : `${s} s`;
      };
      console.log(`N=${n} D=${d} C=${c}`);
      for (const k of ['logme', 'hscore', 'transrate', 'knn']) console.log(`  ${k.padEnd(10)} ${cell(k)}`);
      console.log(`  all        ${ours.all.seconds.toFixed(2)} s (transferScores: every score, shared work)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (args.includes('--json')) {
    const figures = rows.map(({ n, d, c, ours, theirs }) => ({
      n,
      d,
      c,
      ours: Object.fromEntries(Object.entries(ours).map(([k, v]) => [k, v.seconds])),
      numpy: theirs && Object.fromEntries(Object.entries(theirs).filter(([k]) => k !== 'values')),
    }));
    console.log(JSON.stringify(figures));
  }
}
