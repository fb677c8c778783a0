// lib/generate/cost-estimate.ts: the dry-run's calls per stage are an upper bound, bronze top-up rounds included.
import { describe, expect, it } from 'vitest';
import { estimateCost, formatEstimate } from '../../lib/generate/cost-estimate.js';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { loadTaxonomy } from '../../lib/config/taxonomy.js';
import { writeTestExperiment } from '../support/experiments.js';

function estimate(overrides: Record<string, unknown>, llm: Record<string, unknown> = {}) {
  const { file } = writeTestExperiment({
    name: 'estimate',
    llm: { baseURL: 'http://127.0.0.1:9/v1', model: 'gpt-4o-mini', ...llm },
    overrides,
  });
  const e = loadExperiment(file);
  return { e, est: estimateCost(e, loadTaxonomy(e.taxonomy)) };
}

describe('estimateCost', () => {
  it('counts the planned bronze calls, then the most the top-up rounds may ask for', () => {
    const { e, est } = estimate({ bronze: { enabled: true, perLabel: 10, perCall: 5, topUpRounds: 2 } });
    const targets = e.labels.length + 1; // every label and none
    const stage = (name: string) => est.stages.find((s) => s.stage === name);
    expect(stage('bronze')!.calls).toBe(targets * 2);
    expect(stage('top-up')!.calls).toBe(2 * targets * 6); // 3 × 10 sentences, 5 a call, per round
    expect(est.total.calls).toBe(est.stages.reduce((n, s) => n + s.calls, 0));
    expect(est.costUsd).toBeGreaterThan(0);
  });

  it('has no top-up row when top-up is off', () => {
    const { est } = estimate({ bronze: { enabled: true, perLabel: 10, perCall: 5, topUpRounds: 0 } });
    expect(est.stages.map((s) => s.stage)).not.toContain('top-up');
  });

  it('prices batch mode at half the list price (same calls and tokens)', () => {
    const online = estimate({}).est;
    const batch = estimate({}, { batch: true }).est;
    expect(batch.total).toEqual(online.total);
    expect(batch.costUsd!).toBeCloseTo(online.costUsd! / 2, 12);
    expect(formatEstimate(batch, 'gpt-4o-mini')).toMatch(/at the batch price \(50%\)/);
    expect(formatEstimate(online, 'gpt-4o-mini')).not.toMatch(/batch price/);
  });
});
