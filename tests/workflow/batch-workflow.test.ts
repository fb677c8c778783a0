// Batch mode (llm.batch) through the workflow on a real Temporal dev server, in-process workers and the fake server's
// batch API: same datasets as online, no call on an online rerun, expiry/failure/vanish, cancel, continue-as-new.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { defaultActivityDeps, startWorkers, workflowBundle, type RunningWorkers } from '../../worker.js';
import { FileLlmCache, type LlmCache } from '../../lib/llm/cache.js';
import { startFakeLlmServer, type FakeLlmFaults, type FakeLlmServer } from '../support/fake-llm-server.js';
import { writeTestExperiment } from '../support/experiments.js';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { workflowIdFor, type BatchProgress } from '../../lib/run/run-state.js';
import { TASK_QUEUES, cancelLlmUpdate, progressQuery } from '../../workflows/contract.js';
import { readJsonl } from '../../lib/run/run-dir.js';
import { progressLine } from '../../client/progress.js';
import type { ExperimentInput, ExperimentResult } from '../../workflows/experiment.js';

let llm: FakeLlmServer;
let workers: RunningWorkers;
let connection: Connection;
let client: Client;

const FAST: Partial<FakeLlmFaults> = {
  batchValidatingMs: 50,
  batchInProgressMs: 300,
  batchFinalizingMs: 50,
  batchCancellingMs: 300,
  batchOutcomes: [],
  batchAnsweredShare: 0.5,
  batchErrorLineShare: 0,
  batchHold: false,
};

beforeAll(async () => {
  llm = await startFakeLlmServer({ seed: 9, ...FAST });
  const address = inject('temporalAddress');
  const activityDeps = { ...defaultActivityDeps(), cache: currentCache };
  workers = await startWorkers({ address, namespace: 'default', llmConcurrency: 4, dataConverter: {}, activityDeps });
  connection = await Connection.connect({ address });
  client = new Client({ connection });
});

afterAll(async () => {
  await workers?.shutdown();
  await connection?.close();
  await llm?.close();
});

/** A demo-sized experiment; `batch` turns batch mode on with fast polls. */
function experimentFile(name: string, batch: boolean, llmExtra: Record<string, unknown> = {}): string {
  return writeTestExperiment({
    name,
    llm: {
      baseURL: llm.url,
      seed: 3,
      prices: { 'fake-model': { input: 1, output: 2 } },
      ...(batch ? { batch: true, batchPollSeconds: 0.2 } : {}),
      ...llmExtra,
    },
    overrides: { train: { seeds: [1] }, evaluate: { mixes: ['gold', 'gold+silver+bronze'] } },
  }).file;
}

/** Each test's answers go to a cache of its own, cold at its start: the workers' cache is the current test's. */
let cache = new FileLlmCache(join(mkdtempSync(join(tmpdir(), 'clinsynth-batch-home-')), 'llm-cache'));
const currentCache: LlmCache = { get: (key) => cache.get(key), put: (key, a, request) => cache.put(key, a, request) };
function freshHome(): string {
  const home = (process.env.CLINSYNTH_HOME = mkdtempSync(join(tmpdir(), 'clinsynth-batch-home-')));
  cache = new FileLlmCache(join(home, 'llm-cache'));
  return home;
}

async function start(file: string, runId: string, extra: Partial<ExperimentInput> = {}): Promise<WorkflowHandle> {
  const experiment = loadExperiment(file);
  return client.workflow.start('experimentWorkflow', {
    workflowId: workflowIdFor(runId),
    taskQueue: TASK_QUEUES.main,
    args: [{ experiment, runId, runDir: join(experiment.output, runId), ...extra } satisfies ExperimentInput],
  });
}

const run = async (file: string, runId: string, extra: Partial<ExperimentInput> = {}) =>
  (await (await start(file, runId, extra)).result()) as ExperimentResult;

/** The stage outputs that make the datasets, row by row (the cache keys included). */
function datasets(runDir: string): Record<string, string[]> {
  const rows = (path: string) =>
    readJsonl<Record<string, unknown>>(join(runDir, path))
      .map((r) => JSON.stringify(r))
      .sort();
  return {
    merged: rows('datasets/merged.jsonl'),
    silver: rows('datasets/silver.jsonl'),
    bronze: rows('datasets/bronze.jsonl'),
  };
}

const sum = (bs: BatchProgress[], k: 'answered' | 'unanswered' | 'total') => bs.reduce((n, b) => n + (b[k] ?? 0), 0);

describe('batch mode through the workflow', () => {
  it('makes the same datasets as an online run at half the price, and an online rerun after it makes no call', async () => {
    llm.setFaults(FAST);
    const stamp = Date.now();
    freshHome();
    llm.resetStats();
    const online = await run(experimentFile('wf-online', false), `wf-online-${stamp}`);
    const onlineCalls = llm.stats.requests;
    expect(onlineCalls).toBeGreaterThan(10);

    freshHome();
    llm.resetStats();
    // The workflow's current details and `clinsynth status` show the open round while a batch runs: the endpoint
    // holds its batches in progress until the test has seen that (a state, not a race with a 300 ms window).
    llm.setFaults({ batchHold: true });
    const handle = await start(experimentFile('wf-batch', true), `wf-batch-${stamp}`);
    let seen = '';
    let line = '';
    for (let i = 0; i < 1200 && !seen; i++) {
      const details =
        ((await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string }).currentDetails ?? '';
      if (/batch round 1\/3 of silver: batch_fake_\d+ (validating|in_progress|finalizing)/.test(details)) {
        seen = details;
        line = progressLine(await handle.query(progressQuery));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    llm.setFaults({ batchHold: false });
    expect(seen).not.toBe('');
    expect(line).toMatch(/batch round 1\/3 of silver: batch_fake_\d+/);
    const batched = (await handle.result()) as ExperimentResult;
    const p = batched.progress;
    expect(p.stage).toBe('done');
    expect(llm.stats.requests).toBe(0);
    expect(datasets(batched.runDir)).toEqual(datasets(online.runDir));
    // One batch per LLM stage round (silver, bronze and its top-up rounds, self-check), each created once.
    const batches = p.batches ?? [];
    expect(batches.map((b) => b.stage)).toEqual(expect.arrayContaining(['silver', 'bronze', 'selfcheck']));
    for (const b of batches) expect(b).toMatchObject({ status: 'completed', round: 0, unanswered: 0, failed: 0 });
    expect(sum(batches, 'answered')).toBe(onlineCalls);
    expect(llm.stats.batchLines).toBe(onlineCalls);
    expect(Object.values(llm.stats.batchesByInputHash).every((n) => n === 1)).toBe(true);
    expect(p.llmBatch?.calls).toBe(onlineCalls);
    // Same tokens, batch price (50%).
    expect(p.llm.promptTokens).toBe(online.progress.llm.promptTokens);
    expect(p.costUsd!).toBeCloseTo(online.progress.costUsd! / 2, 10);
    const report = JSON.parse(readFileSync(batched.reportPath, 'utf8'));
    expect(report.batches).toHaveLength(batches.length);
    expect(report.llm.batch.calls).toBe(onlineCalls);
    expect(readFileSync(join(batched.runDir, 'report.html'), 'utf8')).toContain(batches[0]!.id);

    // The answers are in the cache under the online keys: an online rerun pays for nothing.
    llm.resetStats();
    const rerun = await run(experimentFile('wf-rerun', false), `wf-rerun-${stamp}`);
    expect(llm.stats.requests).toBe(0);
    expect(llm.stats.batchesCreated).toBe(0);
    expect(rerun.progress.llm.calls).toBe(0);
    expect(datasets(rerun.runDir)).toEqual(datasets(online.runDir));
    await Worker.runReplayHistory(
      { workflowBundle: await workflowBundle() },
      await handle.fetchHistory(),
      handle.workflowId,
    );
  }, 400_000);

  it('resubmits only what an expired batch did not answer; failed, vanished and output-less batches end recorded and go online', async () => {
    freshHome();
    llm.setFaults({ ...FAST, batchOutcomes: ['expire'] });
    llm.resetStats();
    const expired = await run(experimentFile('wf-expire', true), `wf-expire-${Date.now()}`);
    expect(expired.progress.stage).toBe('done');
    const silver = (expired.progress.batches ?? []).filter((b) => b.stage === 'silver');
    expect(silver.map((b) => [b.round, b.status])).toEqual([
      [0, 'expired'],
      [1, 'completed'],
    ]);
    expect(silver[0]!.unanswered).toBeGreaterThan(0);
    expect(silver[1]!.total).toBe(silver[0]!.unanswered);
    expect(silver[1]!.unanswered).toBe(0);
    expect(llm.stats.requests).toBe(0);

    freshHome();
    llm.setFaults({ ...FAST, batchOutcomes: ['fail', 'vanish', 'nullOutput'] });
    llm.resetStats();
    const broken = await run(experimentFile('wf-broken', true, { batchRounds: 1 }), `wf-broken-${Date.now()}`);
    expect(broken.progress.stage).toBe('done');
    const [first, second, third] = broken.progress.batches ?? [];
    expect(first).toMatchObject({
      stage: 'silver',
      status: 'failed',
      error: expect.stringContaining('token_limit_exceeded'),
      answered: 0,
    });
    expect(second).toMatchObject({
      stage: 'bronze',
      status: 'vanished',
      error: expect.stringContaining('404'),
      answered: 0,
    });
    expect(third).toMatchObject({ status: 'completed', answered: 0 });
    expect(third!.unanswered).toBe(third!.total);
    // One round each (llm.batchRounds 1): what no batch answered went online, and the run is whole.
    expect(second!.total).toBeGreaterThan(0);
    expect(second!.unanswered).toBe(second!.total);
    expect(llm.stats.requests).toBe(first!.total + second!.total + third!.total);
    for (const s of ['silver', 'bronze', 'selfcheck'] as const) expect(broken.progress.stages[s].failedPages).toBe(0);
  }, 400_000);

  it('cancel while a batch is in progress cancels it and keeps what it answered before it stopped', async () => {
    freshHome();
    llm.setFaults({ ...FAST, batchInProgressMs: 60_000, batchCancellingMs: 500 });
    llm.resetStats();
    const handle = await start(experimentFile('wf-batch-cancel', true), `wf-batch-cancel-${Date.now()}`);
    for (let i = 0; i < 600; i++) {
      const p = await handle.query(progressQuery);
      if (p.batches?.some((b) => b.status === 'in_progress')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await handle.executeUpdate(cancelLlmUpdate, { args: [] });
    const result = (await handle.result()) as ExperimentResult;
    const [b] = result.progress.batches ?? [];
    expect(result.progress.batches).toHaveLength(1);
    expect(b).toMatchObject({ stage: 'silver', status: 'cancelled', answered: Math.floor(b!.total / 2) });
    expect(llm.stats.batchesCancelled).toBe(1);
    expect(llm.stats.requests).toBe(0);
    expect(result.progress.cancelled).toBe(true);
    expect(result.progress.stages.report.status).toBe('done');
  }, 400_000);

  it('continues as new while it waits on a batch and goes on with the same batch', async () => {
    freshHome();
    llm.setFaults({ ...FAST, batchInProgressMs: 4000 });
    llm.resetStats();
    const runId = `wf-batch-can-${Date.now()}`;
    const result = await run(experimentFile('wf-batch-can', true, { batchPollSeconds: 0.1 }), runId, {
      historyLimit: 60,
    });
    expect(result.progress.stage).toBe('done');
    expect(result.progress.continuedAsNew).toBeGreaterThan(0);
    const batches = result.progress.batches ?? [];
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) expect(b.status).toBe('completed');
    expect(llm.stats.batchesCreated).toBe(batches.length);
    expect(llm.stats.requests).toBe(0);
    const runs = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowIdFor(runId)}'` })) runs.push(w);
    expect(runs.length).toBe(result.progress.continuedAsNew + 1);
  }, 400_000);
});
