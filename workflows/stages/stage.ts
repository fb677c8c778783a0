// What an experiment stage gets (the run's input, progress, page runner, review) and what it answers.
import type { Experiment } from '../../lib/config/experiment.js';
import type { RunProgress } from '../../lib/run/run-state.js';
import type { PageRunner } from '../page-runner.js';
import type { ReviewStage } from '../review.js';

export interface ExperimentInput {
  experiment: Experiment;
  runId: string;
  runDir: string;
  /** Web UI base (e.g. http://localhost:8233), for links in the report. */
  uiBase?: string;
  /** Continue as new past this many history events (default 8,000; tests lower it). */
  historyLimit?: number;
  /** Set by continue-as-new: where the previous run of this workflow stopped. */
  progress?: RunProgress;
}

export interface ExperimentResult {
  runId: string;
  runDir: string;
  reportPath: string;
  progress: RunProgress;
}

export interface StageContext {
  input: ExperimentInput;
  experiment: Experiment;
  runDir: string;
  p: RunProgress;
  pages: PageRunner;
  review: ReviewStage;
}

/** 'skipped': the stage is off (nothing ran); 'again': continue as new, then resume the stage where it stopped. */
export type StageOutcome = 'done' | 'skipped' | 'again';

export type Stage = (c: StageContext) => Promise<StageOutcome>;
