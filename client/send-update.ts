// Sends one Workflow Update, resending it while the server answers that no worker processed it (a worker killed or
// restarted as the Update arrived).
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, WorkflowUpdateFailedError } from '@temporalio/client';

/**
 * The server's answer when a workflow task carrying the Update completed without the worker accepting or rejecting it
 * (`UnprocessedUpdate`, temporal service/history/workflow/update/errors_failures.go). The Update never reached
 * history, so sending it again cannot apply it twice; it happens when the worker that held the run's cache dies, or a
 * restarted worker replays the run while the Update is in flight.
 */
export const UNPROCESSED_UPDATE = 'UnprocessedUpdate';

export interface ResendOptions {
  /** How many times an unprocessed Update is sent in all (default 6). */
  attempts?: number;
  /** The wait before the first resend; it doubles with each (default 500 ms). */
  firstDelayMs?: number;
  /** Told of each resend (the CLI prints it on stderr). */
  onResend?: (attempt: number, delayMs: number) => void;
}

/** No worker processed the Update in `attempts` sends (the run handle reports it as the run's refusal). */
export class UnprocessedUpdateError extends Error {
  constructor(
    readonly attempts: number,
    cause: WorkflowUpdateFailedError,
  ) {
    super(
      `no worker processed the Update after ${attempts} sends: are the run's workers up, and of a version that has it? (${cause.cause?.message})`,
      { cause },
    );
    this.name = 'UnprocessedUpdateError';
  }
}

/** True when the server rejected the Update because no worker processed it (safe to send again). */
export function isUnprocessedUpdate(e: unknown): boolean {
  return (
    e instanceof WorkflowUpdateFailedError &&
    e.cause instanceof ApplicationFailure &&
    e.cause.type === UNPROCESSED_UPDATE
  );
}

/**
 * Runs `send` until the Update is processed; after `attempts` sends that no worker processed, an UnprocessedUpdateError
 * says so (the run's workers may be down, or be a version without this Update).
 */
export async function sendUpdate<R>(send: () => Promise<R>, options: ResendOptions = {}): Promise<R> {
  const attempts = options.attempts ?? 6;
  let delayMs = options.firstDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      if (!isUnprocessedUpdate(e)) throw e;
      if (attempt >= attempts) throw new UnprocessedUpdateError(attempts, e as WorkflowUpdateFailedError);
      options.onResend?.(attempt, delayMs);
      await sleep(delayMs);
      delayMs *= 2;
    }
  }
}

/** Resend options that tell a CLI's user why the command is still waiting. */
export function resendSaying(say: (line: string) => void): ResendOptions {
  return {
    onResend: (attempt, delayMs) =>
      say(
        `no worker processed the Update (a worker stopped or restarted?): sending it again in ${delayMs} ms (${attempt})`,
      ),
  };
}
