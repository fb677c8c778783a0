// A study's failure modes through the client API: a failed child is a row and the others complete; cancelling the
// study cancels its running children.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { writeTestExperiment } from '../support/experiments.js';
import { Clinsynth, RunFailedError } from '../../client/api.js';

let llm: FakeLlmServer;
let cs: Clinsynth;

beforeAll(async () => {
  process.env.CLINSYNTH_HOME = mkdtempSync(join(tmpdir(), 'clinsynth-home-'));
  llm = await startFakeLlmServer({ seed: 17, models: ['fake-model'] });
  cs = await Clinsynth.connect({
    address: inject('temporalAddress'),
    uiBase: inject('temporalUiBase'),
    worker: { llmConcurrency: 4 },
  });
});

afterAll(async () => {
  await cs?.close();
  await llm?.close();
});

function writeStudy(name: string, vary: Record<string, unknown[]>): string {
  const { file, dir } = writeTestExperiment({ name: `${name}-base`, llm: { baseURL: llm.url } });
  const studyFile = join(dir, 'study.yaml');
  writeFileSync(studyFile, stringify({ name, base: file, vary, concurrency: 2, output: join(dir, 'studies') }));
  return studyFile;
}

describe('study failures', () => {
  it('a failed child is reported in study.json and does not stop the others', async () => {
    const study = await cs.startStudy(writeStudy('half-bad', { 'llm.model': ['fake-model', 'no-such-model'] }));
    const report = await study.result();
    expect(report.variants.map((v) => [v.id, v.status])).toEqual([
      ['model-fake-model', 'completed'],
      ['model-no-such-model', 'failed'],
    ]);
    expect(report.variants[1]!.error).toMatch(/model/i);
    expect(Object.keys(report.variants[0]!.mixes)).toHaveLength(4);
    expect(report.variants[1]!.mixes).toEqual({});
    expect(report.counts).toMatchObject({ completed: 1, failed: 1 });
    expect(readFileSync(join(report.studyDir, 'study.html'), 'utf8')).toContain('failed');
  });

  it('cancelling the study cancels its running children', async () => {
    llm.setFaults({ latencyMs: 1500 });
    try {
      const study = await cs.startStudy(writeStudy('to-cancel', { 'train.classifier': ['logreg', 'mlp'] }));
      // Wait until both children run (they are mid-silver: every answer takes 1.5 s).
      const deadline = Date.now() + 60_000;
      for (;;) {
        const p = await study.progress();
        if (p.progress && p.progress.variants.every((v) => v.status === 'running')) break;
        if (Date.now() > deadline) throw new Error(`children did not start: ${JSON.stringify(p)}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      await study.cancel();
      const err = await study.outcome().catch((e) => e);
      expect(err).toBeInstanceOf(RunFailedError);
      expect(err.status).toBe('CANCELLED');
      for (const id of ['to-cancel-classifier-logreg', 'to-cancel-classifier-mlp']) {
        const child = cs.get(id);
        let status = '';
        for (let i = 0; i < 60 && status !== 'CANCELLED'; i++) {
          status = (await child.handle.describe()).status.name;
          if (status !== 'CANCELLED') await new Promise((r) => setTimeout(r, 500));
        }
        expect(status, id).toBe('CANCELLED');
      }
    } finally {
      llm.setFaults({ latencyMs: 0 });
    }
  });
});
