// One-vs-rest L2 logistic regression, class-balanced: every label's L-BFGS steps in lockstep, one pass over the rows per round.
import { lbfgsMany, type Evaluated, type LbfgsOptions } from './lbfgs.js';
import { balancedClassWeights, type Design } from './design.js';

/** Convergence of every logreg fit (scikit-learn's lbfgs `tol` is the same max-|gradient| test on the same objective). */
export const LOGREG_LBFGS: Required<Pick<LbfgsOptions, 'maxIter' | 'gtol'>> = { maxIter: 2000, gtol: 1e-6 };

export interface BinaryFit {
  /** Weights on the standardised features. */
  w: Float64Array;
  b: number;
  iterations: number;
}

/**
 * The objective and gradient of every asked point (point a for label which[a]; params [w(d), b]) in one pass over
 * the rows: f = (1/n) Σ_i c_i·(softplus(z_i) − y_i z_i) + λ/2·‖w‖², c_i the label's balanced class weight; the bias
 * is not penalised. This is scikit-learn's LogisticRegression objective with C = 1/(nλ), class_weight='balanced'.
 */
export function logregObjectives(
  D: Design,
  Y: readonly Uint8Array[],
  classWeights: readonly [number, number][],
  l2: number,
  ps: readonly Float64Array[],
  which: readonly number[],
  rows: { from: number; to: number } = { from: 0, to: D.n },
): Evaluated[] {
  const { n, d, x } = D;
  const A = ps.length;
  const f = new Float64Array(A);
  const G = ps.map(() => new Float64Array(d + 1));
  const z = new Float64Array(A);
  const r = new Float64Array(A);
  const ys = which.map((j) => Y[j]!);
  const cws = which.map((j) => classWeights[j]!);
  for (let i = rows.from; i < rows.to; i++) {
    const o = i * d;
    let a = 0;
    for (; a + 4 <= A; a += 4) {
      const p0 = ps[a]!;
      const p1 = ps[a + 1]!;
      const p2 = ps[a + 2]!;
      const p3 = ps[a + 3]!;
      let s0 = p0[d]!;
      let s1 = p1[d]!;
      let s2 = p2[d]!;
      let s3 = p3[d]!;
      for (let k = 0; k < d; k++) {
        const xv = x[o + k]!;
        s0 += xv * p0[k]!;
        s1 += xv * p1[k]!;
        s2 += xv * p2[k]!;
        s3 += xv * p3[k]!;
      }
      z[a] = s0;
      z[a + 1] = s1;
      z[a + 2] = s2;
      z[a + 3] = s3;
    }
    for (; a < A; a++) {
      const p0 = ps[a]!;
      let s0 = p0[d]!;
      for (let k = 0; k < d; k++) s0 += x[o + k]! * p0[k]!;
      z[a] = s0;
    }
    for (a = 0; a < A; a++) {
      const y = ys[a]![i]!;
      const c = cws[a]![y]!;
      const s = z[a]!;
      const e = Math.exp(-Math.abs(s));
      // softplus(s) − y·s and sigmoid(s) − y, from one exp
      f[a]! += c * ((s > 0 ? s : 0) + Math.log1p(e) - y * s);
      r[a] = (c * ((s >= 0 ? 1 / (1 + e) : e / (1 + e)) - y)) / n;
    }
    for (a = 0; a + 4 <= A; a += 4) {
      const g0 = G[a]!;
      const g1 = G[a + 1]!;
      const g2 = G[a + 2]!;
      const g3 = G[a + 3]!;
      const r0 = r[a]!;
      const r1 = r[a + 1]!;
      const r2 = r[a + 2]!;
      const r3 = r[a + 3]!;
      for (let k = 0; k < d; k++) {
        const xv = x[o + k]!;
        g0[k]! += xv * r0;
        g1[k]! += xv * r1;
        g2[k]! += xv * r2;
        g3[k]! += xv * r3;
      }
      g0[d]! += r0;
      g1[d]! += r1;
      g2[d]! += r2;
      g3[d]! += r3;
    }
    for (; a < A; a++) {
      const g0 = G[a]!;
      const r0 = r[a]!;
      for (let k = 0; k < d; k++) g0[k]! += x[o + k]! * r0;
      g0[d]! += r0;
    }
  }
  return ps.map((p, a) => {
    const g = G[a]!;
    let ww = 0;
    for (let k = 0; k < d; k++) {
      ww += p[k]! * p[k]!;
      g[k]! += l2 * p[k]!;
    }
    return { f: f[a]! / n + 0.5 * l2 * ww, g };
  });
}

/**
 * Fits every label of `labels` (indices into Y, each with both classes present) on the design D. `start`: a point to
 * start a label from (a warm start; the optimum is the same, to the tolerance). `evaluate` defaults to one thread.
 */
export function fitLogregLabels(
  D: Design,
  Y: readonly Uint8Array[],
  labels: readonly number[],
  l2: number,
  o: {
    start?: (j: number) => Float64Array | undefined;
    evaluate?: (ps: Float64Array[], which: number[]) => Evaluated[];
  } = {},
): BinaryFit[] {
  const cw = Y.map((y) => balancedClassWeights(y));
  const evaluate =
    o.evaluate ??
    ((ps: Float64Array[], which: number[]) =>
      logregObjectives(
        D,
        Y,
        cw,
        l2,
        ps,
        which.map((a) => labels[a]!),
      ));
  const x0s = labels.map((j) => o.start?.(j)?.slice() ?? new Float64Array(D.d + 1));
  return lbfgsMany(evaluate, x0s, LOGREG_LBFGS).map((res) => ({
    w: res.x.subarray(0, D.d),
    b: res.x[D.d]!,
    iterations: res.iterations,
  }));
}
