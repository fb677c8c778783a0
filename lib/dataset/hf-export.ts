// The Hugging Face view of a run's export: split files under datasets/hf/ and the card's `configs` and `features` for them.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { loadSql } from './sql.js';

/** Where the split files go, relative to the datasets folder. */
export const HF_DIR = 'hf';
/** Configs in card order; `default` is what `load_dataset(folder)` gives. */
export const HF_CONFIGS = ['default', 'gold', 'silver', 'bronze', 'reviewed', 'flagged'] as const;
const SPLIT_ORDER = ['train', 'test', 'flagged'];

export interface HfSplit {
  split: string;
  /** Relative to the datasets folder. */
  path: string;
  n: number;
}
export interface HfConfig {
  name: string;
  splits: HfSplit[];
}
export interface HfExport {
  /** Configs with at least one row, in HF_CONFIGS order; a split without rows is left out. */
  configs: HfConfig[];
  /** The split files' columns with their DuckDB types. */
  columns: { name: string; type: string }[];
  /** Every label id in the split files' `labels`, the experiment's own first (in its order). */
  labelNames: string[];
}

/**
 * Writes datasets/hf/<config>-<split>.parquet from the merged tables (sql/hf-export.sql), replacing an earlier
 * export, and says what it wrote. `labels` is the experiment's label ids (the ClassLabel order).
 */
export async function writeHfSplits(
  c: DuckDBConnection,
  datasetsDir: string,
  includeFlagged: boolean,
  labels: readonly string[],
): Promise<HfExport> {
  const dir = join(datasetsDir, HF_DIR);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const parts = (await c.runAndReadAll(loadSql('hf-export', { includeFlagged }))).getRowObjectsJson() as {
    config: string;
    split: string;
    n: number;
  }[];
  const configs: HfConfig[] = [];
  for (const name of HF_CONFIGS) {
    const splits = parts
      .filter((p) => p.config === name && p.n > 0)
      .sort((a, b) => SPLIT_ORDER.indexOf(a.split) - SPLIT_ORDER.indexOf(b.split))
      .map((p) => ({ split: p.split, path: `${HF_DIR}/${name}-${p.split}.parquet`, n: p.n }));
    for (const s of splits)
      await c.run(loadSql('hf-copy', { config: name, split: s.split, parquetFile: join(datasetsDir, s.path) }));
    if (splits.length > 0) configs.push({ name, splits });
  }
  const columns = (await c.runAndReadAll(loadSql('hf-columns'))).getRowObjectsJson() as HfExport['columns'];
  const seen = (await c.runAndReadAll(loadSql('hf-labels'))).getRowObjectsJson().map((r) => String(r.label));
  const labelNames = [...labels, ...seen.filter((l) => !labels.includes(l)).sort()];
  return { configs, columns, labelNames };
}

const DTYPES: Record<string, string> = {
  VARCHAR: 'string',
  BOOLEAN: 'bool',
  INTEGER: 'int32',
  BIGINT: 'int64',
  DOUBLE: 'float64',
  FLOAT: 'float32',
};

/** One column as a `features` entry of the card's YAML (the `datasets` library's own form). */
function featureYaml(name: string, type: string, labelNames: readonly string[]): string[] {
  if (name === 'labels' && type === 'VARCHAR[]')
    return [
      `  - name: ${name}`,
      '    list:',
      '      class_label:',
      '        names:',
      ...labelNames.map((l, i) => `          '${i}': ${JSON.stringify(l)}`),
    ];
  const list = /^(\w+)\[\]$/.exec(type);
  const dtype = DTYPES[list ? list[1]! : type];
  if (!dtype)
    throw new Error(`datasets/${HF_DIR}: column ${name} has DuckDB type ${type}, which the card cannot declare`);
  return [`  - name: ${name}`, list ? `    list: ${dtype}` : `    dtype: ${dtype}`];
}

/** The card's `configs` and `dataset_info` YAML: data_files as {split, path} lists, `labels` a list of ClassLabel. */
export function hfCardYaml(hf: HfExport): string[] {
  if (hf.configs.length === 0) return [];
  return [
    'configs:',
    ...hf.configs.flatMap((c) => [
      `- config_name: ${c.name}`,
      ...(c.name === 'default' ? ['  default: true'] : []),
      '  data_files:',
      ...c.splits.flatMap((s) => [`  - split: ${s.split}`, `    path: ${s.path}`]),
    ]),
    'dataset_info:',
    ...hf.configs.flatMap((c) => [
      `- config_name: ${c.name}`,
      '  features:',
      ...hf.columns.flatMap((col) => featureYaml(col.name, col.type, hf.labelNames)),
    ]),
  ];
}
