// Logreg fit time against scikit-learn's, same objective and tolerance, same data, same run (BENCH_ROWS rows, 9 labels, 384 features).
import { loadavg } from 'node:os';
import { DEFAULTS, trainClassifier } from '../lib/model/classifier.js';
import { LOGREG_LBFGS } from '../lib/model/logreg-fit.js';
import { QUICK, mainIfDirect, procMemory, result, round, type BenchResult } from './common.js';
import { sklearnLogreg, syntheticRows } from './sklearn-logreg.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 20_000) / (QUICK ? 4 : 1);

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  const load = loadavg()[0]!;
  const data = syntheticRows(ROWS, 1);
  const l2 = DEFAULTS.logreg.l2;
  const t = performance.now();
  const head = trainClassifier(data.X, data.Y, data.labels, { kind: 'logreg', seed: 1, validationShare: 0.2 });
  const ours = (performance.now() - t) / 1000;
  const sk = sklearnLogreg(data, {
    l2,
    tol: LOGREG_LBFGS.gtol,
    maxIter: LOGREG_LBFGS.maxIter,
    fits: [null],
    coef: true,
  });
  const theirs = sk.seconds[0]!;
  let worst = 0;
  let scale = 0;
  head.weights.forEach((w, j) => {
    const c = sk.coef[0]![j];
    if (!c) return;
    w.forEach((v, k) => {
      worst = Math.max(worst, Math.abs(v - c[k]!));
      scale = Math.max(scale, Math.abs(c[k]!));
    });
  });
  const positives = data.labels.map((l) => data.Y.filter((y) => y.includes(l)).length);
  return result({
    id: `logreg-fit-${ROWS >= 1000 ? `${ROWS / 1000}k` : ROWS}`,
    title: `logreg fit (one-vs-rest, ${data.labels.length} labels, ${data.d} features, ${ROWS} rows) vs scikit-learn, same objective and tolerance`,
    figure: {
      value: round(ours, 2),
      unit: 's',
      what: `ours: all labels in lockstep L-BFGS, one pass over Float32 rows per round, one thread`,
    },
    baseline: {
      value: round(theirs, 2),
      unit: 's',
      what: `scikit-learn ${sk.versions.sklearn} LogisticRegression(lbfgs, class_weight='balanced', C=1/(n·l2), tol ${LOGREG_LBFGS.gtol}) per label, standardised (numpy ${sk.versions.numpy}, its BLAS threads)`,
    },
    goal: '<= 1.5',
    seconds: (performance.now() - t0) / 1000,
    details: {
      rows: ROWS,
      labels: data.labels.length,
      features: data.d,
      positives,
      sklearnIterations: sk.iterations[0],
      maxWeightDifferenceRelative: round(worst / scale, 6),
      peakRssMiB: round(procMemory().hwmMiB, 0),
      loadAverageAtStart: round(load, 1),
    },
    notes: [
      `weights agree with scikit-learn's to ${round(worst / scale, 6)} of the largest; load average ${round(load, 1)} at start (a shared machine slows both sides)`,
    ],
  });
}

await mainIfDirect(import.meta.url, run);
