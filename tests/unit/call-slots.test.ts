// Tests for the per-process cap on LLM calls in flight (ConcurrencyLimitedProvider).
import { describe, expect, it } from 'vitest';
import { ConcurrencyLimitedProvider } from '../../lib/llm/call-slots.js';
import type { LlmAnswer, LlmProvider, LlmRequest } from '../../lib/llm/types.js';

/** A provider whose calls finish only when the test says so. */
class HeldProvider implements LlmProvider {
  readonly kind = 'held';
  readonly model = 'held-model';
  readonly started: string[] = [];
  private readonly finishers = new Map<string, () => void>();
  complete(request: LlmRequest): Promise<LlmAnswer> {
    const id = request.schemaName;
    this.started.push(id);
    return new Promise((resolve) =>
      this.finishers.set(id, () =>
        resolve({ text: id, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 }, model: this.model }),
      ),
    );
  }
  finish(id: string): void {
    this.finishers.get(id)!();
  }
}

const req = (id: string) =>
  ({ messages: [], schemaName: id, schema: {}, maxTokens: 1, temperature: 0, seed: 0 }) as unknown as LlmRequest;
const tick = () => new Promise((r) => setImmediate(r));

describe('ConcurrencyLimitedProvider', () => {
  it('takes a call out of the line when its start signal aborts, and lets a started call run on', async () => {
    const inner = new HeldProvider();
    const p = new ConcurrencyLimitedProvider(inner, 1);
    const stop = new AbortController();
    const a = p.complete(req('a'), undefined, { startSignal: stop.signal });
    const b = p.complete(req('b'), undefined, { startSignal: stop.signal });
    const c = p.complete(req('c'));
    await tick();
    expect(inner.started).toEqual(['a']);
    stop.abort(new Error('page failed'));
    await expect(b).rejects.toThrow('page failed');
    inner.finish('a');
    expect((await a).text).toBe('a'); // started before the abort: runs on
    await tick();
    expect(inner.started).toEqual(['a', 'c']); // b never started; its place went to c
    inner.finish('c');
    await c;
    expect(p.inFlight).toBe(0);
    await expect(p.complete(req('d'), undefined, { startSignal: stop.signal })).rejects.toThrow('page failed');
    expect(inner.started).toEqual(['a', 'c']);
  });

  it('runs at most `slots` calls at once and hands a freed slot to the longest-waiting call', async () => {
    const inner = new HeldProvider();
    const p = new ConcurrencyLimitedProvider(inner, 2);
    const answers = ['a', 'b', 'c', 'd'].map((id) => p.complete(req(id)));
    await tick();
    expect(inner.started).toEqual(['a', 'b']);
    expect(p.inFlight).toBe(2);
    inner.finish('b');
    await tick();
    expect(inner.started).toEqual(['a', 'b', 'c']);
    inner.finish('a');
    await tick();
    expect(inner.started).toEqual(['a', 'b', 'c', 'd']);
    inner.finish('c');
    inner.finish('d');
    expect((await Promise.all(answers)).map((a) => a.text)).toEqual(['a', 'b', 'c', 'd']);
    expect(p.inFlight).toBe(0);
  });

  it('gives up a waiting call when its signal aborts, without losing the slot', async () => {
    const inner = new HeldProvider();
    const p = new ConcurrencyLimitedProvider(inner, 1);
    const first = p.complete(req('first'));
    const controller = new AbortController();
    const waiting = p.complete(req('cancelled'), controller.signal);
    controller.abort(new Error('page cancelled'));
    await expect(waiting).rejects.toThrow('page cancelled');
    const third = p.complete(req('third'));
    inner.finish('first');
    await first;
    await tick();
    expect(inner.started).toEqual(['first', 'third']);
    inner.finish('third');
    await third;
    expect(p.inFlight).toBe(0);
  });

  it('rejects a slot count that is not a positive integer', () => {
    expect(() => new ConcurrencyLimitedProvider(new HeldProvider(), 0)).toThrow(/positive integer/);
  });
});
