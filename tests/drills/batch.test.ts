// Drill: batch mode (llm.batch) on real processes: the demo through batches makes the online datasets (an online
// rerun then pays for nothing); expiry resubmits only the missing requests; a worker killed with SIGKILL (in
// batches.create and while a batch runs) and a Temporal server restart lose nothing and never make a second batch.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { startFakeLlmServer, type FakeLlmFaults, type FakeLlmServer } from '../support/fake-llm-server.js';
import { DEMO_DIR } from '../support/experiments.js';
import { CLI, runCli } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { startDevServer } from '../../client/temporal-server.js';
import { readJsonl } from '../../lib/run/run-dir.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';
import { workflowIdFor, type RunProgress } from '../../lib/run/run-state.js';
import type { ExperimentResult } from '../../workflows/experiment.js';
import { progressQuery } from '../../workflows/contract.js';

const BATCH: Partial<FakeLlmFaults> = {
  batchValidatingMs: 200,
  batchInProgressMs: 1500,
  batchFinalizingMs: 200,
  batchOutcomes: [],
  batchCreateDelayMs: 0,
  batchAnsweredShare: 0.5,
};
let llm: FakeLlmServer;

beforeAll(async () => {
  llm = await startFakeLlmServer({ seed: 41, ...BATCH });
});
afterAll(async () => {
  await llm?.close();
});

/**
 * The demo experiment as it is, its LLM swapped for the fake endpoint (online, or through its batch API); `light`
 * trains one seed of two mixes without curves (the LLM stages, and so the datasets, are the demo's).
 */
function demoExperiment(name: string, batch: boolean, light = true): string {
  const demo = parse(readFileSync(join(DEMO_DIR, 'experiment.yaml'), 'utf8'));
  const dir = mkdtempSync(join(tmpdir(), 'clinsynth-batch-drill-'));
  const abs = (p: string) => resolve(DEMO_DIR, p);
  const experiment = {
    ...demo,
    name,
    taxonomy: abs(demo.taxonomy),
    gold: { ...demo.gold, path: abs(demo.gold.path) },
    corpus: { ...demo.corpus, path: abs(demo.corpus.path) },
    llm: {
      provider: 'openai',
      baseURL: llm.url,
      model: 'fake-model',
      concurrency: 4,
      maxTokens: 512,
      ...(batch ? { batch: true, batchPollSeconds: 0.5 } : {}),
    },
    output: join(dir, 'runs'),
    ...(light
      ? {
          train: { ...demo.train, seeds: [1] },
          evaluate: {
            ...demo.evaluate,
            mixes: ['gold', 'gold+silver+bronze'],
            bootstrap: 1000,
            curves: { synthetic: [], gold: [] },
          },
        }
      : {}),
  };
  const file = join(dir, 'experiment.yaml');
  writeFileSync(file, stringify(experiment));
  return file;
}

const home = (name: string) => mkdtempSync(join(tmpdir(), `clinsynth-${name}-`));

/** The synthetic datasets, row by row (cache keys included). */
function datasets(runDir: string): Record<string, string[]> {
  const rows = (p: string) =>
    readJsonl<Record<string, unknown>>(join(runDir, p))
      .map((r) => JSON.stringify(r))
      .sort();
  return { silver: rows('datasets/silver.jsonl'), bronze: rows('datasets/bronze.jsonl') };
}

/** A `clinsynth worker` in a process group of its own, so a kill takes every process it started. */
function startWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [CLI, 'worker', '--llm-concurrency', '4'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: 'ignore',
    detached: true,
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs the worker's whole process group and waits until none of it is left. */
async function killWorker(w: ChildProcess): Promise<void> {
  const pgid = w.pid!;
  process.kill(-pgid, 'SIGKILL');
  for (let i = 0; i < 100 && groupAlive(pgid); i++) await new Promise((r) => setTimeout(r, 100));
  expect(groupAlive(pgid), `worker process group ${pgid} is gone`).toBe(false);
}

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 180_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await Promise.resolve(fn()).catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const inProgress = (p: RunProgress) => (p.batches?.some((b) => b.status === 'in_progress') ? p : undefined);

function noSecondBatch(): void {
  expect(llm.stats.batchesCreated).toBeGreaterThan(0);
  expect(Object.entries(llm.stats.batchesByInputHash).filter(([, n]) => n > 1)).toEqual([]);
}

let onlineRun: { datasets: Record<string, string[]>; calls: number } | undefined;

/** The datasets of the demo run online (once per file: the tests compare their batch runs with it). */
async function onlineDatasets(): Promise<Record<string, string[]>> {
  if (!onlineRun) {
    llm.setFaults(BATCH);
    llm.resetStats();
    const o = await runCli(['run', demoExperiment('drill-batch-online', false), '--json'], {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      CLINSYNTH_HOME: home('online'),
    });
    expect(o.code, o.stderr.slice(-2000)).toBe(0);
    onlineRun = { datasets: datasets(JSON.parse(o.stdout.trim().split('\n')[0]!).runDir), calls: llm.stats.requests };
  }
  return onlineRun.datasets;
}

describe('batch mode drill', () => {
  it('runs the demo through batches with the datasets of an online run; an online rerun after it makes no call', async () => {
    const address = inject('temporalAddress');
    const reference = await onlineDatasets();
    const onlineCalls = onlineRun!.calls;
    expect(reference.silver!.length).toBeGreaterThan(0);
    expect(reference.bronze!.length).toBeGreaterThan(0);

    const batchHome = home('batch');
    llm.resetStats();
    const b = await runCli(['run', demoExperiment('drill-batch', true, false), '--json'], {
      TEMPORAL_ADDRESS: address,
      CLINSYNTH_HOME: batchHome,
    });
    expect(b.code, b.stderr.slice(-2000)).toBe(0);
    expect(b.stderr).toMatch(/batches:\n\s+silver\s+round 1\s+batch_fake_\d+ completed/);
    expect(llm.stats.requests).toBe(0);
    expect(llm.stats.batchLines).toBe(onlineCalls);
    noSecondBatch();
    expect(datasets(JSON.parse(b.stdout.trim().split('\n')[0]!).runDir)).toEqual(reference);

    llm.resetStats();
    const again = await runCli(['run', demoExperiment('drill-batch-rerun', false), '--json'], {
      TEMPORAL_ADDRESS: address,
      CLINSYNTH_HOME: batchHome,
    });
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    expect(llm.stats.requests).toBe(0);
    expect(llm.stats.batchesCreated).toBe(0);
  });

  it('an expired batch: only its missing requests go in the next batch, and the datasets are the same', async () => {
    const reference = await onlineDatasets();
    llm.setFaults({ ...BATCH, batchOutcomes: ['expire'] });
    llm.resetStats();
    const r = await runCli(['run', demoExperiment('drill-batch-expire', true), '--json'], {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      CLINSYNTH_HOME: home('expire'),
    });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const runDir = JSON.parse(r.stdout.trim().split('\n')[0]!).runDir;
    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'));
    const [first, second] = report.batches.filter((b: { stage: string }) => b.stage === 'silver');
    expect(first).toMatchObject({ status: 'expired', round: 0 });
    expect(first.answered).toBeGreaterThan(0);
    expect(first.unanswered).toBeGreaterThan(0);
    expect(second).toMatchObject({ status: 'completed', round: 1, total: first.unanswered, unanswered: 0 });
    // The second batch's file holds exactly the requests the first left unanswered.
    const failed = readJsonl<{ customId: string }>(
      join(runDir, 'batches', first.scope, 'round-0', 'failures.jsonl'),
    ).map((f) => f.customId);
    const asked = readFileSync(join(runDir, 'batches', first.scope, 'round-1', 'part-0.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).custom_id);
    expect(asked.sort()).toEqual(failed.sort());
    expect(llm.stats.requests).toBe(0);
    noSecondBatch();
    expect(datasets(runDir)).toEqual(reference);
  });

  it('survives SIGKILLs of its worker in batches.create and while a batch runs: nothing lost, no second batch', async () => {
    const reference = await onlineDatasets();
    const address = inject('temporalAddress');
    const env = { TEMPORAL_ADDRESS: address, CLINSYNTH_HOME: home('batch-kill') };
    // The first batches.create answers only after 5 s: the worker dies after the batch exists, before it learns its id.
    // That batch runs 25 s, so that it is still running when the retried activity (after the 10 s heartbeat timeout)
    // has found it on the next worker.
    llm.setFaults({ ...BATCH, batchInProgressMs: 25_000, batchCreateDelayMs: 5000 });
    llm.resetStats();
    const started = await runCli(
      ['run', demoExperiment('drill-batch-kill', true), '--detach', '--no-worker', '--json'],
      env,
    );
    expect(started.code, started.stderr).toBe(0);
    const connection = await Connection.connect({ address });
    const handle = new Client({ connection }).workflow.getHandle(workflowIdFor('drill-batch-kill'));
    const workers: ChildProcess[] = [];
    try {
      const a = startWorker(env);
      workers.push(a);
      await waitFor('the first batch created', () => (llm.stats.batchesCreated >= 1 ? true : undefined));
      await killWorker(a);
      llm.setFaults({ batchCreateDelayMs: 0, batchInProgressMs: BATCH.batchInProgressMs! });

      const b = startWorker(env);
      workers.push(b);
      const atKill = await waitFor('a batch in progress', async () =>
        inProgress((await handle.query(progressQuery)) as RunProgress),
      );
      expect(atKill.batches).toHaveLength(1);
      await killWorker(b);

      const c = startWorker(env);
      workers.push(c);
      const result = (await handle.result()) as ExperimentResult;
      expect(result.progress.stage).toBe('done');
      for (const s of ['silver', 'bronze', 'selfcheck'] as const) expect(result.progress.stages[s].failedPages).toBe(0);
      for (const x of result.progress.batches ?? []) expect(x).toMatchObject({ status: 'completed', unanswered: 0 });
      expect(result.progress.batches![0]!.id).toBe(atKill.batches![0]!.id);
      expect(llm.stats.requests).toBe(0);
      noSecondBatch();
      expect(datasets(result.runDir)).toEqual(reference);
    } finally {
      for (const w of workers) if (groupAlive(w.pid!)) await killWorker(w);
      await connection.close();
    }
  });

  it('survives a restart of the Temporal server (same database file) while a batch runs: no second batch', async () => {
    const reference = await onlineDatasets();
    const temporalHome = home('batch-restart');
    const port = await freePort();
    const uiPort = await freePort();
    let server = await startDevServer({ home: temporalHome, port, uiPort, headless: true });
    const env = { TEMPORAL_ADDRESS: server.address, CLINSYNTH_HOME: temporalHome };
    llm.setFaults({ ...BATCH, batchInProgressMs: 6000 });
    llm.resetStats();
    const started = await runCli(
      ['run', demoExperiment('drill-batch-restart', true), '--detach', '--no-worker', '--json'],
      env,
    );
    expect(started.code, started.stderr).toBe(0);
    const worker = startWorker(env);
    try {
      let connection = await Connection.connect({ address: server.address });
      const atStop = await waitFor('a batch in progress', async () =>
        inProgress(
          (await new Client({ connection }).workflow
            .getHandle(workflowIdFor('drill-batch-restart'))
            .query(progressQuery)) as RunProgress,
        ),
      );
      await connection.close();
      await server.stop();
      expect(isAlive(server.pid), 'the old server process is gone').toBe(false);
      server = await startDevServer({ home: temporalHome, port, uiPort, headless: true });
      connection = await Connection.connect({ address: server.address });
      const result = (await new Client({ connection }).workflow
        .getHandle(workflowIdFor('drill-batch-restart'))
        .result()) as ExperimentResult;
      await connection.close();
      expect(result.progress.stage).toBe('done');
      expect(result.progress.batches![0]!.id).toBe(atStop.batches!.find((b) => b.status === 'in_progress')!.id);
      for (const x of result.progress.batches ?? []) expect(x).toMatchObject({ status: 'completed', unanswered: 0 });
      expect(llm.stats.requests).toBe(0);
      noSecondBatch();
      expect(datasets(result.runDir)).toEqual(reference);
    } finally {
      if (groupAlive(worker.pid!)) await killWorker(worker);
      await server.stop();
    }
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
