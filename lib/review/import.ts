// Checks a review import (Label Studio JSON export or the filled CSV) against the run's tasks and taxonomy, and turns its decisions into the reviewed rows the merge applies.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { readJsonl, readRunExperiment, RUN_FILES, writeJson, writeJsonl } from '../run/run-dir.js';
import { InputError, inputError, type Problem } from '../config/problems.js';
import { assertReadableFile } from '../config/structured-file.js';
import { loadTaxonomy } from '../config/taxonomy.js';
import type { ReviewedRow, ReviewTaskRow } from '../run/records.js';
import type { ReviewImportResult } from '../run/review.js';
import { shown, type Decision, type ParsedDecisions } from './decisions.js';
import { parseLabelStudioExport } from './label-studio.js';
import { parseReviewCsv } from './spreadsheet.js';
import { reviewSummary } from './summary.js';

/** Problems listed in one refusal at most (the rest are counted): enough to fix a file, short enough to read. */
const MAX_PROBLEMS = 25;

/** The run's review tasks (review/selection.jsonl), by ref; an InputError when the run exported none. */
export function reviewTasks(runDir: string): Map<string, ReviewTaskRow> {
  const file = join(runDir, RUN_FILES.reviewSelection);
  if (!existsSync(file))
    throw inputError(
      file,
      0,
      '',
      'this run has exported no rows for review (review.enabled is off, or the run has not reached the review stage)',
    );
  return new Map(readJsonl<ReviewTaskRow>(file).map((r) => [r.ref, r]));
}

/** `.json` is a Label Studio export, `.csv` the spreadsheet; other names by their first character (`[` or `{`: JSON). */
function formatOf(file: string): ReviewImportResult['format'] {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'label-studio';
  if (ext === '.csv') return 'csv';
  const head = Buffer.alloc(256);
  const fd = openSync(file, 'r');
  try {
    const n = readSync(fd, head, 0, head.length, 0);
    return /^\s*[[{]/.test(
      head
        .subarray(0, n)
        .toString('utf8')
        .replace(/^\uFEFF/, ''),
    )
      ? 'label-studio'
      : 'csv';
  } finally {
    closeSync(fd);
  }
}

export interface CheckedImport {
  format: ReviewImportResult['format'];
  rows: ReviewedRow[];
  /** Tasks in the file nobody decided on. */
  open: number;
}

/**
 * Reads and checks an import file: the tasks must be this run's, the labels the taxonomy's (`none` alone), at most one
 * decision per task and reviewer (several reviewers' decisions are combined, a disagreement recorded), and at least
 * one decision in all. Throws InputError with every problem as `file:line: key: why`
 * (no sentence text in them: they travel in the Update's failure).
 */
export function checkReviewImport(runDir: string, file: string): CheckedImport {
  assertReadableFile(file, 'review file');
  const format = formatOf(file);
  const parsed: ParsedDecisions = format === 'csv' ? parseReviewCsv(file) : parseLabelStudioExport(file);
  const experiment = readRunExperiment(runDir);
  const taxonomy = loadTaxonomy(experiment.taxonomy);
  const known = new Set(experiment.labels);
  const tasks = reviewTasks(runDir);
  const problems: Problem[] = parsed.problems.map((p) => ({
    file,
    line: p.at.line,
    key: p.at.key,
    message: p.message,
  }));
  const problem = (at: { line: number; key: string }, message: string) =>
    problems.push({ file, line: at.line, key: at.key, message });
  const seen = new Map<string, { line: number; task: number | undefined }>();
  const fallbackTime = new Date(statSync(file).mtimeMs).toISOString();
  const byRef = new Map<string, { task: ReviewTaskRow; reviews: NonNullable<ReviewedRow['reviews']> }>();
  for (const d of parsed.decisions) {
    const task = tasks.get(d.ref);
    if (!task) {
      problem(
        d.refAt,
        `unknown task ${shown(d.ref)}: not one of the ${tasks.size} tasks this run exported (review/tasks.json)`,
      );
      continue;
    }
    const earlier = seen.get(d.ref);
    // Several reviewers on one Label Studio task are one task; the same task twice in a file is a mistake.
    if (earlier !== undefined && (earlier.task === undefined || earlier.task !== d.task)) {
      problem(d.refAt, `task "${d.ref}" appears twice (also at line ${earlier.line}): keep one decision per task`);
      continue;
    }
    seen.set(d.ref, { line: d.refAt.line, task: d.task });
    const labels = labelsOf(d, known, taxonomy.noneLabel, problem);
    if (labels === undefined) continue;
    const entry = byRef.get(d.ref) ?? { task, reviews: [] };
    entry.reviews.push({ reviewer: d.reviewer, labels, drop: d.drop, reviewedAt: d.reviewedAt ?? fallbackTime });
    byRef.set(d.ref, entry);
  }
  const rows: ReviewedRow[] = [...byRef.values()].map(({ task, reviews }) => reviewedRow(task, reviews));
  if (problems.length === 0 && rows.length === 0) {
    problems.push({
      file,
      line: 1,
      key: '',
      message: `no reviewed task in the file (${parsed.open} without a decision): nothing to import; \`clinsynth review skip\` goes on without review`,
    });
  }
  if (problems.length) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    if (problems.length > MAX_PROBLEMS)
      shown.push({
        file,
        line: problems[MAX_PROBLEMS]!.line,
        key: '',
        message: `… and ${problems.length - MAX_PROBLEMS} more problems`,
      });
    throw new InputError(shown);
  }
  const order = new Map([...tasks.keys()].map((ref, i) => [ref, i] as const));
  rows.sort((a, b) => order.get(a.ref)! - order.get(b.ref)!);
  return { format, rows, open: parsed.open };
}

/**
 * One task's reviewed row from its reviewers' decisions. Several reviewers: per label the majority, a tie going the
 * way of the LLM's labels; dropped when more than half dropped; each decision kept, and whether they differ.
 */
function reviewedRow(task: ReviewTaskRow, reviews: NonNullable<ReviewedRow['reviews']>): ReviewedRow {
  const base = { ref: task.ref, set: task.set, id: task.id, llmLabels: task.llmLabels, reasons: task.reasons };
  if (reviews.length === 1) {
    const [r] = reviews as [(typeof reviews)[number]];
    return { ...base, labels: r.labels, drop: r.drop, reviewer: r.reviewer, reviewedAt: r.reviewedAt };
  }
  const n = reviews.length;
  const votes = (l: string) => reviews.filter((r) => r.labels.includes(l)).length;
  const candidates = [...new Set([...task.llmLabels, ...reviews.flatMap((r) => r.labels)])];
  const labels = candidates
    .filter((l) => 2 * votes(l) > n || (2 * votes(l) === n && task.llmLabels.includes(l)))
    .sort();
  const key = (r: (typeof reviews)[number]) => `${r.drop}:${r.labels.join(',')}`;
  return {
    ...base,
    labels,
    drop: 2 * reviews.filter((r) => r.drop).length > n,
    reviewer: reviews.map((r) => r.reviewer).join(', '),
    reviewedAt: reviews.map((r) => r.reviewedAt).sort()[n - 1]!,
    reviews,
    disagreement: new Set(reviews.map(key)).size > 1,
  };
}

/** The decision's labels (sorted; [] for `none`), or undefined after reporting why they cannot be used. */
function labelsOf(
  d: Decision,
  known: ReadonlySet<string>,
  none: string,
  problem: (at: Decision['refAt'], message: string) => void,
): string[] | undefined {
  let ok = true;
  for (const c of d.choices) {
    if (c.value !== none && !known.has(c.value)) {
      problem(c.at, `unknown label ${shown(c.value)} (labels: ${[...known].join(', ')}, or ${none})`);
      ok = false;
    }
  }
  const values = [...new Set(d.choices.map((c) => c.value))];
  if (values.includes(none) && values.length > 1) {
    problem(d.choices.find((c) => c.value === none)!.at, `"${none}" cannot go with other labels`);
    ok = false;
  }
  if (values.length === 0 && !d.drop) {
    problem(d.choicesAt, `no labels chosen for task "${d.ref}" (tick the labels that apply, or ${none})`);
    ok = false;
  }
  return ok ? values.filter((v) => v !== none).sort() : undefined;
}

/**
 * Checks an import file under `<run>/review/imports/` and writes its decisions to review/reviewed.jsonl, with a summary
 * in review/import.json. Rerunning with the same file writes the same rows (idempotent).
 */
export function importReview(runDir: string, file: string): ReviewImportResult {
  const checked = checkReviewImport(runDir, file);
  writeJsonl(join(runDir, RUN_FILES.reviewed), checked.rows);
  const s = reviewSummary(runDir, readRunExperiment(runDir).labels)!;
  const result: ReviewImportResult = {
    file: relative(runDir, file),
    format: checked.format,
    tasks: s.tasks,
    reviewed: s.reviewed,
    changed: s.changed,
    dropped: s.dropped,
    reviewers: s.reviewers,
    disagreements: checked.rows.filter((r) => r.disagreement).length,
  };
  writeJson(join(runDir, RUN_FILES.reviewImport), { ...result, open: checked.open });
  return result;
}
