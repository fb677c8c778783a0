// What an experiment trains and evaluates: one job per (mix, seed, learning-curve point); pure, so workflows use it.
import type { Experiment } from '../config/experiment.js';

/** A learning-curve point: train on this share of the synthetic rows, or of the gold training rows (by note). */
export interface CurvePoint {
  axis: 'synthetic' | 'gold';
  share: number;
}

/** One classifier per fold, trained and scored out of fold: the unit of work of the train stage. */
export interface EvaluationJob {
  mix: string;
  seed: number;
  /** Absent for the mix itself (every row); present for a learning-curve point below share 1. */
  curve?: CurvePoint;
  /** The mix with the labels its rows had before human review: what the review's effect is measured against. */
  beforeReview?: true;
}

/** A mix is sources joined by `+`, as `mixSources` reads it; not imported from experiment.ts, which loads node:fs and workflows import this file. */
const sourcesOf = (mix: string): string[] => mix.split('+');
const hasSynthetic = (mix: string): boolean => sourcesOf(mix).some((s) => s !== 'gold');
const hasGold = (mix: string): boolean => sourcesOf(mix).includes('gold');

/** The curve points (share < 1; share 1 is the mix itself) that apply to `mix`. */
export function curvePoints(e: Pick<Experiment, 'evaluate'>, mix: string): CurvePoint[] {
  const points: CurvePoint[] = [];
  if (hasSynthetic(mix))
    for (const share of e.evaluate.curves.synthetic) if (share < 1) points.push({ axis: 'synthetic', share });
  if (hasGold(mix)) for (const share of e.evaluate.curves.gold) if (share < 1) points.push({ axis: 'gold', share });
  return points;
}

/**
 * Whether the seed changes the head trained on a fixed training set: not for logreg (a convex objective fitted to its
 * optimum, threshold 0.5, no rows held out), so its seed-to-seed sd measures nothing; yes for mlp (initialisation,
 * minibatch order, the holdout split of its thresholds).
 */
export function seedsApply(e: Pick<Experiment, 'train'>): boolean {
  return e.train.classifier !== 'logreg';
}

/**
 * Every job of an experiment: each mix × seed, then each curve point × seed, in a stable order; with `reviewed` (a
 * human review changed rows), then each mix with synthetic rows × seed once more on the labels before the review.
 * With `deterministicOnce` and a head the seed does not change (seedsApply false), a mix (and its before-review twin)
 * trains once, with the first seed; curve points keep every seed, which draws their sample of the rows.
 */
export function evaluationJobs(
  e: Pick<Experiment, 'evaluate' | 'train'>,
  opts: { reviewed?: boolean; deterministicOnce?: boolean } = {},
): EvaluationJob[] {
  const jobs: EvaluationJob[] = [];
  const mixSeeds = opts.deterministicOnce && !seedsApply(e) ? e.train.seeds.slice(0, 1) : e.train.seeds;
  for (const mix of e.evaluate.mixes) for (const seed of mixSeeds) jobs.push({ mix, seed });
  for (const mix of e.evaluate.mixes)
    for (const curve of curvePoints(e, mix)) for (const seed of e.train.seeds) jobs.push({ mix, seed, curve });
  if (opts.reviewed)
    for (const mix of e.evaluate.mixes.filter(hasSynthetic))
      for (const seed of mixSeeds) jobs.push({ mix, seed, beforeReview: true });
  return jobs;
}

/** A short, readable name of a job, e.g. `gold+silver seed 2`, `gold+silver seed 2, 25% of gold` or `gold+silver seed 2, labels before review`. */
export function jobName(j: EvaluationJob): string {
  const base = `${j.mix} seed ${j.seed}`;
  if (j.beforeReview) return `${base}, labels before review`;
  return j.curve ? `${base}, ${Math.round(j.curve.share * 100)}% of ${j.curve.axis}` : base;
}
