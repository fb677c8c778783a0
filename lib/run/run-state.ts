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
 * LLM calls a page holds: 8, or a quarter of llm.concurrency where that is more — so that a window is a handful of
 * pages at any concurrency and the history grows by a few events per 8+ calls (c=256: 64-call pages).
 * A page starts all its calls at once; each worker process's call slots (ConcurrencyLimitedProvider) cap how many
 * are in flight, handing a freed slot straight to the next waiting call of any page.
 */
export function callsPerPage(concurrency: number): number {
  return Math.max(8, Math.ceil(concurrency / 4));
}

/** Pages whose calls just fill llm.concurrency slots: the window of a budget-capped run (none waiting). */
export function pagesFillingSlots(concurrency: number): number {
  return Math.ceil(concurrency / callsPerPage(concurrency));
}

/**
 * Calls kept waiting for a slot, as a multiple of llm.concurrency, beyond those in flight and one page's worth.
 * Between "a page's last call ends" and "the next page's calls reach the worker" lies a workflow task, an activity
 * schedule and a poll (60–200 ms on 2 busy cores, longer on slower CPUs); the waiting calls keep every slot busy
 * meanwhile. 2 × concurrency waiting = two endpoint latencies of slack, whatever the CPU.
 */
export const WAITING_CALLS_PER_SLOT = 2;

/**
 * Pages the workflow keeps scheduled: the calls in flight, one page, and WAITING_CALLS_PER_SLOT × concurrency
 * waiting calls (c=16: 7 pages of 8 calls; c=256: 13 pages of 64). Several LLM workers together may therefore have
 * up to (1 + WAITING_CALLS_PER_SLOT) × llm.concurrency + one page of calls in flight; one worker never more than
 * llm.concurrency.
 */
export function pagesScheduled(concurrency: number): number {
  const k = callsPerPage(concurrency);
  return Math.ceil(((1 + WAITING_CALLS_PER_SLOT) * concurrency + k) / k);
}

/**
 * The window of runs started before pages ran all their calls at once (patch `llm-call-window` absent): pages of
 * two calls at a time, llm.concurrency / 2 of them plus half as many waiting. Kept so their replays match.
 */
export function legacyPageWindow(concurrency: number, buffered: boolean): number {
  const inFlight = concurrency % 2 === 0 ? concurrency / 2 : concurrency;
  return buffered ? inFlight + Math.ceil(inFlight / 2) : inFlight;
}

export const SEARCH_ATTRIBUTES = { experiment: 'ClinsynthExperiment', stage: 'ClinsynthStage', study: 'ClinsynthStudy' } as const;
export const TASK_QUEUES = { main: 'clinsynth', llm: 'clinsynth-llm' } as const;
export const WORKFLOW_ID_PREFIX = 'clinsynth-';

export function workflowIdFor(runId: string): string {
  return `${WORKFLOW_ID_PREFIX}${runId}`;
}
