// LLM requests (silver labelling, bronze generation, self-check) rendered from their templates, and answer parsers.
import type { LlmRequest } from '../llm/types.js';
import { guidelineText, labelIds as taxonomyLabelIds, type Taxonomy } from '../config/taxonomy.js';
import type { Verdict } from '../run/records.js';
import {
  BRONZE_SCHEMA_NAME,
  RATIONALE_MAX_CHARS,
  SELFCHECK_SCHEMA_NAME,
  SILVER_SCHEMA_NAME,
  VERDICTS,
  bronzeAnswerSchema,
  checkAnswerLabels,
  checkIds,
  checkLabels,
  clipRationale,
  normaliseLabels,
  oneLine,
  parseShape,
  requestSchema,
  selfCheckAnswerSchema,
  shortIds,
  silverAnswerSchema,
  type ParseFailure,
} from './answers.js';
import type { BronzeJobSpec } from './bronze-jobs.js';
import type { FewShotExample } from './examples.js';
import { loadPrompt, renderMessages, type PromptStage, type PromptTemplate } from './templates.js';

export * from './answers.js';
export * from './bronze-jobs.js';

export interface CallOptions {
  maxTokens: number;
  temperature: number;
  seed: number;
}

/** Which template renders a request and whether its answer starts with a rationale (default: prompts/, none). */
export interface PromptChoice {
  template?: PromptTemplate;
  rationale?: boolean;
  /** silver: the few-shot examples this request shows (silver.examples; none by default). */
  examples?: FewShotExample[];
}

const defaults = new Map<PromptStage, PromptTemplate>();

/** The default template of a stage (prompts/<stage>), loaded once. */
export function defaultPrompt(stage: PromptStage): PromptTemplate {
  let t = defaults.get(stage);
  if (!t) defaults.set(stage, (t = loadPrompt(stage)));
  return t;
}

/** The prompt version of a stage as rows and the dataset card record it: the template's name and content hash. */
export function promptVersion(stage: PromptStage, template?: PromptTemplate): string {
  return (template ?? defaultPrompt(stage)).version;
}

function checkItems(items: { id: string }[], what: string): void {
  if (items.length === 0) throw new Error(`${what}: no items given`);
  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.id)) throw new Error(`${what}: duplicate item id "${it.id}"`);
    seen.add(it.id);
  }
}

/** What every template sees: the taxonomy, its guideline as text, and whether the answer starts with a rationale. */
function baseContext(taxonomy: Taxonomy, rationale: boolean) {
  return { taxonomy, guideline: guidelineText(taxonomy), rationale, rationaleMaxChars: RATIONALE_MAX_CHARS };
}

function request(
  stage: PromptStage,
  choice: PromptChoice,
  context: object,
  schemaName: string,
  schema: Parameters<typeof requestSchema>[0],
  opts: CallOptions,
): LlmRequest {
  return {
    messages: renderMessages(choice.template ?? defaultPrompt(stage), context),
    schemaName,
    schema: requestSchema(schema),
    maxTokens: opts.maxTokens,
    temperature: opts.temperature,
    seed: opts.seed,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Silver: the LLM labels real note sentences

export interface SilverItem {
  id: string;
  text: string;
}

/**
 * The silver template's variables: items as {id: s1.., text}, their count, taxonomy, guideline, rationale, and
 * `examples` ({text, labels} labelled sentences from silver.examples; [] without them).
 */
export function silverContext(
  taxonomy: Taxonomy,
  items: SilverItem[],
  rationale = false,
  examples: FewShotExample[] = [],
) {
  const ids = shortIds(items.length);
  const shown = items.map((it, i) => ({ id: ids[i]!, text: it.text }));
  const exs = examples.map((x) => ({ text: x.text, labels: [...x.labels] }));
  return { ...baseContext(taxonomy, rationale), items: shown, count: items.length, examples: exs };
}

export function silverRequest(
  taxonomy: Taxonomy,
  items: SilverItem[],
  opts: CallOptions,
  choice: PromptChoice = {},
): LlmRequest {
  checkItems(items, 'silverRequest');
  const rationale = choice.rationale ?? false;
  const strict = { n: items.length, labelIds: taxonomyLabelIds(taxonomy) };
  const schema = silverAnswerSchema(strict, rationale);
  const context = silverContext(taxonomy, items, rationale, choice.examples);
  return request('silver', choice, context, SILVER_SCHEMA_NAME, schema, opts);
}

export function silverSchema(n: number, labelIds: string[], rationale = false) {
  return requestSchema(silverAnswerSchema({ n, labelIds }, rationale));
}

/** Validates a silver answer; labels come back deduplicated, in taxonomy order, keyed by the real item ids. */
export function parseSilverAnswer(
  text: string,
  items: SilverItem[],
  labelIds: string[],
  rationale = false,
): { ok: true; labels: Map<string, string[]>; rationales: Map<string, string> } | ParseFailure {
  const shape = parseShape(text, silverAnswerSchema(null, rationale));
  if (!shape.ok) return shape;
  const ids = shortIds(items.length);
  const answers = shape.value.answers;
  const idError = checkIds(
    answers.map((a) => a.id),
    ids,
  );
  if (idError) return { ok: false, error: idError };
  const labels = new Map<string, string[]>();
  const rationales = new Map<string, string>();
  for (const a of answers) {
    const bad = checkAnswerLabels(a.id, a.labels, labelIds);
    if (bad) return { ok: false, error: bad };
    const item = items[ids.indexOf(a.id)]!;
    labels.set(item.id, normaliseLabels(a.labels, labelIds));
    const why = clipRationale((a as { rationale?: string }).rationale);
    if (why !== undefined) rationales.set(item.id, why);
  }
  return { ok: true, labels, rationales };
}

// ---------------------------------------------------------------------------------------------------------------
// Bronze: the LLM writes new sentences for given labels

/**
 * Output tokens a bronze call may use per sentence asked for (plus 50 for the JSON around them), within llm.maxTokens:
 * a note sentence is 20–40 tokens, and a model that loops is cut off before it spends the whole llm.maxTokens.
 */
export const BRONZE_TOKENS_PER_SENTENCE = 100;

export function bronzeSchema(count: number) {
  return requestSchema(bronzeAnswerSchema(count));
}

/** The bronze template's variables: target labels (id, name, definition, cues), count, style, taxonomy, guideline. */
export function bronzeContext(taxonomy: Taxonomy, job: BronzeJobSpec) {
  const ids = normaliseLabels(job.labels, taxonomyLabelIds(taxonomy));
  const labels = ids.map((id) => taxonomy.labels.find((l) => l.id === id)!);
  return { ...baseContext(taxonomy, false), labels, count: job.count, style: { ...job.style } };
}

export function bronzeRequest(
  taxonomy: Taxonomy,
  job: BronzeJobSpec,
  opts: CallOptions,
  choice: PromptChoice = {},
): LlmRequest {
  if (!Number.isInteger(job.count) || job.count < 1)
    throw new Error(`bronzeRequest: count must be >= 1, got ${job.count}`);
  checkLabels(job.labels, taxonomyLabelIds(taxonomy), 'bronzeRequest');
  const r = request('bronze', choice, bronzeContext(taxonomy, job), BRONZE_SCHEMA_NAME, bronzeAnswerSchema(job.count), {
    maxTokens: Math.min(opts.maxTokens, BRONZE_TOKENS_PER_SENTENCE * job.count + 50),
    temperature: opts.temperature,
    seed: opts.seed + (job.jobIndex ?? 0),
  });
  return r;
}

/** Validates a bronze answer: exactly `count` non-empty strings; whitespace is collapsed and repeats are dropped. */
export function parseBronzeAnswer(
  text: string,
  count: number,
): { ok: true; sentences: string[]; duplicates: number } | ParseFailure {
  const shape = parseShape(text, bronzeAnswerSchema(null));
  if (!shape.ok) return shape;
  const raw = shape.value.sentences;
  if (raw.length !== count) return { ok: false, error: `expected ${count} sentences, got ${raw.length}` };
  const sentences: string[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const [i, s] of raw.entries()) {
    const clean = oneLine(s);
    if (!clean) return { ok: false, error: `sentence ${i + 1} is empty` };
    const norm = clean.toLowerCase();
    if (seen.has(norm)) {
      duplicates++;
      continue;
    }
    seen.add(norm);
    sentences.push(clean);
  }
  return { ok: true, sentences, duplicates };
}

/**
 * The complete sentences at the start of a bronze answer that is not valid JSON (usually one cut off at the token
 * limit): the string literals of the `sentences` array up to the first one that is unfinished. Empty when there are none.
 */
export function salvageBronzeSentences(text: string): string[] {
  const key = text.indexOf('"sentences"');
  if (key < 0) return [];
  let i = text.indexOf('[', key);
  if (i < 0) return [];
  const out: string[] = [];
  const seen = new Set<string>();
  for (i++; ;) {
    while (i < text.length && /[\s,]/.test(text[i]!)) i++;
    if (text[i] !== '"') break;
    let end = i + 1;
    while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
    if (end >= text.length) break; // the last string was cut off
    let value: unknown;
    try {
      value = JSON.parse(text.slice(i, end + 1));
    } catch {
      break;
    }
    const clean = oneLine(String(value));
    if (clean && !seen.has(clean.toLowerCase())) {
      seen.add(clean.toLowerCase());
      out.push(clean);
    }
    i = end + 1;
  }
  return out;
}
// ---------------------------------------------------------------------------------------------------------------
// Self-check: the LLM reviews silver label sets and bronze sentences

export interface SelfCheckItem {
  id: string;
  text: string;
  labels: string[];
}

export interface SelfCheckVerdict {
  verdict: Verdict;
  /** keep: the item's own labels; fix: the corrected set; reject: what the checker said. */
  labels: string[];
  reason: string;
  /** What the checker wrote before its verdict (selfCheck.rationale). */
  rationale?: string;
}

export function selfCheckSchema(n: number, labelIds: string[], rationale = false) {
  return requestSchema(selfCheckAnswerSchema({ n, labelIds }, rationale));
}

/** The self-check template's variables: set (silver|bronze), items as {id, text, labels}, count, taxonomy, guideline. */
export function selfCheckContext(
  taxonomy: Taxonomy,
  set: 'silver' | 'bronze',
  items: SelfCheckItem[],
  rationale = false,
) {
  const labelIds = taxonomyLabelIds(taxonomy);
  const ids = shortIds(items.length);
  const shown = items.map((it, i) => ({ id: ids[i]!, text: it.text, labels: normaliseLabels(it.labels, labelIds) }));
  return { ...baseContext(taxonomy, rationale), set, items: shown, count: items.length };
}

export function selfCheckRequest(
  taxonomy: Taxonomy,
  set: 'silver' | 'bronze',
  items: SelfCheckItem[],
  opts: CallOptions,
  choice: PromptChoice = {},
): LlmRequest {
  checkItems(items, 'selfCheckRequest');
  const labelIds = taxonomyLabelIds(taxonomy);
  for (const it of items) checkLabels(it.labels, labelIds, `selfCheckRequest item ${it.id}`);
  const rationale = choice.rationale ?? false;
  const schema = selfCheckAnswerSchema({ n: items.length, labelIds }, rationale);
  const context = selfCheckContext(taxonomy, set, items, rationale);
  return request('selfCheck', choice, context, SELFCHECK_SCHEMA_NAME, schema, opts);
}

/**
 * Validates a self-check answer. A `fix` whose labels equal the item's own becomes `keep`; a `keep` always carries
 * the item's own labels (whatever the checker repeated).
 */
export function parseSelfCheckAnswer(
  text: string,
  items: SelfCheckItem[],
  labelIds: string[],
  rationale = false,
): { ok: true; verdicts: Map<string, SelfCheckVerdict> } | ParseFailure {
  const shape = parseShape(text, selfCheckAnswerSchema(null, rationale));
  if (!shape.ok) return shape;
  const ids = shortIds(items.length);
  const answers = shape.value.verdicts;
  const idError = checkIds(
    answers.map((a) => a.id),
    ids,
  );
  if (idError) return { ok: false, error: idError };
  const verdicts = new Map<string, SelfCheckVerdict>();
  for (const a of answers) {
    if (!(VERDICTS as readonly string[]).includes(a.verdict)) {
      return { ok: false, error: `unknown verdict "${a.verdict}" for ${a.id}` };
    }
    const bad = checkAnswerLabels(a.id, a.labels, labelIds);
    if (bad) return { ok: false, error: bad };
    const item = items[ids.indexOf(a.id)]!;
    const own = normaliseLabels(item.labels, labelIds);
    const given = normaliseLabels(a.labels, labelIds);
    let verdict = a.verdict as Verdict;
    if (verdict === 'fix' && given.join(',') === own.join(',')) verdict = 'keep';
    const why = clipRationale((a as { rationale?: string }).rationale);
    verdicts.set(item.id, {
      verdict,
      labels: verdict === 'keep' ? own : given,
      reason: oneLine(a.reason),
      ...(why !== undefined ? { rationale: why } : {}),
    });
  }
  return { ok: true, verdicts };
}
