// The process-wide sentence encoders (one per encoder spec) and embedding stores, and `sharedEmbed`: sentences to cached
// unit vectors under the encoder a run chose (`train.encoder`).
import { join } from 'node:path';
import { SentenceEncoder, EmbeddingStore, embedAll, type Embedder } from './encoder.js';
import { clinsynthHome } from '../config/paths.js';
import { DEFAULT_ENCODER } from '../config/encoders.js';
import type { Experiment } from '../config/experiment.js';

const encoders = new Map<string, Promise<SentenceEncoder>>();

/**
 * One encoder per spec and process (loading an ONNX session costs more than embedding a batch). `spec`: `minilm`
 * (default), `mpnet` or an absolute encoder directory, as `train.encoder` of a validated experiment holds it.
 */
export function sharedEncoder(spec: string = DEFAULT_ENCODER): Promise<Embedder> {
  let enc = encoders.get(spec);
  if (!enc) {
    enc = SentenceEncoder.load({ encoder: spec });
    encoders.set(spec, enc);
    enc.catch(() => encoders.delete(spec)); // a failed load (e.g. not installed yet) is retried next time
  }
  return enc;
}

/** The encoder spec of a run's experiment (runs written before `train.encoder` existed used MiniLM). */
export function runEncoderSpec(e: Pick<Experiment, 'train'>): string {
  return (e.train as { encoder?: string }).encoder ?? DEFAULT_ENCODER;
}

const stores = new Map<string, EmbeddingStore>();

/** One store per folder, encoder and process: it loads the cached vectors once and `refresh()`es to see other processes'. */
export function embeddingStore(encoder?: Pick<Embedder, 'id' | 'dim'>): EmbeddingStore {
  const dir = join(clinsynthHome(), 'embeddings');
  const key = `${dir}\n${encoder?.id ?? ''}`;
  let store = stores.get(key);
  if (!store)
    stores.set(key, (store = encoder ? new EmbeddingStore(dir, encoder.id, encoder.dim) : new EmbeddingStore(dir)));
  return store;
}

/**
 * Sentences to unit vectors, in order, through the shared encoder `spec` (default MiniLM) and its embedding store
 * (nothing is embedded twice).
 */
export async function sharedEmbed(
  texts: string[],
  onProgress?: () => void,
  spec: string = DEFAULT_ENCODER,
): Promise<Float32Array[]> {
  const enc = await sharedEncoder(spec);
  return embedAll(enc, embeddingStore(enc), texts, { onProgress: () => onProgress?.() });
}
