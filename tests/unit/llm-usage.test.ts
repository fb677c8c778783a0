// Reasoning and cached prompt tokens: read from a completion, summed per stage, priced at the cached rate, reported.
import { describe, expect, it } from 'vitest';
import { answerOf, type ChatCompletion } from '../../lib/llm/openai-provider.js';
import { batchPrice, costUsd, DEFAULT_PRICES, priceOf, runCostUsd } from '../../lib/llm/pricing.js';
import { addUsage, emptyUsage, type LlmUsageTotals } from '../../lib/run/run-state.js';

const completion = (usage: Record<string, unknown>): ChatCompletion =>
  ({
    id: 'c',
    object: 'chat.completion',
    created: 0,
    model: 'gpt-5-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: '{}', refusal: null }, finish_reason: 'stop' }],
    usage,
  }) as unknown as ChatCompletion;

describe('LLM usage', () => {
  it('reads reasoning_tokens and cached_tokens from the usage details, and leaves them out when there are none', () => {
    const a = answerOf(
      completion({
        prompt_tokens: 1000,
        completion_tokens: 300,
        total_tokens: 1300,
        prompt_tokens_details: { cached_tokens: 768 },
        completion_tokens_details: { reasoning_tokens: 192 },
      }),
      'gpt-5-mini',
    );
    expect(a?.usage).toEqual({
      promptTokens: 1000,
      completionTokens: 300,
      reasoningTokens: 192,
      cachedPromptTokens: 768,
    });
    const plain = answerOf(completion({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }), 'gpt-4o-mini');
    expect(plain?.usage).toEqual({ promptTokens: 10, completionTokens: 5 });
  });

  it('sums them per stage, also onto totals made before they existed', () => {
    const old = { calls: 1, cacheHits: 0, promptTokens: 10, completionTokens: 5, failures: 0 } as LlmUsageTotals;
    addUsage(old, { ...emptyUsage(), calls: 2, promptTokens: 100, completionTokens: 50, reasoningTokens: 20 });
    addUsage(old, { ...emptyUsage(), calls: 1, promptTokens: 100, completionTokens: 50, cachedPromptTokens: 64 });
    expect(old).toEqual({
      calls: 4,
      cacheHits: 0,
      promptTokens: 210,
      completionTokens: 105,
      failures: 0,
      reasoningTokens: 20,
      cachedPromptTokens: 64,
    });
    const none = emptyUsage();
    addUsage(none, emptyUsage());
    expect(none).toEqual(emptyUsage()); // no zero fields appear on runs whose provider reports none
  });

  it('prices cached prompt tokens at the cached rate, reasoning tokens as output, and batches at half of both', () => {
    const price = DEFAULT_PRICES['gpt-5-mini']!;
    expect(price).toEqual({ input: 0.25, output: 2, cachedInput: 0.025 });
    // 1M prompt tokens of which 0.8M cached, 1M completion tokens (reasoning among them)
    expect(costUsd(price, 1e6, 1e6, 8e5)).toBeCloseTo(0.2 * 0.25 + 0.8 * 0.025 + 2, 10);
    expect(runCostUsd(price, { promptTokens: 1e6, completionTokens: 0, cachedPromptTokens: 1e6 })).toBeCloseTo(0.025);
    // without a cached rate, cached tokens cost the input price
    expect(costUsd({ input: 1, output: 2 }, 1e6, 0, 5e5)).toBeCloseTo(1);
    const all = { promptTokens: 2e6, completionTokens: 0, cachedPromptTokens: 2e6 };
    const batch = { promptTokens: 1e6, completionTokens: 0, cachedPromptTokens: 1e6 };
    expect(runCostUsd(price, all, batch)).toBeCloseTo(0.025 + 0.0125);
    expect(batchPrice(price).cachedInput).toBeCloseTo(0.0125);
  });

  it('llm.prices may set cachedInput', () => {
    expect(
      priceOf({ provider: 'openai', model: 'm', prices: { m: { input: 1, output: 2, cachedInput: 0.1 } } }),
    ).toEqual({
      input: 1,
      output: 2,
      cachedInput: 0.1,
    });
  });
});
