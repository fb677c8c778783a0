// The study report model: study.json (one row per variant with its varied values and its runs' F1 and Δ), from its runs' report.json.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJson } from '../run/run-dir.js';
import type { Report } from './model.js';
import type { MixComparison } from '../evaluate/compare.js';
import type { StudyVariantOutcome, VariantStatus } from '../config/study.js';

export type { StudyVariantOutcome, VariantStatus };

export interface StudyVariantRow extends StudyVariantOutcome {
  /** Per mix: macro- and micro-F1 (mean and sd over seeds), from the run's report.json. */
  mixes: Record<string, { macroF1: { mean: number; sd: number }; microF1: { mean: number; sd: number } }>;
  /** Per mix: Δ against the baseline with CIs and p, where the run computed them. */
  comparisons: Record<string, Pick<MixComparison, 'baseline' | 'macroF1' | 'microF1'>>;
  reportPath: string | null;
}

export interface StudyReport {
  study: string;
  workflowId: string;
  studyDir: string;
  /** The varied key paths, in the study file's order. */
  keys: string[];
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
    if (!existsSync(reportPath)) return { ...v, mixes: {}, comparisons: {}, reportPath: null };
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
    return { ...v, mixes, comparisons, reportPath };
  });
  return {
    study: input.study,
    workflowId: input.workflowId,
    studyDir: input.studyDir,
    keys: input.keys,
    variants,
    counts,
    generatedAt: new Date().toISOString(),
  };
}
