import { describe, expect, it } from 'vitest';
import { defaultConfig, presets } from '../../src/config/presets.js';
import { phaseWarnings } from '../../src/experiment/warnings.js';
import { runExperiment } from '../../src/experiment/run.js';
import { runCli } from '../helpers/cli.js';

const rule = { lr: 1, steps: 10, lossThreshold: 0 };

describe('warnings: a run that left the small-step regime says so', () => {
  it('flags a loss that underflowed to 0 and stopped training', () => {
    expect(phaseWarnings('upstream', [0.69, 0], { ...rule, lr: 1e6 })).toEqual([
      'upstream: the loss underflowed to 0 at step 1 of 10 and training stopped there; lr=1000000 is too large',
      'upstream: the first step cut the loss from 0.690 to 0 (> 99%): lr=1000000 leaves the small-step regime the theory assumes',
    ]);
    // stopping at a loss threshold the user set is intended, not a warning
    expect(phaseWarnings('scratch', [0.69, 0.5, 0.3], { ...rule, lossThreshold: 0.4 })).toEqual([]);
  });

  it('flags a first step that raises the loss, or cuts it by more than 99%', () => {
    expect(phaseWarnings('transfer', [0.07, 0.61, 0.2], rule)[0]).toBe(
      'transfer: the first step raised the loss from 0.070 to 0.610: lr=1 overshoots the small-step regime the theory assumes',
    );
    expect(phaseWarnings('transfer', [0.69, 0.0069, 0.001], rule)).toEqual([]); // exactly 99%: still gradual enough
    expect(phaseWarnings('transfer', [0.69, 0.0068, 0.001], rule)).toHaveLength(1);
    expect(phaseWarnings('transfer', [0.69, 0.6, 0.5], rule)).toEqual([]);
    expect(phaseWarnings('transfer', [0.69], { ...rule, steps: 0 })).toEqual([]);
  });

  it('is silent on every preset at its own step size', () => {
    for (const p of presets) {
      const { result } = runExperiment({ ...defaultConfig, ...p.settings, d: 300, n1: 100, n2: 20, nTest: 100, steps: 60 });
      expect(result.warnings, p.name).toBeUndefined();
    }
  });

  it('lr = 10⁶: the summary prints the warnings and --json carries them (and the theory)', async () => {
    const tiny = ['--set', 'd=80', '--set', 'n1=30', '--set', 'n2=12', '--set', 'nTest=100', '--set', 'm=4', '--set', 'steps=30'];
    const json = await runCli(['run', 'positive-transfer', ...tiny, '--set', 'lr=1e6', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout);
    expect(r.warnings.length).toBeGreaterThanOrEqual(2);
    expect(r.warnings.join('\n')).toMatch(/upstream: the loss underflowed to 0 at step 1 of 30/);
    expect(json.stderr.split('\n').filter(Boolean).every((l: string) => l.startsWith('paratransfer: warning: '))).toBe(true);
    expect(r.theory).toMatchObject({ regime: expect.stringMatching(/^(positive|negative|neutral)$/), scratchBayesOptimal: expect.any(Boolean) });
    expect(typeof r.theory.gamma).toBe('number');
    expect(typeof r.theory.predictedGain).toBe('number');
    const text = await runCli(['run', 'positive-transfer', ...tiny, '--set', 'lr=1e6']);
    expect(text.stdout).toMatch(/^ {2}warning: upstream: the loss underflowed to 0/m);
    // the feature table stays aligned whatever the magnitudes
    const table = text.stdout.split('\n').filter((l) => /^ {2}(upstream|transfer|scratch)\b.* \/ /.test(l));
    const at = table.map((l) => l.indexOf('/'));
    expect(new Set(at).size).toBe(1);
    const plain = await runCli(['run', 'positive-transfer', ...tiny, '--json']);
    expect(JSON.parse(plain.stdout).warnings).toBeUndefined();
    expect(plain.stderr).toBe('');
  });
});
