import { spawn } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/presets.js';
import { experimentSchema, type ExperimentConfig } from '../../src/config/schema.js';
import { estimateExperiment } from '../../src/experiment/estimate.js';
import { runExperiment } from '../../src/experiment/run.js';
import { syntheticStudy } from '../../src/experiment/study.js';
import { realStudy } from '../../src/real/study.js';
import { realDefaults } from '../../src/real/config.js';
import { formatBytes, guardRuns, refuseIfInfeasible } from '../../src/study/guard.js';
import { UserError } from '../../src/util/errors.js';
import { binPath, repoRoot, runCli } from '../helpers/cli.js';

const sets = (...kv: string[]) => kv.flatMap((x) => ['--set', x]);

describe('the resource guard refuses what cannot fit, in one line naming the estimate and the keys', () => {
  const cases: [string, string[], RegExp][] = [
    ['n1 = 10⁷', sets('n1=10000000'), /this config cannot run: one of its arrays would hold 2\.0e\+10 values, more than a JavaScript typed array can .*; driven by n1=10000000, patches=2, d=2000: lower them$/],
    ['nTest = 10⁷, explicit, d = 10⁵', sets('nTest=10000000', 'sampler=explicit', 'd=100000'), /cannot run: .* driven by nTest=10000000, patches=2, d=100000/],
    ['explicit, d = 10⁷', sets('sampler=explicit', 'd=10000000'), /cannot run: .* driven by nTest=2000, patches=2, d=10000000/],
    ['m = 10⁵', sets('m=100000'), /this config needs about \d+ GB of memory, more than this machine's [\d.]+ GB; driven by m=100000, d=2000: lower them$/],
  ];
  for (const [name, args, re] of cases) {
    it(name, async () => {
      const r = await runCli(['run', 'positive-transfer', ...args], { timeoutMs: 20_000 });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^paratransfer: error: /);
      expect(lines[0]).toMatch(re);
      expect(r.stderr).not.toMatch(/internal error/);
    });
  }

  it('a sweep with such a point is refused before anything is written, naming the point', async () => {
    const { mkdtempSync, writeFileSync, existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'pt-guard-'));
    writeFileSync(join(dir, 's.yaml'), 'base: positive-transfer\ngrid:\n  m: [10, 100000]\n');
    const r = await runCli(['sweep', join(dir, 's.yaml'), '--out', join(dir, 'out')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^paratransfer: error: grid point 1 \(m=100000\) needs about \d+ GB of memory, .*driven by m=100000/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('a run estimated over a minute prints its estimate before it starts', async () => {
    // steps = 10⁷ at the default size: hours. Stop the process once the note is out.
    const stderr = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [binPath, 'run', 'positive-transfer', '--set', 'steps=10000000'], { cwd: repoRoot });
      let err = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.stderr.setEncoding('utf8').on('data', (s: string) => {
        err += s;
        if (err.includes('\n')) child.kill('SIGKILL');
      });
      child.on('close', () => {
        clearTimeout(timer);
        resolve(err);
      });
    });
    expect(stderr.split('\n')[0]).toMatch(/^paratransfer: note: estimated [\d.]+ (min|h|days) for this run \(peak memory about \d+ MB per run\); time driven by .*steps=10000000/);
  });
});

describe('estimates', () => {
  it('price the default run at about a second and some hundred MB, and grow with the keys that drive them', () => {
    const e = estimateExperiment(defaultConfig);
    expect(e.seconds).toBeGreaterThan(0.3);
    expect(e.seconds).toBeLessThan(5);
    expect(e.bytes).toBeGreaterThan(100e6);
    expect(e.bytes).toBeLessThan(300e6);
    const longer = estimateExperiment({ ...defaultConfig, steps: 3000 });
    expect(longer.seconds - 0.3).toBeGreaterThan(3 * (e.seconds - 0.3));
    expect(longer.timeDrivers).toContain('steps');
    const explicit = estimateExperiment({ ...defaultConfig, sampler: 'explicit', d: 50_000 });
    expect(explicit.memoryDrivers).toEqual(['nTest', 'patches', 'd']);
    expect(explicit.bytes).toBeGreaterThan(2e9);
  });

  it('stay finite for every valid config, however large (property)', () => {
    const keys = ['d', 'n1', 'n2', 'nTest', 'm', 'patches', 'steps', 'checkpoints'] as const;
    const hi: Record<(typeof keys)[number], number> = { d: 1e7, n1: 1e7, n2: 1e7, nTest: 1e7, m: 1e5, patches: 1000, steps: 1e7, checkpoints: 1e4 };
    const lo: Record<(typeof keys)[number], number> = { d: 4, n1: 1, n2: 1, nTest: 1, m: 1, patches: 2, steps: 0, checkpoints: 2 };
    fc.assert(
      fc.property(
        fc.record(Object.fromEntries(keys.map((k) => [k, fc.integer({ min: lo[k], max: hi[k] })])) as Record<(typeof keys)[number], fc.Arbitrary<number>>),
        fc.constantFrom('auto', 'explicit', 'subspace'),
        fc.constantFrom('auto', 'coef', 'dense'),
        (sizes, sampler, engine) => {
          const c = experimentSchema.parse({ ...defaultConfig, ...sizes, sampler });
          const e = estimateExperiment(c, engine);
          return Number.isFinite(e.bytes) && e.bytes > 0 && Number.isFinite(e.seconds) && e.seconds > 0 && e.memoryDrivers.length > 0;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('real data: a larger network, batch or dataset costs more; an absurd one is refused', async () => {
    const e = await realStudy.estimate!(realDefaults);
    expect(e.seconds).toBeGreaterThan(1);
    expect(e.seconds).toBeLessThan(120);
    const wide = await realStudy.estimate!({ ...realDefaults, width: 64 });
    expect(wide.seconds).toBeGreaterThan(20 * e.seconds);
    const huge = await realStudy.estimate!({ ...realDefaults, width: 1024, batchSize: 65536, n1: 100000 });
    expect(() => refuseIfInfeasible(huge, { ...realDefaults, width: 1024, batchSize: 65536 }, 'this config', 16e9)).toThrow(UserError);
    expect(huge.memoryDrivers).toEqual(['batchSize', 'arch', 'width']);
  });

  it('real data: runs of one upstream network pay its training once; a loss target makes the estimate a bound', async () => {
    const one = await realStudy.estimate!(realDefaults);
    expect(one.mayStopEarly).toBe(true); // stopLoss 0.01
    expect(one.sharedSeconds!).toBeGreaterThan(0.5 * one.seconds); // 3000 upstream images against 25 downstream
    expect(one.sharedSeconds!).toBeLessThan(one.seconds);
    const minutes = (note: string | undefined) => {
      const m = /estimated (?:at most )?(\d+) min/.exec(note ?? '');
      return m ? Number(m[1]) : NaN;
    };
    // 30 runs: 10 seeds × 3 α share 10 upstream networks; 30 seeds × 1 α need 30
    const sharing = Array.from({ length: 30 }, (_, i) => ({ ...realDefaults, seed: i % 10, alpha: [0.25, 0.5, 1][Math.floor(i / 10)] }));
    const alone = Array.from({ length: 30 }, (_, seed) => ({ ...realDefaults, seed }));
    const shared = minutes(await guardRuns(realStudy, sharing));
    const separate = minutes(await guardRuns(realStudy, alone));
    expect(shared).toBe(Math.round((10 * one.seconds + 20 * (one.seconds - one.sharedSeconds!)) / 60));
    expect(separate).toBe(Math.round((30 * one.seconds) / 60));
    expect(shared).toBeLessThan(0.6 * separate);
    expect(await guardRuns(realStudy, alone)).toMatch(/^estimated at most \d+ min for 30 runs on 1 thread .*\(training may stop early at its loss target\)$/);
    expect(await guardRuns(realStudy, alone.map((c) => ({ ...c, stopLoss: 0 })))).not.toMatch(/at most|stop early/);
  });

  it('guardRuns: silent under a minute, a note over it, the total shared by the workers', async () => {
    expect(await guardRuns(syntheticStudy, [defaultConfig])).toBeUndefined();
    const many = Array.from({ length: 200 }, (_, seed) => ({ ...defaultConfig, seed }));
    const note = await guardRuns(syntheticStudy, many, { workers: 2 });
    expect(note).toMatch(/^estimated \d+ (s|min) for 200 runs on 2 threads/);
    expect(formatBytes(35e9)).toBe('35 GB');
    expect(formatBytes(1.5e11)).toBe('150 GB');
    expect(formatBytes(2.4e12)).toBe('2.4 TB');
  });
});

describe('no internal error is reachable from a config value', () => {
  it('small configs with extreme values of every other key either run or fail with a one-line UserError (property)', () => {
    const num = (min: number, max: number) => fc.oneof(fc.constant(min), fc.constant(max), fc.double({ min, max, noNaN: true }));
    fc.assert(
      fc.property(
        fc.record({
          uNorm: num(0, 1e6),
          v1Norm: num(0, 1e6),
          v2Norm: num(0, 1e6),
          vCos: num(-1, 1),
          sigmaP1: num(0, 1e6),
          sigmaP2: num(0, 1e6),
          labelNoise: num(0, 0.499),
          sigma0: num(0, 1e6),
          lr: num(1e-300, 1e6),
          lossThreshold: num(0, 1e6),
          alpha: num(0, 1),
          inheritance: fc.constantFrom('random', 'first', 'entries'),
          freezeInherited: fc.boolean(),
          basis: fc.constantFrom('random', 'canonical'),
          sampler: fc.constantFrom('auto', 'explicit'),
          signalPatch: fc.constantFrom('first', 'random'),
          checkpoints: fc.integer({ min: 2, max: 10_000 }),
          patches: fc.integer({ min: 2, max: 4 }),
        }),
        (keys) => {
          const parsed = experimentSchema.safeParse({ ...defaultConfig, d: 12, n1: 6, n2: 4, nTest: 20, m: 2, steps: 8, ...keys });
          if (!parsed.success) return true; // a validation message, as the CLI prints it
          const c: ExperimentConfig = parsed.data;
          try {
            const { result } = runExperiment(c);
            return [result.upstream, result.transfer, result.scratch].every((p) => p.testError >= 0 && p.testError <= 1);
          } catch (e) {
            if (e instanceof UserError) return !e.message.includes('\n');
            throw e;
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
