// Few-shot examples (silver.examples): the default silver template shows them only when given, `fixed` and `similar`
// choices, the prompt version, the file's own checks and the leakage check against the gold with the real encoder.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkExamples,
  examplesPerCall,
  readExamplesFile,
  selectExamples,
  shotsOf,
  type ExampleRow,
} from '../../lib/generate/examples.js';
import { silverRequest } from '../../lib/generate/prompts.js';
import { estimateCost } from '../../lib/generate/cost-estimate.js';
import { stagePrompt } from '../../lib/generate/stage-prompts.js';
import { pageRequests } from '../../lib/generate/llm-pages.js';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { formatProblem } from '../../lib/config/problems.js';
import { readRunExperiment, writePages } from '../../lib/run/run-dir.js';
import { loadTaxonomy } from '../../lib/config/taxonomy.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';
import { sharedEmbed } from '../../lib/model/embeddings.js';
import { DEMO_DIR, writeRunDir, writeTestExperiment } from '../support/experiments.js';

const taxonomy = loadTaxonomy(join(PROJECT_ROOT, 'taxonomy/ad-signs-symptoms.yaml'));
const first = taxonomy.labels[0]!.id;
const opts = { maxTokens: 512, temperature: 0, seed: 0 };
const items = [
  { id: 'a', text: 'She keeps losing her keys.' },
  { id: 'b', text: 'Lungs are clear.' },
];
const llm = { baseURL: 'http://127.0.0.1:9/v1' };
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const rows = (texts: string[]): ExampleRow[] => texts.map((text, i) => ({ text, labels: [], line: i + 1 }));

describe('few-shot examples', () => {
  it('the default silver template shows the examples only when given (without them: the recorded request)', () => {
    const plain = silverRequest(taxonomy, items, opts);
    expect(silverRequest(taxonomy, items, opts, { examples: [] })).toEqual(plain);
    const shown = silverRequest(taxonomy, items, opts, {
      examples: [
        { text: 'He forgot his appointment.', labels: [first] },
        { text: 'Skin is warm and dry.', labels: [] },
      ],
    });
    const user = shown.messages[1]!.content;
    expect(user).toMatch(/^Worked examples, labelled by the guideline/);
    expect(user).toContain(`"He forgot his appointment." -> ["${first}"]`);
    expect(user).toContain('"Skin is warm and dry." -> []');
    expect(user.endsWith(plain.messages[1]!.content)).toBe(true);
    expect(shown.messages[0]).toEqual(plain.messages[0]);
  });

  it('fixed: the first k of the file; similar: the k nearest the call’s sentences, in file order', async () => {
    const ex = rows(['alpha', 'beta', 'gamma', 'delta']);
    const noEmbed = () => Promise.reject(new Error('fixed embeds nothing'));
    const fixed = await selectExamples(ex, ['x'], { shots: 2, select: 'fixed', embed: noEmbed });
    expect(fixed.map((e) => e.text)).toEqual(['alpha', 'beta']);
    // A toy encoder: each text's vector is one axis; the page sentence "delta gamma" points between delta and gamma.
    const axis: Record<string, number[]> = {
      alpha: [1, 0, 0, 0],
      beta: [0, 1, 0, 0],
      gamma: [0, 0, 1, 0],
      delta: [0, 0, 0, 1],
      'delta gamma': [0, 0, 0.6, 0.8],
    };
    const embed = (texts: string[]) => Promise.resolve(texts.map((t) => Float32Array.from(axis[t]!)));
    const similar = await selectExamples(ex, ['delta gamma'], { shots: 2, select: 'similar', embed });
    expect(similar.map((e) => e.text)).toEqual(['gamma', 'delta']);
    const all = await selectExamples(ex, ['x'], { shots: 9, select: 'similar', embed: noEmbed });
    expect(all).toHaveLength(4);
  });

  it('the examples enter the silver prompt version and each request of a page; similar needs the encoder', async () => {
    const { dir } = writeTestExperiment();
    const file = join(dir, 'examples.jsonl');
    writeFileSync(
      file,
      jsonl([
        { text: 'He forgot his appointment.', labels: [first] },
        { text: 'No rash.', labels: [] },
      ]),
    );
    const runDir = writeRunDir({
      llm,
      overrides: { silver: { enabled: true, batchSize: 2, examples: file, shots: 1 } },
    });
    const e = readRunExperiment(runDir);
    expect(e.silver.examples).toBe(file);
    const plainVersion = stagePrompt(loadExperiment(writeTestExperiment({ llm }).file), 'silver').template!.version;
    const version = stagePrompt(e, 'silver').template!.version;
    expect(version).toMatch(new RegExp(`^${plainVersion.replace('.', '\\.')}\\+examples@[0-9a-f]{12}$`));
    writePages(
      runDir,
      'candidates',
      [...items, { id: 'c', text: 'She is tearful.' }].map((it) => ({
        ...it,
        noteId: 'n',
        start: 0,
        end: it.text.length,
        reason: 'cue',
        count: 1,
      })),
      10,
    );
    const ctx = { taxonomy, experiment: e, runDir };
    const requests = await pageRequests(ctx, 'silver', 'silver', 0);
    expect(requests).toHaveLength(2);
    for (const r of requests) expect(r.messages[1]!.content).toContain('"He forgot his appointment." -> [');
    for (const r of requests) expect(r.messages[1]!.content).not.toContain('No rash.');
    const similar = { ...e, silver: { ...e.silver, selectExamples: 'similar' as const } };
    await expect(examplesPerCall(similar, [[items[0]!]])).rejects.toThrow(/no sentence encoder/);
    expect(shotsOf(e)).toEqual({ shots: 1, select: 'fixed' });
    expect(shotsOf({ ...e, silver: { ...e.silver, shots: undefined } })).toEqual({ shots: 4, select: 'fixed' });
    // similar with the real encoder: the example nearest each call's sentences.
    const near = await examplesPerCall(
      { ...similar, silver: { ...similar.silver, shots: 1 } },
      [[{ text: 'He missed his doctor visit because he forgot it.' }], [{ text: 'Rash on both arms.' }]],
      (t) => sharedEmbed(t),
    );
    expect(near.map((x) => x.map((y) => y.text))).toEqual([['He forgot his appointment.'], ['No rash.']]);
    // The cost estimate counts the examples' tokens.
    const silverTokens = (x: typeof e) =>
      estimateCost(x, taxonomy).stages.find((st) => st.stage === 'silver')!.promptTokens;
    const none = { ...e, silver: { ...e.silver, examples: undefined, shots: undefined } };
    expect(silverTokens(e)).toBeGreaterThan(silverTokens(none));
    const changed = { ...e, silver: { ...e.silver, shots: 2 } };
    expect(stagePrompt(changed, 'silver').template!.version).not.toBe(version);
  });

  it('the file: JSON, keys and labels checked at their lines', () => {
    const { dir } = writeTestExperiment();
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"text": "ok", "labels": []}\n\nnot json\n{"text": "", "labels": []}\n{"text": "x"}\n');
    const { rows: good, problems } = readExamplesFile(file, [first]);
    expect(good).toEqual([{ text: 'ok', labels: [], line: 1 }]);
    expect(problems.map(formatProblem)).toEqual([
      expect.stringMatching(new RegExp(`^${file}:3: \\(root\\): invalid JSON`)),
      `${file}:4: text: empty text`,
      expect.stringMatching(new RegExp(`^${file}:5: labels: must be a list of label ids`)),
    ]);
  });

  it('leakage: an example equal or near (MiniLM cosine ≥ 0.95) a gold sentence is an error naming both lines', async () => {
    const gold = join(DEMO_DIR, 'data/gold-test.jsonl');
    const goldLines = readFileSync(gold, 'utf8').split('\n');
    const g3 = (JSON.parse(goldLines[2]!) as { text: string }).text;
    const { dir } = writeTestExperiment();
    const file = join(dir, 'examples.jsonl');
    writeFileSync(
      file,
      jsonl([
        { text: 'He cannot recall what he ate for breakfast.', labels: [] },
        { text: ` ${g3.toUpperCase()} `, labels: [] },
      ]),
    );
    const e = loadExperiment(writeTestExperiment({ llm, overrides: { silver: { examples: file } } }).file);
    const problems = await checkExamples(e, (t) => sharedEmbed(t));
    expect(problems).toHaveLength(1);
    expect(formatProblem(problems[0]!)).toMatch(
      new RegExp(`^${file}:2: text: equals gold sentence at \\S*gold-test\\.jsonl:3: gold is never a source`),
    );
  }, 120_000);
});
