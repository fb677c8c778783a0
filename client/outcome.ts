// How a run or a study ended, for the client: one outcome implementation (the result, or RunFailedError naming
// Temporal's status and the innermost failure message), shared by ExperimentRun and StudyRun.
import { WorkflowFailedError } from '@temporalio/client';
import { waitForRunResult, type WaitOptions } from './wait-for-run.js';

/** A run (or study) that did not complete: `status` is Temporal's, `message` the innermost failure's. */
export class RunFailedError extends Error {
  constructor(
    readonly runId: string,
    readonly status: string,
    message: string,
  ) {
    super(`run ${runId} ${status.toLowerCase()}: ${message}`);
    this.name = 'RunFailedError';
  }
}

/** Innermost message of an error chain (a run's own failure rather than "workflow execution failed"). */
export function failureMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  const parts: string[] = [];
  for (let depth = 0; e && depth < 10; depth++, e = e.cause as typeof e) if (e.message) parts.push(e.message);
  return parts.at(-1) ?? String(err);
}

/** A run's or study's result, waiting through lost contact; RunFailedError (FAILED, CANCELLED, TERMINATED, TIMED_OUT) otherwise. */
export async function outcomeOf<R>(handle: { result(): Promise<R> }, label: string, opts: WaitOptions): Promise<R> {
  try {
    return await waitForRunResult(handle, opts);
  } catch (err) {
    if (err instanceof WorkflowFailedError) throw new RunFailedError(label, closedStatus(err), failureMessage(err));
    throw err;
  }
}

const CLOSED_STATUS: Record<string, string> = {
  CancelledFailure: 'CANCELLED',
  TerminatedFailure: 'TERMINATED',
  TimeoutFailure: 'TIMED_OUT',
};

function closedStatus(err: WorkflowFailedError): string {
  return CLOSED_STATUS[err.cause?.name ?? ''] ?? 'FAILED';
}
