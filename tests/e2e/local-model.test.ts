// The embedded GGUF model: the packaged SmolLM2 answers a silver batch in schema-valid JSON, and runs a whole (small)
// experiment through the workflow with `provider: local`.
import { afterAll, describe, expect, inject, it } from 'vitest';
import { LocalProvider, PACKAGED_MODEL, toGrammarSchema } from '../../lib/llm/local-provider.js';
import { parseSilverAnswer, silverRequest } from '../../lib/generate/prompts.js';
import { loadTaxonomy, labelIds } from '../../lib/config/taxonomy.js';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/config/paths.js';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeTestExperiment } from '../support/experiments.js';
import { runCli } from '../support/cli.js';
import { readJsonl } from '../../lib/run/run-dir.js';

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

  // The embedded model on CPU: about a minute on 2 free cores; the limit leaves room for a busy machine.
  it(
    'runs an experiment with provider: local through the workflow: silver labels from the embedded model',
    { timeout: 900_000 },
    async () => {
      const { file } = writeTestExperiment({
        name: 'local-model-run',
        llm: { provider: 'local', model: undefined, concurrency: 2, maxTokens: 400 },
        overrides: {
          corpus: {
            path: join(PROJECT_ROOT, 'examples/demo/data/notes.jsonl'),
            format: 'jsonl',
            sensitive: true, // the embedded model may see sensitive notes: nothing leaves the machine
            maxSentences: 8,
          },
          silver: { enabled: true, batchSize: 4 },
          bronze: { enabled: false },
          selfCheck: { enabled: false },
          train: { seeds: [1] },
          evaluate: { mixes: ['gold', 'gold+silver'], bootstrap: 200 },
        },
      });
      const r = await runCli(['run', file, '--json'], {
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        CLINSYNTH_HOME: mkdtempSync(join(tmpdir(), 'clinsynth-local-')),
      });
      expect(r.code, r.stderr.slice(-3000)).toBe(0);
      const { runDir } = JSON.parse(r.stdout.trim().split('\n')[0]!) as { runDir: string };
      const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'));
      expect(report.llm.calls, 'calls to the embedded model').toBeGreaterThanOrEqual(2);
      expect(report.llm.completionTokens).toBeGreaterThan(0);
      const known = new Set(labelIds(taxonomy));
      const silver = readJsonl<{ labels: string[] }>(join(runDir, 'datasets', 'silver.jsonl'));
      expect(silver.length).toBeGreaterThan(0);
      for (const row of silver) for (const l of row.labels) expect(known.has(l), l).toBe(true);
      expect(Object.keys(report.mixes).sort()).toEqual(['gold', 'gold+silver']);
      expect(JSON.parse(readFileSync(join(runDir, 'experiment.json'), 'utf8')).llm.provider).toBe('local');
    },
  );

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
