// The row shapes of every stage's output files (JSONL parts under the run directory), shared by all layers.
import type { ReviewReason } from '../config/review-settings.js';

/** A gold sentence, from the user's JSONL. */
export interface GoldRow {
  id: string;
  text: string;
  labels: string[];
  /** Note the sentence came from, when known (used for by-note splits). */
  noteId?: string;
}

/**
 * The group a row belongs to in note-grouped splits and folds: its note, else the row alone. Keys are prefixed so a
 * note id can never collide with a lone row's id.
 */
export function noteGroupKey(r: { id: string; noteId?: string | undefined }): string {
  return r.noteId ? `n:${r.noteId}` : `i:${r.id}`;
}

/** A note sentence chosen for silver labelling. */
export interface CandidateRow {
  id: string;
  noteId: string;
  start: number;
  end: number;
  text: string;
  /** Why it was chosen: `cue:<label>:<cue>`, `lexicon:<term>` or `random`. */
  reason: string;
  /** How many times the normalised sentence occurs in the corpus. */
  count: number;
}

/** Provenance common to every LLM-made row. */
export interface LlmProvenance {
  model: string;
  promptVersion: string;
  cacheKey: string;
}

export interface SilverRow extends LlmProvenance {
  id: string;
  noteId: string;
  start: number;
  end: number;
  text: string;
  labels: string[];
  reason: string;
  /** What the LLM wrote before its labels (silver.rationale: true); absent otherwise. */
  rationale?: string;
}

export interface BronzeRow extends LlmProvenance {
  id: string;
  text: string;
  /** The labels the sentence was asked to express ([] = a hard negative). */
  labels: string[];
  /** Generation controls: note type, speaker, severity, ... */
  style: Record<string, string>;
}

/** A written item the bronze gate refused; kept with its reason so nothing the LLM wrote disappears unseen. */
export interface RejectedBronzeRow {
  jobIndex: number;
  labels: string[];
  text: string;
  reason: string;
  cacheKey: string;
}

export type Verdict = 'keep' | 'fix' | 'reject';

/** What a self-check reviews: silver labels, bronze sentences, or the LLM's labels of gold test sentences (probe). */
export type CheckedSet = 'silver' | 'bronze' | 'probe';

export interface VerdictRow extends LlmProvenance {
  id: string;
  set: CheckedSet;
  verdict: Verdict;
  /** Labels after the check (for `fix`, the corrected set). */
  labels: string[];
  reason: string;
  /** What the checker wrote before its verdict (selfCheck.rationale: true); absent otherwise. */
  rationale?: string;
}

/** A silver or bronze row chosen for human review (review/selection.jsonl): what reviewers see, and why it was chosen. */
export interface ReviewTaskRow {
  /** `<set>:<id>`, the task's key in every export and import. */
  ref: string;
  set: 'silver' | 'bronze';
  id: string;
  text: string;
  /** The labels the run would train on without review (after the self-check's fix). */
  llmLabels: string[];
  verdict: Verdict | null;
  /** Every selected reason that applies; the first is the one that chose the row. */
  reasons: ReviewReason[];
  /**
   * The gold-trained classifier's labels and its smallest distance to a threshold, in log-odds (when a classifier
   * reason ran; null: it can predict no label).
   */
  classifierLabels?: string[];
  margin?: number | null;
  /** The LLM's rationale for its labels (silver.rationale) and for its verdict (selfCheck.rationale), when kept. */
  rationale?: string;
  verdictRationale?: string;
}

/** A reviewer's decision on one task (review/reviewed.jsonl); becomes a `reviewed` row in the merge. */
export interface ReviewedRow {
  ref: string;
  set: 'silver' | 'bronze';
  id: string;
  /** The reviewer's labels (taxonomy ids; [] = none of them). */
  labels: string[];
  /** The reviewer marked the sentence unusable: it trains in no mix. */
  drop: boolean;
  llmLabels: string[];
  reasons: ReviewReason[];
  reviewer: string;
  /** ISO time of the decision (the annotation's, else the imported file's). */
  reviewedAt: string;
  /**
   * Each reviewer's own decision, when several annotated the task (Label Studio): `labels` above are then their
   * per-label majority, a tie going the way of the LLM's labels, and `drop` is set when more than half dropped it.
   */
  reviews?: { reviewer: string; labels: string[]; drop: boolean; reviewedAt: string }[];
  /** Several reviewers, and they did not all decide the same (labels or drop). */
  disagreement?: boolean;
}

/** An LLM call whose answer could not be used; the raw answer is kept so nothing paid for is lost. */
export interface LlmFailureRow {
  stage: 'silver' | 'bronze' | 'selfcheck' | 'probe';
  page: number;
  itemIds: string[];
  cacheKey: string;
  error: string;
  finishReason: string;
  rawText: string;
}
