// LLM activities (their own task queue): read a page by reference, run it through lib, heartbeat while waiting.
import { Context } from '@temporalio/activity';
import { join } from 'node:path';
import { loadTaxonomy, type Taxonomy } from '../lib/run/taxonomy.js';
import { readRunExperiment } from '../lib/run/run-dir.js';
import { FileLlmCache } from '../lib/llm/cache.js';
import { providerFor } from '../lib/llm/providers.js';
import * as pages from '../lib/generate/llm-pages.js';
import { clinsynthHome } from '../lib/run/paths.js';
import type { PageResult } from '../lib/run/run-state.js';
import type { CheckedSet } from '../lib/run/records.js';
import { mapped } from './failures.js';

const taxonomies = new Map<string, Taxonomy>();

/** Builds the page context for this run and keeps the activity heartbeating while the LLM thinks. */
async function withPage(runDir: string, fn: (ctx: pages.PageContext) => Promise<PageResult>): Promise<PageResult> {
  return mapped(async () => {
    const activity = Context.current();
    const experiment = readRunExperiment(runDir);
    let taxonomy = taxonomies.get(experiment.taxonomy);
    if (!taxonomy) taxonomies.set(experiment.taxonomy, (taxonomy = loadTaxonomy(experiment.taxonomy)));
    const provider = await providerFor(experiment.llm);
    const cache = new FileLlmCache(join(clinsynthHome(), 'llm-cache'));
    const beat = setInterval(() => activity.heartbeat(), 2000);
    try {
      return await fn({ provider, cache, taxonomy, experiment, runDir, onAnswer: () => activity.heartbeat(), signal: activity.cancellationSignal });
    } finally {
      clearInterval(beat);
    }
  });
}

export async function labelSilverPage(input: { runDir: string; page: number; set?: 'silver' | 'probe' }): Promise<PageResult> {
  return withPage(input.runDir, (ctx) => pages.labelSilverPage(ctx, input.page, input.set));
}

export async function generateBronzePage(input: { runDir: string; page: number }): Promise<PageResult> {
  return withPage(input.runDir, (ctx) => pages.generateBronzePage(ctx, input.page));
}

export async function selfCheckPage(input: { runDir: string; set: CheckedSet; page: number }): Promise<PageResult> {
  return withPage(input.runDir, (ctx) => pages.selfCheckPage(ctx, input.set, input.page));
}
