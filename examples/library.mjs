// paratransfer as a library: α against the transfer gain, four paired seeds per value, with the gain's 95%
// interval, the verdict and the theory's prediction. Run it with `node examples/library.mjs` (in a clone, after
// `npm run build`; in a project that installed paratransfer, copy it anywhere). About 5 seconds.
import { fractionInterval, gainInterval, loadConfig, predict, runExperiment, verdictOf } from 'paratransfer';

// A preset with `--set`-style overrides, validated as the CLI does (a bad value throws a UserError naming it).
const base = loadConfig('positive-transfer', ['d=300', 'n1=80', 'n2=20', 'nTest=500', 'm=8', 'steps=100']);
const seeds = [0, 1, 2, 3];
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const pts = (x) => `${x < 0 ? '−' : '+'}${Math.abs(100 * x).toFixed(2)}`;

console.log('alpha  transfer error [95%]      scratch error [95%]       gain (points) [95%]       verdict          theory');
for (const alpha of [0, 0.5, 1]) {
  // Every random stream derives from the seed: the same seed and config give the same result, bit for bit.
  const runs = seeds.map((seed) => runExperiment({ ...base, alpha, seed }).result);
  // Errors: intervals inside [0, 1] (Wilson on the seeds' effective sample size); the gain: Student t over seeds.
  const transfer = fractionInterval(runs.map((r) => r.transfer.testError), base.nTest);
  const scratch = fractionInterval(runs.map((r) => r.scratch.testError), base.nTest);
  const gain = gainInterval(runs.map((r) => r.gain));
  const theory = predict({ ...base, alpha });
  const range = (iv) => `${pct(iv.mean)} [${pct(iv.lo)}, ${pct(iv.hi)}]`.padEnd(26);
  console.log(
    `${String(alpha).padEnd(7)}${range(transfer)}${range(scratch)}${`${pts(gain.mean)} [${pts(gain.low)}, ${pts(gain.high)}]`.padEnd(26)}` +
      `${verdictOf(gain).padEnd(17)}Γ = ${theory.Gamma.toFixed(2)} (${theory.regime})`,
  );
}
