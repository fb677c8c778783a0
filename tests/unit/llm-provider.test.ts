// OpenAIProvider (real openai client) against the fake server: answers, error mapping, timeouts and fallback.
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAIProvider, parseDurationMs, retryAfterMsFromHeaders } from '../../lib/llm/openai-provider.js';
import { LlmCallError, type LlmRequest } from '../../lib/llm/types.js';
import { loadTaxonomy, labelIds } from '../../lib/config/taxonomy.js';
import { parseSilverAnswer, silverRequest } from '../../lib/generate/prompts.js';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';

const KEY = 'sk-test-SECRET-abcdef1234567890';
const taxonomy = loadTaxonomy('taxonomy/ad-signs-symptoms.yaml');
const items = [
  { id: 'n1:0', text: 'Her daughter reports that she has become forgetful.' },
  { id: 'n1:1', text: 'Continue donepezil 10 mg daily.' },
  { id: 'n2:5', text: 'MoCA 17/30.' },
  { id: 'n3:2', text: 'Blood pressure is well controlled.' },
];
const request: LlmRequest = silverRequest(taxonomy, items, { maxTokens: 800, temperature: 0, seed: 7 });

let server: FakeLlmServer;
const provider = (timeoutMs = 5000): OpenAIProvider =>
  new OpenAIProvider({ baseURL: server.url, model: 'fake-model', apiKey: KEY, timeoutMs });

async function callError(p: OpenAIProvider): Promise<LlmCallError> {
  const err = await p.complete(request).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LlmCallError);
  return err as LlmCallError;
}

beforeAll(async () => {
  server = await startFakeLlmServer({ requireApiKey: KEY, models: ['fake-model'] });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.setFaults({
    rate429: 0,
    rate500: 0,
    rateHang: 0,
    rateMalformed: 0,
    rateTruncated: 0,
    rateUnknownLabel: 0,
    failStatus: 0,
    rejectJsonSchema: false,
    latencyMs: 0,
  });
  server.resetStats();
});

describe('OpenAIProvider', () => {
  it('returns the raw text, finish reason, usage and model, sending a strict json_schema', async () => {
    const answer = await provider().complete(request);
    expect(answer.finishReason).toBe('stop');
    expect(answer.model).toBe('fake-model');
    expect(answer.usage.promptTokens).toBeGreaterThan(100);
    expect(answer.usage.completionTokens).toBeGreaterThan(0);
    const parsed = parseSilverAnswer(answer.text, items, labelIds(taxonomy));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.labels.get('n1:0')).toEqual(['cognitive_impairment', 'notice_by_others']);
      expect(parsed.labels.get('n1:1')).toEqual(['dementia_treatment']);
      expect(parsed.labels.get('n2:5')).toEqual(['cognitive_assessment']);
      expect(parsed.labels.get('n3:2')).toEqual([]);
    }
    const body = server.stats.bodies[0] as Record<string, unknown>;
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'silver_labels', schema: request.schema, strict: true },
    });
    // The token limit goes by max_completion_tokens (what OpenAI, Azure and current vLLM take), never both names.
    expect(body).toMatchObject({ model: 'fake-model', max_completion_tokens: 800, temperature: 0, seed: 7 });
    expect(body).not.toHaveProperty('max_tokens');
    expect(server.stats.requests).toBe(1);
  });

  it("leaves no listener on the caller's abort signal after a call, however many calls share it", async () => {
    const activitySignal = new AbortController().signal;
    const p = provider();
    for (let i = 0; i < 12; i++) await p.complete(request, activitySignal);
    expect(getEventListeners(activitySignal, 'abort')).toHaveLength(0);
  });

  it("aborts the call in flight when the caller's signal aborts", async () => {
    server.setFaults({ latencyMs: 10_000 });
    const controller = new AbortController();
    const call = provider().complete(request, controller.signal);
    // Abort once the request is at the endpoint, which holds it for 10 s: the call must end before any answer.
    while (server.stats.inFlight === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort(new Error('activity cancelled'));
    await expect(call).rejects.toBeInstanceOf(LlmCallError);
    expect(server.stats.requests).toBe(1);
    expect(server.stats.byStatus[200] ?? 0, 'answers sent').toBe(0);
  });

  it('maps 429 with Retry-After to a retryable error with retryAfterMs, without retrying itself', async () => {
    server.setFaults({ rate429: 1, retryAfterSeconds: 3 });
    const err = await callError(provider());
    expect(err.retryable).toBe(true);
    expect(err.status).toBe(429);
    expect(err.retryAfterMs).toBe(3000);
    expect(server.stats.requests).toBe(1);
  });

  it('maps 500 to a retryable error', async () => {
    server.setFaults({ rate500: 1 });
    const err = await callError(provider());
    expect(err.retryable).toBe(true);
    expect(err.status).toBe(500);
    expect(server.stats.requests).toBe(1);
  });

  it('maps 401 to a non-retryable error naming llm.apiKeyEnv, never showing the key', async () => {
    const p = new OpenAIProvider({
      baseURL: server.url,
      model: 'fake-model',
      apiKey: 'sk-wrong-key-0987654321',
      timeoutMs: 5000,
    });
    const err = await callError(p);
    expect(err.retryable).toBe(false);
    expect(err.status).toBe(401);
    expect(err.message).toContain('llm.apiKeyEnv');
    expect(err.message).toContain(server.url);
    expect(err.message).not.toContain('sk-wrong-key-0987654321');
    expect(err.message).not.toContain('0987654321');

    server.setFaults({ failStatus: 401 });
    const err2 = await callError(provider());
    expect(err2.retryable).toBe(false);
    expect(err2.message).not.toContain(KEY);
    expect(err2.message).not.toContain('4321');
  });

  it('maps 404 model_not_found to a non-retryable "unknown model" error', async () => {
    const p = new OpenAIProvider({ baseURL: server.url, model: 'no-such-model', apiKey: KEY, timeoutMs: 5000 });
    const err = await callError(p);
    expect(err.retryable).toBe(false);
    expect(err.status).toBe(404);
    expect(err.message).toContain(`unknown model no-such-model at ${server.url}`);
    expect(err.message).not.toContain(KEY);
  });

  it('maps a 404 on a wrong base URL to a message about llm.baseURL', async () => {
    const p = new OpenAIProvider({
      baseURL: server.url.replace(/\/v1$/, '/v2'),
      model: 'fake-model',
      apiKey: KEY,
      timeoutMs: 5000,
    });
    const err = await callError(p);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('llm.baseURL');
  });

  it('maps a hung request to a retryable timeout within the configured timeout', async () => {
    server.setFaults({ rateHang: 1 });
    // The endpoint never answers: only the provider's own timeout can end the call (else the test times out).
    const err = await callError(provider(300));
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('timed out after 300 ms');
    expect(server.stats.requests, 'one request, no retry of its own').toBe(1);
    expect(server.stats.faults.rateHang).toBe(1);
  });

  it('maps a refused connection to a retryable error', async () => {
    const other = await startFakeLlmServer();
    const url = other.url;
    await other.close();
    const p = new OpenAIProvider({ baseURL: url, model: 'fake-model', apiKey: KEY, timeoutMs: 2000 });
    const err = await callError(p);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('could not connect');
  });

  it('falls back to json_object when the server rejects json_schema, and remembers it', async () => {
    server.setFaults({ rejectJsonSchema: true });
    const p = provider();
    const a1 = await p.complete(request);
    expect(parseSilverAnswer(a1.text, items, labelIds(taxonomy)).ok).toBe(true);
    expect(p.responseFormatMode).toBe('json_object');
    expect(p.fallbackReason).toContain('response_format');
    expect(server.stats.byStatus[400]).toBe(1);
    const a2 = await p.complete(request);
    expect(a2.text).toBe(a1.text);
    expect(server.stats.requests).toBe(3); // rejected + retried once, then straight to json_object
    const last = server.stats.bodies[2] as { response_format: unknown; messages: { content: string }[] };
    expect(last.response_format).toEqual({ type: 'json_object' });
    expect(last.messages.at(-1)?.content).toContain('JSON schema');
  });

  it('keeps the raw text of a truncated answer; the parse then fails with an error', async () => {
    server.setFaults({ rateTruncated: 1 });
    const answer = await provider().complete(request);
    expect(answer.finishReason).toBe('length');
    expect(answer.text.length).toBeGreaterThan(0);
    expect(answer.usage.completionTokens).toBeGreaterThan(0);
    const parsed = parseSilverAnswer(answer.text, items, labelIds(taxonomy));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain('not valid JSON');
  });

  it('rejects answers carrying an unknown label', async () => {
    server.setFaults({ rateUnknownLabel: 1 });
    const answer = await provider().complete(request);
    const parsed = parseSilverAnswer(answer.text, items, labelIds(taxonomy));
    expect(parsed).toEqual({ ok: false, error: 'unknown label "made_up_label" for s1' });
  });
});

describe('retry-after parsing', () => {
  it('reads retry-after-ms, retry-after seconds and dates, and x-ratelimit-reset durations', () => {
    expect(retryAfterMsFromHeaders(new Headers({ 'retry-after-ms': '1500' }), 429)).toBe(1500);
    expect(retryAfterMsFromHeaders(new Headers({ 'retry-after': '2' }), 429)).toBe(2000);
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(retryAfterMsFromHeaders({ 'Retry-After': 'Tue, 01 Jan 2030 00:00:10 GMT' }, 503, now)).toBe(10_000);
    expect(
      retryAfterMsFromHeaders(
        new Headers({
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': '6m0s',
          'x-ratelimit-remaining-tokens': '500',
          'x-ratelimit-reset-tokens': '1s',
        }),
        429,
      ),
    ).toBe(360_000);
    expect(retryAfterMsFromHeaders(new Headers({}), 429)).toBeUndefined();
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('1m30.5s')).toBe(90_500);
    expect(parseDurationMs('soon')).toBeUndefined();
  });
});
