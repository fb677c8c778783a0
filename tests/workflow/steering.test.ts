// Steering a live run (Updates with validators) against the fake endpoint with latency, so the run is still in its
// LLM stages: pause/resume, budget (refused below the spend, accepted above), cancel (partial report).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../worker.js';
import type { FakeLlmServer } from '../support/fake-llm-server.js';
import { startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env.js';
import { writeTestExperiment } from '../support/experiments.js';
import { runCli } from '../support/cli.js';
import { currentDetails, untilProgress } from '../support/progress.js';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { workflowIdFor, type RunProgress, type StageName } from '../../lib/run/run-state.js';
import { TASK_QUEUES, budgetUpdate, progressQuery } from '../../workflows/contract.js';
import type { ExperimentInput, ExperimentResult } from '../../workflows/experiment.js';

let env: WorkflowEnv;
let llm: FakeLlmServer;
let client: Client;

beforeAll(async () => {
  env = await startWorkflowEnv({ llm: { seed: 5, latencyMs: 600 }, llmConcurrency: 2 });
  ({ llm, client } = env);
});

afterAll(async () => {
  await env?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(name: string, seed: number): Promise<{ runId: string; handle: WorkflowHandle }> {
  const runId = `${name}-${Date.now()}`;
  const { file } = writeTestExperiment({ name, llm: { baseURL: llm.url, model: 'gpt-4o-mini', concurrency: 2, seed } });
  const experiment = loadExperiment(file);
  const handle = await client.workflow.start('experimentWorkflow', {
    workflowId: workflowIdFor(runId),
    taskQueue: TASK_QUEUES.main,
    args: [{ experiment, runId, runDir: join(experiment.output, runId) } satisfies ExperimentInput],
  });
  return { runId, handle };
}

const until = untilProgress;

const inLlmStage = (p: RunProgress) =>
  (p.stage === 'silver' || p.stage === 'bronze') && p.stages[p.stage as StageName].done >= 1;
const control = (args: string[]) =>
  runCli(['control', ...args, '--json'], {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    CLINSYNTH_ENCRYPTION_KEY: undefined,
    CLINSYNTH_ENCRYPTION_KEY_FILE: undefined,
  });
const details = currentDetails;

describe('steering a running experiment', () => {
  it('pause stops new LLM pages until resume; budget below the spend is refused, a valid one accepted', async () => {
    const { runId, handle } = await start('steer-pause', 101);
    await until(handle, inLlmStage);
    const paused = await control([runId, 'pause']);
    expect(paused.code, paused.stderr).toBe(0);
    expect(JSON.parse(paused.stdout)).toMatchObject({ accepted: true, state: { paused: true, cancelled: false } });
    // Pages already running finish; then nothing new starts.
    const settled = await until(
      handle,
      (p) => p.stage !== 'done' && p.stages[p.stage as StageName].done === p.nextPage,
      30_000,
    );
    const requests = llm.stats.requests;
    await sleep(3000);
    const later = await handle.query(progressQuery);
    expect(later.stage).toBe(settled.stage);
    expect(later.nextPage).toBe(settled.nextPage);
    expect(llm.stats.requests).toBe(requests);
    expect(later.paused).toBe(true);
    expect(await details(handle)).toMatch(/paused/);
    expect((await control([runId, 'pause'])).stderr).toMatch(/refused: the run is already paused/);

    // Budget: below the spend so far and non-positive values are refused by the validator; a valid one is accepted.
    expect(later.costUsd).toBeGreaterThan(0);
    const low = await control([runId, 'budget', String(later.costUsd! / 2)]);
    expect(low.code).toBe(1);
    expect(low.stderr).toMatch(/refused: budget \$.* is below the \$.* spent so far/);
    await expect(handle.executeUpdate(budgetUpdate, { args: [-1] })).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(handle.executeUpdate(budgetUpdate, { args: [0] })).rejects.toThrow(WorkflowUpdateFailedError);
    expect((await control([runId, 'budget', '-1'])).code).toBe(2);
    const ok = await control([runId, 'budget', '5']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).state).toMatchObject({ budgetUsd: 5, paused: true });
    expect(await details(handle)).toMatch(/budget \$5/);

    const resumed = await control([runId, 'resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = (await handle.result()) as ExperimentResult;
    expect(result.progress.stage).toBe('done');
    expect(result.progress.paused).toBe(false);
    expect(result.progress.budgetUsd).toBe(5);
    expect(result.progress.budgetExhausted).toBe(false);
    expect(llm.stats.requests).toBeGreaterThan(requests);
    const report = JSON.parse(readFileSync(result.reportPath, 'utf8'));
    expect(report.partial).toBe(false);
    // Once the LLM stages are over, steering is refused at once.
    expect((await control([runId, 'pause'])).code).not.toBe(0);
    // The steered history replays on this code (Updates, the wait while paused): deterministic.
    await Worker.runReplayHistory(
      { workflowBundle: await workflowBundle() },
      await handle.fetchHistory(),
      handle.workflowId,
    );
  }, 240_000);

  it('cancel stops LLM work and still trains, evaluates and reports, marked partial', async () => {
    const { runId, handle } = await start('steer-cancel', 202);
    await until(handle, inLlmStage);
    const r = await control([runId, 'cancel']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).state).toMatchObject({ cancelled: true });
    const result = (await handle.result()) as ExperimentResult;
    expect(result.progress.cancelled).toBe(true);
    for (const s of ['merge', 'train', 'evaluate', 'report'] as const)
      expect(result.progress.stages[s].status).toBe('done');
    const skipped = Object.entries(result.progress.counts).filter(
      ([k, v]) => k.endsWith('PagesSkippedForCancel') && v > 0,
    );
    expect(skipped.length).toBeGreaterThan(0);
    const report = JSON.parse(readFileSync(result.reportPath, 'utf8'));
    expect(report.partial).toBe(true);
    expect(readFileSync(join(result.runDir, 'report.html'), 'utf8')).toMatch(/this report is partial/);
    await Worker.runReplayHistory(
      { workflowBundle: await workflowBundle() },
      await handle.fetchHistory(),
      handle.workflowId,
    );
  }, 240_000);
});
