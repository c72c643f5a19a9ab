export type P2 = [number, number];

/**
 * Marching squares: the segments where a gridded field crosses `level`. grid[j][i] is the value at column i, row j;
 * points come back in (column, row) coordinates, linearly interpolated along cell edges. Non-finite values are
 * clamped to ±1e300 so that an infinite Γ still places its boundary. Saddles are resolved by the cell mean.
 */
export function contourSegments(grid: number[][], level: number): [P2, P2][] {
  const rows = grid.length;
  const cols = grid[0]?.length ?? 0;
  const v = (i: number, j: number) => {
    const z = grid[j][i] - level;
    return Number.isNaN(z) ? NaN : Math.max(-1e300, Math.min(1e300, z));
  };
  const out: [P2, P2][] = [];
  const cross = (a: number, b: number) => (a === b ? 0.5 : Math.max(0, Math.min(1, a / (a - b))));
  for (let j = 0; j + 1 < rows; j++) {
    for (let i = 0; i + 1 < cols; i++) {
      const z = [v(i, j), v(i + 1, j), v(i + 1, j + 1), v(i, j + 1)];
      if (z.some(Number.isNaN)) continue;
      const pos = z.map((t) => t > 0);
      const idx = (pos[0] ? 1 : 0) | (pos[1] ? 2 : 0) | (pos[2] ? 4 : 0) | (pos[3] ? 8 : 0);
      if (idx === 0 || idx === 15) continue;
      // Edge crossings: 0 bottom (0–1), 1 right (1–2), 2 top (3–2), 3 left (0–3).
      const e: P2[] = [
        [i + cross(z[0], z[1]), j],
        [i + 1, j + cross(z[1], z[2])],
        [i + cross(z[3], z[2]), j + 1],
        [i, j + cross(z[0], z[3])],
      ];
      const edges = edgeTable[idx];
      if (edges.length === 4) {
        // Saddle (opposite corners agree): the cell mean decides which corners are connected.
        const centre = (z[0] + z[1] + z[2] + z[3]) / 4 > 0;
        const cutCorners1and3 = (idx === 5) === centre;
        if (cutCorners1and3) out.push([e[0], e[1]], [e[2], e[3]]);
        else out.push([e[0], e[3]], [e[1], e[2]]);
      } else {
        out.push([e[edges[0]], e[edges[1]]]);
      }
    }
  }
  return out;
}

/** For each corner sign pattern, the edges the level crosses (4 entries: a saddle). */
const edgeTable: number[][] = [
  [],
  [0, 3],
  [0, 1],
  [1, 3],
  [1, 2],
  [0, 1, 2, 3],
  [0, 2],
  [2, 3],
  [2, 3],
  [0, 2],
  [0, 3, 2, 1],
  [1, 2],
  [1, 3],
  [0, 1],
  [0, 3],
  [],
];
