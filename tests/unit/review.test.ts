// lib/review: choosing rows for review, Label Studio and CSV exports, and checking imports (file:line problems) into reviewed rows.
import { writeExperimentJson } from '../support/experiments.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseRows, LOW_CONFIDENCE_MARGIN, type ClassifierView } from '../../lib/review/select.js';
import { labelStudioConfig, labelStudioTasks, PREDICTION_MODEL } from '../../lib/review/label-studio.js';
import { CSV_COLUMNS, reviewCsv } from '../../lib/review/spreadsheet.js';
import { checkReviewImport, importReview } from '../../lib/review/import.js';
import { reviewSummary } from '../../lib/review/summary.js';
import { writeReviewFiles } from '../../lib/review/export.js';
import type { CheckedRow } from '../../lib/dataset/merge.js';
import { InputError } from '../../lib/config/problems.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';
import { readJsonl, RUN_FILES, writeJson, writeJsonl } from '../../lib/run/run-dir.js';
import { labelIds, loadTaxonomy } from '../../lib/config/taxonomy.js';
import type { ReviewedRow, ReviewTaskRow } from '../../lib/run/records.js';

const TAXONOMY_FILE = resolve(PROJECT_ROOT, 'taxonomy/ad-signs-symptoms.yaml');
const taxonomy = loadTaxonomy(TAXONOMY_FILE);
const LABELS = labelIds(taxonomy);

const row = (
  set: 'silver' | 'bronze',
  id: string,
  labels: string[],
  verdict: CheckedRow['verdict'] = 'keep',
): CheckedRow => ({ set, id, text: `Sentence ${id}.`, labels, verdict });

describe('chooseRows', () => {
  const rows = [
    row('silver', 's1', ['cognitive_impairment'], 'fix'),
    row('silver', 's2', [], 'reject'),
    row('silver', 's3', ['cognitive_impairment']),
    row('bronze', 'b1', ['physiological_changes'], 'fix'),
    row('bronze', 'b2', ['requiring_assistance']),
    row('bronze', 'b3', ['notice_by_others']),
  ];
  const views = new Map<string, ClassifierView>([
    ['silver:s1', { labels: ['cognitive_impairment'], margin: 2 }],
    ['silver:s2', { labels: [], margin: 1.5 }],
    // s3: the classifier disagrees on two labels; b3 on one; b2 agrees but is unsure.
    ['silver:s3', { labels: ['neuropsychiatric_symptoms'], margin: 1.8 }],
    ['bronze:b1', { labels: ['physiological_changes'], margin: 0.02 }],
    ['bronze:b2', { labels: ['requiring_assistance'], margin: LOW_CONFIDENCE_MARGIN / 2 }],
    ['bronze:b3', { labels: [], margin: Infinity }],
  ]);

  it('fills max in the order of select, records every reason that applies, the choosing one first', () => {
    const { tasks, stats } = chooseRows(
      rows,
      views,
      ['selfcheck-fix', 'selfcheck-reject', 'disagreement', 'low-confidence'],
      10,
    );
    expect(tasks.map((t) => [t.ref, t.reasons])).toEqual([
      ['silver:s1', ['selfcheck-fix']],
      ['bronze:b1', ['selfcheck-fix', 'low-confidence']],
      ['silver:s2', ['selfcheck-reject']],
      ['silver:s3', ['disagreement']], // two labels in dispute: before b3's one
      ['bronze:b3', ['disagreement']],
      ['bronze:b2', ['low-confidence']],
    ]);
    expect(stats).toMatchObject({
      candidates: 6,
      selected: 6,
      matching: { 'selfcheck-fix': 2, 'selfcheck-reject': 1, disagreement: 2, 'low-confidence': 2 },
      chosenBy: { 'selfcheck-fix': 2, 'selfcheck-reject': 1, disagreement: 2, 'low-confidence': 1 },
    });
    expect(tasks[3]).toMatchObject({
      set: 'silver',
      id: 's3',
      text: 'Sentence s3.',
      llmLabels: ['cognitive_impairment'],
      verdict: 'keep',
      classifierLabels: ['neuropsychiatric_symptoms'],
      margin: 1.8,
    });
    expect(tasks[4]).toMatchObject({ ref: 'bronze:b3', margin: null });
  });

  it('stops at max, takes the unsurest rows first for low-confidence, and needs the classifier only for its reasons', () => {
    const low = chooseRows(rows, views, ['low-confidence', 'selfcheck-reject'], 2);
    expect(low.tasks.map((t) => t.ref)).toEqual(['bronze:b1', 'bronze:b2']);
    expect(low.stats).toMatchObject({
      selected: 2,
      matching: { 'low-confidence': 2, 'selfcheck-reject': 1 },
      chosenBy: { 'low-confidence': 2 },
    });
    const noClassifier = chooseRows(rows, undefined, ['selfcheck-reject', 'disagreement'], 10);
    expect(noClassifier.tasks.map((t) => t.ref)).toEqual(['silver:s2']);
    expect(noClassifier.tasks[0]!.classifierLabels).toBeUndefined();
  });
});

/** A run directory with the taxonomy, three exported tasks, and (from writeReviewFiles) the reviewers' files. */
function reviewRun(): { runDir: string; tasks: ReviewTaskRow[] } {
  const runDir = mkdtempSync(join(tmpdir(), 'clinsynth-review-test-'));
  writeExperimentJson(runDir, { name: 'review-test', taxonomy: TAXONOMY_FILE, labels: LABELS });
  const tasks: ReviewTaskRow[] = [
    {
      ref: 'silver:s1',
      set: 'silver',
      id: 's1',
      text: 'Daughter says she, "forgets" things,\nall the time.',
      llmLabels: ['cognitive_impairment'],
      verdict: 'fix',
      reasons: ['selfcheck-fix'],
    },
    {
      ref: 'silver:s2',
      set: 'silver',
      id: 's2',
      text: '=SUM(A1) is not a formula here.',
      llmLabels: [],
      verdict: 'reject',
      reasons: ['selfcheck-reject', 'disagreement'],
    },
    {
      ref: 'bronze:b1',
      set: 'bronze',
      id: 'b1',
      text: 'She needs help with bathing.',
      llmLabels: ['requiring_assistance'],
      verdict: 'keep',
      reasons: ['low-confidence'],
    },
  ];
  writeJsonl(join(runDir, RUN_FILES.reviewSelection), tasks);
  writeReviewFiles(runDir, tasks);
  return { runDir, tasks };
}

/** A Label Studio JSON export in the documented shape (Export → JSON): tasks with their annotations. */
function lsExport(
  annotations: Record<string, { choices?: string[]; drop?: boolean; by?: unknown; at?: string; cancelled?: boolean }[]>,
): unknown[] {
  return Object.entries(annotations).map(([ref, anns], i) => ({
    id: 100 + i,
    data: { ref, text: 'ignored on import', source: ref.split(':')[0], reason: 'selfcheck-fix' },
    annotations: anns.map((a, j) => ({
      id: 1000 + j,
      completed_by: a.by ?? 7,
      created_at: a.at ?? '2025-03-01T10:00:00.000000Z',
      updated_at: a.at ?? '2025-03-01T10:00:00.000000Z',
      was_cancelled: a.cancelled ?? false,
      lead_time: 12.5,
      result: [
        ...(a.choices
          ? [{ id: 'r1', from_name: 'labels', to_name: 'text', type: 'choices', value: { choices: a.choices } }]
          : []),
        ...(a.drop
          ? [{ id: 'r2', from_name: 'drop', to_name: 'text', type: 'choices', value: { choices: ['drop'] } }]
          : []),
      ],
    })),
    predictions: [],
    project: 3,
  }));
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).message.split('\n');
  }
  throw new Error('expected an InputError');
}

describe('export files', () => {
  it('writes Label Studio tasks with the LLM labels as a prediction and a multi-choice interface from the taxonomy', () => {
    const { runDir, tasks } = reviewRun();
    const written = JSON.parse(readFileSync(join(runDir, RUN_FILES.reviewTasks), 'utf8')) as unknown[];
    expect(written).toEqual(labelStudioTasks(tasks, taxonomy));
    expect(written[1]).toEqual({
      data: {
        ref: 'silver:s2',
        text: '=SUM(A1) is not a formula here.',
        source: 'silver',
        reason: 'selfcheck-reject, disagreement',
        llm_labels: 'none',
        verdict: 'reject',
        score: 0.5,
      },
      predictions: [
        {
          model_version: PREDICTION_MODEL,
          score: 0.5,
          result: [
            { id: 'llm-labels', from_name: 'labels', to_name: 'text', type: 'choices', value: { choices: ['none'] } },
          ],
        },
      ],
    });
    const config = readFileSync(join(runDir, RUN_FILES.reviewConfig), 'utf8');
    expect(config).toBe(labelStudioConfig(taxonomy));
    // One choice per label (its definition as the hint), none and drop; tags balanced, every & an entity.
    expect(config.match(/<Choice /g)).toHaveLength(LABELS.length + 2);
    expect(config.match(/<Choices /g)).toHaveLength(2);
    expect(config.match(/<\/Choices>/g)).toHaveLength(2);
    expect(config.match(/<View>/g)).toHaveLength(1);
    expect(config.trim().endsWith('</View>')).toBe(true);
    for (const l of taxonomy.labels) expect(config).toContain(`<Choice value="${l.id}"`);
    expect(config).toContain('hint="A decline or deficit of the patient&#39;s memory');
    // The guide above the choices, where stock Label Studio shows it (a hint needs a feature flag): every definition.
    const guide = config.slice(config.indexOf('Label guide'), config.indexOf('<Choices '));
    for (const l of taxonomy.labels) expect(guide).toContain(`<Header value="${l.name.replaceAll("'", '&#39;')}: `);
    expect(guide.match(/<Header value="[^"]*" size="6"/g)).toHaveLength(LABELS.length + 2);
    expect(guide).toContain('A decline or deficit of the patient&#39;s memory');
    expect(config).toMatch(/<Choices name="labels" toName="text" choice="multiple" required="true"/);
    expect(config).not.toMatch(/&(?!#\d+;)/);
  });

  it('writes a CSV that spreadsheets read back: quoted fields, formula-looking text made inert, empty reviewer columns', () => {
    const { runDir, tasks } = reviewRun();
    const csv = readFileSync(join(runDir, RUN_FILES.reviewCsv), 'utf8');
    expect(csv).toBe(reviewCsv(tasks, 'none'));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines[1]).toBe(
      'silver:s1,silver,selfcheck-fix,"Daughter says she, ""forgets"" things,\nall the time.",cognitive_impairment,,,,',
    );
    expect(lines[2]).toBe("silver:s2,silver,selfcheck-reject;disagreement,'=SUM(A1) is not a formula here.,none,,,,");
  });
});

describe('checkReviewImport', () => {
  it("records several reviewers on one task as a disagreement with each one's labels; per label the majority, ties to the LLM", () => {
    const { runDir } = reviewRun();
    const file = join(runDir, 'export.json');
    writeFileSync(
      file,
      JSON.stringify(
        lsExport({
          // The LLM said cognitive_impairment; ann and bob split on it and on notice_by_others.
          'silver:s1': [
            { choices: ['cognitive_impairment', 'notice_by_others'], by: 'ann', at: '2025-03-01T10:00:00Z' },
            { choices: ['none'], by: 'bob', at: '2025-03-02T10:00:00Z' },
          ],
          'silver:s2': [
            { drop: true, by: 'ann', at: '2025-03-01T10:00:00Z' },
            { drop: true, by: 'bob', at: '2025-03-01T11:00:00Z' },
          ],
        }),
      ),
    );
    const r = checkReviewImport(runDir, file);
    expect(
      r.rows.map(({ ref, labels, drop, reviewer, reviewedAt, disagreement }) => ({
        ref,
        labels,
        drop,
        reviewer,
        reviewedAt,
        disagreement,
      })),
    ).toEqual([
      {
        ref: 'silver:s1',
        labels: ['cognitive_impairment'],
        drop: false,
        reviewer: 'ann, bob',
        reviewedAt: '2025-03-02T10:00:00.000Z',
        disagreement: true,
      },
      {
        ref: 'silver:s2',
        labels: [],
        drop: true,
        reviewer: 'ann, bob',
        reviewedAt: '2025-03-01T11:00:00.000Z',
        disagreement: false,
      },
    ]);
    expect(r.rows[0]!.reviews).toEqual([
      {
        reviewer: 'ann',
        labels: ['cognitive_impairment', 'notice_by_others'],
        drop: false,
        reviewedAt: '2025-03-01T10:00:00.000Z',
      },
      { reviewer: 'bob', labels: [], drop: false, reviewedAt: '2025-03-02T10:00:00.000Z' },
    ]);
    const result = importReview(runDir, file);
    expect(result).toMatchObject({ reviewed: 2, reviewers: 2, disagreements: 1 });
  });

  it('reads a Label Studio export: per reviewer the latest annotation that was not cancelled, reviewer and time, open tasks left out', () => {
    const { runDir } = reviewRun();
    const file = join(runDir, 'export.json');
    writeFileSync(
      file,
      JSON.stringify(
        lsExport({
          'silver:s1': [
            // The same reviewer's later annotation replaces this one.
            {
              choices: ['neuropsychiatric_symptoms'],
              by: { id: 3, email: 'ann@example.org' },
              at: '2025-03-01T10:00:00Z',
            },
            {
              choices: ['cognitive_impairment', 'notice_by_others'],
              by: { id: 3, email: 'ann@example.org' },
              at: '2025-03-02T09:30:00Z',
            },
            { choices: ['none'], at: '2025-03-03T00:00:00Z', cancelled: true },
          ],
          'silver:s2': [{ drop: true, by: 'bob' }],
          'bronze:b1': [],
        }),
        null,
        2,
      ),
    );
    const r = checkReviewImport(runDir, file);
    expect(r.format).toBe('label-studio');
    expect(r.open).toBe(1);
    expect(r.rows).toEqual([
      {
        ref: 'silver:s1',
        set: 'silver',
        id: 's1',
        labels: ['cognitive_impairment', 'notice_by_others'],
        drop: false,
        llmLabels: ['cognitive_impairment'],
        reasons: ['selfcheck-fix'],
        reviewer: 'ann@example.org',
        reviewedAt: '2025-03-02T09:30:00.000Z',
      },
      {
        ref: 'silver:s2',
        set: 'silver',
        id: 's2',
        labels: [],
        drop: true,
        llmLabels: [],
        reasons: ['selfcheck-reject', 'disagreement'],
        reviewer: 'bob',
        reviewedAt: '2025-03-01T10:00:00.000Z',
      },
    ]);
  });

  it('refuses a bad Label Studio export with every problem as file:line: key: why', () => {
    const { runDir } = reviewRun();
    const file = join(runDir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify(
        lsExport({
          'silver:s9': [{ choices: ['cognitive_impairment'] }],
          'silver:s1': [{ choices: ['memory_loss', 'none'] }],
          'bronze:b1': [{ choices: [] }],
        }),
        null,
        2,
      ),
    );
    const text = readFileSync(file, 'utf8').split('\n');
    const lineOf = (needle: string, from = 0) => text.findIndex((l, i) => i >= from && l.includes(needle)) + 1;
    const problems = problemsOf(() => checkReviewImport(runDir, file));
    expect(problems).toEqual([
      `${file}:${lineOf('"silver:s9"')}: 0.data.ref: unknown task "silver:s9": not one of the 3 tasks this run exported (review/tasks.json)`,
      `${file}:${lineOf('"memory_loss"')}: 1.annotations.0.result.0.value.choices.0: unknown label "memory_loss" (labels: ${LABELS.join(', ')}, or none)`,
      `${file}:${lineOf('"none"', lineOf('"memory_loss"'))}: 1.annotations.0.result.0.value.choices.1: "none" cannot go with other labels`,
      `${file}:${lineOf('"result"', lineOf('"bronze:b1"'))}: 2.annotations.0.result: no labels chosen for task "bronze:b1" (tick the labels that apply, or none)`,
    ]);
    // No sentence text in the problems: they travel in the Update's failure, into the workflow history.
    expect(problems.join('\n')).not.toContain('Sentence');
  });

  it('refuses files that are no Label Studio export: JSON syntax, JSON-MIN, no tasks, nothing reviewed', () => {
    const { runDir } = reviewRun();
    const write = (name: string, text: string) => {
      const f = join(runDir, name);
      writeFileSync(f, text);
      return f;
    };
    const syntax = write('syntax.json', '[\n  {"data": {"ref": "silver:s1"},\n  "annotations": [}\n]\n');
    expect(problemsOf(() => checkReviewImport(runDir, syntax))[0]).toMatch(
      new RegExp(`^${syntax}:3: \\(root\\): YAML syntax`),
    );
    const min = write(
      'min.json',
      JSON.stringify([{ id: 1, ref: 'silver:s1', text: 'x', labels: { choices: ['none'] } }]),
    );
    expect(problemsOf(() => checkReviewImport(runDir, min))).toEqual([
      `${min}:1: (root): this looks like Label Studio's JSON-MIN export: export as JSON (with annotations) instead`,
    ]);
    const obj = write('obj.json', '{"tasks": []}\n');
    expect(problemsOf(() => checkReviewImport(runDir, obj))[0]).toContain(
      `${obj}:1: (root): expected Label Studio's JSON export: an array of tasks`,
    );
    const noRef = write('noref.json', JSON.stringify([{ id: 1, data: { text: 'x' }, annotations: [] }], null, 2));
    expect(problemsOf(() => checkReviewImport(runDir, noRef))[0]).toBe(
      `${noRef}:4: 0.data.ref: the task has no data.ref (the key clinsynth exported in tasks.json): import the tasks.json of this run`,
    );
    const open = write(
      'open.json',
      JSON.stringify(lsExport({ 'silver:s1': [], 'silver:s2': [{ choices: ['none'], cancelled: true }] })),
    );
    expect(problemsOf(() => checkReviewImport(runDir, open))).toEqual([
      `${open}:1: (root): no reviewed task in the file (2 without a decision): nothing to import; \`clinsynth review skip\` goes on without review`,
    ]);
  });

  it('reads the filled CSV in any column order, and refuses bad cells with their line', () => {
    const { runDir } = reviewRun();
    const good = join(runDir, 'filled.csv');
    writeFileSync(
      good,
      '\uFEFFreviewer,labels,ref,drop,reviewed_at,text\r\nann,cognitive_impairment; notice_by_others,silver:s1,,2025-03-04,"multi\nline"\r\n,,silver:s2,,,\r\ncarl,none,bronze:b1,,,\r\n',
    );
    const r = checkReviewImport(runDir, good);
    expect(r.format).toBe('csv');
    expect(r.open).toBe(1);
    expect(r.rows.map((x) => [x.ref, x.labels, x.reviewer, x.reviewedAt.slice(0, 10)])).toEqual([
      ['silver:s1', ['cognitive_impairment', 'notice_by_others'], 'ann', '2025-03-04'],
      ['bronze:b1', [], 'carl', r.rows[1]!.reviewedAt.slice(0, 10)],
    ]);
    const bad = join(runDir, 'bad.csv');
    writeFileSync(
      bad,
      'ref,labels,drop,reviewed_at\nsilver:s1,dementia,,\nsilver:s2,,maybe,\nbronze:b1,none,,yesterday\nsilver:s1,none,,\n',
    );
    expect(problemsOf(() => checkReviewImport(runDir, bad))).toEqual([
      `${bad}:3: drop: "maybe": write yes to drop the sentence, or leave it empty`,
      `${bad}:4: reviewed_at: "yesterday" is not an ISO 8601 time (e.g. 2025-03-01 or 2025-03-01T14:30:00Z)`,
      `${bad}:2: labels: unknown label "dementia" (labels: ${LABELS.join(', ')}, or none)`,
      `${bad}:5: ref: task "silver:s1" appears twice (also at line 2): keep one decision per task`,
    ]);
    // A cell that holds a sentence where an id belongs is not echoed whole (problems reach the workflow history).
    const pasted = join(runDir, 'pasted.csv');
    writeFileSync(pasted, 'ref,labels\nsilver:s1,Daughter says she forgets things all the time and gets lost\n');
    expect(problemsOf(() => checkReviewImport(runDir, pasted))[0]).toBe(
      `${pasted}:2: labels: unknown label "Daughter says she forgets things all th…" (labels: ${LABELS.join(', ')}, or none)`,
    );
    const noRun = mkdtempSync(join(tmpdir(), 'clinsynth-no-review-'));
    writeExperimentJson(noRun, { name: 'x', taxonomy: TAXONOMY_FILE, labels: LABELS });
    expect(problemsOf(() => checkReviewImport(noRun, good))[0]).toMatch(
      /selection\.jsonl:0: \(root\): this run has exported no rows for review/,
    );
    const noHeader = join(runDir, 'noheader.csv');
    writeFileSync(noHeader, 'id,label\nsilver:s1,none\n');
    expect(problemsOf(() => checkReviewImport(runDir, noHeader))).toEqual([
      `${noHeader}:1: (root): the header row lacks the columns ref, labels (expected ${CSV_COLUMNS.join(',')})`,
    ]);
  });
});

describe('importReview and reviewSummary', () => {
  it('writes the reviewed rows and the import summary (the same again on a rerun), and counts agreement per label', () => {
    const { runDir } = reviewRun();
    const file = join(runDir, 'review', 'imports', 'export.json');
    writeJson(
      file,
      lsExport({
        'silver:s1': [{ choices: ['cognitive_impairment', 'notice_by_others'] }],
        'silver:s2': [{ drop: true }],
        'bronze:b1': [{ choices: ['requiring_assistance'] }],
      }),
    );
    const result = importReview(runDir, file);
    expect(result).toEqual({
      file: 'review/imports/export.json',
      format: 'label-studio',
      tasks: 3,
      reviewed: 3,
      changed: 1,
      dropped: 1,
      reviewers: 1,
      disagreements: 0,
    });
    const rows = readJsonl<ReviewedRow>(join(runDir, RUN_FILES.reviewed));
    expect(importReview(runDir, file)).toEqual(result);
    expect(readJsonl<ReviewedRow>(join(runDir, RUN_FILES.reviewed))).toEqual(rows);
    expect(JSON.parse(readFileSync(join(runDir, RUN_FILES.reviewImport), 'utf8'))).toEqual({ ...result, open: 0 });
    const s = reviewSummary(runDir, LABELS)!;
    expect(s).toMatchObject({ tasks: 3, reviewed: 3, changed: 1, dropped: 1, reviewers: 1 });
    expect(s.byReason).toEqual({
      'selfcheck-fix': { tasks: 1, reviewed: 1, changed: 1, dropped: 0 },
      'selfcheck-reject': { tasks: 1, reviewed: 1, changed: 0, dropped: 1 },
      disagreement: { tasks: 1, reviewed: 1, changed: 0, dropped: 1 },
      'low-confidence': { tasks: 1, reviewed: 1, changed: 0, dropped: 0 },
    });
    // Two kept rows: s1 (reviewer added notice_by_others) and b1 (confirmed).
    expect(s.agreement).toMatchObject({ n: 2, exactMatch: 0.5 });
    expect(s.agreement!.perLabel.notice_by_others).toEqual({ llm: 0, reviewer: 1, both: 0, agreement: 0.5 });
    expect(s.agreement!.perLabel.cognitive_impairment).toEqual({ llm: 1, reviewer: 1, both: 1, agreement: 1 });
    expect(reviewSummary(mkdtempSync(join(tmpdir(), 'clinsynth-no-review-')), LABELS)).toBeUndefined();
  });
});
