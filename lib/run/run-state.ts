// Run progress and stage bookkeeping shared by the workflow, its query and the CLI (pure data, no I/O).
import type { ReviewProgress } from './review.js';

/** The stages in order. `review` came later: progress carried over by continue-as-new from an older run lacks it. */
export const STAGES = ['taxonomy', 'silver', 'bronze', 'selfcheck', 'review', 'merge', 'train', 'evaluate', 'report'] as const;
export type StageName = (typeof STAGES)[number];

export type StageStatus = 'pending' | 'running' | 'done' | 'skipped';

export interface StageProgress {
  status: StageStatus;
  done: number;
  total: number;
  /** Pages whose activity gave up after all retries; their items are missing from the stage's output. */
  failedPages: number;
}

export interface LlmUsageTotals {
  calls: number;
  cacheHits: number;
  promptTokens: number;
  completionTokens: number;
  /** Answers that could not be used (kept raw in the stage's failures files). */
  failures: number;
}

/** What one page activity of an LLM stage reports back (small: the rows themselves go to files). */
export interface PageResult {
  rows: number;
  usage: LlmUsageTotals;
}

export interface RunProgress {
  runId: string;
  runDir: string;
  experiment: string;
  stage: StageName | 'done';
  stages: Record<StageName, StageProgress>;
  counts: Record<string, number>;
  llm: LlmUsageTotals;
  llmByStage: Record<string, LlmUsageTotals>;
  /** Pages the current stage has started (for resuming after continue-as-new). */
  nextPage: number;
  /** Page counts per labelled set, needed by the self-check stage (probe = gold test sentences, for agreement). */
  pages: { silver: number; bronze: number; probe: number };
  continuedAsNew: number;
  /** Estimated spend so far (null when the model's price is unknown) and whether llm.budgetUsd stopped new LLM work. */
  costUsd: number | null;
  budgetExhausted: boolean;
  /** Steering (`clinsynth control`): no new LLM page starts while paused; cancelled stops LLM work for good (the
   * report is then partial); budgetUsd replaces llm.budgetUsd. Absent on runs never steered. */
  paused?: boolean;
  cancelled?: boolean;
  budgetUsd?: number;
  /** Human review (review.enabled): export, the wait for an import or a skip, what was imported. */
  review?: ReviewProgress;
}

export function emptyUsage(): LlmUsageTotals {
  return { calls: 0, cacheHits: 0, promptTokens: 0, completionTokens: 0, failures: 0 };
}

export function addUsage(into: LlmUsageTotals, add: LlmUsageTotals): void {
  into.calls += add.calls;
  into.cacheHits += add.cacheHits;
  into.promptTokens += add.promptTokens;
  into.completionTokens += add.completionTokens;
  into.failures += add.failures;
}

export function initialProgress(runId: string, runDir: string, experiment: string): RunProgress {
  const stages = Object.fromEntries(
    STAGES.map((s) => [s, { status: 'pending', done: 0, total: 0, failedPages: 0 } satisfies StageProgress]),
  ) as Record<StageName, StageProgress>;
  return {
    runId,
    runDir,
    experiment,
    stage: 'taxonomy',
    stages,
    counts: {},
    llm: emptyUsage(),
    llmByStage: {},
    nextPage: 0,
    pages: { silver: 0, bronze: 0, probe: 0 },
    continuedAsNew: 0,
    costUsd: null,
    budgetExhausted: false,
  };
}

/**
 * LLM calls a page runs at once (its batches overlap, hiding each call's local overhead): llm.concurrency / this
 * pages fill llm.concurrency call slots (odd concurrencies: one at a time).
 */
export function callsPerPageAtOnce(concurrency: number): number {
  return concurrency % 2 === 0 ? 2 : 1;
}

/** Pages × calls per page = llm.concurrency exactly. */
export function pagesInFlight(concurrency: number): number {
  return concurrency / callsPerPageAtOnce(concurrency);
}

/**
 * Pages the workflow keeps scheduled: pagesInFlight plus half as many waiting ones, so that a finished call's slot
 * goes straight to a waiting page's call (ConcurrencyLimitedProvider caps each process at llm.concurrency) instead
 * of idling through "page done → workflow task → next page scheduled → picked up" (~60–90 ms on 2 cores, paid by
 * every page). Measured (P1, 8-call pages): a quarter as many waiting pages gave 0.88 of the ideal rate, half 0.93.
 * The price: several LLM workers together may have up to ~1.5 × llm.concurrency calls in flight.
 */
export function pagesScheduled(concurrency: number): number {
  const inFlight = pagesInFlight(concurrency);
  return inFlight + Math.ceil(inFlight / 2);
}

export const SEARCH_ATTRIBUTES = { experiment: 'ClinsynthExperiment', stage: 'ClinsynthStage', study: 'ClinsynthStudy' } as const;
export const TASK_QUEUES = { main: 'clinsynth', llm: 'clinsynth-llm' } as const;
export const WORKFLOW_ID_PREFIX = 'clinsynth-';

export function workflowIdFor(runId: string): string {
  return `${WORKFLOW_ID_PREFIX}${runId}`;
}
