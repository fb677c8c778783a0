// What an experiment trains and evaluates: one job per (mix, seed, learning-curve point); pure, so workflows use it.
import type { Experiment } from '../run/experiment.js';

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
 * Every job of an experiment: each mix × seed, then each curve point × seed, in a stable order; with `reviewed` (a
 * human review changed rows), then each mix with synthetic rows × seed once more on the labels before the review.
 */
export function evaluationJobs(
  e: Pick<Experiment, 'evaluate' | 'train'>,
  opts: { reviewed?: boolean } = {},
): EvaluationJob[] {
  const jobs: EvaluationJob[] = [];
  for (const mix of e.evaluate.mixes) for (const seed of e.train.seeds) jobs.push({ mix, seed });
  for (const mix of e.evaluate.mixes)
    for (const curve of curvePoints(e, mix)) for (const seed of e.train.seeds) jobs.push({ mix, seed, curve });
  if (opts.reviewed)
    for (const mix of e.evaluate.mixes.filter(hasSynthetic))
      for (const seed of e.train.seeds) jobs.push({ mix, seed, beforeReview: true });
  return jobs;
}

/** A short, readable name of a job, e.g. `gold+silver seed 2`, `gold+silver seed 2, 25% of gold` or `gold+silver seed 2, labels before review`. */
export function jobName(j: EvaluationJob): string {
  const base = `${j.mix} seed ${j.seed}`;
  if (j.beforeReview) return `${base}, labels before review`;
  return j.curve ? `${base}, ${Math.round(j.curve.share * 100)}% of ${j.curve.axis}` : base;
}
