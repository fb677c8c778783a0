// Scores sentences with a saved clinsynth model (encoder reference + head + thresholds + taxonomy version).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { predictScores, type TrainedHead } from './classifier.js';
import { readJson } from '../run/run-dir.js';
import { inputError } from '../config/problems.js';
import type { SavedModel } from './training.js';
import { SentenceEncoder, type Embedder, type EncoderOptions } from './encoder.js';
import { DEFAULT_ENCODER } from '../config/encoders.js';

export function loadSavedModel(dir: string): SavedModel {
  const file = existsSync(dir) && statSync(dir).isDirectory() ? join(dir, 'model.json') : dir;
  if (!existsSync(file)) throw inputError(file, 0, '', 'no clinsynth model here (expected <run>/model/model.json)');
  const model = readJson<SavedModel>(file);
  if (model.format !== 'clinsynth-model@1')
    throw inputError(file, 1, 'format', `unknown model format ${String(model.format)}`);
  return model;
}

/** The encoder a saved model was trained with (`model.encoder`; MiniLM for models older than that field). */
export function modelEncoderSpec(model: SavedModel): string {
  return model.encoder ?? DEFAULT_ENCODER;
}

/**
 * Loads the encoder a saved model names and checks it is the very one it was trained on (same id: same weights,
 * tokenizer and pooling); a model never scores text with another encoder's embeddings.
 */
export async function loadModelEncoder(
  model: SavedModel,
  opts: Omit<EncoderOptions, 'encoder' | 'modelFile'> = {},
): Promise<SentenceEncoder> {
  const encoder = await SentenceEncoder.load({ ...opts, encoder: modelEncoderSpec(model) });
  if (encoder.id !== model.encoderId) {
    await encoder.release();
    throw new Error(encoderMismatch(model, encoder.id));
  }
  return encoder;
}

function encoderMismatch(model: SavedModel, got: string): string {
  return `the model was trained on encoder ${model.encoderId} (train.encoder: ${modelEncoderSpec(model)}), but ${got} would embed the text: a model only scores with the embeddings it was trained on (reinstall that encoder, or retrain)`;
}

export interface Prediction {
  id: string;
  labels: string[];
  scores: Record<string, number>;
}

export async function predictSentences(
  model: SavedModel,
  encoder: Embedder,
  rows: { id: string; text: string }[],
): Promise<Prediction[]> {
  if (encoder.id !== model.encoderId) throw new Error(encoderMismatch(model, encoder.id));
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
