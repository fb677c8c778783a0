// Estimates an experiment's LLM calls, tokens and cost before it runs (`clinsynth run --dry-run`).
import type { Experiment } from '../config/experiment.js';
import type { Taxonomy } from '../config/taxonomy.js';
import type { LlmRequest } from '../llm/types.js';
import {
  bronzeJobs,
  bronzeRequest,
  bronzeTargets,
  planBronzeJobs,
  selfCheckRequest,
  silverRequest,
} from './prompts.js';
import { stagePrompt } from './stage-prompts.js';
import { loadExamples, shotsOf } from './examples.js';
import { MAX_ASK_FACTOR } from './bronze-top-up.js';
import { batchPrice, costUsd, priceOf } from '../llm/pricing.js';

/** Rough tokens of a text (≈ 4 characters a token for English with BPE tokenizers). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function requestTokens(r: LlmRequest): number {
  return r.messages.reduce((n, m) => n + estimateTokens(m.content), 0) + estimateTokens(JSON.stringify(r.schema));
}

export interface StageEstimate {
  stage: string;
  calls: number;
  promptTokens: number;
  completionTokens: number;
}

export interface CostEstimate {
  stages: StageEstimate[];
  total: StageEstimate;
  /** null when the model's price is unknown (add it under llm.prices); with llm.batch, at the batch price (50%). */
  costUsd: number | null;
  budgetUsd: number | null;
  /** llm.batch: the requests go through the provider's batch API first. */
  batch: boolean;
}

/** Output tokens a rationale adds per item (silver.rationale / selfCheck.rationale): about 240 characters. */
const RATIONALE_TOKENS = 60;

/** A typical note sentence (≈ 25 tokens) for sizing prompts. */
const SAMPLE =
  'The patient has had increasing difficulty remembering recent events, per her daughter, over the past year.';

/**
 * Upper-bound estimate: silver assumes corpus.maxSentences candidates; the bronze top-up assumes every round asks the
 * most it may (3 × perLabel per target); completions assume typical answer sizes.
 */
export function estimateCost(e: Experiment, taxonomy: Taxonomy): CostEstimate {
  const opts = { maxTokens: e.llm.maxTokens, temperature: e.llm.temperature, seed: e.llm.seed };
  const stages: StageEstimate[] = [];
  let silverItems = 0;
  let bronzeItems = 0;
  if (e.silver.enabled && e.corpus) {
    silverItems = e.corpus.maxSentences;
    const calls = Math.ceil(silverItems / e.silver.batchSize);
    const items = Array.from({ length: e.silver.batchSize }, (_, i) => ({ id: `x${i}`, text: SAMPLE }));
    const shown = loadExamples(e).slice(0, shotsOf(e).shots);
    stages.push({
      stage: 'silver',
      calls,
      // The file's first `shots` examples stand for each request's (similar picks others of about the same length).
      promptTokens:
        calls * requestTokens(silverRequest(taxonomy, items, opts, { ...stagePrompt(e, 'silver'), examples: shown })),
      completionTokens: silverItems * (15 + (e.silver.rationale ? RATIONALE_TOKENS : 0)),
    });
  }
  if (e.bronze.enabled) {
    const jobs = bronzeJobs(e.labels, e.bronze.perLabel, e.bronze.perCall, e.bronze.includeNone, {
      combos: e.bronze.combos,
    });
    bronzeItems = jobs.reduce((n, j) => n + j.count, 0);
    const prompt = jobs.length ? requestTokens(bronzeRequest(taxonomy, jobs[0]!, opts, stagePrompt(e, 'bronze'))) : 0;
    stages.push({
      stage: 'bronze',
      calls: jobs.length,
      promptTokens: jobs.length * prompt,
      completionTokens: bronzeItems * 35,
    });
    // Top-up rounds: at most MAX_ASK_FACTOR × perLabel more per target and round (usually far fewer, often none).
    const rounds = e.bronze.topUpRounds;
    const targets = bronzeTargets(e.labels, e.bronze.includeNone, e.bronze.combos);
    const perRound = planBronzeJobs(
      e.labels,
      targets.map((target) => ({ target, count: MAX_ASK_FACTOR * e.bronze.perLabel })),
      e.bronze.perCall,
    );
    if (rounds > 0 && perRound.length > 0) {
      const items = rounds * perRound.reduce((n, j) => n + j.count, 0);
      bronzeItems += items;
      const calls = rounds * perRound.length;
      stages.push({ stage: 'top-up', calls, promptTokens: calls * prompt, completionTokens: items * 35 });
    }
  }
  if (e.selfCheck.enabled && silverItems + bronzeItems > 0) {
    const n = silverItems + bronzeItems;
    const calls = Math.ceil(silverItems / e.selfCheck.batchSize) + Math.ceil(bronzeItems / e.selfCheck.batchSize);
    const items = Array.from({ length: e.selfCheck.batchSize }, (_, i) => ({
      id: `x${i}`,
      text: SAMPLE,
      labels: [e.labels[0]!],
    }));
    stages.push({
      stage: 'selfcheck',
      calls,
      promptTokens:
        calls * requestTokens(selfCheckRequest(taxonomy, 'silver', items, opts, stagePrompt(e, 'selfCheck'))),
      completionTokens: n * (30 + (e.selfCheck.rationale ? RATIONALE_TOKENS : 0)),
    });
  }
  const total = stages.reduce<StageEstimate>(
    (t, s) => ({
      stage: 'total',
      calls: t.calls + s.calls,
      promptTokens: t.promptTokens + s.promptTokens,
      completionTokens: t.completionTokens + s.completionTokens,
    }),
    { stage: 'total', calls: 0, promptTokens: 0, completionTokens: 0 },
  );
  const listPrice = priceOf(e.llm);
  // Batch mode: every first request goes in a batch; only repairs of unusable answers (not estimated) go online.
  const price = listPrice && e.llm.batch ? batchPrice(listPrice) : listPrice;
  return {
    stages,
    total,
    costUsd: price ? costUsd(price, total.promptTokens, total.completionTokens) : null,
    budgetUsd: e.llm.budgetUsd ?? null,
    batch: e.llm.batch,
  };
}

export function formatEstimate(est: CostEstimate, model: string): string {
  const row = (s: StageEstimate) =>
    `  ${s.stage.padEnd(10)} ${String(s.calls).padStart(8)} ${String(s.promptTokens).padStart(12)} ${String(s.completionTokens).padStart(12)}`;
  const cost =
    est.costUsd === null ? `unknown (no price for ${model}: add it under llm.prices)` : `$${est.costUsd.toFixed(2)}`;
  return [
    `  ${'stage'.padEnd(10)} ${'calls'.padStart(8)} ${'prompt tok'.padStart(12)} ${'output tok'.padStart(12)}`,
    ...est.stages.map(row),
    row(est.total),
    `estimated cost (upper bound, before cache hits${est.batch && est.costUsd !== null ? ', at the batch price (50%)' : ''}): ${cost}${est.budgetUsd !== null ? ` · budget cap $${est.budgetUsd.toFixed(2)}` : ''}`,
  ].join('\n');
}
