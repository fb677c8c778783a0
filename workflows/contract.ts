// The contract between the workflows and everything that talks to them: workflow types, task queues, search-attribute
// keys, and the Query and Update definitions. Defined once here; workflows, the worker and the client import them.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { RunProgress } from '../lib/run/run-state.js';
import type { SteeringState } from '../lib/run/steering.js';
import type { ImportReviewArg, ReviewImportResult, ReviewProgress } from '../lib/run/review.js';
import type { StudyVariantOutcome } from '../lib/config/study.js';

/** Workflow type names, as the server and the Temporal UI show them (the exported functions' names). */
export const WORKFLOW_TYPES = { experiment: 'experimentWorkflow', study: 'studyWorkflow' } as const;

/** `main`: workflows and CPU activities (merge, train, report); `llm`: LLM page activities (their own slots). */
export const TASK_QUEUES = { main: 'clinsynth', llm: 'clinsynth-llm' } as const;

/** The Keyword search attributes runs and studies set (the server must have them: `clinsynth server` registers them). */
export const SEARCH_ATTRIBUTES = {
  experiment: 'ClinsynthExperiment',
  stage: 'ClinsynthStage',
  study: 'ClinsynthStudy',
} as const;
export const experimentKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.experiment, SearchAttributeType.KEYWORD);
export const stageKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.stage, SearchAttributeType.KEYWORD);
export const studyKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.study, SearchAttributeType.KEYWORD);

/** A study as its workflow tracks it. */
export interface StudyProgress {
  study: string;
  studyDir: string;
  /** The varied key paths, in the study file's order. */
  keys: string[];
  variants: StudyVariantOutcome[];
  /** Set once study.json is written. */
  reportPath: string | null;
}

// Queries.
export const progressQuery = defineQuery<RunProgress>('progress');
export const studyProgressQuery = defineQuery<StudyProgress>('studyProgress');

// Steering Updates (`clinsynth control`): validated by the workflow; each answers the steering state.
export const pauseUpdate = defineUpdate<SteeringState, []>('pause');
export const resumeUpdate = defineUpdate<SteeringState, []>('resume');
export const budgetUpdate = defineUpdate<SteeringState, [number]>('setBudget');
export const cancelLlmUpdate = defineUpdate<SteeringState, []>('cancelLlm');

// Human review Updates (`clinsynth review`): import a file under <run>/review/imports/ (a reference), or skip.
export const importReviewUpdate = defineUpdate<ReviewImportResult, [ImportReviewArg]>('importReview');
export const skipReviewUpdate = defineUpdate<ReviewProgress, []>('skipReview');
