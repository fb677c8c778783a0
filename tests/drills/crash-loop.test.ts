// Drill: kill -9 the worker 10 times at random points of silver and bronze; the run completes like a clean run.
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
  llm = await startFakeLlmServer({ seed: 17, latencyMs: 150 });
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
  it(`survives ${KILLS} SIGKILLs of its worker during silver and bronze without paying twice or losing rows`, async () => {
    const clean = await runToEnd('drill-clean');
    const cleanCalls = clean.progress.llm.calls;
    llm.resetStats();
    const rand = mulberry32(2026);
    let kills = 0;
    const crashed = await runToEnd('drill-crash', async (workflowId, env) => {
      const handle = client.workflow.getHandle(workflowId);
      while (kills < KILLS) {
        const w = startCli(['worker', '--llm-concurrency', '3'], env);
        // Let it work for 1-4 s, then kill it without warning.
        await new Promise((r) => setTimeout(r, 1000 + rand() * 3000));
        w.child.kill('SIGKILL');
        await w.result;
        kills++;
        const p = (await handle.query(progressQuery).catch(() => undefined)) as RunProgress | undefined;
        if (p && p.stage !== 'silver' && p.stage !== 'bronze' && p.stage !== 'taxonomy') break;
      }
    });
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(crashed.progress.stage).toBe('done');
    for (const s of ['silver', 'bronze', 'selfcheck'] as const) expect(crashed.progress.stages[s].failedPages).toBe(0);
    // Same rows as the clean run.
    for (const k of ['silverRows', 'bronzeRows', 'selfcheckRows', 'silver', 'bronze', 'gold_train'])
      expect(crashed.progress.counts[k], k).toBe(clean.progress.counts[k]);
    // Paid at most once per request, except calls in flight at a kill (3 slots per kill).
    const hashes = llm.stats.bodyHashes;
    const repeats = hashes.length - new Set(hashes).size;
    expect(repeats).toBeLessThanOrEqual(kills * 3);
    expect(new Set(hashes).size).toBe(cleanCalls);
  });
});
