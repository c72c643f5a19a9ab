/** The explorer's hand-written chart maths: scales, ticks, tick labels and marching-squares contours. */
import { describe, expect, it } from 'vitest';
import { contourSegments } from '../../web/src/contour.js';
import { axisTicks, extent, formatTick, makeScale, niceDomain, niceStep } from '../../web/src/scale.js';

describe('scales and ticks', () => {
  it('picks 1-2-5 steps', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(1, 4)).toBe(0.2);
    expect(niceStep(0.07, 5)).toBe(0.01);
    expect(niceStep(700, 5)).toBe(100);
    expect(niceStep(3.4, 1)).toBe(2);
    expect(niceStep(4, 1)).toBe(5);
  });

  it('maps linear and log domains onto pixels and back', () => {
    const x = makeScale('linear', [0, 1], [50, 550]);
    expect(x(0.25)).toBe(175);
    expect(x.invert(175)).toBe(0.25);
    expect(x.ticks(5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const y = makeScale('log', [1, 1000], [300, 0]);
    expect(y(10)).toBeCloseTo(200, 10);
    expect(y.invert(100)).toBeCloseTo(100, 9);
    expect(y.ticks(5)).toEqual([1, 10, 100, 1000]);
    // Less than a decade: 1-2-5 multiples.
    expect(makeScale('log', [0.03, 0.6], [0, 1]).ticks(5)).toEqual([0.05, 0.1, 0.2, 0.5]);
  });

  it('pads extents, and keeps only positive values on a log scale', () => {
    expect(extent([0, 1, NaN, 0.5], 'linear', 0.1)).toEqual([-0.1, 1.1]);
    expect(extent([0, -1, 4, 1], 'log', 0)).toEqual([1, 4]);
    expect(extent([NaN], 'linear')).toBeNull();
  });

  it('widens a domain to round values, so an axis starts and ends on a tick', () => {
    expect(niceDomain('linear', [0.0213, 0.1487], 5)).toEqual([0.02, 0.16]);
    expect(niceDomain('linear', [-0.031, 0.094], 4)).toEqual([-0.04, 0.1]);
    expect(niceDomain('log', [25, 800], 5)).toEqual([20, 1000]);
    expect(niceDomain('log', [0.03, 0.6], 5)).toEqual([0.02, 1]);
    for (const [kind, d] of [['linear', [0.0213, 0.1487]], ['linear', [3, 4]], ['log', [25, 800]], ['log', [0.03, 0.6]]] as const) {
      const s = makeScale(kind, niceDomain(kind, [...d], 5), [0, 500]);
      const t = axisTicks(s, 5);
      expect(t[0]).toBe(s.domain[0]);
      expect(t[t.length - 1]).toBe(s.domain[1]);
    }
  });

  it('always ticks both ends of an axis, even of a fixed domain, without crowding', () => {
    const s = makeScale('linear', [-0.013, 0.3], [0, 500]);
    const t = axisTicks(s, 5);
    expect(t[0]).toBe(-0.013);
    expect(t[t.length - 1]).toBe(0.3);
    expect(t).not.toContain(0); // 0 sits closer than 40% of a step to the added end: dropped
    expect(t).toEqual([-0.013, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]);
    expect(axisTicks(makeScale('linear', [0, 1], [0, 500]), 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('labels ticks as decimals, or powers of ten when tiny', () => {
    expect(formatTick(0.4, 0.2)).toBe('0.4');
    expect(formatTick(-0.5, 0.1)).toBe('−0.5');
    expect(formatTick(1500, 500)).toBe('1500');
    expect(formatTick(1e-4)).toBe('10⁻⁴');
    expect(formatTick(3e-5)).toBe('3×10⁻⁵');
    expect(formatTick(2e6)).toBe('2×10⁶');
  });
});

describe('contourSegments', () => {
  it('finds a straight level line by linear interpolation', () => {
    // z = i − 1.5 over 4 columns and 3 rows: the level 0 runs along column 1.5.
    const grid = [0, 1, 2].map(() => [0, 1, 2, 3].map((i) => i - 1.5));
    const segs = contourSegments(grid, 0);
    expect(segs).toEqual([
      [
        [1.5, 0],
        [1.5, 1],
      ],
      [
        [1.5, 1],
        [1.5, 2],
      ],
    ]);
    // Another level of the same field moves the line.
    expect(contourSegments(grid, 1).map((s) => s[0][0])).toEqual([2.5, 2.5]);
  });

  it('follows a diagonal boundary and places infinite values at the edge', () => {
    const grid = [
      [-1, 1],
      [-Infinity, -1],
    ];
    // Corner (1,0) alone is above the level: one segment cutting it off.
    const [seg, ...rest] = contourSegments(grid, 0);
    expect(rest).toEqual([]);
    expect(seg[0]).toEqual([0.5, 0]);
    expect(seg[1]).toEqual([1, 0.5]);
    const edge = contourSegments([[-Infinity, 1]], 0);
    expect(edge).toEqual([]); // one row: no cells
  });

  it('resolves saddles by the cell mean', () => {
    // Positive corners (0,0) and (1,1); mean −0.5 < 0: the positives are cut off separately.
    const segs = contourSegments(
      [
        [1, -2],
        [-2, 1],
      ],
      0,
    );
    expect(segs).toHaveLength(2);
    const near = (p: number[], q: number[]) => Math.hypot(p[0] - q[0], p[1] - q[1]) < 1e-12;
    expect(segs.some(([a, b]) => near(a, [1 / 3, 0]) && near(b, [0, 1 / 3]))).toBe(true);
    expect(segs.some(([a, b]) => near(a, [1, 2 / 3]) && near(b, [2 / 3, 1]))).toBe(true);
  });

  it('skips cells with a NaN corner', () => {
    expect(contourSegments([[NaN, 1], [-1, 1]], 0)).toEqual([]);
  });
});
