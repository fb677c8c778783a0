// Fidelity and diversity measures of a set of sentences: distinct-n, self-similarity, nearest-real cosines, length, negation, label distribution and Jensen–Shannon divergence.

/**
 * Definitions (tests/reference/agreement.py checks self-similarity and the divergence with scikit-learn/scipy):
 * - Tokens: lower-cased runs of letters and digits (`[\p{L}\p{N}]+`); n-grams never cross a sentence boundary.
 * - distinct-n = distinct n-grams / all n-grams over the sentences (Li et al. 2016); 0 when there is none.
 * - Self-similarity = the mean cosine over all ordered pairs i ≠ j of the sentences' unit vectors:
 *   (‖Σv‖² − Σ‖v‖²) / (n(n − 1)), exact; null for fewer than 2 sentences.
 * - Nearest cosine of a sentence to a reference set = the largest cosine to any of its vectors.
 * - Negation share = share of sentences with a negation cue (NEGATION_CUE, a NegEx-like trigger subset).
 * - Label distribution: per label the sentences carrying it, plus `none` for sentences without a label; shares are
 *   counts / Σ counts. Jensen–Shannon divergence in bits (base 2, in [0, 1]): ½·KL(P‖M) + ½·KL(Q‖M), M = (P + Q)/2;
 *   its square root is scipy.spatial.distance.jensenshannon(P, Q, base=2) (a distance), reported too.
 */

const TOKEN = /[\p{L}\p{N}]+/gu;
export const NEGATION_CUE =
  /\b(no|not|never|none|nor|without|denies|denied|deny|denying|negative for|absence of|absent|free of|unremarkable|ruled out)\b|n['’]t\b/i;

export function tokens(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

export function distinctN(texts: readonly string[], n: number): number {
  const seen = new Set<string>();
  let total = 0;
  for (const t of texts) {
    const tok = tokens(t);
    for (let i = 0; i + n <= tok.length; i++) {
      seen.add(tok.slice(i, i + n).join(' '));
      total++;
    }
  }
  return total === 0 ? 0 : seen.size / total;
}

export function meanPairwiseCosine(vecs: readonly Float32Array[]): number | null {
  const n = vecs.length;
  if (n < 2) return null;
  const dim = vecs[0]!.length;
  const sum = new Float64Array(dim);
  let selfDots = 0;
  for (const v of vecs) {
    for (let k = 0; k < dim; k++) {
      sum[k]! += v[k]!;
      selfDots += v[k]! * v[k]!;
    }
  }
  let sq = 0;
  for (let k = 0; k < dim; k++) sq += sum[k]! * sum[k]!;
  return (sq - selfDots) / (n * (n - 1));
}

/** For each query vector, the index and cosine of its nearest reference vector (unit vectors: cosine = dot). */
export function nearest(
  queries: readonly Float32Array[],
  refs: readonly Float32Array[],
): { index: number; cosine: number }[] {
  if (!refs.length) return [];
  const dim = refs[0]!.length;
  const m = new Float32Array(refs.length * dim);
  refs.forEach((v, i) => m.set(v, i * dim));
  return queries.map((q) => {
    let best = -Infinity;
    let index = -1;
    for (let r = 0, o = 0; r < refs.length; r++, o += dim) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += q[k]! * m[o + k]!;
      if (s > best) {
        best = s;
        index = r;
      }
    }
    return { index, cosine: best };
  });
}

export interface Distribution {
  n: number;
  mean: number;
  p10: number;
  p50: number;
  p90: number;
  max: number;
  /** Counts in 10 bins of width 0.1 over [0, 1] (values below 0 in the first, 1 in the last). */
  histogram: number[];
}

/** numpy-linear percentiles and a 10-bin histogram; null for no values. */
export function distribution(values: readonly number[]): Distribution | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => {
    const v = p * (s.length - 1);
    const lo = Math.floor(v);
    const hi = Math.min(lo + 1, s.length - 1);
    return s[lo]! + (s[hi]! - s[lo]!) * (v - lo);
  };
  const histogram = new Array<number>(10).fill(0);
  for (const v of s) histogram[Math.min(9, Math.max(0, Math.floor(v * 10)))]! += 1;
  return {
    n: s.length,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    p10: q(0.1),
    p50: q(0.5),
    p90: q(0.9),
    max: s[s.length - 1]!,
    histogram,
  };
}

export interface LabelDistribution {
  counts: Record<string, number>;
  shares: Record<string, number>;
}

export function labelDistribution(
  rows: readonly { labels: readonly string[] }[],
  labels: readonly string[],
): LabelDistribution {
  const counts: Record<string, number> = Object.fromEntries([...labels, 'none'].map((l) => [l, 0]));
  for (const r of rows) {
    const known = r.labels.filter((l) => l in counts && l !== 'none');
    if (!known.length) counts.none! += 1;
    for (const l of new Set(known)) counts[l]! += 1;
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return { counts, shares: Object.fromEntries(Object.entries(counts).map(([l, n]) => [l, total ? n / total : 0])) };
}

/** Jensen–Shannon divergence in bits between two distributions over the same keys (each normalised to sum 1). */
export function jensenShannonDivergence(p: Record<string, number>, q: Record<string, number>): number | null {
  const keys = [...new Set([...Object.keys(p), ...Object.keys(q)])];
  const sp = keys.reduce((a, k) => a + (p[k] ?? 0), 0);
  const sq = keys.reduce((a, k) => a + (q[k] ?? 0), 0);
  if (sp === 0 || sq === 0) return null;
  let d = 0;
  for (const k of keys) {
    const a = (p[k] ?? 0) / sp;
    const b = (q[k] ?? 0) / sq;
    const m = (a + b) / 2;
    if (a > 0) d += 0.5 * a * Math.log2(a / m);
    if (b > 0) d += 0.5 * b * Math.log2(b / m);
  }
  return Math.max(0, d);
}

export interface TextStats {
  sentences: number;
  distinct1: number;
  distinct2: number;
  meanTokens: number;
  negationShare: number;
}

export function textStats(texts: readonly string[]): TextStats {
  const lengths = texts.map((t) => tokens(t).length);
  return {
    sentences: texts.length,
    distinct1: distinctN(texts, 1),
    distinct2: distinctN(texts, 2),
    meanTokens: lengths.length ? lengths.reduce((a, b) => a + b, 0) / lengths.length : 0,
    negationShare: texts.length ? texts.filter((t) => NEGATION_CUE.test(t)).length / texts.length : 0,
  };
}
