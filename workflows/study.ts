// The study workflow: one child experiment workflow per variant, at most `concurrency` at once, then the study report.
import {
  CancellationScope,
  ChildWorkflowFailure,
  ParentClosePolicy,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { CpuActivities } from '../activities/run.js';
import type { Experiment } from '../lib/config/experiment.js';
import type { VariantStatus } from '../lib/config/study.js';
import { workflowIdFor } from '../lib/run/run-state.js';
import { experimentDetails, experimentSummary } from '../lib/run/summaries.js';
import { experimentWorkflow } from './experiment.js';
import { experimentKey, stageKey, studyKey, studyProgressQuery, TASK_QUEUES, type StudyProgress } from './contract.js';

export type { StudyProgress } from './contract.js';

/** A variant as the study workflow gets it: validated by the client, its experiment small and secret-free. */
export interface StudyVariantInput {
  id: string;
  values: Record<string, unknown>;
  runId: string;
  runDir: string;
  experiment: Experiment;
}

export interface StudyInput {
  name: string;
  file: string;
  studyDir: string;
  /** The varied key paths, in the study file's order. */
  keys: string[];
  concurrency: number;
  variants: StudyVariantInput[];
  uiBase?: string;
}

export type StudyResult = StudyProgress;

const run = proxyActivities<CpuActivities>({
  taskQueue: TASK_QUEUES.main,
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5 },
});

export async function studyWorkflow(input: StudyInput): Promise<StudyResult> {
  const state: StudyProgress = {
    study: input.name,
    studyDir: input.studyDir,
    keys: input.keys,
    reportPath: null,
    variants: input.variants.map((v) => ({
      id: v.id,
      values: v.values,
      runId: v.runId,
      workflowId: workflowIdFor(v.runId),
      runDir: v.runDir,
      status: 'pending',
    })),
  };
  setHandler(studyProgressQuery, () => state);
  const line = () => {
    const n = (s: VariantStatus) => state.variants.filter((v) => v.status === s).length;
    setCurrentDetails(
      `**study ${input.name}** — ${n('completed')}/${state.variants.length} completed, ${n('running')} running${n('failed') ? `, ${n('failed')} failed` : ''}`,
    );
  };
  line();

  const runVariant = async (i: number): Promise<void> => {
    const v = input.variants[i]!;
    const s = state.variants[i]!;
    s.status = 'running';
    line();
    try {
      const child = await startChild(experimentWorkflow, {
        workflowId: s.workflowId,
        taskQueue: TASK_QUEUES.main,
        args: [
          {
            experiment: v.experiment,
            runId: v.runId,
            runDir: v.runDir,
            ...(input.uiBase ? { uiBase: input.uiBase } : {}),
          },
        ],
        // Cancelling the study cancels its children; a study that ends otherwise (terminated) asks them to cancel.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        memo: { runDir: v.runDir, experimentFile: v.experiment.file, study: input.name, variant: v.id },
        typedSearchAttributes: [
          { key: experimentKey, value: v.experiment.name },
          { key: stageKey, value: 'taxonomy' },
          { key: studyKey, value: input.name },
        ],
        staticSummary: experimentSummary(v.experiment, { study: input.name, id: v.id }),
        staticDetails: experimentDetails(v.experiment, v.values),
      });
      await child.result();
      s.status = 'completed';
    } catch (err) {
      // The study itself was cancelled: so are its children; end cancelled. A child cancelled on its own is a row.
      if (isCancellation(err) && CancellationScope.current().consideredCancelled) {
        s.status = 'cancelled';
        throw err;
      }
      s.status = statusOf(err);
      s.error = messageOf(err);
    } finally {
      line();
    }
  };

  let next = 0;
  const lane = async () => {
    while (next < input.variants.length) await runVariant(next++);
  };
  await Promise.all(Array.from({ length: Math.min(input.concurrency, input.variants.length) }, lane));

  const { workflowId } = workflowInfo();
  const r = await run.writeStudyReport.executeWithOptions(
    { summary: `study report: ${state.variants.length} variants` },
    [
      {
        study: input.name,
        workflowId,
        studyDir: input.studyDir,
        keys: input.keys,
        variants: state.variants.map(({ id, values, runId, workflowId: wid, runDir, status, error }) => ({
          id,
          values,
          runId,
          workflowId: wid,
          runDir,
          status,
          ...(error ? { error } : {}),
        })),
      },
    ],
  );
  state.reportPath = r.jsonPath;
  line();
  return state;
}

function statusOf(err: unknown): VariantStatus {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
  const name = (cause as { name?: string } | undefined)?.name ?? '';
  if (name === 'TerminatedFailure') return 'terminated';
  if (name === 'TimeoutFailure') return 'timed out';
  if (name === 'CancelledFailure') return 'cancelled';
  return 'failed';
}

/** The innermost message of a failure chain (the child's own failure, not "child workflow failed"). */
function messageOf(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  let last = String(err);
  for (let depth = 0; e && depth < 8; depth++, e = e.cause as typeof e) if (e.message) last = e.message;
  return last.slice(0, 500);
}
