// LlmProvider for any OpenAI-compatible chat-completions server, with structured outputs and retry-aware errors.
import OpenAI from 'openai';
import { LlmCallError, type JsonSchema, type LlmAnswer, type LlmProvider, type LlmRequest } from './types.js';

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
}

export type ResponseFormatMode = 'json_schema' | 'json_object';

type ChatParams = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
type ChatMessageParam = OpenAI.Chat.Completions.ChatCompletionMessageParam;
export type ChatCompletion = OpenAI.Chat.Completions.ChatCompletion;

/** The provider kind in cache keys of OpenAI-compatible answers (online and batch alike). */
export const OPENAI_KIND = 'openai';

export class OpenAIProvider implements LlmProvider {
  readonly kind = OPENAI_KIND;
  readonly model: string;
  private readonly client: OpenAI;
  private readonly ctx: CallContext;
  private mode: ResponseFormatMode = 'json_schema';
  /** Why this instance fell back to `json_object` (the server's words), when it did. */
  fallbackReason: string | undefined;

  constructor(opts: OpenAIProviderOptions) {
    this.model = opts.model;
    this.ctx = callContext(opts);
    this.client = new OpenAI({
      baseURL: opts.baseURL,
      apiKey: opts.apiKey,
      defaultHeaders: opts.headers,
      timeout: opts.timeoutMs,
      maxRetries: 0,
    });
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
      completion = await this.client.chat.completions.create(chatParams(this.model, request, mode), {
        signal: call.signal,
      });
    } finally {
      call.release();
    }
    const answer = answerOf(completion, this.model);
    if (!answer)
      throw new LlmCallError(`answer from ${this.ctx.where} had no choices (model ${this.model})`, { retryable: true });
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
    if (status === 429 && err.code === 'insufficient_quota') {
      // Out of credit, not a rate limit: waiting does not help (OpenAI answers it with a 429).
      return new LlmCallError(
        `429 insufficient_quota from ${at}: the account has no credit left; check its billing${tail}`,
        {
          retryable: false,
          status,
        },
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
      message = `${status} from ${at}: the server rejected the request for model ${ctx.model}; check llm.model, maxTokens and temperature${tail}`;
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
 * as its `body` (the same object, so both are answered alike and share cache keys).
 */
export function chatParams(model: string, request: LlmRequest, mode: ResponseFormatMode = 'json_schema'): ChatParams {
  const messages: ChatMessageParam[] = request.messages.map((m) => ({ role: m.role, content: m.content }));
  const params: ChatParams = {
    model,
    messages,
    max_tokens: request.maxTokens,
    temperature: request.temperature,
    seed: request.seed,
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
    usage: {
      promptTokens: completion.usage?.prompt_tokens ?? 0,
      completionTokens: completion.usage?.completion_tokens ?? 0,
    },
    model: completion.model || model,
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

function isResponseFormatRejection(err: unknown): boolean {
  if (!(err instanceof OpenAI.APIError) || err.status !== 400) return false;
  const text = `${serverMessage(err)} ${err.param ?? ''} ${err.message ?? ''}`.toLowerCase();
  return text.includes('response_format') || text.includes('json_schema');
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

/**
 * A signal for one call that aborts with `outer` and lets go of it when released. The openai client adds an abort
 * listener to the signal it is given and never removes it, so handing it the activity's own signal leaks one
 * listener per call for the life of the page (and warns past ten).
 */
function followSignal(outer?: AbortSignal): { signal?: AbortSignal; release(): void } {
  if (!outer) return { release: () => {} };
  const controller = new AbortController();
  if (outer.aborted) controller.abort(outer.reason);
  const onAbort = () => controller.abort(outer.reason);
  outer.addEventListener('abort', onAbort, { once: true });
  return { signal: controller.signal, release: () => outer.removeEventListener('abort', onAbort) };
}
