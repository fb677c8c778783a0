// LLM activities (their own task queue): pages and batch rounds by reference, run through lib, heartbeating.
import { Context } from '@temporalio/activity';
import { join } from 'node:path';
import { loadTaxonomy, type Taxonomy } from '../lib/run/taxonomy.js';
import { readRunExperiment } from '../lib/run/run-dir.js';
import { FileLlmCache } from '../lib/llm/cache.js';
import { openaiOptions, providerFor } from '../lib/llm/providers.js';
import { BatchClient, batchFlavour, type BatchInfo } from '../lib/llm/batch-api.js';
import * as batch from '../lib/generate/llm-batch.js';
import * as pages from '../lib/generate/llm-pages.js';
import { clinsynthHome } from '../lib/run/paths.js';
import type { PageResult } from '../lib/run/run-state.js';
import type { CheckedSet } from '../lib/run/records.js';
import { mapped } from './failures.js';

const taxonomies = new Map<string, Taxonomy>();

/** Builds the page context for this run and keeps the activity heartbeating while the LLM (or a batch API) works. */
async function withPage<T>(runDir: string, fn: (ctx: pages.PageContext) => Promise<T>): Promise<T> {
  return mapped(async () => {
    const activity = Context.current();
    const experiment = readRunExperiment(runDir);
    let taxonomy = taxonomies.get(experiment.taxonomy);
    if (!taxonomy) taxonomies.set(experiment.taxonomy, (taxonomy = loadTaxonomy(experiment.taxonomy)));
    const provider = await providerFor(experiment.llm);
    const cache = new FileLlmCache(join(clinsynthHome(), 'llm-cache'));
    const beat = setInterval(() => activity.heartbeat(), 2000);
    try {
      return await fn({
        provider,
        cache,
        taxonomy,
        experiment,
        runDir,
        onAnswer: () => activity.heartbeat(),
        signal: activity.cancellationSignal,
      });
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
  return withPage(runDir, (ctx) => {
    const client = new BatchClient(openaiOptions(ctx.experiment.llm), batchFlavour(ctx.experiment.llm));
    return fn({ client, cache: ctx.cache, onProgress: () => Context.current().heartbeat() }, ctx);
  });
}

export async function labelSilverPage(input: {
  runDir: string;
  page: number;
  set?: 'silver' | 'probe';
}): Promise<PageResult> {
  return withPage(input.runDir, (ctx) => pages.labelSilverPage(ctx, input.page, input.set));
}

export async function generateBronzePage(input: { runDir: string; page: number }): Promise<PageResult> {
  return withPage(input.runDir, (ctx) => pages.generateBronzePage(ctx, input.page));
}

export async function selfCheckPage(input: { runDir: string; set: CheckedSet; page: number }): Promise<PageResult> {
  return withPage(input.runDir, (ctx) => pages.selfCheckPage(ctx, input.set, input.page));
}

/** Writes and submits one batch round of a stage's pages (llm.batch); returns only ids, statuses and counts. */
export async function submitBatch(input: batch.BatchRound): Promise<batch.SubmitResult> {
  return withBatchApi(input.runDir, (deps, ctx) => batch.submitBatchRound(deps, ctx, input));
}

/** One status check of a batch (short: the workflow waits between checks with durable timers). */
export async function checkBatch(input: { runDir: string; id: string }): Promise<BatchInfo> {
  return withBatchApi(input.runDir, (deps) => deps.client.retrieve(input.id));
}

export async function cancelBatch(input: { runDir: string; id: string }): Promise<BatchInfo> {
  return withBatchApi(input.runDir, (deps) => deps.client.cancel(input.id));
}

/** Downloads a finished round's results into the answer cache; failed lines stay raw in the run directory. */
export async function collectBatch(
  input: batch.BatchRound & { batches: { id: string; part: number }[] },
): Promise<batch.CollectResult> {
  const { batches, ...round } = input;
  return withBatchApi(input.runDir, (deps, ctx) => batch.collectBatchRound(deps, ctx, round, batches));
}
