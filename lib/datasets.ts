// Merges a run's gold, silver, bronze and self-check outputs in DuckDB and exports them as Parquet and JSONL.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { loadSql } from './sql.js';
import { pageFiles, RUN_FILES, type PageFolder } from './run-dir.js';
import type { Source } from './experiment.js';

export const DATASET_TABLES = ['gold', 'silver', 'bronze', 'merged'] as const;

export interface MergeSummary {
  counts: Record<string, number>;
  /** Usable training rows per source and label ('none' = no label). */
  composition: { source: string; label: string; n: number }[];
  verdicts: { source: string; verdict: string; n: number }[];
}

export async function withDuckDb<T>(path: string, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(path, { threads: '2' });
  const connection = await instance.connect();
  try {
    return await fn(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function partsOrEmpty(runDir: string, folders: PageFolder[]): string[] {
  const files = folders.flatMap((f) => pageFiles(runDir, f));
  if (files.length > 0) return files;
  const empty = join(runDir, 'datasets', '.empty.jsonl');
  mkdirSync(join(runDir, 'datasets'), { recursive: true });
  if (!existsSync(empty)) writeFileSync(empty, '');
  return [empty];
}

/** Builds datasets/clinsynth.duckdb and datasets/<table>.{parquet,jsonl}; rerunning replaces them. */
export async function mergeRunDatasets(runDir: string): Promise<MergeSummary> {
  const dir = join(runDir, RUN_FILES.datasets);
  mkdirSync(dir, { recursive: true });
  const dbFile = join(dir, 'clinsynth.duckdb');
  return withDuckDb(dbFile, async (c) => {
    await c.run(
      loadSql('sources', {
        goldFiles: [join(runDir, RUN_FILES.goldTrain), join(runDir, RUN_FILES.goldTest)],
        silverFiles: partsOrEmpty(runDir, ['silver']),
        bronzeFiles: partsOrEmpty(runDir, ['bronze']),
        verdictFiles: partsOrEmpty(runDir, ['verdictsSilver', 'verdictsBronze']),
      }),
    );
    await c.run(loadSql('merge'));
    for (const table of DATASET_TABLES) {
      await c.run(`COPY (SELECT * FROM ${table} ORDER BY source, split, id) TO '${join(dir, `${table}.parquet`).replaceAll("'", "''")}' (FORMAT parquet)`);
      await c.run(`COPY (SELECT * FROM ${table} ORDER BY source, split, id) TO '${join(dir, `${table}.jsonl`).replaceAll("'", "''")}' (FORMAT json)`);
    }
    const rows = (await c.runAndReadAll(loadSql('counts'))).getRowObjectsJson() as { source: string; split: string; verdict: string | null; n: number; usable: number }[];
    const counts: Record<string, number> = {};
    const verdicts = new Map<string, number>();
    for (const r of rows) {
      const key = r.source === 'gold' ? `gold_${r.split}` : r.source;
      counts[key] = (counts[key] ?? 0) + r.n;
      counts[`${key}_usable`] = (counts[`${key}_usable`] ?? 0) + r.usable;
      if (r.source !== 'gold' && r.verdict) verdicts.set(`${r.source}\t${r.verdict}`, (verdicts.get(`${r.source}\t${r.verdict}`) ?? 0) + r.n);
    }
    const composition = (await c.runAndReadAll(loadSql('label-counts'))).getRowObjectsJson() as MergeSummary['composition'];
    const summary: MergeSummary = {
      counts,
      composition,
      verdicts: [...verdicts].map(([k, n]) => {
        const [source, verdict] = k.split('\t') as [string, string];
        return { source, verdict, n };
      }),
    };
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    return summary;
  });
}

export interface TrainingRow {
  id: string;
  text: string;
  labels: string[];
  source: Source;
}

/** The usable training rows of the sources in a mix, read from the merged Parquet export. */
export async function trainingRows(runDir: string, sources: Source[]): Promise<TrainingRow[]> {
  return withDuckDb(':memory:', async (c) => {
    const sql = loadSql('training-rows', { mergedParquet: join(runDir, RUN_FILES.datasets, 'merged.parquet'), sources });
    return (await c.runAndReadAll(sql)).getRowObjectsJson() as unknown as TrainingRow[];
  });
}
