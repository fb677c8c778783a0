// The outage policy: which failures are waited out, how long, with what backoff, and what a give-up says.
import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  LlmOutageError,
  MAX_BACKOFF_MS,
  OutageClock,
  QUIET_RESET_MS,
  retryLine,
  retryThroughOutage,
  type RetryNotice,
} from '../../lib/llm/outage.js';
import { LlmCallError } from '../../lib/llm/types.js';
import OpenAI from 'openai';
import { callContext, toCallError } from '../../lib/llm/openai-provider.js';

/** A fake clock whose sleep advances time, so an hour of outage runs in microseconds. */
function fakeTime() {
  let t = 1_000_000;
  const waits: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      waits.push(ms);
      t += ms;
    },
    waits,
    advance: (ms: number) => (t += ms),
  };
}

const e503 = () => new LlmCallError('503 from http://x/v1 for model m; retryable', { retryable: true, status: 503 });

describe('retryThroughOutage', () => {
  it('retries 503s with doubling backoff capped at 60 s and succeeds when the endpoint comes back', async () => {
    const time = fakeTime();
    const clock = new OutageClock();
    const notices: RetryNotice[] = [];
    let calls = 0;
    const r = await retryThroughOutage(
      async () => {
        calls++;
        if (time.now() < 1_000_000 + 5 * 60_000) throw e503();
        return 'answer';
      },
      { clock, maxOutageMs: 60 * 60_000, onRetry: (n) => notices.push(n), random: () => 0.5, ...time },
    );
    expect(r).toBe('answer');
    expect(time.waits.slice(0, 7)).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000]);
    expect(Math.max(...time.waits)).toBe(MAX_BACKOFF_MS);
    expect(calls).toBe(notices.length + 1);
    expect(notices.at(-1)!.failingForMs).toBeGreaterThan(4 * 60_000);
    expect(clock.since).toBeUndefined(); // a success ends the outage
  });

  it('gives up with LlmOutageError once the endpoint has failed for maxOutageMs, naming attempts and the last error', async () => {
    const time = fakeTime();
    const clock = new OutageClock();
    const err = await retryThroughOutage(
      async () => {
        throw e503();
      },
      { clock, maxOutageMs: 10 * 60_000, random: () => 0.5, ...time },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmOutageError);
    const o = err as LlmOutageError;
    expect(o.status).toBe(503);
    expect(o.attempts).toBeGreaterThan(10);
    expect(o.message).toMatch(
      /^endpoint failing for 10 min \(llm.maxOutageMinutes 10\), gave up after \d+ attempts: 503/,
    );
    expect(time.now() - 1_000_000).toBe(10 * 60_000); // the last wait is cut to the end of the allowance
    // A call starting later in the same outage gives up after its first failure.
    let calls = 0;
    const late = await retryThroughOutage(
      async () => {
        calls++;
        throw e503();
      },
      { clock, maxOutageMs: 10 * 60_000, ...time },
    ).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(LlmOutageError);
    expect(calls).toBe(1);
    // After a quiet spell a failure starts a new outage.
    time.advance(QUIET_RESET_MS + 1);
    expect(clock.failed(time.now(), 'x')).toBe(time.now());
  });

  it('passes non-retryable errors (400, 401, insufficient_quota) and other errors through at once', async () => {
    const time = fakeTime();
    for (const e of [
      new LlmCallError('401 from x: check the API key', { retryable: false, status: 401 }),
      new LlmCallError('429 insufficient_quota', { retryable: false, status: 429 }),
      new Error('a bug'),
    ]) {
      let calls = 0;
      const got = await retryThroughOutage(
        async () => {
          calls++;
          throw e;
        },
        { clock: new OutageClock(), maxOutageMs: 60 * 60_000, ...time },
      ).catch((x: unknown) => x);
      expect(got).toBe(e);
      expect(calls).toBe(1);
    }
    expect(time.waits).toEqual([]);
  });

  it('stops at once when the page or the activity has stopped', async () => {
    const time = fakeTime();
    const stop = new AbortController();
    let calls = 0;
    const got = await retryThroughOutage(
      async () => {
        calls++;
        if (calls === 2) stop.abort(new Error('another call of its page failed'));
        throw e503();
      },
      { clock: new OutageClock(), maxOutageMs: 60 * 60_000, ...time },
      { startSignal: stop.signal },
    ).catch((x: unknown) => x);
    expect(calls).toBe(2);
    expect((got as Error).message).toMatch(/^503/);
  });
});

describe('backoff and the log line', () => {
  it("honours the server's Retry-After up to 5 minutes, and jitters its own waits by ±20%", () => {
    expect(backoffMs(1, 7000)).toBe(7000);
    expect(backoffMs(1, 3_600_000)).toBe(300_000);
    expect(backoffMs(3, undefined, () => 0)).toBe(3200);
    expect(backoffMs(3, undefined, () => 1)).toBe(4800);
    expect(backoffMs(30, undefined, () => 0.5)).toBe(60_000);
  });

  it('says stage, page, status, how long, and when the next attempt goes', () => {
    const line = retryLine('silver page 3', {
      attempt: 5,
      status: 503,
      error: '503 from http://x/v1 for model m; retryable',
      failingForMs: 4 * 60_000 + 5000,
      nextInMs: 32_000,
    });
    expect(line).toBe(
      'silver page 3: endpoint failing for 4 min (status 503): 503 from http://x/v1 for model m; retryable; attempt 6 in 32 s',
    );
    expect(line).not.toContain('\n');
  });
});

describe('what an outage is', () => {
  const ctx = callContext({ baseURL: 'https://api.example.com/v1', model: 'm', apiKey: 'k', timeoutMs: 1000 });
  const apiError = (status: number, code: string | null) =>
    OpenAI.APIError.generate(status, { error: { message: `said ${code}`, code } }, undefined, new Headers());
  it('429 rate limits, 5xx, timeouts and refused connections are retryable; 400, 401 and insufficient_quota are not', () => {
    expect(toCallError(apiError(429, 'rate_limit_exceeded'), ctx).retryable).toBe(true);
    expect(toCallError(apiError(503, null), ctx).retryable).toBe(true);
    expect(toCallError(new OpenAI.APIConnectionTimeoutError(), ctx).retryable).toBe(true);
    expect(toCallError(new OpenAI.APIConnectionError({ cause: new Error('ECONNREFUSED') }), ctx).retryable).toBe(true);
    expect(toCallError(apiError(400, 'unsupported_parameter'), ctx).retryable).toBe(false);
    expect(toCallError(apiError(401, 'invalid_api_key'), ctx).retryable).toBe(false);
    const quota = toCallError(apiError(429, 'insufficient_quota'), ctx);
    expect(quota.retryable).toBe(false);
    expect(quota.message).toContain('insufficient_quota');
  });
});
