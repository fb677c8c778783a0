// `clinsynth predict` with a saved model: JSONL sentences, text notes and MTSamples-layout CSV notes in, JSONL out.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { writeJson } from '../../lib/run/run-dir.js';
import { trainClassifier } from '../../lib/model/classifier.js';
import { SentenceEncoder } from '../../lib/model/encoder.js';
import type { SavedModel } from '../../lib/model/training.js';

const dir = mkdtempSync(join(tmpdir(), 'clinsynth-predict-'));
const LABELS = ['dementia_treatment', 'physiological_changes'];

beforeAll(async () => {
  const enc = await SentenceEncoder.load();
  const train = [
    ['Continue donepezil 10 mg daily.', ['dementia_treatment']],
    ['Started memantine for memory.', ['dementia_treatment']],
    ['Aricept 5 mg at bedtime.', ['dementia_treatment']],
    ['Rivastigmine patch was increased.', ['dementia_treatment']],
    ['He fell twice this week.', ['physiological_changes']],
    ['Shuffling gait and recurrent falls.', ['physiological_changes']],
    ['Weight loss of 10 pounds.', ['physiological_changes']],
    ['Urinary incontinence is new.', ['physiological_changes']],
    ['Lungs are clear.', []],
    ['Blood pressure is 120/80.', []],
    ['Follow up in three months.', []],
    ['Abdomen is soft.', []],
  ] as const;
  const X = await enc.embed(train.map((t) => t[0]));
  const head = trainClassifier(
    X,
    train.map((t) => [...t[1]]),
    LABELS,
    { kind: 'logreg', seed: 1, validationShare: 0.25, encoderId: enc.id },
  );
  const model: SavedModel = {
    format: 'clinsynth-model@1',
    encoderId: enc.id,
    taxonomyVersion: 'test@1',
    mix: 'gold',
    seed: 1,
    labels: LABELS,
    head,
  };
  writeJson(join(dir, 'model', 'model.json'), model);
});

function readOut(file: string) {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; labels: string[]; scores: Record<string, number> });
}

describe('clinsynth predict', () => {
  it('scores JSONL sentences', async () => {
    writeFileSync(
      join(dir, 'in.jsonl'),
      ['{"id":"a","text":"Continue Aricept 10 mg."}', '{"id":"b","text":"Lungs clear bilaterally."}'].join('\n') + '\n',
    );
    const r = await runCli([
      'predict',
      '--model',
      join(dir, 'model'),
      join(dir, 'in.jsonl'),
      '--out',
      join(dir, 'out.jsonl'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = readOut(join(dir, 'out.jsonl'));
    expect(out.map((o) => o.id)).toEqual(['a', 'b']);
    expect(out[0]!.labels).toContain('dementia_treatment');
    expect(out[1]!.labels).toEqual([]);
    expect(Object.keys(out[0]!.scores).sort()).toEqual([...LABELS].sort());
    expect(r.stderr).toMatch(/sentences\/s/);
  });

  it('splits text and CSV notes into sentences with offsets in the ids', async () => {
    writeFileSync(join(dir, 'notes.txt'), 'He fell twice this week. Continue donepezil.\n\nLungs are clear.\n');
    const t = await runCli([
      'predict',
      '--model',
      join(dir, 'model'),
      join(dir, 'notes.txt'),
      '--out',
      join(dir, 't.jsonl'),
    ]);
    expect(t.code, t.stderr).toBe(0);
    const notes = readOut(join(dir, 't.jsonl'));
    expect(notes.length).toBe(3);
    expect(notes[0]!.id).toMatch(/^note-1:0-24$/);
    writeFileSync(
      join(dir, 'notes.csv'),
      'note_hash,specialties,sample_names,description,transcription,keywords\nabc,Neuro,x,y,"PLAN: Continue donepezil 10 mg.\nShe fell again.",k\n',
    );
    const c = await runCli([
      'predict',
      '--model',
      join(dir, 'model'),
      join(dir, 'notes.csv'),
      '--out',
      join(dir, 'c.jsonl'),
    ]);
    expect(c.code, c.stderr).toBe(0);
    expect(readOut(join(dir, 'c.jsonl')).map((o) => o.id.split(':')[0])).toEqual(['abc', 'abc']);
  });
});
