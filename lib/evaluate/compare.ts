// Each mix against the baseline, and against itself before human review, on the pooled out-of-fold predictions (paired bootstrap CIs, p-values), and learning curves.
import { join } from 'node:path';
import type { Experiment } from '../config/experiment.js';
import { writeJson } from '../run/run-dir.js';
import { meanSd } from './metrics.js';
import { holm, pairedComparison, type DeltaWithCi } from './paired-bootstrap.js';
import { curvePoints, type CurvePoint } from './jobs.js';
import { readEvaluations, readPredictions, type PredictionRow } from './predictions.js';

/** report.json `comparisons[mix]`: Δ = mean over seeds of F1(mix) − mean over seeds of F1(baseline). */
export interface MixComparison {
  baseline: string;
  macroF1: DeltaWithCi & { p: number; pHolm: number };
  microF1: DeltaWithCi & { p: number };
  perLabel: Record<string, DeltaWithCi>;
  /** Gold sentences and notes (clusters) the comparison resamples. */
  sentences: number;
  notes: number;
}

/** report.json `curves.synthetic[]` / `curves.gold[]`. */
export interface CurveRow {
  mix: string;
  share: number;
  /** Training rows, mean over seeds and folds. */
  n: number;
  macroF1: { mean: number; sd: number };
  microF1: { mean: number; sd: number };
}

export interface Comparisons {
  baseline: string;
  resamples: number;
  alpha: number;
  comparisons: Record<string, MixComparison>;
  curves: { synthetic: CurveRow[]; gold: CurveRow[] };
  /**
   * The effect of human review: each mix on the reviewers' labels against the same mix on the labels before the
   * review (`baseline`: "<mix> before review"). Absent when no review changed the data.
   */
  review?: Record<string, MixComparison>;
  /** Wall time of the bootstrap and randomisation tests, all mixes (seconds). */
  seconds: number;
}

/** The bootstrap's PRNG seed: fixed, so `clinsynth report` recomputes the same intervals from the same predictions. */
const BOOTSTRAP_SEED = 20231;

export const COMPARISONS_FILE = join('eval', 'comparisons.json');

/** Two systems' predictions that cover different gold sentences: they cannot be compared pairwise. */
export class NotComparableError extends Error {
  override name = 'NotComparableError';
}

/** Per seed, the predicted label sets in the baseline's sentence order; throws when the sentences differ. */
function aligned(mix: string, runs: { seed: number; rows: PredictionRow[] }[], ids: readonly string[]): string[][][] {
  return runs.map(({ seed, rows }) => {
    if (rows.length !== ids.length || rows.some((r, i) => r.id !== ids[i])) {
      throw new NotComparableError(
        `predictions of ${mix} seed ${seed} do not cover the same gold sentences as the baseline's`,
      );
    }
    return rows.map((r) => r.pred);
  });
}

/**
 * Paired bootstrap and randomisation of `system` against `base` (both pooled predictions per seed, same sentences, the
 * same notes resampled): a mix against the baseline mix here, an arm of a study against the study's baseline arm.
 */
export function comparePredictions(
  e: Experiment,
  name: string,
  baseName: string,
  system: { seed: number; rows: PredictionRow[] }[],
  base: { seed: number; rows: PredictionRow[] }[],
): MixComparison {
  const rows = base[0]!.rows;
  const ids = rows.map((r) => r.id);
  const c = pairedComparison({
    gold: rows.map((r) => r.gold),
    clusters: rows.map((r) => r.note),
    labels: e.labels,
    system: aligned(name, system, ids),
    baseline: aligned(baseName, base, ids),
    resamples: e.evaluate.bootstrap,
    alpha: e.evaluate.alpha,
    seed: BOOTSTRAP_SEED,
  });
  return {
    baseline: baseName,
    macroF1: { ...c.macroF1, pHolm: c.macroF1.p },
    microF1: c.microF1,
    perLabel: c.perLabel,
    sentences: rows.length,
    notes: c.clusters,
  };
}

/** Holm-adjusts the macro-F1 p-values of a family of comparisons, in place. */
function adjust(family: Record<string, MixComparison>): void {
  const mixes = Object.keys(family);
  const adjusted = holm(mixes.map((m) => family[m]!.macroF1.p));
  mixes.forEach((m, i) => (family[m]!.macroF1.pHolm = adjusted[i]!));
}

/**
 * Compares every evaluated mix with `evaluate.baseline` (skipped when the baseline is not evaluated or has no
 * predictions), and every mix trained on both with the same mix on its labels before human review (`review`; each
 * family Holm-adjusted on its own); collects the learning curves; writes eval/comparisons.json and returns it.
 */
export function compareMixes(runDir: string, e: Experiment): Comparisons {
  const { baseline, bootstrap: resamples, alpha } = e.evaluate;
  const seeds = e.train.seeds;
  const started = performance.now();
  const comparisons: Record<string, MixComparison> = {};
  const base = e.evaluate.mixes.includes(baseline) ? readPredictions(runDir, baseline, seeds) : [];
  if (base.length > 0) {
    for (const mix of e.evaluate.mixes) {
      if (mix === baseline) continue;
      const runs = readPredictions(runDir, mix, seeds);
      if (runs.length) comparisons[mix] = comparePredictions(e, mix, baseline, runs, base);
    }
    adjust(comparisons);
  }
  const review: Record<string, MixComparison> = {};
  for (const mix of e.evaluate.mixes) {
    const before = readPredictions(runDir, mix, seeds, undefined, true);
    const after = before.length ? readPredictions(runDir, mix, seeds) : [];
    if (after.length) review[mix] = comparePredictions(e, mix, `${mix} before review`, after, before);
  }
  adjust(review);
  const seconds = (performance.now() - started) / 1000;
  const result: Comparisons = {
    baseline,
    resamples,
    alpha,
    comparisons,
    curves: { synthetic: curve(runDir, e, 'synthetic'), gold: curve(runDir, e, 'gold') },
    seconds,
  };
  if (Object.keys(review).length) result.review = review;
  writeJson(join(runDir, COMPARISONS_FILE), result);
  return result;
}

/** One row per mix and share (share 1 = the mix itself), for the mixes that have points on this axis. */
function curve(runDir: string, e: Experiment, axis: CurvePoint['axis']): CurveRow[] {
  const rows: CurveRow[] = [];
  for (const mix of e.evaluate.mixes) {
    const points = curvePoints(e, mix).filter((p) => p.axis === axis);
    if (points.length === 0) continue;
    const shares = [...new Set([...points.map((p) => p.share), 1])].sort((a, b) => a - b);
    for (const share of shares) {
      const evals = readEvaluations(runDir, mix, e.train.seeds, share < 1 ? { axis, share } : undefined);
      if (evals.length === 0) continue;
      rows.push({
        mix,
        share,
        n: Math.round(evals.reduce((a, v) => a + v.trainedOn, 0) / evals.length),
        macroF1: meanSd(evals.map((v) => v.metrics.macroF1)),
        microF1: meanSd(evals.map((v) => v.metrics.microF1)),
      });
    }
  }
  return rows;
}
