// Scores sentences with a saved clinsynth model (encoder reference + head + thresholds + taxonomy version).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { predictScores, type TrainedHead } from './classifier.js';
import { readJson } from '../run/run-dir.js';
import { inputError } from '../run/problems.js';
import type { SavedModel } from './training.js';
import type { Embedder } from './encoder.js';

export function loadSavedModel(dir: string): SavedModel {
  const file = existsSync(dir) && statSync(dir).isDirectory() ? join(dir, 'model.json') : dir;
  if (!existsSync(file)) throw inputError(file, 0, '', 'no clinsynth model here (expected <run>/model/model.json)');
  const model = readJson<SavedModel>(file);
  if (model.format !== 'clinsynth-model@1') throw inputError(file, 1, 'format', `unknown model format ${String(model.format)}`);
  return model;
}

export interface Prediction {
  id: string;
  labels: string[];
  scores: Record<string, number>;
}

export async function predictSentences(model: SavedModel, encoder: Embedder, rows: { id: string; text: string }[]): Promise<Prediction[]> {
  if (encoder.id !== model.encoderId) throw new Error(`the model was trained on encoder ${model.encoderId}, but ${encoder.id} is installed`);
  const head: TrainedHead = model.head;
  const X = await encoder.embed(rows.map((r) => r.text));
  const scores = predictScores(head, X);
  return rows.map((r, i) => {
    const s = scores[i]!;
    return {
      id: r.id,
      labels: head.labels.filter((_, j) => s[j]! >= head.thresholds[j]!),
      scores: Object.fromEntries(head.labels.map((l, j) => [l, Math.round(s[j]! * 1e4) / 1e4])),
    };
  });
}
