// lib/model/logreg-pool.ts: helper threads summing their share of the rows give the one-thread objectives.
import { describe, expect, it } from 'vitest';
import { design, balancedClassWeights } from '../../lib/model/design.js';
import { logregObjectives } from '../../lib/model/logreg-fit.js';
import { startLogregPool } from '../../lib/model/logreg-pool.js';
import { syntheticRows } from '../../bench/sklearn-logreg.js';
import { mulberry32 } from '../../lib/run/random.js';

describe('logreg pool', () => {
  it('3 threads over a shared design give the objectives and gradients of one thread, round after round', () => {
    const data = syntheticRows(900, 4, { d: 24, labels: 5 });
    const rows = data.X.map((_, i) => i);
    const D = design(data.X, rows, data.d, true, true);
    expect(D.x.buffer).toBeInstanceOf(SharedArrayBuffer);
    const Y = data.labels.map((l) => Uint8Array.from(data.Y, (ls) => (ls.includes(l) ? 1 : 0)));
    const cw = Y.map(balancedClassWeights);
    const pool = startLogregPool(D, Y, cw, 1e-2, 3);
    expect(pool).not.toBeNull();
    try {
      const rand = mulberry32(9);
      for (const labels of [[0, 1, 2, 3, 4], [4, 1], [2]]) {
        const ps = labels.map(() => Float64Array.from({ length: data.d + 1 }, () => rand() - 0.5));
        const got = pool!.evaluate(ps, labels);
        const want = logregObjectives(D, Y, cw, 1e-2, ps, labels);
        got.forEach((e, a) => {
          expect(e.f).toBeCloseTo(want[a]!.f, 12);
          e.g.forEach((v, k) => expect(v).toBeCloseTo(want[a]!.g[k]!, 12));
        });
      }
    } finally {
      pool!.close();
    }
  });
});
