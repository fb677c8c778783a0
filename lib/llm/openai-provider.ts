// LlmProvider for any OpenAI-compatible chat-completions server, with structured outputs and retry-aware errors.
import OpenAI from 'openai';
import { cacheModelId, modelFamily, tokenLimit, type ModelFamily } from './model-family.js';
import { LlmCallError, type JsonSchema, type LlmAnswer, type LlmProvider, type LlmRequest } from './types.js';
import { followSignal } from '../run/abort.js';

export interface OpenAIProviderOptions {
  /** The API root, e.g. `https://api.openai.com/v1` or `http://vllm:8000/v1`. */
  baseURL: string;
  model: string;
  /** The key itself, read by the caller from the environment variable named by `llm.apiKeyEnv` ('' for none). */
  apiKey: string;
  /** Extra HTTP headers sent with every request. */
  headers?: Record<string, string>;
  /** Per-request timeout; a timed-out request fails with a retryable LlmCallError. */
  timeoutMs: number;
  /** Name of the variable the key came from (llm.apiKeyEnv), named in auth error messages. */
  apiKeyEnv?: string;
  /** The model's request rules (default: by its name, max_completion_tokens). */
  family?: ModelFamily;
}

export type ResponseFormatMode = 'json_schema' | 'json_object';

type ChatParams = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
type ChatMessageParam = OpenAI.Chat.Completions.ChatCompletionMessageParam;
export type ChatCompletion = OpenAI.Chat.Completions.ChatCompletion;

/** The provider kind in cache keys of OpenAI-compatible answers (online and batch alike). */
export const OPENAI_KIND = 'openai';

export class OpenAIProvider implements LlmProvider {
  readonly kind = OPENAI_KIND;
  /** The model's identity in cache keys (its name, and the reasoning effort when one is sent). */
  readonly model: string;
  private readonly apiModel: string;
  private readonly family: ModelFamily;
  private readonly client: OpenAI;
  private readonly ctx: CallContext;
  private mode: ResponseFormatMode = 'json_schema';
  /** Why this instance fell back to `json_object` (the server's words), when it did. */
  fallbackReason: string | undefined;

  constructor(opts: OpenAIProviderOptions) {
    this.apiModel = opts.model;
    this.family = opts.family ?? modelFamily({ model: opts.model });
    this.model = cacheModelId(opts.model, this.family);
    this.ctx = callContext(opts);
    this.client = openaiClient(opts);
  }

  /** The response format this instance sends: `json_schema` until the server rejects it, then `json_object`. */
  get responseFormatMode(): ResponseFormatMode {
    return this.mode;
  }

  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmAnswer> {
    const mode = this.mode;
    try {
      return await this.send(request, mode, signal);
    } catch (err) {
      if (mode === 'json_schema' && isResponseFormatRejection(err)) {
        this.mode = 'json_object';
        this.fallbackReason = redactKey(serverMessage(err), this.ctx.apiKey);
        try {
          return await this.send(request, 'json_object', signal);
        } catch (err2) {
          throw toCallError(err2, this.ctx);
        }
      }
      throw toCallError(err, this.ctx);
    }
  }

  private async send(request: LlmRequest, mode: ResponseFormatMode, signal?: AbortSignal): Promise<LlmAnswer> {
    const call = followSignal(signal);
    let completion: ChatCompletion;
    try {
      completion = await this.client.chat.completions.create(chatParams(this.apiModel, request, mode, this.family), {
        signal: call.signal,
      });
    } finally {
      call.release();
    }
    const answer = answerOf(completion, this.apiModel);
    if (!answer)
      throw new LlmCallError(`answer from ${this.ctx.where} had no choices (model ${this.apiModel})`, {
        retryable: true,
      });
    return answer;
  }
}

/** Who was called, for error messages: the safe URL, the model, and what to redact. */
export interface CallContext {
  where: string;
  model: string;
  timeoutMs: number;
  apiKey: string;
  apiKeyEnv: string | undefined;
  /** What a plain 404 means here (default: no chat completions endpoint). */
  notFound?: string;
}

/** The context of calls to `baseURL` with these options. */
/** The openai client for an endpoint: its URL, key, headers and timeout; no retries of its own (ours decide). */
export function openaiClient(opts: OpenAIProviderOptions): OpenAI {
  return new OpenAI({
    baseURL: opts.baseURL,
    apiKey: opts.apiKey,
    defaultHeaders: opts.headers,
    timeout: opts.timeoutMs,
    maxRetries: 0,
  });
}

export function callContext(opts: OpenAIProviderOptions, notFound?: string): CallContext {
  return {
    where: safeUrl(opts.baseURL),
    model: opts.model,
    timeoutMs: opts.timeoutMs,
    apiKey: opts.apiKey,
    apiKeyEnv: opts.apiKeyEnv,
    ...(notFound ? { notFound } : {}),
  };
}

/** Maps any failure to an LlmCallError whose message names what to fix and never contains the API key. */
export function toCallError(err: unknown, ctx: CallContext): LlmCallError {
  if (err instanceof LlmCallError) return new LlmCallError(redactKey(err.message, ctx.apiKey), err);
  const at = ctx.where;
  if (err instanceof OpenAI.APIUserAbortError) {
    return new LlmCallError(`request to ${at} was cancelled`, { retryable: true });
  }
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new LlmCallError(`request to ${at} timed out after ${ctx.timeoutMs} ms (model ${ctx.model})`, {
      retryable: true,
    });
  }
  if (err instanceof OpenAI.APIConnectionError) {
    const cause = (err as { cause?: unknown }).cause;
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    return new LlmCallError(
      redactKey(`could not connect to ${at}${why}; check llm.baseURL and that the server is up`, ctx.apiKey),
      {
        retryable: true,
      },
    );
  }
  if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
    const status = err.status;
    const said = redactKey(serverMessage(err), ctx.apiKey);
    const tail = said ? ` (server said: ${said})` : '';
    if (status === 429 && isQuotaExhausted(err)) {
      // The same status as a rate limit, but no wait helps: the account needs credits or a higher quota.
      return new LlmCallError(
        `429 insufficient_quota from ${at}: the account behind the API key (${ctx.apiKeyEnv ?? 'llm.apiKeyEnv'}) is out of credits or over its quota; check the plan and billing details, then run again${tail}`,
        { retryable: false, status },
      );
    }
    if (status === 429 || status === 408 || status === 409 || status >= 500) {
      const retryAfterMs = retryAfterMsFromHeaders(err.headers, status);
      return new LlmCallError(`${status} from ${at} for model ${ctx.model}; retryable${tail}`, {
        retryable: true,
        status,
        retryAfterMs,
      });
    }
    let message: string;
    if (status === 401) {
      message = `401 from ${at}: check the API key in the environment variable ${ctx.apiKeyEnv ?? 'named by llm.apiKeyEnv'} (llm.apiKeyEnv)${tail}`;
    } else if (status === 403) {
      message = `403 from ${at}: the API key may not use model ${ctx.model}; check the key's permissions or llm.model${tail}`;
    } else if (status === 404) {
      message = isModelNotFound(err)
        ? `unknown model ${ctx.model} at ${at}: check llm.model${tail}`
        : `404 from ${at}: ${ctx.notFound ?? 'no chat completions endpoint there'}; check llm.baseURL (it usually ends in /v1)${tail}`;
    } else if (status === 400 || status === 422) {
      message = `${status} from ${at}: ${rejectionHint(err, ctx.model)}${tail}`;
    } else {
      message = `${status} from ${at} for model ${ctx.model}${tail}`;
    }
    return new LlmCallError(message, { retryable: false, status });
  }
  const text = err instanceof Error ? err.message : String(err);
  return new LlmCallError(redactKey(`request to ${at} failed: ${text}`, ctx.apiKey), { retryable: true });
}

/** The text without the API key (or what a server echoed of one), at most 500 characters. */
export function redactKey(text: string, apiKey: string): string {
  let out = text;
  if (apiKey && apiKey.length >= 4) out = out.split(apiKey).join('***');
  // Servers sometimes echo a masked key ("sk-abc***xyz"); drop what is left of it too.
  out = out.replace(/\bsk-[A-Za-z0-9_*-]{4,}/g, 'sk-***');
  return out.length > 500 ? `${out.slice(0, 500)}...` : out;
}

/**
 * The chat-completions request body for `request`: what the online path posts and what a batch file line carries
 * as its `body` (the same object, so both are answered alike and share cache keys). The model's family decides the
 * token-limit name (max_completion_tokens unless llm.maxTokensParam says max_tokens), and a reasoning model gets no
 * temperature (only the default 1 is accepted), reasoning_effort when llm.reasoningEffort is set, and a token limit
 * with room for its thinking (model-family.ts REASONING_ALLOWANCE).
 */
export function chatParams(
  model: string,
  request: LlmRequest,
  mode: ResponseFormatMode = 'json_schema',
  family: ModelFamily = modelFamily({ model }),
): ChatParams {
  const messages: ChatMessageParam[] = request.messages.map((m) => ({ role: m.role, content: m.content }));
  // Keys in this order (the token limit where max_tokens always was), so a body differs only where the family does.
  const params: ChatParams = {
    model,
    messages,
    [family.maxTokensParam]: tokenLimit(family, request.maxTokens),
    ...(family.reasoning ? {} : { temperature: request.temperature }),
    seed: request.seed,
    ...(family.reasoningEffort ? { reasoning_effort: family.reasoningEffort } : {}),
    response_format:
      mode === 'json_schema'
        ? { type: 'json_schema', json_schema: { name: request.schemaName, schema: request.schema, strict: true } }
        : { type: 'json_object' },
  };
  if (mode === 'json_object') messages.push({ role: 'system', content: jsonObjectInstruction(request.schema) });
  return params;
}

/** The answer a chat completion (online, or a batch output line's body) carries; null when it has no choice. */
export function answerOf(completion: ChatCompletion, model: string): LlmAnswer | null {
  const choice = completion.choices?.[0];
  if (!choice) return null;
  const content = choice.message?.content;
  const refusal = choice.message?.refusal;
  let finishReason: string = choice.finish_reason ?? 'unknown';
  if ((content === null || content === undefined) && refusal) finishReason = 'refusal';
  return {
    text: content ?? refusal ?? '',
    finishReason,
    usage: usageOf(completion.usage),
    model: completion.model || model,
  };
}

/** Token counts of a completion; reasoning and cached prompt tokens only where the server reports some. */
function usageOf(u: ChatCompletion['usage']): LlmAnswer['usage'] {
  const reasoning = u?.completion_tokens_details?.reasoning_tokens ?? 0;
  const cached = u?.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    promptTokens: u?.prompt_tokens ?? 0,
    completionTokens: u?.completion_tokens ?? 0,
    ...(reasoning > 0 ? { reasoningTokens: reasoning } : {}),
    ...(cached > 0 ? { cachedPromptTokens: cached } : {}),
  };
}

/** The instruction sent in `json_object` mode, so the model still sees the shape it must produce. */
export function jsonObjectInstruction(schema: JsonSchema): string {
  return `Answer with one JSON object, and nothing else, that conforms to this JSON schema:\n${JSON.stringify(schema)}`;
}

/**
 * How long the server asked us to wait, in ms: `retry-after-ms`, then `retry-after` (seconds or an HTTP date), then
 * for 429s the `x-ratelimit-reset-requests`/`-tokens` durations ("1s", "6m0s", "250ms") of the exhausted limit.
 */
export function retryAfterMsFromHeaders(
  headers: Headers | Record<string, string> | undefined | null,
  status?: number,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const get = (name: string): string | undefined => {
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
    const rec = headers as Record<string, string>;
    const k = Object.keys(rec).find((h) => h.toLowerCase() === name);
    return k === undefined ? undefined : rec[k];
  };
  const ms = get('retry-after-ms');
  if (ms !== undefined) {
    const v = Number.parseFloat(ms);
    if (Number.isFinite(v) && v >= 0) return Math.ceil(v);
  }
  const ra = get('retry-after');
  if (ra !== undefined) {
    const trimmed = ra.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number.parseFloat(trimmed) * 1000);
    const at = Date.parse(trimmed);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  if (status === 429 || status === undefined) {
    const resets: number[] = [];
    for (const kind of ['requests', 'tokens']) {
      const reset = get(`x-ratelimit-reset-${kind}`);
      if (reset === undefined) continue;
      const remaining = get(`x-ratelimit-remaining-${kind}`);
      if (remaining !== undefined && Number(remaining) > 0) continue;
      const d = parseDurationMs(reset);
      if (d !== undefined) resets.push(d);
    }
    if (resets.length) return Math.max(...resets);
  }
  return undefined;
}

/** Parses "20ms", "1.5s", "6m0s", "1h2m3s" or a bare number of seconds; undefined when unreadable. */
export function parseDurationMs(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.ceil(Number.parseFloat(t) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    const v = Number.parseFloat(m[1]!);
    const unit = m[2]!;
    total += unit === 'ms' ? v : unit === 's' ? v * 1000 : unit === 'm' ? v * 60_000 : v * 3_600_000;
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== t.length) return undefined;
  return Math.ceil(total);
}

function serverMessage(err: unknown): string {
  if (!(err instanceof OpenAI.APIError)) return err instanceof Error ? err.message : '';
  const body = err.error as { message?: unknown } | undefined;
  if (body && typeof body.message === 'string') return body.message;
  return err.message ?? '';
}

/** A server without structured outputs (not one that has them and refused this schema: that is a bug to see). */
function isResponseFormatRejection(err: unknown): boolean {
  if (!(err instanceof OpenAI.APIError) || err.status !== 400) return false;
  if (/^invalid schema for response_format/i.test(serverMessage(err))) return false;
  const text = `${serverMessage(err)} ${err.param ?? ''} ${err.message ?? ''}`.toLowerCase();
  return text.includes('response_format') || text.includes('json_schema');
}

function isQuotaExhausted(err: InstanceType<typeof OpenAI.APIError>): boolean {
  const type = (err.error as { type?: unknown } | undefined)?.type;
  return err.code === 'insufficient_quota' || type === 'insufficient_quota';
}

/** What a 400 means and what to change, by the server's error code and parameter. */
function rejectionHint(err: InstanceType<typeof OpenAI.APIError>, model: string): string {
  const param = err.param ?? '';
  const said = serverMessage(err);
  if (err.code === 'context_length_exceeded')
    return `the request is longer than model ${model}'s context; lower the page size of the stage or use a model with a longer context`;
  if (err.code === 'unsupported_parameter' || err.code === 'unsupported_value') {
    if (param === 'max_tokens')
      return `model ${model} wants max_completion_tokens: remove llm.maxTokensParam: max_tokens`;
    if (param === 'temperature' || param === 'top_p' || param === 'reasoning_effort')
      return `model ${model} refused '${param}': set llm.reasoning (true for a reasoning model, false for any other) to match the model, and llm.reasoningEffort only for reasoning models`;
  }
  const unknown = /Unrecognized request argument supplied: (\S+)/.exec(said)?.[1];
  if (unknown === 'max_completion_tokens')
    return `the server does not know max_completion_tokens: set llm.maxTokensParam: max_tokens for it`;
  if (unknown) return `the server does not take the request argument '${unknown}' (model ${model})`;
  if (/^invalid schema for response_format/i.test(said))
    return `strict structured outputs refused clinsynth's JSON schema for model ${model} (a clinsynth bug: please report it)`;
  return `the server rejected the request for model ${model}; check llm.model, maxTokens and temperature`;
}

function isModelNotFound(err: InstanceType<typeof OpenAI.APIError>): boolean {
  return err.code === 'model_not_found' || /model/i.test(serverMessage(err));
}

/** The base URL without user info or query string, safe to show in messages. */
function safeUrl(baseURL: string): string {
  try {
    const u = new URL(baseURL);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(invalid llm.baseURL)';
  }
}
