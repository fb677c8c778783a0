// An endpoint that stays down past llm.maxOutageMinutes: `clinsynth run` fails listing the lost pages; run again, it completes.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { writeTestExperiment } from '../support/experiments.js';
import { runCli } from '../support/cli.js';
import { readJsonl } from '../../lib/run/run-dir.js';
import type { LostPage } from '../../lib/run/lost-pages.js';

let llm: FakeLlmServer;

beforeAll(async () => {
  llm = await startFakeLlmServer({ seed: 11 });
});

afterAll(async () => {
  await llm?.close();
});

describe('an outage longer than llm.maxOutageMinutes', () => {
  it('fails the run with the list of lost pages (failures/pages.jsonl, status); `clinsynth run` again completes it', async () => {
    const { file } = writeTestExperiment({
      name: 'wf-outage',
      // 3 s of outage allowed: the calls retry with backoff (1 s, 2 s), then give up.
      llm: { baseURL: llm.url, maxOutageMinutes: 0.05 },
      overrides: {
        bronze: { enabled: false },
        selfCheck: { enabled: false },
        train: { seeds: [1] },
        evaluate: { mixes: ['gold', 'gold+silver'], llmAgreement: false },
      },
    });
    const cli = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      CLINSYNTH_HOME: mkdtempSync(join(tmpdir(), 'clinsynth-home-')),
    };
    llm.setFaults({ failStatus: 503 });
    llm.resetStats();
    const failed = await runCli(['run', file, '--run-id', 'a', '--json'], cli);
    expect(failed.code, failed.stderr.slice(-2000)).not.toBe(0);
    // Each call was asked more than once (retried with backoff), and the message lists the page and why.
    expect(llm.stats.byStatus[503]).toBeGreaterThan(1);
    expect(failed.stderr).toMatch(
      /silver: 1 of 1 pages lost, more than llm.maxFailedShare \(0\) allows: silver page 0/,
    );
    expect(failed.stderr).toMatch(
      /endpoint failing for \d+ s \(llm.maxOutageMinutes 0.05\), gave up after \d+ attempts: 503/,
    );
    expect(failed.stderr).toContain('failures/pages.jsonl');
    expect(failed.stderr).toContain('--run-id wf-outage-a');
    // One log line per retry (stage, page, status, next attempt), no stack trace per attempt: a single activity
    // failure (the give-up) carries one.
    const retries = failed.stderr.split('\n').filter((l) => l.includes('[WARN] silver page 0: endpoint failing for'));
    // Every 503 is logged as a retry but each call's last one (6 calls of 4 sentences: the give-up, or the page stopped).
    expect(retries.length).toBeLessThan(llm.stats.byStatus[503]!);
    expect(retries.length).toBeGreaterThanOrEqual(llm.stats.byStatus[503]! - 6);
    for (const line of retries)
      expect(line).toMatch(
        /\(status 503\): 503 from .*; attempt \d+ in \d+ s \{.*activityType: 'labelSilverPage'.*\}$/,
      );
    expect(failed.stderr.match(/\[WARN\] Activity failed/g)).toHaveLength(1);

    const runDir = join(JSON.parse(failed.stdout.trim().split('\n')[0]!).runDir as string);
    const lost = readJsonl<LostPage>(join(runDir, 'failures', 'pages.jsonl'));
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ stage: 'silver', set: 'silver', page: 0 });
    expect(lost[0]!.attempts).toBeGreaterThan(1);
    expect(lost[0]!.error).toContain('503');
    const status = await runCli(['status', 'wf-outage-a'], cli);
    expect(status.stdout).toContain('FAILED');
    expect(status.stdout).toContain('lost pages: silver 1');
    // It never trained on the smaller set.
    expect(existsSync(join(runDir, 'report.json'))).toBe(false);

    // The endpoint is back: the same run id runs again and completes, with no page lost.
    llm.setFaults({ failStatus: 0 });
    const again = await runCli(['run', file, '--run-id', 'a', '--json'], cli);
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    expect(existsSync(join(runDir, 'failures', 'pages.jsonl'))).toBe(false);
    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'));
    expect(report.stages.silver.failedPages).toBe(0);
    expect(report.datasets.silver).toBeGreaterThan(0);
  }, 240_000);
});
