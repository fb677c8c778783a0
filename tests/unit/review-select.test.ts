// Review selection on real DuckDB and the real embedder: rows the safety checks make unusable never reach reviewers; the prediction score Label Studio sorts by.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectForReview } from '../../lib/review/select.js';
import { predictionScore } from '../../lib/review/label-studio.js';
import type { Experiment } from '../../lib/config/experiment.js';
import { pagePath, RUN_FILES, writeJsonl } from '../../lib/run/run-dir.js';

const prov = (id: string) => ({ model: 'openai:fake', promptVersion: 'p1', cacheKey: `ck-${id}` });
const silver = (id: string, text: string) => ({
  id,
  noteId: `n-${id}`,
  start: 0,
  end: text.length,
  text,
  labels: ['cognitive_impairment'],
  reason: 'random',
  ...prov(id),
});
const fix = (set: 'silver' | 'bronze', id: string) => ({
  id,
  set,
  verdict: 'fix',
  labels: ['notice_by_others'],
  reason: 'fix',
  model: 'openai:fake',
  promptVersion: 'selfcheck-v1',
  cacheKey: `ck-check-${id}`,
});

describe('selectForReview', () => {
  it('leaves out PHI-flagged, leaking and near-duplicate rows, and counts them', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'clinsynth-review-select-'));
    writeJsonl(join(runDir, RUN_FILES.goldTrain), [
      { id: 'g1', text: 'She forgets names.', labels: ['cognitive_impairment'], split: 'train' },
    ]);
    writeJsonl(join(runDir, RUN_FILES.goldTest), [
      { id: 't1', text: 'He needs help with bathing.', labels: [], split: 'test' },
    ]);
    writeJsonl(pagePath(runDir, 'silver', 0), [
      silver('s1', 'She repeats the same questions all day.'),
      silver('s2', 'Seen in clinic on 3/4/2021 with her son.'), // a PHI-like date
      silver('s3', 'He needs help with bathing.'), // the gold test sentence
    ]);
    const bronze = (id: string, text: string) => ({ id, text, labels: [], style: {}, ...prov(id) });
    writeJsonl(pagePath(runDir, 'bronze', 0), [
      bronze('b-1', 'Assessment: probable Alzheimer dementia, moderate stage.'),
      bronze('b-2', 'Assessment: probable Alzheimer dementia, moderate stage'),
    ]);
    writeJsonl(
      pagePath(runDir, 'verdictsSilver', 0),
      ['s1', 's2', 's3'].map((id) => fix('silver', id)),
    );
    writeJsonl(
      pagePath(runDir, 'verdictsBronze', 0),
      ['b-1', 'b-2'].map((id) => fix('bronze', id)),
    );
    const e = { review: { select: ['selfcheck-fix'], max: 10 } } as unknown as Experiment;
    const { tasks, stats } = await selectForReview(e, runDir);
    // Every row is a self-check fix; only s1 and b-1 can train whatever the reviewer decides.
    expect(tasks.map((t) => t.ref)).toEqual(['silver:s1', 'bronze:b-1']);
    expect(stats.candidates).toBe(2);
    expect(stats.excluded).toEqual({ phi: 1, leakage: 1, 'near-duplicate': 1 });
  });
});

describe('predictionScore', () => {
  it('is lower the less certain the run is of the LLM labels', () => {
    const t = { verdict: 'keep' as const, llmLabels: ['a'] };
    expect(predictionScore({ ...t, classifierLabels: ['a'], margin: 0 })).toBe(0);
    expect(predictionScore({ ...t, classifierLabels: ['a'], margin: 2 })).toBe(0.7616);
    expect(predictionScore({ ...t, classifierLabels: ['b'], margin: 2 })).toBe(0.3808);
    expect(predictionScore({ ...t, classifierLabels: [], margin: null })).toBe(1);
    expect(predictionScore(t)).toBe(1);
    expect(predictionScore({ ...t, verdict: 'fix' })).toBe(0.5);
    expect(predictionScore({ ...t, verdict: 'reject' })).toBe(0.5);
  });
});
