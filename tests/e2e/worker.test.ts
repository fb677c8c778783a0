// `clinsynth worker` as an operator runs it: Prometheus metrics (Temporal's and clinsynth's), and SIGTERM lets paid calls land.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { writeTestExperiment } from '../support/experiments.js';
import { runCli, startCli } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { workflowIdFor } from '../../lib/run/run-state.js';

let llm: FakeLlmServer;
beforeAll(async () => {
  llm = await startFakeLlmServer({ seed: 17 });
});
afterAll(async () => {
  await llm?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for the worker's first line on stderr that matches. */
async function waitFor(read: () => string, re: RegExp): Promise<void> {
  while (!re.test(read())) await sleep(200);
}

/** Answers in the answer cache of a CLINSYNTH_HOME. */
function cachedAnswers(home: string): number {
  const dir = join(home, 'llm-cache');
  return readdirSync(dir).reduce(
    (n, sub) => n + readdirSync(join(dir, sub)).filter((f) => f.endsWith('.json')).length,
    0,
  );
}

describe('clinsynth worker', () => {
  it('serves Temporal and clinsynth metrics on --metrics; on SIGTERM its calls in flight finish before it stops', async () => {
    const port = await freePort();
    const env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      CLINSYNTH_HOME: mkdtempSync(join(tmpdir(), 'clinsynth-worker-')),
    };
    const worker = startCli(['worker', '--metrics', `127.0.0.1:${port}`, '--cpu-concurrency', '1'], env);
    let stderr = '';
    worker.child.stderr!.on('data', (d) => (stderr += d));
    await waitFor(() => stderr, /clinsynth worker polling main, llm/);
    expect(stderr).toContain(`metrics (Prometheus): http://127.0.0.1:${port}/metrics`);

    const { file } = writeTestExperiment({
      name: 'worker-metrics',
      llm: { baseURL: llm.url, model: 'gpt-4o-mini' },
      overrides: {
        bronze: { enabled: false },
        selfCheck: { enabled: false },
        train: { seeds: [1] },
        evaluate: { mixes: ['gold', 'gold+silver'], llmAgreement: false },
      },
    });
    // A fifth of the calls answered 429 first (Retry-After 0): each is retried, and counted as such.
    llm.setFaults({ rate429: 0.2, retryAfterSeconds: 0 });
    llm.resetStats();
    const run = await runCli(['run', file, '--no-worker', '--json'], env);
    llm.setFaults({ rate429: 0 });
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    // The Temporal runtime's own metrics …
    expect(text).toMatch(/^temporal_activity_execution_latency\w*\{/m);
    expect(text).toMatch(/^temporal_workflow_completed\w*\{.*workflow_type="experimentWorkflow"/m);
    // … and clinsynth's, tagged with stage and model: calls as the endpoint counted them, tokens and dollars.
    const value = (re: RegExp) =>
      text
        .split('\n')
        .filter((l) => re.test(l))
        .reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
    const throttled = llm.stats.byStatus[429] ?? 0;
    expect(throttled).toBeGreaterThan(0);
    expect(value(/^clinsynth_llm_retried_failures\{.*status="429"/)).toBe(throttled);
    expect(value(/^clinsynth_llm_calls\{.*stage="silver"/)).toBe(llm.stats.requests - throttled);
    expect(value(/^clinsynth_llm_tokens\{.*kind="prompt"/)).toBe(llm.stats.promptTokens);
    expect(value(/^clinsynth_llm_cost_usd\{.*model="gpt-4o-mini"/)).toBeGreaterThan(0);

    // A slow endpoint: SIGTERM the worker while calls are in flight; it stops once they came back (and were cached).
    llm.setFaults({ latencyMs: 4000 });
    const { file: slow } = writeTestExperiment({
      name: 'worker-sigterm',
      llm: { baseURL: llm.url, seed: 3 },
      overrides: {
        bronze: { enabled: false },
        selfCheck: { enabled: false },
        evaluate: { mixes: ['gold', 'gold+silver'], llmAgreement: false },
      },
    });
    llm.resetStats();
    const started = await runCli(['run', slow, '--no-worker', '--detach', '--json'], env);
    expect(started.code, started.stderr).toBe(0);
    try {
      while (llm.stats.inFlight === 0) await sleep(100);
      const t0 = Date.now();
      worker.child.kill('SIGTERM');
      const exit = await worker.result;
      expect(exit.code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(90_000); // within the shutdown grace
      expect(llm.stats.inFlight).toBe(0);
      expect(cachedAnswers(env.CLINSYNTH_HOME)).toBe(llm.stats.requests + value(/^clinsynth_llm_calls\{/));
    } finally {
      llm.setFaults({ latencyMs: 0 });
      const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
      const runId = JSON.parse(started.stdout.trim().split('\n')[0]!).runId as string;
      await new Client({ connection }).workflow
        .getHandle(workflowIdFor(runId))
        .terminate('test over')
        .catch(() => undefined);
      await connection.close();
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }
  }, 300_000);
});
