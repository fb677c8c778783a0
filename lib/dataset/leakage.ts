// Leakage of generated rows into the gold test set, and bronze near-duplicates: normalised-text equality or embedding cosine ≥ a threshold.
import { normaliseSentence } from '../corpus/sentences.js';

/** Cosine at or above which a silver/bronze sentence counts as a copy of a gold test sentence. */
export const LEAKAGE_THRESHOLD = 0.95;
/** Cosine at or above which two bronze sentences count as near-duplicates (the later one, by id, is dropped). */
export const NEAR_DUPLICATE_THRESHOLD = 0.95;

export interface TextRow {
  id: string;
  text: string;
}

/** Sentences to unit vectors, in order (lib/model/embeddings.ts `sharedEmbed` in a worker; the caller chooses). */
export type EmbedFn = (texts: string[]) => Promise<Float32Array[]>;

export interface SimilarityOptions {
  /** Cosine threshold in (0, 1]. */
  threshold?: number;
  /** Called every few hundred rows during the brute-force comparison (e.g. to heartbeat). */
  onProgress?: () => void;
}

/** Dot product; equals the cosine for the encoder's L2-normalised vectors. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

function checkThreshold(t: number): number {
  if (!(t > 0 && t <= 1)) throw new RangeError(`similarity threshold must be in (0, 1], got ${t}`);
  return t;
}

function checkLengths(rows: readonly TextRow[], vecs: readonly Float32Array[], what: string): void {
  if (rows.length !== vecs.length) throw new Error(`${what}: ${rows.length} rows but ${vecs.length} vectors`);
}

const CHUNK = 256;
const breathe = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Rows packed into one contiguous matrix (row-major), so the inner loop runs over one typed array. */
class Matrix {
  data: Float32Array;
  rows = 0;
  constructor(
    readonly dim: number,
    capacity: number,
  ) {
    this.data = new Float32Array(Math.max(1, capacity) * dim);
  }
  push(v: Float32Array): void {
    if (v.length !== this.dim) throw new Error(`vector of length ${v.length}, expected ${this.dim}`);
    if ((this.rows + 1) * this.dim > this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data.set(v, this.rows * this.dim);
    this.rows++;
  }
  /** Index and cosine of the row most similar to v (−1 when empty). */
  best(v: Float32Array): { index: number; cosine: number } {
    const d = this.dim;
    const m = this.data;
    let index = -1;
    let cosine = -Infinity;
    for (let r = 0, o = 0; r < this.rows; r++, o += d) {
      let s = 0;
      for (let k = 0; k < d; k++) s += m[o + k]! * v[k]!;
      if (s > cosine) {
        cosine = s;
        index = r;
      }
    }
    return { index, cosine };
  }
}

/**
 * For each row that duplicates a gold test sentence, the id of that test sentence: the first test sentence with the
 * same normalised text, else the most similar one when its cosine is ≥ threshold. Rows are not compared to each other.
 */
export async function findLeakage(
  rows: readonly TextRow[],
  rowVecs: readonly Float32Array[],
  test: readonly TextRow[],
  testVecs: readonly Float32Array[],
  opts: SimilarityOptions = {},
): Promise<Map<string, string>> {
  const threshold = checkThreshold(opts.threshold ?? LEAKAGE_THRESHOLD);
  checkLengths(rows, rowVecs, 'findLeakage rows');
  checkLengths(test, testVecs, 'findLeakage test');
  const byText = new Map<string, string>();
  for (const t of test) {
    const key = normaliseSentence(t.text);
    if (!byText.has(key)) byText.set(key, t.id);
  }
  const matrix = new Matrix(testVecs[0]?.length ?? rowVecs[0]?.length ?? 1, test.length);
  testVecs.forEach((v) => matrix.push(v));
  const out = new Map<string, string>();
  for (let i = 0; i < rows.length; i++) {
    if (i > 0 && i % CHUNK === 0) {
      opts.onProgress?.();
      await breathe();
    }
    const row = rows[i]!;
    const exact = byText.get(normaliseSentence(row.text));
    if (exact !== undefined) {
      out.set(row.id, exact);
      continue;
    }
    const { index, cosine } = matrix.best(rowVecs[i]!);
    if (index >= 0 && cosine >= threshold) out.set(row.id, test[index]!.id);
  }
  return out;
}

/** Code-unit order, as DuckDB's `ORDER BY id` sorts VARCHARs. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Near-duplicate groups among `rows`: walking the rows in id order, a row whose normalised text equals a kept row's,
 * or whose cosine to its most similar kept row is ≥ threshold, maps to that kept row's id; otherwise it is kept.
 * So the first row (by id) of each group is kept and the returned map holds only the dropped rows.
 */
export async function findNearDuplicates(
  rows: readonly TextRow[],
  vecs: readonly Float32Array[],
  opts: SimilarityOptions = {},
): Promise<Map<string, string>> {
  const threshold = checkThreshold(opts.threshold ?? NEAR_DUPLICATE_THRESHOLD);
  checkLengths(rows, vecs, 'findNearDuplicates');
  const order = rows.map((_, i) => i).sort((a, b) => compareIds(rows[a]!.id, rows[b]!.id) || a - b);
  const keptByText = new Map<string, string>();
  const keptIds: string[] = [];
  const kept = new Matrix(vecs[0]?.length ?? 1, Math.min(rows.length, 1024));
  const out = new Map<string, string>();
  for (let n = 0; n < order.length; n++) {
    if (n > 0 && n % CHUNK === 0) {
      opts.onProgress?.();
      await breathe();
    }
    const i = order[n]!;
    const row = rows[i]!;
    const key = normaliseSentence(row.text);
    const same = keptByText.get(key);
    if (same !== undefined) {
      out.set(row.id, same);
      continue;
    }
    const { index, cosine } = kept.best(vecs[i]!);
    if (index >= 0 && cosine >= threshold) {
      out.set(row.id, keptIds[index]!);
      continue;
    }
    keptByText.set(key, row.id);
    keptIds.push(row.id);
    kept.push(vecs[i]!);
  }
  return out;
}

/** Embeds and checks in one step: row id → gold test id, for rows that leak into the test set. */
export async function leakageCheck(
  rows: readonly TextRow[],
  test: readonly TextRow[],
  embed: EmbedFn,
  opts: SimilarityOptions = {},
): Promise<Map<string, string>> {
  if (rows.length === 0 || test.length === 0) return new Map();
  const vecs = await embed([...rows.map((r) => r.text), ...test.map((t) => t.text)]);
  return findLeakage(rows, vecs.slice(0, rows.length), test, vecs.slice(rows.length), opts);
}

/** Embeds and groups in one step: the rows to keep (input order) and, for each dropped row, the id of the row it repeats. */
export async function removeNearDuplicates<T extends TextRow>(
  rows: readonly T[],
  embed: EmbedFn,
  opts: SimilarityOptions = {},
): Promise<{ kept: T[]; duplicateOf: Map<string, string> }> {
  const duplicateOf =
    rows.length < 2
      ? new Map<string, string>()
      : await findNearDuplicates(rows, await embed(rows.map((r) => r.text)), opts);
  return { kept: rows.filter((r) => !duplicateOf.has(r.id)), duplicateOf };
}
