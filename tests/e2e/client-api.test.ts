// `clinsynth/client`: the example script (start with an override, poll, result, list) against the test endpoint,
// and the API's own input checks.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { writeTestExperiment } from '../support/experiments.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';
import { Clinsynth, InputError } from '../../client/api.js';

let llm: FakeLlmServer;
let env: Record<string, string>;

beforeAll(async () => {
  llm = await startFakeLlmServer({ seed: 5 });
  env = { TEMPORAL_ADDRESS: inject('temporalAddress'), CLINSYNTH_HOME: mkdtempSync(join(tmpdir(), 'clinsynth-home-')) };
});

afterAll(async () => {
  await llm?.close();
});

function runScript(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(PROJECT_ROOT, 'examples/scripts/start-and-watch.ts'), ...args],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('clinsynth/client', () => {
  it('the example script starts a run with an override, polls its progress, reads the report and lists runs', async () => {
    const { file } = writeTestExperiment({ name: 'api-demo', llm: { baseURL: llm.url } });
    llm.resetStats();
    const r = await runScript([file, 'api-demo-try']);
    expect(r.code, r.stderr.slice(-3000) + r.stdout.slice(-2000)).toBe(0);
    expect(r.stdout).toContain('started api-demo-try (workflow clinsynth-api-demo-try)');
    expect(r.stdout).toMatch(/progress: RUNNING \w+/);
    expect(r.stdout).toContain('progress: COMPLETED done');
    expect(r.stdout).toMatch(/macro-F1 gold: \d\.\d{3} ± \d\.\d{3}/);
    expect(r.stdout).toContain('listed: api-demo-try COMPLETED done');
    expect(llm.stats.requests).toBeGreaterThan(0);
    const runDir = /run directory: (.+)/.exec(r.stdout)![1]!.trim();
    // The override reached the run (the file says 3).
    const experiment = JSON.parse(readFileSync(join(runDir, 'experiment.json'), 'utf8'));
    expect(experiment.bronze.perLabel).toBe(4);
    expect(experiment.train.seeds).toEqual([1]);

    // A handle to the existing run, from another client.
    const cs = await Clinsynth.connect({ address: inject('temporalAddress') });
    try {
      const again = cs.get('api-demo-try');
      const status = await again.progress();
      expect(status).toMatchObject({ runId: 'api-demo-try', status: 'COMPLETED', stage: 'done', runDir });
      const report = await again.result();
      expect(Object.keys(report.mixes)).toHaveLength(4);
      expect(again.runDir).toBe(runDir);
    } finally {
      await cs.close();
    }
  });

  it('checks overrides like the file, before anything starts: overrides.<key> problems', async () => {
    const { file } = writeTestExperiment({ name: 'api-bad', llm: { baseURL: llm.url } });
    const cs = await Clinsynth.connect({ address: inject('temporalAddress') });
    try {
      const err = await cs
        .start(file, { overrides: { 'bronze.perLabel': 'lots', 'train.clasifier': 'mlp' } })
        .catch((e) => e);
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toContain(`${file}: overrides.bronze.perLabel: Invalid input: expected number`);
      expect(err.message).toContain('overrides.train.clasifier: unknown key');
      const listed = [];
      for await (const r of cs.list({ experiment: 'api-bad' })) listed.push(r);
      expect(listed).toEqual([]);
    } finally {
      await cs.close();
    }
  });
});
