// Unit tests for lib/model/encoder.ts: the real MiniLM ONNX model and the on-disk embedding store.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EmbeddingStore,
  MAX_TOKENS,
  SentenceEncoder,
  embedAll,
  encoderThreads,
  type Embedder,
} from '../../lib/model/encoder.js';
import { ENCODER_ID } from '../../lib/config/paths.js';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const tmp = mkdtempSync(join(tmpdir(), 'clinsynth-enc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A stand-in encoder: deterministic vectors, counts what it embeds. */
class FakeEncoder implements Embedder {
  readonly id = ENCODER_ID;
  readonly dim = 384;
  embedded: string[] = [];
  async embed(texts: string[]): Promise<Float32Array[]> {
    this.embedded.push(...texts);
    return texts.map((t) => new Float32Array(this.dim).map((_, k) => Math.sin(t.length * 31 + k + t.charCodeAt(0))));
  }
}

describe('SentenceEncoder (real model)', () => {
  let enc: SentenceEncoder;
  beforeAll(async () => {
    enc = await SentenceEncoder.load({ threads: 1 });
  }, 60_000);
  afterAll(async () => enc?.release());

  const S = [
    'Patient presents with acute chest pain radiating to the left arm.',
    'The patient complains of severe pain in the chest spreading to the left arm.',
    'Prescribed amoxicillin 500 mg three times daily for otitis media.',
    'She has become increasingly forgetful and repeats the same questions.',
    'Her family reports that she keeps forgetting things and asks the same question again and again.',
  ];

  it('gives 384-d unit vectors with paraphrases closer than unrelated sentences', async () => {
    const E = await enc.embed(S);
    expect(enc.dim).toBe(384);
    expect(enc.id).toBe(ENCODER_ID);
    for (const v of E) {
      expect(v).toHaveLength(384);
      expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 5);
    }
    expect(dot(E[0]!, E[1]!)).toBeGreaterThan(dot(E[0]!, E[2]!) + 0.3);
    expect(dot(E[3]!, E[4]!)).toBeGreaterThan(dot(E[3]!, E[0]!) + 0.2);
    // reference value from the sentence-transformers-equivalent script (/tmp/enc-survey/embed.mjs): cos ≈ 0.904
    expect(dot(E[0]!, E[1]!)).toBeCloseTo(0.904, 2);
  }, 60_000);

  it('keeps the input order whatever the batching and length-sorting', async () => {
    const texts = [
      ...S,
      'Short.',
      S[2]!,
      'Another, rather longer sentence about a neurology clinic visit and memory testing.',
    ];
    const together = await enc.embed(texts, 3);
    for (let i = 0; i < texts.length; i++) {
      const [alone] = await enc.embed([texts[i]!]);
      // int8 dynamic quantisation scales over the whole batch, so batching moves values very slightly
      expect(dot(together[i]!, alone!)).toBeGreaterThan(0.995);
    }
    expect(dot(together[2]!, together[6]!)).toBeGreaterThan(0.995); // the same text twice
  }, 60_000);

  it('cuts long texts to 256 tokens keeping [SEP], and embeds empty text', async () => {
    const ids = enc.tokenize('memory '.repeat(600));
    expect(ids).toHaveLength(MAX_TOKENS);
    expect(ids[0]).toBe(101);
    expect(ids[ids.length - 1]).toBe(102);
    const [long, empty] = await enc.embed(['memory '.repeat(600), '']);
    expect(Math.sqrt(dot(long!, long!))).toBeCloseTo(1, 5);
    expect(empty).toHaveLength(384);
  }, 60_000);

  it('embeds only what the store lacks; a second embedAll embeds nothing', async () => {
    const dir = join(tmp, 'real');
    const store = new EmbeddingStore(dir);
    const before = enc.sentencesEmbedded;
    const first = await embedAll(enc, store, [S[0]!, S[1]!, S[0]!]);
    expect(enc.sentencesEmbedded - before).toBe(2); // duplicates embedded once
    const again = await embedAll(enc, new EmbeddingStore(dir), [S[1]!, S[0]!]);
    expect(enc.sentencesEmbedded - before).toBe(2);
    expect(Array.from(again[1]!)).toEqual(Array.from(first[0]!));
    expect(Array.from(again[0]!)).toEqual(Array.from(first[1]!));
  }, 60_000);

  it('reads threads from the option, then CLINSYNTH_ENCODER_THREADS, else 1', () => {
    const old = process.env.CLINSYNTH_ENCODER_THREADS;
    try {
      delete process.env.CLINSYNTH_ENCODER_THREADS;
      expect(encoderThreads()).toBe(1);
      process.env.CLINSYNTH_ENCODER_THREADS = '2';
      expect(encoderThreads()).toBe(2);
      expect(encoderThreads({ threads: 3 })).toBe(3);
      process.env.CLINSYNTH_ENCODER_THREADS = 'x';
      expect(() => encoderThreads()).toThrow(/positive integer/);
    } finally {
      if (old === undefined) delete process.env.CLINSYNTH_ENCODER_THREADS;
      else process.env.CLINSYNTH_ENCODER_THREADS = old;
    }
  });
});

describe('EmbeddingStore', () => {
  it('round-trips vectors exactly through disk and counts encoder calls', async () => {
    const dir = join(tmp, 'fake');
    const enc = new FakeEncoder();
    const texts = Array.from({ length: 50 }, (_, i) => `sentence number ${i} ✓`);
    const a = await embedAll(enc, new EmbeddingStore(dir), texts, { chunkSize: 16 });
    expect(enc.embedded).toHaveLength(50);
    const store = new EmbeddingStore(dir);
    store.refresh();
    expect(store.size).toBe(50);
    texts.forEach((t, i) => expect(Array.from(store.get(t)!)).toEqual(Array.from(a[i]!)));
    const b = await embedAll(enc, store, [...texts].reverse());
    expect(enc.embedded).toHaveLength(50); // nothing new
    expect(Array.from(b[0]!)).toEqual(Array.from(a[49]!));
    // a returned vector is a copy: changing it does not change the store
    b[0]![0] = 42;
    expect(store.get(texts[49]!)![0]).not.toBe(42);
  });

  it('lets two writers share a folder (duplicates harmless) and compacts safely', async () => {
    const dir = join(tmp, 'shared');
    const e1 = new FakeEncoder();
    const e2 = new FakeEncoder();
    const s1 = new EmbeddingStore(dir);
    const s2 = new EmbeddingStore(dir);
    await Promise.all([embedAll(e1, s1, ['a', 'b', 'c']), embedAll(e2, s2, ['b', 'c', 'd'])]);
    const s3 = new EmbeddingStore(dir);
    s3.refresh();
    expect(s3.size).toBe(4);
    expect(s3.compact()).toBeGreaterThanOrEqual(2);
    const parts = readdirSync(s3.folder).filter((n) => n.endsWith('.emb'));
    expect(parts).toHaveLength(1);
    s1.refresh(); // s1 still sees everything after another process compacted
    for (const t of ['a', 'b', 'c', 'd']) expect(s1.has(t)).toBe(true);
    const fresh = new EmbeddingStore(dir);
    fresh.refresh();
    expect(fresh.size).toBe(4);
  });

  it('skips a damaged part file instead of failing (its sentences are embedded again)', async () => {
    const dir = join(tmp, 'damaged');
    const enc = new FakeEncoder();
    await embedAll(enc, new EmbeddingStore(dir), ['x', 'y']);
    const store = new EmbeddingStore(dir);
    writeFileSync(join(store.folder, 'part-zzzz-bad.emb'), Buffer.from('CSEMB001garbage'));
    await embedAll(enc, store, ['x', 'z']);
    expect(store.skippedFiles).toHaveLength(1);
    expect(enc.embedded).toEqual(['x', 'y', 'z']);
  });

  it('separates encoders and refuses a mismatched one', async () => {
    const dir = join(tmp, 'ids');
    const other = new EmbeddingStore(dir, 'some-other-encoder');
    expect(other.folder).not.toBe(new EmbeddingStore(dir).folder);
    await expect(embedAll(new FakeEncoder(), other, ['a'])).rejects.toThrow(/does not match/);
  });
});
