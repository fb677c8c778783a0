// Training and evaluation of a run's mixes: embed once, fit a head per (mix, seed), score it on the gold test set.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { mixSources, SOURCES, type Experiment, type Source } from '../run/experiment.js';
import { trainingRows, type TrainingRow } from '../dataset/merge.js';
import { sharedEmbed, sharedEncoder } from './embeddings.js';
import { predictLabels, type TrainedHead, type TrainOptions } from './classifier.js';
import { Worker } from 'node:worker_threads';
import { multilabelMetrics, type MultilabelMetrics } from '../evaluate/metrics.js';
import { readJson, readJsonl, readRunExperiment, RUN_FILES, writeJson } from '../run/run-dir.js';
import type { GoldRow } from '../run/records.js';

export function headPath(runDir: string, mix: string, seed: number): string {
  return join(runDir, 'models', mix, `seed-${seed}.json`);
}

export function evalPath(runDir: string, mix: string, seed: number): string {
  return join(runDir, 'eval', mix, `seed-${seed}.json`);
}

function goldTest(runDir: string): GoldRow[] {
  return readJsonl<GoldRow>(join(runDir, RUN_FILES.goldTest));
}

/** Embeds every training sentence of every source and the gold test set once, into the shared store. */
export async function embedRunDatasets(runDir: string, onProgress?: () => void): Promise<{ sentences: number }> {
  const rows = await trainingRows(runDir, [...SOURCES]);
  const texts = [...rows.map((r) => r.text), ...goldTest(runDir).map((r) => r.text)];
  await sharedEmbed(texts, onProgress);
  return { sentences: new Set(texts).size };
}

/** The sources of `mix` that this experiment produced (a disabled stage contributes nothing). */
function enabledSources(e: Experiment, mix: string): Source[] {
  return mixSources(mix).filter((s) => s === 'gold' || (s === 'silver' ? e.silver.enabled : e.bronze.enabled));
}

/** A head for a mix with no training rows: predicts nothing, and says why. */
function emptyHead(e: Experiment, seed: number, encoderId: string, dim: number): TrainedHead {
  return {
    kind: e.train.classifier,
    labels: e.labels,
    encoderId,
    dim,
    weights: e.labels.map(() => new Array(dim).fill(0)),
    biases: e.labels.map(() => 0),
    thresholds: e.labels.map(() => 2),
    trainedOn: { n: 0, perLabel: {} },
    validation: { n: 0, perLabel: {} },
    options: { seed, validationShare: e.train.validationShare, tuning: 'holdout', folds: 0, l2: 0, standardize: false, refit: false },
    notes: ['no training rows in this mix: the head predicts nothing'],
  };
}

export async function fitHead(runDir: string, mix: string, seed: number, onProgress?: () => void): Promise<TrainedHead> {
  const e = readRunExperiment(runDir);
  const rows: TrainingRow[] = await trainingRows(runDir, enabledSources(e, mix));
  const enc = await sharedEncoder();
  if (rows.length === 0) return emptyHead(e, seed, enc.id, enc.dim);
  const X = await sharedEmbed(rows.map((r) => r.text), onProgress);
  const opts: TrainOptions = { kind: e.train.classifier, seed, validationShare: e.train.validationShare, encoderId: enc.id };
  return trainOffThread(X, rows.map((r) => r.labels), e.labels, opts, onProgress);
}

/**
 * Fits the head in a worker thread: a fit takes seconds of pure CPU, which on the activity's own thread would stall
 * the worker's workflow tasks and heartbeats. Heartbeats go on while the thread works.
 */
export async function trainOffThread(X: Float32Array[], Y: string[][], labels: string[], opts: TrainOptions, onProgress?: () => void): Promise<TrainedHead> {
  const thread = new Worker(new URL('./ts-thread.mjs', import.meta.url), {
    workerData: { module: new URL('./train-thread.ts', import.meta.url).href, X, Y, labels, opts },
  });
  const beat = onProgress ? setInterval(onProgress, 2000) : undefined;
  try {
    return await new Promise<TrainedHead>((resolve, reject) => {
      thread.once('message', resolve);
      thread.once('error', reject);
      thread.once('exit', (code) => code !== 0 && reject(new Error(`training thread exited with code ${code}`)));
    });
  } finally {
    if (beat) clearInterval(beat);
    await thread.terminate();
  }
}

export async function trainMix(runDir: string, mix: string, seed: number, onProgress?: () => void): Promise<{ n: number }> {
  const head = await fitHead(runDir, mix, seed, onProgress);
  writeJson(headPath(runDir, mix, seed), head);
  return { n: head.trainedOn.n };
}

export interface SavedModel {
  format: 'clinsynth-model@1';
  encoderId: string;
  taxonomyVersion: string;
  mix: string;
  seed: number;
  labels: string[];
  head: TrainedHead;
}

/** Trains the model users keep (train.finalMix, first seed) into <run>/model/model.json. */
export async function trainFinalModel(runDir: string, onProgress?: () => void): Promise<{ path: string; n: number }> {
  const e = readRunExperiment(runDir);
  const seed = e.train.seeds[0]!;
  const head = await fitHead(runDir, e.train.finalMix, seed, onProgress);
  const model: SavedModel = { format: 'clinsynth-model@1', encoderId: head.encoderId, taxonomyVersion: e.taxonomyVersion, mix: e.train.finalMix, seed, labels: head.labels, head };
  const path = join(runDir, RUN_FILES.model, 'model.json');
  writeJson(path, model);
  return { path, n: head.trainedOn.n };
}

export interface MixEvaluation {
  mix: string;
  seed: number;
  trainedOn: number;
  metrics: MultilabelMetrics;
}

/** Scores the (mix, seed) head on the gold test set; the test set never reaches training or thresholds. */
export async function evaluateMix(runDir: string, mix: string, seed: number): Promise<MixEvaluation> {
  const e = readRunExperiment(runDir);
  const path = headPath(runDir, mix, seed);
  if (!existsSync(path)) throw new Error(`no trained head for mix ${mix} seed ${seed} at ${path}`);
  const head = readJson<TrainedHead>(path);
  const test = goldTest(runDir);
  const X = await sharedEmbed(test.map((r) => r.text));
  const predicted = predictLabels(head, X);
  const metrics = multilabelMetrics(test.map((r) => r.labels), predicted, e.labels);
  const result: MixEvaluation = { mix, seed, trainedOn: head.trainedOn.n, metrics };
  writeJson(evalPath(runDir, mix, seed), result);
  return result;
}
