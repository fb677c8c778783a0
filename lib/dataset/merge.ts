// Merges a run's gold, silver, bronze, self-check and review outputs in DuckDB with safety flags (PHI, test leakage, near-duplicates) and exports them.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { loadSql } from './sql.js';
import { pageFiles, readJsonl, readRunExperiment, RUN_FILES, writeJsonl, type PageFolder } from '../run/run-dir.js';
import type { Experiment, MixSource, Source } from '../config/experiment.js';
import type { Verdict } from '../run/records.js';
import { PHI_KINDS, phiKinds } from './phi.js';
import {
  findLeakage,
  findNearDuplicates,
  LEAKAGE_THRESHOLD,
  NEAR_DUPLICATE_THRESHOLD,
  type EmbedFn,
} from './leakage.js';
import { writeDatasetCard, type SafetySummary } from './card.js';
import { writeHfSplits } from './hf-export.js';

export const DATASET_TABLES = ['gold', 'silver', 'bronze', 'reviewed', 'merged'] as const;

export interface MergeSummary {
  counts: Record<string, number>;
  /** Usable training rows per source and label ('none' = no label). */
  composition: { source: string; label: string; n: number }[];
  verdicts: { source: string; verdict: string; n: number }[];
  /** Always set by mergeRunDatasets; absent only in summary.json files written before the safety checks existed. */
  safety?: SafetySummary;
}

export interface MergeOptions {
  /** Export silver/bronze rows with PHI findings too (default false: they stay only in clinsynth.duckdb). */
  includeFlagged?: boolean;
  /** Cosine at or above which a silver/bronze row leaks a gold test sentence (default 0.95). */
  leakageThreshold?: number;
  /** Cosine at or above which two bronze rows are near-duplicates (default 0.95). */
  nearDuplicateThreshold?: number;
  /** Sentence embedder (a worker passes lib/model/embeddings.ts `sharedEmbed`). */
  embed: EmbedFn;
  /** Called while embedding and comparing (e.g. to heartbeat). */
  onProgress?: () => void;
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

/** The files to read, or an empty file (DuckDB's read_json wants at least one). */
function filesOrEmpty(runDir: string, files: string[]): string[] {
  if (files.length > 0) return files;
  const empty = join(runDir, 'datasets', '.empty.jsonl');
  mkdirSync(join(runDir, 'datasets'), { recursive: true });
  if (!existsSync(empty)) writeFileSync(empty, '');
  return [empty];
}

const partsOrEmpty = (runDir: string, folders: PageFolder[]): string[] =>
  filesOrEmpty(
    runDir,
    folders.flatMap((f) => pageFiles(runDir, f)),
  );

/** The stage outputs as DuckDB views (sql/sources.sql), then the gold, silver and bronze tables (sql/merge.sql). */
async function buildSourceTables(c: DuckDBConnection, runDir: string): Promise<void> {
  const reviewed = join(runDir, RUN_FILES.reviewed);
  await c.run(
    loadSql('sources', {
      goldFiles: [join(runDir, RUN_FILES.goldTrain), join(runDir, RUN_FILES.goldTest)],
      silverFiles: partsOrEmpty(runDir, ['silver']),
      bronzeFiles: partsOrEmpty(runDir, ['bronze']),
      verdictFiles: partsOrEmpty(runDir, ['verdictsSilver', 'verdictsBronze']),
      reviewedFiles: filesOrEmpty(runDir, existsSync(reviewed) ? [reviewed] : []),
    }),
  );
  await c.run(loadSql('merge'));
}

/** A silver or bronze row as the self-check left it: the labels it would train on (after a fix) and its verdict. */
export interface CheckedRow {
  set: 'silver' | 'bronze';
  id: string;
  text: string;
  labels: string[];
  verdict: Verdict | null;
  /** What the LLM wrote before its labels / its verdict (silver.rationale / selfCheck.rationale); null otherwise. */
  rationale?: string | null;
  verdict_rationale?: string | null;
}

/** Every silver and bronze row (one per id, rejected ones too) with the self-check applied, before the safety checks. */
export async function checkedSyntheticRows(runDir: string): Promise<CheckedRow[]> {
  return withDuckDb(':memory:', async (c) => {
    await buildSourceTables(c, runDir);
    return (await c.runAndReadAll(loadSql('checked-rows'))).getRowObjectsJson() as unknown as CheckedRow[];
  });
}

interface CheckRow {
  source: Source;
  split: string;
  id: string;
  text: string;
  usable: boolean;
}

interface FlagRow {
  source: Source;
  split: string;
  id: string;
  phiKinds: string[];
  leakOf: string | null;
  nearDuplicateOf: string | null;
}

/** PHI scan of every row, leakage of silver/bronze into the gold test set, near-duplicates among still-usable bronze rows. */
async function safetyFlags(rows: CheckRow[], opts: MergeOptions): Promise<{ flags: FlagRow[]; safety: SafetySummary }> {
  const flags = new Map<string, FlagRow>();
  const flag = (r: CheckRow): FlagRow => {
    const key = `${r.source}\t${r.split}\t${r.id}`;
    let f = flags.get(key);
    if (!f)
      flags.set(
        key,
        (f = { source: r.source, split: r.split, id: r.id, phiKinds: [], leakOf: null, nearDuplicateOf: null }),
      );
    return f;
  };
  const safety: SafetySummary = {
    phiRows: { gold: 0, silver: 0, bronze: 0 },
    phiByKind: Object.fromEntries(PHI_KINDS.map((k) => [k, 0])),
    leakageDropped: { silver: 0, bronze: 0 },
    nearDuplicatesDropped: 0,
    repeatsMerged: 0,
  };
  for (const r of rows) {
    const kinds = phiKinds(r.text);
    if (kinds.length === 0) continue;
    const f = flag(r);
    f.phiKinds = [...new Set([...f.phiKinds, ...kinds])];
  }

  const generated = rows.filter((r) => r.source !== 'gold');
  const test = rows.filter((r) => r.source === 'gold' && r.split === 'test');
  const needsVectors =
    (test.length > 0 && generated.length > 0) || generated.filter((r) => r.source === 'bronze').length > 1;
  if (needsVectors) {
    const texts = [...new Set([...generated, ...test].map((r) => r.text))];
    const vecs = await opts.embed(texts);
    const byText = new Map(texts.map((t, i) => [t, vecs[i]!]));
    const vecOf = (r: CheckRow): Float32Array => byText.get(r.text)!;
    const similarity = (threshold: number | undefined) => ({ threshold, onProgress: opts.onProgress });

    const leaks = await findLeakage(
      generated,
      generated.map(vecOf),
      test,
      test.map(vecOf),
      similarity(opts.leakageThreshold ?? LEAKAGE_THRESHOLD),
    );
    for (const r of generated) {
      const of = leaks.get(r.id);
      if (of !== undefined) flag(r).leakOf = of;
    }
    // Near-duplicates only among bronze rows nothing else made unusable, so each group keeps a usable row.
    const clean = (r: CheckRow) => r.usable && !flags.has(`${r.source}\t${r.split}\t${r.id}`);
    const bronze = generated.filter((r) => r.source === 'bronze' && clean(r));
    const dups = await findNearDuplicates(
      bronze,
      bronze.map(vecOf),
      similarity(opts.nearDuplicateThreshold ?? NEAR_DUPLICATE_THRESHOLD),
    );
    for (const r of bronze) {
      const of = dups.get(r.id);
      if (of !== undefined) flag(r).nearDuplicateOf = of;
    }
  }

  for (const f of flags.values()) {
    if (f.phiKinds.length > 0) {
      safety.phiRows[f.source]++;
      for (const k of f.phiKinds) safety.phiByKind[k] = (safety.phiByKind[k] ?? 0) + 1;
    }
    if (f.leakOf !== null && f.source !== 'gold') safety.leakageDropped[f.source]++;
    if (f.nearDuplicateOf !== null) safety.nearDuplicatesDropped++;
  }
  return { flags: [...flags.values()], safety };
}

/** Why the safety checks make a silver/bronze row unusable whatever its labels (sql/review.sql keeps them so). */
export type UnsafeReason = 'phi' | 'leakage' | 'near-duplicate';

/**
 * The silver and bronze rows the merge's safety checks will make unusable, by `set:id` with the reasons: the same
 * checks on the same rows as mergeRunDatasets, run before review so that reviewers only get rows that can train.
 */
export async function unsafeSyntheticRows(runDir: string, opts: MergeOptions): Promise<Map<string, UnsafeReason[]>> {
  const rows = await withDuckDb(':memory:', async (c) => {
    await buildSourceTables(c, runDir);
    return (await c.runAndReadAll(loadSql('safety-rows'))).getRowObjectsJson() as unknown as CheckRow[];
  });
  const { flags } = await safetyFlags(rows, opts);
  const out = new Map<string, UnsafeReason[]>();
  for (const f of flags) {
    if (f.source === 'gold') continue;
    const why: UnsafeReason[] = [
      ...(f.phiKinds.length > 0 ? (['phi'] as const) : []),
      ...(f.leakOf !== null ? (['leakage'] as const) : []),
      ...(f.nearDuplicateOf !== null ? (['near-duplicate'] as const) : []),
    ];
    if (why.length > 0) out.set(`${f.source}:${f.id}`, why);
  }
  return out;
}

function readExperimentOrUndefined(runDir: string): Experiment | undefined {
  try {
    return existsSync(join(runDir, RUN_FILES.experiment)) ? readRunExperiment(runDir) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds datasets/clinsynth.duckdb (every row, with verdicts and safety flags as columns), datasets/<table>.{parquet,jsonl}
 * (without PHI-flagged silver/bronze rows unless includeFlagged), datasets/summary.json and the dataset card
 * datasets/README.md; rerunning replaces them.
 */
export async function mergeRunDatasets(
  runDir: string,
  opts: MergeOptions,
): Promise<MergeSummary & { safety: SafetySummary }> {
  const dir = join(runDir, RUN_FILES.datasets);
  mkdirSync(dir, { recursive: true });
  const dbFile = join(dir, 'clinsynth.duckdb');
  const includeFlagged = opts.includeFlagged ?? false;
  return withDuckDb(dbFile, async (c) => {
    await buildSourceTables(c, runDir);
    const checkRows = (await c.runAndReadAll(loadSql('safety-rows'))).getRowObjectsJson() as unknown as CheckRow[];
    const { flags, safety } = await safetyFlags(checkRows, opts);
    safety.repeatsMerged = (
      (await c.runAndReadAll(loadSql('bronze-repeats'))).getRowObjectsJson()[0] as { repeats: number }
    ).repeats;
    const flagFile = join(dir, '.safety-flags.jsonl');
    writeJsonl(flagFile, flags);
    await c.run(loadSql('safety', { flagFiles: [flagFile] }));
    await c.run(loadSql('review'));
    for (const table of DATASET_TABLES) {
      await c.run(
        loadSql('export', {
          table,
          includeFlagged,
          parquetFile: join(dir, `${table}.parquet`),
          jsonlFile: join(dir, `${table}.jsonl`),
        }),
      );
    }
    const rows = (await c.runAndReadAll(loadSql('counts'))).getRowObjectsJson() as {
      source: string;
      split: string;
      verdict: string | null;
      n: number;
      usable: number;
    }[];
    const counts: Record<string, number> = {};
    const verdicts = new Map<string, number>();
    for (const r of rows) {
      const key = r.source === 'gold' ? `gold_${r.split}` : r.source;
      counts[key] = (counts[key] ?? 0) + r.n;
      counts[`${key}_usable`] = (counts[`${key}_usable`] ?? 0) + r.usable;
      // Reviewed rows repeat a silver/bronze row's verdict: counted once, under their own source.
      if ((r.source === 'silver' || r.source === 'bronze') && r.verdict)
        verdicts.set(`${r.source}\t${r.verdict}`, (verdicts.get(`${r.source}\t${r.verdict}`) ?? 0) + r.n);
    }
    counts.phiFlagged = safety.phiRows.silver + safety.phiRows.bronze;
    counts.leakageDropped = safety.leakageDropped.silver + safety.leakageDropped.bronze;
    counts.bronzeNearDuplicates = safety.nearDuplicatesDropped;
    counts.bronzeRepeatsMerged = safety.repeatsMerged;
    counts.bronzeRejected = pageFiles(runDir, 'bronzeRejected').reduce((n, f) => n + readJsonl(f).length, 0);
    const composition = (
      await c.runAndReadAll(loadSql('label-counts'))
    ).getRowObjectsJson() as MergeSummary['composition'];
    const summary: MergeSummary & { safety: SafetySummary } = {
      counts,
      composition,
      verdicts: [...verdicts].map(([k, n]) => {
        const [source, verdict] = k.split('\t') as [string, string];
        return { source, verdict, n };
      }),
      safety,
    };
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');

    const card = (await c.runAndReadAll(loadSql('card', { includeFlagged }))).getRowObjectsJson() as {
      section: 'rows' | 'label' | 'model';
      source: string;
      split: string;
      key: string | null;
      key2: string | null;
      n: number;
      usable: number;
    }[];
    const e = readExperimentOrUndefined(runDir);
    const hf = await writeHfSplits(c, dir, includeFlagged, e?.labels ?? []);
    writeDatasetCard(dir, {
      name: e?.name ?? basename(runDir),
      description: e?.description,
      runId: basename(runDir),
      taxonomyVersion: e?.taxonomyVersion,
      labels: e?.labels,
      corpus: e?.corpus ? { format: e.corpus.format, sensitive: e.corpus.sensitive } : undefined,
      includeFlagged,
      rows: card
        .filter((r) => r.section === 'rows')
        .map(({ source, split, n, usable }) => ({ source, split, n, usable })),
      labelCounts: card
        .filter((r) => r.section === 'label')
        .map(({ source, split, key, n, usable }) => ({ source, split, label: key ?? 'none', n, usable })),
      models: card
        .filter((r) => r.section === 'model')
        .map(({ source, key, key2, n }) => ({ source, model: key ?? '', promptVersion: key2, n })),
      safety,
      thresholds: {
        leakage: opts.leakageThreshold ?? LEAKAGE_THRESHOLD,
        nearDuplicate: opts.nearDuplicateThreshold ?? NEAR_DUPLICATE_THRESHOLD,
      },
      bronzeRejected: counts.bronzeRejected,
      hf,
    });
    return summary;
  });
}

export interface TrainingRow {
  id: string;
  text: string;
  labels: string[];
  source: MixSource;
}

/**
 * The usable training rows of the sources in a mix, read from the merged Parquet export. `review` (runs with
 * review.enabled, whose exports have the review columns): `after` trains on the reviewers' labels and includes
 * `reviewed` rows; `before` on the labels and usability the rows had before the review (the comparison's baseline).
 */
export async function trainingRows(
  runDir: string,
  sources: MixSource[],
  review?: 'after' | 'before',
): Promise<TrainingRow[]> {
  return withDuckDb(':memory:', async (c) => {
    const mergedParquet = join(runDir, RUN_FILES.datasets, 'merged.parquet');
    const sql = review
      ? loadSql('training-rows-reviewed', { mergedParquet, sources, beforeReview: review === 'before' })
      : loadSql('training-rows', { mergedParquet, sources });
    return (await c.runAndReadAll(sql)).getRowObjectsJson() as unknown as TrainingRow[];
  });
}
