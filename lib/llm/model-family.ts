// Which request parameters a chat model takes: reasoning models (gpt-5*, o1/o3/o4*), the token-limit name, effort.

import type { MAX_TOKENS_PARAMS, REASONING_EFFORTS } from '../config/experiment.js';

/** How a server names the answer's token limit: OpenAI, Azure OpenAI and current vLLM take `max_completion_tokens`. */
export type MaxTokensParam = (typeof MAX_TOKENS_PARAMS)[number];
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/** What decides the family: the llm keys of an experiment (all optional, so tests can pass a bare model name). */
export interface FamilySettings {
  model?: string | undefined;
  /** llm.reasoning: true/false overrides the name rule (for Azure deployment names, fine-tunes, proxies). */
  reasoning?: boolean | undefined;
  /** llm.maxTokensParam: the token-limit name to send; default max_completion_tokens. */
  maxTokensParam?: MaxTokensParam | undefined;
  /** llm.reasoningEffort: sent as `reasoning_effort` to reasoning models only. */
  reasoningEffort?: ReasoningEffort | undefined;
}

/** The request rules of one model. */
export interface ModelFamily {
  /** Reasoning models take neither temperature nor top_p (only the default 1), and may take reasoning_effort. */
  reasoning: boolean;
  maxTokensParam: MaxTokensParam;
  /** Set only for reasoning models, and only when llm.reasoningEffort is. */
  reasoningEffort?: ReasoningEffort;
}

/**
 * OpenAI's reasoning models by name: gpt-5, gpt-5-mini, gpt-5.1…, o1, o1-mini, o3, o3-mini, o4-mini…, also behind a
 * router prefix ("openai/gpt-5-mini"). Azure deployments carry the user's own names: mark those with llm.reasoning.
 */
export function isReasoningModelName(model: string): boolean {
  const name = model.slice(model.lastIndexOf('/') + 1).toLowerCase();
  return /^(gpt-5|o[134])([-._].*)?$/.test(name);
}

/** The family of the experiment's model: llm.reasoning, else the name rule; llm.maxTokensParam, else the default. */
export function modelFamily(llm: FamilySettings): ModelFamily {
  const reasoning = llm.reasoning ?? isReasoningModelName(llm.model ?? '');
  return {
    reasoning,
    maxTokensParam: llm.maxTokensParam ?? 'max_completion_tokens',
    ...(reasoning && llm.reasoningEffort ? { reasoningEffort: llm.reasoningEffort } : {}),
  };
}

/**
 * Tokens a reasoning model may think, on top of the answer's llm.maxTokens: its max_completion_tokens counts the
 * thinking too, and a limit sized for the answer alone (bronze asks 100 a sentence) would cut answers that think.
 */
export const REASONING_ALLOWANCE: Record<ReasoningEffort, number> = {
  minimal: 256,
  low: 1024,
  medium: 4096,
  high: 16384,
};

/** The token limit a request sends for an answer of `maxTokens`: a reasoning model gets its thinking allowance too. */
export function tokenLimit(family: ModelFamily, maxTokens: number): number {
  return family.reasoning ? maxTokens + REASONING_ALLOWANCE[family.reasoningEffort ?? 'medium'] : maxTokens;
}

/**
 * The model's identity in answer cache keys: the name, and the reasoning effort when one is sent (it changes the
 * answers). The token-limit name and a dropped temperature change no answer, so they stay out of it.
 */
export function cacheModelId(model: string, family: ModelFamily): string {
  return family.reasoningEffort ? `${model}?reasoning_effort=${family.reasoningEffort}` : model;
}
