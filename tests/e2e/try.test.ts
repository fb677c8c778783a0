// `clinsynth try`: a stage's prompts on a small sample, answered by the test endpoint and by the embedded model.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { DEMO_DIR, writeTestExperiment } from '../support/experiments.js';

let server: FakeLlmServer;
beforeAll(async () => {
  server = await startFakeLlmServer({ seed: 5 });
  server.setFaults({ rate429: 0, rate500: 0, rateHang: 0, rateMalformed: 0, rateTruncated: 0, rateUnknownLabel: 0 });
});
afterAll(async () => {
  await server.close();
});

const home = () => ({ CLINSYNTH_HOME: mkdtempSync(join(tmpdir(), 'clinsynth-try-home-')) });

describe('clinsynth try', () => {
  it('silver --n 8 against the test endpoint: 8 labelled sentences; again from the cache; --json and --show-prompt', async () => {
    const { file } = writeTestExperiment({
      llm: { baseURL: server.url, concurrency: 2 },
      overrides: { silver: { enabled: true, batchSize: 4, rationale: true } },
    });
    const env = home();
    const r = await runCli(['try', file, '--stage', 'silver', '--n', '8'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^silver: template silver@[0-9a-f]{12} /);
    expect(r.stdout.match(/^\d+\. "/gm)).toHaveLength(8);
    expect(r.stdout.match(/^ {3}rationale: \S/gm)).toHaveLength(8);
    expect(r.stdout).toMatch(/8 items; 2 calls \(0 from the cache\)/);
    expect(server.stats.requests).toBe(2);

    const again = await runCli(['try', file, '--stage', 'silver', '--n', '8', '--json', '--show-prompt'], env);
    expect(again.code).toBe(0);
    const json = JSON.parse(again.stdout) as {
      items: { text: string; labels: string[]; rationale: string }[];
      prompts: { role: string; content: string }[][];
      usage: { calls: number; cacheHits: number };
    };
    expect(json.items).toHaveLength(8);
    expect(json.usage).toMatchObject({ calls: 0, cacheHits: 2 });
    expect(json.prompts).toHaveLength(2);
    expect(json.prompts[0]!.map((m) => m.role)).toEqual(['system', 'user']);
    expect(json.prompts[0]![1]!.content).toContain(JSON.stringify(json.items[0]!.text));
    expect(server.stats.requests).toBe(2);
  });

  it('silver --gold labels gold test sentences and prints their agreement with gold', async () => {
    const { file } = writeTestExperiment({ llm: { baseURL: server.url, concurrency: 2 } });
    const env = home();
    const r = await runCli(['try', file, '--stage', 'silver', '--n', '4', '--gold', '--json'], env);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      items: { text: string; labels: string[]; gold: string[] }[];
      agreement: { n: number; exactMatch: number; macroF1: number; microF1: number };
    };
    const test = readFileSync(join(DEMO_DIR, 'data/gold-test.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .slice(0, 4)
      .map((l) => JSON.parse(l) as { text: string; labels: string[] });
    expect(json.items.map((it) => it.text)).toEqual(test.map((t) => t.text));
    expect(json.items.map((it) => [...it.gold].sort())).toEqual(test.map((t) => [...t.labels].sort()));
    const same = json.items.filter((it) => [...it.labels].sort().join() === [...it.gold].sort().join()).length;
    expect(json.agreement).toMatchObject({ n: 4, exactMatch: same / 4 });
    const text = await runCli(['try', file, '--stage', 'silver', '--n', '4', '--gold'], env);
    expect(text.stdout.match(/^ {3}gold: /gm)).toHaveLength(4);
    expect(text.stdout).toMatch(
      /^agreement with gold on 4 gold test sentences: exact match \d\.\d\d, macro-F1 \d\.\d\d, micro-F1 \d\.\d\d$/m,
    );
    const bad = await runCli(['try', file, '--stage', 'bronze', '--gold'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--gold: only with --stage silver');
  });

  it('bronze --label and selfcheck against the test endpoint; a bad stage is a usage error', async () => {
    const { file } = writeTestExperiment({ llm: { baseURL: server.url, concurrency: 2 } });
    const env = home();
    const bronze = await runCli(['try', file, '--stage', 'bronze', '--n', '3', '--label', 'requiring_assistance'], env);
    expect(bronze.code).toBe(0);
    expect(bronze.stdout.match(/^\d+\. .*\n {3}requiring_assistance$/gm)?.length).toBeGreaterThan(0);
    const check = await runCli(['try', file, '--stage', 'selfcheck', '--n', '4'], env);
    expect(check.code).toBe(0);
    expect(check.stdout.match(/^ {3}(keep|fix|reject): /gm)).toHaveLength(4);
    const bad = await runCli(['try', file, '--stage', 'gold'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--stage: one of silver, bronze, selfcheck');
  });

  it('silver --n 8 on the embedded model (the demo experiment, provider local)', async () => {
    const r = await runCli(['try', join(DEMO_DIR, 'experiment.yaml'), '--stage', 'silver', '--n', '8'], home());
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^\d+\. "/gm)).toHaveLength(8);
    expect(r.stdout).toMatch(/8 items; \d+ calls/);
  }, 900_000); // two CPU calls of the 135M model with the full guideline as system prompt: minutes on a busy machine
});
