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
): Evaluated[] {
  const f = new Float64Array(ps.length);
  const G = ps.map(() => new Float64Array(D.d + 1));
  accumulateLogreg(D, Y, classWeights, ps, which, 0, D.n, f, G);
  return finishLogreg(D, l2, ps, f, G);
}

/**
 * Adds rows from…to−1 to the sums of logregObjectives: f[a] += Σ c_i·(softplus − y z) and G[a] += the unpenalised
 * gradient (already ÷ n). Row ranges can be summed by separate threads.
 */
export function accumulateLogreg(
  D: Design,
  Y: readonly Uint8Array[],
  classWeights: readonly [number, number][],
  ps: readonly Float64Array[],
  which: readonly number[],
  from: number,
  to: number,
  f: Float64Array,
  G: readonly Float64Array[],
): void {
  const { d, x } = D;
  const A = ps.length;
  const z0 = new Float64Array(A);
  const z1 = new Float64Array(A);
  const r0 = new Float64Array(A);
  const r1 = new Float64Array(A);
  const ys = which.map((j) => Y[j]!);
  const cws = which.map((j) => classWeights[j]!);
  // Two rows at a time: each weight (and gradient entry) loaded once serves both rows. Every row's sums are added in
  // the same order as one row at a time, so the results are the same to the bit.
  let i = from;
  for (; i + 2 <= to; i += 2) {
    const o0 = i * d;
    const o1 = o0 + d;
    let a = 0;
    for (; a + 4 <= A; a += 4) {
      const p0 = ps[a]!;
      const p1 = ps[a + 1]!;
      const p2 = ps[a + 2]!;
      const p3 = ps[a + 3]!;
      let s00 = p0[d]!;
      let s01 = p1[d]!;
      let s02 = p2[d]!;
      let s03 = p3[d]!;
      let s10 = s00;
      let s11 = s01;
      let s12 = s02;
      let s13 = s03;
      for (let k = 0; k < d; k++) {
        const u = x[o0 + k]!;
        const v = x[o1 + k]!;
        const q0 = p0[k]!;
        const q1 = p1[k]!;
        const q2 = p2[k]!;
        const q3 = p3[k]!;
        s00 += u * q0;
        s01 += u * q1;
        s02 += u * q2;
        s03 += u * q3;
        s10 += v * q0;
        s11 += v * q1;
        s12 += v * q2;
        s13 += v * q3;
      }
      z0[a] = s00;
      z0[a + 1] = s01;
      z0[a + 2] = s02;
      z0[a + 3] = s03;
      z1[a] = s10;
      z1[a + 1] = s11;
      z1[a + 2] = s12;
      z1[a + 3] = s13;
    }
    for (; a < A; a++) {
      const p0 = ps[a]!;
      let s0 = p0[d]!;
      let s1 = s0;
      for (let k = 0; k < d; k++) {
        const q = p0[k]!;
        s0 += x[o0 + k]! * q;
        s1 += x[o1 + k]! * q;
      }
      z0[a] = s0;
      z1[a] = s1;
    }
    rowLosses(D.n, A, ys, cws, i, z0, f, r0);
    rowLosses(D.n, A, ys, cws, i + 1, z1, f, r1);
    for (a = 0; a + 4 <= A; a += 4) {
      const g0 = G[a]!;
      const g1 = G[a + 1]!;
      const g2 = G[a + 2]!;
      const g3 = G[a + 3]!;
      const r00 = r0[a]!;
      const r01 = r0[a + 1]!;
      const r02 = r0[a + 2]!;
      const r03 = r0[a + 3]!;
      const r10 = r1[a]!;
      const r11 = r1[a + 1]!;
      const r12 = r1[a + 2]!;
      const r13 = r1[a + 3]!;
      for (let k = 0; k < d; k++) {
        const u = x[o0 + k]!;
        const v = x[o1 + k]!;
        g0[k] = g0[k]! + u * r00 + v * r10;
        g1[k] = g1[k]! + u * r01 + v * r11;
        g2[k] = g2[k]! + u * r02 + v * r12;
        g3[k] = g3[k]! + u * r03 + v * r13;
      }
      g0[d] = g0[d]! + r00 + r10;
      g1[d] = g1[d]! + r01 + r11;
      g2[d] = g2[d]! + r02 + r12;
      g3[d] = g3[d]! + r03 + r13;
    }
    for (; a < A; a++) {
      const g0 = G[a]!;
      const r00 = r0[a]!;
      const r10 = r1[a]!;
      for (let k = 0; k < d; k++) g0[k] = g0[k]! + x[o0 + k]! * r00 + x[o1 + k]! * r10;
      g0[d] = g0[d]! + r00 + r10;
    }
  }
  if (i < to) {
    // the odd last row
    const o = i * d;
    for (let a = 0; a < A; a++) {
      const p0 = ps[a]!;
      let s0 = p0[d]!;
      for (let k = 0; k < d; k++) s0 += x[o + k]! * p0[k]!;
      z0[a] = s0;
    }
    rowLosses(D.n, A, ys, cws, i, z0, f, r0);
    for (let a = 0; a < A; a++) {
      const g0 = G[a]!;
      const r00 = r0[a]!;
      for (let k = 0; k < d; k++) g0[k]! += x[o + k]! * r00;
      g0[d]! += r00;
    }
  }
}

/** Row i's loss terms into f (softplus(z) − y·z, class-weighted) and its residuals c·(sigmoid(z) − y) ÷ n into r. */
function rowLosses(
  n: number,
  A: number,
  ys: readonly Uint8Array[],
  cws: readonly [number, number][],
  i: number,
  z: Float64Array,
  f: Float64Array,
  r: Float64Array,
): void {
  for (let a = 0; a < A; a++) {
    const y = ys[a]![i]!;
    const c = cws[a]![y]!;
    const s = z[a]!;
    const e = Math.exp(-Math.abs(s));
    // softplus(s) − y·s and sigmoid(s) − y, from one exp
    f[a]! += c * ((s > 0 ? s : 0) + Math.log1p(e) - y * s);
    r[a] = (c * ((s >= 0 ? 1 / (1 + e) : e / (1 + e)) - y)) / n;
  }
}

/** The objectives and gradients from the row sums: f ÷ n plus the penalty λ/2·‖w‖² (and λw in the gradient). */
export function finishLogreg(
  D: Design,
  l2: number,
  ps: readonly Float64Array[],
  f: Float64Array,
  G: readonly Float64Array[],
): Evaluated[] {
  const { n, d } = D;
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
    /** Objectives of points ps for labels js (indices into Y), e.g. from a pool of threads. */
    evaluate?: (ps: Float64Array[], js: number[]) => Evaluated[];
  } = {},
): BinaryFit[] {
  const cw = Y.map((y) => balancedClassWeights(y));
  const objectives = o.evaluate ?? ((ps: Float64Array[], js: number[]) => logregObjectives(D, Y, cw, l2, ps, js));
  const evaluate = (ps: Float64Array[], which: number[]) =>
    objectives(
      ps,
      which.map((a) => labels[a]!),
    );
  const x0s = labels.map((j) => o.start?.(j)?.slice() ?? new Float64Array(D.d + 1));
  return lbfgsMany(evaluate, x0s, LOGREG_LBFGS).map((res) => ({
    w: res.x.subarray(0, D.d),
    b: res.x[D.d]!,
    iterations: res.iterations,
  }));
}
