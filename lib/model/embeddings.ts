// The process-wide sentence encoder and embedding store, and `sharedEmbed`: sentences to cached unit vectors.
import { join } from 'node:path';
import { SentenceEncoder, EmbeddingStore, embedAll, type Embedder } from './encoder.js';
import { clinsynthHome } from '../run/paths.js';

let encoder: Promise<SentenceEncoder> | undefined;

/** One encoder per process (loading the ONNX session costs more than embedding a batch). */
export function sharedEncoder(): Promise<Embedder> {
  encoder ??= SentenceEncoder.load();
  return encoder;
}

const stores = new Map<string, EmbeddingStore>();

/** One store per folder and process: it loads the cached vectors once and `refresh()`es to see other processes'. */
export function embeddingStore(): EmbeddingStore {
  const dir = join(clinsynthHome(), 'embeddings');
  let store = stores.get(dir);
  if (!store) stores.set(dir, (store = new EmbeddingStore(dir)));
  return store;
}

/** Sentences to unit vectors, in order, through the shared encoder and embedding store (nothing is embedded twice). */
export async function sharedEmbed(texts: string[], onProgress?: () => void): Promise<Float32Array[]> {
  return embedAll(await sharedEncoder(), embeddingStore(), texts, { onProgress: () => onProgress?.() });
}
