// Human review of LLM labels: the Updates that end the review wait (names, argument schema,
// results), shared by the workflow, which validates, and the `clinsynth review` client.
import { z } from 'zod';

/** Where imported files live, relative to the run directory: every worker reads them there. */
export const REVIEW_IMPORTS_DIR = 'review/imports';

/**
 * The `importReview` argument: a file under `<run>/review/imports/`, relative to the run directory (a reference, never
 * the file's content: no sentence reaches the workflow history).
 */
export const importReviewArg = z.strictObject({
  file: z
    .string()
    .regex(
      /^review\/imports\/[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/,
      'a file directly under review/imports/ of the run directory (letters, digits, . _ - in its name)',
    ),
});
export type ImportReviewArg = z.infer<typeof importReviewArg>;

/** What an accepted import answers: counts only (no sentence, no label text beyond taxonomy ids). */
export interface ReviewImportResult {
  /** The imported file, relative to the run directory. */
  file: string;
  format: 'label-studio' | 'csv';
  /** Tasks exported for review, and those with a human decision in the file. */
  tasks: number;
  reviewed: number;
  /** Reviewed rows whose labels differ from the LLM's, and rows reviewers dropped as unusable. */
  changed: number;
  dropped: number;
  reviewers: number;
  /** Tasks that several reviewers annotated without all deciding the same (each one's labels in review/reviewed.jsonl). */
  disagreements: number;
}

/** The review's place in a run's progress (absent on runs without review and on runs started before it existed). */
export interface ReviewProgress {
  /** exporting → waiting (for `importReview` or `skipReview`) → imported | skipped. */
  state: 'exporting' | 'waiting' | 'importing' | 'imported' | 'skipped';
  /** Rows exported for review. */
  tasks: number;
  /** Import attempts the run refused (bad files); the run kept waiting after each. */
  refused: number;
  result?: ReviewImportResult;
}
