// One page of an LLM stage (silver labelling, bronze generation, self-check): batched calls, repair, provenance.
import { createHash } from 'node:crypto';
import type { Experiment } from '../config/experiment.js';
import type { Taxonomy } from '../config/taxonomy.js';
import { completeCached, type LlmCache } from '../llm/cache.js';
import type { LlmProvider, LlmRequest } from '../llm/types.js';
import { modelFamily } from '../llm/model-family.js';
import {
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
  type SelfCheckVerdict,
} from './prompts.js';
import { stagePrompt } from './stage-prompts.js';
import { examplesPerCall } from './examples.js';
import type { EmbedFn } from '../dataset/leakage.js';
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
  /** The run's sentence encoder: silver.selectExamples `similar` picks each request's examples with it. */
  embed?: EmbedFn;
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

/** The answers a call got: its items (halves after a repair) with the value parsed, or salvaged, from each answer. */
type Answered<I, T> = { items: I[]; value: T; cacheKey: string }[];

/**
 * One LLM stage as the page runner drives it: the page's calls (the items of each), the request for some of them at
 * a repair attempt, the parse of an answer, what can be salvaged from an unusable one, the prompt version, and the
 * output pages the answers make.
 */
interface LlmStage<I extends { id: string }, T> {
  name: LlmFailureRow['stage'];
  /** The template's name and content hash: every row's promptVersion. */
  version: string;
  /** The page's calls, in order: the items each asks about first. */
  calls: I[][];
  buildRequest(items: I[], retry: number): LlmRequest;
  parse(text: string, items: I[]): Parsed<T>;
  /** What can still be used from an unusable answer (e.g. the complete sentences before a cut-off); null: nothing. */
  salvage?(text: string, items: I[]): T | null;
  /** Further attempts after an unusable answer (2: halves, or one more seed for a single item). */
  retries: number;
  /** The page's output pages from its answers (one list per call, in call order); the first holds its rows. */
  outputs(answered: Answered<I, T>[], model: string): [PageFolder, unknown[]][];
  failures: PageFolder;
}

/**
 * Sends one batch; when the answer is unusable (truncated, bad JSON, unknown ids or labels) it records the failure,
 * keeps what the stage can salvage from it, or else asks again in halves (or, for a single item, once more with
 * another seed). Paid answers are never lost: every raw answer stays in the cache and failures keep theirs.
 */
async function callWithRepair<I extends { id: string }, T>(
  ctx: PageContext,
  usage: LlmUsageTotals,
  failures: LlmFailureRow[],
  where: { stage: LlmFailureRow['stage']; page: number },
  items: I[],
  stage: LlmStage<I, T>,
  retry = 0,
): Promise<Answered<I, T>> {
  const request = stage.buildRequest(items, retry);
  const pending = (ctx.pendingWrites ??= []);
  const r = await completeCached(ctx.provider, ctx.cache, request, ctx.signal, {
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
        : stage.parse(r.answer.text, items);
  if (parsed.ok) return [{ items, value: parsed.value, cacheKey: r.cacheKey }];
  usage.failures++;
  const kept = stage.salvage?.(r.answer.text, items) ?? null;
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
  if (retry >= stage.retries) return [];
  if (items.length > 1) {
    const half = Math.ceil(items.length / 2);
    return [
      ...(await callWithRepair(ctx, usage, failures, where, items.slice(0, half), stage, retry + 1)),
      ...(await callWithRepair(ctx, usage, failures, where, items.slice(half), stage, retry + 1)),
    ];
  }
  return callWithRepair(ctx, usage, failures, where, items, stage, retry + 1);
}

/** The page runner: every call of a page (with repair), then its output pages and failures once the cache has all. */
async function runPage<I extends { id: string }, T>(
  ctx: PageContext,
  stage: LlmStage<I, T>,
  page: number,
): Promise<PageResult> {
  const usage = emptyUsage();
  const failures: LlmFailureRow[] = [];
  const where = { stage: stage.name, page };
  const answered = await allInOrder(ctx, stage.calls, (items) =>
    callWithRepair(ctx, usage, failures, where, items, stage),
  );
  const outputs = stage.outputs(answered, model(ctx));
  await finishPage(ctx, [
    ...outputs.map(([folder, rows]): [PageFolder, number, unknown[]] => [folder, page, rows]),
    [stage.failures, page, sortedFailures(failures)],
  ]);
  return { rows: outputs[0]![1].length, usage };
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

type SilverValue = { labels: Map<string, string[]>; rationales: Map<string, string> };

/** Silver labelling of one page of candidates (set `silver`) or of gold test sentences (set `probe`). */
async function silverStage(
  inp: PageInputs,
  page: number,
  set: keyof typeof LABEL_FOLDERS,
): Promise<LlmStage<CandidateRow, SilverValue>> {
  const { experiment: e, taxonomy } = inp;
  const folders = LABEL_FOLDERS[set];
  const labelIds = taxonomy.labels.map((l) => l.id);
  const prompt = stagePrompt(e, 'silver');
  const candidates = readJsonl<CandidateRow>(pagePath(inp.runDir, folders.from, page));
  const version = prompt.template!.version;
  const calls = chunks(candidates, e.silver.batchSize);
  // Each call's examples (silver.examples), also for its halves after a repair: keyed by the call's item ids.
  const examples = await examplesPerCall(e, calls, inp.embed);
  const examplesOf = new Map(calls.flatMap((c, i) => c.map((it) => [it.id, examples[i]!] as const)));
  return {
    name: set,
    version,
    calls,
    buildRequest: (items, retry) =>
      silverRequest(
        taxonomy,
        items.map(({ id, text }) => ({ id, text })),
        callOptions(e, retry),
        { ...prompt, examples: examplesOf.get(items[0]!.id) ?? [] },
      ),
    parse: (text, items) => {
      const r = parseSilverAnswer(text, items, labelIds, prompt.rationale);
      return r.ok ? ok(r) : r;
    },
    retries: 2,
    failures: folders.failures,
    outputs: (answered, model) => {
      const rows: SilverRow[] = [];
      for (const { items, value, cacheKey } of answered.flat()) {
        for (const c of items) {
          const rationale = value.rationales.get(c.id);
          rows.push({
            id: c.id,
            noteId: c.noteId,
            start: c.start,
            end: c.end,
            text: c.text,
            labels: value.labels.get(c.id) ?? [],
            reason: c.reason,
            ...(rationale !== undefined ? { rationale } : {}),
            model,
            promptVersion: version,
            cacheKey,
          });
        }
      }
      return [[folders.to, rows]];
    },
  };
}

/**
 * Labels one page of candidates (set `silver`) or of gold test sentences (set `probe`, the LLM as annotator);
 * writes the labels and failures pages of that set.
 */
export function labelSilverPage(
  ctx: PageContext,
  page: number,
  set: keyof typeof LABEL_FOLDERS = 'silver',
): Promise<PageResult> {
  return silverStage(ctx, page, set).then((stage) => runPage(ctx, stage, page));
}

export function bronzeId(text: string): string {
  return `b-${createHash('sha1').update(normaliseSentence(text)).digest('hex').slice(0, 12)}`;
}

type BronzeItem = { id: string; job: BronzeJob };

/** Bronze generation of one page of jobs: one call per job. */
function bronzeStage(inp: PageInputs, page: number): LlmStage<BronzeItem, { sentences: string[] }> {
  const { experiment: e, taxonomy } = inp;
  const prompt = stagePrompt(e, 'bronze');
  const jobs = readJsonl<BronzeJob>(pagePath(inp.runDir, 'bronzeJobs', page));
  const request = (job: BronzeJob, retry: number) =>
    bronzeRequest(taxonomy, job, callOptions(e, retry, e.bronze.temperature), prompt);
  const version = prompt.template!.version;
  return {
    name: 'bronze',
    version,
    calls: jobs.map((job) => [{ id: `job-${job.jobIndex}`, job }]),
    buildRequest: (items, retry) => request(items[0]!.job, retry),
    parse: (text, items) => {
      const r = parseBronzeAnswer(text, items[0]!.job.count);
      return r.ok ? ok(r) : r;
    },
    salvage: (text) => {
      const sentences = salvageBronzeSentences(text);
      return sentences.length ? { sentences } : null;
    },
    // With top-up rounds a failed call is not asked again here: the next round asks for what is still missing.
    retries: e.bronze.topUpRounds > 0 ? 0 : 2,
    failures: 'bronzeFailures',
    outputs: (answered, model) => {
      const rows: BronzeRow[] = [];
      const rejected: RejectedBronzeRow[] = [];
      const seen = new Set<string>();
      for (const [i, results] of answered.entries()) {
        const job = jobs[i]!;
        const prompt = request(job, 0)
          .messages.map((m) => m.content)
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
              model,
              promptVersion: version,
              cacheKey,
            });
          }
        }
      }
      return [
        ['bronze', rows],
        ['bronzeRejected', rejected],
      ];
    },
  };
}

/**
 * Generates the sentences of one page of bronze jobs; writes bronze/sentences, bronze/failures and bronze/rejected
 * (items the sentence gate refused) pages.
 */
export function generateBronzePage(ctx: PageContext, page: number): Promise<PageResult> {
  return runPage(ctx, bronzeStage(ctx, page), page);
}

type CheckItem = { id: string; text: string; labels: string[] };

/** The self-check of one page of silver, bronze or probe rows. */
function selfCheckStage(
  inp: PageInputs,
  set: CheckedSet,
  page: number,
): LlmStage<CheckItem, { verdicts: Map<string, SelfCheckVerdict> }> {
  const { experiment: e, taxonomy } = inp;
  const folders = CHECK_FOLDERS[set];
  const prompt = stagePrompt(e, 'selfCheck');
  const labelIds = taxonomy.labels.map((l) => l.id);
  const source = readJsonl<SilverRow | BronzeRow>(pagePath(inp.runDir, folders.from, page));
  const items: CheckItem[] = source.map(({ id, text, labels }) => ({ id, text, labels }));
  const version = prompt.template!.version;
  return {
    name: 'selfcheck',
    version,
    calls: chunks(items, e.selfCheck.batchSize),
    buildRequest: (its, retry) =>
      selfCheckRequest(taxonomy, set === 'bronze' ? 'bronze' : 'silver', its, callOptions(e, retry), prompt),
    parse: (text, its) => {
      const r = parseSelfCheckAnswer(text, its, labelIds, prompt.rationale);
      return r.ok ? ok(r) : r;
    },
    retries: 2,
    failures: folders.failures,
    outputs: (answered, model) => {
      const rows: VerdictRow[] = [];
      for (const { items: its, value, cacheKey } of answered.flat()) {
        for (const it of its) {
          const v = value.verdicts.get(it.id);
          if (!v) continue;
          rows.push({
            id: it.id,
            set,
            verdict: v.verdict,
            labels: v.labels,
            reason: v.reason,
            ...(v.rationale !== undefined ? { rationale: v.rationale } : {}),
            model,
            promptVersion: version,
            cacheKey,
          });
        }
      }
      return [[folders.to, rows]];
    },
  };
}

/** Self-checks one page of silver, bronze or probe rows; verdicts are written as their own rows, nothing is deleted. */
export function selfCheckPage(ctx: PageContext, set: CheckedSet, page: number): Promise<PageResult> {
  return runPage(ctx, selfCheckStage(ctx, set, page), page);
}

/**
 * The first request of every call of a page (set and page as `stagePage` names them), built by the same code as
 * the page's own calls: what a batch sends, so that the page, run after it, finds each answer in the cache.
 */
export async function pageRequests(
  inp: PageInputs,
  stage: 'silver' | 'bronze' | 'selfcheck',
  set: PageSet,
  page: number,
): Promise<LlmRequest[]> {
  const first = <I extends { id: string }, T>(s: LlmStage<I, T>) => s.calls.map((items) => s.buildRequest(items, 0));
  if (stage === 'bronze') return first(bronzeStage(inp, page));
  if (stage === 'selfcheck') return first(selfCheckStage(inp, set, page));
  if (set === 'bronze') throw new Error('silver pages are silver or probe pages');
  return first(await silverStage(inp, page, set));
}
