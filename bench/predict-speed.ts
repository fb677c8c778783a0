// Predict speed: `clinsynth predict`-equivalent (lib/model/predict.ts predictSentences, 512-sentence chunks) with a model trained on the dev gold.
import { existsSync } from 'node:fs';
import { SentenceEncoder, encoderThreads } from '../lib/model/encoder.js';
import { trainClassifier } from '../lib/model/classifier.js';
import { predictSentences } from '../lib/model/predict.js';
import { readGold } from '../lib/corpus/readers.js';
import { labelIds, loadTaxonomy } from '../lib/config/taxonomy.js';
import type { SavedModel } from '../lib/model/training.js';
import { predictThreads } from '../client/predict.js';
import {
  DEV_GOLD,
  QUICK,
  TAXONOMY,
  mainIfDirect,
  result,
  round,
  syntheticSentence,
  type BenchResult,
} from './common.js';

/** Issue #15: >= 300 sentences/s on 2 cores, with the encoder threads `clinsynth predict` uses. */
const GOAL = 300;
const CHUNK = 512; // as client/predict.ts

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  const n = QUICK ? 1000 : 5000;
  const notes: string[] = [];
  const taxonomy = loadTaxonomy(TAXONOMY);
  const labels = labelIds(taxonomy);
  let train: { text: string; labels: string[] }[];
  if (existsSync(DEV_GOLD)) train = readGold(DEV_GOLD, labels);
  else {
    notes.push(`no dev gold at ${DEV_GOLD}: trained on the taxonomy's examples instead`);
    train = taxonomy.examples.map((e) => ({ text: e.text, labels: e.labels }));
  }
  // Sentences to score: the dev gold texts (realistic lengths) cycled, each made distinct; else generated ones.
  const pool = train.map((r) => r.text);
  const rows = Array.from({ length: n }, (_, i) => ({
    id: `p-${i}`,
    text: pool.length >= 50 ? `${pool[i % pool.length]!} (${i})` : syntheticSentence(i, i % 2 === 0),
  }));

  const measure = async (threads: number) => {
    const encoder = await SentenceEncoder.load({ threads });
    const X = await encoder.embed(train.map((r) => r.text));
    const head = trainClassifier(
      X,
      train.map((r) => r.labels),
      labels,
      { kind: 'logreg', seed: 1, validationShare: 0.2 },
    );
    const model: SavedModel = {
      format: 'clinsynth-model@1',
      encoderId: encoder.id,
      taxonomyVersion: `${taxonomy.id}@${taxonomy.version}`,
      mix: 'gold',
      seed: 1,
      labels,
      head,
    };
    await predictSentences(model, encoder, rows.slice(0, 32)); // warm-up
    const s = performance.now();
    let predicted = 0;
    let withLabels = 0;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const out = await predictSentences(model, encoder, rows.slice(i, i + CHUNK));
      predicted += out.length;
      withLabels += out.filter((p) => p.labels.length > 0).length;
    }
    const seconds = (performance.now() - s) / 1000;
    const meanTokens =
      rows.slice(0, 500).reduce((a, r) => a + encoder.tokenize(r.text).length, 0) / Math.min(500, rows.length);
    await encoder.release();
    return { threads, seconds, rate: predicted / seconds, withLabels, meanTokens };
  };
  // As `clinsynth predict`: CLINSYNTH_ENCODER_THREADS when set, else the cores up to 4.
  const defaultThreads = process.env.CLINSYNTH_ENCODER_THREADS ? encoderThreads() : predictThreads();
  const main = await measure(defaultThreads);
  // Optional (BENCH_PREDICT_THREADS2=1): the same with 2 encoder threads; sequential runs on a shared machine are noisy.
  const alt = process.env.BENCH_PREDICT_THREADS2 === '1' && defaultThreads !== 2 ? await measure(2) : undefined;
  if (alt) notes.push(`with CLINSYNTH_ENCODER_THREADS=2: ${round(alt.rate, 0)} sentences/s`);
  return result({
    id: 'predict',
    title: 'predict speed (clinsynth predict path)',
    figure: {
      value: round(main.rate, 1),
      unit: 'sentences/s',
      what: `${n} sentences in ${round(main.seconds, 2)} s, encoder threads ${main.threads} (as clinsynth predict), ~${round(main.meanTokens, 0)} tokens/sentence`,
    },
    baseline: { value: GOAL, unit: 'sentences/s', what: 'goal' },
    goal: '>= 1',
    seconds: (performance.now() - t0) / 1000,
    details: {
      sentences: n,
      trainedOn: train.length,
      defaultThreads: main.threads,
      rateDefaultThreads: round(main.rate, 1),
      ...(alt ? { rate2Threads: round(alt.rate, 1) } : {}),
      meanTokensPerSentence: round(main.meanTokens, 1),
      sentencesWithLabels: main.withLabels,
    },
    notes,
  });
}

await mainIfDirect(import.meta.url, run);
