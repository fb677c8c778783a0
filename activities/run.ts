// CPU activities of a run (main task queue): thin adapters from references (run dir, mix, seed) to lib.
import { join } from 'node:path';
import { CancelledFailure, Context } from '@temporalio/activity';
import type { Experiment } from '../lib/config/experiment.js';
import * as setup from '../lib/generate/run-setup.js';
import * as topUp from '../lib/generate/bronze-top-up.js';
import { mergeRunDatasets } from '../lib/dataset/merge.js';
import * as training from '../lib/model/training.js';
import { runEncoderSpec } from '../lib/model/embeddings.js';
import { writeFidelity } from '../lib/fidelity/run-fidelity.js';
import { writeReport as writeRunReport } from '../lib/report/report.js';
import type { RunProgress } from '../lib/run/run-state.js';
import { RunDir } from '../lib/run/run-dir.js';
import type { EvaluationJob } from '../lib/evaluate/jobs.js';
import * as evaluation from '../lib/evaluate/compare.js';
import { writeStudyReport as writeStudy, type StudyReportInput } from '../lib/report/study.js';
import * as review from '../lib/review/export.js';
import { importReview as importDecisions } from '../lib/review/import.js';
import { importReviewArg, type ImportReviewArg, type ReviewImportResult } from '../lib/run/review.js';
import { inputError } from '../lib/config/problems.js';
import { mapped } from './failures.js';
import { recordLostPages as writeLostPages } from '../lib/run/lost-pages-file.js';
import type { LostPage } from '../lib/run/lost-pages.js';
import type { StageName } from '../lib/run/run-state.js';
import type { ActivityDeps } from './deps.js';

const beat = () => Context.current().heartbeat();
/**
 * Heartbeats between embedded chunks, and stops there once the activity is cancelled (its run terminated or
 * cancelled, the worker shutting down): minutes of encoder work for nobody end at the next chunk.
 */
const beatOrStop = () => {
  const ctx = Context.current();
  ctx.heartbeat();
  if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? new CancelledFailure('activity cancelled');
};
export type CpuActivities = ReturnType<typeof createCpuActivities>;

/** The CPU activities over injected dependencies (the encoder). */
export function createCpuActivities(deps: ActivityDeps) {
  /** The injected encoder (default spec), heartbeating while it embeds. */
  const embed = (texts: string[]) => deps.encoder(texts, beatOrStop);

  async function startRun(input: {
    experiment: Experiment;
    runId: string;
    runDir: string;
  }): Promise<{ counts: Record<string, number> }> {
    return mapped(async () => setup.startRun(input.experiment, input.runDir));
  }

  async function selectSilverCandidates(input: {
    runDir: string;
  }): Promise<{ pages: number; probePages: number; counts: Record<string, number> }> {
    return mapped(() => setup.selectSilverCandidates(input.runDir, beat));
  }

  async function planBronze(input: { runDir: string }): Promise<{ pages: number; counts: Record<string, number> }> {
    return mapped(async () => setup.planBronze(input.runDir));
  }

  async function planBronzeTopUp(input: {
    runDir: string;
    pages: number;
    plan: boolean;
  }): Promise<{ pages: number; counts: Record<string, number> }> {
    return mapped(async () => {
      const { pages, counts } = await topUp.planBronzeTopUp(input.runDir, input.pages, {
        plan: input.plan,
        embed,
        onProgress: beat,
      });
      return { pages, counts };
    });
  }

  /** Writes a stage's lost LLM pages to failures/pages.jsonl (the workflow then decides whether the run goes on). */
  async function recordLostPages(input: { runDir: string; stage: StageName; lost: LostPage[] }): Promise<number> {
    return mapped(async () => writeLostPages(input.runDir, input.stage, input.lost));
  }

  async function mergeDatasets(input: { runDir: string }): Promise<{ counts: Record<string, number> }> {
    return mapped(async () => ({ counts: (await mergeRunDatasets(input.runDir, { embed, onProgress: beat })).counts }));
  }

  async function exportReview(input: { runDir: string }): Promise<{ tasks: number; counts: Record<string, number> }> {
    return mapped(() => review.exportReview(input.runDir, beat));
  }

  /** Checks and ingests a review import; a bad file fails non-retryably with its `file:line: key: why` problems. */
  async function importReview(input: { runDir: string } & ImportReviewArg): Promise<ReviewImportResult> {
    return mapped(async () => {
      const arg = importReviewArg.safeParse({ file: input.file });
      if (!arg.success) throw inputError(input.file, 0, 'file', arg.error.issues[0]?.message ?? 'invalid');
      return importDecisions(input.runDir, join(input.runDir, arg.data.file));
    });
  }

  /** Embeds every dataset sentence, then measures fidelity (eval/fidelity.json) from those cached vectors. */
  async function embedDatasets(input: { runDir: string }): Promise<{ sentences: number }> {
    return mapped(async () => {
      const r = await training.embedRunDatasets(input.runDir, beatOrStop);
      const spec = runEncoderSpec(new RunDir(input.runDir).experiment());
      await writeFidelity(input.runDir, (texts) => deps.encoder(texts, beatOrStop, spec), spec);
      return r;
    });
  }

  async function trainAndPredict(input: { runDir: string; job: EvaluationJob }): Promise<{ n: number; folds: number }> {
    return mapped(() => training.trainAndPredict(input.runDir, input.job, beat));
  }

  async function trainFinalModel(input: { runDir: string }): Promise<{ path: string; n: number }> {
    return mapped(() => training.trainFinalModel(input.runDir, beat));
  }

  async function compareMixes(input: { runDir: string }): Promise<{ comparisons: number; seconds: number }> {
    return mapped(async () => {
      const r = evaluation.compareMixes(input.runDir, new RunDir(input.runDir).experiment());
      return { comparisons: Object.keys(r.comparisons).length, seconds: r.seconds };
    });
  }

  async function writeReport(input: {
    runDir: string;
    progress: RunProgress;
    workflowId: string;
    uiUrl?: string;
  }): Promise<{ reportPath: string }> {
    return mapped(async () => ({ reportPath: (await writeRunReport(input)).reportPath }));
  }

  async function writeStudyReport(input: StudyReportInput): Promise<{ jsonPath: string }> {
    return mapped(async () => ({ jsonPath: (await writeStudy(input)).jsonPath }));
  }

  return {
    startRun,
    selectSilverCandidates,
    planBronze,
    planBronzeTopUp,
    recordLostPages,
    mergeDatasets,
    exportReview,
    importReview,
    embedDatasets,
    trainAndPredict,
    trainFinalModel,
    compareMixes,
    writeReport,
    writeStudyReport,
  };
}
