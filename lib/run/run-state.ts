// Run progress and stage bookkeeping shared by the workflow, its query and the CLI (pure data, no I/O).
import type { ReviewProgress } from './review.js';

/** The stages in order. `review` came later: progress carried over by continue-as-new from an older run lacks it. */
export const STAGES = [
  'taxonomy',
  'silver',
  'bronze',
  'selfcheck',
  'review',
  'merge',
  'train',
  'evaluate',
  'report',
] as const;
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
  /** Of completionTokens, a reasoning model's thinking; of promptTokens, those the provider's prompt cache served
   * (priced at llm.prices' cachedInput). Present once a provider reported some. */
  reasoningTokens?: number;
  cachedPromptTokens?: number;
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
  /** llm.batch: every provider batch of the run so far, and the batch rounds of the current stage (absent otherwise). */
  batches?: BatchProgress[];
  batchJob?: BatchJob;
  /** The part of `llm` that batches answered (tokens paid at the batch price). */
  llmBatch?: LlmUsageTotals;
  /** Batch rounds that gave up (a batch activity failed for good): their pages went online. */
  batchErrors?: string[];
  /** LLM pages that failed for good, with why (also in failures/pages.jsonl); absent while none is lost. */
  lostPages?: LostPage[];
}

/** A provider batch's status (the API's), or `vanished` when the server answered 404 for it. */
export type BatchStatus =
  | 'validating'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'failed'
  | 'expired'
  | 'cancelling'
  | 'cancelled'
  | 'vanished';

/** One provider batch of an LLM stage, as `clinsynth status`, the Web UI and the report show it. */
export interface BatchProgress {
  id: string;
  stage: StageName;
  /** The pages it asks for (`<stage>:<from>-<to>`, see BatchJob). */
  scope: string;
  /** 0: the stage's first batch; 1, 2, …: resubmissions of what came back failed or not at all. */
  round: number;
  /** Its file, when a round needs several (50,000 requests / 190 MB each). */
  part: number;
  status: BatchStatus;
  total: number;
  completed: number;
  failed: number;
  error?: string;
  /** Set once collected: answers written to the cache; requests that came back failed or not at all. */
  answered?: number;
  unanswered?: number;
}

/** The batch rounds of the pages [from, to) of a stage, before its online pages run (they then hit the cache). */
export interface BatchJob {
  stage: StageName;
  scope: string;
  from: number;
  to: number;
  round: number;
  /** llm.batchRounds: rounds at most. */
  rounds: number;
  phase: 'submit' | 'wait' | 'collect' | 'done';
  /** The wait before the next status check (grows to llm.batchPollSeconds). */
  pollMs: number;
  /** Set once `clinsynth control … cancel` has cancelled this round's batches. */
  cancelRequested?: boolean;
  /** Status checks that failed in a row. */
  checkFailures?: number;
}

/** The scope of a stage's pages [from, to): names the batch job and its files under `<run>/batches/`. */
export function batchScope(stage: StageName, from: number, to: number): string {
  return `${stage}-${from}-${to}`;
}

export type PageSet = 'silver' | 'bronze' | 'probe';

/** One line of `<run>/failures/pages.jsonl`. */
export interface LostPage {
  stage: StageName;
  /** The labelled set and its page number (silver: silver or probe; bronze: bronze; selfcheck: any). */
  set: PageSet;
  page: number;
  /** Why it failed, as its last attempt said (never note text: provider and Temporal messages only). */
  error: string;
  /** Tries of the call that gave up (an outage), or activity attempts (other failures). */
  attempts: number;
}

/**
 * Page `n` of an LLM stage as the workflow numbers them: silver runs the candidate pages, then the gold test pages
 * (probe); bronze its job pages; the self-check the silver, bronze, then probe pages. `of`: pages in that set.
 */
export function stagePage(
  stage: 'silver' | 'bronze' | 'selfcheck',
  pages: RunProgress['pages'],
  n: number,
): { set: PageSet; page: number; of: number } {
  if (stage === 'bronze') return { set: 'bronze', page: n, of: pages.bronze };
  if (n < pages.silver) return { set: 'silver', page: n, of: pages.silver };
  if (stage === 'selfcheck' && n < pages.silver + pages.bronze)
    return { set: 'bronze', page: n - pages.silver, of: pages.bronze };
  const probeFrom = stage === 'selfcheck' ? pages.silver + pages.bronze : pages.silver;
  return { set: 'probe', page: n - probeFrom, of: pages.probe };
}

export function emptyUsage(): LlmUsageTotals {
  return { calls: 0, cacheHits: 0, promptTokens: 0, completionTokens: 0, failures: 0 };
}

export function addUsage(into: LlmUsageTotals, add: LlmUsageTotals): void {
  into.calls += add.calls;
  into.cacheHits += add.cacheHits;
  into.failures += add.failures;
  addTokens(into, add);
}

/** Adds one answer's (or one total's) tokens; the reasoning and cached counts only when there are some. */
export function addTokens(
  into: LlmUsageTotals,
  add: { promptTokens: number; completionTokens: number; reasoningTokens?: number; cachedPromptTokens?: number },
): void {
  into.promptTokens += add.promptTokens;
  into.completionTokens += add.completionTokens;
  if (add.reasoningTokens) into.reasoningTokens = (into.reasoningTokens ?? 0) + add.reasoningTokens;
  if (add.cachedPromptTokens) into.cachedPromptTokens = (into.cachedPromptTokens ?? 0) + add.cachedPromptTokens;
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

export const WORKFLOW_ID_PREFIX = 'clinsynth-';

export function workflowIdFor(runId: string): string {
  return `${WORKFLOW_ID_PREFIX}${runId}`;
}

/** A study's workflow id (its variants' runs are `workflowIdFor(<study>-<variant>)`). */
export function studyWorkflowId(name: string): string {
  return `${WORKFLOW_ID_PREFIX}study-${name}`;
}
