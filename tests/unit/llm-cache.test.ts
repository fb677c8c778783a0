// The content-addressed LLM answer cache: keys, atomic files shared by concurrent writers, and completeCached.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, completeCached, FileLlmCache, llmCacheKey } from '../../lib/llm/cache.js';
import { OpenAIProvider } from '../../lib/llm/openai-provider.js';
import type { LlmAnswer, LlmRequest } from '../../lib/llm/types.js';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { labelIds, loadTaxonomy } from '../../lib/config/taxonomy.js';
import { bronzeJobs, bronzeRequest } from '../../lib/generate/prompts.js';

const request: LlmRequest = {
  messages: [
    { role: 'system', content: 'You label sentences.' },
    { role: 'user', content: 's1: "MoCA 17/30."' },
  ],
  schemaName: 'silver_labels',
  schema: {
    type: 'object',
    properties: { answers: { type: 'array' } },
    required: ['answers'],
    additionalProperties: false,
  },
  maxTokens: 100,
  temperature: 0,
  seed: 1,
};
const answer: LlmAnswer = {
  text: '{"answers":[]}',
  finishReason: 'stop',
  usage: { promptTokens: 10, completionTokens: 3 },
  model: 'm',
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llm-cache-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('llmCacheKey', () => {
  it('is a sha256 that ignores key order but sees every parameter', () => {
    const k = llmCacheKey('openai', 'm', request);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    const reordered = {
      seed: 1,
      temperature: 0,
      maxTokens: 100,
      schema: {
        additionalProperties: false,
        required: ['answers'],
        properties: { answers: { type: 'array' } },
        type: 'object',
      },
      schemaName: 'silver_labels',
      messages: request.messages,
    };
    expect(llmCacheKey('openai', 'm', reordered)).toBe(k);
    expect(llmCacheKey('local', 'm', request)).not.toBe(k);
    expect(llmCacheKey('openai', 'm2', request)).not.toBe(k);
    expect(llmCacheKey('openai', 'm', { ...request, seed: 2 })).not.toBe(k);
    expect(llmCacheKey('openai', 'm', { ...request, temperature: 0.7 })).not.toBe(k);
    expect(llmCacheKey('openai', 'm', { ...request, maxTokens: 101 })).not.toBe(k);
    expect(llmCacheKey('openai', 'm', { ...request, schemaName: 'x' })).not.toBe(k);
    expect(llmCacheKey('openai', 'm', { ...request, messages: [request.messages[0]!] })).not.toBe(k);
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});

describe('FileLlmCache', () => {
  it('stores and returns answers under dir/ab/<key>.json', async () => {
    const cache = new FileLlmCache(dir);
    const key = llmCacheKey('openai', 'm', request);
    expect(await cache.get(key)).toBeUndefined();
    await cache.put(key, answer);
    expect(await cache.get(key)).toEqual(answer);
    expect(await readdir(join(dir, key.slice(0, 2)))).toEqual([`${key}.json`]);
    await cache.delete(key);
    expect(await cache.get(key)).toBeUndefined();
  });

  it('treats a corrupt or partial file as a miss and overwrites it', async () => {
    const cache = new FileLlmCache(dir);
    const key = llmCacheKey('openai', 'corrupt', request);
    await mkdir(join(dir, key.slice(0, 2)), { recursive: true });
    await writeFile(cache.pathOf(key), '{"key":"' + key + '","answer":{"text":"abc');
    expect(await cache.get(key)).toBeUndefined();
    await writeFile(cache.pathOf(key), JSON.stringify({ key, answer: { text: 1 } }));
    expect(await cache.get(key)).toBeUndefined();
    await cache.put(key, answer);
    expect(await cache.get(key)).toEqual(answer);
  });

  it('rejects keys that are not sha256 hex (no path tricks)', async () => {
    await expect(new FileLlmCache(dir).get('../../etc/passwd')).rejects.toThrow(/invalid LLM cache key/);
  });

  it('survives many concurrent writers and readers of the same and different keys', async () => {
    const caches = Array.from({ length: 4 }, () => new FileLlmCache(dir));
    const keys = Array.from({ length: 10 }, (_, i) => llmCacheKey('openai', `c${i}`, request));
    const ops: Promise<unknown>[] = [];
    for (let round = 0; round < 5; round++) {
      for (const [i, key] of keys.entries()) {
        const c = caches[(i + round) % caches.length]!;
        ops.push(c.put(key, { ...answer, text: `answer ${i}` }));
        ops.push(
          c.get(key).then((got) => {
            if (got !== undefined) expect(got.text).toBe(`answer ${i}`);
          }),
        );
      }
    }
    await Promise.all(ops);
    for (const [i, key] of keys.entries()) expect((await caches[0]!.get(key))?.text).toBe(`answer ${i}`);
    const leftovers = (await readdir(dir, { recursive: true })).filter((f) => String(f).endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });
  it('is shared safely by several processes writing the same keys at once', async () => {
    const shared = join(dir, 'multi');
    const script = `
      const { FileLlmCache } = await import(process.argv[3]);
      const cache = new FileLlmCache(process.argv[1]);
      const keys = JSON.parse(process.argv[2]);
      for (let r = 0; r < 20; r++) await Promise.all(keys.map((k, i) => cache.put(k, { text: 'answer ' + i, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 }, model: 'm' })));
    `;
    const keys = Array.from({ length: 5 }, (_, i) => llmCacheKey('openai', `p${i}`, request));
    const run = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            '--input-type=module',
            '-e',
            script,
            shared,
            JSON.stringify(keys),
            new URL('../../lib/llm/cache.ts', import.meta.url).href,
          ],
          { stdio: 'inherit' },
        );
        child.on('error', reject);
        child.on('exit', (code) => resolve(code ?? -1));
      });
    const cache = new FileLlmCache(shared);
    const readers = (async () => {
      for (let r = 0; r < 50; r++) {
        for (const [i, k] of keys.entries()) {
          const got = await cache.get(k);
          if (got) expect(got.text).toBe(`answer ${i}`);
        }
      }
    })();
    expect(await Promise.all([run(), run(), run()])).toEqual([0, 0, 0]);
    await readers;
    for (const [i, k] of keys.entries()) expect((await cache.get(k))?.text).toBe(`answer ${i}`);
    const leftovers = (await readdir(shared, { recursive: true })).filter((f) => String(f).endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  }, 30_000);
});

describe('completeCached', () => {
  let server: FakeLlmServer;
  beforeAll(async () => {
    server = await startFakeLlmServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('asks the server once; the second call (even from another cache instance) makes no request', async () => {
    const taxonomy = loadTaxonomy('taxonomy/ad-signs-symptoms.yaml');
    const job = bronzeJobs(labelIds(taxonomy), 3, 3, false)[0]!;
    const req = bronzeRequest(taxonomy, job, { maxTokens: 500, temperature: 0.9, seed: 11 });
    const provider = new OpenAIProvider({ baseURL: server.url, model: 'fake-model', apiKey: '', timeoutMs: 5000 });
    const cacheDir = join(dir, 'shared');
    const first = await completeCached(provider, new FileLlmCache(cacheDir), req);
    expect(first.cached).toBe(false);
    expect(server.stats.requests).toBe(1);
    const second = await completeCached(provider, new FileLlmCache(cacheDir), req);
    expect(second).toEqual({ answer: first.answer, cacheKey: first.cacheKey, cached: true });
    expect(server.stats.requests).toBe(1);
    expect(first.cacheKey).toBe(llmCacheKey('openai', 'fake-model', req));
  });

  it('stores nothing when the call fails, so a retry asks again', async () => {
    const provider = new OpenAIProvider({ baseURL: server.url, model: 'fake-model', apiKey: '', timeoutMs: 5000 });
    const cache = new FileLlmCache(join(dir, 'fail'));
    const req = { ...request, seed: 99 };
    server.setFaults({ rate500: 1 });
    await expect(completeCached(provider, cache, req)).rejects.toMatchObject({ retryable: true, status: 500 });
    server.setFaults({ rate500: 0 });
    const before = server.stats.requests;
    const ok = await completeCached(provider, cache, req);
    expect(ok.cached).toBe(false);
    expect(server.stats.requests).toBe(before + 1);
    expect(new Set(server.stats.bodyHashes).size).toBeLessThan(server.stats.bodyHashes.length); // same body re-sent only after the failure
  });
});

describe('completeCached in flight', () => {
  it('answers a second asker of the same request from the first one in flight: one paid call', async () => {
    const complete = completeCached;
    const cache = new FileLlmCache(await mkdtemp(join(tmpdir(), 'clinsynth-flight-')));
    let calls = 0;
    const provider = {
      kind: 'fake',
      model: 'm',
      complete: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 50));
        return { text: '{}', finishReason: 'stop', model: 'm', usage: { promptTokens: 1, completionTokens: 1 } };
      },
    } as unknown as Parameters<typeof complete>[0];
    const request = {
      messages: [{ role: 'user', content: 'same' }],
      schemaName: 's',
      schema: {},
      maxTokens: 16,
      temperature: 0,
      seed: 0,
    } as unknown as LlmRequest;
    const [a, b, c] = await Promise.all([
      complete(provider, cache, request),
      complete(provider, cache, request),
      complete(provider, cache, request),
    ]);
    expect(calls).toBe(1);
    expect([a, b, c].filter((x) => !x.cached)).toHaveLength(1); // whichever asked first paid
    expect((await complete(provider, cache, request)).cached).toBe(true);
    expect(calls).toBe(1);
  });
});
