// Many calls on one long-lived AbortSignal leave no listeners on it (lib/run/abort.ts): the demo's MaxListenersExceededWarning.
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { onAbort, sleepUnlessAborted, withFollowedSignal } from '../../lib/run/abort.js';
import { ConcurrencyLimitedProvider } from '../../lib/llm/call-slots.js';
import type { LlmAnswer, LlmProvider, LlmRequest } from '../../lib/llm/types.js';

const N = 15;
const listeners = (s: AbortSignal) => getEventListeners(s, 'abort').length;

/** Collects MaxListenersExceededWarnings while `fn` runs. */
async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (w: Error) => {
    if (w.name === 'MaxListenersExceededWarning') seen.push(w.message);
  };
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

describe('Temporal queries on one signal (the CLI progress watch)', () => {
  let connection: Connection;
  let client: Client;
  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection });
  });
  afterAll(async () => connection?.close());
  const call = () => connection.workflowService.getSystemInfo({});

  it('the connection keeps a listener per call on the signal it is given (the leak)', async () => {
    const signal = new AbortController().signal;
    for (let i = 0; i < N; i++) await client.withAbortSignal(signal, call);
    expect(listeners(signal)).toBeGreaterThanOrEqual(N);
  });

  it('withFollowedSignal hands each call its own signal: none stays on the long-lived one, no warning', async () => {
    const signal = new AbortController().signal;
    const warnings = await warningsDuring(async () => {
      for (let i = 0; i < N; i++) await withFollowedSignal(signal, (s) => client.withAbortSignal(s, call));
    });
    expect(listeners(signal)).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('N calls in flight at once following one signal put one listener on it, no warning; abort reaches each', async () => {
    const outer = new AbortController();
    const warnings = await warningsDuring(async () => {
      const pending = Array.from({ length: N }, () =>
        withFollowedSignal(
          outer.signal,
          (s) => new Promise((_, reject) => s.addEventListener('abort', () => reject(s.reason))),
        ),
      );
      expect(listeners(outer.signal)).toBe(1);
      outer.abort(new Error('stop all'));
      const settled = await Promise.allSettled(pending);
      expect(settled.map((r) => (r.status === 'rejected' ? String(r.reason) : 'fulfilled'))).toEqual(
        Array.from({ length: N }, () => 'Error: stop all'),
      );
    });
    expect(listeners(outer.signal)).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('an aborted outer signal still aborts the call it follows', async () => {
    const outer = new AbortController();
    const pending = withFollowedSignal(
      outer.signal,
      (s) => new Promise((_, reject) => s.addEventListener('abort', () => reject(s.reason))),
    );
    outer.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    expect(listeners(outer.signal)).toBe(0);
  });
});

describe('shared abort listeners', () => {
  it('onAbort: many subscribers, one listener; gone when the last unsubscribes; all called on abort', () => {
    const a = new AbortController();
    const calls: number[] = [];
    const subs = Array.from({ length: N }, (_, i) => onAbort(a.signal, () => calls.push(i)));
    expect(listeners(a.signal)).toBe(1);
    for (const u of subs) u();
    expect(listeners(a.signal)).toBe(0);
    const again = Array.from({ length: 3 }, (_, i) => onAbort(a.signal, () => calls.push(i)));
    a.abort();
    expect(calls).toEqual([0, 1, 2]);
    for (const u of again) u(); // after firing: nothing left to remove, and no error
    expect(listeners(a.signal)).toBe(0);
  });

  it('sleepUnlessAborted N times leaves no listener, and returns at once on abort', async () => {
    const a = new AbortController();
    for (let i = 0; i < N; i++) await sleepUnlessAborted(1, a.signal);
    expect(listeners(a.signal)).toBe(0);
    const slept = sleepUnlessAborted(60_000, a.signal);
    a.abort();
    await slept;
    expect(listeners(a.signal)).toBe(0);
  });
});

class InstantProvider implements LlmProvider {
  readonly kind = 'instant';
  readonly model = 'instant-model';
  async complete(): Promise<LlmAnswer> {
    await new Promise((r) => setTimeout(r, 1));
    return { text: '{}', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 }, model: this.model };
  }
}

describe('LLM call slots: a page of calls waiting on its signals', () => {
  it('N calls waiting for one slot put one listener on each signal, none once done, and no warning', async () => {
    const activity = new AbortController();
    const page = new AbortController();
    const provider = new ConcurrencyLimitedProvider(new InstantProvider(), 1);
    const req = {
      messages: [],
      schemaName: 'x',
      schema: {},
      maxTokens: 1,
      temperature: 0,
      seed: 0,
    } as unknown as LlmRequest;
    let during = -1;
    const warnings = await warningsDuring(async () => {
      const calls = Array.from({ length: N }, () =>
        provider.complete(req, activity.signal, { startSignal: page.signal }),
      );
      await new Promise((r) => setImmediate(r));
      during = Math.max(listeners(activity.signal), listeners(page.signal));
      await Promise.all(calls);
    });
    expect(during).toBe(1);
    expect(listeners(activity.signal)).toBe(0);
    expect(listeners(page.signal)).toBe(0);
    expect(warnings).toEqual([]);
  });
});
