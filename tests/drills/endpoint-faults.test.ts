// Drill: the LLM fault mix (10% 429, 5% 500, 5% malformed, 1% hung) at concurrency 16; the run completes and reports every failure.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { writeTestExperiment } from '../support/experiments.js';
import { runCli } from '../support/cli.js';
import { readJsonl } from '../../lib/run/run-dir.js';
import { loadTaxonomy, labelIds } from '../../lib/config/taxonomy.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';

let llm: FakeLlmServer;
beforeAll(async () => {
  llm = await startFakeLlmServer({
    seed: 31,
    latencyMs: 50,
    rate429: 0.1,
    retryAfterSeconds: 1,
    rate500: 0.05,
    rateMalformed: 0.05,
    rateHang: 0.01,
  });
});
afterAll(async () => {
  await llm?.close();
});

describe('endpoint fault drill', () => {
  it('completes at concurrency 16 under the fault mix; every unusable answer is in the report and kept raw', async () => {
    const { file } = writeTestExperiment({
      name: 'drill-faults',
      llm: { baseURL: llm.url, concurrency: 16, timeoutSeconds: 2 },
      overrides: {
        corpus: { path: join(PROJECT_ROOT, 'examples/demo/data/notes.jsonl'), format: 'jsonl', maxSentences: 60 },
        silver: { enabled: true, batchSize: 1 },
        bronze: { enabled: true, perLabel: 6, perCall: 1 },
      },
    });
    const r = await runCli(['run', file, '--json'], {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      CLINSYNTH_HOME: mkdtempSync(join(tmpdir(), 'clinsynth-faults-')),
    });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const { runDir } = JSON.parse(r.stdout.trim().split('\n')[0]!);
    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'));
    for (const kind of ['rate429', 'rate500', 'rateMalformed', 'rateHang'])
      expect(llm.stats.faults[kind] ?? 0, kind).toBeGreaterThan(0);
    const failureRows = [
      'silver/failures',
      'bronze/failures',
      'selfcheck/failures-silver',
      'selfcheck/failures-bronze',
      'probe/failures',
      'selfcheck/failures-probe',
    ]
      .flatMap((f) => (existsSync(join(runDir, f)) ? readdirSync(join(runDir, f)).map((p) => join(runDir, f, p)) : []))
      .flatMap((p) => readJsonl<{ rawText: string }>(p));
    // Against what the endpoint injected: a malformed answer is always unusable, so each is a failure, kept raw
    // (the fake server's malformed answers start with {"oops": ). A call that timed out before its answer arrived
    // would make this fail: the endpoint counts the fault when it makes the answer.
    const malformed = llm.stats.faults.rateMalformed ?? 0;
    expect(report.llm.failures).toBeGreaterThanOrEqual(malformed);
    expect(failureRows.filter((f) => f.rawText.startsWith('{"oops": ')).length).toBeGreaterThanOrEqual(malformed);
    expect(failureRows).toHaveLength(report.llm.failures);
    for (const s of Object.values<any>(report.stages)) expect(s.failedPages).toBe(0);
    const labels = new Set(labelIds(loadTaxonomy(join(PROJECT_ROOT, 'taxonomy/ad-signs-symptoms.yaml'))));
    for (const row of readJsonl<{ labels: string[] }>(join(runDir, 'datasets', 'merged.jsonl')))
      for (const l of row.labels) expect(labels.has(l)).toBe(true);
  });
});
