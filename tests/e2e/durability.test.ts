// Crash drills on real processes: kill -9 the worker mid-silver, restart the Temporal server mid-run; both finish.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { writeTestExperiment } from '../support/experiments.js';
import { runCli, startCli } from '../support/cli.js';
import { startDevServer } from '../../client/temporal-server.js';
import { freePort } from '../support/net.js';
import { workflowIdFor, type RunProgress } from '../../lib/run/run-state.js';
import type { ExperimentResult } from '../../workflows/experiment.js';
import { progressQuery } from '../../workflows/contract.js';

let llm: FakeLlmServer;

beforeAll(async () => {
  llm = await startFakeLlmServer({ seed: 5, latencyMs: 250 });
});
afterAll(async () => {
  await llm?.close();
});

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function duplicates(hashes: string[]): number {
  return hashes.length - new Set(hashes).size;
}

describe('durability', () => {
  it('a worker killed with SIGKILL mid-silver is replaced; no completed batch is sent to the LLM again', async () => {
    const address = inject('temporalAddress');
    const env = { TEMPORAL_ADDRESS: address, CLINSYNTH_HOME: mkdtempSync(join(tmpdir(), 'clinsynth-home-')) };
    const { file } = writeTestExperiment({
      name: 'crash',
      llm: { baseURL: llm.url, concurrency: 2 },
      overrides: { silver: { enabled: true, batchSize: 1 } },
    });
    llm.resetStats();
    const start = await runCli(['run', file, '--run-id', 'kill', '--detach', '--no-worker', '--json'], env);
    expect(start.code).toBe(0);
    const worker1 = startCli(['worker', '--llm-concurrency', '2'], env);
    const connection = await Connection.connect({ address });
    const handle = new Client({ connection }).workflow.getHandle(workflowIdFor('crash-kill'));
    try {
      const atKill = await waitFor('silver half done', async () => {
        const p = (await handle.query(progressQuery)) as RunProgress;
        return p.stage === 'silver' && p.stages.silver.total > 0 && p.stages.silver.done * 2 >= p.stages.silver.total
          ? p
          : undefined;
      });
      expect(atKill.stages.silver.done).toBeLessThan(atKill.stages.silver.total);
      worker1.child.kill('SIGKILL');
      await worker1.result;
      const sentBeforeKill = llm.stats.requests;
      const worker2 = startCli(['worker', '--llm-concurrency', '2'], env);
      try {
        const result = (await handle.result()) as ExperimentResult;
        expect(result.progress.stage).toBe('done');
        expect(result.progress.stages.silver.failedPages).toBe(0);
        expect(llm.stats.requests).toBeGreaterThan(sentBeforeKill);
        // Only the calls in flight at the kill (at most one per page slot) may be asked twice.
        expect(duplicates(llm.stats.bodyHashes)).toBeLessThanOrEqual(2);
      } finally {
        worker2.child.kill('SIGTERM');
        await worker2.result;
      }
    } finally {
      worker1.child.kill('SIGKILL');
      await connection.close();
    }
  });

  it('a run survives a restart of the embedded Temporal server on the same database file', async () => {
    const home = mkdtempSync(join(tmpdir(), 'clinsynth-restart-'));
    const port = await freePort();
    const uiPort = await freePort();
    let server = await startDevServer({ home, port, uiPort, headless: true });
    const env = { TEMPORAL_ADDRESS: server.address, CLINSYNTH_HOME: home };
    const { file } = writeTestExperiment({
      name: 'restart',
      llm: { baseURL: llm.url, concurrency: 2 },
      overrides: { silver: { enabled: true, batchSize: 1 } },
    });
    const start = await runCli(['run', file, '--run-id', 'r', '--detach', '--no-worker', '--json'], env);
    expect(start.code).toBe(0);
    const worker = startCli(['worker', '--llm-concurrency', '2'], env);
    try {
      let connection = await Connection.connect({ address: server.address });
      await waitFor('silver under way', async () => {
        const p = (await new Client({ connection }).workflow
          .getHandle(workflowIdFor('restart-r'))
          .query(progressQuery)) as RunProgress;
        return p.stage === 'silver' && p.stages.silver.done >= 1 ? p : undefined;
      });
      await connection.close();
      await server.stop();
      server = await startDevServer({ home, port, uiPort, headless: true });
      connection = await Connection.connect({ address: server.address });
      const result = (await new Client({ connection }).workflow
        .getHandle(workflowIdFor('restart-r'))
        .result()) as ExperimentResult;
      expect(result.progress.stage).toBe('done');
      await connection.close();
    } finally {
      worker.child.kill('SIGTERM');
      await worker.result;
      await server.stop();
    }
  });
});
