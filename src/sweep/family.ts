import { experimentFamily, type ConfigFamily } from '../config/load.js';
import { experimentKeys, type ConfigKey, type ExperimentConfig } from '../config/schema.js';
import { realFamily, realKeys, type RealConfig } from '../real/config.js';

/**
 * What a sweep can run: the synthetic experiment (SPEC §1–4, the default) or the real-data study (SPEC §7).
 * A family bundles what the sweep machinery needs to know about its configs; everything else (grid, ids, store,
 * queues, resume) is shared.
 */
export type FamilyName = 'synthetic' | 'real';

/** The config of one run of either family. */
export type SweepConfig = ExperimentConfig | RealConfig;
export type RealKey = keyof RealConfig & string;

export interface SweepFamily<C extends SweepConfig = SweepConfig> {
  name: FamilyName;
  /** keys (in canonical order), schema, defaults and presets: the loader of single runs */
  configs: ConfigFamily<C>;
  /** keys holding integers: values of linear/log ranges over them are rounded */
  integerKeys: readonly string[];
  /** hashed before the canonical JSON, so that ids of different families can never coincide ('' keeps old ids) */
  idPrefix: string;
  /** the only engine of the family, or null when `--engine` chooses among the registered ones */
  engine: string | null;
}

/** Config keys of the synthetic experiment that hold integers. */
export const integerKeys: readonly ConfigKey[] = ['d', 'n1', 'n2', 'nTest', 'm', 'patches', 'steps', 'seed', 'checkpoints'];

/** The engine of real-data jobs: the CNN engine of src/real (WebAssembly SIMD kernels). */
export const realEngine = 'cnn';

export const syntheticSweep: SweepFamily<ExperimentConfig> = {
  name: 'synthetic',
  configs: experimentFamily,
  integerKeys,
  idPrefix: '',
  engine: null,
};

export const realSweep: SweepFamily<RealConfig> = {
  name: 'real',
  configs: realFamily,
  integerKeys: ['n1', 'n2', 'nTest', 'width', 'm', 'patch', 'batchSize', 'epochs1', 'epochs2', 'inheritLayers', 'seed', 'checkpoints'],
  idPrefix: 'real:',
  engine: realEngine,
};

export const families: readonly SweepFamily[] = [syntheticSweep, realSweep] as readonly SweepFamily[];

/** Configs are self-describing: the two families share no complete key set, and only real configs name data. */
export const isRealConfig = (c: SweepConfig): c is RealConfig => 'upstreamData' in c;

export const familyOfConfig = (c: SweepConfig): SweepFamily => (isRealConfig(c) ? realSweep : syntheticSweep) as SweepFamily;

export const familyNamed = (name: FamilyName | undefined): SweepFamily =>
  (name === 'real' ? realSweep : syntheticSweep) as SweepFamily;

/** Keys that only the real-data study knows, and keys only the synthetic experiment knows. */
const realOnly: readonly string[] = realKeys.filter((k) => !(experimentKeys as string[]).includes(k));
const syntheticOnly: readonly string[] = experimentKeys.filter((k) => !(realKeys as string[]).includes(k));

/**
 * The family a mapping of config keys belongs to: real if it uses a key only the real-data study knows, synthetic if
 * it uses one only the synthetic experiment knows, undefined when all its keys are shared (alpha, n1, seed, …).
 */
export function familyOfKeys(keys: readonly string[]): SweepFamily | undefined {
  if (keys.some((k) => realOnly.includes(k))) return familyNamed('real');
  if (keys.some((k) => syntheticOnly.includes(k))) return familyNamed('synthetic');
  return undefined;
}
