// LLM prices (USD per million tokens) and cost arithmetic; pure, so the workflow can enforce a budget cap with it.
export interface Price {
  /** USD per million prompt tokens. */
  input: number;
  /** USD per million completion tokens (a reasoning model's thinking tokens are among them, billed alike). */
  output: number;
  /** USD per million prompt tokens served from the provider's prompt cache; absent: at `input`. */
  cachedInput?: number | undefined;
}

/**
 * List prices of common models (USD per 1M tokens, with the cached-prompt rate, as published by their providers in
 * 2025); `llm.prices` in the experiment file overrides or extends them. Local and self-hosted models cost nothing here.
 */
export const DEFAULT_PRICES: Record<string, Price> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
  'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
  'gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'gpt-5': { input: 1.25, output: 10, cachedInput: 0.125 },
  'gpt-5-mini': { input: 0.25, output: 2, cachedInput: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cachedInput: 0.005 },
};

export interface PricedLlm {
  provider: string;
  model?: string | undefined;
  prices?: Record<string, Price> | undefined;
}

/** The price of the experiment's model, or undefined when none is known (cost then shows as unknown). */
export function priceOf(llm: PricedLlm): Price | undefined {
  if (llm.provider === 'local') return { input: 0, output: 0 };
  const model = llm.model ?? '';
  return llm.prices?.[model] ?? DEFAULT_PRICES[model];
}

/** The spend of these tokens; `cachedPromptTokens` (a part of promptTokens) at the cached rate. */
export function costUsd(price: Price, promptTokens: number, completionTokens: number, cachedPromptTokens = 0): number {
  const cached = Math.min(Math.max(0, cachedPromptTokens), promptTokens);
  return (
    ((promptTokens - cached) * price.input +
      cached * (price.cachedInput ?? price.input) +
      completionTokens * price.output) /
    1e6
  );
}

/** Batch APIs (OpenAI Batch, Azure Global Batch) charge half the list price for the same tokens. */
export const BATCH_PRICE_FACTOR = 0.5;

export function batchPrice(price: Price): Price {
  return {
    input: price.input * BATCH_PRICE_FACTOR,
    output: price.output * BATCH_PRICE_FACTOR,
    ...(price.cachedInput !== undefined ? { cachedInput: price.cachedInput * BATCH_PRICE_FACTOR } : {}),
  };
}

export interface Tokens {
  promptTokens: number;
  completionTokens: number;
  /** Of promptTokens, those served from the prompt cache. */
  cachedPromptTokens?: number | undefined;
}

/** The spend of a run's tokens, `batch` (a part of `all`) at the batch price and the rest at the list price. */
export function runCostUsd(price: Price, all: Tokens, batch?: Tokens): number {
  const cached = (t: Tokens) => t.cachedPromptTokens ?? 0;
  if (!batch) return costUsd(price, all.promptTokens, all.completionTokens, cached(all));
  const half = batchPrice(price);
  return (
    costUsd(
      price,
      all.promptTokens - batch.promptTokens,
      all.completionTokens - batch.completionTokens,
      cached(all) - cached(batch),
    ) + costUsd(half, batch.promptTokens, batch.completionTokens, cached(batch))
  );
}
