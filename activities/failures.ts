// Turns domain errors into Temporal activity failures: what to retry, after how long, and what needs a human.
import { ApplicationFailure } from '@temporalio/activity';
import { InputError } from '../lib/config/problems.js';
import { LlmCallError } from '../lib/llm/types.js';
import { LlmOutageError } from '../lib/llm/outage.js';

/** A page whose endpoint kept failing past llm.maxOutageMinutes: lost (the workflow records it), never retried. */
export const LLM_OUTAGE = 'LlmOutage';

export function asActivityFailure(err: unknown): unknown {
  if (err instanceof InputError) return ApplicationFailure.nonRetryable(err.message, 'InputError');
  if (err instanceof LlmOutageError) {
    return ApplicationFailure.create({
      message: err.message,
      type: LLM_OUTAGE,
      nonRetryable: true,
      details: [{ attempts: err.attempts, ...(err.status !== undefined ? { status: err.status } : {}) }],
    });
  }
  if (err instanceof LlmCallError) {
    if (!err.retryable) return ApplicationFailure.nonRetryable(err.message, 'LlmConfigError');
    return ApplicationFailure.create({
      message: err.message,
      type: 'LlmRetryable',
      ...(err.retryAfterMs !== undefined ? { nextRetryDelay: err.retryAfterMs } : {}),
    });
  }
  return err;
}

/** Runs an activity body, mapping its errors. */
export async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asActivityFailure(err);
  }
}
