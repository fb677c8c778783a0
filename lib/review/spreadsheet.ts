// The review as a spreadsheet: tasks.csv to fill in (one row per sentence, empty label cells), and reading it back.
import { readTextFile } from '../config/structured-file.js';
import type { ReviewTaskRow } from '../run/records.js';
import { CsvAssembler, type CsvRecord } from '../corpus/csv.js';
import { CONTROLS, isoTime, shown, type ParsedDecisions } from './decisions.js';

/** The columns of tasks.csv; reviewers fill `labels` (and `drop`, `reviewer`, `reviewed_at`); the rest is context. */
export const CSV_COLUMNS = [
  'ref',
  'source',
  'reasons',
  'text',
  'llm_labels',
  CONTROLS.labels,
  CONTROLS.drop,
  'reviewer',
  'reviewed_at',
] as const;

/** Quotes a field per RFC 4180; a text cell starting like a formula gets a leading ' so spreadsheets show it as text. */
function field(value: string, text = false): string {
  const v = text && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** tasks.csv: labels joined by `;`, `none` for no label; the reviewer's columns start empty. */
export function reviewCsv(tasks: readonly ReviewTaskRow[], noneLabel: string): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const t of tasks) {
    lines.push(
      [
        field(t.ref),
        t.set,
        field(t.reasons.join(';')),
        field(t.text, true),
        field(t.llmLabels.join(';') || noneLabel),
        '',
        '',
        '',
        '',
      ].join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

const TRUE = new Set(['yes', 'y', 'true', '1', 'x', 'drop']);
const FALSE = new Set(['', 'no', 'n', 'false', '0']);

/**
 * Reads a filled tasks.csv (any column order; columns other than ref, labels, drop, reviewer and reviewed_at are
 * ignored). A row with an empty `labels` cell and no `drop` is left open. Labels are separated by `;`, `,` or `|`.
 */
export function parseReviewCsv(file: string): ParsedDecisions {
  const text = readTextFile(file, 'review file').replace(/^\uFEFF/, ''); // spreadsheets often save a byte-order mark
  const out: ParsedDecisions = { decisions: [], open: 0, problems: [] };
  const csv = new CsvAssembler(file);
  const records: CsvRecord[] = [];
  text.split('\n').forEach((line, i) => {
    const rec = csv.push({ text: line, no: i + 1, utf8: true });
    if (rec) records.push(rec);
  });
  const last = csv.end();
  if (last) records.push(last);
  const header = records.shift();
  const columns = header?.fields.map((f) => f.trim().toLowerCase()) ?? [];
  const col = new Map(columns.map((c, i) => [c, i] as const));
  const missing = ['ref', CONTROLS.labels].filter((c) => !col.has(c));
  if (!header || missing.length) {
    return {
      ...out,
      problems: [
        {
          at: { line: header?.line ?? 1, key: '' },
          message: `the header row lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected ${CSV_COLUMNS.join(',')})`,
        },
      ],
    };
  }
  const get = (rec: CsvRecord, name: string) => (col.has(name) ? (rec.fields[col.get(name)!] ?? '').trim() : '');
  for (const rec of records) {
    if (rec.error) {
      out.problems.push({ at: { line: rec.line, key: '' }, message: rec.error });
      continue;
    }
    const where = (key: string) => ({ line: rec.line, key });
    const cell = get(rec, CONTROLS.labels);
    const dropCell = get(rec, CONTROLS.drop).toLowerCase();
    if (!TRUE.has(dropCell) && !FALSE.has(dropCell))
      out.problems.push({
        at: where(CONTROLS.drop),
        message: `${shown(dropCell)}: write yes to drop the sentence, or leave it empty`,
      });
    const drop = TRUE.has(dropCell);
    if (cell === '' && !drop) {
      out.open++;
      continue;
    }
    const stamp = get(rec, 'reviewed_at');
    const reviewedAt = stamp ? isoTime(stamp) : undefined;
    if (stamp && !reviewedAt)
      out.problems.push({
        at: where('reviewed_at'),
        message: `${shown(stamp)} is not an ISO 8601 time (e.g. 2025-03-01 or 2025-03-01T14:30:00Z)`,
      });
    out.decisions.push({
      ref: get(rec, 'ref'),
      refAt: where('ref'),
      choices: cell
        .split(/[;,|]/)
        .map((v) => v.trim())
        .filter(Boolean)
        .map((value) => ({ value, at: where(CONTROLS.labels) })),
      choicesAt: where(CONTROLS.labels),
      drop,
      reviewer: get(rec, 'reviewer') || 'unknown',
      ...(reviewedAt ? { reviewedAt } : {}),
    });
  }
  return out;
}
