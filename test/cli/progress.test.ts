import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { etaSeconds, progressBar } from '../../src/cli/progress.js';

/** A fake stderr that is not a terminal, and a clock the test moves. */
function harness() {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean };
  let text = '';
  stream.on('data', (b: Buffer) => (text += b.toString()));
  let t = 0;
  return { stream, lines: () => text.trimEnd().split('\n').filter(Boolean), tick: (ms: number) => (t += ms), now: () => t };
}

describe('progress without a terminal', () => {
  it('prints one line per tenth of the work, with done/total, elapsed and the ETA', () => {
    const h = harness();
    const p = progressBar(40, true, 'sweep', { unit: 'runs', fields: ['failed', 'workers'], stream: h.stream, now: h.now });
    for (let done = 1; done <= 40; done++) {
      h.tick(2000);
      p.update(done, { failed: 0, workers: 2 });
    }
    p.stop();
    const lines = h.lines();
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('paratransfer: sweep: 4/40 runs (10%), 0 failed, 2 workers, elapsed 8 s, ETA 72 s');
    expect(lines[4]).toBe('paratransfer: sweep: 20/40 runs (50%), 0 failed, 2 workers, elapsed 40 s, ETA 40 s');
    expect(lines[9]).toBe('paratransfer: sweep: 40/40 runs (100%), 0 failed, 2 workers, elapsed 80 s, ETA 0 s');
  });

  it('also prints at least once a minute when the work moves slowly', () => {
    const h = harness();
    const p = progressBar(1000, true, 'training', { stream: h.stream, now: h.now });
    for (let done = 1; done <= 50; done++) {
      h.tick(5000); // 4 minutes for 5% of the work
      p.update(done, { phase: 'upstream' });
    }
    p.stop();
    const lines = h.lines();
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^paratransfer: training: 12\/1000 steps \(1%\), upstream, elapsed 60 s, ETA 82 min$/);
  });

  it('stays quiet for quietSeconds (a short run says nothing), then reports', () => {
    const h = harness();
    const p = progressBar(100, true, 'training', { quietSeconds: 10, stream: h.stream, now: h.now });
    for (let done = 1; done <= 100; done++) {
      h.tick(200);
      p.update(done);
    }
    p.stop();
    // 20 s in all: the first 10 s pass in silence; from then on every tenth is reported
    expect(h.lines().map((l) => l.match(/ (\d+)\/100/)![1])).toEqual(['50', '60', '70', '80', '90', '100']);
    const off = harness();
    const q = progressBar(10, false, 'x', { stream: off.stream, now: off.now });
    q.update(10);
    q.stop();
    expect(off.lines()).toEqual([]);
  });

  it('gives no ETA before there is data to go on', () => {
    expect(etaSeconds(0, 100, 30)).toBeNull(); // nothing done yet
    expect(etaSeconds(5, 100, 0.2)).toBeNull(); // under a second: no guess
    expect(etaSeconds(10, 100, 2)).toBeCloseTo(18, 12);
    expect(etaSeconds(100, 100, 50)).toBe(0);
    const h = harness();
    const p = progressBar(10, true, 'sweep', { unit: 'runs', stream: h.stream, now: h.now });
    h.tick(500);
    p.update(1);
    p.stop();
    expect(h.lines()).toEqual(['paratransfer: sweep: 1/10 runs (10%), elapsed 1 s, ETA —']);
  });
});
