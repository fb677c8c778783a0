// The viewer's row index (client/view/row-index.ts): every filter, sort and page against a plain JavaScript filter over the same rows; the index file is reused, and rebuilt when the merged data changes.
import { writeExperimentJson } from '../support/experiments.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { RunStore, rowQuerySchema } from '../../client/view/store.js';
import { INDEX_FILE } from '../../client/view/row-index.js';

const LABELS = ['a_label', 'b_label', 'c_label'];
type R = {
  ref: string;
  id: string;
  source: string;
  split: string;
  text: string;
  labels: string[];
  verdict: string | null;
  usable: boolean | null;
  phi_kinds: string[] | null;
  leak_of: string | null;
  near_duplicate_of: string | null;
  review_reasons: string[] | null;
  prompt_version: string | null;
  chars: number;
};

let dir: string;
let runDir: string;
let all: R[];

/** A merged table with every column the viewer reads, nulls included, from `n` generated rows. */
async function writeMerged(n: number): Promise<void> {
  const instance = await DuckDBInstance.create(join(runDir, 'datasets', 'clinsynth.duckdb'));
  const c = await instance.connect();
  await c.run(`CREATE OR REPLACE TABLE merged AS
    SELECT lpad((i * 7 % ${n})::VARCHAR, 4, '0') AS id, ['gold', 'silver', 'bronze', 'reviewed'][1 + i % 4] AS source,
      CASE WHEN i % 3 = 0 THEN 'test' ELSE 'train' END AS split,
      ['Memory loss', 'memory LOSS again', 'Falls at home', 'confused', 'Donepezil started'][1 + i % 5] || ' ' || (i % 11)::VARCHAR AS text,
      list_filter(['a_label', 'b_label', 'c_label'], (l, k) -> (i >> (k - 1)) % 2 = 1) AS labels,
      [NULL, 'keep', 'fix', 'reject'][1 + i % 4 + (i % 7 = 0)::INTEGER % 4] AS verdict,
      CASE WHEN i % 13 = 0 THEN NULL ELSE i % 5 <> 1 END AS usable,
      CASE WHEN i % 17 = 0 THEN NULL WHEN i % 6 = 0 THEN ['date'] ELSE []::VARCHAR[] END AS phi_kinds,
      CASE WHEN i % 19 = 0 THEN 'g1' END AS leak_of, CASE WHEN i % 23 = 0 THEN 'b2' END AS near_duplicate_of,
      CASE WHEN i % 9 = 0 THEN ['disagreement'] WHEN i % 10 = 0 THEN ['low confidence', 'disagreement'] END AS review_reasons,
      CASE WHEN i % 2 = 0 THEN 'v1' WHEN i % 5 = 0 THEN NULL ELSE 'v2' END AS prompt_version,
      NULL::VARCHAR[] AS llm_labels, NULL::VARCHAR[] AS labels_before_review, 'm' AS model
    FROM range(${n}) t(i)`);
  all = (await c.runAndReadAll(`SELECT source || ':' || id AS ref, *, length(text)::INTEGER AS chars FROM merged`))
    .getRowObjectsJson()
    .map((r) => r as unknown as R);
  c.closeSync();
  instance.closeSync();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'clinsynth-view-index-'));
  runDir = join(dir, 'run');
  mkdirSync(join(runDir, 'datasets'), { recursive: true });
  writeExperimentJson(runDir, { name: 'view-index', labels: LABELS, taxonomyVersion: 't@1' });
  await writeMerged(300);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const byRef = (a: R, b: R) => (a.source + '\u0000' + a.id < b.source + '\u0000' + b.id ? -1 : 1);

/** The filters as docs/viewer.md states them, one row at a time. */
function expected(p: Record<string, string>): R[] {
  const q = rowQuerySchema.parse(p);
  const labels = q.label.split(',').filter(Boolean);
  const flagged = (r: R) => r.leak_of !== null || r.near_duplicate_of !== null || (r.phi_kinds?.length ?? 0) > 0;
  return all.filter(
    (r) =>
      (!q.source || r.source === q.source) &&
      (!q.split || r.split === q.split) &&
      (!labels.length ||
        (q.labelMode === 'all'
          ? labels.every((l) => r.labels.includes(l))
          : labels.some((l) => r.labels.includes(l)))) &&
      (!q.verdict || (r.verdict ?? 'none') === q.verdict) &&
      (!q.usable || (r.usable !== null && r.usable === (q.usable === 'true'))) &&
      (!q.phi || (r.phi_kinds !== null && r.phi_kinds.length > 0 === (q.phi === 'true'))) &&
      (!q.flag ||
        (q.flag === 'leak' && r.leak_of !== null) ||
        (q.flag === 'near-duplicate' && r.near_duplicate_of !== null) ||
        (q.flag === 'any' && flagged(r)) ||
        (q.flag === 'none' && r.phi_kinds !== null && !flagged(r))) &&
      (!q.reviewReason || (r.review_reasons ?? []).includes(q.reviewReason)) &&
      (!q.promptVersion || r.prompt_version === q.promptVersion) &&
      (!q.q || r.text.toLowerCase().includes(q.q.toLowerCase())),
  );
}

const FILTERS: Record<string, string>[] = [
  {},
  { source: 'silver' },
  { split: 'test' },
  { label: 'b_label' },
  { label: 'a_label,c_label' },
  { label: 'a_label,c_label', labelMode: 'all' },
  { label: 'a_label,not_a_label', labelMode: 'all' },
  { label: 'a_label,not_a_label' },
  { verdict: 'none' },
  { verdict: 'reject' },
  { usable: 'false' },
  { usable: 'true' },
  { phi: 'true' },
  { phi: 'false' },
  { flag: 'leak' },
  { flag: 'near-duplicate' },
  { flag: 'any' },
  { flag: 'none' },
  { reviewReason: 'disagreement' },
  { reviewReason: 'low confidence' },
  { reviewReason: 'never given' },
  { promptVersion: 'v2' },
  { q: 'memory loss' },
  { q: 'DONEPEZIL', source: 'bronze', label: 'a_label' },
];

describe('the viewer row index', () => {
  it('counts and pages each filter as a plain filter over the rows does', async () => {
    const store = await RunStore.open(runDir);
    try {
      for (const f of FILTERS) {
        const want = expected(f).sort(byRef);
        const got = await store.rows(rowQuerySchema.parse({ ...f, limit: '500' }));
        expect(got.total, JSON.stringify(f)).toBe(want.length);
        expect(
          got.rows.map((r) => r.ref),
          JSON.stringify(f),
        ).toEqual(want.map((r) => r.ref));
        const page = await store.rows(rowQuerySchema.parse({ ...f, limit: '7', offset: '5' }));
        expect(page.total).toBe(want.length);
        expect(page.rows.map((r) => r.ref)).toEqual(want.slice(5, 12).map((r) => r.ref));
      }
    } finally {
      store.close();
    }
  });

  it('sorts by text, length and verdict both ways, nulls last and ties in (source, id) order', async () => {
    const store = await RunStore.open(runDir);
    try {
      type Key = (r: R) => string | number | null;
      const keys: Record<string, Key> = { text: (r) => r.text, chars: (r) => r.chars, verdict: (r) => r.verdict };
      for (const [sort, key] of Object.entries(keys))
        for (const desc of [false, true]) {
          const want = [...all].sort((a, b) => {
            const [x, y] = [key(a), key(b)];
            if (x !== y) {
              if (x === null) return 1;
              if (y === null) return -1;
              return (x < y ? -1 : 1) * (desc ? -1 : 1);
            }
            return byRef(a, b);
          });
          const got = await store.rows(rowQuerySchema.parse({ sort, desc: desc ? 'true' : '', limit: '500' }));
          expect(
            got.rows.map((r) => r.ref),
            `${sort} ${desc}`,
          ).toEqual(want.map((r) => r.ref));
        }
      const back = await store.rows(rowQuerySchema.parse({ desc: 'true', limit: '500' }));
      expect(back.rows.map((r) => r.ref)).toEqual(
        [...all]
          .sort(byRef)
          .reverse()
          .map((r) => r.ref),
      );
    } finally {
      store.close();
    }
  });

  it('keeps the index next to the merged data, reuses it, and rebuilds it when the data changes', async () => {
    const file = join(runDir, 'datasets', INDEX_FILE);
    const first = await RunStore.open(runDir);
    first.close();
    expect(existsSync(file)).toBe(true);
    const lines: string[] = [];
    const again = await RunStore.open(runDir, (l) => lines.push(l));
    expect(again.index.builtSeconds).toBe(0);
    expect(lines).toEqual([]);
    again.close();
    await writeMerged(120);
    const changed = await RunStore.open(runDir, (l) => lines.push(l));
    try {
      expect(lines.join('\n')).toMatch(/indexing 120 rows/);
      expect((await changed.rows(rowQuerySchema.parse({}))).total).toBe(120);
    } finally {
      changed.close();
    }
  });

  it('indexes in memory when the datasets folder takes no file, and still answers', async () => {
    const file = join(runDir, 'datasets', INDEX_FILE);
    rmSync(file);
    const blocker = join(runDir, 'datasets', `${INDEX_FILE}.tmp-${process.pid}`);
    mkdirSync(blocker); // a folder where the index file would be written: DuckDB cannot create it
    const lines: string[] = [];
    const store = await RunStore.open(runDir, (l) => lines.push(l));
    try {
      expect(lines.join('\n')).toMatch(/indexing 120 rows for the viewer \(in memory/);
      expect(store.index.file).toBe(':memory:');
      expect((await store.rows(rowQuerySchema.parse({ source: 'gold' }))).total).toBe(
        expected({ source: 'gold' }).length,
      );
      expect(existsSync(file)).toBe(false);
    } finally {
      store.close();
      rmSync(blocker, { recursive: true });
    }
  });
});
