// Classifier reference: our logreg (tuned thresholds) vs scikit-learn one-vs-rest LogisticRegression on the dev gold, macro-F1.
import { existsSync } from 'node:fs';
import { SentenceEncoder } from '../lib/model/encoder.js';
import { trainClassifier, predictLabels } from '../lib/model/classifier.js';
import { multilabelMetrics, meanSd } from '../lib/evaluate/metrics.js';
import { splitByGroup } from '../lib/evaluate/split.js';
import { readGold } from '../lib/corpus/readers.js';
import { labelIds, loadTaxonomy } from '../lib/run/taxonomy.js';
import { DEV_GOLD, TAXONOMY, mainIfDirect, result, round, type BenchResult } from './common.js';
import { runReference } from './reference-py.js';

const SEEDS = [1, 2, 3];

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  if (!existsSync(DEV_GOLD)) {
    const msg = `no dev gold at ${DEV_GOLD} (the shared data folder): classifier reference skipped`;
    console.error(msg);
    return result({
      id: 'classifier',
      title: 'logreg macro-F1 vs scikit-learn',
      figure: { value: NaN, unit: 'macro-F1', what: 'skipped' },
      baseline: { value: NaN, unit: 'macro-F1', what: 'skipped' },
      goal: '>= 1.1',
      pass: null,
      seconds: 0,
      details: {},
      notes: [msg],
    });
  }
  const labels = labelIds(loadTaxonomy(TAXONOMY));
  const rows = readGold(DEV_GOLD, labels);
  const enc = await SentenceEncoder.load({ threads: 2 });
  const X = await enc.embed(rows.map((r) => r.text), 32);
  await enc.release();
  const index = new Map(rows.map((r, i) => [r.id, i] as const));

  const ours: number[] = [];
  const splits: { seed: number; trainX: number[][]; trainY: string[][]; testX: number[][]; test: number[] }[] = [];
  const trainSeconds: number[] = [];
  for (const seed of SEEDS) {
    const { train, test } = splitByGroup(rows, 0.2, seed);
    const tr = train.map((id) => index.get(id)!);
    const te = test.map((id) => index.get(id)!);
    const s = performance.now();
    const head = trainClassifier(tr.map((i) => X[i]!), tr.map((i) => rows[i]!.labels), labels, { kind: 'logreg', seed, validationShare: 0.2 });
    trainSeconds.push((performance.now() - s) / 1000);
    const pred = predictLabels(head, te.map((i) => X[i]!));
    ours.push(multilabelMetrics(te.map((i) => rows[i]!.labels), pred, labels).macroF1);
    splits.push({ seed, trainX: tr.map((i) => Array.from(X[i]!)), trainY: tr.map((i) => rows[i]!.labels), testX: te.map((i) => Array.from(X[i]!)), test: te });
  }
  const ref = runReference<{ predictions: string[][][]; versions: Record<string, string> }>('logreg', {
    labels,
    splits: splits.map(({ seed, trainX, trainY, testX }) => ({ seed, trainX, trainY, testX })),
  });
  const sk = splits.map((sp, k) => multilabelMetrics(sp.test.map((i) => rows[i]!.labels), ref.predictions[k]!, labels).macroF1);
  const o = meanSd(ours);
  const r = meanSd(sk);
  return result({
    id: 'classifier',
    title: 'logreg macro-F1 vs scikit-learn (dev gold, 80/20 by note)',
    figure: { value: round(o.mean, 4), unit: 'macro-F1', what: `ours: logreg, tuned thresholds, seeds ${SEEDS.join(',')}: ${round(o.mean, 4)} ± ${round(o.sd, 4)}` },
    baseline: { value: round(r.mean, 4), unit: 'macro-F1', what: `scikit-learn ${ref.versions.sklearn} OvR LogisticRegression (C=1), threshold 0.5: ${round(r.mean, 4)} ± ${round(r.sd, 4)}` },
    goal: '>= 1.1',
    seconds: (performance.now() - t0) / 1000,
    details: {
      rows: rows.length,
      labels: labels.length,
      perSeed: SEEDS.map((seed, k) => ({ seed, train: splits[k]!.trainX.length, test: splits[k]!.test.length, ours: round(ours[k]!, 4), sklearn: round(sk[k]!, 4) })),
      oursMean: round(o.mean, 4),
      oursSd: round(o.sd, 4),
      sklearnMean: round(r.mean, 4),
      sklearnSd: round(r.sd, 4),
      oursTrainSecondsPerSeed: trainSeconds.map((s) => round(s, 2)),
      macroF1: 'scikit-learn convention, all taxonomy labels, zero_division=0 (lib/evaluate/metrics.ts), same function for both',
    },
    notes: [`ours ${round(o.mean, 4)} ± ${round(o.sd, 4)} vs scikit-learn ${round(r.mean, 4)} ± ${round(r.sd, 4)} (split seed = training seed)`],
  });
}

await mainIfDirect(import.meta.url, run);
