// The one interface every LLM provider implements, and the error kinds that decide Temporal retries.
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A JSON schema (draft 2020-12 subset accepted by OpenAI strict structured outputs and by llama.cpp grammars). */
export type JsonSchema = Record<string, unknown>;

export interface LlmRequest {
  messages: ChatMessage[];
  /** Name of the response format (letters, digits, _ and -). */
  schemaName: string;
  schema: JsonSchema;
  maxTokens: number;
  temperature: number;
  seed: number;
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
  /** Of completionTokens, those a reasoning model spent thinking (completion_tokens_details.reasoning_tokens). */
  reasoningTokens?: number;
  /** Of promptTokens, those served from the provider's prompt cache (prompt_tokens_details.cached_tokens). */
  cachedPromptTokens?: number;
}

export interface LlmAnswer {
  /** The raw text the model returned, kept whatever happens to parsing. */
  text: string;
  /** 'stop', 'length', ... as the provider reports it. */
  finishReason: string;
  usage: LlmUsage;
  /** The model that answered, as the provider names it. */
  model: string;
}

export interface LlmProvider {
  /** 'openai' | 'local' | ...; part of every cache key. */
  readonly kind: string;
  /** The model identity used in cache keys (name for remote, file hash for local). */
  readonly model: string;
  complete(request: LlmRequest, signal?: AbortSignal, opts?: StartOptions): Promise<LlmAnswer>;
  close?(): Promise<void>;
}

export interface StartOptions {
  /**
   * Aborts the call while it still waits to start (for a call slot or a rate-limit slot); a call already sent runs
   * on. A page aborts it once one of its calls failed, so no new call starts for a page that will be retried.
   */
  startSignal?: AbortSignal;
}

/** Throws the start signal's reason if it has aborted (checked before a waiting call is sent). */
export function throwIfStopped(opts?: StartOptions): void {
  if (opts?.startSignal?.aborted) throw opts.startSignal.reason ?? new Error('call not started: its page stopped');
}

/**
 * A provider failure. `retryable` failures (429, 5xx, timeouts, connection errors) are retried by Temporal,
 * after `retryAfterMs` when the server said so; the others (bad request, auth, unknown model) need a human.
 */
export class LlmCallError extends Error {
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, opts: { retryable: boolean; status?: number; retryAfterMs?: number }) {
    super(message);
    this.name = 'LlmCallError';
    this.retryable = opts.retryable;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }
}
