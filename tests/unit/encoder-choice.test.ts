// train.encoder: an encoder directory made by the README recipe works like the packaged MiniLM, an incomplete one or an
// encoder not installed fails in validate with file:line and what to do, and a model never scores with another encoder.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentenceEncoder } from '../../lib/model/encoder.js';
import { loadModelEncoder } from '../../lib/model/predict.js';
import { trainClassifier } from '../../lib/model/classifier.js';
import type { SavedModel } from '../../lib/model/training.js';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { InputError } from '../../lib/config/problems.js';
import { ENCODER_ID, PROJECT_ROOT } from '../../lib/config/paths.js';
import { writeEncoderDir } from '../support/encoder-dir.js';
import { encoderProblem } from '../../lib/config/encoders.js';

const tmp = mkdtempSync(join(tmpdir(), 'clinsynth-encdir-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

function encoderDir(name: string): string {
  return writeEncoderDir(join(tmp, name));
}

function experimentWith(encoderLine: string | undefined): string {
  const dir = mkdtempSync(join(tmp, 'exp-'));
  writeFileSync(join(dir, 'train.jsonl'), '{"id":"t1","text":"She is forgetful.","labels":["cognitive_impairment"]}\n');
  writeFileSync(join(dir, 'test.jsonl'), '{"id":"e1","text":"He uses a walker.","labels":[]}\n');
  const lines = [
    'name: enc-exp',
    `taxonomy: ${resolve(PROJECT_ROOT, 'taxonomy/ad-signs-symptoms.yaml')}`,
    'gold:',
    '  train: train.jsonl',
    '  test: test.jsonl',
    'silver:',
    '  enabled: false',
    'train:',
    '  seeds: [1]',
    ...(encoderLine ? [`  encoder: ${encoderLine}`] : []), // line 10
  ];
  writeFileSync(join(dir, 'experiment.yaml'), lines.join('\n') + '\n');
  return join(dir, 'experiment.yaml');
}

function problemsOf(file: string): { line: number; key: string; message: string }[] {
  try {
    loadExperiment(file);
  } catch (e) {
    if (e instanceof InputError) return e.problems.map((p) => ({ line: p.line, key: p.key, message: p.message }));
    throw e;
  }
  return [];
}

describe('an encoder directory (train.encoder: path)', () => {
  let dir: string;
  let byDir: SentenceEncoder;
  let packaged: SentenceEncoder;
  beforeAll(async () => {
    dir = encoderDir('my-encoder');
    [byDir, packaged] = await Promise.all([SentenceEncoder.load({ encoder: dir }), SentenceEncoder.load()]);
  }, 60_000);
  afterAll(async () => Promise.all([byDir?.release(), packaged?.release()]));

  it('embeds like the packaged MiniLM, under its own id (name and a hash of its files)', async () => {
    const texts = [
      'She keeps forgetting her keys and repeats questions.',
      'Lungs are clear.',
      'Started donepezil 5 mg.',
    ];
    const [a, b] = await Promise.all([byDir.embed(texts), packaged.embed(texts)]);
    texts.forEach((_, i) => expect(dot(a[i]!, b[i]!)).toBeGreaterThan(0.9999));
    expect(byDir.dim).toBe(384);
    expect(byDir.id).toMatch(/^my-encoder@sha256:[0-9a-f]{16}$/);
    expect(byDir.id).not.toBe(ENCODER_ID);
  }, 60_000);

  it('is accepted by validate, relative to the experiment file, and recorded as an absolute path', () => {
    const file = experimentWith(dir);
    expect(problemsOf(file)).toEqual([]);
    expect(loadExperiment(file).train.encoder).toBe(dir);
    expect(loadExperiment(experimentWith(undefined)).train.encoder).toBe('minilm');
  });

  it('fails validate at train.encoder naming the missing directory or file', () => {
    const noDir = problemsOf(experimentWith(join(tmp, 'nowhere')));
    expect(noDir).toEqual([
      { line: 10, key: 'train.encoder', message: expect.stringMatching(/encoder directory .*nowhere does not exist/) },
    ]);
    const partial = encoderDir('no-tokenizer');
    rmSync(join(partial, 'tokenizer.json'));
    expect(problemsOf(experimentWith(partial))).toEqual([
      { line: 10, key: 'train.encoder', message: expect.stringMatching(/has no tokenizer\.json/) },
    ]);
    const noPooling = encoderDir('no-pooling');
    rmSync(join(noPooling, '1_Pooling', 'config.json'));
    expect(problemsOf(experimentWith(noPooling))[0]?.message).toMatch(/has no 1_Pooling\/config\.json/);
  });

  it('names the setup command for a packaged encoder that is not installed', () => {
    const old = process.env.CLINSYNTH_ENCODERS_DIR;
    process.env.CLINSYNTH_ENCODERS_DIR = join(tmp, 'empty-encoders');
    try {
      expect(encoderProblem('mpnet')).toBe('encoder mpnet is not installed: run `npm run setup -- --encoder mpnet`');
      expect(encoderProblem('minilm-fast')).toBe(
        'encoder minilm-fast is not installed: run `npm run setup -- --encoder minilm-fast`',
      );
      expect(problemsOf(experimentWith('mpnet'))).toEqual([
        {
          line: 10,
          key: 'train.encoder',
          message: 'encoder mpnet is not installed: run `npm run setup -- --encoder mpnet`',
        },
      ]);
    } finally {
      if (old === undefined) delete process.env.CLINSYNTH_ENCODERS_DIR;
      else process.env.CLINSYNTH_ENCODERS_DIR = old;
    }
  });

  it('a saved model loads the encoder it names, and refuses one with other embeddings', async () => {
    const X = await byDir.embed(['Continue donepezil.', 'Lungs are clear.', 'Started memantine.', 'Abdomen is soft.']);
    const head = trainClassifier(X, [['dementia_treatment'], [], ['dementia_treatment'], []], ['dementia_treatment'], {
      kind: 'logreg',
      seed: 1,
      validationShare: 0.25,
      encoderId: byDir.id,
    });
    const model: SavedModel = {
      format: 'clinsynth-model@1',
      encoderId: byDir.id,
      encoder: dir,
      taxonomyVersion: 't@1',
      mix: 'gold',
      seed: 1,
      labels: head.labels,
      head,
    };
    const enc = await loadModelEncoder(model);
    expect(enc.id).toBe(byDir.id);
    await enc.release();
    // Trained on this directory's embeddings, but pointed at the packaged MiniLM (or an old model without `encoder`).
    await expect(loadModelEncoder({ ...model, encoder: 'minilm' })).rejects.toThrow(
      /trained on encoder my-encoder@sha256:.* but all-MiniLM-L6-v2-int8/,
    );
    const { encoder: _omit, ...old } = model;
    await expect(loadModelEncoder(old)).rejects.toThrow(/only scores with the embeddings it was trained on/);
  }, 60_000);
});
