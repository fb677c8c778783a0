// Chooses the silver and bronze rows for human review: the self-check's fixes and rejections, and rows where a classifier trained on gold disagrees with the LLM or is unsure, up to review.max.
import type { Experiment } from '../config/experiment.js';
import type { ReviewReason } from '../config/review-settings.js';
import type { ReviewTaskRow } from '../run/records.js';
import { checkedSyntheticRows, unsafeSyntheticRows, type CheckedRow, type UnsafeReason } from '../dataset/merge.js';
import { foldedGold, headOptions, trainOffThread } from '../model/training.js';
import { runEncoderSpec, sharedEmbed, sharedEncoder } from '../model/embeddings.js';
import { predictScores } from '../model/classifier.js';

/**
 * A row is `low-confidence` when, for some label, the classifier's score is this close to the label's threshold in
 * log-odds (0.5: within a factor of ~1.65 in odds). Log-odds, not probability: thresholds sit anywhere from 0.05 to
 * 0.95, and 0.02 against a threshold of 0.1 is a clear no, while 0.5 against 0.55 is a coin toss.
 */
export const LOW_CONFIDENCE_MARGIN = 0.5;

const logit = (p: number) => {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
};

/** What the gold-trained classifier says about one row. */
export interface ClassifierView {
  labels: string[];
  /** Smallest |logit(score) − logit(threshold)| over the labels it can predict (Infinity when it can predict none). */
  margin: number;
}

export interface SelectionStats {
  /** Silver and bronze rows there were to choose from (the safety checks' unusable rows left out). */
  candidates: number;
  /**
   * Rows left out because no review decision can make them train (sql/review.sql keeps them unusable): PHI-like
   * spans, a gold test sentence repeated, a bronze near-duplicate of a kept row. A row may count under several.
   */
  excluded?: Partial<Record<UnsafeReason, number>>;
  max: number;
  select: ReviewReason[];
  /** Rows each selected reason applies to (a row may carry several). */
  matching: Partial<Record<ReviewReason, number>>;
  /** Rows each reason chose (its first reason), which fill `max` in the order of `select`. */
  chosenBy: Partial<Record<ReviewReason, number>>;
  selected: number;
  /**
   * The classifier behind `disagreement` and `low-confidence`: trained on the gold rows outside every test fold, or,
   * when evaluation is out of fold over every gold row (evaluate.folds ≥ 2), on all of them (`sawTestLabels`).
   */
  classifier?: { goldRows: number; sawTestLabels: boolean };
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((l) => b.includes(l));
const symmetricDifference = (a: readonly string[], b: readonly string[]) =>
  a.filter((l) => !b.includes(l)).length + b.filter((l) => !a.includes(l)).length;

/** Whether `reason` applies to a row, and its rank among the rows it applies to (lower first). */
function rank(reason: ReviewReason, row: CheckedRow, view: ClassifierView | undefined): number | undefined {
  switch (reason) {
    case 'selfcheck-fix':
      return row.verdict === 'fix' ? 0 : undefined;
    case 'selfcheck-reject':
      return row.verdict === 'reject' ? 0 : undefined;
    case 'disagreement':
      // More labels in dispute first.
      return view && !sameSet(view.labels, row.labels) ? -symmetricDifference(view.labels, row.labels) : undefined;
    case 'low-confidence':
      return view && view.margin <= LOW_CONFIDENCE_MARGIN ? view.margin : undefined;
  }
}

/**
 * Picks rows for review (pure): each reason of `select` in turn adds the rows it applies to, best first, until `max`
 * rows are chosen. Every row records all the selected reasons that apply to it, the one that chose it first.
 */
export function chooseRows(
  rows: readonly CheckedRow[],
  views: ReadonlyMap<string, ClassifierView> | undefined,
  select: readonly ReviewReason[],
  max: number,
): { tasks: ReviewTaskRow[]; stats: SelectionStats } {
  const refOf = (r: CheckedRow) => `${r.set}:${r.id}`;
  const applies = rows.map((r) => {
    const view = views?.get(refOf(r));
    return new Map(
      select.flatMap((reason) => {
        const k = rank(reason, r, view);
        return k === undefined ? [] : [[reason, k] as const];
      }),
    );
  });
  const stats: SelectionStats = {
    candidates: rows.length,
    max,
    select: [...select],
    matching: {},
    chosenBy: {},
    selected: 0,
  };
  const chosen = new Map<number, ReviewReason>();
  for (const reason of select) {
    const order = rows
      .map((_, i) => i)
      .filter((i) => applies[i]!.has(reason))
      .sort((a, b) => applies[a]!.get(reason)! - applies[b]!.get(reason)! || a - b);
    stats.matching[reason] = order.length;
    for (const i of order) {
      if (chosen.size >= max) break;
      if (chosen.has(i)) continue;
      chosen.set(i, reason);
      stats.chosenBy[reason] = (stats.chosenBy[reason] ?? 0) + 1;
    }
  }
  stats.selected = chosen.size;
  const tasks = [...chosen].map(([i, by]): ReviewTaskRow => {
    const r = rows[i]!;
    const view = views?.get(refOf(r));
    const reasons = [by, ...select.filter((s) => s !== by && applies[i]!.has(s))];
    return {
      ref: refOf(r),
      set: r.set,
      id: r.id,
      text: r.text,
      llmLabels: [...r.labels].sort(),
      verdict: r.verdict,
      reasons,
      ...(r.rationale ? { rationale: r.rationale } : {}),
      ...(r.verdict_rationale ? { verdictRationale: r.verdict_rationale } : {}),
      ...(view
        ? {
            classifierLabels: view.labels,
            margin: Number.isFinite(view.margin) ? Math.round(view.margin * 1e4) / 1e4 : null,
          }
        : {}),
    };
  });
  return { tasks, stats };
}

/**
 * The classifier of `disagreement` and `low-confidence`: a head (train.classifier, first seed) on the run's encoder,
 * trained on gold, scoring every candidate row.
 */
async function classifierViews(
  e: Experiment,
  runDir: string,
  rows: readonly CheckedRow[],
  onProgress?: () => void,
): Promise<{ views: Map<string, ClassifierView>; goldRows: number; sawTestLabels: boolean }> {
  const gold = foldedGold(runDir).rows;
  const trainOnly = gold.filter((r) => r.fold === null);
  const train = trainOnly.length ? trainOnly : gold;
  const spec = runEncoderSpec(e);
  const enc = await sharedEncoder(spec);
  const texts = [...new Set([...train.map((r) => r.text), ...rows.map((r) => r.text)])];
  const vecs = await sharedEmbed(texts, onProgress, spec);
  const vecOf = new Map(texts.map((t, i) => [t, vecs[i]!] as const));
  const head = await trainOffThread(
    train.map((r) => vecOf.get(r.text)!),
    train.map((r) => r.labels),
    e.labels,
    headOptions(e, e.train.seeds[0]!, enc.id),
    onProgress,
  );
  const scores = predictScores(
    head,
    rows.map((r) => vecOf.get(r.text)!),
  );
  const predictable = head.labels.map((_, j) => j).filter((j) => head.thresholds[j]! <= 1);
  const views = new Map<string, ClassifierView>();
  rows.forEach((r, i) => {
    const s = scores[i]!;
    views.set(`${r.set}:${r.id}`, {
      labels: head.labels.filter((_, j) => s[j]! >= head.thresholds[j]!).sort(),
      margin: Math.min(Infinity, ...predictable.map((j) => Math.abs(logit(s[j]!) - logit(head.thresholds[j]!)))),
    });
  });
  return { views, goldRows: train.length, sawTestLabels: trainOnly.length === 0 };
}

/**
 * Reads the run's silver and bronze rows after the self-check, leaves out those the safety checks make unusable, and
 * chooses the review tasks by `review.select`.
 */
export async function selectForReview(
  e: Experiment,
  runDir: string,
  onProgress?: () => void,
): Promise<{ tasks: ReviewTaskRow[]; stats: SelectionStats }> {
  const all = await checkedSyntheticRows(runDir);
  const unsafe =
    all.length > 0
      ? await unsafeSyntheticRows(runDir, { embed: sharedEmbed, onProgress })
      : new Map<string, UnsafeReason[]>();
  const rows = all.filter((r) => !unsafe.has(`${r.set}:${r.id}`));
  const excluded: Partial<Record<UnsafeReason, number>> = {};
  for (const why of unsafe.values()) for (const w of why) excluded[w] = (excluded[w] ?? 0) + 1;
  const { select, max } = e.review;
  const needsClassifier = rows.length > 0 && select.some((s) => s === 'disagreement' || s === 'low-confidence');
  const c = needsClassifier ? await classifierViews(e, runDir, rows, onProgress) : undefined;
  const chosen = chooseRows(rows, c?.views, select, max);
  if (c) chosen.stats.classifier = { goldRows: c.goldRows, sawTestLabels: c.sawTestLabels };
  chosen.stats.excluded = excluded;
  return chosen;
}
