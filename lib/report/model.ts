// The report model: `Report` (report.json, the shape users' scripts read) and `buildReport`, from the run's artifacts.
// A new section adds its field to `Report` and one step to `buildReport`; report.html is drawn from it by view/.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { meanSd } from '../evaluate/metrics.js';
import { llmAgreement } from '../evaluate/agreement.js';
import { readJson, readRunExperiment, RUN_FILES } from '../run/run-dir.js';
import { readEvaluations } from '../evaluate/predictions.js';
import type { PromptUsed } from '../run/run-dir.js';
import { priceOf, runCostUsd } from '../llm/pricing.js';
import { seedsApply } from '../evaluate/jobs.js';
import {
  COMPARISONS_FILE,
  compareMixes,
  type Comparisons,
  type CurveRow,
  type MixComparison,
} from '../evaluate/compare.js';
import { pText, signed } from './format.js';
import type { MergeSummary } from '../dataset/merge.js';
import type { BatchProgress, LlmUsageTotals, RunProgress } from '../run/run-state.js';
import { reviewSummary, type ReviewSummary } from '../review/summary.js';
import {
  measureAgreement,
  reviewerKappa,
  type AgreementWithCi,
  type ReviewerKappa,
} from '../evaluate/label-agreement.js';
import { readFidelity, type FidelityReport } from '../fidelity/run-fidelity.js';

export type Stat = { mean: number; sd: number };

export interface LabelReport {
  precision: number;
  recall: number;
  f1: number;
  f1Sd: number;
  /** Gold test sentences carrying the label (the same for every seed). */
  support: number;
}

export interface MixReport {
  /** Per seed on the pooled out-of-fold predictions of every gold test sentence; mean and sd over seeds. */
  microF1: Stat;
  macroF1: Stat;
  perLabel: Record<string, LabelReport>;
  seeds: number[];
  /** False for a deterministic head (logreg): trained once, its seeds change nothing, so no sd is shown (absent: true). */
  seedsApply?: boolean;
  /** The encoder whose features the classifier learnt from (absent in runs made before it was recorded). */
  encoder?: { spec: string; id: string; classifier: string };
  trainedOn: number[];
  /** Folds whose held-out predictions are pooled (1: one fixed test set). */
  folds: number;
  /** Synthetic rows that repeat a gold or earlier-source sentence of the mix and so train once (any fold). */
  duplicatesDropped: number;
}

/** PHI and leakage screening of the datasets (datasets/summary.json `safety`, when the merge computed it). */
export interface ReportSafety {
  phiRows: Record<'silver' | 'bronze' | 'gold', number>;
  phiByKind: Record<string, number>;
  leakageDropped: Record<'silver' | 'bronze', number>;
  nearDuplicatesDropped: number;
  /** Absent in runs merged before it was counted. */
  repeatsMerged?: number;
}

/** How well the LLM's labels agree with gold labels on the same sentences (the LLM as the predictor). */
export interface AgreementSummary {
  microF1: number;
  macroF1: number;
  perLabel: Record<string, { precision: number; recall: number; f1: number; support?: number }>;
  n: number;
  exactMatch?: number;
}

/** The human review (review.enabled): what was chosen and decided, reviewer-vs-LLM agreement, and the effect on F1. */
export interface ReportReview extends ReviewSummary {
  /** imported: reviewers' decisions are in the data; skipped: the run went on without; pending: not decided yet. */
  outcome: 'imported' | 'skipped' | 'pending';
  /** Each mix on the reviewers' labels against the same mix on the LLM's (paired bootstrap; empty: nothing changed). */
  effect: Record<string, MixComparison>;
  /** Reviewers against the LLM per label: Cohen's κ over the reviewed, kept rows. */
  kappa?: Record<string, ReviewerKappa>;
}

export interface ReportAgreement {
  silver: AgreementSummary;
  /** The same after the self-check (fixed labels applied, rejected rows left out). */
  silverChecked?: AgreementSummary;
  /** Per label κ, precision, recall with note-cluster bootstrap CIs, before and after the self-check (eval/agreement.jsonl). */
  withCi?: AgreementWithCi;
}

export type Usage = LlmUsageTotals & { costUsd?: number };

export interface Report {
  runId: string;
  experiment: string;
  taxonomyVersion: string;
  workflowId: string;
  uiUrl: string | null;
  /** True when LLM work was cancelled (`clinsynth control RUN_ID cancel`): trained and evaluated on what existed. */
  partial: boolean;
  mixes: Record<string, MixReport>;
  /** Each mix against evaluate.baseline: Δ with paired cluster-bootstrap CI and randomisation p (empty: no baseline). */
  comparisons: Record<string, MixComparison>;
  /** Learning curves: F1 against the share of synthetic rows, and of gold training rows (by note). */
  curves: { synthetic: CurveRow[]; gold: CurveRow[] };
  /** One sentence per compared mix: Δ macro-F1 with its CI and p, and whether the data shows a difference. */
  headline: string[];
  /** How the comparisons were made: baseline mix, resamples, alpha, folds. */
  evaluation: { baseline: string; resamples: number; alpha: number; folds: number };
  /** costUsd: estimated spend, when the model's price is known; budgetExhausted: llm.budgetUsd stopped new LLM work;
   * batch: the part of the usage that provider batches answered (llm.batch; paid at the batch price). */
  llm: Usage & { byStage: Record<string, Usage>; budgetExhausted?: boolean; batch?: LlmUsageTotals };
  /** llm.batch: every provider batch of the run (id, stage, round, status, request counts, answers collected), and
   * the batch rounds that gave up (their pages went online). */
  batches?: BatchProgress[];
  batchErrors?: string[];
  datasets: Record<string, number>;
  selfCheck: MergeSummary['verdicts'];
  composition: MergeSummary['composition'];
  /** null: the merge did not compute it. */
  safety: ReportSafety | null;
  agreement?: ReportAgreement;
  /** Present when the run exported rows for human review. */
  review?: ReportReview;
  /** Fidelity and diversity of silver and bronze against gold (eval/fidelity.json, measured after the merge). */
  fidelity?: FidelityReport;
  /** The prompt templates the run used (name, content hash, path); absent for runs made before templates. */
  prompts?: PromptUsed[];
  stages: RunProgress['stages'];
  counts: Record<string, number>;
  generatedAt: string;
}

export interface ReportInput {
  runDir: string;
  progress: RunProgress;
  workflowId: string;
  uiUrl?: string;
  agreement?: ReportAgreement;
}

const withCost = (u: LlmUsageTotals): Usage => {
  const cost = (u as Usage).costUsd;
  return typeof cost === 'number' && Number.isFinite(cost) ? { ...u, costUsd: cost } : { ...u };
};

/** The agreement bootstrap's PRNG seed: fixed, so a rebuilt report has the same intervals. */
const AGREEMENT_SEED = 20231;

export function buildReport(input: ReportInput): Report {
  const { runDir, progress } = input;
  const e = readRunExperiment(runDir);
  const summaryFile = join(runDir, RUN_FILES.datasets, 'summary.json');
  const summary: MergeSummary & { safety?: ReportSafety | null } = existsSync(summaryFile)
    ? readJson(summaryFile)
    : { counts: {}, composition: [], verdicts: [] };
  const mixes: Record<string, MixReport> = {};
  for (const mix of e.evaluate.mixes) {
    const runs = readEvaluations(runDir, mix, e.train.seeds);
    if (!runs.length) continue;
    const perLabel: MixReport['perLabel'] = {};
    for (const label of e.labels) {
      const scores = runs.map((r) => r.metrics.perLabel[label]).filter((s) => s !== undefined);
      if (!scores.length) continue;
      const f1 = meanSd(scores.map((s) => s.f1));
      perLabel[label] = {
        precision: meanSd(scores.map((s) => s.precision)).mean,
        recall: meanSd(scores.map((s) => s.recall)).mean,
        f1: f1.mean,
        f1Sd: f1.sd,
        support: scores[0]?.support ?? 0,
      };
    }
    mixes[mix] = {
      microF1: meanSd(runs.map((r) => r.metrics.microF1)),
      macroF1: meanSd(runs.map((r) => r.metrics.macroF1)),
      perLabel,
      seeds: runs.map((r) => r.seed),
      seedsApply: seedsApply(e),
      ...(runs[0]?.encoder ? { encoder: runs[0].encoder } : {}),
      trainedOn: runs.map((r) => r.trainedOn),
      folds: runs[0]?.folds ?? 1,
      duplicatesDropped: Math.max(0, ...runs.map((r) => r.duplicatesDropped ?? 0)),
    };
  }
  // The comparisons of the evaluate stage; recomputed from the predictions when missing (a rebuild, an older run).
  const comparisonsFile = join(runDir, COMPARISONS_FILE);
  const compared: Comparisons | undefined = existsSync(comparisonsFile)
    ? readJson<Comparisons>(comparisonsFile)
    : Object.keys(mixes).length
      ? compareMixes(runDir, e)
      : undefined;
  const c = summary.counts;
  // The run's spend lives on the progress (costUsd, null when the price is unknown); older runs may carry it on llm.
  const extra = progress as RunProgress & { costUsd?: number | null; budgetExhausted?: boolean };
  // A stage's spend at the list price (cached prompt tokens at the cached rate); batch runs keep only the total.
  const price = progress.llmBatch ? undefined : priceOf(e.llm);
  const stageCost = (u: LlmUsageTotals): Usage => (price ? { ...u, costUsd: runCostUsd(price, u) } : withCost(u));
  const llm: Report['llm'] = {
    ...withCost(progress.llm),
    byStage: Object.fromEntries(Object.entries(progress.llmByStage).map(([s, u]) => [s, stageCost(u)])),
  };
  if (typeof extra.costUsd === 'number' && Number.isFinite(extra.costUsd)) llm.costUsd = extra.costUsd;
  if (extra.budgetExhausted) llm.budgetExhausted = true;
  if (progress.llmBatch) llm.batch = progress.llmBatch;
  const report: Report = {
    runId: progress.runId,
    experiment: e.name,
    taxonomyVersion: e.taxonomyVersion,
    workflowId: input.workflowId,
    uiUrl: input.uiUrl ?? null,
    partial: !!progress.cancelled,
    mixes,
    comparisons: compared?.comparisons ?? {},
    headline: Object.entries(compared?.comparisons ?? {}).map(([mix, c]) => comparisonHeadline(mix, c)),
    curves: compared?.curves ?? { synthetic: [], gold: [] },
    evaluation: {
      baseline: e.evaluate.baseline,
      resamples: e.evaluate.bootstrap,
      alpha: e.evaluate.alpha,
      folds: Math.max(1, ...Object.values(mixes).map((m) => m.folds)),
    },
    llm,
    datasets: {
      gold: c.gold_train ?? 0,
      goldTest: c.gold_test ?? 0,
      silver: c.silver ?? 0,
      silverUsable: c.silver_usable ?? 0,
      bronze: c.bronze ?? 0,
      bronzeUsable: c.bronze_usable ?? 0,
      bronzeRejected: c.bronzeRejected ?? 0,
      ...(c.reviewed !== undefined ? { reviewed: c.reviewed, reviewedUsable: c.reviewed_usable ?? 0 } : {}),
    },
    selfCheck: summary.verdicts,
    composition: summary.composition,
    safety: summary.safety ?? null,
    stages: progress.stages,
    counts: progress.counts,
    generatedAt: new Date().toISOString(),
  };
  if (progress.batches?.length) report.batches = progress.batches;
  if (progress.batchErrors?.length) report.batchErrors = progress.batchErrors;
  const agreement = input.agreement ?? llmAgreement(runDir);
  if (agreement) report.agreement = agreement;
  const review = reviewSummary(runDir, e.labels);
  if (review) {
    const state = progress.review?.state;
    const outcome = state === 'skipped' || state === 'imported' ? state : review.reviewed ? 'imported' : 'pending';
    report.review = { ...review, outcome, effect: compared?.review ?? {} };
    if (review.agreement) report.review.kappa = reviewerKappa(review.agreement);
  }
  const withCi = measureAgreement(runDir, e.labels, {
    resamples: e.evaluate.bootstrap,
    alpha: e.evaluate.alpha,
    seed: AGREEMENT_SEED,
  });
  if (withCi && report.agreement) report.agreement.withCi = withCi;
  const prompts = readPromptsUsed(runDir);
  if (prompts.length) report.prompts = prompts;
  const fidelity = readFidelity(runDir);
  if (fidelity) report.fidelity = fidelity;
  return report;
}

/** "gold+silver: +0.031 macro-F1 [−0.004, +0.066], p = 0.09: not shown" — what the data says about one mix. */
export function comparisonHeadline(mix: string, c: MixComparison): string {
  const { delta, ci, p, pHolm } = c.macroF1;
  const verdict = ci[0] > 0 ? `better than ${c.baseline}` : ci[1] < 0 ? `worse than ${c.baseline}` : 'not shown';
  const holmText = pHolm !== p ? ` (Holm ${pText(pHolm)})` : '';
  return `${mix}: ${signed(delta)} macro-F1 [${signed(ci[0])}, ${signed(ci[1])}], ${pText(p)}${holmText}: ${verdict}`;
}

/** The templates listed in `<run>/prompts/prompts.json`; [] for runs made before prompts were templates. */
export function readPromptsUsed(runDir: string): PromptUsed[] {
  const file = join(runDir, RUN_FILES.promptsUsed);
  return existsSync(file) ? readJson<PromptUsed[]>(file) : [];
}
