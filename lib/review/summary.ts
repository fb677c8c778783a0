// What a run's human review amounted to, for the report: tasks and decisions by reason, and how often reviewers agreed with the LLM, per label.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, readJsonl, RUN_FILES } from '../run/run-dir.js';
import type { ReviewedRow, ReviewTaskRow } from '../run/records.js';
import { REVIEW_REASONS } from '../config/review-settings.js';
import type { SelectionStats } from './select.js';

export interface ReasonCounts {
  /** Tasks carrying the reason (a task may carry several). */
  tasks: number;
  reviewed: number;
  /** Reviewed and kept with labels other than the LLM's. */
  changed: number;
  dropped: number;
}

export interface LabelAgreement {
  /** Reviewed, kept rows the LLM gave the label, the reviewer gave it, and both. */
  llm: number;
  reviewer: number;
  both: number;
  /** Share of those rows where reviewer and LLM made the same call on this label (both or neither). */
  agreement: number;
}

export interface ReviewSummary {
  tasks: number;
  /** How the rows were chosen (review/selection.json). */
  selection: SelectionStats | null;
  byReason: Record<string, ReasonCounts>;
  reviewed: number;
  changed: number;
  dropped: number;
  reviewers: number;
  /** Tasks several reviewers annotated without all deciding the same (absent in summaries from before it was counted). */
  disagreements?: number;
  /** Over the reviewed rows that were kept (not dropped): exact label-set matches, and each label. */
  agreement: { n: number; exactMatch: number; perLabel: Record<string, LabelAgreement> } | null;
}

const sameLabels = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((l) => b.includes(l));

/** The review facts of a run from its files; undefined when it exported no review. */
export function reviewSummary(runDir: string, labels: readonly string[]): ReviewSummary | undefined {
  const selectionFile = join(runDir, RUN_FILES.reviewSelection);
  if (!existsSync(selectionFile)) return undefined;
  const tasks = readJsonl<ReviewTaskRow>(selectionFile);
  const statsFile = join(runDir, RUN_FILES.reviewStats);
  const rows = readJsonl<ReviewedRow>(join(runDir, RUN_FILES.reviewed));
  // Every reason a task carries, in the order of REVIEW_REASONS.
  const byReason: Record<string, ReasonCounts> = Object.fromEntries(
    REVIEW_REASONS.filter((r) => tasks.some((t) => t.reasons.includes(r))).map((r) => [
      r,
      { tasks: 0, reviewed: 0, changed: 0, dropped: 0 },
    ]),
  );
  const count = (reasons: readonly string[], key: keyof ReasonCounts) => {
    for (const r of reasons) byReason[r]![key]++;
  };
  for (const t of tasks) count(t.reasons, 'tasks');
  const kept = rows.filter((r) => !r.drop);
  for (const r of rows) {
    count(r.reasons, 'reviewed');
    if (r.drop) count(r.reasons, 'dropped');
    else if (!sameLabels(r.labels, r.llmLabels)) count(r.reasons, 'changed');
  }
  const perLabel: Record<string, LabelAgreement> = {};
  for (const l of labels) {
    const llm = kept.filter((r) => r.llmLabels.includes(l)).length;
    const reviewer = kept.filter((r) => r.labels.includes(l)).length;
    const both = kept.filter((r) => r.llmLabels.includes(l) && r.labels.includes(l)).length;
    perLabel[l] = {
      llm,
      reviewer,
      both,
      agreement: kept.length ? (kept.length - (llm - both) - (reviewer - both)) / kept.length : 0,
    };
  }
  return {
    tasks: tasks.length,
    selection: existsSync(statsFile) ? readJson<SelectionStats>(statsFile) : null,
    byReason,
    reviewed: rows.length,
    changed: kept.filter((r) => !sameLabels(r.labels, r.llmLabels)).length,
    dropped: rows.length - kept.length,
    reviewers: new Set(rows.flatMap((r) => r.reviews?.map((x) => x.reviewer) ?? [r.reviewer])).size,
    disagreements: rows.filter((r) => r.disagreement).length,
    agreement: kept.length
      ? {
          n: kept.length,
          exactMatch: kept.filter((r) => sameLabels(r.labels, r.llmLabels)).length / kept.length,
          perLabel,
        }
      : null,
  };
}
