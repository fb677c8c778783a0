// The study report model: study.json (one row per variant with its varied values and its runs' F1 and Δ), from its runs' report.json.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, readRunExperiment } from '../run/run-dir.js';
import type { Report } from './model.js';
import { comparePredictions, NotComparableError, type MixComparison } from '../evaluate/compare.js';
import { readPredictions } from '../evaluate/predictions.js';
import { holm } from '../evaluate/paired-bootstrap.js';
import type { StudyVariantOutcome, VariantStatus } from '../config/study.js';

export type { StudyVariantOutcome, VariantStatus };

export interface StudyVariantRow extends StudyVariantOutcome {
  /** Per mix: macro- and micro-F1 (mean and sd over seeds), from the run's report.json. */
  mixes: Record<string, { macroF1: { mean: number; sd: number }; microF1: { mean: number; sd: number } }>;
  /** Per mix: Δ against the baseline with CIs and p, where the run computed them. */
  comparisons: Record<string, Pick<MixComparison, 'baseline' | 'macroF1' | 'microF1'>>;
  /**
   * Per mix: this arm against the same mix of the study's baseline arm (`baseline` is that variant's id), a paired
   * bootstrap over the same gold sentences and notes; absent for the baseline arm and where either has no predictions.
   */
  arms?: Record<string, ArmComparison>;
  reportPath: string | null;
}

/** One arm's mix against the baseline arm's: Δ macro- and micro-F1 with (1 − alpha) CIs and p. */
export type ArmComparison = Pick<MixComparison, 'baseline' | 'macroF1' | 'microF1' | 'sentences' | 'notes'>;

export interface StudyReport {
  study: string;
  workflowId: string;
  studyDir: string;
  /** The varied key paths, in the study file's order. */
  keys: string[];
  /** The arm every other is compared with: the first variant (the study's `baseline:` puts the one it names first). */
  baseline?: string | null;
  /** The arms' comparisons: resamples and 1 − confidence (the baseline run's evaluate.bootstrap and alpha). */
  armResamples?: number;
  armAlpha?: number;
  variants: StudyVariantRow[];
  counts: Record<VariantStatus, number>;
  generatedAt: string;
}

export interface StudyReportInput {
  study: string;
  workflowId: string;
  studyDir: string;
  keys: string[];
  variants: StudyVariantOutcome[];
}

export const STUDY_FILES = { json: 'study.json', html: 'study.html' } as const;

export function buildStudyReport(input: StudyReportInput): StudyReport {
  const counts = {
    completed: 0,
    failed: 0,
    cancelled: 0,
    terminated: 0,
    'timed out': 0,
    pending: 0,
    running: 0,
  } satisfies Record<VariantStatus, number>;
  const variants = input.variants.map((v): StudyVariantRow => {
    counts[v.status]++;
    const reportPath = join(v.runDir, 'report.json');
    if (!existsSync(reportPath)) return { ...v, mixes: {}, comparisons: {}, arms: {}, reportPath: null };
    const r = readJson<Report>(reportPath);
    const mixes = Object.fromEntries(
      Object.entries(r.mixes).map(([m, x]) => [m, { macroF1: x.macroF1, microF1: x.microF1 }]),
    );
    const comparisons = Object.fromEntries(
      Object.entries(r.comparisons ?? {}).map(([m, c]) => [
        m,
        { baseline: c.baseline, macroF1: c.macroF1, microF1: c.microF1 },
      ]),
    );
    return { ...v, mixes, comparisons, arms: {}, reportPath };
  });
  const base = variants[0];
  const baseExperiment = base?.reportPath ? readRunExperiment(base.runDir) : undefined;
  if (base && baseExperiment)
    for (const v of variants.slice(1)) if (v.reportPath) v.arms = compareArms(v, base, baseExperiment);
  // One family: every arm's mixes against the baseline arm, Holm-adjusted together.
  const family = variants.flatMap((v) => Object.values(v.arms ?? {}));
  holm(family.map((c) => c.macroF1.p)).forEach((p, i) => (family[i]!.macroF1.pHolm = p));
  return {
    study: input.study,
    workflowId: input.workflowId,
    studyDir: input.studyDir,
    keys: input.keys,
    baseline: base?.id ?? null,
    ...(baseExperiment
      ? { armResamples: baseExperiment.evaluate.bootstrap, armAlpha: baseExperiment.evaluate.alpha }
      : {}),
    variants,
    counts,
    generatedAt: new Date().toISOString(),
  };
}

/**
 * Every mix both arms evaluated, this arm against the baseline arm on their pooled out-of-fold predictions (the
 * same gold sentences; a mix whose predictions cover other sentences, e.g. other folds, is left out).
 */
function compareArms(
  v: StudyVariantRow,
  base: StudyVariantRow,
  e: ReturnType<typeof readRunExperiment>,
): Record<string, ArmComparison> {
  const arms: Record<string, ArmComparison> = {};
  const seeds = readRunExperiment(v.runDir).train.seeds;
  for (const mix of Object.keys(v.mixes)) {
    if (!base.mixes[mix]) continue;
    const system = readPredictions(v.runDir, mix, seeds);
    const baseline = readPredictions(base.runDir, mix, e.train.seeds);
    if (!system.length || !baseline.length) continue;
    try {
      const c = comparePredictions(e, `${v.id} ${mix}`, `${base.id} ${mix}`, system, baseline);
      arms[mix] = { baseline: base.id, macroF1: c.macroF1, microF1: c.microF1, sentences: c.sentences, notes: c.notes };
    } catch (err) {
      // other gold sentences than the baseline arm's: not comparable pairwise; anything else is a fault to see
      if (!(err instanceof NotComparableError)) throw err;
    }
  }
  return arms;
}
