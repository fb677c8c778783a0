// LLM activities (their own task queue): pages and batch rounds by reference, run through lib, heartbeating.
import { Context, log } from '@temporalio/activity';
import { loadTaxonomy, type Taxonomy } from '../lib/config/taxonomy.js';
import { RunDir } from '../lib/run/run-dir.js';
import { openaiOptions } from '../lib/llm/providers.js';
import { BatchClient, batchFlavour, type BatchInfo } from '../lib/llm/batch-api.js';
import * as batch from '../lib/generate/llm-batch.js';
import * as pages from '../lib/generate/llm-pages.js';
import type { PageResult } from '../lib/run/run-state.js';
import type { CheckedSet } from '../lib/run/records.js';
import { mapped } from './failures.js';
import { OutageRetryingProvider, outageClockFor, retryLine } from '../lib/llm/outage.js';
import { countPage, countRetry } from './llm-metrics.js';
import type { ActivityDeps } from './deps.js';
import { runEncoderSpec } from '../lib/model/embeddings.js';

export type LlmActivities = ReturnType<typeof createLlmActivities>;

/** The LLM activities over injected dependencies (the provider per run's settings, the answer cache). */
export function createLlmActivities(deps: ActivityDeps) {
  /** Taxonomies read by this worker's pages, by path (a page reads its run's once per process). */
  const taxonomies = new Map<string, Taxonomy>();

  /**
   * Builds the page context for this run and keeps the activity heartbeating while the LLM (or a batch API) works.
   * The page's calls ride out an endpoint outage (lib/llm/outage.ts); while one waits, each retry is one log line and
   * the heartbeat details say why the page waits (the Temporal UI shows them on the pending activity).
   */
  async function withPage<T>(
    runDir: string,
    /** The stage whose page this is (tags its metrics); null for the batch activities (not counted as pages). */
    stage: string | null,
    where: string,
    fn: (ctx: pages.PageContext) => Promise<T>,
  ): Promise<T> {
    return mapped(async () => {
      const activity = Context.current();
      const experiment = new RunDir(runDir).experiment();
      let taxonomy = taxonomies.get(experiment.taxonomy);
      if (!taxonomy) taxonomies.set(experiment.taxonomy, (taxonomy = loadTaxonomy(experiment.taxonomy)));
      const shared = await deps.providers(experiment.llm);
      let waiting: string | undefined;
      const heartbeat = () => activity.heartbeat(waiting === undefined ? undefined : { waiting });
      const provider = new OutageRetryingProvider(shared, {
        clock: outageClockFor(`${experiment.llm.baseURL ?? experiment.llm.provider} ${shared.model}`),
        maxOutageMs: (experiment.llm.maxOutageMinutes ?? 60) * 60_000,
        onRetry: (n) => {
          countRetry(experiment, stage ?? 'batch', n.status);
          waiting = retryLine(where, n);
          log.warn(waiting);
          heartbeat();
        },
      });
      const beat = setInterval(heartbeat, 2000);
      try {
        const result = await fn({
          provider,
          cache: deps.cache,
          taxonomy,
          experiment,
          runDir,
          embed: (texts) => deps.encoder(texts, heartbeat, runEncoderSpec(experiment)), // silver.selectExamples: similar
          onAnswer: () => {
            waiting = undefined;
            activity.heartbeat();
          },
          signal: activity.cancellationSignal,
        });
        const usage = (result as Partial<PageResult> | undefined)?.usage;
        if (usage && stage) countPage(experiment, stage, usage);
        return result;
      } finally {
        clearInterval(beat);
      }
    });
  }

  /** The run's batch API client and the answer cache, for the batch activities. */
  function withBatchApi<T>(
    runDir: string,
    fn: (deps: batch.BatchDeps, ctx: pages.PageContext) => Promise<T>,
  ): Promise<T> {
    return withPage(runDir, null, 'batch', (ctx) => {
      const client = new BatchClient(openaiOptions(ctx.experiment.llm), batchFlavour(ctx.experiment.llm));
      return fn({ client, cache: ctx.cache, onProgress: () => Context.current().heartbeat() }, ctx);
    });
  }

  async function labelSilverPage(input: {
    runDir: string;
    page: number;
    set?: 'silver' | 'probe';
  }): Promise<PageResult> {
    const where = `${input.set === 'probe' ? 'silver (gold test)' : 'silver'} page ${input.page}`;
    return withPage(input.runDir, 'silver', where, (ctx) => pages.labelSilverPage(ctx, input.page, input.set));
  }

  async function generateBronzePage(input: { runDir: string; page: number }): Promise<PageResult> {
    return withPage(input.runDir, 'bronze', `bronze page ${input.page}`, (ctx) =>
      pages.generateBronzePage(ctx, input.page),
    );
  }

  async function selfCheckPage(input: { runDir: string; set: CheckedSet; page: number }): Promise<PageResult> {
    const where = `selfcheck (${input.set}) page ${input.page}`;
    return withPage(input.runDir, 'selfcheck', where, (ctx) => pages.selfCheckPage(ctx, input.set, input.page));
  }

  /** Writes and submits one batch round of a stage's pages (llm.batch); returns only ids, statuses and counts. */
  async function submitBatch(input: batch.BatchRound): Promise<batch.SubmitResult> {
    return withBatchApi(input.runDir, (deps, ctx) => batch.submitBatchRound(deps, ctx, input));
  }

  /** One status check of a batch (short: the workflow waits between checks with durable timers). */
  async function checkBatch(input: { runDir: string; id: string }): Promise<BatchInfo> {
    return withBatchApi(input.runDir, (deps) => deps.client.retrieve(input.id));
  }

  async function cancelBatch(input: { runDir: string; id: string }): Promise<BatchInfo> {
    return withBatchApi(input.runDir, (deps) => deps.client.cancel(input.id));
  }

  /** Downloads a finished round's results into the answer cache; failed lines stay raw in the run directory. */
  async function collectBatch(
    input: batch.BatchRound & { batches: { id: string; part: number }[] },
  ): Promise<batch.CollectResult> {
    const { batches, ...round } = input;
    return withBatchApi(input.runDir, (deps, ctx) => batch.collectBatchRound(deps, ctx, round, batches));
  }

  return {
    labelSilverPage,
    generateBronzePage,
    selfCheckPage,
    submitBatch,
    checkBatch,
    cancelBatch,
    collectBatch,
  };
}
