// Waits for a run's result through brief losses of contact with the Temporal server (sleep, restart, overload).
import { WorkflowFailedError } from '@temporalio/client';

/** gRPC status codes that say "try again": CANCELLED, UNKNOWN (dropped stream), DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE. */
const TRANSIENT_GRPC_CODES = new Set([1, 2, 4, 8, 14]);

/** True for a lost or timed-out connection, false for anything the run itself decided (failed, terminated, …). */
export function isTransientServiceError(err: unknown): boolean {
  if (err instanceof WorkflowFailedError) return false;
  for (
    let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e.code === 'number' && TRANSIENT_GRPC_CODES.has(e.code)) return true;
  }
  return false;
}

export interface WaitOptions {
  /** Told once per lost contact, with the error's message. */
  onRetry?: (message: string, delayMs: number) => void;
  /** Longest wait between tries (default 30 s); tries never stop: the run goes on on the server meanwhile. */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** `handle.result()`, tried again (1 s, 2 s, … up to maxDelayMs) while the failure is a transient service error. */
export async function waitForRunResult<T>(handle: { result(): Promise<T> }, opts: WaitOptions = {}): Promise<T> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxDelay = opts.maxDelayMs ?? 30_000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await handle.result();
    } catch (err) {
      if (!isTransientServiceError(err)) throw err;
      const delay = Math.min(maxDelay, 1000 * 2 ** Math.min(attempt, 10));
      opts.onRetry?.(String((err as Error).message ?? err), delay);
      await sleep(delay);
    }
  }
}
