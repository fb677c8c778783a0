// The LLM stages' page runner (deterministic, workflow-side): the page window, the budget, steering wake-ups, lost
// pages, batch rounds first, and the point where the run must continue as new.
import { condition, isCancellation, patched, workflowInfo } from '@temporalio/workflow';
import type { Experiment } from '../lib/config/experiment.js';
import { priceOf, runCostUsd, type Price } from '../lib/llm/pricing.js';
import {
  addUsage,
  emptyUsage,
  legacyPageWindow,
  pagesFillingSlots,
  pagesScheduled,
  stagePage,
  type PageResult,
  type RunProgress,
} from '../lib/run/run-state.js';
import { lostPagesDetails } from '../lib/run/lost-pages.js';
import { installSteering, steeringDetails, type Steering } from './steering.js';
import { batchRounds } from './batch.js';
import { lostPages } from './outage.js';
import { isFatal, llmActivities, LLM_MAX_ATTEMPTS, run, type LlmCalls } from './activities.js';
import type { CurrentDetails } from './details.js';
import { PATCHES } from './patches.js';

/** Continue as new well before Temporal's 10,240-event warning, so no run's history grows past 10,000 events. */
const HISTORY_EVENTS_BEFORE_CONTINUE = 8000;

export type LlmStage = 'silver' | 'bronze' | 'selfcheck';
/** 'again': the run must continue as new before its next command (the stage resumes from p.nextPage). */
export type PagesOutcome = 'done' | 'again';

export interface PageRunnerDeps {
  p: RunProgress;
  experiment: Experiment;
  runDir: string;
  /** Continue as new past this many history events (default 8,000). */
  historyLimit: number | undefined;
  details: CurrentDetails;
}

export class PageRunner {
  /** The LLM activities, timed for this run. */
  readonly calls: LlmCalls;
  /** Pages (and training jobs) in flight at once. */
  readonly window: number;
  private readonly outage: boolean;
  private readonly lost: ReturnType<typeof lostPages>;
  private readonly steering: Steering;
  private readonly wakeOnSteering: boolean;
  private readonly price: Price | undefined;

  /** Installs the steering Updates; the patched() calls run here, in the order runs have always made them. */
  constructor(private readonly d: PageRunnerDeps) {
    const { p, experiment, details } = d;
    this.calls = llmActivities(experiment);
    this.price = priceOf(experiment.llm);
    // Pages that fail for good are recorded and fail the run past llm.maxFailedShare (older runs count them only).
    this.outage = patched(PATCHES.llmOutage);
    this.lost = lostPages({
      p,
      experiment,
      runDir: d.runDir,
      maxAttempts: LLM_MAX_ATTEMPTS,
      record: run.recordLostPages,
    });
    const configuredBudget = experiment.llm.budgetUsd;
    // Waiting calls keep the call slots busy between pages; a budget-capped run goes without them, so that at most
    // the pages filling the slots run on past the budget. Runs started before a patch keep their window on replay.
    const unbudgeted = configuredBudget === undefined;
    const concurrency = experiment.llm.concurrency;
    this.window = patched(PATCHES.llmCallWindow)
      ? unbudgeted
        ? pagesScheduled(concurrency)
        : pagesFillingSlots(concurrency)
      : legacyPageWindow(concurrency, patched(PATCHES.llmPageBuffer) && unbudgeted);
    // Steering Updates (`clinsynth control`): pause/resume, budget, cancel; their state shows in the current details.
    details.setTail(() => (this.outage ? lostPagesDetails(p) : '') + steeringDetails(this.steering.state()));
    this.steering = installSteering(
      p,
      configuredBudget,
      () => (this.price ? runCostUsd(this.price, p.llm, p.llmBatch) : null),
      () => details.show(),
    );
    // Runs started before steering existed keep waiting on their pages only, so their replays start the same pages.
    this.wakeOnSteering = patched(PATCHES.llmSteering);
  }

  /** True when the run must continue as new before its next command. */
  historyFull(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= (this.d.historyLimit ?? HISTORY_EVENTS_BEFORE_CONTINUE);
  }

  /** Updates the spend estimate; true once llm.budgetUsd is reached (no new LLM page starts after that). */
  overBudget(): boolean {
    const p = this.d.p;
    if (this.price) p.costUsd = runCostUsd(this.price, p.llm, p.llmBatch);
    const budget = this.steering.budget();
    if (budget !== undefined && p.costUsd !== null && p.costUsd >= budget) p.budgetExhausted = true;
    return p.budgetExhausted;
  }

  /** The pages [p.nextPage, total) of a stage: batch rounds first (llm.batch), then online pages in the window. */
  async runPages(stage: LlmStage, total: number, page: (n: number) => Promise<PageResult>): Promise<PagesOutcome> {
    if (!(await this.batchFirst(stage, total))) return 'again';
    if (!(await this.fanOut(stage, total, page))) return 'again';
    return 'done';
  }

  /** Runs `fn` on each item, at most `window` at once, in order of start. */
  async inWindow<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) await fn(items[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.window, items.length) }, worker));
  }

  /** True while no new LLM page may start for a steering reason. */
  private held(): boolean {
    return !!this.d.p.paused || !!this.d.p.cancelled;
  }

  /**
   * Runs pages [p.nextPage, total) with at most `window` in flight. Returns false when the run must continue as new;
   * true when the stage is over (all pages ran, or the budget stopped it and the rest were never started).
   */
  private async fanOut(stage: LlmStage, total: number, page: (n: number) => Promise<PageResult>): Promise<boolean> {
    const { p, details } = this.d;
    const s = p.stages[stage];
    s.total = total;
    const usage = (p.llmByStage[stage] ??= emptyUsage());
    const inFlight = new Map<number, Promise<void>>();
    let fatal: unknown;
    let settled = 0;
    while (p.nextPage < total || inFlight.size > 0) {
      while (
        p.nextPage < total &&
        inFlight.size < this.window &&
        !fatal &&
        !this.held() &&
        !this.overBudget() &&
        !this.historyFull()
      ) {
        const n = p.nextPage++;
        inFlight.set(
          n,
          page(n)
            .then((r) => {
              addUsage(usage, r.usage);
              addUsage(p.llm, r.usage);
              p.counts[`${stage}Rows`] = (p.counts[`${stage}Rows`] ?? 0) + r.rows;
            })
            .catch((err) => {
              // A cancelled run stops starting pages (its pages are cancelled, not failed).
              if (isFatal(err) || isCancellation(err)) fatal ??= err;
              else if (this.outage) {
                const { set, page: at } = stagePage(stage, p.pages, n);
                this.lost.lose(stage, set, at, err);
                details.show();
              }
              s.failedPages++;
            })
            .finally(() => {
              s.done++;
              settled++;
              inFlight.delete(n);
            }),
        );
      }
      // Paused with nothing running: wait for resume or cancel (no timer, so no command).
      const waitForResume = () =>
        !!p.paused && !p.cancelled && !fatal && p.nextPage < total && !this.overBudget() && !this.historyFull();
      if (inFlight.size === 0 && !waitForResume()) break;
      if (inFlight.size === 0) await condition(() => !p.paused || !!p.cancelled);
      else if (this.wakeOnSteering) {
        // Wake when a page ends or a steering Update changes something (resume starts pages at once).
        const [seenSettled, seenVersion] = [settled, this.steering.version()];
        await condition(() => settled !== seenSettled || this.steering.version() !== seenVersion);
      } else await Promise.race(inFlight.values());
    }
    if (fatal) throw fatal;
    if (this.outage && (p.cancelled || this.overBudget() || p.nextPage >= total)) await this.lost.settle(stage, total);
    if (p.cancelled) {
      p.counts[`${stage}PagesSkippedForCancel`] = total - p.nextPage;
      return true;
    }
    if (this.overBudget()) {
      p.counts[`${stage}PagesSkippedForBudget`] = total - p.nextPage;
      return true;
    }
    return p.nextPage >= total;
  }

  /**
   * llm.batch: the stage's pages [p.nextPage, total) go through the provider's batch API first (workflows/batch.ts);
   * the pages then find those answers in the cache. False: continue as new first. Runs started before batch mode
   * have no llm.batch in their input, so their replays never take this path (hence no patch).
   */
  private async batchFirst(stage: LlmStage, total: number): Promise<boolean> {
    const { p, experiment, runDir, details } = this.d;
    if (!experiment.llm.batch) return true;
    return batchRounds(
      {
        p,
        experiment,
        runDir,
        calls: this.calls,
        historyFull: () => this.historyFull(),
        overBudget: () => this.overBudget(),
        isFatal,
        show: (line) => details.sayBatch(line),
      },
      stage,
      p.nextPage,
      total,
    );
  }
}
