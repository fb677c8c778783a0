// Batch mode below the workflow: request lines and files (lib/llm/batch-api.ts), and a stage's batch rounds against
// the fake server's /v1/files and /v1/batches (lib/generate/llm-batch.ts): same requests and answers as online,
// no second batch after a crash, expiry, failures, vanished batches.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelSilverPage, pageRequests, generateBronzePage, type PageContext } from '../../lib/generate/llm-pages.js';
import {
  collectBatchRound,
  roundDir,
  submitBatchRound,
  BATCH_FAILURES_FILE,
  type BatchDeps,
  type BatchFailureRow,
  type BatchRound,
} from '../../lib/generate/llm-batch.js';
import { FileLlmCache, llmCacheKey } from '../../lib/llm/cache.js';
import { OpenAIProvider, chatParams } from '../../lib/llm/openai-provider.js';
import {
  BatchClient,
  batchFlavour,
  batchLine,
  LineSplitter,
  parseBatchResults,
  TERMINAL_BATCH_STATUSES,
  type BatchInfo,
} from '../../lib/llm/batch-api.js';
import { bronzeJobs, silverRequest } from '../../lib/generate/prompts.js';
import { pagePath, readJson, readJsonl, readRunExperiment, writeJson, writeJsonl } from '../../lib/run/run-dir.js';
import type { CandidateRow, SilverRow } from '../../lib/run/records.js';
import { labelIds, loadTaxonomy } from '../../lib/config/taxonomy.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';
import type { FakeLlmFaults } from '../support/fake-llm-server.js';
import { fakeLlmPerFile } from '../support/fake-llm-per-file.js';
import { writeRunDir } from '../support/experiments.js';

const taxonomy = loadTaxonomy(join(PROJECT_ROOT, 'taxonomy/ad-signs-symptoms.yaml'));
const FAST: Partial<FakeLlmFaults> = {
  batchValidatingMs: 20,
  batchInProgressMs: 60,
  batchFinalizingMs: 20,
  batchCancellingMs: 50,
  batchOutcomes: [],
  batchErrorLineShare: 0,
  batchAnsweredShare: 0.5,
  batchCreateDelayMs: 0,
};

const TEXTS = [
  'Her daughter reports that she has become forgetful.',
  'Continue donepezil 10 mg daily.',
  'MoCA 17/30 today.',
  'Blood pressure is well controlled.',
  'He has a shuffling gait and recurrent falls.',
  'She has been agitated in the evenings.',
  'Needs help with bathing and dressing.',
  'Diagnosed with mild cognitive impairment last year.',
  'No history of falls.',
];
const candidates = (page: number): CandidateRow[] =>
  TEXTS.map((text, i) => ({
    id: `p${page}n${i}:${i}`,
    noteId: `p${page}n${i}`,
    start: i * 100,
    end: i * 100 + text.length,
    text: page ? `${text} (${page})` : text,
    reason: 'random',
    count: 1,
  }));

const server = fakeLlmPerFile({ seed: 3 }, FAST);

/** A run dir with three silver candidate pages (page 2 repeats page 0's texts under other ids: the same requests). */
function runDir(llm: Record<string, unknown> = {}): string {
  const run = writeRunDir({
    name: 'batch',
    llm: { baseURL: server.url, model: 'fake', maxTokens: 800, concurrency: 1, batch: true, ...llm },
    overrides: { silver: { enabled: true, batchSize: 3 } },
  });
  for (const page of [0, 1]) writeJsonl(pagePath(run, 'candidates', page), candidates(page));
  writeJsonl(
    pagePath(run, 'candidates', 2),
    candidates(0).map((c) => ({ ...c, id: `again-${c.id}` })),
  );
  return run;
}

const round = (run: string, n = 0, to = 3): BatchRound => ({
  runDir: run,
  stage: 'silver',
  pages: { silver: 3, bronze: 0, probe: 0 },
  from: 0,
  to,
  round: n,
});

function setup(run: string, cacheDir = mkdtempSync(join(tmpdir(), 'clinsynth-batch-cache-'))) {
  const experiment = readRunExperiment(run);
  const cache = new FileLlmCache(cacheDir);
  const opts = { baseURL: experiment.llm.baseURL!, model: experiment.llm.model!, apiKey: 'unused', timeoutMs: 10_000 };
  const deps: BatchDeps = { client: new BatchClient(opts, batchFlavour(experiment.llm)), cache };
  const ctx: PageContext = { provider: new OpenAIProvider(opts), cache, taxonomy, experiment, runDir: run };
  return { deps, ctx, cache, cacheDir };
}

async function untilDone(client: BatchClient, id: string, seen: string[] = []): Promise<BatchInfo> {
  for (;;) {
    const info = await client.retrieve(id);
    if (seen.at(-1) !== info.status) seen.push(info.status);
    if (TERMINAL_BATCH_STATUSES.includes(info.status)) return info;
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function submitAndCollect(run: string, s: ReturnType<typeof setup>, r = round(run)) {
  const sub = await submitBatchRound(s.deps, s.ctx, r);
  for (const b of sub.batches) await untilDone(s.deps.client, b.id);
  const col = await collectBatchRound(s.deps, s.ctx, r, sub.batches);
  return { sub, col };
}

describe('batch request lines', () => {
  const request = silverRequest(taxonomy, [{ id: 'a', text: 'MoCA 17/30 today.' }], {
    maxTokens: 100,
    temperature: 0,
    seed: 1,
  });

  it('carry the cache key as custom_id and, as body, exactly the online request (json_schema included)', () => {
    const line = JSON.parse(
      batchLine(batchFlavour({ baseURL: 'https://api.openai.com/v1' }), 'gpt-4o-mini', 'k'.repeat(64), request),
    );
    expect(line).toEqual({
      custom_id: 'k'.repeat(64),
      method: 'POST',
      url: '/v1/chat/completions',
      body: JSON.parse(JSON.stringify(chatParams('gpt-4o-mini', request))),
    });
    expect(line.body.response_format.type).toBe('json_schema');
    expect(line.body.response_format.json_schema.strict).toBe(true);
  });

  it('use the Azure url for Azure hosts (or llm.batchApi), and each API its own file limit', () => {
    expect(batchFlavour({ baseURL: 'https://res.openai.azure.com/openai/v1' })).toMatchObject({
      kind: 'azure',
      url: '/chat/completions',
      maxRequests: 100_000,
    });
    expect(batchFlavour({ baseURL: 'https://x.cognitiveservices.azure.com/openai/v1' }).kind).toBe('azure');
    expect(batchFlavour({ baseURL: 'http://127.0.0.1:9/v1', batchApi: 'azure' }).url).toBe('/chat/completions');
    expect(batchFlavour({ baseURL: 'https://api.openai.com/v1' })).toMatchObject({
      kind: 'openai',
      url: '/v1/chat/completions',
      maxRequests: 50_000,
    });
    expect(batchFlavour({ baseURL: 'https://api.openai.com/v1', batchMaxRequests: 7 }).maxRequests).toBe(7);
    const azure = JSON.parse(batchLine(batchFlavour({ batchApi: 'azure' }), 'my-deployment', 'k', request));
    expect(azure.url).toBe('/chat/completions');
    expect(azure.body.model).toBe('my-deployment');
  });

  it('split into files at the request count and at the byte limit, keeping their order', () => {
    const split = (lines: string[], maxRequests: number, maxBytes: number) => {
      const files: string[][] = [];
      const s = new LineSplitter(maxRequests, maxBytes, (f) => files.push(f));
      for (const l of lines) s.add(l);
      s.end();
      return files;
    };
    const lines = Array.from({ length: 7 }, (_, i) => `line-${i}-${'x'.repeat(i)}`);
    expect(split(lines, 3, 1e9)).toEqual([lines.slice(0, 3), lines.slice(3, 6), lines.slice(6)]);
    const bytes = (ls: string[]) => ls.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    const files = split(lines, 100, 30);
    expect(files.flat()).toEqual(lines);
    for (const f of files) expect(bytes(f)).toBeLessThanOrEqual(30);
    expect(files.length).toBeGreaterThan(2);
    expect(split([], 3, 30)).toEqual([]);
    expect(() => split(['y'.repeat(40)], 100, 30)).toThrow(/more than a batch file may hold/);
  });

  it('results join on custom_id in any order; errors, other statuses and bad lines are failures kept raw', () => {
    const ok = (id: string, text: string) =>
      JSON.stringify({
        id: 'r',
        custom_id: id,
        response: {
          status_code: 200,
          body: {
            model: 'm',
            choices: [{ message: { content: text }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 3, completion_tokens: 2 },
          },
        },
        error: null,
      });
    const text = [
      ok('b', '{"y":2}'),
      ok('a', '{"x":1}'),
      JSON.stringify({ custom_id: 'c', response: null, error: { code: 'batch_expired', message: 'not executed' } }),
      JSON.stringify({
        custom_id: 'd',
        response: { status_code: 500, body: { error: { message: 'boom' } } },
        error: null,
      }),
      '{"custom_id": 5}',
      'not json',
      JSON.stringify({ custom_id: 'e', response: { status_code: 200, body: { choices: [] } } }),
      '',
    ].join('\n');
    const r = parseBatchResults(text, 'fallback', 'out');
    expect(r.filter((x) => x.ok).map((x) => x.customId)).toEqual(['b', 'a']);
    const a = r.find((x) => x.customId === 'a');
    expect(a).toMatchObject({
      ok: true,
      answer: { text: '{"x":1}', finishReason: 'stop', model: 'm', usage: { promptTokens: 3, completionTokens: 2 } },
    });
    const failed = r.filter((x) => !x.ok) as Extract<(typeof r)[number], { ok: false }>[];
    expect(failed.map((x) => [x.customId, x.error])).toEqual([
      ['c', 'batch_expired: not executed'],
      ['d', 'status 500: boom'],
      [null, 'out:5: custom_id: Invalid input: expected string, received number'],
      [null, 'out:6: not JSON'],
      ['e', 'out:7: response.body: no chat completion with a choice'],
    ]);
    expect(failed[3]!.raw).toBe('not json');
  });
});

describe('the fake server batch API', () => {
  it('moves a batch through validating → in_progress → finalizing → completed and answers each line as online', async () => {
    const run = runDir();
    const s = setup(run);
    const requests = await pageRequests(s.ctx, 'silver', 'silver', 0);
    const path = join(run, 'in.jsonl');
    writeFileSync(
      path,
      requests.map((q, i) => batchLine(s.deps.client.flavour, 'fake', `id-${i}`, q)).join('\n') + '\n',
    );
    const file = await s.deps.client.upload(path);
    // Each status lasts long enough to be seen by a check every 10 ms on a busy machine.
    server.setFaults({ batchValidatingMs: 400, batchInProgressMs: 400, batchFinalizingMs: 400 });
    const created = await s.deps.client.create(file.id, { note: 'test' });
    expect(created.status).toBe('validating');
    const seen: string[] = [];
    const done = await untilDone(s.deps.client, created.id, seen);
    expect(seen).toEqual(['validating', 'in_progress', 'finalizing', 'completed']);
    expect(done).toMatchObject({ total: requests.length, completed: requests.length, failed: 0, errorFileId: null });
    const results = parseBatchResults(await s.deps.client.download(done.outputFileId!), 'fake', 'out');
    expect(results.map((r) => r.customId)).toEqual(requests.map((_, i) => `id-${i}`).reverse()); // order not kept
    for (const [i, q] of requests.entries()) {
      const online = await s.ctx.provider.complete(q);
      const batched = results.find((r) => r.customId === `id-${i}`);
      expect(batched?.ok && batched.answer.text).toBe(online.text);
    }
    expect(server.stats.batchesCreated).toBe(1);
    expect(server.stats.filesUploaded).toBe(1);
  });

  it('lists batches newest first and finds one by its input file; a vanished batch reads as vanished', async () => {
    const run = runDir();
    const s = setup(run);
    const path = join(run, 'in.jsonl');
    writeFileSync(
      path,
      batchLine(s.deps.client.flavour, 'fake', 'x', (await pageRequests(s.ctx, 'silver', 'silver', 0))[0]!) + '\n',
    );
    const f1 = await s.deps.client.upload(path);
    const f2 = await s.deps.client.upload(path);
    const b1 = await s.deps.client.create(f1.id, {});
    await s.deps.client.create(f2.id, {});
    expect((await s.deps.client.findByInputFile(f1.id, f1.createdAt))?.id).toBe(b1.id);
    server.setFaults({ batchOutcomes: ['vanish'] });
    const f3 = await s.deps.client.upload(path);
    const gone = await s.deps.client.create(f3.id, {});
    expect(await s.deps.client.retrieve(gone.id)).toMatchObject({
      status: 'vanished',
      error: expect.stringContaining('404'),
    });
    expect(await s.deps.client.findByInputFile(f3.id, f3.createdAt)).toBeUndefined();
  });

  it('names the fix, without retrying, when the endpoint has no batch API (vLLM, Ollama: 404)', async () => {
    const client = new BatchClient(
      { baseURL: `${server.url}/elsewhere`, model: 'fake', apiKey: 'unused', timeoutMs: 5000 },
      batchFlavour({}),
    );
    const path = join(mkdtempSync(join(tmpdir(), 'clinsynth-batch-')), 'in.jsonl');
    writeFileSync(path, '{}\n');
    await expect(client.upload(path)).rejects.toMatchObject({
      retryable: false,
      status: 404,
      message: expect.stringMatching(/no batch API \(\/files and \/batches\) there; .*set llm\.batch to false/),
    });
  });

  it('takes batch fault modes at run time over /admin/faults and counts batches in /admin/stats', async () => {
    const run = runDir();
    const s = setup(run);
    const admin = server.url.replace(/\/v1$/, '/admin');
    const set = await fetch(`${admin}/faults`, {
      method: 'POST',
      body: JSON.stringify({ batchOutcomes: ['fail'], batchValidatingMs: 10 }),
    });
    expect(((await set.json()) as FakeLlmFaults).batchOutcomes).toEqual(['fail']);
    const sub = await submitBatchRound(s.deps, s.ctx, round(run));
    expect((await untilDone(s.deps.client, sub.batches[0]!.id)).status).toBe('failed');
    const stats = (await (await fetch(`${admin}/stats`)).json()) as { batchesByInputHash: Record<string, number> };
    expect(stats).toMatchObject({ batchesCreated: 1, filesUploaded: 1 });
    expect(Object.values(stats.batchesByInputHash)).toEqual([1]);
  });

  it('refuses a file with a byte order mark at validation (as Azure does), failing the batch', async () => {
    const run = runDir();
    const s = setup(run);
    const path = join(run, 'bom.jsonl');
    writeFileSync(
      path,
      '\uFEFF' +
        batchLine(s.deps.client.flavour, 'fake', 'x', (await pageRequests(s.ctx, 'silver', 'silver', 0))[0]!) +
        '\n',
    );
    const b = await s.deps.client.create((await s.deps.client.upload(path)).id, {});
    expect(await untilDone(s.deps.client, b.id)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('invalid_json_line (line 1)'),
    });
  });

  it('cancels slowly: cancelling, then cancelled with the lines answered so far', async () => {
    const run = runDir();
    const s = setup(run);
    server.setFaults({ batchInProgressMs: 10_000, batchCancellingMs: 300 });
    const sub = await submitBatchRound(s.deps, s.ctx, round(run));
    const id = sub.batches[0]!.id;
    expect((await s.deps.client.cancel(id)).status).toBe('cancelling');
    const seen: string[] = [];
    const done = await untilDone(s.deps.client, id, seen);
    expect(seen).toEqual(['cancelling', 'cancelled']);
    expect(done.completed).toBe(Math.floor(sub.requests / 2));
    expect(server.stats.batchesCancelled).toBe(1);
  });
});

describe('a stage batch round', () => {
  it('asks what the pages will ask (repeats once, no BOM), and the pages then make no call and write what online pages write', async () => {
    const run = runDir();
    const s = setup(run);
    const { sub, col } = await submitAndCollect(run, s);
    // 3 pages of 9 sentences in calls of 3; page 2 repeats page 0's texts (same requests, asked once).
    expect(sub).toMatchObject({ requests: 6, cached: 0 });
    expect(sub.batches).toHaveLength(1);
    const file = readFileSync(join(roundDir(round(run)), 'part-0.jsonl'));
    expect(file.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
    const keys = file
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).custom_id);
    const expected = (await Promise.all([0, 1].map((p) => pageRequests(s.ctx, 'silver', 'silver', p))))
      .flat()
      .map((q) => llmCacheKey('openai', 'fake', q));
    expect(keys).toEqual(expected);
    expect(col).toMatchObject({ answered: 6, unanswered: 0, usage: { calls: 6, cacheHits: 0, failures: 0 } });
    expect(col.usage.promptTokens).toBe(server.stats.batchPromptTokens);
    expect(server.stats.requests).toBe(0);

    for (const page of [0, 1, 2]) {
      const r = await labelSilverPage(s.ctx, page);
      expect(r.usage).toMatchObject({ calls: 0, cacheHits: 3 });
    }
    expect(server.stats.requests).toBe(0);
    // The same rows as online pages on an empty cache.
    const batched = [0, 1, 2].flatMap((p) => readJsonl<SilverRow>(pagePath(run, 'silver', p)));
    const online = runDir();
    const o = setup(online);
    for (const page of [0, 1, 2]) await labelSilverPage(o.ctx, page);
    expect(server.stats.requests).toBe(6);
    expect([0, 1, 2].flatMap((p) => readJsonl<SilverRow>(pagePath(online, 'silver', p)))).toEqual(batched);
    // A second round has nothing left to ask.
    const again = await submitBatchRound(s.deps, s.ctx, round(run, 1));
    expect(again).toMatchObject({ batches: [], requests: 0, cached: 6 });
  });

  it('bronze pages batch like silver ones (one call per job)', async () => {
    const run = runDir();
    const ids = labelIds(taxonomy);
    writeJsonl(pagePath(run, 'bronzeJobs', 0), bronzeJobs(ids.slice(0, 2), 2, 2, false));
    const s = setup(run);
    const r: BatchRound = {
      runDir: run,
      stage: 'bronze',
      pages: { silver: 0, bronze: 1, probe: 0 },
      from: 0,
      to: 1,
      round: 0,
    };
    const { sub, col } = await submitAndCollect(run, s, r);
    expect(sub.requests).toBe((await pageRequests(s.ctx, 'bronze', 'bronze', 0)).length);
    expect(col.unanswered).toBe(0);
    const page = await generateBronzePage(s.ctx, 0);
    expect(page.usage.calls).toBe(0);
    expect(page.rows).toBeGreaterThan(0);
    expect(server.stats.requests).toBe(0);
  });

  it('never makes a second batch for a round: a retry after a crash between create and record finds the first', async () => {
    const run = runDir();
    const s = setup(run);
    const first = await submitBatchRound(s.deps, s.ctx, round(run));
    // The crash: the batch exists on the server, but the run directory never learnt its id.
    const recordPath = join(roundDir(round(run)), 'part-0.json');
    const record = readJson<{ fileId: string; batchId?: string }>(recordPath);
    delete record.batchId;
    writeJson(recordPath, record);
    const retried = await submitBatchRound(s.deps, s.ctx, round(run));
    expect(retried.batches.map((b) => b.id)).toEqual(first.batches.map((b) => b.id));
    // And a retry with everything recorded just reads the batch back.
    const again = await submitBatchRound(s.deps, s.ctx, round(run));
    expect(again.batches.map((b) => b.id)).toEqual(first.batches.map((b) => b.id));
    expect(server.stats.batchesCreated).toBe(1);
    expect(server.stats.filesUploaded).toBe(1);
    expect(Object.values(server.stats.batchesByInputHash)).toEqual([1]);
  });

  it('splits a round into files of llm.batchMaxRequests, one batch each, all collected', async () => {
    const run = runDir({ batchMaxRequests: 4 });
    const s = setup(run);
    const { sub, col } = await submitAndCollect(run, s);
    expect(sub.batches.map((b) => [b.part, b.total])).toEqual([
      [0, 4],
      [1, 2],
    ]);
    expect(col.answered).toBe(6);
    expect(readdirSync(roundDir(round(run))).filter((f) => f.endsWith('.jsonl') && f.startsWith('part-'))).toEqual([
      'part-0.jsonl',
      'part-1.jsonl',
    ]);
  });

  it('uploads with expires_after, and deletes input, output and error files once collected (a rerun deletes nothing twice)', async () => {
    const run = runDir();
    const s = setup(run);
    server.setFaults({ batchOutcomes: ['expire'], batchAnsweredShare: 0.5 }); // an output and an error file
    const { sub, col } = await submitAndCollect(run, s);
    expect(server.stats.fileExpiresAfter).toEqual([25 * 3600]);
    expect(server.stats.batchOutputExpiresAfter).toEqual([24 * 3600]);
    const b = await s.deps.client.retrieve(sub.batches[0]!.id);
    expect(b.outputFileId).not.toBeNull();
    expect(b.errorFileId).not.toBeNull();
    const input = JSON.parse(readFileSync(join(roundDir(round(run)), 'part-0.json'), 'utf8')) as { fileId: string };
    expect([...server.stats.filesDeleted].sort()).toEqual([input.fileId, b.outputFileId, b.errorFileId].sort());
    // a retried collect reads what the part gave from the run directory: same result, no download, no delete
    const again = await collectBatchRound(s.deps, s.ctx, round(run), sub.batches);
    expect(again).toEqual(col);
    expect(server.stats.filesDeleted).toHaveLength(3);
    // llm.batchKeepFiles keeps them; Azure's shortest expiry is 14 days
    const kept = runDir({ batchKeepFiles: true });
    server.resetStats();
    await submitAndCollect(kept, setup(kept));
    expect(server.stats.filesDeleted).toEqual([]);
    expect(batchFlavour({ batchApi: 'azure' })).toMatchObject({
      inputExpiresSeconds: 14 * 86400,
      outputExpiresSeconds: 14 * 86400,
    });
  });

  it('an expired batch keeps its partial output; the next round asks only for the missing requests', async () => {
    const run = runDir();
    const s = setup(run);
    server.setFaults({ batchOutcomes: ['expire'] });
    const { sub, col } = await submitAndCollect(run, s);
    expect((await s.deps.client.retrieve(sub.batches[0]!.id)).status).toBe('expired');
    expect(col).toMatchObject({ answered: 3, unanswered: 3 });
    const failures = readJsonl<BatchFailureRow>(join(roundDir(round(run)), BATCH_FAILURES_FILE));
    expect(failures).toHaveLength(3);
    for (const f of failures) expect(f.error).toMatch(/^batch_expired/);
    const next = await submitAndCollect(run, s, round(run, 1));
    expect(next.sub).toMatchObject({ requests: 3, cached: 3 });
    const asked = readFileSync(join(roundDir(round(run, 1)), 'part-0.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).custom_id);
    expect(asked.sort()).toEqual(failures.map((f) => f.customId).sort());
    expect(next.col).toMatchObject({ answered: 3, unanswered: 0 });
  });

  it('error-file lines and a completed batch without output file are failures; failed and vanished batches are recorded', async () => {
    const run = runDir();
    const s = setup(run);
    server.setFaults({ batchErrorLineShare: 0.5 });
    const withErrors = await submitAndCollect(run, s);
    expect(withErrors.col.unanswered).toBeGreaterThan(0);
    expect(withErrors.col.answered + withErrors.col.unanswered).toBe(6);
    for (const f of readJsonl<BatchFailureRow>(join(roundDir(round(run)), BATCH_FAILURES_FILE)))
      expect(f.error).toMatch(/^status 500/);

    for (const [outcome, status] of [
      ['nullOutput', 'completed'],
      ['fail', 'failed'],
      ['vanish', 'vanished'],
    ] as const) {
      const r = runDir();
      const t = setup(r);
      server.setFaults({ batchOutcomes: [outcome], batchErrorLineShare: 0 });
      const { sub, col } = await submitAndCollect(r, t);
      const info = await t.deps.client.retrieve(sub.batches[0]!.id);
      expect(info.status, outcome).toBe(status);
      if (outcome === 'nullOutput') expect(info).toMatchObject({ outputFileId: null, failed: 6 });
      expect(col, outcome).toMatchObject({ answered: 0, unanswered: 6 });
      const failures = readJsonl<BatchFailureRow>(join(roundDir(round(r)), BATCH_FAILURES_FILE));
      if (outcome === 'nullOutput') expect(failures).toHaveLength(6);
      else
        expect(failures).toEqual([
          { batchId: sub.batches[0]!.id, customId: null, error: expect.stringContaining(`batch ${status}`), raw: '' },
        ]);
    }
    expect(existsSync(join(roundDir(round(run)), 'manifest.json'))).toBe(true);
  });
});
