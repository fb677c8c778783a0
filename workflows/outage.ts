// Lost LLM pages in the workflow: noted as they fail, recorded at the stage's end, and the run failed past llm.maxFailedShare.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { Experiment } from '../lib/config/experiment.js';
import { lostOf, lostPage, lostPagesMessage, tooManyLost, type LostPage } from '../lib/run/lost-pages.js';
import type { PageSet, RunProgress, StageName } from '../lib/run/run-state.js';

/** The failure type of a run that lost too many pages. */
export const PAGES_LOST = 'PagesLost';

export interface LostPagesDeps {
  p: RunProgress;
  experiment: Experiment;
  runDir: string;
  /** The LLM activities' maximumAttempts (what a page that used them all tried). */
  maxAttempts: number;
  record: (input: { runDir: string; stage: StageName; lost: LostPage[] }) => Promise<number>;
}

export function lostPages(d: LostPagesDeps) {
  return {
    /** Notes a page that failed for good (its error and attempts as its last failure says). */
    lose(stage: StageName, set: PageSet, page: number, err: unknown): void {
      const { error, attempts } = failureOf(err, d.maxAttempts);
      (d.p.lostPages ??= []).push(lostPage(stage, set, page, error, attempts));
    },
    /**
     * At a stage's end (or a top-up round's): writes its lost pages to failures/pages.jsonl, then fails the run when
     * more than llm.maxFailedShare of the stage's `total` pages are lost.
     */
    async settle(stage: StageName, total: number): Promise<void> {
      const lost = lostOf(d.p, stage);
      if (lost.length === 0) return;
      await d.record({ runDir: d.runDir, stage, lost });
      const share = d.experiment.llm.maxFailedShare ?? 0;
      if (tooManyLost(lost.length, total, share)) {
        throw ApplicationFailure.create({
          message: lostPagesMessage(stage, lost, total, share, d.p.runId),
          type: PAGES_LOST,
          nonRetryable: true,
          details: [{ stage, lost: lost.length, total }],
        });
      }
    },
  };
}

function failureOf(err: unknown, maxAttempts: number): { error: string; attempts: number } {
  if (!(err instanceof ActivityFailure))
    return { error: err instanceof Error ? err.message : String(err), attempts: 1 };
  const cause = err.cause;
  const error = cause?.message || err.message || 'activity failed';
  const told =
    cause instanceof ApplicationFailure ? (cause.details?.[0] as { attempts?: unknown } | undefined) : undefined;
  if (typeof told?.attempts === 'number') return { error, attempts: told.attempts };
  return { error, attempts: err.retryState === 'MAXIMUM_ATTEMPTS_REACHED' ? maxAttempts : 1 };
}
