// The experiment workflow: runs the stages in order, fans out LLM pages in a sliding window, continues as new.
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type * as cpu from '../activities/run.js';
import type * as llm from '../activities/llm.js';
import type { Experiment } from '../lib/config/experiment.js';
import { priceOf, runCostUsd } from '../lib/llm/pricing.js';
import {
  addUsage,
  emptyUsage,
  initialProgress,
  legacyPageWindow,
  pagesFillingSlots,
  pagesScheduled,
  stagePage,
  STAGES,
  type PageResult,
  type RunProgress,
  type StageName,
} from '../lib/run/run-state.js';
import { evaluationJobs, jobName } from '../lib/evaluate/jobs.js';
import { pageSummary } from '../lib/run/summaries.js';
import { installSteering, steeringDetails } from './steering.js';
import { installReview } from './review.js';
import { batchRounds } from './batch.js';
import { lostPages } from './outage.js';
import { lostPagesDetails } from '../lib/run/lost-pages.js';
import { experimentKey, progressQuery, stageKey, TASK_QUEUES } from './contract.js';

export interface ExperimentInput {
  experiment: Experiment;
  runId: string;
  runDir: string;
  /** Web UI base (e.g. http://localhost:8233), for links in the report. */
  uiBase?: string;
  /** Continue as new past this many history events (default 8,000; tests lower it). */
  historyLimit?: number;
  /** Set by continue-as-new: where the previous run of this workflow stopped. */
  progress?: RunProgress;
}

export interface ExperimentResult {
  runId: string;
  runDir: string;
  reportPath: string;
  progress: RunProgress;
}

/** Continue as new well before Temporal's 10,240-event warning, so no run's history grows past 10,000 events. */
const HISTORY_EVENTS_BEFORE_CONTINUE = 8000;

const NON_RETRYABLE = ['InputError', 'LlmConfigError', 'PayloadTooLarge'];
/** Attempts of an LLM page activity (an endpoint outage is waited out inside one attempt: lib/llm/outage.ts). */
const LLM_MAX_ATTEMPTS = 10;

const run = proxyActivities<typeof cpu>({
  taskQueue: TASK_QUEUES.main,
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

function llmActivities(experiment: Experiment) {
  return proxyActivities<typeof llm>({
    taskQueue: TASK_QUEUES.llm,
    // A page is a few calls, each bounded by llm.timeoutSeconds and waiting out up to llm.maxOutageMinutes of outage;
    // the activity heartbeats every 2 s while it waits, so a dead worker is noticed within the heartbeat timeout and
    // its page moves to another worker.
    startToCloseTimeout:
      experiment.llm.maxOutageMinutes === undefined ? '4 hours' : `${240 + experiment.llm.maxOutageMinutes} minutes`,
    heartbeatTimeout: '10s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '60s',
      maximumAttempts: LLM_MAX_ATTEMPTS,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  });
}

export async function experimentWorkflow(input: ExperimentInput): Promise<ExperimentResult> {
  const { experiment, runId, runDir } = input;
  const p: RunProgress = input.progress ?? initialProgress(runId, runDir, experiment.name);
  setHandler(progressQuery, () => p);
  const llmCalls = llmActivities(experiment);
  const price = priceOf(experiment.llm);
  // Pages that fail for good are recorded and fail the run past llm.maxFailedShare (older runs count them only).
  const outage = patched('llm-outage');
  const lost = lostPages({ p, experiment, runDir, maxAttempts: LLM_MAX_ATTEMPTS, record: run.recordLostPages });
  const configuredBudget = experiment.llm.budgetUsd;
  // Waiting calls keep the call slots busy between pages; a budget-capped run goes without them, so that at most
  // the pages filling the slots run on past the budget. Runs started before a patch keep their window on replay.
  const unbudgeted = configuredBudget === undefined;
  const concurrency = experiment.llm.concurrency;
  const window = patched('llm-call-window')
    ? unbudgeted
      ? pagesScheduled(concurrency)
      : pagesFillingSlots(concurrency)
    : legacyPageWindow(concurrency, patched('llm-page-buffer') && unbudgeted);
  /** Updates the spend estimate; true once llm.budgetUsd is reached (no new LLM page starts after that). */
  const overBudget = (): boolean => {
    if (price) p.costUsd = runCostUsd(price, p.llm, p.llmBatch);
    const budget = steering.budget();
    if (budget !== undefined && p.costUsd !== null && p.costUsd >= budget) p.budgetExhausted = true;
    return p.budgetExhausted;
  };

  // Steering Updates (`clinsynth control`): pause/resume, budget, cancel; their state shows in the current details.
  let details = '';
  let batchDetails = '';
  const showDetails = () =>
    setCurrentDetails(details + batchDetails + (outage ? lostPagesDetails(p) : '') + steeringDetails(steering.state()));
  const steering = installSteering(
    p,
    configuredBudget,
    () => (price ? runCostUsd(price, p.llm, p.llmBatch) : null),
    showDetails,
  );
  // Runs started before steering existed keep waiting on their pages only, so their replays start the same pages.
  const wakeOnSteering = patched('llm-steering');
  /** True while no new LLM page may start for a steering reason. */
  const held = () => !!p.paused || !!p.cancelled;
  // Human review (`clinsynth review`): its Updates, and the stage marked skipped when review is off (no command).
  const review = installReview(p, experiment, runDir, (line) => {
    details = line;
    showDetails();
  });

  const enter = (stage: StageName) => {
    p.stage = stage;
    if (p.stages[stage].status === 'pending') p.stages[stage].status = 'running';
    upsertSearchAttributes([
      { key: experimentKey, value: experiment.name },
      { key: stageKey, value: stage },
    ]);
    details = `**${experiment.name}** — stage \`${stage}\``;
    showDetails();
  };
  const finish = (stage: StageName) => {
    p.stages[stage].status = 'done';
    p.nextPage = 0;
  };
  const skip = (stage: StageName) => {
    p.stages[stage].status = 'skipped';
  };

  /**
   * Runs pages [p.nextPage, total) with at most `window` in flight. Returns false when the run must continue as new;
   * true when the stage is over (all pages ran, or the budget stopped it and the rest were never started).
   */
  const fanOut = async (
    stage: 'silver' | 'bronze' | 'selfcheck',
    total: number,
    page: (n: number) => Promise<PageResult>,
  ): Promise<boolean> => {
    const s = p.stages[stage];
    s.total = total;
    const usage = (p.llmByStage[stage] ??= emptyUsage());
    const inFlight = new Map<number, Promise<void>>();
    let fatal: unknown;
    let settled = 0;
    while (p.nextPage < total || inFlight.size > 0) {
      while (
        p.nextPage < total &&
        inFlight.size < window &&
        !fatal &&
        !held() &&
        !overBudget() &&
        !historyFull(input.historyLimit)
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
              else if (outage) {
                const { set, page: at } = stagePage(stage, p.pages, n);
                lost.lose(stage, set, at, err);
                showDetails();
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
        !!p.paused && !p.cancelled && !fatal && p.nextPage < total && !overBudget() && !historyFull(input.historyLimit);
      if (inFlight.size === 0 && !waitForResume()) break;
      if (inFlight.size === 0) await condition(() => !p.paused || !!p.cancelled);
      else if (wakeOnSteering) {
        // Wake when a page ends or a steering Update changes something (resume starts pages at once).
        const [seenSettled, seenVersion] = [settled, steering.version()];
        await condition(() => settled !== seenSettled || steering.version() !== seenVersion);
      } else await Promise.race(inFlight.values());
    }
    if (fatal) throw fatal;
    if (outage && (p.cancelled || overBudget() || p.nextPage >= total)) await lost.settle(stage, total);
    if (p.cancelled) {
      p.counts[`${stage}PagesSkippedForCancel`] = total - p.nextPage;
      return true;
    }
    if (overBudget()) {
      p.counts[`${stage}PagesSkippedForBudget`] = total - p.nextPage;
      return true;
    }
    return p.nextPage >= total;
  };

  /**
   * llm.batch: the stage's pages [p.nextPage, total) go through the provider's batch API first (workflows/batch.ts);
   * the pages then find those answers in the cache. False: continue as new first. Runs started before batch mode
   * have no llm.batch in their input, so their replays never take this path (hence no patch).
   */
  const batchFirst = async (stage: 'silver' | 'bronze' | 'selfcheck', total: number): Promise<boolean> => {
    if (!experiment.llm.batch) return true;
    const show = (line: string) => {
      batchDetails = line ? `\n\n${line}` : '';
      showDetails();
    };
    return batchRounds(
      {
        p,
        experiment,
        runDir,
        calls: llmCalls,
        historyFull: () => historyFull(input.historyLimit),
        overBudget,
        isFatal,
        show,
      },
      stage,
      p.nextPage,
      total,
    );
  };

  for (const stage of STAGES) {
    const status = p.stages[stage].status;
    if (status === 'done' || status === 'skipped') continue;
    enter(stage);
    switch (stage) {
      case 'taxonomy': {
        const r = await run.startRun.executeWithOptions(
          {
            summary: `set up: ${experiment.taxonomyVersion}, ${experiment.labels.length} labels, gold and corpus read`,
          },
          [{ experiment, runId, runDir }],
        );
        Object.assign(p.counts, r.counts);
        break;
      }
      case 'silver': {
        if (!experiment.silver.enabled) {
          skip(stage);
          continue;
        }
        if (p.pages.silver === 0 && p.nextPage === 0) {
          const r = await run.selectSilverCandidates.executeWithOptions(
            { summary: `select silver candidates (up to ${experiment.corpus?.maxSentences ?? 0} sentences)` },
            [{ runDir }],
          );
          p.pages.silver = r.pages;
          p.pages.probe = r.probePages;
          Object.assign(p.counts, r.counts);
        }
        // Candidate pages first, then the gold test sentences (the LLM as annotator, for agreement only).
        const batches = `${experiment.silver.batchSize} sentences a call`;
        const label = (n: number) => {
          const { set, page, of } = stagePage('silver', p.pages, n);
          return set === 'probe'
            ? llmCalls.labelSilverPage.executeWithOptions(
                { summary: pageSummary('LLM as annotator: gold test', page, of, batches) },
                [{ runDir, page, set }],
              )
            : llmCalls.labelSilverPage.executeWithOptions({ summary: pageSummary('silver', page, of, batches) }, [
                { runDir, page },
              ]);
        };
        const total = p.pages.silver + p.pages.probe;
        if (!(await batchFirst(stage, total))) return await again(input, p);
        if (!(await fanOut(stage, total, label))) return await again(input, p);
        break;
      }
      case 'bronze': {
        if (!experiment.bronze.enabled) {
          skip(stage);
          continue;
        }
        if (p.pages.bronze === 0 && p.nextPage === 0) {
          const r = await run.planBronze.executeWithOptions(
            { summary: `plan bronze: ${experiment.bronze.perLabel} per label, ${experiment.bronze.perCall} per call` },
            [{ runDir }],
          );
          p.pages.bronze = r.pages;
          Object.assign(p.counts, r.counts);
        }
        // Top-up rounds ask again for the labels still short of perLabel usable sentences (runs started before this
        // change never top up, so their replays match).
        const rounds = patched('bronze-top-up') ? experiment.bronze.topUpRounds : 0;
        for (;;) {
          const round = p.counts.bronzeTopUpRounds ?? 0;
          const total = p.pages.bronze;
          const write = (n: number) =>
            llmCalls.generateBronzePage.executeWithOptions(
              {
                summary: pageSummary(
                  'bronze',
                  n,
                  total,
                  round ? `top-up round ${round}` : `${experiment.bronze.perCall} sentences a call`,
                ),
              },
              [{ runDir, page: n }],
            );
          if (!(await batchFirst(stage, total))) return await again(input, p);
          if (!(await fanOut(stage, total, write))) return await again(input, p);
          if (rounds === 0 || p.budgetExhausted || p.cancelled) break;
          // After the last round this only counts (bronzeTargetsShort) and plans nothing.
          const done = p.counts.bronzeTopUpRounds ?? 0;
          const r = await run.planBronzeTopUp.executeWithOptions(
            {
              summary:
                done < rounds
                  ? `bronze top-up ${done + 1}/${rounds}: count labels short of ${experiment.bronze.perLabel}`
                  : 'bronze: count labels still short',
            },
            [{ runDir, pages: p.pages.bronze, plan: done < rounds }],
          );
          Object.assign(p.counts, r.counts);
          if (r.pages === 0) break;
          p.counts.bronzeTopUpRounds = done + 1;
          p.pages.bronze += r.pages;
        }
        break;
      }
      case 'selfcheck': {
        if (!experiment.selfCheck.enabled) {
          skip(stage);
          continue;
        }
        const total = p.pages.silver + p.pages.bronze + p.pages.probe;
        const check = (n: number) => {
          const { set, page, of } = stagePage('selfcheck', p.pages, n);
          return llmCalls.selfCheckPage.executeWithOptions(
            { summary: pageSummary(`self-check ${set === 'probe' ? 'gold test' : set}`, page, of) },
            [{ runDir, set, page }],
          );
        };
        if (!(await batchFirst(stage, total))) return await again(input, p);
        if (!(await fanOut(stage, total, check))) return await again(input, p);
        break;
      }
      case 'review': {
        await review.run();
        break;
      }
      case 'merge': {
        const c = p.counts;
        const r = await run.mergeDatasets.executeWithOptions(
          { summary: `merge: ${c.silverRows ?? 0} silver, ${c.bronzeRows ?? 0} bronze rows with gold (DuckDB)` },
          [{ runDir }],
        );
        Object.assign(p.counts, r.counts);
        break;
      }
      case 'train': {
        // One job per mix × seed (and learning-curve point): a head per fold, each fold predicted out of fold.
        // A review that changed rows adds each synthetic mix on the labels before it (the review's effect on F1).
        // A deterministic head (logreg) trains each mix once whatever train.seeds says: its seeds would change nothing.
        const jobs = evaluationJobs(experiment, {
          reviewed: (p.review?.result?.reviewed ?? 0) > 0,
          deterministicOnce: patched('deterministic-head-once'),
        });
        p.stages.train.total = jobs.length + 2;
        await run.embedDatasets.executeWithOptions({ summary: 'embed gold, silver and bronze sentences' }, [
          { runDir },
        ]);
        p.stages.train.done++;
        await inWindow(jobs, window, async (job) => {
          const folds = experiment.evaluate.folds;
          await run.trainAndPredict.executeWithOptions(
            {
              summary: `train ${jobName(job)} (${experiment.train.classifier}, ${folds} fold${folds === 1 ? '' : 's'})`,
            },
            [{ runDir, job }],
          );
          p.stages.train.done++;
        });
        await run.trainFinalModel.executeWithOptions(
          { summary: `train the final model on ${experiment.train.finalMix}` },
          [{ runDir }],
        );
        p.stages.train.done++;
        break;
      }
      case 'evaluate': {
        p.stages.evaluate.total = 1;
        const others = experiment.evaluate.mixes.filter((m) => m !== experiment.evaluate.baseline);
        const r = await run.compareMixes.executeWithOptions(
          {
            summary: `evaluate: ${others.join(', ')} vs ${experiment.evaluate.baseline} (paired bootstrap, ${experiment.evaluate.bootstrap} resamples)`,
          },
          [{ runDir }],
        );
        p.counts.comparisons = r.comparisons;
        p.stages.evaluate.done++;
        break;
      }
      case 'report': {
        const { workflowId, namespace } = workflowInfo();
        const uiUrl = input.uiBase
          ? `${input.uiBase}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`
          : undefined;
        await run.writeReport.executeWithOptions({ summary: 'write report.json and report.html' }, [
          { runDir, progress: p, workflowId, ...(uiUrl ? { uiUrl } : {}) },
        ]);
        break;
      }
    }
    finish(stage);
  }
  p.stage = 'done';
  upsertSearchAttributes([{ key: stageKey, value: 'done' }]);
  details = `**${experiment.name}** — done`;
  showDetails();
  await condition(allHandlersFinished);
  return { runId, runDir, reportPath: `${runDir}/report.json`, progress: p };
}

function historyFull(limit = HISTORY_EVENTS_BEFORE_CONTINUE): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= limit;
}

async function again(input: ExperimentInput, p: RunProgress): Promise<never> {
  p.continuedAsNew++;
  await condition(allHandlersFinished);
  return await continueAsNew<typeof experimentWorkflow>({ ...input, progress: p });
}

/** A failure that no retry or other page can fix (bad key, unknown model, invalid input): fail the run with it. */
function isFatal(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && NON_RETRYABLE.includes(cause.type ?? '');
}

async function inWindow<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
