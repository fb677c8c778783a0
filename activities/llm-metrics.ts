// clinsynth's own worker metrics (LLM calls, cached answers, tokens, retried failures by status, dollars) on the runtime's meter.
import { Context } from '@temporalio/activity';
import type { Experiment } from '../lib/config/experiment.js';
import { costUsd, priceOf } from '../lib/llm/pricing.js';
import type { LlmUsageTotals } from '../lib/run/run-state.js';

/** Dollars spent by this process, per model (a gauge: Temporal's counters count whole numbers). */
const spent = new Map<string, number>();

/** Counts a finished page's calls, cache hits, tokens and spend (tags: stage, model). */
export function countPage(experiment: Experiment, stage: string, usage: LlmUsageTotals): void {
  const meter = Context.current().metricMeter;
  const model = experiment.llm.model ?? experiment.llm.provider;
  const tags = { stage, model };
  meter
    .createCounter('clinsynth_llm_calls', 'calls', 'LLM calls sent (answers not in the cache)')
    .add(usage.calls, tags);
  meter
    .createCounter('clinsynth_llm_cache_hits', 'calls', 'LLM answers taken from the cache')
    .add(usage.cacheHits, tags);
  const tokens = meter.createCounter('clinsynth_llm_tokens', 'tokens', 'LLM tokens paid for');
  tokens.add(usage.promptTokens, { ...tags, kind: 'prompt' });
  tokens.add(usage.completionTokens, { ...tags, kind: 'completion' });
  const price = priceOf(experiment.llm);
  if (!price) return;
  const total = (spent.get(model) ?? 0) + costUsd(price, usage.promptTokens, usage.completionTokens);
  spent.set(model, total);
  meter.createGauge('clinsynth_llm_cost_usd', 'float', 'USD', 'Estimated LLM spend of this worker process').set(total, {
    model,
  });
}

/** Counts a failed LLM call that will be retried (status 429, 5xx, or `none` for timeouts and refused connections). */
export function countRetry(experiment: Experiment, stage: string, status: number | undefined): void {
  const model = experiment.llm.model ?? experiment.llm.provider;
  Context.current()
    .metricMeter.createCounter('clinsynth_llm_retried_failures', 'calls', 'LLM calls that failed and were retried')
    .add(1, { stage, model, status: status === undefined ? 'none' : String(status) });
}
