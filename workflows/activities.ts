// The experiment workflow's activity stubs (CPU and LLM task queues), their retry policies, and what counts as fatal.
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { CpuActivities } from '../activities/run.js';
import type { LlmActivities } from '../activities/llm.js';
import type { Experiment } from '../lib/config/experiment.js';
import { TASK_QUEUES } from './contract.js';

const NON_RETRYABLE = ['InputError', 'LlmConfigError', 'PayloadTooLarge'];
/** Attempts of an LLM page activity (an endpoint outage is waited out inside one attempt: lib/llm/outage.ts). */
export const LLM_MAX_ATTEMPTS = 10;

/** The CPU activities (main task queue): set up, plan, merge, train, evaluate, report. */
export const run = proxyActivities<CpuActivities>({
  taskQueue: TASK_QUEUES.main,
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

export type LlmCalls = ReturnType<typeof llmActivities>;

/** The LLM page and batch activities (their own task queue), timed for the run's outage allowance. */
export function llmActivities(experiment: Experiment) {
  return proxyActivities<LlmActivities>({
    taskQueue: TASK_QUEUES.llm,
    // A page is a few calls, each bounded by llm.timeoutSeconds and waiting out up to llm.maxOutageMinutes of outage;
    // the activity heartbeats every 2 s while it waits, so a dead worker is noticed within the heartbeat timeout and
    // its page moves to another worker.
    startToCloseTimeout:
      experiment.llm.maxOutageMinutes === undefined ? '4 hours' : `${240 + experiment.llm.maxOutageMinutes} minutes`,
    heartbeatTimeout: '10s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '60s',
      maximumAttempts: LLM_MAX_ATTEMPTS,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  });
}

/** A failure that no retry or other page can fix (bad key, unknown model, invalid input): fail the run with it. */
export function isFatal(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && NON_RETRYABLE.includes(cause.type ?? '');
}
