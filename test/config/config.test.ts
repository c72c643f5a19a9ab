import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseOverride, validateConfig } from '../../src/config/load.js';
import { defaultConfig, presets, presetConfig } from '../../src/config/presets.js';
import { experimentKeys } from '../../src/config/schema.js';
import { UserError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'pt-config-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('config keys (issue 2 contract)', () => {
  it('has every key the issue names', () => {
    const required = 'd n1 n2 nTest m patches uNorm v1Norm v2Norm vCos sigmaP1 sigmaP2 labelNoise sigma0 lr steps lossThreshold alpha inheritance freezeInherited seed basis'.split(' ');
    for (const k of required) expect(experimentKeys).toContain(k);
  });

  it('presets hold the settings of docs/model.md#presets', () => {
    const pos = presetConfig(presets.find((p) => p.name === 'positive-transfer')!);
    expect(pos).toMatchObject({ d: 2000, n1: 200, n2: 40, nTest: 2000, m: 20, sigmaP1: 1, sigmaP2: 1, sigma0: 0.01, lr: 1, steps: 300, alpha: 0.5, labelNoise: 0, uNorm: 2, v1Norm: 2, v2Norm: 1 });
    const neg = presetConfig(presets.find((p) => p.name === 'negative-transfer')!);
    expect(neg).toMatchObject({ uNorm: 0.3, v1Norm: 4, v2Norm: 2.5, n1: 800, n2: 40, steps: 300 });
    for (const p of presets) expect(validateConfig(presetConfig(p))).toEqual(presetConfig(p));
  });
});

describe('loading and overriding', () => {
  it('reads a YAML subset over the defaults and applies --set as YAML scalars', () => {
    const p = file('ok.yaml', 'alpha: 0.25\ninheritance: first\nfreezeInherited: true\n');
    const c = loadConfig(p, ['d=300', 'basis=canonical', 'lossThreshold=1e-3']);
    expect(c).toEqual({ ...defaultConfig, alpha: 0.25, inheritance: 'first', freezeInherited: true, d: 300, basis: 'canonical', lossThreshold: 0.001 });
  });

  it('later --set wins', () => {
    expect(loadConfig('positive-transfer', ['seed=1', 'seed=5']).seed).toBe(5);
  });

  it('accepts an empty YAML file as the defaults', () => {
    expect(loadConfig(file('empty.yaml', ''))).toEqual(defaultConfig);
  });
});

describe('bad input gets one clear line naming the field and what is allowed', () => {
  const cases: [string, string[], RegExp][] = [
    ['alpha above 1', ['alpha=1.5'], /field "alpha": must be a number in \[0, 1\] \(got 1\.5\)/],
    ['alpha negative', ['alpha=-0.1'], /field "alpha": must be a number in \[0, 1\]/],
    ['label noise 0.5', ['labelNoise=0.5'], /field "labelNoise": must be a number in \[0, 0\.5\)/],
    ['label noise negative', ['labelNoise=-0.01'], /field "labelNoise"/],
    ['d too small for the directions', ['d=3'], /field "d": must be an integer in \[4, 10000000\]: the non-zero directions among u, v₁, v₂ take 3, noise at least 1 more \(got 3\)$/],
    // one message for d whatever the bound it breaks (issue 14: no second, contradicting line)
    ['d below the field range', ['d=1'], /field "d": must be an integer in \[4, 10000000\]: .* \(got 1\)$/],
    ['d not an integer', ['d=4.5'], /field "d": must be an integer in \[4, 10000000\]: .* \(got 4\.5\)$/],
    ['d with fewer directions', ['d=1', 'uNorm=0'], /field "d": must be an integer in \[3, 10000000\]: the non-zero directions among u, v₁, v₂ take 2/],
    ['zero samples', ['n2=0'], /field "n2": must be an integer in \[1, /],
    ['fractional m', ['m=2.5'], /field "m": must be an integer/],
    ['NaN', ['sigmaP1=nan'], /field "sigmaP1": .* \(got NaN\)/],
    ['infinite lr', ['lr=.inf'], /field "lr": .*\(got Infinity\)/],
    ['lr zero', ['lr=0'], /field "lr": must be a number in \(0, /],
    ['wrong type', ['steps=many'], /field "steps": must be an integer/],
    ['bad enum', ['inheritance=half'], /field "inheritance": must be one of random, first, entries/],
    ['bad boolean', ['freezeInherited=maybe'], /field "freezeInherited": must be true or false/],
    ['one patch', ['patches=1'], /field "patches": must be an integer in \[2, /],
  ];
  for (const [name, sets, re] of cases) {
    it(name, () => {
      const msg = errorOf(() => loadConfig('positive-transfer', sets));
      expect(msg).toMatch(re);
      expect(msg.split('\n')).toHaveLength(1);
    });
  }

  it('unknown --set key lists the allowed keys', () => {
    expect(errorOf(() => parseOverride('alhpa=0.5'))).toMatch(/unknown key "alhpa" \(allowed: d, n1/);
  });

  it('--set without a value or without =', () => {
    expect(errorOf(() => parseOverride('alpha='))).toMatch(/missing value/);
    expect(errorOf(() => parseOverride('alpha'))).toMatch(/expected key=value/);
  });

  it('unknown key in a YAML file names the file', () => {
    const p = file('bad-key.yaml', 'alpha: 0.5\nbeta: 2\n');
    expect(errorOf(() => loadConfig(p))).toMatch(/bad-key\.yaml: unknown key "beta"/);
  });

  it('invalid YAML and non-mapping documents', () => {
    expect(errorOf(() => loadConfig(file('broken.yaml', 'alpha: [1, 2\n')))).toMatch(/broken\.yaml: not valid YAML/);
    expect(errorOf(() => loadConfig(file('list.yaml', '- 1\n- 2\n')))).toMatch(/list\.yaml: expected a mapping/);
  });

  it('a value out of range in a YAML file names the file and field', () => {
    const p = file('range.yaml', 'alpha: 3\n');
    expect(errorOf(() => loadConfig(p))).toMatch(/range\.yaml: field "alpha"/);
  });

  it('neither preset nor file', () => {
    expect(errorOf(() => loadConfig('no-such-thing'))).toMatch(/neither a preset \(positive-transfer, negative-transfer/);
  });
});
