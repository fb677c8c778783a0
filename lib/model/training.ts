// Training and evaluation of a run's mixes: out-of-fold heads per (mix, seed, curve point), pooled predictions, the final model.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { mixSources, sourceEnabled, SOURCES, type Experiment, type MixSource } from '../config/experiment.js';
import { reviewEnabled } from '../config/review-settings.js';
import { trainingRows, type TrainingRow } from '../dataset/merge.js';
import { findLeakage, NEAR_DUPLICATE_THRESHOLD } from '../dataset/leakage.js';
import { runEncoderSpec, sharedEmbed, sharedEncoder } from './embeddings.js';
import { DEFAULT_ENCODER } from '../config/encoders.js';
import { predictScores, type TrainedHead, type TrainOptions } from './classifier.js';
import type { FitJob } from './train-thread.js';
import { multilabelMetrics } from '../evaluate/metrics.js';
import { sampleShare } from '../evaluate/folds.js';
import type { EvaluationJob } from '../evaluate/jobs.js';
import { evalPath, predictionsPath, type MixEvaluation, type PredictionRow } from '../evaluate/predictions.js';
import { readJsonl, readRunExperiment, RUN_FILES, writeJson, writeJsonl } from '../run/run-dir.js';
import type { GoldRow } from '../run/records.js';

/** A gold row with the fold it is held out in (null: a row of gold.train, never held out). */
export type FoldedGoldRow = GoldRow & { fold: number | null };

/** Every gold row of the run: gold.train rows (fold null) and the test rows with their fold, in file order. */
export function foldedGold(runDir: string): { rows: FoldedGoldRow[]; folds: number } {
  const train = readJsonl<GoldRow>(join(runDir, RUN_FILES.goldTrain)).map((r) => ({ ...r, fold: null }));
  const test = readJsonl<GoldRow & { fold?: number }>(join(runDir, RUN_FILES.goldTest)).map((r) => ({
    ...r,
    fold: r.fold ?? 0,
  }));
  const folds = test.reduce((k, r) => Math.max(k, r.fold + 1), 0);
  return { rows: [...train, ...test], folds };
}

/**
 * Embeds every training sentence of every source and every gold sentence once, into the shared store: with the run's
 * encoder (`train.encoder`, the classifier's features) and, when that is another one, with MiniLM too (repeat checks).
 */
export async function embedRunDatasets(runDir: string, onProgress?: () => void): Promise<{ sentences: number }> {
  const rows = await trainingRows(runDir, [...SOURCES]);
  const texts = [...rows.map((r) => r.text), ...foldedGold(runDir).rows.map((r) => r.text)];
  const spec = runEncoderSpec(readRunExperiment(runDir));
  await sharedEmbed(texts, onProgress, spec);
  if (spec !== DEFAULT_ENCODER) await sharedEmbed(texts, onProgress);
  return { sentences: new Set(texts).size };
}

/** The sources of `mix` that this experiment produced (a disabled stage contributes nothing). */
function enabledSources(e: Experiment, mix: string): MixSource[] {
  return mixSources(mix).filter((s) => sourceEnabled(e, s));
}

/** A head for a training set with no rows: predicts nothing, and says why. */
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
    options: {
      seed,
      validationShare: e.train.validationShare,
      tuning: 'holdout',
      folds: 0,
      l2: 0,
      standardize: false,
      refit: false,
    },
    notes: ['no training rows in this mix: the head predicts nothing'],
  };
}

/**
 * The synthetic rows of a mix in priority order (reviewed, then silver, then bronze, each by id), and which bronze rows
 * repeat silver.
 */
interface SyntheticRows {
  rows: TrainingRow[];
  /** Bronze row id → the silver row it repeats (same normalised text or cosine ≥ the near-duplicate threshold). */
  bronzeRepeatsSilver: Map<string, string>;
}

async function syntheticRows(
  all: readonly TrainingRow[],
  vecOf: (t: string) => Float32Array,
  onProgress?: () => void,
): Promise<SyntheticRows> {
  const silver = all.filter((r) => r.source === 'silver');
  const bronze = all.filter((r) => r.source === 'bronze');
  const bronzeRepeatsSilver =
    silver.length && bronze.length
      ? await findLeakage(
          bronze,
          bronze.map((r) => vecOf(r.text)),
          silver,
          silver.map((r) => vecOf(r.text)),
          { threshold: NEAR_DUPLICATE_THRESHOLD, onProgress },
        )
      : new Map<string, string>();
  return { rows: [...all.filter((r) => r.source === 'reviewed'), ...silver, ...bronze], bronzeRepeatsSilver };
}

/** What training a mix needs, read and embedded once: the gold rows with their folds, the synthetic rows, vectors. */
interface MixInputs {
  enc: { id: string; dim: number };
  /** `train.encoder` of the run. */
  spec: string;
  /** Every gold row of the run, with its fold: the test sets. */
  allGold: FoldedGoldRow[];
  /** The gold rows the mix may train on: all of them when the mix has gold, else none. */
  gold: FoldedGoldRow[];
  folds: number;
  synthetic: SyntheticRows;
  /** The classifier's features (the run's encoder). */
  vecOf: (t: string) => Float32Array;
  /** MiniLM vectors for the repeat checks (see vectorsFor). */
  repeatVecOf: (t: string) => Float32Array;
}

async function mixInputs(
  e: Experiment,
  runDir: string,
  mix: string,
  onProgress?: () => void,
  beforeReview = false,
): Promise<MixInputs> {
  const spec = runEncoderSpec(e);
  const enc = await sharedEncoder(spec);
  const sources = enabledSources(e, mix);
  const { rows: allGold, folds } = foldedGold(runDir);
  const gold = sources.includes('gold') ? allGold : [];
  const wanted = sources.filter((s) => s !== 'gold');
  // A run with human review trains on the reviewers' labels, or on the labels before the review (the comparison).
  const review = reviewEnabled(e) ? (beforeReview ? 'before' : 'after') : undefined;
  const rows = wanted.length ? await trainingRows(runDir, wanted, review) : [];
  // Every gold sentence is embedded: a mix without gold still predicts the held-out gold sentences.
  const texts = [...allGold.map((r) => r.text), ...rows.map((r) => r.text)];
  const repeatVecOf = await vectorsFor(texts, onProgress);
  const vecOf = spec === DEFAULT_ENCODER ? repeatVecOf : await vectorsFor(texts, onProgress, spec);
  return {
    enc,
    spec,
    allGold,
    gold,
    folds,
    synthetic: await syntheticRows(rows, repeatVecOf, onProgress),
    vecOf,
    repeatVecOf,
  };
}

/**
 * The synthetic rows that add a sentence to a training set that already holds `gold`: a row repeating a gold sentence
 * (same normalised text or cosine ≥ the near-duplicate threshold) is dropped, and so is a bronze row repeating a
 * silver row that stays. `dropped` names them as `source:id`.
 */
export async function withoutRepeats(
  rows: readonly TrainingRow[],
  bronzeRepeatsSilver: ReadonlyMap<string, string>,
  gold: readonly GoldRow[],
  vecOf: (t: string) => Float32Array,
  onProgress?: () => void,
): Promise<{ kept: TrainingRow[]; dropped: string[] }> {
  const repeatsGold =
    gold.length && rows.length
      ? await findLeakage(
          rows,
          rows.map((r) => vecOf(r.text)),
          gold,
          gold.map((r) => vecOf(r.text)),
          { threshold: NEAR_DUPLICATE_THRESHOLD, onProgress },
        )
      : new Map<string, string>();
  const keptSilver = new Set(rows.filter((r) => r.source === 'silver' && !repeatsGold.has(r.id)).map((r) => r.id));
  const dropped: string[] = [];
  const kept = rows.filter((r) => {
    const silverTwin = bronzeRepeatsSilver.get(r.id);
    const repeat =
      repeatsGold.has(r.id) || (r.source === 'bronze' && silverTwin !== undefined && keptSilver.has(silverTwin));
    if (repeat) dropped.push(`${r.source}:${r.id}`);
    return !repeat;
  });
  return { kept, dropped };
}

interface FoldSet {
  fold: number;
  train: { text: string; labels: string[] }[];
  test: FoldedGoldRow[];
  /** Synthetic rows left out as repeats of a training gold sentence or of a kept silver row. */
  dropped: string[];
}

/**
 * The training set of each fold for one job, each sentence once: the gold rows not held out in that fold (a share of
 * their notes on a gold curve point) come first, then the synthetic rows of the mix (a share of them on a synthetic
 * curve point) unless they repeat a training gold sentence or, for bronze, a silver row that stays in. Every gold row
 * held out in a fold is that fold's test set, whether the mix trains on gold or not.
 */
async function foldSets(job: EvaluationJob, m: MixInputs, onProgress?: () => void): Promise<FoldSet[]> {
  const share = job.curve?.share ?? 1;
  const sampled =
    job.curve?.axis === 'synthetic' ? sampleShare(m.synthetic.rows, [share], job.seed).get(share)! : m.synthetic.rows;
  const sets: FoldSet[] = [];
  for (let fold = 0; fold < m.folds; fold++) {
    const held = m.gold.filter((r) => r.fold !== fold);
    const goldTrain =
      job.curve?.axis === 'gold'
        ? sampleShare(held, [share], job.seed * 1009 + fold, (r) => r.noteId ?? `#${r.id}`).get(share)!
        : held;
    const { kept, dropped } = await withoutRepeats(
      sampled,
      m.synthetic.bronzeRepeatsSilver,
      goldTrain,
      m.repeatVecOf,
      onProgress,
    );
    sets.push({ fold, train: [...goldTrain, ...kept], test: m.allGold.filter((r) => r.fold === fold), dropped });
  }
  return sets;
}

/**
 * Embeds every text once with encoder `spec` and returns a lookup (the shared store caches across jobs and processes).
 * Repeat checks (near-duplicates of gold, bronze repeating silver) always use MiniLM, whose cosines the
 * near-duplicate threshold was set on, so every encoder trains on the same rows; features use the run's encoder.
 */
async function vectorsFor(
  texts: string[],
  onProgress?: () => void,
  spec: string = DEFAULT_ENCODER,
): Promise<(t: string) => Float32Array> {
  const unique = [...new Set(texts)];
  const vecs = await sharedEmbed(unique, onProgress, spec);
  const byText = new Map(unique.map((t, i) => [t, vecs[i]!] as const));
  return (t) => {
    const v = byText.get(t);
    if (!v) throw new Error('training: a sentence was not embedded');
    return v;
  };
}

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/**
 * Trains one head per fold (each on the other folds' gold plus the mix's synthetic rows; thresholds, when tuned (mlp), from its own
 * training rows only) and predicts the held-out fold with it, so every gold test sentence is predicted exactly once.
 * Writes the pooled predictions and their scores (eval/<mix>/seed-<s>/predictions.jsonl and eval/<mix>/seed-<s>.json).
 */
export async function trainAndPredict(
  runDir: string,
  job: EvaluationJob,
  onProgress?: () => void,
): Promise<{ n: number; folds: number }> {
  const e = readRunExperiment(runDir);
  const m = await mixInputs(e, runDir, job.mix, onProgress, job.beforeReview);
  const { enc, vecOf } = m;
  const sets = await foldSets(job, m, onProgress);
  const opts = headOptions(e, job.seed, enc.id);
  const fitted = sets.filter((s) => s.train.length > 0);
  const heads = await trainHeadsOffThread(
    fitted.map((s) => ({
      X: s.train.map((r) => vecOf(r.text)),
      Y: s.train.map((r) => r.labels),
      labels: e.labels,
      opts,
    })),
    onProgress,
  );
  const headOf = new Map(fitted.map((s, i) => [s.fold, heads[i]!] as const));
  const byId = new Map<string, PredictionRow>();
  for (const s of sets) {
    const head = headOf.get(s.fold) ?? emptyHead(e, job.seed, enc.id, enc.dim);
    const scores = predictScores(
      head,
      s.test.map((r) => vecOf(r.text)),
    );
    s.test.forEach((r, i) => {
      const p = scores[i]!;
      byId.set(r.id, {
        id: r.id,
        note: r.noteId ?? null,
        fold: s.fold,
        gold: r.labels,
        pred: head.labels.filter((_, j) => p[j]! >= head.thresholds[j]!),
        scores: Object.fromEntries(head.labels.map((l, j) => [l, round4(p[j]!)])),
      });
    });
  }
  const pooled = m.allGold.flatMap((r) => (r.fold === null ? [] : [byId.get(r.id)!]));
  writeJsonl(predictionsPath(runDir, job.mix, job.seed, job.curve, job.beforeReview), pooled);
  const n = Math.round(sets.reduce((a, s) => a + s.train.length, 0) / Math.max(1, sets.length));
  const evaluation: MixEvaluation = {
    mix: job.mix,
    seed: job.seed,
    trainedOn: n,
    folds: sets.length,
    duplicatesDropped: new Set(sets.flatMap((s) => s.dropped)).size,
    ...(job.curve ? { curve: job.curve } : {}),
    ...(job.beforeReview ? { beforeReview: true as const } : {}),
    encoder: { spec: m.spec, id: enc.id, classifier: e.train.classifier },
    metrics: multilabelMetrics(
      pooled.map((r) => r.gold),
      pooled.map((r) => r.pred),
      e.labels,
    ),
  };
  writeJson(evalPath(runDir, job.mix, job.seed, job.curve, job.beforeReview), evaluation);
  return { n, folds: sets.length };
}

/**
 * Fits heads in worker threads, one per core up to one per job (folds fit in parallel; each job's result does not
 * depend on which thread fits it): a fit takes seconds of pure CPU, which on the activity's own thread would stall
 * the worker's workflow tasks and heartbeats. Heartbeats go on while the threads work.
 */
export async function trainHeadsOffThread(jobs: FitJob[], onProgress?: () => void): Promise<TrainedHead[]> {
  if (jobs.length === 0) return [];
  const threads = Math.max(1, Math.min(jobs.length, availableParallelism()));
  // Job i goes to thread i mod threads; a vector shared by several jobs of one thread is copied to it once.
  // The cores left to each thread share the rows of its large logreg fits (one job: every core on one fit).
  const perFit = Math.max(1, Math.floor(availableParallelism() / threads));
  const shares = Array.from({ length: threads }, (_, t) =>
    jobs.filter((_, i) => i % threads === t).map((j) => ({ ...j, opts: { threads: perFit, ...j.opts } })),
  );
  const beat = onProgress ? setInterval(onProgress, 2000) : undefined;
  try {
    const done = await Promise.all(shares.map((share) => fitInThread(share)));
    return jobs.map((_, i) => done[i % threads]![Math.floor(i / threads)]!);
  } finally {
    if (beat) clearInterval(beat);
  }
}

async function fitInThread(jobs: FitJob[]): Promise<TrainedHead[]> {
  const thread = new Worker(new URL('./ts-thread.mjs', import.meta.url), {
    workerData: { module: new URL('./train-thread.ts', import.meta.url).href, jobs },
  });
  try {
    return await new Promise<TrainedHead[]>((resolve, reject) => {
      thread.once('message', resolve);
      thread.once('error', reject);
      thread.once('exit', (code) => code !== 0 && reject(new Error(`training thread exited with code ${code}`)));
    });
  } finally {
    await thread.terminate();
  }
}

/** One head off the event loop (see trainHeadsOffThread). */
export async function trainOffThread(
  X: Float32Array[],
  Y: string[][],
  labels: string[],
  opts: TrainOptions,
  onProgress?: () => void,
): Promise<TrainedHead> {
  return (await trainHeadsOffThread([{ X, Y, labels, opts }], onProgress))[0]!;
}

export interface SavedModel {
  format: 'clinsynth-model@1';
  /** The id of the encoder whose embeddings the head was trained on; `predict` refuses any other. */
  encoderId: string;
  /** How to load that encoder again: `minilm`, `mpnet` or an encoder directory (absent in older models: MiniLM). */
  encoder?: string;
  taxonomyVersion: string;
  mix: string;
  seed: number;
  labels: string[];
  head: TrainedHead;
}

/** A classifier head's options as the experiment sets them (train.classifier, train.validationShare), for one seed. */
export function headOptions(e: Experiment, seed: number, encoderId: string): TrainOptions {
  return { kind: e.train.classifier, seed, validationShare: e.train.validationShare, encoderId };
}

/**
 * Trains the model users keep into <run>/model/model.json: train.finalMix on every gold row (no fold held out) and
 * its synthetic rows, each sentence once, with the first seed.
 */
export async function trainFinalModel(runDir: string, onProgress?: () => void): Promise<{ path: string; n: number }> {
  const e = readRunExperiment(runDir);
  const seed = e.train.seeds[0]!;
  const m = await mixInputs(e, runDir, e.train.finalMix, onProgress);
  const { enc, spec, vecOf } = m;
  const { kept } = await withoutRepeats(
    m.synthetic.rows,
    m.synthetic.bronzeRepeatsSilver,
    m.gold,
    m.repeatVecOf,
    onProgress,
  );
  const rows = [...m.gold, ...kept];
  const opts = headOptions(e, seed, enc.id);
  const head = rows.length
    ? await trainOffThread(
        rows.map((r) => vecOf(r.text)),
        rows.map((r) => r.labels),
        e.labels,
        opts,
        onProgress,
      )
    : emptyHead(e, seed, enc.id, enc.dim);
  const model: SavedModel = {
    format: 'clinsynth-model@1',
    encoderId: head.encoderId,
    encoder: spec,
    taxonomyVersion: e.taxonomyVersion,
    mix: e.train.finalMix,
    seed,
    labels: head.labels,
    head,
  };
  const path = join(runDir, RUN_FILES.model, 'model.json');
  writeJson(path, model);
  return { path, n: head.trainedOn.n };
}
