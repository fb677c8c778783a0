// Prompt builders (silver labelling, bronze generation, self-check), their strict JSON schemas, and answer parsers.
import { z } from 'zod';
import type { JsonSchema, LlmRequest } from '../llm/types.js';
import { guidelineText, labelIds as taxonomyLabelIds, type Taxonomy } from '../run/taxonomy.js';
import type { Verdict } from '../run/records.js';

/** Bump a version whenever its prompt text or schema changes: it goes into every row's provenance. */
export const SILVER_PROMPT_VERSION = 'silver-v1';
export const BRONZE_PROMPT_VERSION = 'bronze-v1';
export const SELFCHECK_PROMPT_VERSION = 'selfcheck-v1';

export const SILVER_SCHEMA_NAME = 'silver_labels';
export const BRONZE_SCHEMA_NAME = 'bronze_sentences';
export const SELFCHECK_SCHEMA_NAME = 'self_check';

export interface CallOptions {
  maxTokens: number;
  temperature: number;
  seed: number;
}

export type ParseFailure = { ok: false; error: string };

// ---------------------------------------------------------------------------------------------------------------
// Shared helpers

/** The short ids (s1..sN) used in prompts instead of real sentence ids. */
export function shortIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `s${i + 1}`);
}

function checkItems(items: { id: string }[], what: string): void {
  if (items.length === 0) throw new Error(`${what}: no items given`);
  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.id)) throw new Error(`${what}: duplicate item id "${it.id}"`);
    seen.add(it.id);
  }
}

function checkLabels(labels: string[], known: string[], what: string): void {
  for (const l of labels) if (!known.includes(l)) throw new Error(`${what}: unknown label "${l}"`);
}

/** One line of the user message: `s1: "text"` or `s1: {"text": ..., "labels": [...]}`, JSON-escaped, one line each. */
function itemLine(shortId: string, payload: unknown): string {
  return `${shortId}: ${JSON.stringify(payload)}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function labelArraySchema(labelIds: string[]): JsonSchema {
  return { type: 'array', items: { type: 'string', enum: [...labelIds] } };
}

function listSchema(key: string, n: number, items: JsonSchema): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    required: [key],
    properties: { [key]: { type: 'array', minItems: n, maxItems: n, items } },
  };
}

function describeLabel(taxonomy: Taxonomy, id: string): string {
  const l = taxonomy.labels.find((x) => x.id === id);
  return l ? `- ${l.id} (${l.name}): ${oneLine(l.definition)}` : `- ${id}`;
}

/** Labels deduplicated and put in taxonomy order. */
function normaliseLabels(labels: string[], labelIds: string[]): string[] {
  const set = new Set(labels);
  return labelIds.filter((l) => set.has(l));
}

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

function zodError(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/** Checks that answer ids are exactly the short ids, each once; returns an error or undefined. */
function checkIds(got: string[], expected: string[]): string | undefined {
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

function checkAnswerLabels(id: string, labels: string[], labelIds: string[]): string | undefined {
  for (const l of labels) if (!labelIds.includes(l)) return `unknown label "${l}" for ${id}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Silver: the LLM labels real note sentences

export interface SilverItem {
  id: string;
  text: string;
}

export function silverSchema(n: number, labelIds: string[]): JsonSchema {
  return listSchema('answers', n, {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'labels'],
    properties: { id: { type: 'string', enum: shortIds(n) }, labels: labelArraySchema(labelIds) },
  });
}

export function silverRequest(taxonomy: Taxonomy, items: SilverItem[], opts: CallOptions): LlmRequest {
  checkItems(items, 'silverRequest');
  const ids = shortIds(items.length);
  const system = [
    'You are an expert clinical annotator. You label single sentences from clinical notes, following the annotation ' +
      `guideline below exactly (taxonomy "${taxonomy.id}", version ${taxonomy.version}).`,
    guidelineText(taxonomy),
    'How to answer: return a JSON object {"answers": [{"id": "s1", "labels": [...]}, ...]} with exactly one entry ' +
      'per sentence, in the order given, using the ids given. Use only the label ids defined above; give an empty ' +
      'list when no label applies. Judge each sentence on its own text.',
  ].join('\n\n');
  const user = [
    `Label each of these ${items.length} sentences (id: sentence as a JSON string).`,
    ...items.map((it, i) => itemLine(ids[i]!, it.text)),
  ].join('\n');
  return {
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ],
    schemaName: SILVER_SCHEMA_NAME,
    schema: silverSchema(items.length, taxonomyLabelIds(taxonomy)),
    maxTokens: opts.maxTokens,
    temperature: opts.temperature,
    seed: opts.seed,
  };
}

const silverAnswerShape = z.object({
  answers: z.array(z.object({ id: z.string(), labels: z.array(z.string()) })),
});

/** Validates a silver answer; labels come back deduplicated, in taxonomy order, keyed by the real item ids. */
export function parseSilverAnswer(
  text: string,
  items: SilverItem[],
  labelIds: string[],
): { ok: true; labels: Map<string, string[]> } | ParseFailure {
  const json = parseJson(text);
  if (!json.ok) return json;
  const shape = silverAnswerShape.safeParse(json.value);
  if (!shape.success) return { ok: false, error: `answer has the wrong shape: ${zodError(shape.error)}` };
  const ids = shortIds(items.length);
  const answers = shape.data.answers;
  const idError = checkIds(
    answers.map((a) => a.id),
    ids,
  );
  if (idError) return { ok: false, error: idError };
  const labels = new Map<string, string[]>();
  for (const a of answers) {
    const bad = checkAnswerLabels(a.id, a.labels, labelIds);
    if (bad) return { ok: false, error: bad };
    const item = items[ids.indexOf(a.id)]!;
    labels.set(item.id, normaliseLabels(a.labels, labelIds));
  }
  return { ok: true, labels };
}

// ---------------------------------------------------------------------------------------------------------------
// Bronze: the LLM writes new sentences for given labels

export const NOTE_TYPES = [
  'progress note',
  'discharge summary',
  'nursing note',
  'neuropsych report',
  'problem list',
] as const;
export const SPEAKERS = ['clinician', 'patient', 'family'] as const;
export const SEVERITIES = ['mild', 'moderate', 'severe'] as const;
export const ABBREVIATIONS = ['yes', 'no'] as const;

export type BronzeStyle = {
  noteType: string;
  speaker: string;
  severity: string;
  abbreviations: string;
};

export interface BronzeJobSpec {
  /** Labels every sentence must express; [] asks for hard negatives (`none`). */
  labels: string[];
  count: number;
  style: BronzeStyle;
  /** Position in the job list; added to the seed so identical jobs still get distinct requests. */
  jobIndex?: number;
}

export interface BronzeJob extends BronzeJobSpec {
  jobIndex: number;
}

/**
 * All 90 combinations of note type × speaker × severity × abbreviations, in a fixed order where every dimension
 * changes from one entry to the next (so any prefix of the list is already diverse).
 */
export function styleGrid(): BronzeStyle[] {
  const out: BronzeStyle[] = [];
  const n = NOTE_TYPES.length * SPEAKERS.length; // 15: (k mod 5, k mod 3) covers all pairs
  const m = SEVERITIES.length * ABBREVIATIONS.length; // 6: (j mod 3, j mod 2) covers all pairs
  for (let k = 0; k < n * m; k++) {
    const r = k % n;
    const q = Math.floor(k / n);
    const j = (q + r) % m;
    out.push({
      noteType: NOTE_TYPES[r % NOTE_TYPES.length]!,
      speaker: SPEAKERS[r % SPEAKERS.length]!,
      severity: SEVERITIES[j % SEVERITIES.length]!,
      abbreviations: ABBREVIATIONS[j % ABBREVIATIONS.length]!,
    });
  }
  return out;
}

export interface BronzeJobOptions {
  /** Extra label combinations to generate, each like a label (e.g. [['notice_by_others', 'cognitive_impairment']]). */
  combos?: string[][];
  /**
   * The label that a family/caregiver voice implies (default `notice_by_others` when the taxonomy has it): jobs
   * that include it always use the family speaker; other non-empty jobs never do. Negatives may use any speaker.
   */
  familyLabel?: string | null;
  /**
   * The guideline gives `familyLabel` together with what was noticed, so its own jobs pair it, round by round, with
   * one of these labels (default: cognitive_impairment, neuropsychiatric_symptoms, physiological_changes,
   * requiring_assistance, where the taxonomy has them). [] keeps it alone.
   */
  familyCompanions?: string[];
  /**
   * Jobs already planned for this run (default 0): the new jobs number on from there, so their seeds differ from the
   * earlier ones, and they start elsewhere in the style grid and the family companions.
   */
  jobsBefore?: number;
}

const DEFAULT_FAMILY_COMPANIONS = [
  'cognitive_impairment',
  'neuropsychiatric_symptoms',
  'physiological_changes',
  'requiring_assistance',
];

/** What bronze is written for: each label, then each combo (validated against the labels), then `none` ([]) when asked. */
export function bronzeTargets(labelIds: string[], includeNone: boolean, combos: string[][] = []): string[][] {
  const targets: string[][] = labelIds.map((l) => [l]);
  for (const combo of combos) {
    checkLabels(combo, labelIds, 'bronzeJobs combo');
    targets.push(normaliseLabels(combo, labelIds));
  }
  if (includeNone) targets.push([]);
  return targets;
}

/** Whether a bronze row written for `rowLabels` counts for `target`: it expresses all of the target's labels ([] = none). */
export function countsForTarget(rowLabels: readonly string[], target: readonly string[]): boolean {
  return target.length === 0 ? rowLabels.length === 0 : target.every((l) => rowLabels.includes(l));
}

/**
 * The bronze work list: for each label (then each combo, then `none` when asked) `perLabel` sentences in calls of
 * at most `perCall`; jobs are interleaved round by round across targets and styles cycle through `styleGrid()`.
 * Validates its arguments (throws Error on bad counts or unknown combo labels).
 */
export function bronzeJobs(
  labelIds: string[],
  perLabel: number,
  perCall: number,
  includeNone: boolean,
  opts: BronzeJobOptions = {},
): BronzeJob[] {
  if (!Number.isInteger(perLabel) || perLabel < 0)
    throw new Error(`bronzeJobs: perLabel must be an integer >= 0, got ${perLabel}`);
  const targets = bronzeTargets(labelIds, includeNone, opts.combos);
  return planBronzeJobs(
    labelIds,
    targets.map((target) => ({ target, count: perLabel })),
    perCall,
    opts,
  );
}

/**
 * Jobs that ask for `count` sentences for each target, in calls of at most `perCall`, interleaved round by round;
 * numbered from `opts.jobsBefore` (used by the first plan and by every top-up round).
 */
export function planBronzeJobs(
  labelIds: string[],
  wanted: { target: string[]; count: number }[],
  perCall: number,
  opts: BronzeJobOptions = {},
): BronzeJob[] {
  if (!Number.isInteger(perCall) || perCall < 1)
    throw new Error(`bronzeJobs: perCall must be an integer >= 1, got ${perCall}`);
  for (const w of wanted) {
    if (!Number.isInteger(w.count) || w.count < 0)
      throw new Error(`bronzeJobs: a count must be an integer >= 0, got ${w.count}`);
  }
  const first = opts.jobsBefore ?? 0;
  const family =
    opts.familyLabel === undefined
      ? labelIds.includes('notice_by_others')
        ? 'notice_by_others'
        : null
      : opts.familyLabel;

  const companions = (opts.familyCompanions ?? DEFAULT_FAMILY_COMPANIONS).filter(
    (l) => labelIds.includes(l) && l !== family,
  );
  const labelsFor = (target: string[], round: number): string[] =>
    family !== null && target.length === 1 && target[0] === family && companions.length
      ? normaliseLabels([family, companions[(round + first) % companions.length]!], labelIds)
      : [...target];

  const grid = styleGrid();
  let cursor = first % grid.length;
  const pickStyle = (labels: string[]): BronzeStyle => {
    const mustBeFamily = family !== null && labels.includes(family);
    const mayBeFamily = family === null || labels.length === 0 || mustBeFamily;
    for (let step = 0; step < grid.length; step++) {
      const s = grid[(cursor + step) % grid.length]!;
      const ok = mustBeFamily ? s.speaker === 'family' : mayBeFamily || s.speaker !== 'family';
      if (ok) {
        cursor = (cursor + step + 1) % grid.length;
        return s;
      }
    }
    return grid[0]!;
  };

  const rounds = Math.max(0, ...wanted.map((w) => Math.ceil(w.count / perCall)));
  const jobs: BronzeJob[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const { target, count: total } of wanted) {
      const count = Math.min(perCall, total - round * perCall);
      if (count <= 0) continue;
      const labels = labelsFor(target, round);
      jobs.push({ labels, count, style: { ...pickStyle(labels) }, jobIndex: first + jobs.length });
    }
  }
  return jobs;
}

const SPEAKER_TEXT: Record<string, string> = {
  clinician: "the clinician's own observation, examination or assessment",
  patient: 'what the patient reports or says (e.g. "Patient states ...", "She reports ...")',
  family: 'what a family member or caregiver reports (e.g. "Per daughter, ...", "His wife notes ...")',
};

/**
 * Output tokens a bronze call may use per sentence asked for (plus 50 for the JSON around them), within llm.maxTokens:
 * a note sentence is 20–40 tokens, and a model that loops is cut off before it spends the whole llm.maxTokens.
 */
export const BRONZE_TOKENS_PER_SENTENCE = 100;

export function bronzeSchema(count: number): JsonSchema {
  return listSchema('sentences', count, { type: 'string' });
}

export function bronzeRequest(taxonomy: Taxonomy, job: BronzeJobSpec, opts: CallOptions): LlmRequest {
  const ids = taxonomyLabelIds(taxonomy);
  if (!Number.isInteger(job.count) || job.count < 1)
    throw new Error(`bronzeRequest: count must be >= 1, got ${job.count}`);
  checkLabels(job.labels, ids, 'bronzeRequest');
  const labels = normaliseLabels(job.labels, ids);
  const system = [
    'You write realistic, synthetic sentences of the kind found in clinical notes. They train a sentence classifier ' +
      `defined by the annotation guideline below (taxonomy "${taxonomy.id}", version ${taxonomy.version}).`,
    guidelineText(taxonomy),
    [
      'Writing rules:',
      '- Each sentence is one complete sentence or note line, as a clinician would write it; no numbering, no quotes.',
      '- De-identified: no names, dates, ages over 89, places, institutions, phone or record numbers; refer to people ' +
        'by role (the patient, her daughter, his wife, the caregiver).',
      '- New text only: do not copy the guideline examples; vary wording, length, structure and details.',
      '- Judged by the guideline, each sentence must carry exactly the target labels and no other label.',
      'How to answer: return a JSON object {"sentences": ["...", ...]} with exactly the number of sentences asked for.',
    ].join('\n'),
  ].join('\n\n');
  const target = labels.length
    ? [
        `Target labels: ${labels.join(', ')}`,
        'Every sentence must express all of these labels and no other label of the guideline:',
        ...labels.map((l) => describeLabel(taxonomy, l)),
      ]
    : [
        'Target labels: none',
        'Every sentence must express none of the labels of the guideline, yet read like the same notes and touch ' +
          'the same topics (hard negatives): denied or absent findings ("denies memory loss", "no confusion", "alert ' +
          'and oriented x3"), normal results, family history of dementia, tests only ordered, unrelated problems.',
      ];
  const s = job.style;
  const user = [
    `Write ${job.count} new, distinct sentences.`,
    ...target,
    'Style:',
    `- note type: ${s.noteType}`,
    `- source of the information: ${SPEAKER_TEXT[s.speaker] ?? s.speaker}`,
    `- severity of the findings described: ${s.severity}`,
    `- abbreviations: ${s.abbreviations === 'yes' ? 'use common clinical abbreviations (pt, h/o, ADLs, f/u, w/)' : 'write words out in full'}`,
    'If a style hint conflicts with the target labels, follow the target labels.',
  ].join('\n');
  return {
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ],
    schemaName: BRONZE_SCHEMA_NAME,
    schema: bronzeSchema(job.count),
    maxTokens: Math.min(opts.maxTokens, BRONZE_TOKENS_PER_SENTENCE * job.count + 50),
    temperature: opts.temperature,
    seed: opts.seed + (job.jobIndex ?? 0),
  };
}

const bronzeAnswerShape = z.object({ sentences: z.array(z.string()) });

/** Validates a bronze answer: exactly `count` non-empty strings; whitespace is collapsed and repeats are dropped. */
export function parseBronzeAnswer(
  text: string,
  count: number,
): { ok: true; sentences: string[]; duplicates: number } | ParseFailure {
  const json = parseJson(text);
  if (!json.ok) return json;
  const shape = bronzeAnswerShape.safeParse(json.value);
  if (!shape.success) return { ok: false, error: `answer has the wrong shape: ${zodError(shape.error)}` };
  const raw = shape.data.sentences;
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
}

export const VERDICTS: readonly Verdict[] = ['keep', 'fix', 'reject'];

export function selfCheckSchema(n: number, labelIds: string[]): JsonSchema {
  return listSchema('verdicts', n, {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'verdict', 'labels', 'reason'],
    properties: {
      id: { type: 'string', enum: shortIds(n) },
      verdict: { type: 'string', enum: [...VERDICTS] },
      labels: labelArraySchema(labelIds),
      reason: { type: 'string' },
    },
  });
}

export function selfCheckRequest(
  taxonomy: Taxonomy,
  set: 'silver' | 'bronze',
  items: SelfCheckItem[],
  opts: CallOptions,
): LlmRequest {
  checkItems(items, 'selfCheckRequest');
  const labelIds = taxonomyLabelIds(taxonomy);
  for (const it of items) checkLabels(it.labels, labelIds, `selfCheckRequest item ${it.id}`);
  const ids = shortIds(items.length);
  const task =
    set === 'silver'
      ? [
          'You are a senior clinical annotator reviewing labels that another annotator gave to sentences from real ' +
            `clinical notes, under the annotation guideline below (taxonomy "${taxonomy.id}", version ${taxonomy.version}).`,
          'Verdicts:\n- keep: the labels are exactly right.\n- fix: the labels are wrong or incomplete; give the ' +
            'complete correct label set (possibly empty).\n- reject: the text is not a usable clinical sentence ' +
            '(garbled, meaningless fragment, not clinical text).',
        ]
      : [
          'You are a senior clinical annotator reviewing synthetic sentences that were written to express given target ' +
            `labels, under the annotation guideline below (taxonomy "${taxonomy.id}", version ${taxonomy.version}). ` +
            'An empty target list means the sentence must express no label.',
          'Verdicts:\n- keep: the sentence expresses exactly its target labels and no others, and reads like a real, ' +
            'de-identified clinical note.\n- fix: it reads like a real note but its correct labels differ from the ' +
            'targets; give the complete correct label set (possibly empty).\n- reject: it does not read like a real ' +
            'note, is not one sentence, or contains identifying details (names, dates, places, numbers).',
        ];
  const system = [
    ...task,
    guidelineText(taxonomy),
    'How to answer: return a JSON object {"verdicts": [{"id": "s1", "verdict": "keep", "labels": [...], "reason": ' +
      '"..."}, ...]} with exactly one entry per item, in the order given. For keep, repeat the given labels. The ' +
      'reason is one short phrase.',
  ].join('\n\n');
  const user = [
    `Review these ${items.length} items (id: {"text", "labels"} as JSON).`,
    ...items.map((it, i) => itemLine(ids[i]!, { text: it.text, labels: normaliseLabels(it.labels, labelIds) })),
  ].join('\n');
  return {
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ],
    schemaName: SELFCHECK_SCHEMA_NAME,
    schema: selfCheckSchema(items.length, labelIds),
    maxTokens: opts.maxTokens,
    temperature: opts.temperature,
    seed: opts.seed,
  };
}

const selfCheckAnswerShape = z.object({
  verdicts: z.array(z.object({ id: z.string(), verdict: z.string(), labels: z.array(z.string()), reason: z.string() })),
});

/**
 * Validates a self-check answer. A `fix` whose labels equal the item's own becomes `keep`; a `keep` always carries
 * the item's own labels (whatever the checker repeated).
 */
export function parseSelfCheckAnswer(
  text: string,
  items: SelfCheckItem[],
  labelIds: string[],
): { ok: true; verdicts: Map<string, SelfCheckVerdict> } | ParseFailure {
  const json = parseJson(text);
  if (!json.ok) return json;
  const shape = selfCheckAnswerShape.safeParse(json.value);
  if (!shape.success) return { ok: false, error: `answer has the wrong shape: ${zodError(shape.error)}` };
  const ids = shortIds(items.length);
  const answers = shape.data.verdicts;
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
    verdicts.set(item.id, { verdict, labels: verdict === 'keep' ? own : given, reason: oneLine(a.reason) });
  }
  return { ok: true, verdicts };
}
