// lib/fidelity on small inputs: distinct-n, negation, label distribution, percentiles, sampling; and a run's fidelity report with the real encoder (memorisation risk, bronze neighbours).
import { writeExperimentJson } from '../support/experiments.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  distinctN,
  distribution,
  jensenShannonDivergence,
  labelDistribution,
  textStats,
  tokens,
} from '../../lib/fidelity/measures.js';
import { BRONZE_NEAREST_FILE, evenSample, FIDELITY_FILE, writeFidelity } from '../../lib/fidelity/run-fidelity.js';
import { mergeRunDatasets } from '../../lib/dataset/merge.js';
import { sharedEmbed } from '../../lib/model/embeddings.js';
import { pagePath, RUN_FILES, writeJsonl } from '../../lib/run/run-dir.js';

const home = mkdtempSync(join(tmpdir(), 'clinsynth-fidelity-home-'));
let savedHome: string | undefined;
beforeAll(() => {
  savedHome = process.env.CLINSYNTH_HOME;
  process.env.CLINSYNTH_HOME = home;
});
afterAll(() => {
  if (savedHome === undefined) delete process.env.CLINSYNTH_HOME;
  else process.env.CLINSYNTH_HOME = savedHome;
});

describe('fidelity measures', () => {
  it('distinct-n counts n-grams within sentences; negation cues; label shares with none', () => {
    expect(tokens("He doesn't recall 2 names.")).toEqual(['he', 'doesn', 't', 'recall', '2', 'names']);
    // 6 unigrams, 4 distinct; bigrams: (a b)(b c) + (a b)(b a) = 4, 3 distinct — none across the sentence boundary.
    expect(distinctN(['a b c', 'a b a'], 1)).toBeCloseTo(3 / 6, 12);
    expect(distinctN(['a b c', 'a b a'], 2)).toBeCloseTo(3 / 4, 12);
    expect(distinctN(['a'], 2)).toBe(0);
    const s = textStats(['She denies memory loss.', 'No falls.', 'He is confused.', "Can't recall the date."]);
    expect(s.negationShare).toBe(0.75);
    expect(s.meanTokens).toBeCloseTo((4 + 2 + 3 + 5) / 4, 12);
    const d = labelDistribution(
      [{ labels: ['a'] }, { labels: ['a', 'b'] }, { labels: [] }, { labels: ['unknown'] }],
      ['a', 'b'],
    );
    expect(d.counts).toEqual({ a: 2, b: 1, none: 2 });
    expect(d.shares.a).toBeCloseTo(0.4, 12);
    expect(jensenShannonDivergence({ a: 1 }, { a: 5 })).toBe(0);
  });

  it('percentiles as numpy linear, histogram bins of 0.1, even sampling by id', () => {
    const d = distribution([0.05, 0.95, 0.5, 1])!;
    expect(d.p50).toBeCloseTo(0.725, 12);
    expect(d.histogram).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(distribution([])).toBeNull();
    const rows = Array.from({ length: 10 }, (_v, i) => ({ id: `r${9 - i}` }));
    expect(evenSample(rows, 5).map((r) => r.id)).toEqual(['r0', 'r2', 'r4', 'r6', 'r8']);
  });

  it("a run's report: bronze copying a corpus sentence is a memorisation risk; silver has no nearest-corpus figure", async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'clinsynth-fidelity-'));
    const labels = ['cognitive_impairment', 'requiring_assistance'];
    writeExperimentJson(runDir, { name: 'fidelity', labels, taxonomyVersion: 't@1' });
    writeJsonl(join(runDir, RUN_FILES.goldTrain), [
      { id: 'g1', text: 'She forgets recent conversations.', labels: ['cognitive_impairment'], split: 'train' },
    ]);
    writeJsonl(join(runDir, RUN_FILES.goldTest), [
      { id: 't1', text: 'He needs help with bathing and dressing.', labels: ['requiring_assistance'], split: 'test' },
    ]);
    const copied = 'Her daughter now pays all of her bills for her.';
    writeJsonl(pagePath(runDir, 'candidates', 0), [
      { id: 'c1', noteId: 'n1', start: 0, end: copied.length, text: copied, reason: 'random', count: 1 },
      {
        id: 'c2',
        noteId: 'n1',
        start: 50,
        end: 80,
        text: 'Blood pressure was normal today.',
        reason: 'random',
        count: 1,
      },
    ]);
    const prov = { model: 'm', promptVersion: 'p', cacheKey: 'k' };
    writeJsonl(pagePath(runDir, 'silver', 0), [
      {
        id: 'c2',
        noteId: 'n1',
        start: 50,
        end: 80,
        text: 'Blood pressure was normal today.',
        labels: [],
        reason: 'random',
        ...prov,
      },
    ]);
    writeJsonl(pagePath(runDir, 'bronze', 0), [
      { id: 'b1', text: copied, labels: ['requiring_assistance'], style: {}, ...prov },
      {
        id: 'b2',
        text: 'The patient keeps losing track of the conversation.',
        labels: ['cognitive_impairment'],
        style: {},
        ...prov,
      },
    ]);
    await mergeRunDatasets(runDir, { embed: sharedEmbed });
    const f = await writeFidelity(runDir, (t) => sharedEmbed(t), 'minilm');
    expect(JSON.parse(readFileSync(join(runDir, FIDELITY_FILE), 'utf8'))).toEqual(f);
    const bronze = f.sets.bronze!;
    expect(bronze.rows).toBe(2);
    expect(bronze.memorisationRisk.map((m) => [m.id, m.of, m.nearestText])).toEqual([['b1', 'corpus', copied]]);
    expect(bronze.memorisationRisk[0]!.cosine).toBeGreaterThan(0.99);
    expect(bronze.perLabel.requiring_assistance!.nearestCorpus!.max).toBeGreaterThan(0.99);
    expect(bronze.perLabel.cognitive_impairment!.nearestCorpus!.max).toBeLessThan(0.95);
    expect(bronze.overall.selfSimilarity).toBeLessThan(0.9);
    expect(f.sets.silver!.overall.nearestCorpus).toBeNull();
    expect(f.sets.silver!.labelDistribution.counts).toEqual({
      cognitive_impairment: 0,
      requiring_assistance: 0,
      none: 1,
    });
    const nearestLines = readFileSync(join(runDir, BRONZE_NEAREST_FILE), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(nearestLines.map((l) => l.id).sort()).toEqual(['b1', 'b2']);
  });
});
