// lib/dataset/leakage.ts with the real encoder (gold-test leakage, bronze near-duplicates), and the safety flags of mergeRunDatasets end to end on DuckDB.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dot,
  findLeakage,
  findNearDuplicates,
  leakageCheck,
  removeNearDuplicates,
  type TextRow,
} from '../../lib/dataset/leakage.js';
import { mergeRunDatasets, trainingRows, withDuckDb } from '../../lib/dataset/merge.js';
import { pagePath, RUN_FILES, writeJsonl } from '../../lib/run/run-dir.js';
import type { BronzeRow, SilverRow, VerdictRow } from '../../lib/run/records.js';
import { sharedEmbed } from '../../lib/model/embeddings.js';

const home = mkdtempSync(join(tmpdir(), 'clinsynth-leakage-home-'));
let savedHome: string | undefined;
beforeAll(() => {
  savedHome = process.env.CLINSYNTH_HOME;
  process.env.CLINSYNTH_HOME = home; // a private embedding store
});
afterAll(() => {
  if (savedHome === undefined) delete process.env.CLINSYNTH_HOME;
  else process.env.CLINSYNTH_HOME = savedHome;
});

const TEST_SENTENCE = 'Daughter reports he gets lost while driving to familiar places.';
/** A trailing-word change: real MiniLM cosine ≈ 0.995 to TEST_SENTENCE. */
const PARAPHRASE = 'Daughter reports he gets lost while driving to familiar places recently.';
/** Same meaning, different words: cosine ≈ 0.78. */
const FORGETFUL_A = 'Patient is increasingly forgetful and misplaces her keys daily.';
const FORGETFUL_B = 'She has become more forgetful and often loses her keys.';

const cos = async (a: string, b: string) => {
  const [x, y] = await sharedEmbed([a, b]);
  return dot(x!, y!);
};

describe('leakage and near-duplicates with the real encoder', () => {
  it('the chosen pairs are clearly above / below 0.95', async () => {
    expect(await cos(TEST_SENTENCE, PARAPHRASE)).toBeGreaterThan(0.98);
    expect(await cos(FORGETFUL_A, FORGETFUL_B)).toBeLessThan(0.9);
    expect(await cos('He is confused.', 'He seems confused.')).toBeLessThan(0.94);
    const [v] = await sharedEmbed([FORGETFUL_A]);
    expect(dot(v!, v!)).toBeCloseTo(1, 5); // unit vectors: dot = cosine
  });

  it('flags exact copies after normalisation and close paraphrases of gold test sentences', async () => {
    const test: TextRow[] = [
      { id: 't1', text: 'He is confused.' },
      { id: 't2', text: TEST_SENTENCE },
      { id: 't3', text: FORGETFUL_A },
    ];
    const rows: TextRow[] = [
      { id: 's-exact', text: '  HE IS   CONFUSED ' },
      { id: 's-para', text: PARAPHRASE },
      { id: 's-loose', text: FORGETFUL_B },
      { id: 's-other', text: 'He seems confused.' },
      { id: 's-new', text: 'Wife reports he wanders at night and is agitated.' },
    ];
    const leaks = await leakageCheck(rows, test, sharedEmbed);
    expect(Object.fromEntries(leaks)).toEqual({ 's-exact': 't1', 's-para': 't2' });
    // A stricter or looser threshold moves the line.
    expect([...(await leakageCheck(rows, test, sharedEmbed, { threshold: 0.999 })).keys()]).toEqual(['s-exact']);
    expect((await leakageCheck(rows, test, sharedEmbed, { threshold: 0.75 })).get('s-loose')).toBe('t3');
    expect((await leakageCheck(rows, [], sharedEmbed)).size).toBe(0);
  });

  it('keeps the first sentence (by id) of each near-duplicate group', async () => {
    const rows: TextRow[] = [
      { id: 'b-3', text: PARAPHRASE },
      { id: 'b-1', text: TEST_SENTENCE },
      { id: 'b-2', text: FORGETFUL_A },
      { id: 'b-4', text: FORGETFUL_B },
      { id: 'b-5', text: 'daughter reports he gets lost while driving to familiar places' },
      { id: 'b-6', text: 'Patient is increasingly forgetful and misplaces her keys every day.' },
    ];
    const { kept, duplicateOf } = await removeNearDuplicates(rows, sharedEmbed);
    expect(Object.fromEntries(duplicateOf)).toEqual({ 'b-3': 'b-1', 'b-5': 'b-1', 'b-6': 'b-2' });
    expect(kept.map((r) => r.id)).toEqual(['b-1', 'b-2', 'b-4']); // input order
    const loose = await removeNearDuplicates(rows, sharedEmbed, { threshold: 0.75 });
    expect(loose.duplicateOf.get('b-4')).toBe('b-2');
  });
});

describe('findLeakage / findNearDuplicates on hand-made vectors', () => {
  const unit = (...xs: number[]) => {
    const n = Math.hypot(...xs);
    return Float32Array.from(xs.map((x) => x / n));
  };

  it('compares every row with every test vector and takes the most similar above the threshold', async () => {
    const test = [
      { id: 'x', text: 'x' },
      { id: 'y', text: 'y' },
    ];
    const tv = [unit(1, 0, 0), unit(0, 1, 0)];
    const rows = [
      { id: 'a', text: 'a' },
      { id: 'b', text: 'b' },
      { id: 'c', text: 'c' },
    ];
    const rv = [unit(0.1, 1, 0), unit(1, 1, 0), unit(0, 0, 1)];
    expect(Object.fromEntries(await findLeakage(rows, rv, test, tv))).toEqual({ a: 'y' });
    expect(Object.fromEntries(await findLeakage(rows, rv, test, tv, { threshold: 0.7 }))).toEqual({ a: 'y', b: 'x' });
    await expect(findLeakage(rows, rv, test, tv, { threshold: 0 })).rejects.toThrow(/threshold/);
    await expect(findLeakage(rows, rv.slice(1), test, tv)).rejects.toThrow(/3 rows but 2 vectors/);
  });

  it('groups transitively only through kept rows, and handles many rows with progress calls', async () => {
    const rows = [
      { id: '2', text: 'two' },
      { id: '1', text: 'one' },
      { id: '3', text: 'three' },
    ];
    // 1~2 and 2~3 but not 1~3: 2 joins 1's group, 3 is compared only with kept row 1 and stays.
    const vecs = [unit(1, 0.25, 0), unit(1, 0, 0), unit(1, 0.6, 0)];
    expect(dot(vecs[0]!, vecs[1]!)).toBeGreaterThan(0.95);
    expect(dot(vecs[1]!, vecs[2]!)).toBeLessThan(0.95);
    expect(Object.fromEntries(await findNearDuplicates(rows, vecs))).toEqual({ '2': '1' });

    let calls = 0;
    const many = Array.from({ length: 1000 }, (_, i) => ({ id: `r${String(i).padStart(4, '0')}`, text: `row ${i}` }));
    const mv = many.map((_, i) => unit(Math.cos(i), Math.sin(i), i % 2 ? 1e-3 : 0));
    const dups = await findNearDuplicates(many, mv, { threshold: 0.9999, onProgress: () => calls++ });
    expect(calls).toBeGreaterThan(0);
    expect(dups.size).toBeGreaterThan(0);
    for (const [dup, keptId] of dups) expect(keptId < dup).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// mergeRunDatasets: safety flags as columns
// ---------------------------------------------------------------------------------------------------------------

const prov = { model: 'openai:fake', promptVersion: 'p1', cacheKey: 'ck' };
const silver = (id: string, text: string, labels: string[] = ['cognitive_impairment']): SilverRow => ({
  id,
  noteId: `n-${id}`,
  start: 0,
  end: text.length,
  text,
  labels,
  reason: 'random',
  ...prov,
  cacheKey: `ck-${id}`,
});
const bronze = (id: string, text: string, labels: string[] = ['physiological_changes']): BronzeRow => ({
  id,
  text,
  labels,
  style: { noteType: 'progress note' },
  ...prov,
  cacheKey: `ck-${id}`,
});
const verdict = (set: 'silver' | 'bronze', id: string, v: VerdictRow['verdict']): VerdictRow => ({
  id,
  set,
  verdict: v,
  labels: [],
  reason: v,
  model: 'openai:checker',
  promptVersion: 'selfcheck-v1',
  cacheKey: `v-${id}`,
});

const PHI_SILVER = 'Seen by Dr. Sarah Johnson on 03/14/2019 for memory complaints.';

function safetyRunDir(): string {
  const runDir = mkdtempSync(join(tmpdir(), 'clinsynth-safety-'));
  writeJsonl(join(runDir, RUN_FILES.goldTrain), [
    { id: 'g1', text: 'She forgets recent conversations.', labels: ['cognitive_impairment'], split: 'train' },
    { id: 'g2', text: 'Call Mrs. Garcia at 617-555-0100 about the MRI.', labels: [], split: 'train' },
  ]);
  writeJsonl(join(runDir, RUN_FILES.goldTest), [
    { id: 't1', text: 'He is confused.', labels: ['cognitive_impairment'], split: 'test' },
    { id: 't2', text: TEST_SENTENCE, labels: ['cognitive_impairment', 'notice_by_others'], split: 'test' },
  ]);
  writeJsonl(pagePath(runDir, 'silver', 0), [
    silver('s1', PHI_SILVER),
    silver('s2', 'HE IS CONFUSED'),
    silver('s3', PARAPHRASE),
    silver('s4', 'MMSE 22/30, BP 120/80, donepezil 10 mg daily.', ['cognitive_assessment']),
    silver('s5', FORGETFUL_A),
  ]);
  writeJsonl(pagePath(runDir, 'bronze', 0), [
    bronze('b-1', 'She has a shuffling gait and two recent falls.'),
    bronze('b-2', 'She has a shuffling gait and two recent falls lately.'),
    bronze('b-3', 'Her son now manages her bills and medications.', ['requiring_assistance']),
    bronze('b-4', 'The resident lives at 42 Maple Street and needs help bathing.', ['requiring_assistance']),
    bronze('b-0', 'He has lost 12 lb with poor appetite.'),
    bronze('b-00', 'He has lost 12 lb with poor appetite this year.'),
  ]);
  // b-0 is rejected by the self-check, so b-00 (its near-duplicate) is the row that survives.
  writeJsonl(pagePath(runDir, 'verdictsBronze', 0), [verdict('bronze', 'b-0', 'reject')]);
  return runDir;
}

type Row = Record<string, unknown>;
const readJsonLines = (file: string): Row[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);

describe('mergeRunDatasets safety flags', () => {
  let runDir: string;
  let summary: Awaited<ReturnType<typeof mergeRunDatasets>>;
  beforeAll(async () => {
    runDir = safetyRunDir();
    summary = await mergeRunDatasets(runDir, { embed: sharedEmbed });
  });

  it('adds phi_kinds, leak_of and near_duplicate_of columns and makes flagged rows unusable', async () => {
    const rows = await withDuckDb(join(runDir, RUN_FILES.datasets, 'clinsynth.duckdb'), async (c) =>
      (
        await c.runAndReadAll(
          'SELECT id, phi_kinds, leak_of, near_duplicate_of, usable FROM merged ORDER BY source, split, id',
        )
      ).getRowObjectsJson(),
    );
    const byId = Object.fromEntries(rows.map((r) => [r.id as string, r]));
    expect(byId.s1).toEqual({
      id: 's1',
      phi_kinds: ['name', 'date'],
      leak_of: null,
      near_duplicate_of: null,
      usable: false,
    });
    expect(byId.s2).toMatchObject({ phi_kinds: [], leak_of: 't1', usable: false });
    expect(byId.s3).toMatchObject({ phi_kinds: [], leak_of: 't2', usable: false });
    expect(byId.s4).toMatchObject({ phi_kinds: [], leak_of: null, usable: true });
    expect(byId.s5).toMatchObject({ leak_of: null, usable: true });
    expect(byId['b-1']).toMatchObject({ near_duplicate_of: null, usable: true });
    expect(byId['b-2']).toMatchObject({ near_duplicate_of: 'b-1', usable: false });
    expect(byId['b-3']).toMatchObject({ near_duplicate_of: null, usable: true });
    expect(byId['b-4']).toMatchObject({ phi_kinds: ['address'], usable: false });
    expect(byId['b-0']).toMatchObject({ near_duplicate_of: null, usable: false }); // rejected
    expect(byId['b-00']).toMatchObject({ near_duplicate_of: null, usable: true });
    // Gold findings are recorded but gold stays usable and exported.
    expect(byId.g2).toMatchObject({ phi_kinds: ['name', 'phone'], usable: true });
    expect(byId.t2).toMatchObject({ leak_of: null, usable: true });
  });

  it('leaves PHI-flagged generated rows out of the exports but keeps them in clinsynth.duckdb', async () => {
    const dir = join(runDir, RUN_FILES.datasets);
    const merged = readJsonLines(join(dir, 'merged.jsonl'));
    expect(merged.map((r) => r.id)).not.toContain('s1');
    expect(merged.map((r) => r.id)).not.toContain('b-4');
    expect(merged.map((r) => r.id)).toEqual(expect.arrayContaining(['g2', 's2', 's3', 'b-2']));
    expect(readJsonLines(join(dir, 'silver.jsonl')).map((r) => r.id)).toEqual(['s2', 's3', 's4', 's5']);
    expect(readJsonLines(join(dir, 'bronze.jsonl'))).toHaveLength(5);
    const [{ n }] = (await withDuckDb(':memory:', async (c) =>
      (
        await c.runAndReadAll(
          `SELECT count(*)::INTEGER AS n FROM read_parquet('${join(dir, 'merged.parquet')}') WHERE id IN ('s1', 'b-4')`,
        )
      ).getRowObjectsJson(),
    )) as [{ n: number }];
    expect(n).toBe(0);
    const inDb = await withDuckDb(join(dir, 'clinsynth.duckdb'), async (c) =>
      (await c.runAndReadAll(`SELECT id, text FROM merged WHERE id IN ('s1', 'b-4') ORDER BY id`)).getRowObjectsJson(),
    );
    expect(inDb).toEqual([
      { id: 'b-4', text: 'The resident lives at 42 Maple Street and needs help bathing.' },
      { id: 's1', text: PHI_SILVER },
    ]);
    // Flagged rows never reach training.
    expect((await trainingRows(runDir, ['silver', 'bronze'])).map((r) => r.id)).toEqual([
      'b-00',
      'b-1',
      'b-3',
      's4',
      's5',
    ]);
  });

  it('summarises the checks in summary.json and counts', () => {
    expect(summary.safety).toEqual({
      phiRows: { gold: 1, silver: 1, bronze: 1 },
      phiByKind: { name: 2, date: 1, phone: 1, email: 0, ssn: 0, mrn: 0, address: 1, url: 0 },
      leakageDropped: { silver: 2, bronze: 0 },
      nearDuplicatesDropped: 1,
      repeatsMerged: 0,
    });
    expect(summary.counts).toMatchObject({
      phiFlagged: 2,
      leakageDropped: 2,
      bronzeNearDuplicates: 1,
      silver: 5,
      silver_usable: 2,
      bronze: 6,
      bronze_usable: 3,
    });
    const saved = JSON.parse(readFileSync(join(runDir, RUN_FILES.datasets, 'summary.json'), 'utf8')) as typeof summary;
    expect(saved).toEqual(summary);
  });

  it('exports flagged rows too with includeFlagged, and a stricter near-duplicate threshold drops fewer', async () => {
    const again = await mergeRunDatasets(runDir, {
      embed: sharedEmbed,
      includeFlagged: true,
      nearDuplicateThreshold: 0.999,
    });
    const merged = readJsonLines(join(runDir, RUN_FILES.datasets, 'merged.jsonl'));
    expect(merged.map((r) => r.id)).toEqual(expect.arrayContaining(['s1', 'b-4']));
    expect(merged.find((r) => r.id === 's1')).toMatchObject({ phi_kinds: ['name', 'date'], usable: false });
    expect(again.safety.nearDuplicatesDropped).toBe(0);
    expect(merged.find((r) => r.id === 'b-2')).toMatchObject({ near_duplicate_of: null, usable: true });
    // Rerunning with the defaults restores the default exports.
    await mergeRunDatasets(runDir, { embed: sharedEmbed });
    expect(readJsonLines(join(runDir, RUN_FILES.datasets, 'merged.jsonl')).map((r) => r.id)).not.toContain('s1');
  });

  it('does not load the encoder when there is nothing to compare', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'clinsynth-safety-bare-'));
    writeJsonl(join(bare, RUN_FILES.goldTrain), [{ id: 'g1', text: 'She forgets.', labels: [], split: 'train' }]);
    writeJsonl(join(bare, RUN_FILES.goldTest), [{ id: 't1', text: 'He forgets.', labels: [], split: 'test' }]);
    let calls = 0;
    const s = await mergeRunDatasets(bare, { embed: async (t) => (calls++, t.map(() => new Float32Array(384))) });
    expect(calls).toBe(0);
    expect(s.safety.nearDuplicatesDropped).toBe(0);
    expect(existsSync(join(bare, RUN_FILES.datasets, 'README.md'))).toBe(true);
  });
});
