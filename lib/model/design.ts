// The design matrix of a fit (rows gathered, standardised, Float32) and the shared pieces of the heads' losses.

export interface Design {
  n: number;
  d: number;
  /** Row-major n × d, standardised when asked; Float32 halves the memory each pass over the rows reads. */
  x: Float32Array;
  mean: Float64Array;
  scale: Float64Array;
}

/** Rows `rows` of X as one matrix, z-scored per feature (population sd; a constant feature keeps scale 1) when asked. */
export function design(X: readonly Float32Array[], rows: readonly number[], d: number, standardize: boolean): Design {
  const n = rows.length;
  const mean = new Float64Array(d);
  const scale = new Float64Array(d).fill(1);
  if (standardize && n > 1) {
    for (const r of rows) {
      const v = X[r]!;
      for (let k = 0; k < d; k++) mean[k]! += v[k]!;
    }
    for (let k = 0; k < d; k++) mean[k]! /= n;
    const vars = new Float64Array(d);
    for (const r of rows) {
      const v = X[r]!;
      for (let k = 0; k < d; k++) {
        const c = v[k]! - mean[k]!;
        vars[k]! += c * c;
      }
    }
    for (let k = 0; k < d; k++) {
      const sd = Math.sqrt(vars[k]! / n);
      scale[k] = sd > 1e-12 ? sd : 1;
    }
  }
  const x = new Float32Array(n * d);
  rows.forEach((r, i) => {
    const v = X[r]!;
    const o = i * d;
    for (let k = 0; k < d; k++) x[o + k] = (v[k]! - mean[k]!) / scale[k]!;
  });
  return { n, d, x, mean, scale };
}

export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
/** log(1 + e^z), stable. */
export const softplus = (z: number): number => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/** 'balanced' class weights of one binary label: n / (2·count(class)) for [negatives, positives]. Sum over rows = n. */
export function balancedClassWeights(y: Uint8Array): [number, number] {
  const n = y.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i]!;
  return [n - pos ? n / (2 * (n - pos)) : 0, pos ? n / (2 * pos) : 0];
}

/** The same weights per row. */
export function balancedWeights(y: Uint8Array): Float64Array {
  const [wn, wp] = balancedClassWeights(y);
  return Float64Array.from(y, (v) => (v ? wp : wn));
}

/** Folds the standardisation into a layer acting on raw x: w·((x−μ)/σ) + b = (w/σ)·x + (b − Σ w μ/σ). */
export function unstandardize(D: Design, w: ArrayLike<number>, b: number): [Float64Array, number] {
  const out = new Float64Array(D.d);
  let bb = b;
  for (let k = 0; k < D.d; k++) {
    out[k] = w[k]! / D.scale[k]!;
    bb -= out[k]! * D.mean[k]!;
  }
  return [out, bb];
}
