// lib/model/lbfgs.ts: L-BFGS minimises, and problems stepped in lockstep take exactly the steps they take alone.
import { describe, expect, it } from 'vitest';
import { lbfgs, lbfgsMany } from '../../lib/model/lbfgs.js';

/** f(x) = Σ_k a_k (x_k − c_k)² + log(1 + e^{x_0}): smooth, strongly convex, minimum near c. */
function problem(a: number[], c: number[]) {
  return (x: Float64Array, g: Float64Array): number => {
    let f = Math.log1p(Math.exp(x[0]!));
    a.forEach((ak, k) => {
      f += ak * (x[k]! - c[k]!) ** 2;
      g[k] = 2 * ak * (x[k]! - c[k]!);
    });
    g[0]! += 1 / (1 + Math.exp(-x[0]!));
    return f;
  };
}

describe('lbfgs', () => {
  it('finds the minimum to the gradient tolerance', () => {
    const fg = problem([1, 10, 100], [1, -2, 3]);
    const r = lbfgs(fg, new Float64Array(3), { gtol: 1e-7, ftol: 0 });
    expect(r.converged).toBe(true);
    const g = new Float64Array(3);
    fg(r.x, g);
    expect(Math.max(...g.map(Math.abs))).toBeLessThanOrEqual(1e-7);
    expect(r.x[1]).toBeCloseTo(-2, 6);
    expect(r.x[2]).toBeCloseTo(3, 6);
  });

  it('lockstep: several problems evaluated together give each the result (and iterations) it gets alone', () => {
    const fgs = [problem([1, 10, 100], [1, -2, 3]), problem([5, 0.1, 2], [-1, 4, 0]), problem([1, 1, 1], [0, 0, 0])];
    const alone = fgs.map((fg) => lbfgs(fg, new Float64Array(3)));
    let rounds = 0;
    const together = lbfgsMany(
      (xs, which) => {
        rounds++;
        return xs.map((x, a) => {
          const g = new Float64Array(3);
          return { f: fgs[which[a]!]!(x, g), g };
        });
      },
      fgs.map(() => new Float64Array(3)),
    );
    expect(together).toEqual(alone);
    // One evaluation round per step of the slowest problem, not the sum over problems.
    expect(rounds).toBeLessThan(alone.reduce((s, r) => s + r.iterations, 0) + 3);
  });
});
