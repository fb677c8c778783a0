// The fake OpenAI-compatible server answers all three prompt kinds validly and injects faults on request.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIProvider } from '../../lib/llm/openai-provider.js';
import {
  bronzeJobs,
  bronzeRequest,
  parseBronzeAnswer,
  parseSelfCheckAnswer,
  parseSilverAnswer,
  selfCheckRequest,
  silverRequest,
} from '../../lib/generate/prompts.js';
import { labelIds, loadTaxonomy } from '../../lib/config/taxonomy.js';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';

const taxonomy = loadTaxonomy('taxonomy/ad-signs-symptoms.yaml');
const ids = labelIds(taxonomy);
const opts = { maxTokens: 2000, temperature: 0.7, seed: 1 };
let server: FakeLlmServer;
let provider: OpenAIProvider;

beforeAll(async () => {
  server = await startFakeLlmServer({ seed: 5 });
  provider = new OpenAIProvider({ baseURL: server.url, model: 'fake-model', apiKey: 'k', timeoutMs: 5000 });
});
afterAll(async () => {
  await server.close();
});

describe('fake LLM server', () => {
  it('writes distinct bronze sentences that its own silver rules label as the target', async () => {
    const jobs = bronzeJobs(ids, 6, 6, true);
    const all: string[] = [];
    for (const job of jobs) {
      const answer = await provider.complete(bronzeRequest(taxonomy, job, opts));
      const parsed = parseBronzeAnswer(answer.text, job.count);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) continue;
      expect(parsed.duplicates).toBe(0);
      all.push(...parsed.sentences);
      const items = parsed.sentences.map((text, i) => ({ id: `j${job.jobIndex}:${i}`, text }));
      const silver = parseSilverAnswer(
        (await provider.complete(silverRequest(taxonomy, items, opts))).text,
        items,
        ids,
      );
      expect(silver.ok).toBe(true);
      if (silver.ok)
        for (const labels of silver.labels.values()) for (const l of job.labels) expect(labels).toContain(l);
    }
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(server.stats.bodyHashes).size).toBe(server.stats.bodyHashes.length); // no request sent twice
  });

  it('keeps every item in a self-check', async () => {
    const items = [
      { id: 'x', text: 'Continue Namenda.', labels: ['dementia_treatment'] },
      { id: 'y', text: 'Denies falls.', labels: [] },
    ];
    const r = parseSelfCheckAnswer(
      (await provider.complete(selfCheckRequest(taxonomy, 'bronze', items, opts))).text,
      items,
      ids,
    );
    expect(r.ok && [...r.verdicts.values()].map((v) => v.verdict)).toEqual(['keep', 'keep']);
  });

  it('injects malformed answers at the configured rate, reproducibly', async () => {
    server.setFaults({ rateMalformed: 0.5 });
    server.resetStats();
    const items = [{ id: 'a', text: 'MMSE 24/30.' }];
    let bad = 0;
    for (let i = 0; i < 40; i++) {
      const a = await provider.complete(silverRequest(taxonomy, items, { ...opts, seed: i }));
      if (!parseSilverAnswer(a.text, items, ids).ok) bad++;
    }
    server.setFaults({ rateMalformed: 0 });
    expect(bad).toBe(server.stats.faults.rateMalformed);
    expect(bad).toBeGreaterThan(8);
    expect(bad).toBeLessThan(32);
    expect(server.stats.requests).toBe(40);
    expect(server.stats.byStatus[200]).toBe(40);
  });

  it('runs standalone with --port and --latency-ms', async () => {
    const file = fileURLToPath(new URL('../support/fake-llm-server.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', file, '--port', '0', '--latency-ms', '50'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          const m = /listening on (\S+)/.exec(d.toString());
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const models = (await (await fetch(`${url}/models`)).json()) as { data: { id: string }[] };
      expect(models.data[0]!.id).toBe('fake-model');
      const p = new OpenAIProvider({ baseURL: url, model: 'fake-model', apiKey: '', timeoutMs: 5000 });
      const a = await p.complete(silverRequest(taxonomy, [{ id: 'a', text: 'Started on Aricept.' }], opts));
      expect(parseSilverAnswer(a.text, [{ id: 'a', text: '' }], ids)).toMatchObject({ ok: true });
      const stats = (await (await fetch(url.replace(/\/v1$/, '/admin/stats'))).json()) as { requests: number };
      expect(stats.requests).toBe(1);
      // --latency-ms took (its effect is a wait, which a test does not time).
      const faults = (await (
        await fetch(url.replace(/\/v1$/, '/admin/faults'), { method: 'POST', body: '{}' })
      ).json()) as {
        latencyMs: number;
      };
      expect(faults.latencyMs).toBe(50);
    } finally {
      child.kill('SIGTERM');
    }
  }, 20_000);
});
