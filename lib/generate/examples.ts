// Few-shot examples for the silver prompt (silver.examples): reading and checking the file, the leakage check against
// the gold, the content hash that enters the prompt version, and the k examples shown on each page (fixed or similar).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { z } from 'zod';
import type { Experiment } from '../config/experiment.js';
import type { Problem } from '../config/problems.js';
import { InputError } from '../config/problems.js';
import { forEachJsonlRow, readTextFile } from '../config/structured-file.js';
import { normaliseSentence } from '../corpus/sentences.js';
import { dot, findLeakage, LEAKAGE_THRESHOLD, type EmbedFn } from '../dataset/leakage.js';

/** silver.shots when the experiment names examples but no count. */
export const DEFAULT_SHOTS = 4;
export const SELECT_EXAMPLES = ['fixed', 'similar'] as const;
export type SelectExamples = (typeof SELECT_EXAMPLES)[number];

/** One labelled sentence of the examples file, as the silver template sees it (`examples[i].text`, `.labels`). */
export interface FewShotExample {
  text: string;
  labels: string[];
}

export interface ExampleRow extends FewShotExample {
  /** Line of the examples file (from 1). */
  line: number;
}

const exampleSchema = z.looseObject({
  text: z.string({ error: 'must be a string' }).refine((t) => t.trim() !== '', 'empty text'),
  labels: z.array(z.string({ error: 'must be a label id (a string)' }), {
    error: 'must be a list of label ids ([] = none)',
  }),
});

/** Reads a JSONL examples file (`{"text", "labels"}` a line); every problem as `file:line: key: what is wrong`. */
export function readExamplesFile(
  file: string,
  labelIds: readonly string[],
): { rows: ExampleRow[]; problems: Problem[] } {
  const known = new Set(labelIds);
  const rows: ExampleRow[] = [];
  const problems: Problem[] = [];
  forEachJsonlRow(readTextFile(file, 'examples file'), file, exampleSchema, problems, (data, line, problem) => {
    const bad = data.labels.findIndex((l) => !known.has(l));
    if (bad >= 0)
      return problem(`labels.${bad}`, `unknown label "${data.labels[bad]}" (expected one of ${labelIds.join(', ')})`);
    const labels = labelIds.filter((l) => data.labels.includes(l));
    rows.push({ text: data.text.replace(/\s+/g, ' ').trim(), labels, line });
  });
  if (rows.length === 0 && problems.length === 0) problems.push({ file, line: 1, key: '', message: 'no examples' });
  return { rows, problems };
}

/** The examples of a validated experiment (InputError when the file has problems); [] without silver.examples. */
export function loadExamples(e: Experiment): ExampleRow[] {
  const file = e.silver.examples;
  if (file === undefined) return [];
  const { rows, problems } = readExamplesFile(file, e.labels);
  if (problems.length) throw new InputError(problems);
  return rows;
}

/** How many examples each silver request shows, and how they are chosen (absent in older runs: none). */
export function shotsOf(e: Experiment): { shots: number; select: SelectExamples } {
  return { shots: e.silver.shots ?? DEFAULT_SHOTS, select: e.silver.selectExamples ?? 'fixed' };
}

/** What the examples add to the silver prompt version: `+examples@<hash>` of the file's content, shots and choice. */
export function examplesVersion(e: Experiment): string {
  const file = e.silver.examples;
  if (file === undefined) return '';
  const { shots, select } = shotsOf(e);
  const h = createHash('sha256').update(readFileSync(file)).update(`\u0000${shots}\u0000${select}`).digest('hex');
  return `+examples@${h.slice(0, 12)}`;
}

/** Non-empty sentences of the gold files with their lines (the gold is read, not validated, here). */
function goldSentences(e: Experiment): { id: string; text: string }[] {
  const out: { id: string; text: string }[] = [];
  for (const file of [e.gold.train, e.gold.test, e.gold.path]) {
    if (file === undefined) continue;
    readTextFile(file, 'gold file')
      .split('\n')
      .forEach((raw, i) => {
        try {
          const text = (JSON.parse(raw) as { text?: unknown }).text;
          if (typeof text === 'string' && text.trim()) out.push({ id: `${file}:${i + 1}`, text });
        } catch {
          // the gold file's own check (preflight) reports it
        }
      });
  }
  return out;
}

/**
 * Checks silver.examples: the file's own problems (JSON, keys, unknown labels), then leakage: an example equal to a
 * gold sentence (normalised text) or near one (cosine ≥ the leakage threshold, by `embed`) is an error naming both
 * lines. Silver must not depend on the evaluation folds, so no gold sentence (train or test) may be an example.
 */
export async function checkExamples(e: Experiment, embed: EmbedFn): Promise<Problem[]> {
  const file = e.silver.examples;
  if (file === undefined) return [];
  const { rows, problems } = readExamplesFile(file, e.labels);
  const gold = goldSentences(e);
  if (rows.length === 0 || gold.length === 0) return problems;
  const exact = new Map<string, string>();
  for (const g of gold) if (!exact.has(normaliseSentence(g.text))) exact.set(normaliseSentence(g.text), g.id);
  const near = rows.filter((r) => !exact.has(normaliseSentence(r.text)));
  const vecs = near.length ? await embed([...near.map((r) => r.text), ...gold.map((g) => g.text)]) : [];
  const goldVec = new Map(gold.map((g, i) => [g.id, vecs[near.length + i]!]));
  const rowVecs = vecs.slice(0, near.length);
  const ids = near.map((r) => String(r.line));
  const leaks = await findLeakage(
    near.map((r, i) => ({ id: ids[i]!, text: r.text })),
    rowVecs,
    gold,
    vecs.slice(near.length),
    { threshold: LEAKAGE_THRESHOLD },
  );
  const show = (goldId: string) => {
    const at = goldId.lastIndexOf(':');
    const path = goldId.slice(0, at);
    const rel = relative(process.cwd(), path);
    return `${rel && !rel.startsWith('..') ? rel : path}${goldId.slice(at)}`;
  };
  for (const r of rows) {
    const same = exact.get(normaliseSentence(r.text));
    const i = near.indexOf(r);
    const leak = same ?? (i >= 0 ? leaks.get(ids[i]!) : undefined);
    if (leak === undefined) continue;
    const message = same
      ? `equals gold sentence at ${show(leak)}`
      : `near gold sentence at ${show(leak)} (cosine ${dot(rowVecs[i]!, goldVec.get(leak)!).toFixed(2)})`;
    problems.push({ file, line: r.line, key: 'text', message: `${message}: gold is never a source of examples` });
  }
  return problems.sort((a, b) => a.line - b.line);
}

const pick = (chosen: readonly ExampleRow[]) => chosen.map(({ text, labels }) => ({ text, labels }));

/** The `shots` rows whose vectors are nearest the page's (cosine to the sum of its unit vectors), in file order. */
function nearest(
  rows: readonly ExampleRow[],
  rowVecs: readonly Float32Array[],
  pageVecs: readonly Float32Array[],
  shots: number,
): FewShotExample[] {
  const page = new Float32Array(rowVecs[0]!.length);
  for (const v of pageVecs) for (let k = 0; k < v.length; k++) page[k] = page[k]! + v[k]!;
  const scored = rows.map((r, i) => ({ i, s: dot(rowVecs[i]!, page) }));
  scored.sort((a, b) => b.s - a.s || a.i - b.i);
  const keep = new Set(scored.slice(0, shots).map((x) => x.i));
  return pick(rows.filter((_, i) => keep.has(i)));
}

/**
 * The examples a silver request shows for a page of sentences: `fixed` the first `shots` of the file; `similar` the
 * `shots` whose vectors are nearest the page's (cosine to the sum of the page's unit vectors), in file order.
 */
export async function selectExamples(
  rows: readonly ExampleRow[],
  pageTexts: readonly string[],
  opts: { shots: number; select: SelectExamples; embed: EmbedFn },
): Promise<FewShotExample[]> {
  if (rows.length <= opts.shots) return pick(rows);
  if (opts.select === 'fixed' || pageTexts.length === 0) return pick(rows.slice(0, opts.shots));
  const vecs = await opts.embed([...rows.map((r) => r.text), ...pageTexts]);
  return nearest(rows, vecs.slice(0, rows.length), vecs.slice(rows.length), opts.shots);
}

/**
 * The examples of each silver call (its sentences' texts): none without silver.examples; `similar` needs the run's
 * encoder (`embed`). Per call rather than per page, so the same sentences get the same examples at any page size and
 * the answer cache still answers: the examples are embedded once (alone), each call's sentences on their own.
 */
export async function examplesPerCall(
  e: Experiment,
  calls: readonly (readonly { text: string }[])[],
  embed?: EmbedFn,
): Promise<FewShotExample[][]> {
  const rows = loadExamples(e);
  if (rows.length === 0) return calls.map(() => []);
  const { shots, select } = shotsOf(e);
  if (select === 'similar' && !embed) throw new Error('silver.selectExamples similar: no sentence encoder given');
  if (rows.length <= shots) return calls.map(() => pick(rows));
  if (select === 'fixed' || !embed) return calls.map(() => pick(rows.slice(0, shots)));
  const rowVecs = await embed(rows.map((r) => r.text));
  const out: FewShotExample[][] = [];
  for (const c of calls)
    out.push(c.length ? nearest(rows, rowVecs, await embed(c.map((x) => x.text)), shots) : pick(rows.slice(0, shots)));
  return out;
}
