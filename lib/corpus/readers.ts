// Streaming readers for the note corpus (jsonl, text, MTSamples CSV, MIMIC-III NOTEEVENTS CSV) and the gold JSONL.
import { z } from 'zod';
import { InputError, inputError, type Problem } from '../config/problems.js';
import type { GoldRow } from '../run/records.js';
import type { ExperimentFile } from '../config/experiment.js';
import { assertReadableFile, forEachJsonlRow, readTextFile } from '../config/structured-file.js';
import { CsvAssembler, DEFAULT_MAX_ROW_BYTES, lineBatches, type CsvRecord } from './csv.js';

export type CorpusFormat = NonNullable<ExperimentFile['corpus']>['format'];
export const CORPUS_FORMATS: readonly CorpusFormat[] = ['jsonl', 'text', 'mtsamples-csv', 'mimic-noteevents-csv'];

/** One note of the corpus; `line` is the 1-based line of the file where it starts. */
export interface Note {
  id: string;
  text: string;
  line: number;
}

export interface ReadNotesOptions {
  /** `skip`: report a bad row through `onProblem` and go on; `reject`: throw an InputError at the first bad row. */
  onBadRow: 'skip' | 'reject';
  onProblem?: (p: Problem) => void;
  /** Longest row (or line, or text-format note) accepted; longer is an InputError. Default 64 MiB. */
  maxRowBytes?: number;
}

export const MTSAMPLES_COLUMNS = [
  'note_hash',
  'specialties',
  'sample_names',
  'description',
  'transcription',
  'keywords',
] as const;
export const MIMIC_NOTEEVENTS_COLUMNS = [
  'ROW_ID',
  'SUBJECT_ID',
  'HADM_ID',
  'CHARTDATE',
  'CHARTTIME',
  'STORETIME',
  'CATEGORY',
  'DESCRIPTION',
  'CGID',
  'ISERROR',
  'TEXT',
] as const;

const idSchema = z.union([z.string().trim().min(1), z.number().int()], {
  error: 'must be a non-empty string or an integer',
});
const noteSchema = z.object({ id: idSchema, text: z.string({ error: 'must be a string' }) });

/**
 * Streams the notes of a corpus file with constant memory (one read chunk plus the current note).
 * Bad rows (invalid JSON or UTF-8, missing or empty fields, malformed CSV) are reported with the line where the row
 * starts and skipped, or thrown as an InputError with `onBadRow: 'reject'`. A missing file, a directory, an empty
 * file or a wrong CSV header is always an InputError. MIMIC rows with ISERROR=1 are skipped silently.
 * CSV line breaks inside fields are kept as they are in the file (a CRLF stays CRLF).
 */
export async function* readNotes(path: string, format: CorpusFormat, opts: ReadNotesOptions): AsyncGenerator<Note> {
  assertReadableFile(path, 'corpus file');
  const maxRow = opts.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES;
  const bad = (line: number, key: string, message: string): void => {
    const problem: Problem = { file: path, line, key, message };
    if (opts.onBadRow === 'reject') throw new InputError([problem]);
    opts.onProblem?.(problem);
  };
  switch (format) {
    case 'jsonl':
      yield* readJsonl(path, maxRow, bad);
      return;
    case 'text':
      yield* readText(path, maxRow, bad);
      return;
    case 'mtsamples-csv':
      yield* readCsv(path, maxRow, bad, MTSAMPLES_COLUMNS, 'note_hash', 'transcription');
      return;
    case 'mimic-noteevents-csv':
      yield* readCsv(path, maxRow, bad, MIMIC_NOTEEVENTS_COLUMNS, 'ROW_ID', 'TEXT', 'ISERROR');
      return;
    default:
      throw new Error(`unknown corpus format "${String(format)}"; expected one of ${CORPUS_FORMATS.join(', ')}`);
  }
}

type Bad = (line: number, key: string, message: string) => void;

async function* readJsonl(path: string, maxRow: number, bad: Bad): AsyncGenerator<Note> {
  let seen = false;
  for await (const batch of lineBatches(path, maxRow)) {
    const out: Note[] = [];
    for (const line of batch) {
      if (line.text.trim() === '') continue;
      seen = true;
      if (!line.utf8) {
        bad(line.no, '', 'not valid UTF-8 text');
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(line.text);
      } catch (e) {
        bad(line.no, '', `invalid JSON: ${(e as Error).message}`);
        continue;
      }
      const parsed = noteSchema.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        bad(line.no, issue.path.map(String).join('.'), issue.message);
        continue;
      }
      const { id, text } = parsed.data;
      if (text.trim() === '') {
        bad(line.no, 'text', 'empty text');
        continue;
      }
      out.push({ id: String(id), text, line: line.no });
    }
    yield* out;
  }
  if (!seen) throw inputError(path, 1, '', 'file is empty (expected one {"id", "text"} object a line)');
}

async function* readText(path: string, maxRow: number, bad: Bad): AsyncGenerator<Note> {
  let n = 0;
  let lines: string[] = [];
  let size = 0;
  let start = 0;
  let utf8 = true;
  const flush = (out: Note[]): void => {
    if (!lines.length) return;
    n++;
    if (!utf8) bad(start, '', 'not valid UTF-8 text');
    else out.push({ id: `note-${n}`, text: lines.join('\n'), line: start });
    lines = [];
    size = 0;
    utf8 = true;
  };
  for await (const batch of lineBatches(path, maxRow)) {
    const out: Note[] = [];
    for (const line of batch) {
      const text = line.text.endsWith('\r') ? line.text.slice(0, -1) : line.text;
      if (text.trim() === '') {
        flush(out);
        continue;
      }
      if (!lines.length) start = line.no;
      lines.push(text);
      utf8 &&= line.utf8;
      size += text.length + 1;
      if (size > maxRow) throw inputError(path, start, '', `note is longer than ${maxRow} characters`);
    }
    yield* out;
  }
  const out: Note[] = [];
  flush(out);
  yield* out;
  if (n === 0) throw inputError(path, 1, '', 'file is empty (expected notes separated by blank lines)');
}

async function* readCsv(
  path: string,
  maxRow: number,
  bad: Bad,
  expected: readonly string[],
  idColumn: string,
  textColumn: string,
  errorColumn?: string,
): AsyncGenerator<Note> {
  const csv = new CsvAssembler(path, maxRow);
  let index: Map<string, number> | undefined;
  let width = 0;
  let rows = 0;
  const handle = (rec: CsvRecord, out: Note[]): void => {
    if (!index) {
      index = headerIndex(path, rec, expected);
      width = rec.fields.length;
      return;
    }
    rows++;
    if (rec.error) return bad(rec.line, '', rec.error);
    if (rec.fields.length !== width) return bad(rec.line, '', `expected ${width} columns, found ${rec.fields.length}`);
    const get = (col: string): string => rec.fields[index!.get(col)!]!;
    if (errorColumn && get(errorColumn).trim() === '1') return;
    const id = get(idColumn).trim();
    if (!id) return bad(rec.line, idColumn, 'empty id');
    const text = get(textColumn);
    if (text.trim() === '') return bad(rec.line, textColumn, 'empty text');
    out.push({ id, text, line: rec.line });
  };
  for await (const batch of lineBatches(path, maxRow)) {
    const out: Note[] = [];
    for (const line of batch) {
      const rec = csv.push(line);
      if (rec) handle(rec, out);
    }
    yield* out;
  }
  const last = csv.end();
  const out: Note[] = [];
  if (last) handle(last, out);
  yield* out;
  if (!index)
    throw inputError(path, 1, 'header', `expected columns ${expected.join(',')}, found nothing (the file is empty)`);
  if (rows === 0) throw inputError(path, 2, '', 'no rows after the header');
}

/** Maps expected column names (case-insensitive, any order, extra columns allowed) to their positions. */
function headerIndex(path: string, rec: CsvRecord, expected: readonly string[]): Map<string, number> {
  const found = rec.fields.map((f) => f.trim().replace(/^\uFEFF/, ''));
  const positions = new Map<string, number>();
  found.forEach((name, i) => positions.set(name.toLowerCase(), i));
  const index = new Map<string, number>();
  const missing: string[] = [];
  for (const col of expected) {
    const i = positions.get(col.toLowerCase());
    if (i === undefined) missing.push(col);
    else index.set(col, i);
  }
  if (rec.error || missing.length) {
    const shown = found.join(',');
    throw inputError(
      path,
      rec.line,
      'header',
      `expected columns ${expected.join(',')}, found ${shown.length > 200 ? shown.slice(0, 200) + '...' : shown || '(nothing)'}` +
        (missing.length ? ` (missing ${missing.join(', ')})` : ` (${rec.error})`),
    );
  }
  return index;
}

const goldSchema = z.looseObject({
  id: idSchema,
  text: z.string({ error: 'must be a string' }),
  labels: z.array(z.string({ error: 'must be a label id (a string)' }), {
    error: 'must be a list of label ids ([] = none)',
  }),
  note_hash: z.string().optional(),
  noteId: z.string().optional(),
});

/**
 * Reads a gold JSONL file (`{"id", "text", "labels"}` a line; extra fields allowed, `note_hash` becomes `noteId`) and
 * checks it against the taxonomy's label ids. Every problem (bad JSON, missing field, empty text, unknown label,
 * duplicate id) is collected with its line and thrown together as one InputError.
 */
/** Longest gold sentence accepted: longer text is a paragraph or a file pasted into one row, not a sentence. */
export const MAX_GOLD_SENTENCE_CHARS = 2000;

export function readGold(path: string, labelIds: readonly string[]): GoldRow[] {
  const content = readTextFile(path, 'gold file');
  const known = new Set(labelIds);
  const problems: Problem[] = [];
  const firstLine = new Map<string, number>();
  const rows: GoldRow[] = [];
  forEachJsonlRow(content, path, goldSchema, problems, (data, no, problem) => {
    const { text, labels, note_hash, noteId } = data;
    const id = String(data.id);
    let ok = true;
    if (text.trim() === '') {
      problem('text', 'empty text');
      ok = false;
    } else if (text.length > MAX_GOLD_SENTENCE_CHARS) {
      problem(
        'text',
        `${text.length} characters: a gold row is one sentence (at most ${MAX_GOLD_SENTENCE_CHARS} characters); split the text into sentences`,
      );
      ok = false;
    }
    labels.forEach((label, j) => {
      if (!known.has(label)) {
        const hint = label === 'none' ? ' (use [] for none)' : ` (expected one of ${labelIds.join(', ')})`;
        problem(`labels.${j}`, `unknown label "${label}"${hint}`);
        ok = false;
      }
    });
    const first = firstLine.get(id);
    if (first !== undefined) {
      problem('id', `duplicate id "${id}" (first on line ${first})`);
      ok = false;
    } else firstLine.set(id, no);
    if (!ok) return;
    const row: GoldRow = { id, text, labels: [...new Set(labels)] };
    const note = noteId ?? note_hash;
    if (note) row.noteId = note;
    rows.push(row);
  });
  if (!problems.length && !rows.length)
    problems.push({
      file: path,
      line: 1,
      key: '',
      message: 'file is empty (expected one {"id", "text", "labels"} object a line)',
    });
  if (problems.length) throw new InputError(problems);
  return rows;
}
