// The viewer's row index: a run's rows in (source, id) order with narrow filter columns, built once per run into datasets/view-index.duckdb (rebuilt when the merged data changes), so a page with its total is one scan.
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { loadSql, sqlLiteral } from '../../lib/dataset/sql.js';

/** Bump when sql/view-index-build.sql changes what the index holds: older index files are rebuilt. */
const INDEX_VERSION = 1;
export const INDEX_FILE = 'view-index.duckdb';
/** Bits 0..61 name values; bit 62 is never set, so asking for it matches nothing. */
const MASK_BITS = 62;
const NO_MATCH = String(2n ** 62n);

export const SORT_KEYS = { ref: 'rid', text: 'text_rank', chars: 'chars', verdict: 'verdict_rank' } as const;
export type SortKey = keyof typeof SORT_KEYS;

export interface PageQuery {
  source: string;
  split: string;
  labels: string[];
  labelMode: 'any' | 'all';
  verdict: string;
  usable: string;
  phi: string;
  flag: string;
  reviewReason: string;
  promptVersion: string;
  q: string;
  sort: SortKey;
  desc: boolean;
  limit: number;
  offset: number;
}

type Row = Record<string, unknown>;

/** The bit mask of `wanted` over `values` (bit i = values[i]); -1 when one is outside an incomplete list. */
function bitsOf(wanted: string[], values: string[], complete: boolean, all: boolean): string {
  let bits = 0n;
  for (const w of wanted) {
    const i = values.indexOf(w);
    if (i >= 0) bits |= 1n << BigInt(i);
    else if (!complete) return '-1';
    else if (all) return NO_MATCH;
  }
  return String(bits);
}

export class RowIndex {
  private constructor(
    private readonly c: DuckDBConnection,
    private readonly labels: string[],
    private readonly reasons: string[],
    private readonly complete: { labels: boolean; reasons: boolean },
    /** Where the index lives (a file next to the run's datasets, or memory when that folder is read-only). */
    readonly file: string,
    /** Seconds spent building it in this open; 0 when an up-to-date index file was reused. */
    readonly builtSeconds: number,
  ) {}

  /**
   * Attaches the run's index as catalog `vx` on `c` (where view `view_rows` reads the merged rows), building it first
   * when missing or stale: stamped with the merged file's name, size and mtime and INDEX_VERSION.
   */
  static async open(c: DuckDBConnection, sourceFile: string, say: (line: string) => void): Promise<RowIndex> {
    const st = statSync(sourceFile);
    const stamp = JSON.stringify({ v: INDEX_VERSION, file: basename(sourceFile), size: st.size, mtimeMs: st.mtimeMs });
    const file = join(dirname(sourceFile), INDEX_FILE);
    if (existsSync(file)) {
      const reused = await RowIndex.attach(c, file, stamp, 0).catch(() => undefined);
      if (reused) return reused;
      await c.run('DETACH DATABASE IF EXISTS vx');
    }
    const t0 = performance.now();
    const n = Number((await c.runAndReadAll('SELECT count(*) AS n FROM view_rows')).getRowObjectsJson()[0]!.n);
    const tmp = `${file}.tmp-${process.pid}`;
    const inFile = await c.run(`ATTACH ${sqlLiteral(tmp)} AS vx`).then(
      () => true,
      () => false,
    );
    if (!inFile) await c.run(`ATTACH ':memory:' AS vx`);
    say(
      `indexing ${n.toLocaleString('en-US')} rows for the viewer (${inFile ? `once per run, kept in ${file}` : `in memory: ${tmp} cannot be written`})…`,
    );
    if (!inFile) await RowIndex.build(c, stamp);
    else
      try {
        await RowIndex.build(c, stamp);
        await c.run('DETACH vx');
        renameSync(tmp, file);
      } finally {
        rmSync(tmp, { force: true });
        rmSync(`${tmp}.wal`, { force: true });
      }
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    say(`indexed ${n.toLocaleString('en-US')} rows in ${seconds} s`);
    const built = await RowIndex.attach(c, inFile ? file : undefined, stamp, seconds);
    if (!built) throw new Error(`${file}: the viewer's index was built but does not read back`);
    return built;
  }

  private static async build(c: DuckDBConnection, stamp: string): Promise<void> {
    const values = (await c.runAndReadAll(loadSql('view-index-values'))).getRowObjectsJson();
    const of = (kind: string) => values.filter((v) => v.kind === kind).map((v) => String(v.value));
    const labels = of('label');
    const reasons = of('reason');
    const labelBits = labels.slice(0, MASK_BITS);
    const reasonBits = reasons.slice(0, MASK_BITS);
    await c.run(loadSql('view-index-build', { labelBits, reasonBits }));
    await c.run(
      `CREATE TABLE vx.meta AS SELECT ${sqlLiteral(stamp)} AS stamp, ${sqlLiteral(labelBits)}::VARCHAR[] AS labels,
        ${sqlLiteral(reasonBits)}::VARCHAR[] AS reasons, ${labels.length <= MASK_BITS} AS labels_complete,
        ${reasons.length <= MASK_BITS} AS reasons_complete`,
    );
  }

  /** The attached index when its stamp matches (a file is attached first), else undefined. */
  private static async attach(
    c: DuckDBConnection,
    file: string | undefined,
    stamp: string,
    builtSeconds: number,
  ): Promise<RowIndex | undefined> {
    if (file) await c.run(`ATTACH ${sqlLiteral(file)} AS vx (READ_ONLY)`);
    const meta = (await c.runAndReadAll('SELECT * FROM vx.meta')).getRowObjectsJson()[0];
    if (!meta || meta.stamp !== stamp) return undefined;
    await c.run(loadSql('view-index-warm'));
    return new RowIndex(
      c,
      (meta.labels as string[]) ?? [],
      (meta.reasons as string[]) ?? [],
      { labels: meta.labels_complete === true, reasons: meta.reasons_complete === true },
      file ?? ':memory:',
      builtSeconds,
    );
  }

  private where(q: PageQuery): string {
    const labelBits = q.labels.length
      ? bitsOf(q.labels, this.labels, this.complete.labels, q.labelMode === 'all')
      : '0';
    const reasonBits = q.reviewReason ? bitsOf([q.reviewReason], this.reasons, this.complete.reasons, true) : '0';
    return loadSql('view-filter', { ...q, labelBits, reasonBits });
  }

  /** ORDER BY of a page: integer columns only (ties and nulls in rid order), so DuckDB's top-N prunes its scan. */
  private order(q: PageQuery): string {
    const col = SORT_KEYS[q.sort];
    if (q.sort === 'ref') return q.desc ? 'rid DESC' : 'rid';
    return `${col} ${q.desc ? 'DESC' : 'ASC'} NULLS LAST, rid`;
  }

  /** One page of rows and the total that match: a count over the narrow filter columns, then the page (top-N). */
  async page(q: PageQuery): Promise<{ total: number; rows: Row[] }> {
    const where = this.where(q);
    const count = (
      await this.c.runAndReadAll(`SELECT count(*)::INTEGER AS total FROM vx.rows\n${where}`)
    ).getRowObjectsJson()[0]!;
    const total = Number(count.total);
    if (total <= q.offset) return { total, rows: [] };
    const rows = (
      await this.c.runAndReadAll(
        `${loadSql('view-page')}\n${where}\nORDER BY ${this.order(q)} LIMIT ${q.limit} OFFSET ${q.offset}`,
      )
    ).getRowObjectsJson() as Row[];
    return { total, rows };
  }
}
