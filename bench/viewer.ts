// Viewer speed (issue #23): the first page and each single filter with its total count on 1,000,000 silver rows, read in place from DuckDB and Parquet.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { RunStore, rowQuerySchema, type RowQuery } from '../client/view/store.js';
import { RUN_FILES, writeJson } from '../lib/run/run-dir.js';
import { cleanup, mainIfDirect, QUICK, result, round, tempDir, type BenchResult } from './common.js';

const GOAL_MS = 300;
const LABELS = [
  'cognitive_impairment',
  'neuropsychiatric_symptoms',
  'requiring_assistance',
  'dementia_treatment',
  'notice_by_others',
  'physical_symptoms',
];

/**
 * Synthesised rows with every column of sql/merge.sql (varied text, labels, verdicts, flags), written as Parquet,
 * then loaded into a clinsynth.duckdb as the merge leaves it.
 */
async function synthesiseRun(dir: string, n: number): Promise<void> {
  const runDir = join(dir, 'run');
  writeJson(join(runDir, RUN_FILES.experiment), {
    name: 'bench-viewer',
    labels: LABELS,
    taxonomyVersion: 'bench@1',
    evaluate: {},
    train: {},
  });
  mkdirSync(join(runDir, 'datasets'), { recursive: true });
  const parquetFile = join(runDir, 'datasets', 'merged.parquet');
  const instance = await DuckDBInstance.create(join(runDir, 'datasets', 'clinsynth.duckdb'), { threads: '2' });
  const c = await instance.connect();
  const lab = (k: number, cond: string) => `CASE WHEN ${cond} THEN '${LABELS[k]}' END`;
  await c.run(`
    CREATE TABLE merged AS
    WITH r AS (SELECT i, hash(i) AS h FROM range(${n}) t(i))
    SELECT 's' || lpad(i::VARCHAR, 8, '0') AS id, 'silver' AS source, 'train' AS split,
      ['The patient', 'Pt', 'She', 'He', 'The resident'][1 + (h % 5)::INTEGER] || ' ' ||
      ['has memory loss that is worse', 'was confused during the visit', 'is forgetful and repeats questions', 'had recurrent falls at home',
       'was agitated in the evening', 'needs help bathing most days', 'was started on donepezil', 'has well-controlled hypertension',
       'denies chest pain or shortness of breath', 'takes lisinopril every morning', 'has word-finding difficulty', 'reports insomnia and anxiety'][1 + ((h >> 8) % 12)::INTEGER]
       || ' over the past ' || ((h >> 16) % 97)::VARCHAR || ' months (note ' || (i // 10)::VARCHAR || ').' AS text,
      list_filter([${lab(0, '(h >> 20) % 3 = 0')}, ${lab(1, '(h >> 22) % 5 = 0')}, ${lab(2, '(h >> 24) % 7 = 0')}, ${lab(3, '(h >> 26) % 11 = 0')}, ${lab(4, '(h >> 28) % 13 = 0')}, ${lab(5, '(h >> 30) % 17 = 0')}], x -> x IS NOT NULL) AS labels,
      'note' || (i // 10)::VARCHAR AS note_id, 0 AS start_offset, 60 AS end_offset, 'fake-model' AS model,
      CASE WHEN i % 4 = 0 THEN 'silver-v0' ELSE 'silver-v1' END AS prompt_version, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS cache_key,
      NULL::JSON AS style, 'random' AS selection_reason,
      CASE (h >> 32) % 10 WHEN 0 THEN 'fix' WHEN 1 THEN 'reject' ELSE 'keep' END AS verdict, 'bench' AS verdict_reason,
      []::VARCHAR[] AS llm_labels, CASE WHEN i % 997 = 0 THEN ['date'] ELSE []::VARCHAR[] END AS phi_kinds,
      CASE WHEN i % 4999 = 0 THEN 'gold-test-001' END AS leak_of, NULL::VARCHAR AS near_duplicate_of,
      (h >> 32) % 10 <> 1 AND i % 997 <> 0 AND i % 4999 <> 0 AS usable, NULL::VARCHAR[] AS labels_before_review, NULL::BOOLEAN AS usable_before_review,
      NULL::VARCHAR AS reviewer, NULL::VARCHAR AS reviewed_at, CASE WHEN i % 1999 = 0 THEN ['disagreement'] END AS review_reasons, NULL::VARCHAR AS origin
    FROM r;
    COPY merged TO '${parquetFile}' (FORMAT parquet);`);
  c.closeSync();
  instance.closeSync();
}

const QUERIES: [string, Partial<RowQuery>][] = [
  ['first page', {}],
  ['source', { source: 'silver' }],
  ['split', { split: 'train' }],
  ['label (any)', { label: 'requiring_assistance' }],
  ['labels (all of 2)', { label: 'cognitive_impairment,neuropsychiatric_symptoms', labelMode: 'all' }],
  ['self-check verdict', { verdict: 'fix' }],
  ['usable', { usable: 'false' }],
  ['PHI flag', { phi: 'true' }],
  ['leakage flag', { flag: 'leak' }],
  ['review reason', { reviewReason: 'disagreement' }],
  ['prompt version', { promptVersion: 'silver-v0' }],
  ['text search', { q: 'donepezil' }],
  ['sort by text', { sort: 'text' }],
];

/** Median over 5 tries (after one warm-up) of each query's page + total count, in ms. */
async function timeQueries(store: RunStore): Promise<Record<string, { ms: number; total: number }>> {
  const out: Record<string, { ms: number; total: number }> = {};
  for (const [name, q] of QUERIES) {
    const query = rowQuerySchema.parse(Object.fromEntries(Object.entries(q).map(([k, v]) => [k, String(v)])));
    let total = (await store.rows(query)).total;
    const times: number[] = [];
    for (let k = 0; k < 5; k++) {
      const s = performance.now();
      total = (await store.rows(query)).total;
      times.push(performance.now() - s);
    }
    out[name] = { ms: round(times.sort((a, b) => a - b)[2]!, 1), total };
  }
  return out;
}

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  const n = QUICK ? 100_000 : 1_000_000;
  const big = tempDir('viewer-big');
  const small = tempDir('viewer-demo');
  try {
    await synthesiseRun(big, n);
    await synthesiseRun(small, 1000);
    const measure = async (runDir: string, parquetOnly = false) => {
      if (parquetOnly) cleanupDb(runDir);
      const store = await RunStore.open(runDir);
      try {
        return await timeQueries(store);
      } finally {
        store.close();
      }
    };
    const demo = await measure(join(small, 'run'));
    const duck = await measure(join(big, 'run'));
    const parquet = await measure(join(big, 'run'), true);
    const worst = (t: Record<string, { ms: number }>) => Math.max(...Object.values(t).map((x) => x.ms));
    const slowest = Object.entries(duck).sort((a, b) => b[1].ms - a[1].ms)[0]!;
    for (const [name, t] of Object.entries(duck))
      console.log(
        `  ${name.padEnd(20)} ${String(t.ms).padStart(7)} ms  (${t.total.toLocaleString('en-US')} rows; Parquet ${parquet[name]!.ms} ms; 1,000-row run ${demo[name]!.ms} ms)`,
      );
    return result({
      id: 'viewer',
      title: `viewer first page and single filters with total count, ${n.toLocaleString('en-US')} silver rows`,
      figure: {
        value: worst(duck),
        unit: 'ms',
        what: `slowest of ${QUERIES.length} queries (${slowest[0]}), median of 5, clinsynth.duckdb read in place, DuckDB 2 threads`,
      },
      baseline: { value: worst(demo), unit: 'ms', what: 'the same queries on a 1,000-row run' },
      goal: `<= ${GOAL_MS}`,
      goalOn: 'figure',
      seconds: round((performance.now() - t0) / 1000, 1),
      details: { rows: n, duckdb: duck, parquet, demo },
      notes: [`Parquet only (no clinsynth.duckdb): slowest ${worst(parquet)} ms`],
    });
  } finally {
    cleanup(big);
    cleanup(small);
  }
}

function cleanupDb(runDir: string): void {
  rmSync(join(runDir, 'datasets', 'clinsynth.duckdb'), { force: true });
}

await mainIfDirect(import.meta.url, run);
