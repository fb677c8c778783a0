// Out-of-fold evaluation splits: note-grouped iterative multi-label stratified k-fold, and nested learning-curve samples.
import { mulberry32, shuffled } from '../run/random.js';

export interface FoldRow {
  id: string;
  /** The note the row came from; rows of one note always share a fold. Missing or empty: the row is its own group. */
  noteId?: string;
  labels: readonly string[];
}

/** Tolerance for comparing two fold desires (they are a shared fraction minus integers, so exact in practice). */
const TIE = 1e-9;

interface Group {
  rows: number[];
  /** Per label index (the pseudo-label "none" last): how many of the group's rows carry it. */
  counts: Map<number, number>;
}

/**
 * Assigns each row a fold 0..k-1 (returned in input order) for k-fold cross-validation with these guarantees:
 *
 * - Rows of the same note (`noteId`) share a fold; rows without a note are groups of one.
 * - Folds are balanced for every label by iterative stratification (Sechidis, Tsoumakas & Vlahavas 2011) applied to
 *   groups: a group is one item whose label counts are the sums over its rows (a row with no labels counts once for a
 *   pseudo-label "none", so unlabelled rows are spread too). Each fold j wants total_l / k of every label l and N / k
 *   rows, less what it has received. Repeatedly, the label carried by the fewest unassigned groups (ties: label name
 *   order, "none" last) is taken and each unassigned group carrying it goes to the fold that most wants that label;
 *   ties go to the fold that most wants rows, then to a seeded random one. Two refinements of the paper's procedure,
 *   for groups (multi-row items whose other labels come along): (a) within one label's batch the groups are placed
 *   largest first (most rows of the label, then most rows), and (b) folds whose want for the label is less than one
 *   row below the best are tied, and the tie goes first to the fold that most wants the whole group,
 *   Σ_labels rows_l × want_jl / total_l, before the rows and random tie-breaks. On note-grouped synthetic data they
 *   cut the worst per-fold deviation from the ideal count roughly in half (tests/unit/folds.test.ts checks a bound).
 *   Every fold receives at least one group (a fold with nothing yet always wins its ties).
 * - Deterministic for a seed and independent of the input order: group keys are sorted before a seeded shuffle fixes
 *   the order in which groups are visited.
 *
 * Throws RangeError when k is not an integer ≥ 2 or exceeds the number of groups, and Error on a duplicate row id.
 */
export function stratifiedGroupFolds(rows: readonly FoldRow[], k: number, seed: number): number[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`stratifiedGroupFolds: k must be an integer ≥ 2, got ${k}`);
  const seen = new Set<string>();
  for (const r of rows) {
    if (seen.has(r.id)) throw new Error(`stratifiedGroupFolds: duplicate row id ${JSON.stringify(r.id)}`);
    seen.add(r.id);
  }

  // Label indices in code-unit order of the names; the pseudo-label "none" (rows without labels) is the last index,
  // kept apart from any real label that happens to be called "none".
  const labelNames = [...new Set(rows.flatMap((r) => r.labels))].sort();
  const labelIndex = new Map(labelNames.map((l, i) => [l, i] as const));
  const NONE = labelNames.length;
  const nLabels = labelNames.length + 1;

  // Groups, keyed so that a note id can never collide with a lone row's id. Like noteGroupKey (lib/run/records.ts)
  // but with 'r:' for lone rows: the keys are sorted before the seeded shuffle, so the prefix fixes the folds.
  const groups = new Map<string, Group>();
  rows.forEach((r, i) => {
    const key = r.noteId ? `n:${r.noteId}` : `r:${r.id}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { rows: [], counts: new Map() }));
    g.rows.push(i);
    const own = new Set(r.labels.map((l) => labelIndex.get(l) as number));
    if (own.size === 0) own.add(NONE);
    for (const l of own) g.counts.set(l, (g.counts.get(l) ?? 0) + 1);
  });
  if (k > groups.size) {
    throw new RangeError(
      `stratifiedGroupFolds: k = ${k} folds but only ${groups.size} group(s) (notes plus rows without a note); use k ≤ ${groups.size}`,
    );
  }

  const rand = mulberry32(seed);
  const order = shuffled([...groups.keys()].sort(), rand).map((key) => groups.get(key) as Group);

  // What each fold still wants: per label (fold-major) and in rows.
  const totals = new Float64Array(nLabels);
  const remaining = new Int32Array(nLabels); // unassigned groups carrying each label
  for (const g of order) {
    for (const [l, c] of g.counts) {
      totals[l] = (totals[l] as number) + c;
      remaining[l] = (remaining[l] as number) + 1;
    }
  }
  const wantLabel = new Float64Array(k * nLabels);
  for (let j = 0; j < k; j++) for (let l = 0; l < nLabels; l++) wantLabel[j * nLabels + l] = (totals[l] as number) / k;
  const wantRows = new Float64Array(k).fill(rows.length / k);

  const fold = new Array<number>(rows.length).fill(-1);
  const done = new Uint8Array(order.length);
  const ties: number[] = [];
  const keep = (score: (j: number) => number): void => {
    let best = -Infinity;
    for (const j of ties) best = Math.max(best, score(j));
    const kept = ties.filter((j) => score(j) >= best - TIE);
    ties.length = 0;
    ties.push(...kept);
  };
  for (let left = order.length; left > 0;) {
    // The label carried by the fewest unassigned groups (at least one); ties: the first in label order.
    let label = -1;
    for (let l = 0; l < nLabels; l++) {
      const n = remaining[l] as number;
      if (n > 0 && (label < 0 || n < (remaining[label] as number))) label = l;
    }
    // Its groups, largest first (most rows carrying the label, then most rows; then the seeded order), so that the
    // small groups even out what the large ones leave.
    const batch: number[] = [];
    for (let gi = 0; gi < order.length; gi++) if (!done[gi] && (order[gi] as Group).counts.has(label)) batch.push(gi);
    const carried = (gi: number): number => (order[gi] as Group).counts.get(label) as number;
    const size = (gi: number): number => (order[gi] as Group).rows.length;
    batch.sort((a, b) => carried(b) - carried(a) || size(b) - size(a) || a - b);
    for (const gi of batch) {
      const g = order[gi] as Group;
      // 1. The folds that most want the label, where wants less than one row apart count as equal.
      let best = -Infinity;
      for (let j = 0; j < k; j++) best = Math.max(best, wantLabel[j * nLabels + label] as number);
      ties.length = 0;
      for (let j = 0; j < k; j++) if ((wantLabel[j * nLabels + label] as number) > best - 1 + TIE) ties.push(j);
      // 2. Among those, the fold that most wants the whole group: Σ over its labels of rows × want / label total.
      if (ties.length > 1) {
        keep((j) => {
          let need = 0;
          for (const [l, c] of g.counts) need += (c * (wantLabel[j * nLabels + l] as number)) / (totals[l] as number);
          return need;
        });
      }
      // 3. The fold that most wants rows; 4. a seeded random one.
      if (ties.length > 1) keep((j) => wantRows[j] as number);
      const j = ties.length === 1 ? (ties[0] as number) : (ties[Math.floor(rand() * ties.length)] as number);
      for (const [l, c] of g.counts) {
        wantLabel[j * nLabels + l] = (wantLabel[j * nLabels + l] as number) - c;
        remaining[l] = (remaining[l] as number) - 1;
      }
      wantRows[j] = (wantRows[j] as number) - g.rows.length;
      for (const r of g.rows) fold[r] = j;
      done[gi] = 1;
      left--;
    }
  }
  return fold;
}

/**
 * Nested learning-curve samples: one seeded permutation of the groups (`groupOf`; without it each item is its own
 * group), and share s takes the items of the first max(1, round(s × groups)) groups of that permutation (all of them
 * for s = 1). Samples are therefore nested: the 0.25 sample lies inside the 0.5 sample for the same seed. Group keys are
 * sorted before the shuffle, so with `groupOf` the samples do not depend on the input order. Items keep their input
 * order inside a sample. Keys of the returned map are the shares as given. Throws RangeError for a share outside (0, 1].
 */
export function sampleShare<T>(
  items: readonly T[],
  shares: readonly number[],
  seed: number,
  groupOf?: (t: T) => string,
): Map<number, T[]> {
  for (const s of shares) {
    if (!(Number.isFinite(s) && s > 0 && s <= 1))
      throw new RangeError(`sampleShare: every share must be in (0, 1], got ${s}`);
  }
  const keyOf = groupOf ?? ((_t: T, i: number) => String(i));
  const keys = items.map((t, i) => keyOf(t, i));
  const distinct = [...new Set(keys)];
  if (groupOf) distinct.sort();
  const rank = new Map(shuffled(distinct, mulberry32(seed)).map((key, i) => [key, i] as const));
  const out = new Map<number, T[]>();
  for (const s of shares) {
    const take = s === 1 ? distinct.length : Math.min(distinct.length, Math.max(1, Math.round(s * distinct.length)));
    out.set(
      s,
      items.filter((_t, i) => (rank.get(keys[i] as string) as number) < take),
    );
  }
  return out;
}
