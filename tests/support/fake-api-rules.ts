// What OpenAI's chat completions endpoint refuses, and how it counts tokens, with its own error bodies (for the fake).

/** An error answer as the real API gives it: HTTP status and `{"error": {message, type, param, code}}`. */
export interface ApiRefusal {
  status: number;
  message: string;
  type: string;
  param: string | null;
  code: string | null;
  headers?: Record<string, string>;
}

/** Every request argument the chat completions endpoint knows; any other is "Unrecognized request argument". */
const KNOWN_ARGUMENTS = new Set([
  'model',
  'messages',
  'audio',
  'frequency_penalty',
  'function_call',
  'functions',
  'logit_bias',
  'logprobs',
  'max_completion_tokens',
  'max_tokens',
  'metadata',
  'modalities',
  'n',
  'parallel_tool_calls',
  'prediction',
  'presence_penalty',
  'prompt_cache_key',
  'reasoning_effort',
  'response_format',
  'safety_identifier',
  'seed',
  'service_tier',
  'stop',
  'store',
  'stream',
  'stream_options',
  'temperature',
  'tool_choice',
  'tools',
  'top_logprobs',
  'top_p',
  'user',
  'verbosity',
  'web_search_options',
]);

const ROLES = ['system', 'assistant', 'user', 'function', 'tool', 'developer'];
const EFFORTS = ['minimal', 'low', 'medium', 'high'];

/** OpenAI's reasoning models (written apart from lib/llm/model-family.ts, so a mistake there shows here). */
export function reasoningModel(model: string): boolean {
  return /^(gpt-5|o1|o3|o4)([-._]|$)/i.test(model.slice(model.lastIndexOf('/') + 1));
}

/** Context windows of the models the fake is asked about (tokens); `fallback` for any other name. */
export function contextWindow(model: string, fallback: number): number {
  return reasoningModel(model) ? 400_000 : /gpt-4\.1/.test(model) ? 1_047_576 : fallback;
}

export const estimateTokens = (chars: number): number => Math.ceil(chars / 4);

export function promptChars(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  return messages.reduce<number>((n, m) => {
    const c = (m as { content?: unknown } | null)?.content;
    return n + (typeof c === 'string' ? c.length : 0);
  }, 0);
}

const invalid = (message: string, param: string | null, code: string | null): ApiRefusal => ({
  status: 400,
  message,
  type: 'invalid_request_error',
  param,
  code,
});

/** Why OpenAI would refuse this chat request (400), or null when it would take it. */
export function chatRequestRefusal(body: Record<string, unknown>, contextTokens: number): ApiRefusal | null {
  for (const key of Object.keys(body))
    if (!KNOWN_ARGUMENTS.has(key)) return invalid(`Unrecognized request argument supplied: ${key}`, null, null);
  const model = String(body.model ?? '');
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0)
    return invalid(`${JSON.stringify(messages ?? null)} is too short - 'messages'`, 'messages', null);
  for (const [i, m] of messages.entries()) {
    const role = (m as { role?: unknown } | null)?.role;
    if (typeof role !== 'string' || !ROLES.includes(role))
      return invalid(
        `Invalid value: '${String(role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        `messages[${i}].role`,
        'invalid_value',
      );
    const content = (m as { content?: unknown }).content;
    if (typeof content !== 'string' && !Array.isArray(content) && role !== 'assistant')
      return invalid(
        `Invalid type for 'messages[${i}].content': expected one of a string or array of objects.`,
        `messages[${i}].content`,
        'invalid_type',
      );
  }
  if (reasoningModel(model)) {
    if ('max_tokens' in body)
      return invalid(
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        'max_tokens',
        'unsupported_parameter',
      );
    for (const p of ['temperature', 'top_p'])
      if (p in body && body[p] !== 1)
        return invalid(
          `Unsupported value: '${p}' does not support ${JSON.stringify(body[p])} with this model. Only the default (1) value is supported.`,
          p,
          'unsupported_value',
        );
    if ('reasoning_effort' in body && !EFFORTS.includes(String(body.reasoning_effort)))
      return invalid(
        `Invalid value: '${String(body.reasoning_effort)}'. Supported values are: 'minimal', 'low', 'medium', and 'high'.`,
        'reasoning_effort',
        'invalid_value',
      );
  } else if ('reasoning_effort' in body) {
    return invalid(
      "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
      'reasoning_effort',
      'unsupported_parameter',
    );
  }
  const format = body.response_format as { type?: unknown; json_schema?: Record<string, unknown> } | undefined;
  if (format?.type === 'json_schema' && format.json_schema?.strict === true) {
    const problem = strictSchemaProblem(format.json_schema.schema);
    if (problem)
      return invalid(
        `Invalid schema for response_format '${String(format.json_schema.name)}': ${problem}`,
        'response_format',
        null,
      );
  }
  const tokens = estimateTokens(promptChars(messages));
  const window = contextWindow(model, contextTokens);
  if (tokens > window)
    return invalid(
      `This model's maximum context length is ${window} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`,
      'messages',
      'context_length_exceeded',
    );
  return null;
}

/**
 * What strict structured outputs refuse in a schema: an object without `additionalProperties: false`, or whose
 * `required` leaves out one of its properties; a root that is not an object. Null when strict mode takes it.
 */
export function strictSchemaProblem(schema: unknown): string | null {
  const root = schema as Record<string, unknown> | undefined;
  if (!root || root.type !== 'object')
    return `schema must be a JSON Schema of 'type: "object"', got 'type: "${String(root?.type)}"'.`;
  const walk = (node: unknown, context: string[]): string | null => {
    if (!node || typeof node !== 'object') return null;
    if (Array.isArray(node)) {
      for (const n of node) {
        const p = walk(n, context);
        if (p) return p;
      }
      return null;
    }
    const n = node as Record<string, unknown>;
    const at = `In context=(${context.map((c) => `'${c}'`).join(', ')}${context.length === 1 ? ',' : ''})`;
    if (n.type === 'object' || n.properties) {
      if (n.additionalProperties !== false)
        return `${at}, 'additionalProperties' is required to be supplied and to be false.`;
      const keys = Object.keys((n.properties as Record<string, unknown> | undefined) ?? {});
      const required = Array.isArray(n.required) ? (n.required as unknown[]) : [];
      const missing = keys.find((k) => !required.includes(k));
      if (missing !== undefined)
        return `${at}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing}'.`;
      for (const k of keys) {
        const p = walk((n.properties as Record<string, unknown>)[k], [...context, 'properties', k]);
        if (p) return p;
      }
    }
    for (const k of ['items', 'anyOf', '$defs', 'definitions']) {
      const child = n[k];
      if (k === '$defs' || k === 'definitions') {
        for (const [name, def] of Object.entries((child as Record<string, unknown> | undefined) ?? {})) {
          const p = walk(def, [...context, k, name]);
          if (p) return p;
        }
      } else if (child !== undefined) {
        const p = walk(child, [...context, k]);
        if (p) return p;
      }
    }
    return null;
  };
  return walk(root, []);
}

/** 429 of an account out of credits: the same status as a rate limit, but waiting does not help. */
export function insufficientQuota(): ApiRefusal {
  return {
    status: 429,
    message:
      'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
    type: 'insufficient_quota',
    param: null,
    code: 'insufficient_quota',
  };
}

/** 429 of a rate limit, with the x-ratelimit-* headers OpenAI sends (requests exhausted until the reset). */
export function rateLimited(model: string, retryAfterSeconds: number): ApiRefusal {
  const reset = `${retryAfterSeconds}s`;
  return {
    status: 429,
    message: `Rate limit reached for ${model} in organization org-fake on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in ${reset}. Visit https://platform.openai.com/account/rate-limits to learn more.`,
    type: 'requests',
    param: null,
    code: 'rate_limit_exceeded',
    headers: {
      'retry-after': String(retryAfterSeconds),
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': reset,
      'x-ratelimit-limit-tokens': '200000',
      'x-ratelimit-remaining-tokens': '199000',
      'x-ratelimit-reset-tokens': '300ms',
    },
  };
}

/** The answer's token limit the request sets (either name), or undefined. */
export function completionLimit(body: Record<string, unknown>): number | undefined {
  const v = body.max_completion_tokens ?? body.max_tokens;
  return typeof v === 'number' && v > 0 ? v : undefined;
}

/** Tokens a reasoning model thinks before it answers (counted in completion_tokens): a share of the prompt. */
export function reasoningTokensFor(body: Record<string, unknown>, promptTokens: number): number {
  if (!reasoningModel(String(body.model ?? ''))) return 0;
  const share = { minimal: 0, low: 0.05, medium: 0.1, high: 0.3 }[String(body.reasoning_effort ?? 'medium')] ?? 0.1;
  return Math.ceil(64 * (share > 0 ? 1 : 0) + promptTokens * share);
}

/**
 * OpenAI's prompt caching: a prompt of at least `minTokens` whose start was seen before is served from the cache in
 * 128-token steps. Here the start is every message but the last (the instructions; the last holds the items).
 */
export function promptCache(minTokens: number) {
  const seen = new Set<string>();
  return (messages: unknown): number => {
    if (!Array.isArray(messages) || messages.length < 2) return 0;
    const prefix = messages.slice(0, -1);
    const tokens = estimateTokens(promptChars(prefix));
    const key = JSON.stringify(prefix);
    const hit = seen.has(key);
    seen.add(key);
    return hit && tokens >= minTokens ? Math.floor(tokens / 128) * 128 : 0;
  };
}
