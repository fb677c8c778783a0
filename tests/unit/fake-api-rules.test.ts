// The test endpoint refuses what OpenAI refuses, with its error bodies, and the project's client handles each answer.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAIProvider, toCallError, callContext } from '../../lib/llm/openai-provider.js';
import { BatchClient, batchFlavour, batchLine } from '../../lib/llm/batch-api.js';
import { modelFamily, type FamilySettings } from '../../lib/llm/model-family.js';
import { LlmCallError, type LlmRequest } from '../../lib/llm/types.js';
import { loadTaxonomy } from '../../lib/config/taxonomy.js';
import { silverRequest } from '../../lib/generate/prompts.js';
import { asActivityFailure } from '../../activities/failures.js';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';

const KEY = 'sk-test-rules-abcdef1234567890';
const taxonomy = loadTaxonomy('taxonomy/ad-signs-symptoms.yaml');
const items = [
  { id: 'n1:0', text: 'Her daughter reports that she has become forgetful.' },
  { id: 'n2:5', text: 'MoCA 17/30.' },
];
const request: LlmRequest = silverRequest(taxonomy, items, { maxTokens: 800, temperature: 0, seed: 7 });

let server: FakeLlmServer;
beforeAll(async () => {
  server = await startFakeLlmServer({ requireApiKey: KEY, promptCacheMinTokens: 256 });
});
afterAll(() => server.close());
beforeEach(() => {
  server.resetStats();
  server.setFaults({ rate429: 0, rateRefusal: 0, insufficientQuota: false });
});

const provider = (model: string, llm: Omit<FamilySettings, 'model'> = {}, apiKey = KEY): OpenAIProvider =>
  new OpenAIProvider({
    baseURL: server.url,
    model,
    apiKey,
    timeoutMs: 5000,
    apiKeyEnv: 'OPENAI_API_KEY',
    family: modelFamily({ model, ...llm }),
  });

async function refused(p: Promise<unknown>): Promise<LlmCallError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LlmCallError);
  return err as LlmCallError;
}

/** The error body the endpoint sent (what the openai client read), through the raw client. */
async function rawError(params: Record<string, unknown>): Promise<{ status: number; error: unknown }> {
  const client = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
  try {
    await client.chat.completions.create(params as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming);
  } catch (err) {
    if (err instanceof OpenAI.APIError) return { status: err.status ?? 0, error: err.error };
    throw err;
  }
  throw new Error('the endpoint took the request');
}

const base = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

describe('the strict test endpoint', () => {
  it("refuses max_tokens for gpt-5/o-series with OpenAI's body; the client says to use max_completion_tokens", async () => {
    expect(await rawError({ ...base, model: 'gpt-5-mini', max_tokens: 100 })).toEqual({
      status: 400,
      error: {
        message:
          "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        type: 'invalid_request_error',
        param: 'max_tokens',
        code: 'unsupported_parameter',
      },
    });
    const err = await refused(provider('o4-mini', { maxTokensParam: 'max_tokens' }).complete(request));
    expect(err).toMatchObject({ retryable: false, status: 400 });
    expect(err.message).toMatch(/wants max_completion_tokens: remove llm\.maxTokensParam: max_tokens/);
  });

  it('refuses a temperature other than 1 for reasoning models; the client names llm.reasoning', async () => {
    expect(await rawError({ ...base, model: 'o3', temperature: 0 })).toEqual({
      status: 400,
      error: {
        message:
          "Unsupported value: 'temperature' does not support 0 with this model. Only the default (1) value is supported.",
        type: 'invalid_request_error',
        param: 'temperature',
        code: 'unsupported_value',
      },
    });
    const err = await refused(provider('gpt-5-mini', { reasoning: false }).complete(request));
    expect(err).toMatchObject({ retryable: false, status: 400 });
    expect(err.message).toMatch(/refused 'temperature': set llm\.reasoning/);
    // reasoning_effort on a model that is not a reasoning model is refused too
    expect(await rawError({ ...base, reasoning_effort: 'low' })).toMatchObject({
      status: 400,
      error: { param: 'reasoning_effort', code: 'unsupported_parameter' },
    });
  });

  it('takes what the project sends a reasoning model, and reports its reasoning tokens', async () => {
    const answer = await provider('gpt-5-mini', { reasoningEffort: 'low' }).complete(request);
    expect(answer.finishReason).toBe('stop');
    expect(answer.usage.reasoningTokens).toBeGreaterThan(0);
    expect(answer.usage.completionTokens).toBeGreaterThan(answer.usage.reasoningTokens!);
    const body = server.stats.bodies[0] as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'gpt-5-mini', reasoning_effort: 'low' });
    expect(body).not.toHaveProperty('temperature');
  });

  it('refuses unknown request arguments: "Unrecognized request argument supplied"', async () => {
    expect(await rawError({ ...base, top_k: 40 })).toEqual({
      status: 400,
      error: {
        message: 'Unrecognized request argument supplied: top_k',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    const client = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
    const err = await client.chat.completions
      .create({
        ...base,
        max_completion_tokens: 5,
        foo: 1,
      } as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming)
      .catch((e: unknown) =>
        toCallError(e, callContext({ baseURL: server.url, model: 'gpt-4o-mini', apiKey: KEY, timeoutMs: 1 })),
      );
    expect(err).toMatchObject({
      retryable: false,
      message: expect.stringContaining("does not take the request argument 'foo'"),
    });
  });

  it('a server that does not know max_completion_tokens: the client names llm.maxTokensParam: max_tokens', () => {
    const said = {
      message: 'Unrecognized request argument supplied: max_completion_tokens',
      type: 'invalid_request_error',
    };
    const err = toCallError(
      OpenAI.APIError.generate(400, { error: said }, undefined, new Headers()),
      callContext({ baseURL: 'http://127.0.0.1:8000/v1', model: 'llama', apiKey: '', timeoutMs: 1 }),
    );
    expect(err).toMatchObject({ retryable: false, status: 400 });
    expect(err.message).toMatch(/does not know max_completion_tokens: set llm\.maxTokensParam: max_tokens/);
  });

  it('refuses empty messages and unknown roles', async () => {
    expect(await rawError({ ...base, messages: [] })).toEqual({
      status: 400,
      error: { message: "[] is too short - 'messages'", type: 'invalid_request_error', param: 'messages', code: null },
    });
    expect(await rawError({ ...base, messages: [{ role: 'robot', content: 'x' }] })).toMatchObject({
      status: 400,
      error: {
        param: 'messages[0].role',
        code: 'invalid_value',
        message: expect.stringMatching(/^Invalid value: 'robot'/),
      },
    });
  });

  it('refuses a json_schema strict mode cannot take; the client fails clearly instead of falling back', async () => {
    const loose = { ...request, schema: { type: 'object', properties: { labels: { type: 'array' } } } };
    const p = provider('gpt-4o-mini');
    const err = await refused(p.complete(loose));
    expect(err).toMatchObject({ retryable: false, status: 400 });
    expect(err.message).toMatch(/strict structured outputs refused clinsynth's JSON schema/);
    expect(err.message).toContain(
      "Invalid schema for response_format 'silver_labels': In context=(), 'additionalProperties'",
    );
    expect(p.responseFormatMode).toBe('json_schema');
    const missing = {
      ...request,
      schema: { type: 'object', properties: { a: { type: 'string' } }, required: [], additionalProperties: false },
    };
    expect((await refused(provider('gpt-4o-mini').complete(missing))).message).toContain("Missing 'a'");
  });

  it('refuses a request longer than the context (context_length_exceeded)', async () => {
    const small = await startFakeLlmServer({ contextTokens: 50 });
    try {
      const p = new OpenAIProvider({ baseURL: small.url, model: 'small-model', apiKey: '', timeoutMs: 5000 });
      const err = await refused(p.complete(request));
      expect(err).toMatchObject({ retryable: false, status: 400 });
      expect(err.message).toMatch(/longer than model small-model's context/);
      expect(err.message).toMatch(/maximum context length is 50 tokens/);
    } finally {
      await small.close();
    }
  });

  it('cuts an answer at max_completion_tokens (finish_reason length), reasoning included', async () => {
    const answer = await provider('gpt-4o-mini').complete({ ...request, maxTokens: 16 });
    expect(answer.finishReason).toBe('length');
    expect(answer.usage.completionTokens).toBe(16);
    expect(server.stats.faults.cutAtTokenLimit).toBe(1);
  });

  it('serves a repeated prompt start from the prompt cache (cached_tokens, in steps of 128)', async () => {
    const fresh = await startFakeLlmServer({ promptCacheMinTokens: 256 });
    try {
      const p = new OpenAIProvider({ baseURL: fresh.url, model: 'gpt-4o-mini', apiKey: '', timeoutMs: 5000 });
      const first = await p.complete(request);
      const second = await p.complete({ ...request, seed: 8 });
      expect(first.usage.cachedPromptTokens).toBeUndefined();
      expect(second.usage.cachedPromptTokens).toBeGreaterThan(0);
      expect(second.usage.cachedPromptTokens! % 128).toBe(0);
      expect(second.usage.cachedPromptTokens!).toBeLessThanOrEqual(second.usage.promptTokens);
      expect(fresh.stats.cachedTokens).toBe(second.usage.cachedPromptTokens);
    } finally {
      await fresh.close();
    }
  });

  it('sometimes refuses in message.refusal; the answer reads as a refusal', async () => {
    server.setFaults({ rateRefusal: 1 });
    const answer = await provider('gpt-4o-mini').complete(request);
    expect(answer).toMatchObject({ finishReason: 'refusal', text: expect.stringMatching(/can't assist/) });
  });

  it('sends x-ratelimit-* headers with a 429; the client retries after the reset they give', async () => {
    server.setFaults({ rate429: 1, retryAfterSeconds: 2 });
    const err = await refused(provider('gpt-4o-mini').complete(request));
    expect(err).toMatchObject({ retryable: true, status: 429, retryAfterMs: 2000 });
    expect(err.message).toMatch(/Rate limit reached for gpt-4o-mini/);
  });

  it('429 insufficient_quota is not retried: the client names the quota and billing at once', async () => {
    server.setFaults({ insufficientQuota: true });
    const err = await refused(provider('gpt-4o-mini').complete(request));
    expect(err).toMatchObject({ retryable: false, status: 429 });
    expect(err.message).toMatch(/out of credits or over its quota; check the plan and billing/);
    expect(server.stats.requests).toBe(1);
    // the activity fails for good, so Temporal does not retry it
    expect(asActivityFailure(err)).toMatchObject({ nonRetryable: true, type: 'LlmConfigError' });
  });

  it('checks the API key on the files and batches routes too', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'clinsynth-rules-')), 'in.jsonl');
    writeFileSync(path, batchLine(batchFlavour({}), 'gpt-4o-mini', 'a', request) + '\n');
    const bad = new BatchClient(
      {
        baseURL: server.url,
        model: 'gpt-4o-mini',
        apiKey: 'sk-wrong-0000000000',
        timeoutMs: 5000,
        apiKeyEnv: 'MY_KEY',
      },
      batchFlavour({}),
    );
    const upload = await refused(bad.upload(path));
    expect(upload).toMatchObject({ retryable: false, status: 401, message: expect.stringContaining('MY_KEY') });
    expect(await refused(bad.retrieve('batch_x'))).toMatchObject({ status: 401 });
    expect(await refused(bad.download('file-x'))).toMatchObject({ status: 401 });
    expect(server.stats.filesUploaded).toBe(0);
  });

  it("checks a batch input file's purpose and that its lines name one model; refused lines go to the error file", async () => {
    const client = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'clinsynth-rules-'));
    const write = (name: string, lines: string[]) => {
      writeFileSync(join(dir, name), lines.join('\n') + '\n');
      return join(dir, name);
    };
    const { createReadStream } = await import('node:fs');
    const flavour = batchFlavour({});
    const wrongPurpose = await client.files.create({
      file: createReadStream(write('a.jsonl', [batchLine(flavour, 'gpt-4o-mini', 'a', request)])),
      purpose: 'assistants',
    });
    const err = await client.batches
      .create({ input_file_id: wrongPurpose.id, endpoint: '/v1/chat/completions', completion_window: '24h' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toMatch(/must have purpose 'batch'/);

    const batches = new BatchClient({ baseURL: server.url, model: 'x', apiKey: KEY, timeoutMs: 5000 }, flavour);
    server.setFaults({ batchValidatingMs: 0, batchInProgressMs: 0, batchFinalizingMs: 0 });
    const twoModels = await batches.upload(
      write('b.jsonl', [batchLine(flavour, 'gpt-4o-mini', 'a', request), batchLine(flavour, 'gpt-4.1', 'b', request)]),
    );
    await batches.create(twoModels.id, {});
    const listed = await batches.findByInputFile(twoModels.id, twoModels.createdAt);
    expect(listed).toMatchObject({ status: 'failed', error: expect.stringMatching(/^model_mismatch \(line 2\)/) });

    const maxTokensLine = JSON.stringify({
      custom_id: 'c',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-5-mini', messages: [{ role: 'user', content: 'x' }], max_tokens: 10 },
    });
    const mixed = await batches.upload(write('c.jsonl', [maxTokensLine]));
    const b = await batches.create(mixed.id, {});
    const done = await batches.retrieve(b.id);
    expect(done).toMatchObject({ status: 'completed', failed: 1, outputFileId: null });
    const errors = await batches.download(done.errorFileId!);
    expect(JSON.parse(errors.trim())).toMatchObject({
      custom_id: 'c',
      response: { status_code: 400, body: { error: { param: 'max_tokens', code: 'unsupported_parameter' } } },
    });
  });
});
