// A demo-sized run on gpt-5-mini against the strict test endpoint: the requests it takes, and usage priced with cache.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { writeTestExperiment } from '../support/experiments.js';
import { runCli } from '../support/cli.js';
import { DEFAULT_PRICES, runCostUsd } from '../../lib/llm/pricing.js';

const KEY = 'sk-test-families-0123456789abcdef';
let llm: FakeLlmServer;

beforeAll(async () => {
  llm = await startFakeLlmServer({ seed: 5, requireApiKey: KEY, keepBodies: 10_000 });
});
afterAll(async () => {
  await llm?.close();
});

const env = (home: string) => ({
  TEMPORAL_ADDRESS: inject('temporalAddress'),
  CLINSYNTH_HOME: home,
  CLINSYNTH_TEST_KEY: KEY,
});
const small = {
  train: { seeds: [1] },
  evaluate: { mixes: ['gold', 'gold+silver+bronze'], folds: 1 },
};

describe('current model families', () => {
  it('a run on gpt-5-mini completes against the strict endpoint and reports reasoning and cached prompt tokens, priced', async () => {
    const { file } = writeTestExperiment({
      name: 'gpt5',
      llm: { baseURL: llm.url, model: 'gpt-5-mini', apiKeyEnv: 'CLINSYNTH_TEST_KEY', reasoningEffort: 'low' },
      overrides: small,
    });
    const r = await runCli(['run', file, '--json'], env(mkdtempSync(join(tmpdir(), 'clinsynth-home-'))));
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    // nothing was refused: every request was one gpt-5-mini takes
    expect(llm.stats.requests).toBeGreaterThan(5);
    expect(Object.keys(llm.stats.byStatus)).toEqual(['200']);
    for (const body of llm.stats.bodies as Record<string, unknown>[]) {
      expect(body).toMatchObject({ model: 'gpt-5-mini', reasoning_effort: 'low' });
      expect(body).not.toHaveProperty('temperature');
      expect(body).not.toHaveProperty('max_tokens');
      expect(body.max_completion_tokens).toBeGreaterThan(0);
    }
    const runDir = (JSON.parse(r.stdout.trim().split('\n')[0]!) as { runDir: string }).runDir;
    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as {
      llm: {
        promptTokens: number;
        completionTokens: number;
        reasoningTokens?: number;
        cachedPromptTokens?: number;
        costUsd?: number;
        byStage: Record<string, { reasoningTokens?: number; cachedPromptTokens?: number; costUsd?: number }>;
      };
    };
    // the report counts what the endpoint reported, per stage and in all
    expect(llm.stats.reasoningTokens).toBeGreaterThan(0);
    expect(llm.stats.cachedTokens).toBeGreaterThan(0);
    expect(report.llm.reasoningTokens).toBe(llm.stats.reasoningTokens);
    expect(report.llm.cachedPromptTokens).toBe(llm.stats.cachedTokens);
    expect(report.llm.promptTokens).toBe(llm.stats.promptTokens);
    const stages = Object.values(report.llm.byStage);
    expect(stages.reduce((n, s) => n + (s.cachedPromptTokens ?? 0), 0)).toBe(llm.stats.cachedTokens);
    expect(stages.reduce((n, s) => n + (s.reasoningTokens ?? 0), 0)).toBe(llm.stats.reasoningTokens);
    // priced with cached prompt tokens at the cached rate: less than the same tokens at the input price
    const price = DEFAULT_PRICES['gpt-5-mini']!;
    expect(report.llm.costUsd).toBeCloseTo(runCostUsd(price, report.llm), 10);
    expect(report.llm.costUsd!).toBeLessThan(runCostUsd(price, { ...report.llm, cachedPromptTokens: 0 }));
    expect(stages.every((s) => typeof s.costUsd === 'number')).toBe(true);
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('<th>of which cached</th>');
    expect(html).toContain('<th>of which reasoning</th>');
  });

  it('an account out of credits (429 insufficient_quota) fails the run at once, naming quota and billing', async () => {
    const broke = await startFakeLlmServer({ insufficientQuota: true });
    try {
      const { file } = writeTestExperiment({ name: 'broke', llm: { baseURL: broke.url, model: 'gpt-5-mini' } });
      const r = await runCli(['run', file], env(mkdtempSync(join(tmpdir(), 'clinsynth-home-'))));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/insufficient_quota/);
      expect(r.stderr).toMatch(/out of credits or over its quota; check the plan and billing/);
      // not retried: each of the two first LLM pages stops at its first answer (at most the 4 calls in the slots)
      expect(broke.stats.requests).toBeLessThanOrEqual(8);
    } finally {
      await broke.close();
    }
  });
});
