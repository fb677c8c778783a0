// LLM policies end to end: budget cap, non-retryable auth errors, hung endpoints, and no API key anywhere it must not be.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { writeTestExperiment } from '../support/experiments.js';
import { runCli } from '../support/cli.js';
import { workflowIdFor } from '../../lib/run/run-state.js';
import type { ExperimentResult } from '../../workflows/experiment.js';

const SECRET = 'sk-test-clinsynth-SECRET-7f3a9c';
let llm: FakeLlmServer;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  llm = await startFakeLlmServer({ seed: 13, requireApiKey: SECRET });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await llm?.close();
});

function envFor(home: string, key: string | undefined): Record<string, string | undefined> {
  return { TEMPORAL_ADDRESS: inject('temporalAddress'), CLINSYNTH_HOME: home, CLINSYNTH_TEST_KEY: key };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

describe('LLM policies', () => {
  it('keeps the API key out of workflow history, DuckDB, caches, logs and artifacts', async () => {
    const home = mkdtempSync(join(tmpdir(), 'clinsynth-home-'));
    const { file, dir } = writeTestExperiment({
      name: 'secret',
      llm: { baseURL: llm.url, apiKeyEnv: 'CLINSYNTH_TEST_KEY' },
    });
    const r = await runCli(['run', file, '--json'], { ...envFor(home, SECRET), CLINSYNTH_LOG_LEVEL: 'DEBUG' });
    expect(r.code).toBe(0);
    const history = await client.workflow.getHandle(workflowIdFor('secret')).fetchHistory();
    const places: [string, string][] = [
      ['workflow history', JSON.stringify(history)],
      ['CLI output and worker logs', r.stdout + r.stderr],
      ...[...filesUnder(home), ...filesUnder(dir)]
        .filter((f) => statSync(f).size < 64 * 1024 * 1024)
        .map((f) => [f, readFileSync(f).toString('latin1')] as [string, string]),
    ];
    expect(places.length).toBeGreaterThan(20);
    expect(places.some(([f]) => f.endsWith('clinsynth.duckdb'))).toBe(true);
    expect(places.some(([f]) => f.includes('llm-cache'))).toBe(true);
    for (const [where, text] of places) expect(text.includes(SECRET), `key found in ${where}`).toBe(false);
  });

  it('fails the run at once with a message naming the key variable when the endpoint answers 401', async () => {
    const home = mkdtempSync(join(tmpdir(), 'clinsynth-home-'));
    const { file } = writeTestExperiment({
      name: 'badkey',
      llm: { baseURL: llm.url, apiKeyEnv: 'CLINSYNTH_TEST_KEY' },
    });
    const before = llm.stats.requests;
    const r = await runCli(['run', file], envFor(home, 'sk-wrong'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/401/);
    expect(r.stderr).toContain('CLINSYNTH_TEST_KEY');
    expect(r.stderr).not.toContain('sk-wrong');
    // Non-retryable: no retry storm. The run's two LLM pages (silver, gold-test labelling) start their calls together
    // in llm.concurrency 4 slots; each stops its waiting calls at its first 401, so at most the 4 in the slots each.
    expect(llm.stats.requests - before).toBeLessThanOrEqual(8);
  });

  it('stops starting LLM work once llm.budgetUsd is spent, and still trains and reports on what it has', async () => {
    const home = mkdtempSync(join(tmpdir(), 'clinsynth-home-'));
    const { file } = writeTestExperiment({
      name: 'budget',
      llm: {
        baseURL: llm.url,
        apiKeyEnv: 'CLINSYNTH_TEST_KEY',
        model: 'gpt-4o-mini',
        budgetUsd: 0.001,
        concurrency: 1,
      },
    });
    const r = await runCli(['run', file, '--json'], envFor(home, SECRET));
    expect(r.code).toBe(0);
    const result = (await client.workflow.getHandle(workflowIdFor('budget')).result()) as ExperimentResult;
    expect(result.progress.budgetExhausted).toBe(true);
    expect(result.progress.costUsd).toBeGreaterThanOrEqual(0.001);
    expect(result.progress.costUsd!).toBeLessThan(0.002);
    const skipped = Object.entries(result.progress.counts).filter(
      ([k, v]) => k.endsWith('PagesSkippedForBudget') && v > 0,
    );
    expect(skipped.length).toBeGreaterThan(0);
    expect(result.progress.stages.report.status).toBe('done');
  });

  it('finishes despite hung answers: the request timeout turns each into a retry', async () => {
    const home = mkdtempSync(join(tmpdir(), 'clinsynth-home-'));
    const { file } = writeTestExperiment({
      name: 'hung',
      llm: { baseURL: llm.url, apiKeyEnv: 'CLINSYNTH_TEST_KEY', timeoutSeconds: 2, seed: 99 },
    });
    llm.setFaults({ rateHang: 0.08 });
    try {
      const r = await runCli(['run', file, '--json'], envFor(home, SECRET));
      expect(r.code).toBe(0);
      expect(llm.stats.faults.rateHang ?? 0).toBeGreaterThan(0);
    } finally {
      llm.setFaults({ rateHang: 0 });
    }
  });

  it('--dry-run prints the call, token and cost estimate and starts nothing', async () => {
    const { file } = writeTestExperiment({ name: 'dry', llm: { baseURL: llm.url, model: 'gpt-4o-mini' } });
    const r = await runCli(['run', file, '--dry-run', '--json'], envFor(mkdtempSync(join(tmpdir(), 'h-')), undefined));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.estimate.total.calls).toBeGreaterThan(10);
    expect(out.estimate.costUsd).toBeGreaterThan(0);
    const runs = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowIdFor('dry')}'` })) runs.push(w);
    expect(runs).toHaveLength(0);
  });
});
