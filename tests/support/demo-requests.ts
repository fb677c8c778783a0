// The demo's LLM requests of every stage (silver, bronze, self-check of silver and bronze), built by lib/generate's
// request builders: recorded once in tests/fixtures/recorded-requests/demo.json, compared by the prompts test.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { labelIds, loadTaxonomy } from '../../lib/config/taxonomy.js';
import { llmCacheKey } from '../../lib/llm/cache.js';
import type { LlmRequest } from '../../lib/llm/types.js';
import { bronzeJobs, bronzeRequest, selfCheckRequest, silverRequest } from '../../lib/generate/prompts.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEMO_EXPERIMENT = join(ROOT, 'examples', 'demo', 'experiment.yaml');
export const RECORDED_REQUESTS = join(ROOT, 'tests', 'fixtures', 'recorded-requests', 'demo.json');

export interface RecordedRequest {
  stage: string;
  messages: LlmRequest['messages'];
  response_format: { type: 'json_schema'; json_schema: { name: string; schema: unknown; strict: true } };
  maxTokens: number;
  temperature: number;
  seed: number;
  /** The answer cache key of the request for provider local, model `demo`: equal keys, cached answers still answer. */
  cacheKey: string;
}

function record(stage: string, r: LlmRequest): RecordedRequest {
  return {
    stage,
    messages: r.messages,
    // What lib/llm/openai-provider.ts sends as response_format in json_schema mode.
    response_format: { type: 'json_schema', json_schema: { name: r.schemaName, schema: r.schema, strict: true } },
    maxTokens: r.maxTokens,
    temperature: r.temperature,
    seed: r.seed,
    cacheKey: llmCacheKey('local', 'demo', r),
  };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Silver and self-check ask about the demo's gold sentences (in silver.batchSize / selfCheck.batchSize batches, plus
 * one batch of 3 — a short last batch); bronze asks for every job the demo plans; a retry (seed + 1, warmer) too.
 */
export function demoRequests(): RecordedRequest[] {
  const e = loadExperiment(DEMO_EXPERIMENT);
  const taxonomy = loadTaxonomy(e.taxonomy);
  const ids = labelIds(taxonomy);
  const gold = readFileSync(e.gold.path!, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { id: string; text: string; labels: string[] })
    .slice(0, 11);
  const opts = (retry: number, temperature = e.llm.temperature) => ({
    maxTokens: e.llm.maxTokens,
    temperature: retry === 0 ? temperature : Math.max(temperature, 0.3 * retry),
    seed: e.llm.seed + retry,
  });
  const out: RecordedRequest[] = [];
  for (const batch of chunks(gold, e.silver.batchSize)) {
    out.push(
      record(
        'silver',
        silverRequest(
          taxonomy,
          batch.map(({ id, text }) => ({ id, text })),
          opts(0),
        ),
      ),
    );
  }
  out.push(
    record(
      'silver',
      silverRequest(
        taxonomy,
        gold.slice(0, 1).map(({ id, text }) => ({ id, text })),
        opts(1),
      ),
    ),
  );
  const jobs = bronzeJobs(ids, e.bronze.perLabel, e.bronze.perCall, e.bronze.includeNone, { combos: e.bronze.combos });
  for (const job of jobs) out.push(record('bronze', bronzeRequest(taxonomy, job, opts(0, e.bronze.temperature))));
  out.push(record('bronze', bronzeRequest(taxonomy, jobs[0]!, opts(2, e.bronze.temperature))));
  for (const set of ['silver', 'bronze'] as const) {
    for (const batch of chunks(gold, e.selfCheck.batchSize)) {
      out.push(record(`selfcheck-${set}`, selfCheckRequest(taxonomy, set, batch, opts(0))));
    }
  }
  return out;
}
