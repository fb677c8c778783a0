// lib/generate/llm-pages.ts against the fake OpenAI-compatible server: silver/bronze/self-check pages, cache reuse, repair and failure rows.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bronzeId,
  generateBronzePage,
  labelSilverPage,
  selfCheckPage,
  type PageContext,
} from '../../lib/generate/llm-pages.js';
import { FileLlmCache } from '../../lib/llm/cache.js';
import { OpenAIProvider } from '../../lib/llm/openai-provider.js';
import { ConcurrencyLimitedProvider } from '../../lib/llm/call-slots.js';
import type { LlmAnswer, LlmProvider, LlmRequest } from '../../lib/llm/types.js';
import { bronzeJobs, salvageBronzeSentences, type BronzeJob, promptVersion } from '../../lib/generate/prompts.js';
import {
  pagePath,
  readJsonl,
  readRunExperiment,
  writeJson,
  writeJsonl,
  writePages,
  RUN_FILES,
} from '../../lib/run/run-dir.js';
import type {
  BronzeRow,
  CandidateRow,
  LlmFailureRow,
  RejectedBronzeRow,
  SilverRow,
  VerdictRow,
} from '../../lib/run/records.js';
import { bronzeGate } from '../../lib/generate/bronze-gate.js';
import { planBronzeTopUp, sentencesToAsk, tallyBronze } from '../../lib/generate/bronze-top-up.js';
import { labelIds, loadTaxonomy } from '../../lib/config/taxonomy.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';
import { startFakeLlmServer, type FakeLlmFaults } from '../support/fake-llm-server.js';
import { fakeLlmPerFile } from '../support/fake-llm-per-file.js';
import { writeRunDir } from '../support/experiments.js';
import { sharedEmbed } from '../../lib/model/embeddings.js';

const taxonomy = loadTaxonomy(join(PROJECT_ROOT, 'taxonomy/ad-signs-symptoms.yaml'));
const LABELS = labelIds(taxonomy);
const NO_FAULTS: Partial<FakeLlmFaults> = {
  rate429: 0,
  rate500: 0,
  rateHang: 0,
  rateMalformed: 0,
  rateTruncated: 0,
  rateUnknownLabel: 0,
  bronzeJunkShare: 0,
  failStatus: 0,
  rejectJsonSchema: false,
  latencyMs: 0,
};

const TEXTS = [
  'Her daughter reports that she has become forgetful.',
  'Continue donepezil 10 mg daily.',
  'MoCA 17/30 today.',
  'Blood pressure is well controlled.',
  'He has a shuffling gait and recurrent falls.',
  'She has been agitated in the evenings.',
];
const CANDIDATES: CandidateRow[] = TEXTS.map((text, i) => ({
  id: `n${i}:${i}`,
  noteId: `n${i}`,
  start: i * 100,
  end: i * 100 + text.length,
  text,
  reason: i % 2 ? 'random' : `cue:x:${i}`,
  count: 1,
}));

const server = fakeLlmPerFile({ seed: 7 }, NO_FAULTS);

/** A run dir whose experiment.json points at the fake server (silver/self-check batches of 4, bronze 2 per call). */
function runDirWithExperiment(): string {
  // One call at a time: the one-shot fault wrapper needs a defined order.
  return writeRunDir({
    name: 'pages',
    llm: { baseURL: server.url, model: 'fake', maxTokens: 800, concurrency: 1 },
    overrides: { bronze: { enabled: true, perLabel: 2, perCall: 2 } },
  });
}

function context(
  runDir: string,
  cacheDir = mkdtempSync(join(tmpdir(), 'clinsynth-pages-cache-')),
  provider?: LlmProvider,
): PageContext & { answers: number } {
  const experiment = readRunExperiment(runDir);
  const ctx = {
    // As providerFor builds it: the worker's call slots cap the page's calls at llm.concurrency.
    provider:
      provider ??
      new ConcurrencyLimitedProvider(
        new OpenAIProvider({
          baseURL: experiment.llm.baseURL!,
          model: experiment.llm.model!,
          apiKey: 'unused',
          timeoutMs: 10_000,
        }),
        experiment.llm.concurrency,
      ),
    cache: new FileLlmCache(cacheDir),
    taxonomy,
    experiment,
    runDir,
    answers: 0,
    onAnswer: () => {
      ctx.answers++;
    },
  };
  return ctx;
}

/** Injects faults into the fake server for the first request only, then switches them off again. */
class FirstRequestFault implements LlmProvider {
  readonly kind: string;
  readonly model: string;
  private n = 0;
  constructor(
    private readonly inner: LlmProvider,
    private readonly faults: Partial<FakeLlmFaults>,
  ) {
    this.kind = inner.kind;
    this.model = inner.model;
  }
  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmAnswer> {
    if (this.n++ === 0) server.setFaults(this.faults);
    try {
      return await this.inner.complete(request, signal);
    } finally {
      server.setFaults(NO_FAULTS);
    }
  }
}

function writeCandidates(runDir: string, rows: CandidateRow[] = CANDIDATES, page = 0): void {
  writeJsonl(pagePath(runDir, 'candidates', page), rows);
}

describe('labelSilverPage', () => {
  it('writes one SilverRow per candidate with taxonomy labels only, and counts the calls', async () => {
    const runDir = runDirWithExperiment();
    writeCandidates(runDir);
    const ctx = context(runDir);
    const result = await labelSilverPage(ctx, 0);

    expect(result.rows).toBe(6);
    expect(result.usage).toMatchObject({ calls: 2, cacheHits: 0, failures: 0 });
    expect(result.usage.promptTokens).toBeGreaterThan(0);
    expect(result.usage.completionTokens).toBeGreaterThan(0);
    expect(server.stats.requests).toBe(2);
    expect(ctx.answers).toBe(2);

    const rows = readJsonl<SilverRow>(pagePath(runDir, 'silver', 0));
    expect(rows.map((r) => r.id)).toEqual(CANDIDATES.map((c) => c.id));
    for (const [i, r] of rows.entries()) {
      const c = CANDIDATES[i]!;
      expect(r).toMatchObject({
        noteId: c.noteId,
        start: c.start,
        end: c.end,
        text: c.text,
        reason: c.reason,
        model: 'openai:fake',
        promptVersion: promptVersion('silver'),
      });
      expect(r.cacheKey).toMatch(/^[0-9a-f]{64}$/);
      for (const l of r.labels) expect(LABELS).toContain(l);
    }
    // One cache key per batch of 4.
    expect(new Set(rows.slice(0, 4).map((r) => r.cacheKey)).size).toBe(1);
    expect(rows[4]!.cacheKey).not.toBe(rows[0]!.cacheKey);
    // The fake server's keyword labels made it through, in taxonomy order.
    const byText = new Map(rows.map((r) => [r.text, r.labels]));
    expect(byText.get(TEXTS[0]!)).toEqual(['cognitive_impairment', 'notice_by_others']);
    expect(byText.get(TEXTS[1]!)).toEqual(['dementia_treatment']);
    expect(byText.get(TEXTS[2]!)).toEqual(['cognitive_assessment']);
    expect(byText.get(TEXTS[3]!)).toEqual([]);
    expect(readJsonl(pagePath(runDir, 'silverFailures', 0))).toEqual([]);
    expect(existsSync(pagePath(runDir, 'silverFailures', 0))).toBe(true);
  });

  it('a second run is all cache hits: no request reaches the server and the page is identical', async () => {
    const runDir = runDirWithExperiment();
    writeCandidates(runDir);
    const cacheDir = mkdtempSync(join(tmpdir(), 'clinsynth-pages-cache-'));
    await labelSilverPage(context(runDir, cacheDir), 0);
    const before = readFileSync(pagePath(runDir, 'silver', 0), 'utf8');
    server.resetStats();

    const again = await labelSilverPage(context(runDir, cacheDir), 0);
    expect(server.stats.requests).toBe(0);
    expect(again.usage).toEqual({ calls: 0, cacheHits: 2, promptTokens: 0, completionTokens: 0, failures: 0 });
    expect(again.rows).toBe(6);
    expect(readFileSync(pagePath(runDir, 'silver', 0), 'utf8')).toBe(before);
  });

  it('repairs a malformed answer by halving the batch and keeps the raw answer in the failures page', async () => {
    const runDir = runDirWithExperiment();
    writeCandidates(runDir);
    const inner = context(runDir).provider;
    const ctx = context(runDir, undefined, new FirstRequestFault(inner, { rateMalformed: 1 }));
    const result = await labelSilverPage(ctx, 0);

    expect(server.stats.faults).toEqual({ rateMalformed: 1 });
    // batch 1 (4 items) fails, its halves (2 + 2) succeed; batch 2 (2 items) succeeds.
    expect(server.stats.requests).toBe(4);
    expect(result.usage).toMatchObject({ calls: 4, cacheHits: 0, failures: 1 });
    expect(result.rows).toBe(6);
    const rows = readJsonl<SilverRow>(pagePath(runDir, 'silver', 0));
    expect(rows.map((r) => r.id)).toEqual(CANDIDATES.map((c) => c.id));
    expect(rows.find((r) => r.text === TEXTS[1])!.labels).toEqual(['dementia_treatment']);

    const failures = readJsonl<LlmFailureRow>(pagePath(runDir, 'silverFailures', 0));
    expect(failures).toHaveLength(1);
    const f = failures[0]!;
    expect(f).toMatchObject({
      stage: 'silver',
      page: 0,
      itemIds: CANDIDATES.slice(0, 4).map((c) => c.id),
      finishReason: 'stop',
    });
    expect(f.error).toMatch(/not valid JSON/);
    expect(f.rawText.startsWith('{"oops": ')).toBe(true);
    expect(f.cacheKey).toMatch(/^[0-9a-f]{64}$/);
    // The repaired halves come from other requests (another seed), not the failed answer.
    const keys = new Set(rows.slice(0, 4).map((r) => r.cacheKey));
    expect(keys.size).toBe(2);
    expect(keys.has(f.cacheKey)).toBe(false);
  });

  it('repairs an answer with an unknown label; no made-up label reaches the rows', async () => {
    const runDir = runDirWithExperiment();
    writeCandidates(runDir);
    const ctx = context(runDir, undefined, new FirstRequestFault(context(runDir).provider, { rateUnknownLabel: 1 }));
    const result = await labelSilverPage(ctx, 0);
    expect(server.stats.faults).toEqual({ rateUnknownLabel: 1 });
    expect(result).toMatchObject({ rows: 6, usage: { calls: 4, failures: 1 } });
    const failures = readJsonl<LlmFailureRow>(pagePath(runDir, 'silverFailures', 0));
    expect(failures).toHaveLength(1);
    expect(failures[0]!.error).toMatch(/unknown label "made_up_label"/);
    expect(failures[0]!.rawText).toContain('made_up_label');
    for (const r of readJsonl<SilverRow>(pagePath(runDir, 'silver', 0)))
      for (const l of r.labels) expect(LABELS).toContain(l);
  });

  it('truncated answers become failure rows with finishReason length; the page completes without throwing', async () => {
    const runDir = runDirWithExperiment();
    writeCandidates(runDir);
    server.setFaults({ rateTruncated: 1 });
    const result = await labelSilverPage(context(runDir), 0);

    expect(result.rows).toBeLessThan(6);
    expect(readJsonl<SilverRow>(pagePath(runDir, 'silver', 0))).toHaveLength(result.rows);
    const failures = readJsonl<LlmFailureRow>(pagePath(runDir, 'silverFailures', 0));
    expect(failures.length).toBeGreaterThan(0);
    expect(result.usage.failures).toBe(failures.length);
    expect(result.usage.calls).toBe(server.stats.requests);
    for (const f of failures) {
      expect(f.finishReason).toBe('length');
      expect(f.stage).toBe('silver');
      expect(f.error).toMatch(/truncated/);
      expect(f.rawText.length).toBeGreaterThan(0);
    }
    // Every candidate was tried, and the repair gave up at single items.
    const tried = new Set(failures.flatMap((f) => f.itemIds));
    expect(tried).toEqual(new Set(CANDIDATES.map((c) => c.id)));
    expect(failures.some((f) => f.itemIds.length === 1)).toBe(true);
  });

  it('an empty candidate page writes empty pages without calling the LLM', async () => {
    const runDir = runDirWithExperiment();
    writeCandidates(runDir, [], 3);
    const result = await labelSilverPage(context(runDir), 3);
    expect(result).toEqual({
      rows: 0,
      usage: { calls: 0, cacheHits: 0, promptTokens: 0, completionTokens: 0, failures: 0 },
    });
    expect(server.stats.requests).toBe(0);
    expect(existsSync(pagePath(runDir, 'silver', 3))).toBe(true);
  });
});

describe('generateBronzePage', () => {
  it('writes BronzeRows with b-… ids, the job labels and style, and no duplicates', async () => {
    const runDir = runDirWithExperiment();
    const e = readRunExperiment(runDir);
    const jobs = bronzeJobs(e.labels, e.bronze.perLabel, e.bronze.perCall, e.bronze.includeNone);
    expect(jobs).toHaveLength(9);
    const pages = writePages(runDir, 'bronzeJobs', jobs, 5);
    expect(pages).toBe(2);

    const ctx = context(runDir);
    const r0 = await generateBronzePage(ctx, 0);
    const r1 = await generateBronzePage(ctx, 1);
    expect(r0.usage).toMatchObject({ calls: 5, failures: 0 });
    expect(r1.usage).toMatchObject({ calls: 4, failures: 0 });
    expect(server.stats.requests).toBe(9);

    const pageJobs = [
      readJsonl<BronzeJob>(pagePath(runDir, 'bronzeJobs', 0)),
      readJsonl<BronzeJob>(pagePath(runDir, 'bronzeJobs', 1)),
    ];
    for (const [p, result] of [r0, r1].entries()) {
      const rows = readJsonl<BronzeRow>(pagePath(runDir, 'bronze', p));
      expect(rows).toHaveLength(result.rows);
      const wanted = pageJobs[p]!.reduce((n, j) => n + j.count, 0);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThanOrEqual(wanted);
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
      for (const row of rows) {
        expect(row.id).toMatch(/^b-[0-9a-f]{12}$/);
        expect(row.id).toBe(bronzeId(row.text));
        expect(row).toMatchObject({ model: 'openai:fake', promptVersion: promptVersion('bronze') });
        expect(row.cacheKey).toMatch(/^[0-9a-f]{64}$/);
        const job = pageJobs[p]!.find(
          (j) => j.labels.join() === row.labels.join() && JSON.stringify(j.style) === JSON.stringify(row.style),
        );
        expect(job, `row ${row.text} matches a job`).toBeDefined();
      }
      expect(readJsonl(pagePath(runDir, 'bronzeFailures', p))).toEqual([]);
    }
    // The none job (hard negatives) gives rows with no labels.
    const all = [0, 1].flatMap((p) => readJsonl<BronzeRow>(pagePath(runDir, 'bronze', p)));
    expect(all.some((r) => r.labels.length === 0)).toBe(true);
    expect(all.some((r) => r.labels.includes('notice_by_others') && r.labels.length === 2)).toBe(true);

    // Rerun: same rows from the cache.
    server.resetStats();
    const again = await generateBronzePage(context(runDir, (ctx.cache as FileLlmCache).dir), 0);
    expect(server.stats.requests).toBe(0);
    expect(again.usage.cacheHits).toBe(5);
    expect(readJsonl<BronzeRow>(pagePath(runDir, 'bronze', 0))).toHaveLength(r0.rows);
  });
});

describe('bronze gate and top-up', () => {
  it('keeps what the gate refuses in bronze/rejected with the reason, and writes at bronze.temperature', async () => {
    const runDir = runDirWithExperiment();
    const e = readRunExperiment(runDir);
    server.setFaults({ ...NO_FAULTS, bronzeJunkShare: 0.5 });
    const pages = writePages(runDir, 'bronzeJobs', bronzeJobs(e.labels, 4, 2, true), 5);
    const ctx = context(runDir);
    for (let p = 0; p < pages; p++) await generateBronzePage(ctx, p);
    const gate = bronzeGate(taxonomy);
    const rows = Array.from({ length: pages }, (_, p) => readJsonl<BronzeRow>(pagePath(runDir, 'bronze', p))).flat();
    const rejected = Array.from({ length: pages }, (_, p) =>
      readJsonl<RejectedBronzeRow>(pagePath(runDir, 'bronzeRejected', p)),
    ).flat();
    expect(rows.length).toBeGreaterThan(0);
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rows) expect(gate(r.text), r.text).toBeNull();
    for (const r of rejected) {
      expect(r.reason).toBe(gate(r.text));
      expect(r.cacheKey).toMatch(/^[0-9a-f]{64}$/);
    }
    const temperatures = new Set(server.stats.bodies.map((b) => (b as { temperature?: number }).temperature));
    expect([...temperatures]).toEqual([e.bronze.temperature]);
  });

  it('plans top-up rounds for the labels short of perLabel usable sentences until each has them', async () => {
    const runDir = runDirWithExperiment();
    const e = readRunExperiment(runDir);
    writeJson(join(runDir, RUN_FILES.experiment), { ...e, bronze: { ...e.bronze, perLabel: 4, perCall: 2 } });
    server.setFaults({ ...NO_FAULTS, bronzeJunkShare: 0.5 });
    let pages = writePages(runDir, 'bronzeJobs', bronzeJobs(e.labels, 4, 2, true), 5);
    const ctx = context(runDir);
    const shortBefore: number[] = [];
    for (let round = 0; round < 6; round++) {
      for (let p = 0; p < pages; p++) if (!existsSync(pagePath(runDir, 'bronze', p))) await generateBronzePage(ctx, p);
      const plan = await planBronzeTopUp(runDir, pages, { embed: sharedEmbed });
      shortBefore.push(plan.counts.bronzeTargetsShort!);
      if (plan.pages === 0) break;
      // Planning again from the same pages writes the same jobs (a retried activity changes nothing).
      const written = readFileSync(pagePath(runDir, 'bronzeJobs', pages), 'utf8');
      expect((await planBronzeTopUp(runDir, pages, { embed: sharedEmbed })).pages).toBe(plan.pages);
      expect(readFileSync(pagePath(runDir, 'bronzeJobs', pages), 'utf8')).toBe(written);
      const jobs = readJsonl<BronzeJob>(pagePath(runDir, 'bronzeJobs', pages));
      expect(jobs[0]!.jobIndex).toBe(
        readJsonl<BronzeJob>(pagePath(runDir, 'bronzeJobs', pages - 1)).at(-1)!.jobIndex + 1,
      );
      pages += plan.pages;
    }
    expect(shortBefore[0]).toBeGreaterThan(0);
    expect(shortBefore.at(-1)).toBe(0);
    const tally = await tallyBronze(runDir, pages, sharedEmbed);
    expect(tally).toHaveLength(e.labels.length + 1);
    for (const t of tally) expect(t.usable, t.target.join() || 'none').toBeGreaterThanOrEqual(4);
    // Counting only: nothing is planned, no page is written.
    expect((await planBronzeTopUp(runDir, pages, { embed: sharedEmbed, plan: false })).pages).toBe(0);
    expect(existsSync(pagePath(runDir, 'bronzeJobs', pages))).toBe(false);
  });

  it('keeps the complete sentences of a cut-off bronze answer and, with top-up on, does not ask the same job again', async () => {
    const runDir = runDirWithExperiment();
    const e = readRunExperiment(runDir);
    writePages(runDir, 'bronzeJobs', bronzeJobs(e.labels, 4, 4, false).slice(0, 1), 5);
    const ctx = context(runDir, undefined, new FirstRequestFault(context(runDir).provider, { rateTruncated: 1 }));
    const r = await generateBronzePage(ctx, 0);
    expect(server.stats.requests).toBe(1);
    expect(r.usage).toMatchObject({ calls: 1, failures: 1 });
    const [failure] = readJsonl<LlmFailureRow>(pagePath(runDir, 'bronzeFailures', 0));
    expect(failure!.error).toMatch(/truncated.*complete part was kept/);
    const kept = salvageBronzeSentences(failure!.rawText);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(4);
    expect(readJsonl<BronzeRow>(pagePath(runDir, 'bronze', 0)).map((row) => row.text)).toEqual(kept);

    // A malformed answer has nothing to keep: with top-up on the job is left to the next round; without, asked again.
    for (const [topUpRounds, requests] of [
      [3, 1],
      [0, 2],
    ] as const) {
      const dir = runDirWithExperiment();
      writeJson(join(dir, RUN_FILES.experiment), { ...e, bronze: { ...e.bronze, topUpRounds } });
      writePages(dir, 'bronzeJobs', bronzeJobs(e.labels, 4, 4, false).slice(0, 1), 5);
      server.resetStats();
      const got = await generateBronzePage(
        context(dir, undefined, new FirstRequestFault(context(dir).provider, { rateMalformed: 1 })),
        0,
      );
      expect(server.stats.requests, `topUpRounds ${topUpRounds}`).toBe(requests);
      expect(got.usage.failures).toBe(1);
      expect(readJsonl<BronzeRow>(pagePath(dir, 'bronze', 0)).length).toBe(topUpRounds ? 0 : 4);
    }
  });

  it('asks for more the less of what it asked for became usable, at most three times the shortfall, at least one call', () => {
    expect(sentencesToAsk({ target: [], requested: 10, usable: 10 }, 10)).toBe(0);
    expect(sentencesToAsk({ target: [], requested: 10, usable: 5 }, 10)).toBe(10);
    expect(sentencesToAsk({ target: [], requested: 10, usable: 8 }, 10)).toBe(3);
    expect(sentencesToAsk({ target: [], requested: 10, usable: 0 }, 10)).toBe(30);
    expect(sentencesToAsk({ target: [], requested: 0, usable: 0 }, 10)).toBe(10);
    // Never less than one full call: one missing sentence at a poor yield is asked for perCall times.
    expect(sentencesToAsk({ target: [], requested: 100, usable: 9 }, 10, 5)).toBe(5);
    expect(sentencesToAsk({ target: [], requested: 100, usable: 10 }, 10, 5)).toBe(0);
  });
});

describe('selfCheckPage', () => {
  it('writes a VerdictRow for every silver and bronze item', async () => {
    const runDir = runDirWithExperiment();
    writeCandidates(runDir);
    const e = readRunExperiment(runDir);
    writePages(runDir, 'bronzeJobs', bronzeJobs(e.labels, 2, 2, true).slice(0, 3), 5);
    const ctx = context(runDir);
    await labelSilverPage(ctx, 0);
    await generateBronzePage(ctx, 0);

    for (const set of ['silver', 'bronze'] as const) {
      server.resetStats();
      const items = readJsonl<SilverRow | BronzeRow>(pagePath(runDir, set, 0));
      expect(items.length).toBeGreaterThan(0);
      const result = await selfCheckPage(ctx, set, 0);
      expect(result.rows).toBe(items.length);
      expect(result.usage).toMatchObject({ calls: Math.ceil(items.length / 4), failures: 0 });
      expect(server.stats.requests).toBe(Math.ceil(items.length / 4));

      const verdicts = readJsonl<VerdictRow>(
        pagePath(runDir, set === 'silver' ? 'verdictsSilver' : 'verdictsBronze', 0),
      );
      expect(verdicts.map((v) => v.id)).toEqual(items.map((i) => i.id));
      for (const [i, v] of verdicts.entries()) {
        expect(v).toMatchObject({
          set,
          verdict: 'keep',
          labels: LABELS.filter((l) => items[i]!.labels.includes(l)),
          model: 'openai:fake',
          promptVersion: promptVersion('selfCheck'),
        });
        expect(v.reason.length).toBeGreaterThan(0);
        expect(v.cacheKey).toMatch(/^[0-9a-f]{64}$/);
      }
      expect(
        readJsonl(pagePath(runDir, set === 'silver' ? 'selfCheckFailuresSilver' : 'selfCheckFailuresBronze', 0)),
      ).toEqual([]);
    }
    // The source pages are not touched: verdicts are rows of their own.
    expect(readJsonl<SilverRow>(pagePath(runDir, 'silver', 0))).toHaveLength(6);
  });

  it('repairs a self-check answer with an unknown label and still gives every item a verdict', async () => {
    const runDir = runDirWithExperiment();
    writeCandidates(runDir);
    const ctx = context(runDir);
    await labelSilverPage(ctx, 0);
    server.resetStats();
    const faulty = { ...ctx, provider: new FirstRequestFault(ctx.provider, { rateUnknownLabel: 1 }) };
    const result = await selfCheckPage(faulty, 'silver', 0);
    expect(result.rows).toBe(6);
    expect(result.usage.failures).toBe(1);
    const failures = readJsonl<LlmFailureRow>(pagePath(runDir, 'selfCheckFailuresSilver', 0));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ stage: 'selfcheck', page: 0 });
    expect(readJsonl<VerdictRow>(pagePath(runDir, 'verdictsSilver', 0)).map((v) => v.id)).toEqual(
      CANDIDATES.map((c) => c.id),
    );
  });
});

describe('calls at once within a page', () => {
  /** A page of 8 silver batches (32 candidates, batches of 4) against a 100 ms endpoint, through `slots` call slots. */
  async function maxCallsInFlight(slots: number): Promise<{ maxInFlight: number }> {
    const slow = await startFakeLlmServer({ seed: 7, ...NO_FAULTS, latencyMs: 100 });
    try {
      const runDir = runDirWithExperiment();
      const rows = Array.from({ length: 32 }, (_, i) => ({
        ...CANDIDATES[i % CANDIDATES.length]!,
        id: `p${i}:0`,
        noteId: `p${i}`,
        text: `${TEXTS[i % TEXTS.length]} (${i})`,
      }));
      writeCandidates(runDir, rows);
      const provider = new ConcurrencyLimitedProvider(
        new OpenAIProvider({ baseURL: slow.url, model: 'fake', apiKey: 'unused', timeoutMs: 10_000 }),
        slots,
      );
      const result = await labelSilverPage(context(runDir, undefined, provider), 0);
      expect(result).toMatchObject({ rows: 32, usage: { calls: 8, failures: 0 } });
      return { maxInFlight: slow.stats.maxInFlight };
    } finally {
      await slow.close();
    }
  }

  it("starts all of a page's calls at once and leaves the cap to the call slots", async () => {
    const wide = await maxCallsInFlight(16);
    expect(wide.maxInFlight).toBe(8); // all eight at once: one round of calls, not eight
    const narrow = await maxCallsInFlight(3);
    expect(narrow.maxInFlight).toBe(3);
  });

  it("starts no more of a page's calls once one has failed: a bad key costs a slot's worth of calls, not the page", async () => {
    const runDir = runDirWithExperiment();
    const rows = Array.from({ length: 32 }, (_, i) => ({
      ...CANDIDATES[i % CANDIDATES.length]!,
      id: `k${i}:0`,
      noteId: `k${i}`,
      text: `${TEXTS[i % TEXTS.length]} (${i})`,
    }));
    writeCandidates(runDir, rows);
    server.setFaults({ failStatus: 401, latencyMs: 20 });
    const provider = new ConcurrencyLimitedProvider(
      new OpenAIProvider({ baseURL: server.url, model: 'fake', apiKey: 'unused', timeoutMs: 10_000 }),
      2,
    );
    await expect(labelSilverPage(context(runDir, undefined, provider), 0)).rejects.toThrow(/401/);
    expect(server.stats.requests).toBe(2); // the two in the slots; the page's other 6 calls never went out
  });

  it('sizes pages and the window from llm.concurrency', async () => {
    const { callsPerPage, pagesFillingSlots, pagesScheduled, legacyPageWindow, WAITING_CALLS_PER_SLOT } =
      await import('../../lib/run/run-state.js');
    expect([1, 2, 16, 32, 33, 64, 256].map(callsPerPage)).toEqual([8, 8, 8, 8, 9, 16, 64]);
    for (const c of [1, 2, 3, 8, 16, 64, 256, 1000]) {
      const k = callsPerPage(c);
      // The budget window fills the slots; the open window keeps WAITING_CALLS_PER_SLOT × c calls waiting beyond a page.
      expect(pagesFillingSlots(c) * k).toBeGreaterThanOrEqual(c);
      expect((pagesFillingSlots(c) - 1) * k).toBeLessThan(c);
      expect(pagesScheduled(c) * k - c - k).toBeGreaterThanOrEqual(WAITING_CALLS_PER_SLOT * c);
      expect(pagesScheduled(c)).toBeLessThanOrEqual(16);
    }
    expect([16, 256].map(pagesScheduled)).toEqual([7, 13]);
    // Runs started before keep their windows (two calls a page at once, half a window waiting when unbudgeted).
    expect([1, 2, 3, 8, 16].map((c) => legacyPageWindow(c, true))).toEqual([2, 2, 5, 6, 12]);
    expect([1, 2, 3, 8, 16].map((c) => legacyPageWindow(c, false))).toEqual([1, 1, 3, 4, 8]);
  });
});
