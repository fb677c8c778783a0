// Drill: the endpoint answers 503 to everything for 5 minutes early in the LLM stages; with default settings the run
// completes with exactly the rows of an undisturbed run of the same experiment (each on a cold answer cache).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { writeTestExperiment } from '../support/experiments.js';
import { runCli, startCli } from '../support/cli.js';
import { readJsonl } from '../../lib/run/run-dir.js';
import { Client, Connection } from '@temporalio/client';
import { workflowIdFor } from '../../lib/run/run-state.js';

/** The heartbeat details of a run's pending activities (what the Temporal UI shows on them), decoded. */
async function waitingDetails(client: Client, runId: string): Promise<string[]> {
  const d = await client.workflow.getHandle(workflowIdFor(runId)).describe();
  return (d.raw.pendingActivities ?? []).flatMap((a) =>
    (a.heartbeatDetails?.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString('utf8')),
  );
}

const OUTAGE_MS = 5 * 60_000;

let llm: FakeLlmServer;
beforeAll(async () => {
  llm = await startFakeLlmServer({ seed: 5 });
});
afterAll(async () => {
  await llm?.close();
});

/** The rows a run ends with: every merged row's source, id, labels, verdict and usability, sorted. */
function rowsOf(runDir: string): string[] {
  type Row = { id: string; source: string; labels: string[]; verdict: string | null; usable: boolean };
  return readJsonl<Row>(join(runDir, 'datasets', 'merged.jsonl'))
    .map((r) => `${r.source} ${r.id} ${[...r.labels].sort().join(',')} ${r.verdict} ${r.usable}`)
    .sort();
}

describe('outage drill', () => {
  it('rides out 5 minutes of 503s with default settings and ends with the rows of an undisturbed run', async () => {
    const { file } = writeTestExperiment({
      name: 'drill-outage',
      llm: { baseURL: llm.url },
      overrides: {
        corpus: { path: join(process.cwd(), 'examples/demo/data/notes.jsonl'), format: 'jsonl', maxSentences: 16 },
        bronze: { enabled: true, perLabel: 1, perCall: 2 },
        train: { seeds: [1] },
        evaluate: { mixes: ['gold', 'gold+silver+bronze'], llmAgreement: false, bootstrap: 200 },
      },
    });
    const envFor = () => ({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      CLINSYNTH_HOME: mkdtempSync(join(tmpdir(), 'clinsynth-outage-')),
    });

    const calm = await runCli(['run', file, '--run-id', 'calm', '--json'], envFor());
    expect(calm.code, calm.stderr.slice(-2000)).toBe(0);
    const calmDir = JSON.parse(calm.stdout.trim().split('\n')[0]!).runDir as string;
    const calmRows = rowsOf(calmDir);
    expect(calmRows.some((r) => r.startsWith('silver '))).toBe(true);

    llm.resetStats();
    llm.setFaults({ failStatus: 503 });
    const stormy = startCli(['run', file, '--run-id', 'storm', '--json'], envFor());
    // The outage starts with the first LLM call and lasts 5 minutes.
    while (!llm.stats.byStatus[503]) await new Promise((r) => setTimeout(r, 200));
    const outageStart = Date.now();
    // Meanwhile the pending page activities say why they wait (their heartbeat details).
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    let seen: string[] = [];
    try {
      const client = new Client({ connection });
      while (Date.now() - outageStart < OUTAGE_MS - 10_000 && !seen.some((d) => d.includes('endpoint failing for'))) {
        seen = await waitingDetails(client, 'drill-outage-storm');
        await new Promise((r) => setTimeout(r, 2000));
      }
    } finally {
      await connection.close();
    }
    expect(seen.join('\n')).toMatch(/"waiting":"silver page 0: endpoint failing for .* \(status 503\)/);
    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - outageStart)));
    llm.setFaults({ failStatus: 0 });
    const r = await stormy.result;
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const stormDir = JSON.parse(r.stdout.trim().split('\n')[0]!).runDir as string;
    expect(llm.stats.byStatus[503]).toBeGreaterThan(10);
    // It waited, saying why, one line a retry (no give-up, no lost page).
    expect(r.stderr).toMatch(/silver page 0: endpoint failing for [45] min \(status 503\)/);
    expect(r.stderr).not.toContain('Activity failed');
    const report = JSON.parse(readFileSync(join(stormDir, 'report.json'), 'utf8'));
    for (const s of Object.values<{ failedPages: number }>(report.stages)) expect(s.failedPages).toBe(0);
    expect(rowsOf(stormDir)).toEqual(calmRows);
    const calmReport = JSON.parse(readFileSync(join(calmDir, 'report.json'), 'utf8'));
    expect(report.datasets).toEqual(calmReport.datasets);
  }, 900_000);
});
