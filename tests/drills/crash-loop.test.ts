// Drill: kill -9 the worker 10 times while it sends LLM calls (silver, bronze, self-check); the run completes like a clean run.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { writeTestExperiment } from '../support/experiments.js';
import { runCli, startCli } from '../support/cli.js';
import { mulberry32 } from '../../lib/run/random.js';
import { workflowIdFor, type RunProgress } from '../../lib/run/run-state.js';
import type { ExperimentResult } from '../../workflows/experiment.js';
import { progressQuery } from '../../workflows/contract.js';

const KILLS = Number(process.env.DRILL_KILLS ?? 10);
let llm: FakeLlmServer;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  // 1 s an answer: the LLM stages last long enough for every kill to land in them, with calls in flight.
  llm = await startFakeLlmServer({ seed: 17, latencyMs: 1000 });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await llm?.close();
});

const experimentOptions = (name: string) => ({
  name,
  llm: { baseURL: llm.url, concurrency: 3, seed: 5 },
  overrides: { silver: { enabled: true, batchSize: 1 }, bronze: { enabled: true, perLabel: 6, perCall: 2 } },
});

type Env = Record<string, string>;
const LLM_STAGES = new Set(['taxonomy', 'silver', 'bronze', 'selfcheck']);

async function runToEnd(
  name: string,
  duringRun?: (workflowId: string, env: Env) => Promise<void>,
): Promise<ExperimentResult> {
  const env = {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    CLINSYNTH_HOME: mkdtempSync(join(tmpdir(), `clinsynth-${name}-`)),
  };
  const { file } = writeTestExperiment(experimentOptions(name));
  const started = await runCli(['run', file, '--detach', '--no-worker', '--json'], env);
  expect(started.code).toBe(0);
  const workflowId = workflowIdFor(name);
  await duringRun?.(workflowId, env);
  const last = startCli(['worker', '--llm-concurrency', '3'], env);
  try {
    return (await client.workflow.getHandle(workflowId).result()) as ExperimentResult;
  } finally {
    last.child.kill('SIGTERM');
    await last.result;
  }
}

describe('crash drill', () => {
  it(`survives ${KILLS} SIGKILLs of its worker during its LLM stages without paying twice or losing rows`, async () => {
    const clean = await runToEnd('drill-clean');
    const cleanCalls = clean.progress.llm.calls;
    llm.resetStats();
    const rand = mulberry32(2026);
    let kills = 0;
    let killed = 0; // every SIGKILL, counted or not
    const stagesAtKill: string[] = [];
    const crashed = await runToEnd('drill-crash', async (workflowId, env) => {
      const handle = client.workflow.getHandle(workflowId);
      // A worker whose run could not say its stage (a query lost under load) is killed but not counted; the attempts
      // are bounded so that a run that cannot reach KILLS fails instead of looping.
      for (let attempt = 0; kills < KILLS && attempt < 3 * KILLS; attempt++) {
        const sentBefore = llm.stats.requests;
        const w = startCli(['worker', '--llm-concurrency', '3'], env);
        // Once this worker sends calls, let it work for 0.5-2 s, then kill it without warning.
        for (let i = 0; i < 600 && llm.stats.requests === sentBefore && w.child.exitCode === null; i++)
          await new Promise((r) => setTimeout(r, 100));
        await new Promise((r) => setTimeout(r, 500 + rand() * 1500));
        const p = (await handle.query(progressQuery).catch(() => undefined)) as RunProgress | undefined;
        w.child.kill('SIGKILL');
        await w.result;
        killed++;
        if (p && !LLM_STAGES.has(p.stage)) break; // past its LLM stages: the run was too short for KILLS
        if (!p) continue;
        stagesAtKill.push(p.stage);
        kills++;
      }
    });
    // Every kill landed while the worker was sending calls in an LLM stage.
    expect(kills, `kills during LLM stages (at: ${stagesAtKill.join(', ')})`).toBe(KILLS);
    expect(crashed.progress.stage).toBe('done');
    for (const s of ['silver', 'bronze', 'selfcheck'] as const) expect(crashed.progress.stages[s].failedPages).toBe(0);
    // Same rows as the clean run.
    for (const k of ['silverRows', 'bronzeRows', 'selfcheckRows', 'silver', 'bronze', 'gold_train'])
      expect(crashed.progress.counts[k], k).toBe(clean.progress.counts[k]);
    // Paid at most once per request, except calls in flight at a kill (3 slots per kill).
    const hashes = llm.stats.bodyHashes;
    const repeats = hashes.length - new Set(hashes).size;
    expect(repeats).toBeLessThanOrEqual(killed * 3);
    expect(new Set(hashes).size).toBe(cleanCalls);
  });
});
