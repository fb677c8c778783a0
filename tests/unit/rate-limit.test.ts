// The per-process request limiter: requests are spaced 1/rps apart, whatever the concurrency.
import { describe, expect, it, vi } from 'vitest';
import { RateLimitedProvider } from '../../lib/llm/rate-limit.js';
import type { LlmProvider } from '../../lib/llm/types.js';

describe('RateLimitedProvider', () => {
  it('spaces concurrent requests to the configured rate', async () => {
    const starts: number[] = [];
    const inner: LlmProvider = {
      kind: 'fake',
      model: 'm',
      complete: async () => {
        starts.push(Date.now());
        return { text: '{}', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 }, model: 'm' };
      },
    };
    // Fake timers (Date.now advances with them): the spacing is checked exactly, not against a busy machine's clock.
    vi.useFakeTimers();
    try {
      const limited = new RateLimitedProvider(inner, 20);
      const req = { messages: [], schemaName: 's', schema: {}, maxTokens: 10, temperature: 0, seed: 0 };
      const t0 = Date.now();
      const all = Promise.all(Array.from({ length: 10 }, () => limited.complete(req)));
      await vi.runAllTimersAsync();
      await all;
      expect(starts).toHaveLength(10);
      // 10 requests at 20/s: 50 ms apart, the first at once.
      expect(starts.map((s) => s - t0)).toEqual([0, 50, 100, 150, 200, 250, 300, 350, 400, 450]);
      expect(limited.kind).toBe('fake');
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects a non-positive rate', () => {
    const inner = {
      kind: 'k',
      model: 'm',
      complete: async () => ({
        text: '',
        finishReason: 'stop',
        usage: { promptTokens: 0, completionTokens: 0 },
        model: 'm',
      }),
    };
    expect(() => new RateLimitedProvider(inner, 0)).toThrow(/> 0/);
  });
});
