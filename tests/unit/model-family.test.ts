// Model families: which models are reasoning models, which token-limit name is sent, and the bodies that follow.
import { describe, expect, it } from 'vitest';
import { cacheModelId, isReasoningModelName, modelFamily, REASONING_ALLOWANCE } from '../../lib/llm/model-family.js';
import { chatParams } from '../../lib/llm/openai-provider.js';
import { batchFlavour, batchLine } from '../../lib/llm/batch-api.js';
import type { LlmRequest } from '../../lib/llm/types.js';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { InputError } from '../../lib/config/problems.js';
import { writeTestExperiment } from '../support/experiments.js';

const request: LlmRequest = {
  messages: [{ role: 'user', content: 'label this' }],
  schemaName: 'silver_labels',
  schema: { type: 'object', properties: {}, required: [], additionalProperties: false },
  maxTokens: 300,
  temperature: 0.6,
  seed: 3,
};

describe('model families', () => {
  it('knows gpt-5* and o1/o3/o4* as reasoning models, also behind a router prefix, and nothing else', () => {
    for (const m of ['gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'gpt-5.1', 'o1', 'o1-mini', 'o3', 'o3-mini', 'o4-mini'])
      expect(isReasoningModelName(m), m).toBe(true);
    expect(isReasoningModelName('openai/gpt-5-mini')).toBe(true);
    for (const m of ['gpt-4o-mini', 'gpt-4.1', 'gpt-50x', 'o2', 'llama-3-8b', 'fake-model', 'qwen2.5-7b-instruct'])
      expect(isReasoningModelName(m), m).toBe(false);
  });

  it('llm.reasoning overrides the name (Azure deployments have their own names)', () => {
    expect(modelFamily({ model: 'my-deployment', reasoning: true }).reasoning).toBe(true);
    expect(modelFamily({ model: 'gpt-5-mini', reasoning: false }).reasoning).toBe(false);
  });

  it('a classic model: max_completion_tokens by default, temperature and seed, no reasoning_effort', () => {
    const body = chatParams('gpt-4o-mini', request, 'json_schema', modelFamily({ model: 'gpt-4o-mini' }));
    expect(Object.keys(body)).toEqual([
      'model',
      'messages',
      'max_completion_tokens',
      'temperature',
      'seed',
      'response_format',
    ]);
    expect(body).toMatchObject({ max_completion_tokens: 300, temperature: 0.6, seed: 3 });
    // reasoningEffort is for reasoning models only
    expect(
      chatParams('gpt-4o-mini', request, 'json_schema', modelFamily({ model: 'gpt-4o-mini', reasoningEffort: 'low' })),
    ).not.toHaveProperty('reasoning_effort');
  });

  it('llm.maxTokensParam: max_tokens for servers that want it, in the same place', () => {
    const body = chatParams(
      'llama',
      request,
      'json_schema',
      modelFamily({ model: 'llama', maxTokensParam: 'max_tokens' }),
    );
    expect(Object.keys(body)).toEqual(['model', 'messages', 'max_tokens', 'temperature', 'seed', 'response_format']);
  });

  it('a reasoning model: no temperature (nor top_p), max_completion_tokens, reasoning_effort when set', () => {
    const plain = chatParams('gpt-5-mini', request, 'json_schema', modelFamily({ model: 'gpt-5-mini' }));
    expect(plain).not.toHaveProperty('temperature');
    expect(plain).not.toHaveProperty('top_p');
    expect(plain).not.toHaveProperty('max_tokens');
    expect(plain).not.toHaveProperty('reasoning_effort');
    // the limit counts the thinking too: the answer's 300 plus the allowance of the (default, medium) effort
    expect(plain).toMatchObject({ max_completion_tokens: 300 + REASONING_ALLOWANCE.medium, seed: 3 });
    const effort = chatParams(
      'o4-mini',
      request,
      'json_schema',
      modelFamily({ model: 'o4-mini', reasoningEffort: 'high' }),
    );
    expect(effort).toMatchObject({ reasoning_effort: 'high', max_completion_tokens: 300 + REASONING_ALLOWANCE.high });
    // the name alone decides when no family is given
    expect(chatParams('gpt-5-nano', request)).not.toHaveProperty('temperature');
  });

  it('the batch path sends the same bodies', () => {
    const family = modelFamily({ model: 'gpt-5-mini', reasoningEffort: 'minimal' });
    const line = JSON.parse(batchLine(batchFlavour({}), 'gpt-5-mini', 'k', request, family)) as { body: unknown };
    expect(line.body).toEqual(JSON.parse(JSON.stringify(chatParams('gpt-5-mini', request, 'json_schema', family))));
  });

  it('the effort is part of the cache identity; the token-limit name is not', () => {
    expect(cacheModelId('gpt-5-mini', modelFamily({ model: 'gpt-5-mini' }))).toBe('gpt-5-mini');
    expect(cacheModelId('gpt-5-mini', modelFamily({ model: 'gpt-5-mini', maxTokensParam: 'max_tokens' }))).toBe(
      'gpt-5-mini',
    );
    expect(cacheModelId('gpt-5-mini', modelFamily({ model: 'gpt-5-mini', reasoningEffort: 'low' }))).not.toBe(
      'gpt-5-mini',
    );
  });

  it('the experiment file takes reasoning, maxTokensParam, reasoningEffort, batchKeepFiles and cachedInput prices', () => {
    const llm = {
      baseURL: 'http://127.0.0.1:1/v1',
      model: 'my-deployment',
      reasoning: true,
      maxTokensParam: 'max_tokens',
      reasoningEffort: 'minimal',
      batchKeepFiles: true,
      prices: { 'my-deployment': { input: 1, output: 2, cachedInput: 0.1 } },
    };
    const e = loadExperiment(writeTestExperiment({ llm }).file);
    expect(e.llm).toMatchObject(llm);
    expect(modelFamily(e.llm)).toEqual({ reasoning: true, maxTokensParam: 'max_tokens', reasoningEffort: 'minimal' });
    let caught: unknown;
    try {
      loadExperiment(writeTestExperiment({ llm: { ...llm, reasoningEffort: 'extreme' } }).file);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).problems[0]).toMatchObject({ key: 'llm.reasoningEffort', line: expect.any(Number) });
  });
});
