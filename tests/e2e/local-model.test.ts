// A real completion on the embedded GGUF model: the packaged SmolLM2 answers a silver batch in schema-valid JSON.
import { afterAll, describe, expect, it } from 'vitest';
import { LocalProvider, PACKAGED_MODEL, toGrammarSchema } from '../../lib/llm/local-provider.js';
import { parseSilverAnswer, silverRequest } from '../../lib/generate/prompts.js';
import { loadTaxonomy, labelIds } from '../../lib/run/taxonomy.js';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/run/paths.js';
import { existsSync } from 'node:fs';

const taxonomy = loadTaxonomy(join(PROJECT_ROOT, 'taxonomy', 'ad-signs-symptoms.yaml'));
let provider: LocalProvider | undefined;

afterAll(async () => {
  await provider?.close();
});

describe('embedded model', () => {
  it('is installed by setup', () => {
    expect(existsSync(PACKAGED_MODEL)).toBe(true);
  });

  it('answers a silver batch with valid JSON that names every sentence and only taxonomy labels', async () => {
    provider = await LocalProvider.load();
    expect(provider.model).toMatch(/^SmolLM2-135M-Instruct\.Q4_1\.gguf@[0-9a-f]{16}$/);
    const items = [
      { id: 'a', text: 'Continue donepezil 10 mg daily.' },
      { id: 'b', text: 'Her son states that she has been repeating the same questions.' },
      { id: 'c', text: 'Blood pressure 120/80.' },
    ];
    const answer = await provider.complete(silverRequest(taxonomy, items, { maxTokens: 400, temperature: 0, seed: 0 }));
    expect(answer.finishReason).toBe('stop');
    expect(answer.usage.promptTokens).toBeGreaterThan(100);
    expect(answer.usage.completionTokens).toBeGreaterThan(5);
    const parsed = parseSilverAnswer(answer.text, items, labelIds(taxonomy));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect([...parsed.labels.keys()].sort()).toEqual(['a', 'b', 'c']);
  });

  it('turns fixed-length id lists into ordered constant ids for the grammar', () => {
    const schema = toGrammarSchema({
      type: 'object',
      required: ['answers'],
      properties: {
        answers: {
          type: 'array',
          minItems: 2,
          maxItems: 2,
          items: {
            type: 'object',
            properties: {
              id: { type: 'string', enum: ['s1', 's2'] },
              labels: { type: 'array', items: { type: 'string', enum: ['x', 'y'] } },
            },
          },
        },
      },
    }) as any;
    expect(schema.required).toBeUndefined();
    expect(schema.properties.answers.prefixItems.map((p: any) => p.properties.id)).toEqual([
      { const: 's1' },
      { const: 's2' },
    ]);
    expect(schema.properties.answers.prefixItems[0].properties.labels.maxItems).toBe(3);
  });
});
