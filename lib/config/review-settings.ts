// The experiment's human-review settings that other modules read: why a row may be chosen, and whether review is on.

/** Why a silver or bronze row goes to reviewers, in the order `review.select` lists by default. */
export const REVIEW_REASONS = ['selfcheck-fix', 'selfcheck-reject', 'disagreement', 'low-confidence'] as const;
export type ReviewReason = (typeof REVIEW_REASONS)[number];

/** The settings of a run's experiment; runs validated before `review` existed have none (review off). */
export function reviewEnabled(e: { review?: { enabled: boolean } }): boolean {
  return e.review?.enabled === true;
}
