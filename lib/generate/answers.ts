// The LLM answers (silver labels, bronze sentences, self-check verdicts): one zod schema each, sent as the request's
// JSON Schema (strict: enums and counts) and used, relaxed, to parse the answer before its ids and labels are checked.
import { z } from 'zod';
import type { JsonSchema } from '../llm/types.js';
import type { Verdict } from '../run/records.js';

export type ParseFailure = { ok: false; error: string };

export const SILVER_SCHEMA_NAME = 'silver_labels';
export const BRONZE_SCHEMA_NAME = 'bronze_sentences';
export const SELFCHECK_SCHEMA_NAME = 'self_check';

/** A rationale (silver.rationale / selfCheck.rationale) is kept to this many characters; the prompt says so too. */
export const RATIONALE_MAX_CHARS = 400;

export const VERDICTS: readonly Verdict[] = ['keep', 'fix', 'reject'];

/** The short ids (s1..sN) used in prompts instead of real sentence ids. */
export function shortIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `s${i + 1}`);
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Labels deduplicated and put in taxonomy order. */
export function normaliseLabels(labels: string[], labelIds: string[]): string[] {
  const set = new Set(labels);
  return labelIds.filter((l) => set.has(l));
}

/** Throws when a label is not one of the taxonomy's. */
export function checkLabels(labels: string[], known: string[], what: string): void {
  for (const l of labels) if (!known.includes(l)) throw new Error(`${what}: unknown label "${l}"`);
}

/**
 * What the strict form of a schema pins down: the item ids, the label ids and the count. Without it (the relaxed
 * form, for parsing) ids, labels and verdicts are plain strings and the count is free, so that the parser can say
 * which id or label is wrong.
 */
export interface Strict {
  n: number;
  labelIds: string[];
}

const oneOf = (values: readonly string[] | undefined) =>
  values ? z.enum(values as [string, ...string[]]) : z.string();
const listOf = <T extends z.ZodType>(item: T, n: number | undefined) =>
  n === undefined ? z.array(item) : z.array(item).length(n);
/** The rationale comes first in each entry: the model writes its reasoning before its labels or verdict. */
const rationaleField = (rationale: boolean) => (rationale ? { rationale: z.string() } : {});

/**
 * Schemas built once per shape (zod compiles a schema's parser on first use, ~0.2 ms, and converting it to JSON Schema
 * costs as much: per call at 500 calls/s that was a tenth of a core). zod schemas are immutable, so sharing is safe.
 */
const built = new Map<string, z.ZodType>();
function once<T extends z.ZodType>(key: string, make: () => T): T {
  let s = built.get(key) as T | undefined;
  if (!s) {
    if (built.size >= 256) built.clear(); // a few shapes a run (batch sizes × rationale); bounded all the same
    built.set(key, (s = make()));
  }
  return s;
}
const shapeKey = (kind: string, strict: Strict | null, rationale: boolean) =>
  JSON.stringify([kind, strict?.n ?? null, strict?.labelIds ?? null, rationale]);

export function silverAnswerSchema(strict: Strict | null, rationale = false) {
  return once(shapeKey('silver', strict, rationale), () => buildSilverAnswerSchema(strict, rationale));
}

function buildSilverAnswerSchema(strict: Strict | null, rationale: boolean) {
  return z.object({
    answers: listOf(
      z.object({
        id: oneOf(strict ? shortIds(strict.n) : undefined),
        ...rationaleField(rationale),
        labels: z.array(oneOf(strict?.labelIds)),
      }),
      strict?.n,
    ),
  });
}

export function bronzeAnswerSchema(count: number | null) {
  return z.object({ sentences: listOf(z.string(), count ?? undefined) });
}

export function selfCheckAnswerSchema(strict: Strict | null, rationale = false) {
  return once(shapeKey('selfCheck', strict, rationale), () => buildSelfCheckAnswerSchema(strict, rationale));
}

function buildSelfCheckAnswerSchema(strict: Strict | null, rationale: boolean) {
  return z.object({
    verdicts: listOf(
      z.object({
        id: oneOf(strict ? shortIds(strict.n) : undefined),
        ...rationaleField(rationale),
        verdict: oneOf(strict ? VERDICTS : undefined),
        labels: z.array(oneOf(strict?.labelIds)),
        reason: z.string(),
      }),
      strict?.n,
    ),
  });
}

/** The order keys are written in (the order the request's schema has always had, so cache keys and bytes stay). */
const KEY_ORDER = ['type', 'additionalProperties', 'required', 'properties', 'minItems', 'maxItems', 'items', 'enum'];

function ordered(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(ordered);
  if (!node || typeof node !== 'object') return node;
  const n = node as Record<string, unknown>;
  const rank = (k: string) => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(n).sort((a, b) => rank(a) - rank(b))) {
    if (k === '$schema') continue;
    out[k] =
      k === 'properties'
        ? Object.fromEntries(Object.entries(n[k] as object).map(([p, v]) => [p, ordered(v)]))
        : ordered(n[k]);
  }
  return out;
}

/** The JSON Schema of a request (strict structured outputs: every key required, no others). */
export function requestSchema(schema: z.ZodType): JsonSchema {
  let json = jsonSchemas.get(schema);
  if (!json) jsonSchemas.set(schema, (json = ordered(z.toJSONSchema(schema)) as JsonSchema));
  return structuredClone(json); // each request owns its copy
}
const jsonSchemas = new WeakMap<z.ZodType, JsonSchema>();

/** Parses JSON, tolerating a ```json fence around it (some servers add one in json_object mode). */
function parseJson(text: string): { ok: true; value: unknown } | ParseFailure {
  const attempts = [text, text.replace(/^\s*```(?:json)?\s*/i, '').replace(/\s*```\s*$/, '')];
  for (const t of attempts) {
    try {
      return { ok: true, value: JSON.parse(t) };
    } catch {
      // try the next form
    }
  }
  const preview = text.length > 80 ? `${text.slice(0, 80)}...` : text;
  return { ok: false, error: `answer is not valid JSON (${text.length} chars: ${JSON.stringify(preview)})` };
}

/** The answer as JSON, checked against the relaxed schema. */
export function parseShape<T extends z.ZodType>(
  text: string,
  schema: T,
): { ok: true; value: z.output<T> } | ParseFailure {
  const json = parseJson(text);
  if (!json.ok) return json;
  const shape = schema.safeParse(json.value);
  if (shape.success) return { ok: true, value: shape.data };
  const issues = shape.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  return { ok: false, error: `answer has the wrong shape: ${issues}` };
}

/** Checks that answer ids are exactly the short ids, each once; returns an error or undefined. */
export function checkIds(got: string[], expected: string[]): string | undefined {
  const want = new Set(expected);
  const seen = new Set<string>();
  for (const id of got) {
    if (!want.has(id)) return `unknown id "${id}"`;
    if (seen.has(id)) return `id "${id}" appears more than once`;
    seen.add(id);
  }
  const missing = expected.filter((id) => !seen.has(id));
  if (missing.length) return `missing ids: ${missing.join(', ')}`;
  return undefined;
}

export function checkAnswerLabels(id: string, labels: string[], labelIds: string[]): string | undefined {
  for (const l of labels) if (!labelIds.includes(l)) return `unknown label "${l}" for ${id}`;
  return undefined;
}

/** A rationale as kept in a row: one line, at most RATIONALE_MAX_CHARS characters. */
export function clipRationale(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const line = oneLine(text);
  return line.length > RATIONALE_MAX_CHARS ? `${line.slice(0, RATIONALE_MAX_CHARS - 1)}…` : line;
}
