// The export loaded with the real Hugging Face `datasets` library (the hash-pinned test venv): train/test splits, flagged rows apart, ClassLabel label names.
import { writeExperimentJson } from '../support/experiments.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mergeRunDatasets, trainingRows } from '../../lib/dataset/merge.js';
import { sharedEmbed } from '../../lib/model/embeddings.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';
import { pagePath, RUN_FILES, writeJsonl } from '../../lib/run/run-dir.js';
import type { ReviewedRow, SilverRow, VerdictRow } from '../../lib/run/records.js';

/** The hash-pinned test venv of scripts/test-venv-setup.sh (datasets 5.2.0); CLINSYNTH_TEST_PYTHON overrides it. */
const PYTHON = process.env.CLINSYNTH_TEST_PYTHON ?? join(PROJECT_ROOT, '.tools', 'test-venv', 'bin', 'python');
const SCRIPT = join(PROJECT_ROOT, 'tests', 'reference', 'hf_load.py');
const LABELS = ['cognitive_impairment', 'notice_by_others', 'requiring_assistance', 'dementia_diagnosis'];

interface HfRow {
  id: string;
  source: string;
  split: string;
  text: string;
  usable: boolean;
  labels: string[];
}
interface Loaded {
  version: string;
  default_splits: string[];
  configs: Record<
    string,
    Record<string, { labels_feature: string; features: Record<string, string>; label_names: string[]; rows: HfRow[] }>
  >;
}

const prov = (id: string) => ({ model: 'openai:fake', promptVersion: 'p1', cacheKey: `ck-${id}` });
const silver = (id: string, text: string, labels: string[]): SilverRow => ({
  id,
  noteId: `n-${id}`,
  start: 0,
  end: text.length,
  text,
  labels,
  reason: 'random',
  ...prov(id),
});
const verdict = (id: string, v: VerdictRow['verdict']): VerdictRow => ({
  id,
  set: 'silver',
  verdict: v,
  labels: [],
  reason: v,
  model: 'openai:fake',
  promptVersion: 'selfcheck-v1',
  cacheKey: `ck-check-${id}`,
});

/** Gold train/test, silver kept/rejected/PHI/leaking/reviewed, bronze with a near-duplicate. */
function runDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clinsynth-hf-'));
  writeExperimentJson(dir, { name: 'hf-test', labels: LABELS, taxonomyVersion: 'ad@2' });
  writeJsonl(join(dir, RUN_FILES.goldTrain), [
    { id: 'g1', text: 'She forgets recent conversations.', labels: ['cognitive_impairment'], split: 'train' },
    { id: 'g2', text: 'Abdomen soft, non-tender.', labels: [], split: 'train' },
  ]);
  writeJsonl(join(dir, RUN_FILES.goldTest), [
    { id: 't1', text: 'He needs help with bathing.', labels: ['requiring_assistance'], split: 'test' },
    { id: 't2', text: 'Lungs are clear bilaterally.', labels: [], split: 'test' },
  ]);
  writeJsonl(pagePath(dir, 'silver', 0), [
    silver('s1', 'She repeats the same questions all day.', ['cognitive_impairment']),
    silver('s2', 'Family is worried about the stove left on.', ['notice_by_others']),
    silver('s3', 'Seen by Dr. Smith on 1/2/2019.', ['cognitive_impairment']),
    silver('s4', 'He needs help with bathing.', ['requiring_assistance']),
    silver('s5', 'Daughter noticed he got lost driving home.', ['cognitive_impairment']),
    silver('s6', 'Patient seen, plan discussed.', ['cognitive_impairment']),
  ]);
  writeJsonl(pagePath(dir, 'verdictsSilver', 0), [verdict('s1', 'keep'), verdict('s2', 'reject')]);
  const bronzeRow = (id: string, text: string) => ({
    id,
    text,
    labels: ['dementia_diagnosis'],
    style: { noteType: 'progress note' },
    ...prov(id),
  });
  writeJsonl(pagePath(dir, 'bronze', 0), [
    bronzeRow('b-1', 'Assessment: probable Alzheimer dementia, moderate stage.'),
    bronzeRow('b-2', 'Assessment: probable Alzheimer dementia, moderate stage'),
  ]);
  const reviewed: ReviewedRow = {
    ref: 'silver:s5',
    set: 'silver',
    id: 's5',
    labels: ['notice_by_others'],
    drop: false,
    llmLabels: ['cognitive_impairment'],
    reasons: ['selfcheck-fix'],
    reviewer: 'ann@example.org, bob@example.org',
    reviewedAt: '2025-03-01T10:00:00.000Z',
    // Two reviewers who disagreed (the import's record of it passes through the merge).
    reviews: [
      {
        reviewer: 'ann@example.org',
        labels: ['notice_by_others'],
        drop: false,
        reviewedAt: '2025-03-01T09:00:00.000Z',
      },
      { reviewer: 'bob@example.org', labels: [], drop: false, reviewedAt: '2025-03-01T10:00:00.000Z' },
    ],
    disagreement: true,
  };
  const dropped: ReviewedRow = {
    ...reviewed,
    ref: 'silver:s6',
    id: 's6',
    labels: [],
    drop: true,
    reviewer: 'ann@example.org',
    reviews: undefined,
    disagreement: undefined,
  };
  writeJsonl(join(dir, RUN_FILES.reviewed), [reviewed, dropped]);
  return dir;
}

describe('datasets/ loaded with Hugging Face datasets', () => {
  let run: string;
  let loaded: Loaded;
  beforeAll(async () => {
    run = runDir();
    await mergeRunDatasets(run, { embed: sharedEmbed });
    const r = spawnSync(PYTHON, [SCRIPT, join(run, RUN_FILES.datasets)], {
      encoding: 'utf8',
      env: { ...process.env, HF_DATASETS_OFFLINE: '1', HF_HUB_OFFLINE: '1', HF_HOME: join(run, '.hf-home') },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`${PYTHON} ${SCRIPT} failed (${r.status}): ${r.stderr}`);
    loaded = JSON.parse(r.stdout) as Loaded;
  });
  const ids = (rows: HfRow[]) => rows.map((r) => `${r.source}:${r.id}`).sort();

  it('is the pinned datasets 5.2.0, and gives the default config as train and test', () => {
    expect(loaded.version).toBe('5.2.0');
    expect(loaded.default_splits).toEqual(['test', 'train']);
    expect(Object.keys(loaded.configs)).toEqual(['default', 'gold', 'silver', 'bronze', 'reviewed', 'flagged']);
  });

  it('trains only on usable train rows: no gold test sentence, no flagged row, reviewed rows once', async () => {
    const { train, test } = loaded.configs.default!;
    expect(ids(train!.rows)).toEqual(['bronze:b-1', 'gold:g1', 'gold:g2', 'silver:s1', 'silver:s5']);
    expect(train!.rows.every((r) => r.usable && r.split === 'train')).toBe(true);
    const testTexts = new Set(test!.rows.map((r) => r.text));
    expect(train!.rows.filter((r) => testTexts.has(r.text))).toEqual([]);
    expect(train!.rows.find((r) => r.id === 's5')!.labels).toEqual(['notice_by_others']);
    // The same rows clinsynth itself trains a gold+silver+bronze mix on.
    const trained = await trainingRows(run, ['gold', 'silver', 'bronze'], 'after');
    expect(trained.map((r) => `${r.source}:${r.id}`).sort()).toEqual(ids(train!.rows));
  });

  it('tests only on the gold test rows', () => {
    const { test } = loaded.configs.default!;
    expect(ids(test!.rows)).toEqual(['gold:t1', 'gold:t2']);
    expect(loaded.configs.gold!.test!.rows.map((r) => r.id)).toEqual(['t1', 't2']);
    expect(ids(loaded.configs.gold!.train!.rows)).toEqual(['gold:g1', 'gold:g2']);
  });

  it('keeps flagged rows in their own config; PHI-flagged rows in none', () => {
    const flagged = loaded.configs.flagged!.flagged!.rows;
    // s2 rejected by the self-check, s4 repeats a gold test sentence, b-2 near-duplicates b-1, s6 a reviewer dropped.
    expect(ids(flagged)).toEqual(['bronze:b-2', 'silver:s2', 'silver:s4', 'silver:s6']);
    expect(flagged.every((r) => !r.usable)).toBe(true);
    const all = Object.values(loaded.configs).flatMap((c) => Object.values(c).flatMap((s) => s.rows));
    expect(all.filter((r) => r.id === 's3')).toEqual([]);
    expect(ids(loaded.configs.reviewed!.train!.rows)).toEqual(['reviewed:s5']);
  });

  it("types labels as a list of ClassLabel with the taxonomy's ids, in its order", () => {
    for (const config of Object.values(loaded.configs))
      for (const split of Object.values(config)) {
        expect(split.label_names).toEqual(LABELS);
        expect(split.labels_feature).toBe(
          `List(ClassLabel(names=${JSON.stringify(LABELS).replaceAll('"', "'").replaceAll(',', ', ')}))`,
        );
      }
    expect(loaded.configs.default!.train!.rows.find((r) => r.id === 'g1')!.labels).toEqual(['cognitive_impairment']);
    const features = loaded.configs.default!.train!.features;
    expect(features).toMatchObject({
      text: "Value('string')",
      usable: "Value('bool')",
      style: "Value('string')",
      start_offset: "Value('int32')",
      phi_kinds: "List(Value('string'))",
    });
  });
});
