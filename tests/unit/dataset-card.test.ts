// lib/dataset/card.ts: the Hugging Face dataset card (YAML configs for the Parquet exports, counts, provenance, licence notes), alone and as written by the merge.
import { writeExperimentJson } from '../support/experiments.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDatasetCard, type DatasetCardInfo } from '../../lib/dataset/card.js';
import { mergeRunDatasets } from '../../lib/dataset/merge.js';
import { pagePath, RUN_FILES, writeJsonl } from '../../lib/run/run-dir.js';
import { sharedEmbed } from '../../lib/model/embeddings.js';

function frontMatter(card: string): {
  configs: { config_name: string; data_files: { split: string; path: string }[]; default?: boolean }[];
  dataset_info: { config_name: string; features: { name: string; dtype?: string; list?: unknown }[] }[];
  license: string;
  license_name: string;
  license_link: string;
  size_categories: string[];
  pretty_name: string;
} {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(card);
  if (!m) throw new Error('no YAML front matter');
  return parse(m[1]!) as ReturnType<typeof frontMatter>;
}

const info = (over: Partial<DatasetCardInfo> = {}): DatasetCardInfo => ({
  name: 'demo-ad',
  runId: 'demo-ad-123',
  taxonomyVersion: 'ad-signs-symptoms@1',
  labels: ['cognitive_impairment', 'notice_by_others'],
  corpus: { format: 'jsonl', sensitive: false },
  includeFlagged: false,
  rows: [
    { source: 'gold', split: 'train', n: 3, usable: 3 },
    { source: 'gold', split: 'test', n: 2, usable: 2 },
    { source: 'silver', split: 'train', n: 7, usable: 5 },
    { source: 'bronze', split: 'train', n: 11, usable: 9 },
  ],
  labelCounts: [
    { source: 'gold', split: 'train', label: 'cognitive_impairment', n: 2, usable: 2 },
    { source: 'silver', split: 'train', label: 'cognitive_impairment', n: 4, usable: 3 },
    { source: 'bronze', split: 'train', label: 'none', n: 6, usable: 6 },
  ],
  models: [
    { source: 'bronze', model: 'openai:gpt-4o-mini', promptVersion: 'bronze-v3', n: 11 },
    { source: 'selfcheck-bronze', model: 'openai:gpt-4o', promptVersion: 'selfcheck-v1', n: 11 },
  ],
  safety: {
    phiRows: { gold: 1, silver: 2, bronze: 0 },
    phiByKind: { name: 2, date: 1 },
    leakageDropped: { silver: 1, bronze: 0 },
    nearDuplicatesDropped: 2,
  },
  thresholds: { leakage: 0.95, nearDuplicate: 0.95 },
  hf: {
    configs: [
      {
        name: 'default',
        splits: [
          { split: 'train', path: 'hf/default-train.parquet', n: 17 },
          { split: 'test', path: 'hf/default-test.parquet', n: 2 },
        ],
      },
      { name: 'flagged', splits: [{ split: 'flagged', path: 'hf/flagged-flagged.parquet', n: 4 }] },
    ],
    columns: [
      { name: 'id', type: 'VARCHAR' },
      { name: 'labels', type: 'VARCHAR[]' },
      { name: 'usable', type: 'BOOLEAN' },
    ],
    labelNames: ['cognitive_impairment', 'notice_by_others'],
  },
  ...over,
});

describe('renderDatasetCard', () => {
  it('has YAML front matter with train/test splits per config, labels as ClassLabel, and a licence link', () => {
    const card = renderDatasetCard(info());
    const fm = frontMatter(card);
    expect(fm.configs).toEqual([
      {
        config_name: 'default',
        default: true,
        data_files: [
          { split: 'train', path: 'hf/default-train.parquet' },
          { split: 'test', path: 'hf/default-test.parquet' },
        ],
      },
      { config_name: 'flagged', data_files: [{ split: 'flagged', path: 'hf/flagged-flagged.parquet' }] },
    ]);
    expect(fm.dataset_info.map((d) => d.config_name)).toEqual(['default', 'flagged']);
    expect(fm.dataset_info[0]!.features).toEqual([
      { name: 'id', dtype: 'string' },
      { name: 'labels', list: { class_label: { names: { 0: 'cognitive_impairment', 1: 'notice_by_others' } } } },
      { name: 'usable', dtype: 'bool' },
    ]);
    expect(fm.license).toBe('other');
    expect(fm.license_name).toBe('clinsynth-per-source-terms');
    expect(fm.license_link).toBe('LICENSE.md');
    expect(fm.size_categories).toEqual(['n<1K']);
    expect(fm.pretty_name).toBe('clinsynth demo-ad');
  });

  it('lists counts per source and label, models and prompt versions, and the safety findings', () => {
    const card = renderDatasetCard(info());
    expect(card).toContain('| default | train | hf/default-train.parquet | 17 |');
    expect(card).toContain('| flagged | flagged | hf/flagged-flagged.parquet | 4 |');
    expect(card).toContain('| rows | 3 (3 usable) | 2 (2 usable) | 7 (5 usable) | 11 (9 usable) |');
    expect(card).toContain('| cognitive_impairment | 2 | 0 | 4 (3 usable) | 0 |');
    expect(card).toContain('| none | 0 | 0 | 0 | 6 |');
    expect(card).toContain('| bronze | openai:gpt-4o-mini | bronze-v3 | 11 |');
    expect(card).toContain('| selfcheck-bronze | openai:gpt-4o | selfcheck-v1 | 11 |');
    expect(card).toMatch(/2 silver, 0 bronze and 1 gold rows/);
    expect(card).toMatch(/1 silver and 0 bronze rows marked unusable/);
    expect(card).toMatch(/Bronze near-duplicates .*: 2 rows/);
    expect(card).toContain('left out of these exports');
    expect(renderDatasetCard(info({ includeFlagged: true }))).toContain('Flagged rows are included in these exports');
  });

  it('says whose terms apply: gold the owner, silver the corpus (MIMIC: do not share), bronze the LLM', () => {
    const plain = renderDatasetCard(info());
    expect(plain).toMatch(/\*\*gold\*\*: the experiment owner's data/);
    expect(plain).toMatch(/\*\*silver\*\*: .*inherit its licence/);
    expect(plain).toMatch(/\*\*bronze\*\*: written by an LLM .*`openai:gpt-4o-mini`/);
    expect(plain).not.toMatch(/PhysioNet/);
    const mimic = renderDatasetCard(info({ corpus: { format: 'mimic-noteevents-csv', sensitive: true } }));
    expect(mimic).toMatch(/PhysioNet Credentialed Health Data Use Agreement: do not share/);
    expect(mimic).toMatch(/marked sensitive/);
    expect(renderDatasetCard(info({ corpus: undefined }))).toMatch(/no silver data/);
  });

  it('keeps table cells and YAML intact with odd names', () => {
    const card = renderDatasetCard(
      info({ name: 'a: "b"', models: [{ source: 'bronze', model: 'local:x|y', promptVersion: null, n: 1 }] }),
    );
    expect(frontMatter(card).pretty_name).toBe('clinsynth a: "b"');
    expect(card).toContain('| bronze | local:x\\|y | — | 1 |');
  });
});

describe('dataset card written by mergeRunDatasets', () => {
  const home = mkdtempSync(join(tmpdir(), 'clinsynth-card-home-'));
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.CLINSYNTH_HOME;
    process.env.CLINSYNTH_HOME = home;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.CLINSYNTH_HOME;
    else process.env.CLINSYNTH_HOME = saved;
  });

  it('writes datasets/README.md with configs, exported counts per label and source, models and licence notes', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'clinsynth-card-'));
    writeExperimentJson(runDir, {
      name: 'card-test',
      labels: ['cognitive_impairment', 'requiring_assistance'],
      taxonomyVersion: 'ad@2',
      corpus: { format: 'mimic-noteevents-csv', sensitive: true },
    });
    writeJsonl(join(runDir, RUN_FILES.goldTrain), [
      { id: 'g1', text: 'She forgets recent conversations.', labels: ['cognitive_impairment'], split: 'train' },
    ]);
    writeJsonl(join(runDir, RUN_FILES.goldTest), [
      { id: 't1', text: 'He needs help with bathing.', labels: ['requiring_assistance'], split: 'test' },
    ]);
    const prov = (id: string) => ({ model: 'openai:gpt-4o-mini', promptVersion: 'silver-v2', cacheKey: `ck-${id}` });
    writeJsonl(pagePath(runDir, 'silver', 0), [
      {
        id: 's1',
        noteId: 'n1',
        start: 0,
        end: 10,
        text: 'Seen by Dr. Smith on 1/2/2019.',
        labels: ['cognitive_impairment'],
        reason: 'random',
        ...prov('s1'),
      },
      {
        id: 's2',
        noteId: 'n1',
        start: 11,
        end: 40,
        text: 'She repeats questions all day.',
        labels: ['cognitive_impairment'],
        reason: 'random',
        ...prov('s2'),
      },
    ]);
    writeJsonl(pagePath(runDir, 'bronze', 0), [
      {
        id: 'b-1',
        text: 'His wife now handles the finances.',
        labels: ['requiring_assistance'],
        style: {},
        model: 'openai:gpt-4o',
        promptVersion: 'bronze-v1',
        cacheKey: 'b1',
      },
    ]);
    await mergeRunDatasets(runDir, { embed: sharedEmbed });
    const card = readFileSync(join(runDir, RUN_FILES.datasets, 'README.md'), 'utf8');
    // s1 (PHI) is in no split: not exported without includeFlagged.
    expect(
      frontMatter(card).configs.map((c) => [c.config_name, c.data_files.map((f) => `${f.split}=${f.path}`)]),
    ).toEqual([
      ['default', ['train=hf/default-train.parquet', 'test=hf/default-test.parquet']],
      ['gold', ['train=hf/gold-train.parquet', 'test=hf/gold-test.parquet']],
      ['silver', ['train=hf/silver-train.parquet']],
      ['bronze', ['train=hf/bronze-train.parquet']],
    ]);
    expect(card).toContain('# clinsynth dataset: card-test');
    expect(card).toContain('| default | train | hf/default-train.parquet | 3 |');
    expect(card).toContain('| default | test | hf/default-test.parquet | 1 |');
    expect(readFileSync(join(runDir, RUN_FILES.datasets, 'LICENSE.md'), 'utf8')).toMatch(/PhysioNet/);
    expect(card).toContain('| rows | 1 (1 usable) | 1 (1 usable) | 1 (1 usable) | 1 (1 usable) |');
    expect(card).toContain('| cognitive_impairment | 1 | 0 | 1 | 0 |');
    expect(card).toContain('| requiring_assistance | 0 | 1 | 0 | 1 |');
    expect(card).toContain('| silver | openai:gpt-4o-mini | silver-v2 | 1 |');
    expect(card).toContain('| bronze | openai:gpt-4o | bronze-v1 | 1 |');
    expect(card).toMatch(/1 silver, 0 bronze and 0 gold rows/);
    expect(card).toMatch(/PhysioNet/);
  });
});
