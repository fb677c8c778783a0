// Sentence embeddings through onnxruntime-node (all-MiniLM-L6-v2 int8 by default, mpnet or any encoder directory by
// `train.encoder`) and a shared on-disk cache so nothing is embedded twice.
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';
import { ENCODER_ID } from '../config/paths.js';
import {
  DEFAULT_ENCODER,
  ENCODER_DIR_FILES,
  encoderFiles,
  type EncoderFiles,
  type PoolingMode,
} from '../config/encoders.js';

/** Tokens per sentence at most ([CLS] … [SEP]) for MiniLM; sentence-transformers' max_seq_length for this model. */
export const MAX_TOKENS = 256;
export const ENCODER_DIM = 384;

/** Anything that turns sentences into vectors: the real encoder, or a stand-in in tests. */
export interface Embedder {
  readonly id: string;
  readonly dim: number;
  embed(texts: string[], batchSize?: number): Promise<Float32Array[]>;
}

export interface EncoderOptions {
  /** onnxruntime intra-op threads (it ignores OMP_NUM_THREADS). Default: $CLINSYNTH_ENCODER_THREADS, else 1. */
  threads?: number;
  /** `minilm` (default), `mpnet`, or an absolute encoder directory (lib/config/encoders.ts). */
  encoder?: string;
  /** Another model file with the same tokenizer and pooling (benchmarks compare variants this way). */
  modelFile?: string;
}

/** Threads for one encoder: explicit option, then CLINSYNTH_ENCODER_THREADS, then 1 (safe with several activity slots). */
export function encoderThreads(opts?: EncoderOptions): number {
  const raw =
    opts?.threads ?? (process.env.CLINSYNTH_ENCODER_THREADS ? Number(process.env.CLINSYNTH_ENCODER_THREADS) : 1);
  if (!Number.isInteger(raw) || raw < 1)
    throw new RangeError(`encoder threads must be a positive integer, got ${String(raw)}`);
  return raw;
}

/**
 * Session options tuned for encoders on small CPUs (measured in bench/p2-encoder.ts): every graph optimisation
 * (attention, LayerNorm and GELU fusions), explicit intra-op threads, one inter-op thread, sequential execution;
 * the memory arena stays on (shapes repeat across length-sorted batches).
 */
export function encoderSessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    enableMemPattern: true,
  };
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The id of an encoder directory without a recorded one: its name and a hash of every file that shapes its vectors. */
async function directoryEncoderId(files: EncoderFiles): Promise<string> {
  const h = createHash('sha256');
  for (const f of [
    files.model,
    files.tokenizer,
    ...ENCODER_DIR_FILES.filter((n) => n !== 'model.onnx' && n !== 'tokenizer.json').map((n) => join(files.dir!, n)),
  ]) {
    h.update(await sha256File(f));
  }
  h.update(`${files.pooling}|${files.normalize}|${files.maxTokens}|${files.dim}`);
  return `${basename(files.dir!)}@sha256:${h.digest('hex').slice(0, 16)}`;
}

/** The id of the pad token: the tokenizer's padding config, else [PAD] or <pad> in its vocabulary, else 0. */
function padId(json: { padding?: { pad_id?: unknown } | null; model?: { vocab?: Record<string, number> } }): number {
  const p = json.padding?.pad_id;
  if (typeof p === 'number') return p;
  const vocab = json.model?.vocab;
  return vocab?.['[PAD]'] ?? vocab?.['<pad>'] ?? 0;
}

/** Pooled (mean, CLS, max or mean·√n), optionally L2-normalised sentence embeddings, as sentence-transformers computes them. */
export class SentenceEncoder implements Embedder {
  /** Sentences run through the model by this instance (for tests and progress reports). */
  sentencesEmbedded = 0;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
    readonly threads: number,
    readonly id: string,
    readonly dim: number,
    /** `minilm`, `mpnet` or the encoder directory: what a saved model records to load this encoder again. */
    readonly spec: string,
    readonly maxTokens: number,
    private readonly pooling: PoolingMode,
    private readonly normalize: boolean,
    private readonly pad: number,
    private readonly hasTokenTypes: boolean,
    private readonly output: string,
  ) {}

  static async load(opts?: EncoderOptions): Promise<SentenceEncoder> {
    const threads = encoderThreads(opts);
    const files = encoderFiles(opts?.encoder ?? DEFAULT_ENCODER);
    const model = opts?.modelFile ?? files.model;
    const tokJson = JSON.parse(readFileSync(files.tokenizer, 'utf8')) as Record<string, unknown>;
    // Truncation and padding are ours (per batch, to its longest sentence): the file's fixed padding would undo that.
    const tokenizer = new Tokenizer({ ...tokJson, truncation: null, padding: null } as object, {});
    const session = await ort.InferenceSession.create(model, encoderSessionOptions(threads));
    for (const name of ['input_ids', 'attention_mask']) {
      if (!session.inputNames.includes(name))
        throw new Error(`encoder model ${model} has no input ${name} (inputs: ${session.inputNames.join(', ')})`);
    }
    const extra = session.inputNames.filter((n) => !['input_ids', 'attention_mask', 'token_type_ids'].includes(n));
    if (extra.length)
      throw new Error(`encoder model ${model} wants inputs clinsynth does not give: ${extra.join(', ')}`);
    const output =
      ['last_hidden_state', 'token_embeddings'].find((n) => session.outputNames.includes(n)) ?? session.outputNames[0];
    if (!output) throw new Error(`encoder model ${model} has no outputs`);
    const id = opts?.modelFile
      ? `${files.id ?? files.spec}+${basename(opts.modelFile)}`
      : (files.id ?? (await directoryEncoderId(files)));
    return new SentenceEncoder(
      session,
      tokenizer,
      threads,
      id,
      files.dim,
      files.spec,
      files.maxTokens,
      files.pooling,
      files.normalize,
      padId(tokJson as Parameters<typeof padId>[0]),
      session.inputNames.includes('token_type_ids'),
      output,
    );
  }

  /** Token ids for one sentence: [CLS] … [SEP] (or the model's own specials), cut to maxTokens keeping the final one. */
  tokenize(text: string): number[] {
    const ids = this.tokenizer.encode(text).ids;
    if (ids.length <= this.maxTokens) return ids;
    return [...ids.slice(0, this.maxTokens - 1), ids[ids.length - 1]!];
  }

  /**
   * One vector per text, in the input order. Texts are sorted by token count inside the call so each batch pads only
   * to its own longest sentence (as sentence-transformers does); the result does not depend on batchSize beyond
   * float rounding.
   */
  async embed(texts: string[], batchSize = 32): Promise<Float32Array[]> {
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    const tokens = texts.map((t) => this.tokenize(t));
    const order = tokens.map((_, i) => i).sort((a, b) => tokens[a]!.length - tokens[b]!.length || a - b);
    const out = new Array<Float32Array>(texts.length);
    for (let s = 0; s < order.length; s += batchSize) {
      const idx = order.slice(s, s + batchSize);
      const vecs = await this.runBatch(idx.map((i) => tokens[i]!));
      idx.forEach((i, k) => (out[i] = vecs[k]!));
    }
    this.sentencesEmbedded += texts.length;
    return out;
  }

  private async runBatch(batch: number[][]): Promise<Float32Array[]> {
    const B = batch.length;
    const L = Math.max(...batch.map((e) => e.length));
    const ids = new BigInt64Array(B * L).fill(BigInt(this.pad));
    const mask = new BigInt64Array(B * L);
    batch.forEach((e, b) =>
      e.forEach((id, i) => {
        ids[b * L + i] = BigInt(id);
        mask[b * L + i] = 1n;
      }),
    );
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [B, L]),
      attention_mask: new ort.Tensor('int64', mask, [B, L]),
    };
    if (this.hasTokenTypes) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(B * L), [B, L]);
    const result = await this.session.run(feeds);
    const hidden = result[this.output];
    const H = this.dim;
    if (!hidden) throw new Error(`encoder returned no ${this.output}`);
    const h = hidden.data as Float32Array;
    const res: Float32Array[] = [];
    if (hidden.dims.length === 2) {
      // The model pools itself ([B, H]): only normalisation is left.
      if (hidden.dims[1] !== H)
        throw new Error(`encoder returned dims ${JSON.stringify(hidden.dims)}; expected [${B}, ${H}]`);
      for (let b = 0; b < B; b++) res.push(this.finish(Float64Array.from(h.subarray(b * H, (b + 1) * H))));
      return res;
    }
    if (hidden.dims[2] !== H)
      throw new Error(`encoder returned dims ${JSON.stringify(hidden.dims)}; expected [${B}, ${L}, ${H}]`);
    for (let b = 0; b < B; b++) {
      const n = batch[b]!.length;
      const acc = new Float64Array(H);
      if (this.pooling === 'cls') {
        for (let k = 0; k < H; k++) acc[k] = h[b * L * H + k]!;
      } else if (this.pooling === 'max') {
        acc.fill(-Infinity);
        for (let i = 0; i < n; i++) {
          const o = (b * L + i) * H;
          for (let k = 0; k < H; k++) if (h[o + k]! > acc[k]!) acc[k] = h[o + k]!;
        }
      } else {
        // Mean over real tokens, accumulated in float64 (mean·√n: the sum divided by √n).
        for (let i = 0; i < n; i++) {
          const o = (b * L + i) * H;
          for (let k = 0; k < H; k++) acc[k]! += h[o + k]!;
        }
        const div = this.pooling === 'mean' ? n : Math.sqrt(n);
        for (let k = 0; k < H; k++) acc[k]! /= div;
      }
      res.push(this.finish(acc));
    }
    return res;
  }

  private finish(acc: Float64Array): Float32Array {
    const H = this.dim;
    let norm = 1;
    if (this.normalize) {
      let ss = 0;
      for (let k = 0; k < H; k++) ss += acc[k]! * acc[k]!;
      norm = Math.sqrt(ss) || 1;
    }
    const v = new Float32Array(H);
    for (let k = 0; k < H; k++) v[k] = acc[k]! / norm;
    return v;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Embedding cache
// ---------------------------------------------------------------------------------------------------------------

const MAGIC = Buffer.from('CSEMB001', 'ascii');
const HEADER = 16; // magic(8) + dim(u32) + count(u32)
const KEY_BYTES = 20; // sha1
const PART_RE = /^part-[0-9a-z-]+\.emb$/;
/** Compact automatically once a store folder holds this many part files. */
const COMPACT_AT = 64;

/** Cache key of a sentence under an encoder: sha1(encoderId \n text), hex. Exact text: no normalisation. */
export function embeddingKey(encoderId: string, text: string): string {
  return createHash('sha1').update(encoderId).update('\n').update(text).digest('hex');
}

function safeName(id: string): string {
  return `${id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60)}-${createHash('sha1').update(id).digest('hex').slice(0, 8)}`;
}

/**
 * Embeddings on disk, keyed by (encoder id, exact text), shared by every mix, seed and process.
 * Layout: `<dir>/<encoder>/part-*.emb`, each an immutable batch written to a temp file and renamed into place, so a
 * reader never sees half a file and two writers never clash (a sentence stored twice is harmless: same vector).
 * Part file: "CSEMB001", u32 dim, u32 count, count × 20-byte sha1 keys, count × dim float32 (little-endian).
 * Loading reads each part once with one read per file (thousands of vectors in milliseconds); `refresh()` picks up
 * parts other processes wrote since. Many parts are merged by `compact()` (run automatically past 64 parts).
 */
export class EmbeddingStore {
  readonly folder: string;
  private readonly vectors = new Map<string, Float32Array>();
  private readonly seenParts = new Set<string>();
  /** Part files that could not be read (wrong size or header); their sentences are simply embedded again. */
  readonly skippedFiles: string[] = [];

  constructor(
    dir: string,
    readonly encoderId: string = ENCODER_ID,
    readonly dim: number = ENCODER_DIM,
  ) {
    this.folder = join(dir, safeName(encoderId));
  }

  get size(): number {
    return this.vectors.size;
  }

  /** Reads the part files not read yet (including those other processes wrote). */
  refresh(): void {
    for (const name of this.listParts()) {
      if (this.seenParts.has(name)) continue;
      this.readPart(name);
    }
  }

  has(text: string): boolean {
    return this.vectors.has(embeddingKey(this.encoderId, text));
  }

  /** A copy of the stored vector, or undefined. Call refresh() first to see other processes' writes. */
  get(text: string): Float32Array | undefined {
    return this.vectors.get(embeddingKey(this.encoderId, text))?.slice();
  }

  /** Stores vectors as one new part file (atomic). Texts already stored are skipped. */
  put(texts: readonly string[], vectors: readonly Float32Array[]): void {
    if (texts.length !== vectors.length)
      throw new Error(`EmbeddingStore.put: ${texts.length} texts but ${vectors.length} vectors`);
    const keys: string[] = [];
    const vecs: Float32Array[] = [];
    const fresh = new Set<string>();
    texts.forEach((t, i) => {
      const k = embeddingKey(this.encoderId, t);
      if (this.vectors.has(k) || fresh.has(k)) return;
      const v = vectors[i]!;
      if (v.length !== this.dim)
        throw new Error(`EmbeddingStore.put: vector of length ${v.length}, store dim is ${this.dim}`);
      fresh.add(k);
      keys.push(k);
      vecs.push(v);
    });
    if (keys.length === 0) return;
    const name = this.writePart(keys, vecs);
    this.seenParts.add(name);
    keys.forEach((k, i) => this.vectors.set(k, vecs[i]!.slice()));
    if (this.listParts().length > COMPACT_AT) this.compact();
  }

  /**
   * Merges every part file into one. Safe beside other readers/writers: the merged file is in place before any
   * input is deleted, and only inputs whose contents are in it are deleted. Returns the number of parts merged.
   */
  compact(): number {
    this.refresh();
    const parts = [...this.seenParts].filter((p) => this.listParts().includes(p));
    if (parts.length <= 1) return 0;
    const keys = [...this.vectors.keys()];
    const name = this.writePart(
      keys,
      keys.map((k) => this.vectors.get(k)!),
    );
    this.seenParts.add(name);
    for (const p of parts) {
      try {
        unlinkSync(join(this.folder, p));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    this.removeStaleTemps();
    return parts.length;
  }

  private listParts(): string[] {
    try {
      return readdirSync(this.folder)
        .filter((n) => PART_RE.test(n))
        .sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  private readPart(name: string): void {
    let buf: Buffer;
    try {
      buf = readFileSync(join(this.folder, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // compacted away by another process meanwhile
      throw e;
    }
    this.seenParts.add(name);
    const dim = buf.length >= HEADER ? buf.readUInt32LE(8) : -1;
    const count = buf.length >= HEADER ? buf.readUInt32LE(12) : -1;
    if (
      !buf.subarray(0, 8).equals(MAGIC) ||
      dim !== this.dim ||
      buf.length !== HEADER + count * (KEY_BYTES + 4 * dim)
    ) {
      this.skippedFiles.push(join(this.folder, name));
      return;
    }
    const vecStart = HEADER + count * KEY_BYTES;
    // One aligned float32 view over all vectors (copy once if the Buffer is not 4-byte aligned).
    const bytes = buf.subarray(vecStart);
    const floats =
      bytes.byteOffset % 4 === 0
        ? new Float32Array(bytes.buffer, bytes.byteOffset, count * dim)
        : new Float32Array(new Uint8Array(bytes).buffer, 0, count * dim);
    for (let i = 0; i < count; i++) {
      const key = buf.toString('hex', HEADER + i * KEY_BYTES, HEADER + (i + 1) * KEY_BYTES);
      if (!this.vectors.has(key)) this.vectors.set(key, floats.subarray(i * dim, (i + 1) * dim));
    }
  }

  private writePart(keys: readonly string[], vecs: readonly Float32Array[]): string {
    mkdirSync(this.folder, { recursive: true });
    const n = keys.length;
    const buf = Buffer.alloc(HEADER + n * (KEY_BYTES + 4 * this.dim));
    MAGIC.copy(buf, 0);
    buf.writeUInt32LE(this.dim, 8);
    buf.writeUInt32LE(n, 12);
    keys.forEach((k, i) => buf.write(k, HEADER + i * KEY_BYTES, KEY_BYTES, 'hex'));
    const vecStart = HEADER + n * KEY_BYTES;
    vecs.forEach((v, i) => {
      const off = vecStart + i * 4 * this.dim;
      for (let k = 0; k < this.dim; k++) buf.writeFloatLE(v[k]!, off + 4 * k);
    });
    const unique = `${Date.now().toString(36)}-${process.pid.toString(36)}-${randomBytes(6).toString('hex')}`;
    const tmp = join(this.folder, `.tmp-${unique}`);
    const name = `part-${unique}.emb`;
    writeFileSync(tmp, buf);
    renameSync(tmp, join(this.folder, name));
    return name;
  }

  private removeStaleTemps(): void {
    const hourAgo = Date.now() - 3600_000;
    for (const n of readdirSync(this.folder)) {
      if (!n.startsWith('.tmp-')) continue;
      try {
        if (statSync(join(this.folder, n)).mtimeMs < hourAgo) unlinkSync(join(this.folder, n));
      } catch {
        // another process removed or renamed it: fine
      }
    }
  }
}

export interface EmbedAllOptions {
  /** Sentences embedded (and stored) per step, so a crash or retry loses at most one chunk. */
  chunkSize?: number;
  batchSize?: number;
  /** Called after each stored chunk, e.g. to heartbeat: (embedded so far, missing in all). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Vectors for `texts` in order, embedding only those the store lacks (each distinct missing text once) and
 * storing them. A second call with the same texts runs the encoder on nothing.
 */
export async function embedAll(
  encoder: Embedder,
  store: EmbeddingStore,
  texts: readonly string[],
  opts: EmbedAllOptions = {},
): Promise<Float32Array[]> {
  if (encoder.id !== store.encoderId)
    throw new Error(`embedAll: encoder ${encoder.id} does not match the store's ${store.encoderId}`);
  if (encoder.dim !== store.dim)
    throw new Error(`embedAll: encoder dim ${encoder.dim} does not match the store's ${store.dim}`);
  store.refresh();
  const missing = [...new Set(texts.filter((t) => !store.has(t)))];
  const chunk = opts.chunkSize ?? 1024;
  for (let s = 0; s < missing.length; s += chunk) {
    const part = missing.slice(s, s + chunk);
    store.put(part, await encoder.embed(part, opts.batchSize));
    opts.onProgress?.(Math.min(s + chunk, missing.length), missing.length);
  }
  return texts.map((t) => {
    const v = store.get(t);
    if (!v) throw new Error('embedAll: a vector vanished from the store (this is a bug)');
    return v;
  });
}
