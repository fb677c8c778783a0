// lib/model/logreg-fit.ts: the two-rows-at-a-time kernel gives the objective written out one row at a time.
import { describe, expect, it } from 'vitest';
import { balancedClassWeights, design, sigmoid, softplus } from '../../lib/model/design.js';
import { accumulateLogreg, logregObjectives } from '../../lib/model/logreg-fit.js';
import { syntheticRows } from '../../bench/sklearn-logreg.js';
import { mulberry32 } from '../../lib/run/random.js';

describe('logreg objectives', () => {
  const data = syntheticRows(13, 5, { d: 7, labels: 6 }); // an odd row count; 6 labels: a block of 4 and 2 more
  const D = design(
    data.X,
    data.X.map((_, i) => i),
    data.d,
    true,
  );
  const Y = data.labels.map((l) => Uint8Array.from(data.Y, (ls) => (ls.includes(l) ? 1 : 0)));
  const cw = Y.map(balancedClassWeights);
  const rand = mulberry32(3);
  const labels = [5, 0, 3, 1, 2];
  const ps = labels.map(() => Float64Array.from({ length: data.d + 1 }, () => rand() - 0.5));
  const l2 = 0.03;

  it('equal the objective and gradient written out row by row', () => {
    const got = logregObjectives(D, Y, cw, l2, ps, labels);
    labels.forEach((j, a) => {
      const p = ps[a]!;
      let f = 0;
      const g = new Float64Array(D.d + 1);
      for (let i = 0; i < D.n; i++) {
        let z = p[D.d]!;
        for (let k = 0; k < D.d; k++) z += D.x[i * D.d + k]! * p[k]!;
        const y = Y[j]![i]!;
        const c = cw[j]![y]!;
        f += c * (softplus(z) - y * z);
        const r = c * (sigmoid(z) - y);
        for (let k = 0; k < D.d; k++) g[k]! += (r * D.x[i * D.d + k]!) / D.n;
        g[D.d]! += r / D.n;
      }
      let ww = 0;
      for (let k = 0; k < D.d; k++) {
        ww += p[k]! * p[k]!;
        g[k]! += l2 * p[k]!;
      }
      expect(got[a]!.f).toBeCloseTo(f / D.n + 0.5 * l2 * ww, 12);
      got[a]!.g.forEach((v, k) => expect(v).toBeCloseTo(g[k]!, 12));
    });
  });

  it('row ranges with odd ends sum to the whole', () => {
    const whole = { f: new Float64Array(labels.length), G: labels.map(() => new Float64Array(D.d + 1)) };
    accumulateLogreg(D, Y, cw, ps, labels, 0, D.n, whole.f, whole.G);
    const parts = { f: new Float64Array(labels.length), G: labels.map(() => new Float64Array(D.d + 1)) };
    for (const [from, to] of [
      [0, 3],
      [3, 8],
      [8, 13],
    ] as const)
      accumulateLogreg(D, Y, cw, ps, labels, from, to, parts.f, parts.G);
    parts.f.forEach((v, a) => expect(v).toBeCloseTo(whole.f[a]!, 12));
    parts.G.forEach((g, a) => g.forEach((v, k) => expect(v).toBeCloseTo(whole.G[a]![k]!, 12)));
  });
});
