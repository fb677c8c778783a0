// Each mix against the baseline on the pooled out-of-fold predictions (paired bootstrap CIs, p-values), and learning curves.
import { join } from 'node:path';
import type { Experiment } from '../run/experiment.js';
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
  /** Wall time of the bootstrap and randomisation tests, all mixes (seconds). */
  seconds: number;
}

/** The bootstrap's PRNG seed: fixed, so `clinsynth report` recomputes the same intervals from the same predictions. */
const BOOTSTRAP_SEED = 20231;

export const COMPARISONS_FILE = join('eval', 'comparisons.json');

/** Per seed, the predicted label sets in the baseline's sentence order; throws when the sentences differ. */
function aligned(mix: string, runs: { seed: number; rows: PredictionRow[] }[], ids: readonly string[]): string[][][] {
  return runs.map(({ seed, rows }) => {
    if (rows.length !== ids.length || rows.some((r, i) => r.id !== ids[i])) {
      throw new Error(`predictions of ${mix} seed ${seed} do not cover the same gold sentences as the baseline's`);
    }
    return rows.map((r) => r.pred);
  });
}

/**
 * Compares every evaluated mix with `evaluate.baseline` (skipped when the baseline is not evaluated or has no
 * predictions) and collects the learning curves; writes eval/comparisons.json and returns it.
 */
export function compareMixes(runDir: string, e: Experiment): Comparisons {
  const { baseline, bootstrap: resamples, alpha } = e.evaluate;
  const seeds = e.train.seeds;
  const started = performance.now();
  const comparisons: Record<string, MixComparison> = {};
  const base = e.evaluate.mixes.includes(baseline) ? readPredictions(runDir, baseline, seeds) : [];
  if (base.length > 0) {
    const rows = base[0]!.rows;
    const ids = rows.map((r) => r.id);
    const gold = rows.map((r) => r.gold);
    const clusters = rows.map((r) => r.note);
    const baselinePreds = aligned(baseline, base, ids);
    for (const mix of e.evaluate.mixes) {
      if (mix === baseline) continue;
      const runs = readPredictions(runDir, mix, seeds);
      if (runs.length === 0) continue;
      const c = pairedComparison({ gold, clusters, labels: e.labels, system: aligned(mix, runs, ids), baseline: baselinePreds, resamples, alpha, seed: BOOTSTRAP_SEED });
      comparisons[mix] = {
        baseline,
        macroF1: { ...c.macroF1, pHolm: c.macroF1.p },
        microF1: c.microF1,
        perLabel: c.perLabel,
        sentences: rows.length,
        notes: c.clusters,
      };
    }
    const mixes = Object.keys(comparisons);
    const adjusted = holm(mixes.map((m) => comparisons[m]!.macroF1.p));
    mixes.forEach((m, i) => (comparisons[m]!.macroF1.pHolm = adjusted[i]!));
  }
  const seconds = (performance.now() - started) / 1000;
  const result: Comparisons = { baseline, resamples, alpha, comparisons, curves: { synthetic: curve(runDir, e, 'synthetic'), gold: curve(runDir, e, 'gold') }, seconds };
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
