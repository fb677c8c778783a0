// One page of an LLM stage (silver labelling, bronze generation, self-check): batched calls, repair, provenance.
import { createHash } from 'node:crypto';
import type { Experiment } from '../run/experiment.js';
import type { Taxonomy } from '../run/taxonomy.js';
import { completeCached, type LlmCache } from '../llm/cache.js';
import type { LlmProvider, LlmRequest } from '../llm/types.js';
import { modelFamily } from '../llm/model-family.js';
import {
  BRONZE_PROMPT_VERSION,
  SELFCHECK_PROMPT_VERSION,
  SILVER_PROMPT_VERSION,
  bronzeRequest,
  parseBronzeAnswer,
  parseSelfCheckAnswer,
  parseSilverAnswer,
  salvageBronzeSentences,
  selfCheckRequest,
  silverRequest,
  type BronzeJob,
  type CallOptions,
  type ParseFailure,
} from './prompts.js';
import { pagePath, readJsonl, writeJsonl, type PageFolder } from '../run/run-dir.js';
import { addTokens, emptyUsage, type LlmUsageTotals, type PageResult, type PageSet } from '../run/run-state.js';
import type {
  BronzeRow,
  CandidateRow,
  CheckedSet,
  LlmFailureRow,
  RejectedBronzeRow,
  SilverRow,
  VerdictRow,
} from '../run/records.js';
import { bronzeGate, stripListMarker } from './bronze-gate.js';
import { normaliseSentence } from '../corpus/sentences.js';

/** What building a page's requests needs: the run, its experiment and taxonomy. */
export interface PageInputs {
  taxonomy: Taxonomy;
  experiment: Experiment;
  runDir: string;
}

export interface PageContext extends PageInputs {
  provider: LlmProvider;
  cache: LlmCache;
  /** Called after each LLM answer (the activity heartbeats). */
  onAnswer?: () => void;
  signal?: AbortSignal;
  /** Set by the page's call runner (allInOrder): aborts its calls still waiting to start once one has failed. */
  startSignal?: AbortSignal;
  /** Cache writes still in flight; a page awaits them all before writing its output (see `finishPage`). */
  pendingWrites?: Promise<void>[];
}

type Parsed<T> = { ok: true; value: T } | ParseFailure;

interface Attempt<I, T> {
  items: I[];
  request: LlmRequest;
  parse: (text: string) => Parsed<T>;
  /** What can still be used from an unusable answer (e.g. the complete sentences before a cut-off); null: nothing. */
  salvage?: (text: string) => T | null;
  /** Further attempts after an unusable answer (default 2: halves, or one more seed for a single item). */
  retries?: number;
}

/** One call of a page: its items and how to ask for them (attempt 0 is what the page, or a batch, asks first). */
interface PageCall<I, T> {
  items: I[];
  attempt: (items: I[], retry: number) => Attempt<I, T>;
}

/**
 * Sends one batch; when the answer is unusable (truncated, bad JSON, unknown ids or labels) it records the failure,
 * keeps what the attempt can salvage from it, or else asks again in halves (or, for a single item, once more with
 * another seed). Paid answers are never lost: every raw answer stays in the cache and failures keep theirs.
 */
async function callWithRepair<I extends { id: string }, T>(
  ctx: PageContext,
  usage: LlmUsageTotals,
  failures: LlmFailureRow[],
  where: { stage: LlmFailureRow['stage']; page: number },
  items: I[],
  attempt: (items: I[], retry: number) => Attempt<I, T>,
  retry = 0,
): Promise<{ items: I[]; value: T; cacheKey: string }[]> {
  const a = attempt(items, retry);
  const pending = (ctx.pendingWrites ??= []);
  const r = await completeCached(ctx.provider, ctx.cache, a.request, ctx.signal, {
    deferWrite: (w) => pending.push(w),
    startSignal: ctx.startSignal,
  });
  ctx.onAnswer?.();
  if (r.cached) usage.cacheHits++;
  else {
    usage.calls++;
    addTokens(usage, r.answer.usage);
  }
  const parsed =
    r.answer.finishReason === 'length'
      ? ({
          ok: false,
          error: 'answer truncated (finish_reason length): raise llm.maxTokens or lower the batch size',
        } as const)
      : r.answer.finishReason === 'refusal'
        ? ({
            ok: false,
            error: `the model refused to answer (message.refusal): ${r.answer.text.slice(0, 200)}`,
          } as const)
        : a.parse(r.answer.text);
  if (parsed.ok) return [{ items, value: parsed.value, cacheKey: r.cacheKey }];
  usage.failures++;
  const kept = a.salvage?.(r.answer.text) ?? null;
  const error = kept === null ? parsed.error : `${parsed.error}; its complete part was kept`;
  failures.push({
    ...where,
    itemIds: items.map((i) => i.id),
    cacheKey: r.cacheKey,
    error,
    finishReason: r.answer.finishReason,
    rawText: r.answer.text,
  });
  if (kept !== null) return [{ items, value: kept, cacheKey: r.cacheKey }];
  if (retry >= (a.retries ?? 2)) return [];
  if (items.length > 1) {
    const half = Math.ceil(items.length / 2);
    return [
      ...(await callWithRepair(ctx, usage, failures, where, items.slice(0, half), attempt, retry + 1)),
      ...(await callWithRepair(ctx, usage, failures, where, items.slice(half), attempt, retry + 1)),
    ];
  }
  return callWithRepair(ctx, usage, failures, where, items, attempt, retry + 1);
}

/** Writes a page's outputs once every answer it used is safely in the cache (a retry then pays for nothing). */
async function finishPage(ctx: PageContext, outputs: [PageFolder, number, unknown[]][]): Promise<void> {
  await Promise.all(ctx.pendingWrites ?? []);
  ctx.pendingWrites = [];
  for (const [folder, page, rows] of outputs) writeJsonl(pagePath(ctx.runDir, folder, page), rows);
}

/** Failures sorted so a page's failures file does not depend on which of its overlapping calls finished first. */
function sortedFailures(failures: LlmFailureRow[]): LlmFailureRow[] {
  return failures.sort(
    (a, b) =>
      (a.itemIds[0] ?? '').localeCompare(b.itemIds[0] ?? '') ||
      a.itemIds.length - b.itemIds.length ||
      a.cacheKey.localeCompare(b.cacheKey),
  );
}

/**
 * A repair attempt changes the seed and, at temperature 0, warms the sampling: the same request would get the same
 * bad answer. `temperature` is the stage's own (bronze writes at bronze.temperature; the rest use llm.temperature).
 * A reasoning model takes no temperature (lib/llm/model-family.ts): its repairs change only the seed.
 */
function callOptions(e: Experiment, retry: number, temperature = e.llm.temperature): CallOptions {
  const warm = retry > 0 && !modelFamily(e.llm).reasoning;
  return {
    maxTokens: e.llm.maxTokens,
    temperature: warm ? Math.max(temperature, 0.3 * retry) : temperature,
    seed: e.llm.seed + retry,
  };
}

/**
 * Runs fn on every item of a page at once — the provider's call slots (ConcurrencyLimitedProvider) cap how many reach
 * the endpoint, so a page's waiting calls fill any slot another page frees; results in item order. After the first
 * failure the page's calls still waiting for a slot are taken out of the line (ctx.startSignal) — a bad key costs a
 * slot's worth of calls, not the page — and that failure is thrown once every call has settled (calls already sent
 * run on, so their paid answers reach the cache for the retried page).
 */
async function allInOrder<T, R>(ctx: PageContext, items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const stop = new AbortController();
  ctx.startSignal = stop.signal;
  let first: { error: unknown } | undefined;
  const settled = await Promise.allSettled(
    items.map((item) =>
      fn(item).catch((error: unknown) => {
        if (!first) {
          first = { error };
          stop.abort(new Error('call not started: another call of its page failed'));
        }
        throw error;
      }),
    ),
  );
  if (first) throw first.error;
  return settled.map((s) => (s as PromiseFulfilledResult<R>).value);
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function model(ctx: PageContext): string {
  return `${ctx.provider.kind}:${ctx.provider.model}`;
}

function ok<T>(r: { ok: true } & T): Parsed<T> {
  return { ok: true, value: r };
}

/** Where each labelling set reads its sentences and writes its labels and failures. */
const LABEL_FOLDERS = {
  silver: { from: 'candidates', to: 'silver', failures: 'silverFailures' },
  probe: { from: 'probeCandidates', to: 'probe', failures: 'probeFailures' },
} as const;

/** Where each self-checked set reads its rows and writes its verdicts and failures. */
const CHECK_FOLDERS = {
  silver: { from: 'silver', to: 'verdictsSilver', failures: 'selfCheckFailuresSilver' },
  bronze: { from: 'bronze', to: 'verdictsBronze', failures: 'selfCheckFailuresBronze' },
  probe: { from: 'probe', to: 'verdictsProbe', failures: 'selfCheckFailuresProbe' },
} as const;

/**
 * Labels one page of candidates (set `silver`) or of gold test sentences (set `probe`, the LLM as annotator);
 * writes the labels and failures pages of that set.
 */
function silverCalls(inp: PageInputs, page: number, set: keyof typeof LABEL_FOLDERS) {
  const { experiment: e, taxonomy } = inp;
  const candidates = readJsonl<CandidateRow>(pagePath(inp.runDir, LABEL_FOLDERS[set].from, page));
  const labelIds = taxonomy.labels.map((l) => l.id);
  return chunks(candidates, e.silver.batchSize).map(
    (batch): PageCall<CandidateRow, { labels: Map<string, string[]> }> => ({
      items: batch,
      attempt: (items, retry) => ({
        items,
        request: silverRequest(
          taxonomy,
          items.map(({ id, text }) => ({ id, text })),
          callOptions(e, retry),
        ),
        parse: (text) => {
          const r = parseSilverAnswer(text, items, labelIds);
          return r.ok ? ok(r) : r;
        },
      }),
    }),
  );
}

/**
 * Labels one page of candidates (set `silver`) or of gold test sentences (set `probe`, the LLM as annotator);
 * writes the labels and failures pages of that set.
 */
export async function labelSilverPage(
  ctx: PageContext,
  page: number,
  set: keyof typeof LABEL_FOLDERS = 'silver',
): Promise<PageResult> {
  const folders = LABEL_FOLDERS[set];
  const usage = emptyUsage();
  const failures: LlmFailureRow[] = [];
  const rows: SilverRow[] = [];
  const answered = await allInOrder(ctx, silverCalls(ctx, page, set), (call) =>
    callWithRepair(ctx, usage, failures, { stage: set, page }, call.items, call.attempt),
  );
  for (const results of answered) {
    for (const { items, value, cacheKey } of results) {
      for (const c of items) {
        rows.push({
          id: c.id,
          noteId: c.noteId,
          start: c.start,
          end: c.end,
          text: c.text,
          labels: value.labels.get(c.id) ?? [],
          reason: c.reason,
          model: model(ctx),
          promptVersion: SILVER_PROMPT_VERSION,
          cacheKey,
        });
      }
    }
  }
  await finishPage(ctx, [
    [folders.to, page, rows],
    [folders.failures, page, sortedFailures(failures)],
  ]);
  return { rows: rows.length, usage };
}

export function bronzeId(text: string): string {
  return `b-${createHash('sha1').update(normaliseSentence(text)).digest('hex').slice(0, 12)}`;
}

type BronzeItem = { id: string; job: BronzeJob };
type BronzeValue = { sentences: string[] };

function bronzeCalls(inp: PageInputs, page: number): (PageCall<BronzeItem, BronzeValue> & { job: BronzeJob })[] {
  const { experiment: e, taxonomy } = inp;
  return readJsonl<BronzeJob>(pagePath(inp.runDir, 'bronzeJobs', page)).map((job) => ({
    job,
    items: [{ id: `job-${job.jobIndex}`, job }],
    attempt: (items, retry) => ({
      items,
      request: bronzeRequest(taxonomy, job, callOptions(e, retry, e.bronze.temperature)),
      parse: (text) => {
        const r = parseBronzeAnswer(text, job.count);
        return r.ok ? ok(r) : r;
      },
      salvage: (text) => {
        const sentences = salvageBronzeSentences(text);
        return sentences.length ? { sentences } : null;
      },
      // With top-up rounds a failed call is not asked again here: the next round asks for what is still missing.
      retries: e.bronze.topUpRounds > 0 ? 0 : 2,
    }),
  }));
}

/**
 * Generates the sentences of one page of bronze jobs; writes bronze/sentences, bronze/failures and bronze/rejected
 * (items the sentence gate refused) pages.
 */
export async function generateBronzePage(ctx: PageContext, page: number): Promise<PageResult> {
  const { taxonomy } = ctx;
  const usage = emptyUsage();
  const failures: LlmFailureRow[] = [];
  const rows: BronzeRow[] = [];
  const rejected: RejectedBronzeRow[] = [];
  const seen = new Set<string>();
  const answered = await allInOrder(ctx, bronzeCalls(ctx, page), async (call) => ({
    call,
    results: await callWithRepair(ctx, usage, failures, { stage: 'bronze', page }, call.items, call.attempt),
  }));
  for (const { call, results } of answered) {
    const { job } = call;
    const prompt = call
      .attempt(call.items, 0)
      .request.messages.map((m) => m.content)
      .join('\n');
    const gate = bronzeGate(taxonomy, prompt);
    for (const { value, cacheKey } of results) {
      for (const written of value.sentences) {
        const text = stripListMarker(written);
        const reason = gate(text);
        if (reason !== null) {
          rejected.push({ jobIndex: job.jobIndex, labels: job.labels, text: written, reason, cacheKey });
          continue;
        }
        const id = bronzeId(text);
        if (seen.has(id)) continue;
        seen.add(id);
        rows.push({
          id,
          text,
          labels: job.labels,
          style: { ...job.style },
          model: model(ctx),
          promptVersion: BRONZE_PROMPT_VERSION,
          cacheKey,
        });
      }
    }
  }
  await finishPage(ctx, [
    ['bronze', page, rows],
    ['bronzeFailures', page, sortedFailures(failures)],
    ['bronzeRejected', page, rejected],
  ]);
  return { rows: rows.length, usage };
}

type CheckItem = { id: string; text: string; labels: string[] };

function selfCheckCalls(inp: PageInputs, set: CheckedSet, page: number) {
  const { experiment: e, taxonomy } = inp;
  const source = readJsonl<SilverRow | BronzeRow>(pagePath(inp.runDir, CHECK_FOLDERS[set].from, page));
  const labelIds = taxonomy.labels.map((l) => l.id);
  const items: CheckItem[] = source.map(({ id, text, labels }) => ({ id, text, labels }));
  return chunks(items, e.selfCheck.batchSize).map(
    (batch): PageCall<CheckItem, ReturnType<typeof parseSelfCheckAnswer> & { ok: true }> => ({
      items: batch,
      attempt: (its, retry) => ({
        items: its,
        request: selfCheckRequest(taxonomy, set === 'bronze' ? 'bronze' : 'silver', its, callOptions(e, retry)),
        parse: (text) => {
          const r = parseSelfCheckAnswer(text, its, labelIds);
          return r.ok ? ok(r) : r;
        },
      }),
    }),
  );
}

/** Self-checks one page of silver, bronze or probe rows; verdicts are written as their own rows, nothing is deleted. */
export async function selfCheckPage(ctx: PageContext, set: CheckedSet, page: number): Promise<PageResult> {
  const folders = CHECK_FOLDERS[set];
  const usage = emptyUsage();
  const failures: LlmFailureRow[] = [];
  const rows: VerdictRow[] = [];
  const answered = await allInOrder(ctx, selfCheckCalls(ctx, set, page), (call) =>
    callWithRepair(ctx, usage, failures, { stage: 'selfcheck', page }, call.items, call.attempt),
  );
  for (const results of answered) {
    for (const { items: its, value, cacheKey } of results) {
      for (const it of its) {
        const v = value.verdicts.get(it.id);
        if (!v) continue;
        rows.push({
          id: it.id,
          set,
          verdict: v.verdict,
          labels: v.labels,
          reason: v.reason,
          model: model(ctx),
          promptVersion: SELFCHECK_PROMPT_VERSION,
          cacheKey,
        });
      }
    }
  }
  await finishPage(ctx, [
    [folders.to, page, rows],
    [folders.failures, page, sortedFailures(failures)],
  ]);
  return { rows: rows.length, usage };
}

/**
 * The first request of every call of a page (set and page as `stagePage` names them), built by the same code as
 * the page's own calls: what a batch sends, so that the page, run after it, finds each answer in the cache.
 */
export function pageRequests(
  inp: PageInputs,
  stage: 'silver' | 'bronze' | 'selfcheck',
  set: PageSet,
  page: number,
): LlmRequest[] {
  const first = <I, T>(calls: PageCall<I, T>[]) => calls.map((c) => c.attempt(c.items, 0).request);
  if (stage === 'bronze') return first(bronzeCalls(inp, page));
  if (stage === 'selfcheck') return first(selfCheckCalls(inp, set, page));
  if (set === 'bronze') throw new Error('silver pages are silver or probe pages');
  return first(silverCalls(inp, page, set));
}
