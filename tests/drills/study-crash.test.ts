// Drill: kill -9 the worker again and again during a 4-experiment study; the study completes like a clean one and
// no LLM answer is paid twice beyond the calls in flight at a kill.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { writeTestExperiment } from '../support/experiments.js';
import { runCli, startCli } from '../support/cli.js';
import { mulberry32 } from '../../lib/run/random.js';
import type { StudyResult } from '../../workflows/study.js';

const KILLS = Number(process.env.DRILL_KILLS ?? 6);
let llm: FakeLlmServer;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  llm = await startFakeLlmServer({ seed: 23, latencyMs: 150 });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await llm?.close();
});

function writeStudy(name: string): string {
  const { file, dir } = writeTestExperiment({
    name: `${name}-base`,
    llm: { baseURL: llm.url, concurrency: 3, seed: 5 },
    overrides: { silver: { enabled: true, batchSize: 1 }, bronze: { enabled: true, perLabel: 4, perCall: 2 } },
  });
  const studyFile = join(dir, 'study.yaml');
  writeFileSync(
    studyFile,
    stringify({
      name,
      base: file,
      vary: { 'bronze.perLabel': [4, 6], 'train.classifier': ['logreg', 'mlp'] },
      concurrency: 2,
      output: join(dir, 'studies'),
    }),
  );
  return studyFile;
}

const envFor = (name: string) => ({
  TEMPORAL_ADDRESS: inject('temporalAddress'),
  CLINSYNTH_HOME: mkdtempSync(join(tmpdir(), `clinsynth-${name}-`)),
});

describe('study crash drill', () => {
  it(`completes a study through ${KILLS} SIGKILLs of its worker without paying an answer twice beyond calls in flight`, async () => {
    llm.resetStats();
    const clean = await runCli(['study', writeStudy('drill-study-clean'), '--json'], envFor('study-clean'));
    expect(clean.code, clean.stderr.slice(-3000)).toBe(0);
    const cleanCalls = new Set(llm.stats.bodyHashes).size;
    expect(llm.stats.requests).toBe(cleanCalls);

    llm.resetStats();
    const env = envFor('study-crash');
    const started = await runCli(['study', writeStudy('drill-study-crash'), '--detach', '--no-worker', '--json'], env);
    expect(started.code, started.stderr).toBe(0);
    const handle = client.workflow.getHandle('clinsynth-study-drill-study-crash');
    const rand = mulberry32(2027);
    let kills = 0;
    while (kills < KILLS) {
      const w = startCli(['worker', '--llm-concurrency', '3'], env);
      await new Promise((r) => setTimeout(r, 1500 + rand() * 3000));
      const running = (await handle.describe()).status.name === 'RUNNING';
      w.child.kill('SIGKILL');
      await w.result;
      if (!running) break; // the study ended before KILLS kills: too short for what this drill claims
      kills++;
    }
    const last = startCli(['worker', '--llm-concurrency', '3'], env);
    let result: StudyResult;
    try {
      result = (await handle.result()) as StudyResult;
    } finally {
      last.child.kill('SIGTERM');
      await last.result;
    }
    expect(kills, 'kills while the study ran').toBe(KILLS);
    expect(result.variants.map((v) => v.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    const study = JSON.parse(readFileSync(result.reportPath!, 'utf8'));
    expect(study.variants).toHaveLength(4);
    // The same distinct requests as the clean study; repeats only for calls in flight at a kill (3 slots per kill).
    const hashes = llm.stats.bodyHashes;
    expect(new Set(hashes).size).toBe(cleanCalls);
    expect(hashes.length - new Set(hashes).size).toBeLessThanOrEqual(kills * 3);
  });
});
