// LLM prices (USD per million tokens) and cost arithmetic; pure, so the workflow can enforce a budget cap with it.
export interface Price {
  /** USD per million prompt tokens. */
  input: number;
  /** USD per million completion tokens. */
  output: number;
}

/**
 * List prices of common models (USD per 1M tokens, as published by their providers in 2025); `llm.prices` in the
 * experiment file overrides or extends them. Local and self-hosted models cost nothing here.
 */
export const DEFAULT_PRICES: Record<string, Price> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
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

export function costUsd(price: Price, promptTokens: number, completionTokens: number): number {
  return (promptTokens * price.input + completionTokens * price.output) / 1e6;
}

/** Batch APIs (OpenAI Batch, Azure Global Batch) charge half the list price for the same tokens. */
export const BATCH_PRICE_FACTOR = 0.5;

export function batchPrice(price: Price): Price {
  return { input: price.input * BATCH_PRICE_FACTOR, output: price.output * BATCH_PRICE_FACTOR };
}

export interface Tokens {
  promptTokens: number;
  completionTokens: number;
}

/** The spend of a run's tokens, `batch` (a part of `all`) at the batch price and the rest at the list price. */
export function runCostUsd(price: Price, all: Tokens, batch?: Tokens): number {
  if (!batch) return costUsd(price, all.promptTokens, all.completionTokens);
  const half = batchPrice(price);
  return (
    costUsd(price, all.promptTokens - batch.promptTokens, all.completionTokens - batch.completionTokens) +
    costUsd(half, batch.promptTokens, batch.completionTokens)
  );
}
