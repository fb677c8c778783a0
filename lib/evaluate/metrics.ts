// Multi-label evaluation metrics (per-label P/R/F1, micro and macro F1), mean ± sd over seeds, LLM–gold agreement.

export interface LabelScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number of gold sentences carrying the label. */
  support: number;
}

export interface MultilabelMetrics {
  perLabel: Record<string, LabelScores>;
  microF1: number;
  microPrecision: number;
  microRecall: number;
  /**
   * Unweighted mean of the per-label F1 over every label in `labels`, including labels with no gold support
   * (such a label always scores F1 0 with zero_division=0, predicted or not, and pulls the mean down).
   * This matches scikit-learn `f1_score(y, p, labels=labels, average='macro', zero_division=0)`.
   */
  macroF1: number;
  /** Mean per-label F1 over the labels with support > 0 only (not a scikit-learn number; 0 when there are none). */
  macroF1Supported: number;
}

const div = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** F1 from counts: 2·TP / (2·TP + FP + FN), 0 when that is 0/0 (scikit-learn's zero_division=0). The one F1 of the project. */
export const f1FromCounts = (tp: number, fp: number, fn: number): number => div(2 * tp, 2 * tp + fp + fn);

/**
 * Multi-label metrics in the scikit-learn convention with zero_division=0: a 0/0 precision, recall or F1 is 0.
 * F1 is 2·TP / (2·TP + FP + FN). Labels outside `labels` are ignored in every number (as scikit-learn's
 * `labels=` argument does for micro averages). `gold[i]` and `pred[i]` are the label sets of sentence i.
 */
export function multilabelMetrics(
  gold: readonly (readonly string[])[],
  pred: readonly (readonly string[])[],
  labels: readonly string[],
): MultilabelMetrics {
  if (gold.length !== pred.length)
    throw new Error(`multilabelMetrics: ${gold.length} gold rows but ${pred.length} predictions`);
  const index = new Map(labels.map((l, i) => [l, i] as const));
  if (index.size !== labels.length) throw new Error('multilabelMetrics: duplicate label in labels');
  const tp = new Array<number>(labels.length).fill(0);
  const fp = new Array<number>(labels.length).fill(0);
  const fn = new Array<number>(labels.length).fill(0);
  for (let r = 0; r < gold.length; r++) {
    const g = new Set((gold[r] ?? []).filter((l) => index.has(l)));
    const p = new Set((pred[r] ?? []).filter((l) => index.has(l)));
    for (const l of p) {
      const k = index.get(l) as number;
      if (g.has(l)) tp[k]! += 1;
      else fp[k]! += 1;
    }
    for (const l of g) if (!p.has(l)) fn[index.get(l) as number]! += 1;
  }
  const perLabel: Record<string, LabelScores> = {};
  let sumF1 = 0;
  let sumF1Supported = 0;
  let supported = 0;
  let TP = 0;
  let FP = 0;
  let FN = 0;
  labels.forEach((l, k) => {
    const t = tp[k]!;
    const f = fp[k]!;
    const n = fn[k]!;
    const f1 = f1FromCounts(t, f, n);
    perLabel[l] = { precision: div(t, t + f), recall: div(t, t + n), f1, support: t + n };
    sumF1 += f1;
    if (t + n > 0) {
      sumF1Supported += f1;
      supported += 1;
    }
    TP += t;
    FP += f;
    FN += n;
  });
  return {
    perLabel,
    microF1: f1FromCounts(TP, FP, FN),
    microPrecision: div(TP, TP + FP),
    microRecall: div(TP, TP + FN),
    macroF1: div(sumF1, labels.length),
    macroF1Supported: div(sumF1Supported, supported),
  };
}

/** Mean and sample standard deviation (n − 1 denominator; sd = 0 for a single value). Empty input is an error. */
export function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const n = values.length;
  if (n === 0) throw new RangeError('meanSd: no values');
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return { mean, sd: 0 };
  const ss = values.reduce((s, v) => s + (v - mean) * (v - mean), 0);
  return { mean, sd: Math.sqrt(ss / (n - 1)) };
}

export interface Agreement extends MultilabelMetrics {
  /** Sentences compared. */
  n: number;
  /** Share of sentences whose label sets (restricted to `labels`) are identical. */
  exactMatch: number;
}

/** How well LLM labels agree with gold labels on the same sentences: the metrics above with the LLM as predictor. */
export function agreement(
  goldLabels: readonly (readonly string[])[],
  llmLabels: readonly (readonly string[])[],
  labels: readonly string[],
): Agreement {
  const m = multilabelMetrics(goldLabels, llmLabels, labels);
  const known = new Set(labels);
  const key = (ls: readonly string[]) => [...new Set(ls.filter((l) => known.has(l)))].sort().join('\u0000');
  let same = 0;
  goldLabels.forEach((g, i) => {
    if (key(g) === key(llmLabels[i] ?? [])) same += 1;
  });
  return { ...m, n: goldLabels.length, exactMatch: div(same, goldLabels.length) };
}
