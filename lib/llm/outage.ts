// Rides out an endpoint outage: a call's retryable failures are retried with capped backoff for llm.maxOutageMinutes.
import { LlmCallError, type LlmAnswer, type LlmProvider, type LlmRequest, type StartOptions } from './types.js';

/** The wait before the first retry, doubled after each failure up to MAX_BACKOFF_MS. */
export const FIRST_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 60_000;
/** The longest a server's Retry-After is honoured (a longer one waits this long, then asks again). */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** A failure this long after the last one starts a new outage (no call of the process asked in between). */
export const QUIET_RESET_MS = 10 * 60_000;

/**
 * Since when every call to one endpoint has failed (undefined while it answers), shared by all calls of a process
 * to that endpoint: an outage counts from its first failure, so calls started late in it give up with the others.
 * A success ends it; so does a quiet spell of QUIET_RESET_MS without failures (e.g. between two runs).
 */
export class OutageClock {
  since: number | undefined;
  lastError: string | undefined;
  private lastFailure = 0;
  failed(now: number, message: string): number {
    if (this.since !== undefined && now - this.lastFailure > QUIET_RESET_MS) this.since = undefined;
    this.since ??= now;
    this.lastFailure = now;
    this.lastError = message;
    return this.since;
  }
  succeeded(): void {
    this.since = undefined;
    this.lastError = undefined;
  }
}

const clocks = new Map<string, OutageClock>();

/** The process-wide clock of an endpoint (by base URL and model). */
export function outageClockFor(endpoint: string): OutageClock {
  let c = clocks.get(endpoint);
  if (!c) clocks.set(endpoint, (c = new OutageClock()));
  return c;
}

/** The wait before retry number `attempt` (1-based): 1 s doubling to 60 s, or the server's Retry-After (≤ 5 min). */
export function backoffMs(attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 0), MAX_RETRY_AFTER_MS);
  const base = Math.min(FIRST_BACKOFF_MS * 2 ** Math.max(0, attempt - 1), MAX_BACKOFF_MS);
  // ±20% jitter, so the calls of many pages do not all come back in the same second.
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Raised when an endpoint kept failing past llm.maxOutageMinutes: the page is lost (and recorded), not retried. */
export class LlmOutageError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = 'LlmOutageError';
  }
}

/** What a call waiting out an outage tells its page (a log line, the activity's heartbeat details). */
export interface RetryNotice {
  /** Tries of this call so far (all failed). */
  attempt: number;
  status: number | undefined;
  error: string;
  /** Since when the endpoint has failed, and the wait before the next try. */
  failingForMs: number;
  nextInMs: number;
}

export interface OutagePolicy {
  clock: OutageClock;
  /** llm.maxOutageMinutes in ms: how long the endpoint may fail before a call gives up. */
  maxOutageMs: number;
  onRetry?: (n: RetryNotice) => void;
  now?: () => number;
  sleep?: (ms: number, signals: AbortSignal[]) => Promise<void>;
  random?: () => number;
}

/** "4 min", "35 s": a duration as a person reads it. */
export function humanDuration(ms: number): string {
  if (ms >= 120_000) return `${Math.floor(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** The one line a retry is logged as, and the heartbeat details show: `silver page 3: endpoint failing for 4 min: …`. */
export function retryLine(where: string, n: RetryNotice): string {
  const status = n.status === undefined ? '' : ` (status ${n.status})`;
  return `${where}: endpoint failing for ${humanDuration(n.failingForMs)}${status}: ${n.error}; attempt ${n.attempt + 1} in ${humanDuration(n.nextInMs)}`;
}

/**
 * Calls `inner` until it answers, retrying its retryable LlmCallErrors (429, 5xx, timeouts, refused connections)
 * while the endpoint has failed for less than maxOutageMs; then throws LlmOutageError. Non-retryable errors, and
 * any failure once `signal` (the activity) or the start signal (the page) has aborted, pass through at once.
 */
export async function retryThroughOutage<T>(
  call: () => Promise<T>,
  policy: OutagePolicy,
  signals: { signal?: AbortSignal; startSignal?: AbortSignal } = {},
): Promise<T> {
  const now = policy.now ?? Date.now;
  const sleep = policy.sleep ?? abortableSleep;
  const stops = [signals.signal, signals.startSignal].filter((s): s is AbortSignal => s !== undefined);
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await call();
      policy.clock.succeeded();
      return r;
    } catch (err) {
      if (!(err instanceof LlmCallError) || !err.retryable || stops.some((s) => s.aborted)) throw err;
      const t = now();
      const since = policy.clock.failed(t, err.message);
      const failingForMs = t - since;
      if (failingForMs >= policy.maxOutageMs) {
        throw new LlmOutageError(
          `endpoint failing for ${humanDuration(failingForMs)} (llm.maxOutageMinutes ${policy.maxOutageMs / 60_000}), ` +
            `gave up after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${err.message}`,
          attempt,
          err.status,
        );
      }
      const wait = Math.min(backoffMs(attempt, err.retryAfterMs, policy.random), policy.maxOutageMs - failingForMs);
      policy.onRetry?.({ attempt, status: err.status, error: err.message, failingForMs, nextInMs: wait });
      await sleep(Math.max(wait, 0), stops);
    }
  }
}

/** Waits `ms`, rejecting with the reason of the first signal that aborts. */
export function abortableSleep(ms: number, signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const stopped = signals.find((s) => s.aborted);
    if (stopped) return reject(stopped.reason ?? new Error('aborted'));
    const onAbort = (e: Event) => {
      clearTimeout(timer);
      for (const s of signals) s.removeEventListener('abort', onAbort);
      reject((e.target as AbortSignal).reason ?? new Error('aborted'));
    };
    const timer = setTimeout(() => {
      for (const s of signals) s.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
  });
}

/** A provider whose calls ride out outages under `policy` (one per page: its onRetry names the page). */
export class OutageRetryingProvider implements LlmProvider {
  readonly kind: string;
  readonly model: string;
  constructor(
    private readonly inner: LlmProvider,
    private readonly policy: OutagePolicy,
  ) {
    this.kind = inner.kind;
    this.model = inner.model;
  }

  complete(request: LlmRequest, signal?: AbortSignal, opts?: StartOptions): Promise<LlmAnswer> {
    return retryThroughOutage(() => this.inner.complete(request, signal, opts), this.policy, {
      signal,
      startSignal: opts?.startSignal,
    });
  }
}
