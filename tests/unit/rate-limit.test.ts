// The per-process request limiter: requests are spaced 1/rps apart, whatever the concurrency.
import { describe, expect, it } from 'vitest';
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
    const limited = new RateLimitedProvider(inner, 20);
    const req = { messages: [], schemaName: 's', schema: {}, maxTokens: 10, temperature: 0, seed: 0 };
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 10 }, () => limited.complete(req)));
    expect(starts).toHaveLength(10);
    // 10 requests at 20/s: the last starts ≥ 9 × 50 ms after the first.
    expect(Math.max(...starts) - t0).toBeGreaterThanOrEqual(440);
    const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(40);
    expect(limited.kind).toBe('fake');
  });

  it('rejects a non-positive rate', () => {
    const inner = { kind: 'k', model: 'm', complete: async () => ({ text: '', finishReason: 'stop', usage: { promptTokens: 0, completionTokens: 0 }, model: 'm' }) };
    expect(() => new RateLimitedProvider(inner, 0)).toThrow(/> 0/);
  });
});
