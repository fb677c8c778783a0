// Builds (once per worker process) the LLM provider an experiment names; the only place that knows every provider.
import type { Experiment } from '../config/experiment.js';
import { isLoopbackHost } from '../config/privacy.js';
import { OpenAIProvider, type OpenAIProviderOptions } from './openai-provider.js';
import { modelFamily } from './model-family.js';
import { RateLimitedProvider } from './rate-limit.js';
import { ConcurrencyLimitedProvider } from './call-slots.js';
import { LlmCallError, type LlmProvider } from './types.js';

export type LlmSettings = Experiment['llm'];

const providers = new Map<string, Promise<LlmProvider>>();

/** The provider for these settings, created on first use and shared by every activity of this process. */
export function providerFor(llm: LlmSettings, env: NodeJS.ProcessEnv = process.env): Promise<LlmProvider> {
  const key = JSON.stringify([
    llm.provider,
    llm.baseURL,
    llm.model,
    llm.apiKeyEnv,
    llm.headers,
    llm.timeoutSeconds,
    llm.requestsPerSecond,
    llm.concurrency,
    llm.reasoning,
    llm.maxTokensParam,
    llm.reasoningEffort,
  ]);
  let p = providers.get(key);
  if (!p) {
    const rps = llm.requestsPerSecond;
    p = createProvider(llm, env)
      .then((provider) => new ConcurrencyLimitedProvider(provider, llm.concurrency))
      .then((provider) => (rps ? new RateLimitedProvider(provider, rps) : provider));
    providers.set(key, p);
    p.catch(() => providers.delete(key));
  }
  return p;
}

/** Endpoint, model and key of an `openai` provider (the key from the variable llm.apiKeyEnv names, on this worker). */
export function openaiOptions(llm: LlmSettings, env: NodeJS.ProcessEnv = process.env): OpenAIProviderOptions {
  const baseURL = llm.baseURL!;
  const apiKey = env[llm.apiKeyEnv];
  if (!apiKey && !isLoopbackHost(new URL(baseURL).hostname)) {
    throw new LlmCallError(`the environment variable ${llm.apiKeyEnv} (llm.apiKeyEnv) is not set on this worker`, {
      retryable: false,
    });
  }
  return {
    baseURL,
    model: llm.model!,
    apiKey: apiKey ?? 'unused',
    headers: llm.headers,
    timeoutMs: llm.timeoutSeconds * 1000,
    apiKeyEnv: llm.apiKeyEnv,
    family: modelFamily(llm),
  };
}

async function createProvider(llm: LlmSettings, env: NodeJS.ProcessEnv): Promise<LlmProvider> {
  switch (llm.provider) {
    case 'openai':
      return new OpenAIProvider(openaiOptions(llm, env));
    case 'local': {
      const { LocalProvider } = await import('./local-provider.js');
      return LocalProvider.load({ modelPath: llm.model });
    }
  }
}

export async function closeAllProviders(): Promise<void> {
  const all = [...providers.values()];
  providers.clear();
  for (const p of all) await (await p.catch(() => undefined))?.close?.();
}
