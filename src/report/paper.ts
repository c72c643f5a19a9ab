import type { ConfigKey, ExperimentConfig } from '../config/schema.js';
import type { ExperimentResult } from '../experiment/run.js';
import { syntheticStudy } from '../experiment/study.js';
import type { FigureSpec, NamedSweep as StudySweep, ReproducedSweep, Reproduction } from '../study/reproduction.js';
import { canonicalKey, column, fitThreshold, type Predictor, type RunRecord } from '../sweep/export.js';
import type { SweepSpec } from '../sweep/spec.js';
import { dynamics, measureVsFactor, phaseDiagram } from './figures.js';
import { calibrationFigure, currentTheory, gammaTheory, heldoutCheck, scoresOn } from './heldout.js';
import { reportHtml, type Agreement, type SweepSection } from './html.js';

/** What to draw from one sweep. */
export type FigurePlan =
  | { kind: 'factor'; factor: ConfigKey; log?: boolean; noisy?: boolean }
  | { kind: 'phase'; x: ConfigKey; y: ConfigKey; xLog?: boolean; yLog?: boolean }
  | { kind: 'dynamics'; at: Partial<ExperimentConfig> }
  | { kind: 'calibration' };

/** The ranges of the theory's random configurations (docs/theory.md §9; examples/theory-*.yaml). */
export const theorySampleKeys = {
  d: { logUniform: [500, 100000], integer: true },
  n1: { logUniform: [20, 2000], integer: true },
  n2: { logUniform: [10, 200], integer: true },
  uNorm: { uniform: [0, 3] },
  v1Norm: { uniform: [0, 4] },
  v2Norm: { uniform: [0, 4] },
  vCos: { uniform: [-0.5, 0.5] },
  sigmaP1: { logUniform: [0.25, 3] },
  sigmaP2: { logUniform: [0.25, 3] },
  labelNoise: { uniform: [0, 0.3] },
} as const;

/**
 * The theory's fit and held-out sweeps: random configurations at every α of the advisor evaluation, other
 * configurations (sample seeds) and other run seeds for the held-out one. Full: the shipped examples/theory-fit.yaml
 * and examples/theory-holdout.yaml (200 configurations × 5 α × 3 seeds each; hours on 2 cores). Quick: 12
 * configurations × 5 α × 1 seed each, N₁ up to 400 (a smoke test of the check, not its result).
 */
export function theorySweeps(mode: 'quick' | 'full'): NamedSweep[] {
  const quick = mode === 'quick';
  const keys = quick ? { ...theorySampleKeys, n1: { logUniform: [20, 400], integer: true } } : theorySampleKeys;
  const sweep = (name: 'theory-fit' | 'theory-holdout', sampleSeed: number, seeds: number[], title: string, description: string): NamedSweep => ({
    name,
    title,
    description,
    spec: {
      name,
      description: `${quick ? 12 : 200} random synthetic configurations × α ∈ {0, 0.25, 0.5, 0.75, 1} × seeds ${seeds.join(', ')}${name === 'theory-fit' ? ' (the theory’s fit set)' : ' (held out)'}.`,
      set: { nTest: 500, checkpoints: 2 },
      sample: { n: quick ? 12 : 200, seed: sampleSeed, keys: keys as never },
      grid: { alpha: [0, 0.25, 0.5, 0.75, 1] },
      seeds: quick ? seeds.slice(0, 1) : seeds,
    },
    figures: [{ kind: 'calibration' }],
  });
  return [
    sweep('theory-fit', 1101, [0, 1, 2], 'The theory’s fit set', 'Random configurations the theory was designed on (docs/theory.md §9).'),
    sweep('theory-holdout', 2202, [100, 101, 102], 'The theory’s held-out set', 'Other random configurations and other seeds: only ever reported.'),
  ];
}

/** One named sweep of the paper's synthetic study. */
export type NamedSweep = StudySweep<FigurePlan>;

/** A stored run of the synthetic experiment, parsed. */
type SyntheticRecord = RunRecord<ExperimentConfig, ExperimentResult>;

/** Problem sizes: --quick (minutes on 2 cores) and full (the reference sizes of docs/model.md, paper-grade seeds and grids). */
interface Profile {
  size: Partial<ExperimentConfig>;
  seeds: number;
  phaseSeeds: number;
  /** points per factor axis / per phase-diagram axis */
  num: number;
  phaseNum: number;
}

const profiles: Record<'quick' | 'full', Profile> = {
  quick: {
    size: { d: 500, n1: 100, n2: 20, nTest: 500, m: 10, steps: 150, checkpoints: 8 },
    seeds: 5,
    phaseSeeds: 3,
    num: 5,
    phaseNum: 5,
  },
  full: {
    size: { d: 2000, n1: 200, n2: 40, nTest: 2000, m: 20, steps: 300, checkpoints: 12 },
    seeds: 10,
    phaseSeeds: 5,
    num: 7,
    phaseNum: 7,
  },
};

/**
 * The paper's synthetic study as named sweeps: one per factor (α, N₁, ‖u‖, σₚ,₁, σₚ,₂, d, p), two phase
 * diagrams, and the negative-transfer, no-shared-signal and label-noise cases. Every sweep starts from a preset
 * of docs/model.md at the profile's size; ranges are relative to that size.
 */
export function paperSweeps(mode: 'quick' | 'full'): NamedSweep[] {
  const p = profiles[mode];
  const { d, n1 } = p.size as { d: number; n1: number };
  /** the profile's sizes, less the keys a sweep varies */
  const size = (...axes: ConfigKey[]) =>
    Object.fromEntries(Object.entries(p.size).filter(([k]) => !axes.includes(k as ConfigKey))) as Record<string, number>;
  const factor = (f: {
    name: string;
    key: ConfigKey;
    axis: NonNullable<SweepSpec['grid']>[string];
    title: string;
    description: string;
    log?: boolean;
    extra?: FigurePlan[];
  }): NamedSweep => ({
    name: f.name,
    title: f.title,
    description: f.description,
    spec: { name: f.name, base: 'positive-transfer', set: size(f.key), grid: { [f.key]: f.axis }, seeds: p.seeds },
    figures: [{ kind: 'factor', factor: f.key, log: f.log }, ...(f.extra ?? [])],
  });
  const alphaAxis = { linear: [0, 1] as [number, number], num: mode === 'quick' ? 5 : 11 };
  return [
    factor({
      name: 'alpha',
      key: 'alpha',
      axis: alphaAxis,
      title: 'Inheritance ratio α',
      description: 'Positive-transfer regime; α of the upstream filters inherited.',
      extra: [{ kind: 'dynamics', at: { alpha: 0.5 } }],
    }),
    factor({
      name: 'n1',
      key: 'n1',
      axis: { log: [n1 / 10, n1 * 4], num: p.num },
      log: true,
      title: 'Upstream sample size N₁',
      description: 'More upstream data: stronger inherited signal, relatively less memorised noise.',
    }),
    factor({
      name: 'u-norm',
      key: 'uNorm',
      axis: { linear: [0, 3], num: p.num },
      title: 'Shared signal ‖u‖',
      description: 'Only the shared component u of the upstream signal is useful downstream.',
    }),
    factor({
      name: 'sigma-p1',
      key: 'sigmaP1',
      axis: { log: [0.25, 4], num: p.num },
      log: true,
      title: 'Upstream noise σₚ,₁',
      description: 'Noisier upstream data: inherited filters carry less signal and more memorised noise.',
    }),
    factor({
      name: 'sigma-p2',
      key: 'sigmaP2',
      axis: { linear: [0.5, 2], num: p.num },
      title: 'Downstream noise σₚ,₂',
      description: 'Noisier downstream data makes learning from scratch harder.',
    }),
    factor({
      name: 'dimension',
      key: 'd',
      axis: { log: [d / 4, d * 4], num: p.num },
      log: true,
      title: 'Dimension d',
      description: 'Higher dimension: more room for noise memorisation on both tasks.',
    }),
    factor({
      name: 'label-noise',
      key: 'labelNoise',
      axis: [0, 0.05, 0.1, 0.2, 0.3],
      title: 'Label noise p',
      description: 'Labels flipped with probability p on both tasks; the Bayes error against observed labels is p.',
      extra: [{ kind: 'factor', factor: 'labelNoise', noisy: true }],
    }),
    {
      name: 'phase-u-n1',
      title: 'Phase diagram: ‖u‖ × N₁',
      description:
        'Strong task-specific signals (‖v₁‖ = 4, ‖v₂‖ = 2.5): transfer helps when the shared signal is strong ' +
        'and hurts when it is weak and N₁ is large.',
      spec: {
        name: 'phase-u-n1',
        base: 'negative-transfer',
        set: size('n1'),
        grid: { uNorm: { log: [0.1, 3], num: p.phaseNum }, n1: { log: [n1 / 4, n1 * 4], num: p.phaseNum } },
        seeds: p.phaseSeeds,
      },
      figures: [{ kind: 'phase', x: 'uNorm', y: 'n1', xLog: true, yLog: true }],
    },
    {
      name: 'phase-alpha-sigma',
      title: 'Phase diagram: α × σₚ,₁',
      description: 'How much to inherit against how noisy the upstream data was.',
      spec: {
        name: 'phase-alpha-sigma',
        base: 'positive-transfer',
        set: { ...p.size, uNorm: 1 },
        grid: { alpha: { linear: [0, 1], num: p.phaseNum }, sigmaP1: { log: [0.25, 4], num: p.phaseNum } },
        seeds: p.phaseSeeds,
      },
      figures: [{ kind: 'phase', x: 'alpha', y: 'sigmaP1', yLog: true }],
    },
    {
      name: 'negative-transfer',
      title: 'Negative transfer',
      description:
        'Weak shared signal, strong upstream-specific signal, 4× upstream data: the more is inherited, the worse.',
      spec: {
        name: 'negative-transfer',
        base: 'negative-transfer',
        set: { ...p.size, n1: n1 * 4 },
        grid: { alpha: alphaAxis },
        seeds: p.seeds,
      },
      figures: [{ kind: 'factor', factor: 'alpha' }, { kind: 'dynamics', at: { alpha: 0.5 } }],
    },
    {
      name: 'no-shared-signal',
      title: 'No shared signal (u = 0)',
      description: 'Nothing useful to inherit, only memorised upstream noise.',
      spec: {
        name: 'no-shared-signal',
        base: 'no-shared-signal',
        set: { ...p.size, steps: Math.round((p.size.steps as number) / 3) },
        grid: { alpha: alphaAxis },
        seeds: p.seeds,
      },
      figures: [{ kind: 'factor', factor: 'alpha' }],
    },
    {
      name: 'label-noise-negative',
      title: 'Label noise in the negative-transfer regime',
      description: 'Label noise p on both tasks where inheriting hurts (α = 0.5).',
      spec: {
        name: 'label-noise-negative',
        base: 'negative-transfer',
        set: { ...p.size, n1: n1 * 4 },
        grid: { labelNoise: [0, 0.1, 0.2, 0.3] },
        seeds: p.seeds,
      },
      figures: [{ kind: 'factor', factor: 'labelNoise', noisy: true }],
    },
    ...theorySweeps(mode),
  ];
}

function figureFor(plan: FigurePlan, done: ReproducedSweep<FigurePlan>, predictor: Predictor | undefined): FigureSpec {
  const { sweep, agg } = done;
  const records = done.records as SyntheticRecord[];
  const base = done.plan.base as ExperimentConfig;
  if (plan.kind === 'calibration') {
    const title = `Calibration on ${sweep.name === 'theory-fit' ? 'the fit set' : 'the held-out set'}: predicted vs measured clean error`;
    const scores = scoresOn(records, [gammaTheory, currentTheory]);
    return {
      name: `calibration-${sweep.name === 'theory-fit' ? 'fit' : 'holdout'}`,
      title,
      caption: `${title}, old Γ theory and current theory (mean population test error over seeds; transfer at α > 0, scratch once per configuration). Dashed: equality.`,
      data: calibrationFigure(scores, title),
    };
  }
  if (plan.kind === 'factor') {
    const suffix = plan.noisy ? '-noisy' : '';
    return {
      name: `${sweep.name}-error${suffix}`,
      title: sweep.title,
      caption:
        `${sweep.title}: test error ${plan.noisy ? 'against the observed labels (dashed: the Bayes error p)' : '(clean)'} ` +
        'of transfer and scratch, mean and 95% interval over seeds.',
      data: measureVsFactor(agg, plan.factor, {
        study: syntheticStudy,
        log: plan.log,
        title: sweep.title,
        ...(plan.noisy
          ? { measure: { key: 'testErrorNoisy', label: 'test error (observed labels)' }, reference: { label: 'Bayes error p', column: 'labelNoise' } }
          : {}),
      }),
    };
  }
  if (plan.kind === 'phase') {
    return {
      name: `${sweep.name}`,
      title: sweep.title,
      caption:
        `${sweep.title}: mean transfer gain Δ per cell (blue positive, red negative transfer); ` +
        `+/− the predicted regime per cell${predictor ? ', black dots the predicted boundary Γ = threshold' : ''}.`,
      data: phaseDiagram(agg, base, plan.x, plan.y, { study: syntheticStudy, xLog: plan.xLog, yLog: plan.yLog, title: sweep.title, predictor }),
    };
  }
  const at = Object.entries(plan.at) as [keyof ExperimentConfig, unknown][];
  const chosen = records.filter((r) => at.every(([k, v]) => r.config[k] === v));
  const where = at.map(([k, v]) => `${k} = ${v}`).join(', ');
  return {
    name: `${sweep.name}-dynamics`,
    title: `${sweep.title}: training dynamics`,
    caption:
      `${sweep.title} at ${where}: signal learning along u and noise memorisation during training: upstream, ` +
      `inherited vs fresh filters of the transfer run, and scratch (mean over ${new Set(chosen.map((r) => r.seed)).size} ` +
      'seeds, 95% band).',
    data: dynamics(chosen, { title: `${sweep.title} (${where}): training dynamics` }),
  };
}

/** Agreement of the predicted regime with the simulations, over distinct grid points of all sweeps. */
function agreementOf(sections: SweepSection[], theoryFit?: Agreement['theoryFit']): Agreement | null {
  interface PointOutcome {
    gamma: number;
    regime: string;
    observed: string;
    significant: boolean | null;
    scratch: boolean | null;
    scratchPred: boolean;
  }
  const seen = new Map<string, PointOutcome>();
  for (const s of sections) {
    const t = s.agg;
    if (!t.columns.includes('predicted.regime')) return null;
    t.rows.forEach((_, i) => {
      const key = canonicalKey(syntheticStudy, t, i);
      seen.set(key, {
        gamma: column(t, 'predicted.gamma')[i] as number,
        regime: column(t, 'predicted.regime')[i] as string,
        observed: column(t, 'observed.regime')[i] as string,
        significant: column(t, 'observed.significant')[i] as boolean | null,
        scratch: column(t, 'observed.scratchBayesOptimal')[i] as boolean | null,
        scratchPred: column(t, 'predicted.scratchBayesOptimal')[i] as boolean,
      });
    });
  }
  const pts = [...seen.values()];
  const decided = pts.filter((p) => (p.observed === 'positive' || p.observed === 'negative') && p.regime !== 'neutral');
  const sig = decided.filter((p) => p.significant);
  const scratch = pts.filter((p) => p.scratch !== null);
  return {
    points: decided.length,
    agree: decided.filter((p) => p.regime === p.observed).length,
    significantPoints: sig.length,
    significantAgree: sig.filter((p) => p.regime === p.observed).length,
    scratchPoints: scratch.length,
    scratchAgree: scratch.filter((p) => p.scratch === p.scratchPred).length,
    fit: fitThreshold(
      pts
        .filter((p) => p.observed === 'positive' || p.observed === 'negative')
        .map((p) => ({ gamma: p.gamma, positive: p.observed === 'positive' })),
    ),
    theoryFit,
  };
}

/** The theory's own constants refitted to every run, and its agreement with them. */
function theoryFitOf(records: SyntheticRecord[]): Agreement['theoryFit'] {
  const fit = syntheticStudy.theory?.refit?.(
    records.map((r) => ({ config: r.config, scratchError: r.result.scratch.testError, transferError: r.result.transfer.testError })),
  );
  return fit && { constants: fit.constants, agreement: fit.agreement };
}

/** A config shared by several sweeps counts once. */
function dedupe(records: SyntheticRecord[]): SyntheticRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
}

/**
 * The paper's synthetic study as a reproduction (`paratransfer reproduce`): the named sweeps above, their figures, and
 * the agreement of the theory's predicted regime with every grid point.
 */
export const paperReproduction: Reproduction<FigurePlan> = {
  sweeps: paperSweeps,
  figures: (done, predictor) => done.sweep.figures.map((plan) => figureFor(plan, done, predictor)),
  report(r) {
    const records = r.sweeps.flatMap((s) => s.records) as SyntheticRecord[];
    const agreement = r.predictor ? agreementOf(r.sections, r.customPredictor ? undefined : theoryFitOf(dedupe(records))) : null;
    // The held-out check: the theory scored on configurations and seeds it was not designed on (docs/theory.md §9).
    const named = (name: string) => (r.sweeps.find((s) => s.sweep.name === name)?.records ?? []) as SyntheticRecord[];
    const [fit, holdout] = [named('theory-fit'), named('theory-holdout')];
    const heldout = fit.length && holdout.length ? heldoutCheck(fit, holdout) : undefined;
    const html = reportHtml({
      mode: r.mode,
      version: r.version,
      engine: r.engine,
      seconds: r.seconds,
      sections: r.sections,
      agreement,
      heldout,
      bayesTolerance: r.bayesTolerance,
      failures: r.failures,
    });
    const a = agreement;
    const h = heldout?.holdout.scores.at(-1);
    const summary = [
      a ? `theory agreement ${a.points ? ((100 * a.agree) / a.points).toFixed(1) : '—'}% of ${a.points} points` : '',
      h ? `held out: sign ${h.decisive ? ((100 * h.signAgree) / h.decisive).toFixed(1) : '—'}% of ${h.decisive} decisive points, Spearman ${h.spearmanGain.toFixed(3)}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    return { html, summary };
  },
};
