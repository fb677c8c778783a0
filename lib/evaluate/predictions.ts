// Out-of-fold predictions and per-seed scores on disk: where they live under eval/, their row shape, reading them back.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { readJson, readJsonl } from '../run/run-dir.js';
import type { MultilabelMetrics } from './metrics.js';
import type { CurvePoint } from './jobs.js';

/** One gold test sentence, predicted by the classifier of the fold it was held out of. */
export interface PredictionRow {
  id: string;
  /** The note the sentence came from (null: none, the sentence is its own cluster). */
  note: string | null;
  fold: number;
  gold: string[];
  pred: string[];
  /** Sigmoid score per label (4 decimals). */
  scores: Record<string, number>;
}

/** The scores of one (mix, seed[, curve point]) over the pooled out-of-fold predictions. */
export interface MixEvaluation {
  mix: string;
  seed: number;
  /** Training rows, mean over the folds' classifiers. */
  trainedOn: number;
  /** Number of folds whose predictions are pooled (absent in runs made before out-of-fold evaluation: 1). */
  folds?: number;
  /** Synthetic rows dropped from this mix's training as repeats of a gold or earlier-source row (any fold). */
  duplicatesDropped?: number;
  curve?: CurvePoint;
  /** Trained on the labels before human review (the baseline of the review's effect). */
  beforeReview?: true;
  /** The features' encoder: `train.encoder` and the id of the files it loaded (absent in older runs). */
  encoder?: { spec: string; id: string; classifier: string };
  metrics: MultilabelMetrics;
}

function evalDir(runDir: string, mix: string, curve?: CurvePoint, beforeReview = false): string {
  if (beforeReview) return join(runDir, 'eval', 'before-review', mix);
  return curve ? join(runDir, 'eval', 'curves', `${curve.axis}-${curve.share}`, mix) : join(runDir, 'eval', mix);
}

/**
 * `eval/<mix>/seed-<s>/predictions.jsonl` (curve points under `eval/curves/<axis>-<share>/`, the mix on its labels
 * before human review under `eval/before-review/`).
 */
export function predictionsPath(
  runDir: string,
  mix: string,
  seed: number,
  curve?: CurvePoint,
  beforeReview = false,
): string {
  return join(evalDir(runDir, mix, curve, beforeReview), `seed-${seed}`, 'predictions.jsonl');
}

/** `eval/<mix>/seed-<s>.json`: the MixEvaluation of the pooled predictions. */
export function evalPath(runDir: string, mix: string, seed: number, curve?: CurvePoint, beforeReview = false): string {
  return join(evalDir(runDir, mix, curve, beforeReview), `seed-${seed}.json`);
}

/** The evaluations of `mix` for the seeds that have one (missing seeds are skipped). */
export function readEvaluations(
  runDir: string,
  mix: string,
  seeds: readonly number[],
  curve?: CurvePoint,
  beforeReview = false,
): MixEvaluation[] {
  return seeds
    .map((s) => evalPath(runDir, mix, s, curve, beforeReview))
    .filter(existsSync)
    .map((f) => readJson<MixEvaluation>(f));
}

/** The pooled predictions of `mix` per seed (seeds without a file are skipped), each in gold file order. */
export function readPredictions(
  runDir: string,
  mix: string,
  seeds: readonly number[],
  curve?: CurvePoint,
  beforeReview = false,
): { seed: number; rows: PredictionRow[] }[] {
  return seeds.flatMap((seed) => {
    const path = predictionsPath(runDir, mix, seed, curve, beforeReview);
    return existsSync(path) ? [{ seed, rows: readJsonl<PredictionRow>(path) }] : [];
  });
}
