// lib/dataset/merge.ts + sql/*.sql on real DuckDB: merge with verdicts as columns, provenance, exports, composition, reruns, training rows.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeRunDatasets, trainingRows, withDuckDb, DATASET_TABLES } from '../../lib/dataset/merge.js';
import { pagePath, writeJsonl, RUN_FILES } from '../../lib/run/run-dir.js';
import type { BronzeRow, ReviewedRow, SilverRow, VerdictRow } from '../../lib/run/records.js';
import { sharedEmbed } from '../../lib/model/embeddings.js';

const prov = (n: string) => ({
  model: 'openai:fake',
  promptVersion: `p-${n}`,
  cacheKey: `${n.repeat(64)}`.slice(0, 64),
});

/** Distinct sentences: near-identical fixtures would (rightly) be flagged as near-duplicates by the merge. */
const BRONZE_TEXTS: Record<string, string> = {
  'b-1': 'She has a shuffling gait and two recent falls.',
  'b-2': 'Her son now manages her bills and medications.',
};

function silverRow(id: string, labels: string[], extra: Partial<SilverRow> = {}): SilverRow {
  const i = Number(id.slice(1));
  return {
    id,
    noteId: `note-${i}`,
    start: i * 10,
    end: i * 10 + 8,
    text: `Silver sentence ${id}.`,
    labels,
    reason: `cue:x:${id}`,
    ...prov('a'),
    cacheKey: `ck-silver-${id}`,
    ...extra,
  };
}

function bronzeRow(id: string, labels: string[]): BronzeRow {
  return {
    id,
    text: BRONZE_TEXTS[id] ?? `Bronze sentence ${id}.`,
    labels,
    style: { noteType: 'progress note', speaker: 'clinician', severity: 'mild', abbreviations: 'no' },
    ...prov('b'),
    cacheKey: `ck-bronze-${id}`,
  };
}

function verdict(set: 'silver' | 'bronze', id: string, v: VerdictRow['verdict'], labels: string[]): VerdictRow {
  return {
    id,
    set,
    verdict: v,
    labels,
    reason: `because ${v}`,
    model: 'openai:fake',
    promptVersion: 'selfcheck-v1',
    cacheKey: `ck-check-${id}`,
  };
}

/** A run directory with gold, two silver pages, one bronze page and self-check verdicts for both. */
function fullRunDir(): string {
  const runDir = mkdtempSync(join(tmpdir(), 'clinsynth-datasets-test-'));
  writeJsonl(join(runDir, RUN_FILES.goldTrain), [
    { id: 'g1', text: 'She is forgetful.', labels: ['cognitive_impairment'], noteId: 'gn1', split: 'train' },
    { id: 'g2', text: 'BP is fine.', labels: [], noteId: null, split: 'train' },
    {
      id: 'g3',
      text: 'MoCA 20/30; continue donepezil.',
      labels: ['dementia_treatment', 'cognitive_assessment'],
      noteId: 'gn2',
      split: 'train',
    },
  ]);
  writeJsonl(join(runDir, RUN_FILES.goldTest), [
    { id: 't1', text: 'He is confused.', labels: ['cognitive_impairment'], noteId: 'gn3', split: 'test' },
    { id: 't2', text: 'Lungs clear.', labels: [], noteId: null, split: 'test' },
  ]);
  writeJsonl(pagePath(runDir, 'silver', 0), [
    silverRow('s1', ['cognitive_impairment']),
    silverRow('s2', ['neuropsychiatric_symptoms']),
    silverRow('s3', []),
  ]);
  writeJsonl(pagePath(runDir, 'silver', 1), [silverRow('s4', ['dementia_diagnosis'])]);
  writeJsonl(pagePath(runDir, 'bronze', 0), [bronzeRow('b-1', ['physiological_changes']), bronzeRow('b-2', [])]);
  writeJsonl(pagePath(runDir, 'verdictsSilver', 0), [
    verdict('silver', 's1', 'keep', ['cognitive_impairment']),
    verdict('silver', 's2', 'fix', ['notice_by_others', 'cognitive_impairment']),
    verdict('silver', 's3', 'reject', []),
  ]);
  writeJsonl(pagePath(runDir, 'verdictsBronze', 0), [
    verdict('bronze', 'b-1', 'keep', ['physiological_changes']),
    verdict('bronze', 'b-2', 'fix', ['requiring_assistance']),
  ]);
  return runDir;
}

type Row = Record<string, unknown>;

async function query(sql: string): Promise<Row[]> {
  return withDuckDb(':memory:', async (c) => (await c.runAndReadAll(sql)).getRowObjectsJson() as Row[]);
}

const parquet = (runDir: string, table: string): string =>
  `read_parquet('${join(runDir, RUN_FILES.datasets, `${table}.parquet`)}')`;

function readJsonLines(file: string): Row[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
}

describe('mergeRunDatasets', () => {
  it('counts rows per source and usable rows, and verdicts per source', async () => {
    const runDir = fullRunDir();
    const refused = [
      {
        jobIndex: 0,
        labels: ['memory_loss'],
        text: 'memory_loss',
        reason: 'a label id or name, not a sentence',
        cacheKey: 'k0',
      },
      {
        jobIndex: 1,
        labels: [],
        text: 'Per daughter, ...',
        reason: 'contains an ellipsis placeholder',
        cacheKey: 'k1',
      },
    ];
    writeJsonl(pagePath(runDir, 'bronzeRejected', 0), refused);
    const summary = await mergeRunDatasets(runDir, { embed: sharedEmbed });
    expect(summary.counts).toEqual({
      gold_train: 3,
      gold_train_usable: 3,
      gold_test: 2,
      gold_test_usable: 2,
      silver: 4,
      silver_usable: 3,
      bronze: 2,
      bronze_usable: 2,
      phiFlagged: 0,
      leakageDropped: 0,
      bronzeNearDuplicates: 0,
      bronzeRepeatsMerged: 0,
      bronzeRejected: 2,
    });
    expect(readFileSync(join(runDir, RUN_FILES.datasets, 'README.md'), 'utf8')).toContain(
      '2 refused before these exports',
    );
    const v = Object.fromEntries(summary.verdicts.map((x) => [`${x.source}:${x.verdict}`, x.n]));
    expect(v).toEqual({ 'silver:keep': 1, 'silver:fix': 1, 'silver:reject': 1, 'bronze:keep': 1, 'bronze:fix': 1 });
    const saved = JSON.parse(readFileSync(join(runDir, RUN_FILES.datasets, 'summary.json'), 'utf8')) as unknown;
    expect(saved).toEqual(summary);
    expect(existsSync(join(runDir, RUN_FILES.datasets, 'clinsynth.duckdb'))).toBe(true);
  });

  it('applies verdicts as columns: fix takes the checker labels, reject stays but is unusable', async () => {
    const runDir = fullRunDir();
    await mergeRunDatasets(runDir, { embed: sharedEmbed });
    const rows = await query(
      `SELECT id, labels, llm_labels, verdict, verdict_reason, usable FROM ${parquet(runDir, 'merged')} WHERE source = 'silver' ORDER BY id`,
    );
    expect(rows).toEqual([
      {
        id: 's1',
        labels: ['cognitive_impairment'],
        llm_labels: ['cognitive_impairment'],
        verdict: 'keep',
        verdict_reason: 'because keep',
        usable: true,
      },
      {
        id: 's2',
        labels: ['cognitive_impairment', 'notice_by_others'],
        llm_labels: ['neuropsychiatric_symptoms'],
        verdict: 'fix',
        verdict_reason: 'because fix',
        usable: true,
      },
      { id: 's3', labels: [], llm_labels: [], verdict: 'reject', verdict_reason: 'because reject', usable: false },
      {
        id: 's4',
        labels: ['dementia_diagnosis'],
        llm_labels: ['dementia_diagnosis'],
        verdict: null,
        verdict_reason: null,
        usable: true,
      },
    ]);
    const bronze = await query(
      `SELECT id, labels, llm_labels, verdict, usable FROM ${parquet(runDir, 'bronze')} ORDER BY id`,
    );
    expect(bronze).toEqual([
      {
        id: 'b-1',
        labels: ['physiological_changes'],
        llm_labels: ['physiological_changes'],
        verdict: 'keep',
        usable: true,
      },
      { id: 'b-2', labels: ['requiring_assistance'], llm_labels: [], verdict: 'fix', usable: true },
    ]);
    // Gold labels are sorted, never touched by verdicts, and gold is always usable.
    const gold = await query(
      `SELECT id, split, labels, note_id, verdict, usable FROM ${parquet(runDir, 'gold')} ORDER BY id`,
    );
    expect(gold).toEqual([
      { id: 'g1', split: 'train', labels: ['cognitive_impairment'], note_id: 'gn1', verdict: null, usable: true },
      { id: 'g2', split: 'train', labels: [], note_id: null, verdict: null, usable: true },
      {
        id: 'g3',
        split: 'train',
        labels: ['cognitive_assessment', 'dementia_treatment'],
        note_id: 'gn2',
        verdict: null,
        usable: true,
      },
      { id: 't1', split: 'test', labels: ['cognitive_impairment'], note_id: 'gn3', verdict: null, usable: true },
      { id: 't2', split: 'test', labels: [], note_id: null, verdict: null, usable: true },
    ]);
  });

  it('keeps provenance columns in merged.parquet', async () => {
    const runDir = fullRunDir();
    await mergeRunDatasets(runDir, { embed: sharedEmbed });
    const cols = (await query(`DESCRIBE SELECT * FROM ${parquet(runDir, 'merged')}`)).map((r) => r.column_name);
    for (const c of [
      'id',
      'source',
      'split',
      'text',
      'labels',
      'note_id',
      'start_offset',
      'end_offset',
      'model',
      'prompt_version',
      'cache_key',
      'style',
      'selection_reason',
      'verdict',
      'verdict_reason',
      'llm_labels',
      'usable',
    ]) {
      expect(cols).toContain(c);
    }
    const [s2] = await query(
      `SELECT note_id, start_offset, end_offset, model, prompt_version, cache_key, selection_reason, split FROM ${parquet(runDir, 'merged')} WHERE id = 's2'`,
    );
    expect(s2).toEqual({
      note_id: 'note-2',
      start_offset: 20,
      end_offset: 28,
      model: 'openai:fake',
      prompt_version: 'p-a',
      cache_key: 'ck-silver-s2',
      selection_reason: 'cue:x:s2',
      split: 'train',
    });
    const [b1] = await query(
      `SELECT model, prompt_version, cache_key, style, note_id FROM ${parquet(runDir, 'merged')} WHERE id = 'b-1'`,
    );
    expect(b1).toMatchObject({
      model: 'openai:fake',
      prompt_version: 'p-b',
      cache_key: 'ck-bronze-b-1',
      note_id: null,
    });
    const style = typeof b1!.style === 'string' ? (JSON.parse(b1!.style) as unknown) : b1!.style;
    expect(style).toEqual({ noteType: 'progress note', speaker: 'clinician', severity: 'mild', abbreviations: 'no' });
  });

  it('exports JSONL and Parquet for gold, silver, bronze, reviewed and merged, with the same rows', async () => {
    const runDir = fullRunDir();
    await mergeRunDatasets(runDir, { embed: sharedEmbed });
    const expected: Record<string, number> = { gold: 5, silver: 4, bronze: 2, reviewed: 0, merged: 11 };
    expect([...DATASET_TABLES]).toEqual(['gold', 'silver', 'bronze', 'reviewed', 'merged']);
    for (const t of DATASET_TABLES) {
      const jsonl = join(runDir, RUN_FILES.datasets, `${t}.jsonl`);
      expect(existsSync(jsonl), jsonl).toBe(true);
      const lines = readJsonLines(jsonl);
      expect(lines, t).toHaveLength(expected[t]!);
      const [{ n }] = (await query(`SELECT count(*)::INTEGER AS n FROM ${parquet(runDir, t)}`)) as [{ n: number }];
      expect(n, t).toBe(expected[t]);
    }
    const merged = readJsonLines(join(runDir, RUN_FILES.datasets, 'merged.jsonl'));
    const s3 = merged.find((r) => r.id === 's3');
    expect(s3).toMatchObject({ source: 'silver', verdict: 'reject', usable: false, cache_key: 'ck-silver-s3' });
    expect(new Set(merged.map((r) => r.source))).toEqual(new Set(['gold', 'silver', 'bronze']));
  });

  it('reports composition: usable train rows per source and label', async () => {
    const runDir = fullRunDir();
    const { composition } = await mergeRunDatasets(runDir, { embed: sharedEmbed });
    const got = Object.fromEntries(composition.map((c) => [`${c.source}:${c.label}`, c.n]));
    expect(got).toEqual({
      // gold test rows are left out
      'gold:cognitive_impairment': 1,
      'gold:none': 1,
      'gold:cognitive_assessment': 1,
      'gold:dementia_treatment': 1,
      // s2 counts with its fixed labels, s3 (rejected) not at all
      'silver:cognitive_impairment': 2,
      'silver:notice_by_others': 1,
      'silver:dementia_diagnosis': 1,
      'bronze:physiological_changes': 1,
      'bronze:requiring_assistance': 1,
    });
  });

  it('keeps a bronze sentence that several calls wrote once, usable, and counts the repeats', async () => {
    const runDir = fullRunDir();
    // Page 1 repeats b-1 (same text, so the same id) under another target label, and adds b-3.
    const again = { ...bronzeRow('b-1', ['requiring_assistance']), cacheKey: 'ck-bronze-b-1-again' };
    const b3 = {
      ...bronzeRow('b-3', ['cognitive_impairment']),
      text: 'He repeats the same questions during the visit.',
    };
    writeJsonl(pagePath(runDir, 'bronze', 1), [again, b3]);
    writeJsonl(pagePath(runDir, 'verdictsBronze', 1), [
      verdict('bronze', 'b-1', 'keep', ['requiring_assistance']),
      verdict('bronze', 'b-3', 'keep', ['cognitive_impairment']),
    ]);
    const summary = await mergeRunDatasets(runDir, { embed: sharedEmbed });
    expect(summary.counts).toMatchObject({
      bronze: 3,
      bronze_usable: 3,
      bronzeRepeatsMerged: 1,
      bronzeNearDuplicates: 0,
    });
    expect(summary.safety.repeatsMerged).toBe(1);
    const rows = await query(
      `SELECT id, cache_key, usable, near_duplicate_of FROM ${parquet(runDir, 'bronze')} ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 'b-1', cache_key: 'ck-bronze-b-1', usable: true, near_duplicate_of: null }, // from the first page
      { id: 'b-2', cache_key: 'ck-bronze-b-2', usable: true, near_duplicate_of: null },
      { id: 'b-3', cache_key: 'ck-bronze-b-3', usable: true, near_duplicate_of: null },
    ]);
  });

  it('works with an empty silver stage (no page files) and no verdicts', async () => {
    const runDir = fullRunDir();
    const bare = mkdtempSync(join(tmpdir(), 'clinsynth-datasets-empty-'));
    writeJsonl(join(bare, RUN_FILES.goldTrain), readJsonLines(join(runDir, RUN_FILES.goldTrain)));
    writeJsonl(join(bare, RUN_FILES.goldTest), readJsonLines(join(runDir, RUN_FILES.goldTest)));
    writeJsonl(pagePath(bare, 'bronze', 0), [bronzeRow('b-9', ['physiological_changes'])]);
    const summary = await mergeRunDatasets(bare, { embed: sharedEmbed });
    expect(summary.counts.silver ?? 0).toBe(0);
    expect(summary.counts.bronze).toBe(1);
    expect(summary.counts.gold_train).toBe(3);
    expect(summary.verdicts).toEqual([]);
    const [{ n }] = (await query(`SELECT count(*)::INTEGER AS n FROM ${parquet(bare, 'silver')}`)) as [{ n: number }];
    expect(n).toBe(0);
    expect(readJsonLines(join(bare, RUN_FILES.datasets, 'silver.jsonl'))).toEqual([]);
    const [b9] = await query(`SELECT verdict, usable FROM ${parquet(bare, 'merged')} WHERE id = 'b-9'`);
    expect(b9).toEqual({ verdict: null, usable: true });
    expect((await trainingRows(bare, ['silver'])).length).toBe(0);
  });

  it('rerunning replaces rows instead of duplicating them, and picks up rewritten pages', async () => {
    const runDir = fullRunDir();
    const first = await mergeRunDatasets(runDir, { embed: sharedEmbed });
    const second = await mergeRunDatasets(runDir, { embed: sharedEmbed });
    expect(second).toEqual(first);
    const [{ n, ids }] = (await query(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids FROM ${parquet(runDir, 'merged')}`,
    )) as [{ n: number; ids: number }];
    expect(n).toBe(11);
    expect(ids).toBe(11);
    expect(readJsonLines(join(runDir, RUN_FILES.datasets, 'merged.jsonl'))).toHaveLength(11);
    const inDb = await withDuckDb(join(runDir, RUN_FILES.datasets, 'clinsynth.duckdb'), async (c) =>
      (await c.runAndReadAll('SELECT count(*)::INTEGER AS n FROM merged')).getRowObjectsJson(),
    );
    expect(inDb).toEqual([{ n: 11 }]);

    // A rewritten page (a rerun of that stage) replaces the old rows.
    writeJsonl(pagePath(runDir, 'silver', 1), [silverRow('s5', ['cognitive_impairment'])]);
    const third = await mergeRunDatasets(runDir, { embed: sharedEmbed });
    expect(third.counts.silver).toBe(4);
    const silverIds = (await query(`SELECT id FROM ${parquet(runDir, 'silver')} ORDER BY id`)).map((r) => r.id);
    expect(silverIds).toEqual(['s1', 's2', 's3', 's5']);
  });
});

/** Reviewers' decisions: s2 relabelled, s3 (rejected by the self-check) rescued, b-1 dropped, b-2 confirmed. */
function withReview(runDir: string): string {
  const row = (
    set: 'silver' | 'bronze',
    id: string,
    labels: string[],
    llmLabels: string[],
    drop = false,
  ): ReviewedRow => ({
    ref: `${set}:${id}`,
    set,
    id,
    labels,
    drop,
    llmLabels,
    reasons: ['selfcheck-fix'],
    reviewer: 'ann@example.org',
    reviewedAt: '2025-03-01T10:00:00.000Z',
  });
  writeJsonl(join(runDir, RUN_FILES.reviewed), [
    row('silver', 's2', ['dementia_diagnosis'], ['cognitive_impairment', 'notice_by_others']),
    row('silver', 's3', ['cognitive_impairment'], []),
    row('bronze', 'b-1', [], ['physiological_changes'], true),
    row('bronze', 'b-2', ['requiring_assistance'], ['requiring_assistance']),
  ]);
  return runDir;
}

describe('human review in the merge', () => {
  it("replaces the LLM's labels in silver and bronze, keeps what they were, and copies the rows as source reviewed", async () => {
    const runDir = withReview(fullRunDir());
    const summary = await mergeRunDatasets(runDir, { embed: sharedEmbed });
    expect(summary.counts).toMatchObject({
      silver: 4,
      silver_usable: 4,
      bronze: 2,
      bronze_usable: 1,
      reviewed: 4,
      reviewed_usable: 3,
    });
    // Verdicts are counted once, for silver and bronze (reviewed rows repeat them).
    expect(summary.verdicts.map((v) => v.source).sort()).not.toContain('reviewed');
    const silver = await query(
      `SELECT id, labels, usable, labels_before_review, usable_before_review, reviewer, reviewed_at FROM ${parquet(runDir, 'silver')} ORDER BY id`,
    );
    expect(silver).toEqual([
      {
        id: 's1',
        labels: ['cognitive_impairment'],
        usable: true,
        labels_before_review: ['cognitive_impairment'],
        usable_before_review: true,
        reviewer: null,
        reviewed_at: null,
      },
      {
        id: 's2',
        labels: ['dementia_diagnosis'],
        usable: true,
        labels_before_review: ['cognitive_impairment', 'notice_by_others'],
        usable_before_review: true,
        reviewer: 'ann@example.org',
        reviewed_at: '2025-03-01T10:00:00.000Z',
      },
      {
        id: 's3',
        labels: ['cognitive_impairment'],
        usable: true,
        labels_before_review: [],
        usable_before_review: false,
        reviewer: 'ann@example.org',
        reviewed_at: '2025-03-01T10:00:00.000Z',
      },
      {
        id: 's4',
        labels: ['dementia_diagnosis'],
        usable: true,
        labels_before_review: ['dementia_diagnosis'],
        usable_before_review: true,
        reviewer: null,
        reviewed_at: null,
      },
    ]);
    const reviewed = await query(
      `SELECT id, source, origin, labels, usable, review_reasons, model FROM ${parquet(runDir, 'reviewed')} ORDER BY id`,
    );
    expect(reviewed).toEqual([
      {
        id: 'b-1',
        source: 'reviewed',
        origin: 'bronze',
        labels: [],
        usable: false,
        review_reasons: ['selfcheck-fix'],
        model: 'openai:fake',
      },
      {
        id: 'b-2',
        source: 'reviewed',
        origin: 'bronze',
        labels: ['requiring_assistance'],
        usable: true,
        review_reasons: ['selfcheck-fix'],
        model: 'openai:fake',
      },
      {
        id: 's2',
        source: 'reviewed',
        origin: 'silver',
        labels: ['dementia_diagnosis'],
        usable: true,
        review_reasons: ['selfcheck-fix'],
        model: 'openai:fake',
      },
      {
        id: 's3',
        source: 'reviewed',
        origin: 'silver',
        labels: ['cognitive_impairment'],
        usable: true,
        review_reasons: ['selfcheck-fix'],
        model: 'openai:fake',
      },
    ]);
    expect(readFileSync(join(runDir, RUN_FILES.datasets, 'README.md'), 'utf8')).toContain(
      '- config_name: reviewed\n  data_files:\n  - split: train\n    path: hf/reviewed-train.parquet',
    );
  });

  it('trains a mix on reviewed rows once, and on the labels before review when asked', async () => {
    const runDir = withReview(fullRunDir());
    await mergeRunDatasets(runDir, { embed: sharedEmbed });
    const ids = async (sources: Parameters<typeof trainingRows>[1], review: 'after' | 'before') =>
      (await trainingRows(runDir, sources, review)).map((r) => `${r.source}:${r.id}:${r.labels.join('+')}`);
    expect(await ids(['reviewed'], 'after')).toEqual([
      'reviewed:b-2:requiring_assistance',
      'reviewed:s2:dementia_diagnosis',
      'reviewed:s3:cognitive_impairment',
    ]);
    // With silver in the mix, its reviewed rows are the silver rows themselves (relabelled), not a second copy.
    expect(await ids(['silver', 'reviewed'], 'after')).toEqual([
      'reviewed:b-2:requiring_assistance',
      'silver:s1:cognitive_impairment',
      'silver:s2:dementia_diagnosis',
      'silver:s3:cognitive_impairment',
      'silver:s4:dementia_diagnosis',
    ]);
    expect(await ids(['silver', 'bronze'], 'before')).toEqual([
      'bronze:b-1:physiological_changes',
      'bronze:b-2:requiring_assistance',
      'silver:s1:cognitive_impairment',
      'silver:s2:cognitive_impairment+notice_by_others',
      'silver:s4:dementia_diagnosis',
    ]);
    expect(await ids(['reviewed'], 'before')).toEqual([
      'reviewed:b-1:physiological_changes',
      'reviewed:b-2:requiring_assistance',
      'reviewed:s2:cognitive_impairment+notice_by_others',
    ]);
  });
});

describe('trainingRows', () => {
  it('returns only usable train rows of the named sources', async () => {
    const runDir = fullRunDir();
    await mergeRunDatasets(runDir, { embed: sharedEmbed });
    const rows = await trainingRows(runDir, ['gold', 'bronze']);
    expect(rows).toEqual([
      { id: 'b-1', text: BRONZE_TEXTS['b-1']!, labels: ['physiological_changes'], source: 'bronze' },
      { id: 'b-2', text: BRONZE_TEXTS['b-2']!, labels: ['requiring_assistance'], source: 'bronze' },
      { id: 'g1', text: 'She is forgetful.', labels: ['cognitive_impairment'], source: 'gold' },
      { id: 'g2', text: 'BP is fine.', labels: [], source: 'gold' },
      {
        id: 'g3',
        text: 'MoCA 20/30; continue donepezil.',
        labels: ['cognitive_assessment', 'dementia_treatment'],
        source: 'gold',
      },
    ]);
    const silver = await trainingRows(runDir, ['silver']);
    expect(silver.map((r) => [r.id, r.labels])).toEqual([
      ['s1', ['cognitive_impairment']],
      ['s2', ['cognitive_impairment', 'notice_by_others']],
      ['s4', ['dementia_diagnosis']],
    ]);
    expect((await trainingRows(runDir, ['gold', 'silver', 'bronze'])).map((r) => r.id)).not.toContain('t1');
  });
});
