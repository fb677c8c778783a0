// P6 at study scale: train+evaluate on 100,000 synthetic silver rows, 5 folds, 4 mixes, against scikit-learn's same fits.
// No LLM, no encoder: the vectors are synthetic (bench/sklearn-logreg.ts), the fits and the pooled out-of-fold scoring
// are the train stage's (trainHeadsOffThread, predictScores, multilabelMetrics).
import { loadavg } from 'node:os';
import { DEFAULTS, predictScores } from '../lib/model/classifier.js';
import { LOGREG_LBFGS } from '../lib/model/logreg-fit.js';
import { trainHeadsOffThread } from '../lib/model/training.js';
import { multilabelMetrics } from '../lib/evaluate/metrics.js';
import { QUICK, mainIfDirect, procMemory, result, round, type BenchResult } from './common.js';
import { sklearnLogreg, syntheticRows } from './sklearn-logreg.js';

const GOLD = 300;
const SILVER = QUICK ? 10_000 : 100_000;
const BRONZE = QUICK ? 2_000 : 20_000;
const FOLDS = 5;
const MIXES = ['gold', 'gold+silver', 'gold+bronze', 'gold+silver+bronze'];
const RSS_GOAL_MIB = 2048;

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  const load = loadavg()[0]!;
  const data = syntheticRows(GOLD + SILVER + BRONZE, 2);
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const rowsOf: Record<string, number[]> = {
    gold: range(0, GOLD),
    silver: range(GOLD, GOLD + SILVER),
    bronze: range(GOLD + SILVER, GOLD + SILVER + BRONZE),
  };
  const foldOf = (i: number) => i % FOLDS; // gold rows only
  // Every (mix, fold): the mix's gold rows outside the fold plus all its synthetic rows; the fold's gold is its test set.
  const fits = MIXES.flatMap((mix) =>
    range(0, FOLDS).map((fold) => ({
      mix,
      fold,
      train: mix
        .split('+')
        .flatMap((s) => (s === 'gold' ? rowsOf.gold!.filter((i) => foldOf(i) !== fold) : rowsOf[s]!)),
      test: rowsOf.gold!.filter((i) => foldOf(i) === fold),
    })),
  );
  const opts = { kind: 'logreg' as const, seed: 1, validationShare: 0.2 };
  const macro = (preds: string[][]) =>
    multilabelMetrics(
      rowsOf.gold!.map((i) => data.Y[i]!),
      preds,
      data.labels,
    ).macroF1;

  // Ours, as the train stage: per mix, its folds in parallel threads; then the pooled held-out predictions.
  const t = performance.now();
  const ourMacro: Record<string, number> = {};
  for (const mix of MIXES) {
    const mine = fits.filter((f) => f.mix === mix);
    const heads = await trainHeadsOffThread(
      mine.map((f) => ({
        X: f.train.map((i) => data.X[i]!),
        Y: f.train.map((i) => data.Y[i]!),
        labels: data.labels,
        opts,
      })),
    );
    const pred: string[][] = new Array(GOLD);
    mine.forEach((f, k) => {
      const head = heads[k]!;
      predictScores(
        head,
        f.test.map((i) => data.X[i]!),
      ).forEach((s, r) => (pred[f.test[r]!] = head.labels.filter((_, j) => s[j]! >= head.thresholds[j]!)));
    });
    ourMacro[mix] = macro(pred);
  }
  const ours = (performance.now() - t) / 1000;
  const rss = procMemory().hwmMiB;

  // scikit-learn: the same 20 fits in one process (its BLAS threads), its own predictions from its coefficients.
  const sk = sklearnLogreg(data, {
    l2: DEFAULTS.logreg.l2,
    tol: LOGREG_LBFGS.gtol,
    maxIter: LOGREG_LBFGS.maxIter,
    fits: fits.map((f) => f.train),
    coef: true,
  });
  const theirs = sk.seconds.reduce((a, b) => a + b, 0);
  const skMacro: Record<string, number> = {};
  for (const mix of MIXES) {
    const pred: string[][] = new Array(GOLD);
    fits.forEach((f, k) => {
      if (f.mix !== mix) return;
      for (const i of f.test)
        pred[i] = data.labels.filter((_, j) => {
          const c = sk.coef[k]![j];
          if (!c) return false;
          let z = c[data.d]!;
          for (let q = 0; q < data.d; q++) z += c[q]! * data.X[i]![q]!;
          return z >= 0;
        });
    });
    skMacro[mix] = macro(pred);
  }
  const ratio = ours / theirs;
  return result({
    id: 'p6-scale',
    title: `train+evaluate: ${SILVER} silver + ${BRONZE} bronze synthetic rows, ${GOLD} gold, ${FOLDS} folds × ${MIXES.length} mixes (logreg) vs scikit-learn's same ${fits.length} fits`,
    figure: {
      value: round(ours, 1),
      unit: 's',
      what: `ours: ${fits.length} fits (folds in parallel threads) + pooled out-of-fold scoring; peak RSS ${round(rss, 0)} MiB`,
    },
    baseline: {
      value: round(theirs, 1),
      unit: 's',
      what: `scikit-learn ${sk.versions.sklearn}: the same fits (lbfgs, class_weight='balanced', same objective and tolerance), one process`,
    },
    goal: '<= 1.5',
    pass: ratio <= 1.5 && rss <= RSS_GOAL_MIB,
    seconds: (performance.now() - t0) / 1000,
    details: {
      peakRssMiB: round(rss, 0),
      rssGoalMiB: RSS_GOAL_MIB,
      macroF1: Object.fromEntries(
        MIXES.map((m) => [m, { ours: round(ourMacro[m]!, 4), sklearn: round(skMacro[m]!, 4) }]),
      ),
      loadAverageAtStart: round(load, 1),
    },
    notes: [
      `peak RSS ${round(rss, 0)} MiB (goal <= ${RSS_GOAL_MIB}); load average ${round(load, 1)} at start`,
      `macro-F1 ours vs scikit-learn: ${MIXES.map((m) => `${m} ${round(ourMacro[m]!, 3)}/${round(skMacro[m]!, 3)}`).join(', ')}`,
    ],
  });
}

await mainIfDirect(import.meta.url, run);
