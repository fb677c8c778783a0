// Paired comparison of two multi-label systems over seeds: F1 deltas, cluster-bootstrap CIs, approximate-randomisation p-values, Holm.
import { mulberry32 } from '../run/random.js';
import { f1FromCounts } from './metrics.js';

/**
 * Definitions (tests/reference/paired_bootstrap.py implements the same ones independently with numpy):
 *
 * - Counts. For every seed x of either system, sentence i and label l: TP = pred∋l ∧ gold∋l, FP = pred∋l ∧ gold∌l,
 *   FN = pred∌l ∧ gold∋l (label sets; labels outside `labels` are ignored, as scikit-learn's `labels=` does). They are
 *   summed per cluster (a note; a sentence whose cluster is undefined, null or '' is a cluster of its own; clusters are
 *   numbered in order of first appearance). A "weighting" w gives each cluster a multiplicity; the counts under w are
 *   Σ_c w_c · counts_c.
 * - Scores of one seed under w: F1_l = 2TP/(2TP+FP+FN), 0 when the denominator is 0 (zero_division=0); macro-F1 = the
 *   mean of F1_l over every label in `labels` (support 0 included); micro-F1 = 2ΣTP/(2ΣTP+ΣFP+ΣFN) summed over labels.
 * - Score of a system = the MEAN OVER ITS SEEDS of the seed scores (each seed's F1 from its own counts, never F1 of
 *   averaged counts). Δ(w) = score(system, w) − score(baseline, w). `delta` is Δ on the full data (every w_c = 1).
 *   The two systems may have different seed counts.
 * - Bootstrap: each resample draws nClusters clusters uniformly with replacement; the same draw is used for both
 *   systems, every seed and every label (a paired cluster bootstrap); Δ is recomputed. `ci` is the numpy 'linear'
 *   percentile interval [100·α/2, 100·(1−α/2)] of the resampled Δ.
 * - Approximate randomisation (two-sided): S₁ system seeds and S₂ baseline seeds form S₁·S₂ seed pairs (i, j). One
 *   permutation flips a fair coin per cluster; for every pair, pseudo-system A_ij takes seed i's predictions on
 *   unflipped clusters and baseline seed j's on flipped ones, pseudo-baseline B_ij the opposite (the same coins for
 *   every pair). Δ_perm = mean over pairs of [score(A_ij) − score(B_ij)]. With no flip this is exactly the observed Δ
 *   (Δ = mean_i s(sys_i) − mean_j s(base_j) = mean_ij [s(sys_i) − s(base_j)]), it is defined for unequal seed counts,
 *   and it does not depend on how seeds are numbered. p = (c + 1)/(R + 1) with c = #{|Δ_perm| ≥ |Δ_obs| − 1e-12}
 *   (the 1e-12 absorbs rounding so a permutation that reproduces Δ_obs counts as a tie).
 * - One PRNG stream, mulberry32(seed): the R bootstrap draws first (R·nClusters uniform cluster indices, floor(u·n)),
 *   then the R·nClusters permutation coins (flip when u < 0.5), cluster by cluster.
 */

export type LabelSets = readonly (readonly string[])[];

export interface PairedComparisonInput {
  /** Gold label set per sentence. */
  gold: LabelSets;
  /** The cluster (note) of each sentence; undefined, null or '' → the sentence is its own cluster. */
  clusters: readonly (string | null | undefined)[];
  /** The label list every F1 is computed over (macro-F1 averages over all of them). */
  labels: readonly string[];
  /** Seeds × sentences × predicted labels of the system being compared (e.g. a data mix). */
  system: readonly LabelSets[];
  /** Seeds × sentences × predicted labels of the baseline. */
  baseline: readonly LabelSets[];
  /** Number of bootstrap resamples, and of permutations for the p-value. */
  resamples: number;
  /** 1 − confidence of the intervals, e.g. 0.05 for 95 %. */
  alpha: number;
  seed: number;
}

export interface DeltaWithCi {
  delta: number;
  ci: [number, number];
}

export interface TestedDelta extends DeltaWithCi {
  /** Two-sided approximate-randomisation p-value. */
  p: number;
}

export interface PairedComparison {
  macroF1: TestedDelta;
  microF1: TestedDelta;
  perLabel: Record<string, DeltaWithCi>;
  /** Clusters (notes, and sentences without one) the resamples draw from. */
  clusters: number;
}

export interface Deltas {
  macroF1: number;
  microF1: number;
  /** Per-label F1 deltas, in the order of `labels`. */
  perLabel: Float64Array;
}

/** The count tensor of one comparison, ready for fast resampling (see the definitions at the top of this file). */
export interface PreparedComparison {
  readonly nClusters: number;
  /** Cluster names in index order (a sentence without a cluster is named `#<sentence index>`). */
  readonly clusterNames: readonly string[];
  /** Δ under cluster multiplicities `weights` (length nClusters). */
  deltaAt(weights: ArrayLike<number>): Deltas;
  /** Δ_perm of the randomisation test for one coin vector (`swap[c]` truthy: cluster c is flipped). */
  permutedDelta(swap: ArrayLike<number | boolean>): { macroF1: number; microF1: number };
}

const TIE = 1e-12;

/** numpy.percentile(sorted, q) with the default 'linear' method; `sorted` ascending, q in [0, 100]. */
export function percentile(sorted: Float64Array | readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('percentile: empty input');
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile: q must be in [0, 100], got ${q}`);
  for (let i = 0; i < n; i++) {
    const v = sorted[i] as number;
    if (Number.isNaN(v)) throw new RangeError('percentile: NaN in input');
    if (i > 0 && v < (sorted[i - 1] as number)) throw new RangeError('percentile: input is not sorted ascending');
  }
  const virtual = (q / 100) * (n - 1);
  const lo = Math.floor(virtual);
  const hi = Math.min(lo + 1, n - 1);
  const t = virtual - lo;
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  const diff = b - a;
  // numpy's _lerp: a + diff·t, computed from the upper end when t ≥ 0.5.
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * Holm–Bonferroni adjusted p-values, as statsmodels `multipletests(p, method='holm')`: with p sorted ascending,
 * adj_(i) = max over j ≤ i of min(1, (m − j)·p_(j)) (j from 0), returned in the input order.
 */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  for (const p of pValues) if (!(p >= 0 && p <= 1)) throw new RangeError(`holm: p-values must be in [0, 1], got ${p}`);
  const order = pValues.map((_p, i) => i).sort((a, b) => (pValues[a] as number) - (pValues[b] as number) || a - b);
  const out = new Array<number>(m).fill(0);
  let running = 0;
  order.forEach((idx, j) => {
    running = Math.max(running, Math.min(1, (m - j) * (pValues[idx] as number)));
    out[idx] = running;
  });
  return out;
}

function checkPredictions(name: string, seeds: readonly LabelSets[], n: number): void {
  if (seeds.length === 0) throw new RangeError(`pairedComparison: ${name} has no seeds`);
  seeds.forEach((s, x) => {
    if (s.length !== n)
      throw new RangeError(`pairedComparison: ${name} seed ${x} has ${s.length} sentences, gold has ${n}`);
  });
}

/**
 * Clusters numbered in order of first appearance (a sentence whose cluster is undefined, null or '' is a cluster of
 * its own, named `#<sentence index>`): `clusterOf[i]` is sentence i's cluster index.
 */
export function numberClusters(clusters: readonly (string | null | undefined)[]): {
  clusterOf: Int32Array;
  clusterNames: string[];
} {
  const clusterOf = new Int32Array(clusters.length);
  const clusterNames: string[] = [];
  const named = new Map<string, number>();
  for (let i = 0; i < clusters.length; i++) {
    const c = clusters[i];
    if (c === undefined || c === null || c === '') {
      clusterOf[i] = clusterNames.length;
      clusterNames.push(`#${i}`);
    } else {
      let id = named.get(c);
      if (id === undefined) {
        named.set(c, (id = clusterNames.length));
        clusterNames.push(c);
      }
      clusterOf[i] = id;
    }
  }
  return { clusterOf, clusterNames };
}

/** Builds the per-cluster count tensor: [cluster][config (system seeds, then baseline seeds)][label][TP, FP, FN]. */
export function prepareComparison(
  input: Pick<PairedComparisonInput, 'gold' | 'clusters' | 'labels' | 'system' | 'baseline'>,
): PreparedComparison {
  const { gold, clusters, labels, system, baseline } = input;
  const n = gold.length;
  if (clusters.length !== n)
    throw new RangeError(`pairedComparison: ${clusters.length} cluster entries for ${n} sentences`);
  checkPredictions('system', system, n);
  checkPredictions('baseline', baseline, n);
  const L = labels.length;
  if (L === 0) throw new RangeError('pairedComparison: empty label list');
  const labelIndex = new Map(labels.map((l, i) => [l, i] as const));
  if (labelIndex.size !== L) throw new RangeError('pairedComparison: duplicate label in labels');

  const { clusterOf, clusterNames } = numberClusters(clusters);
  const nC = clusterNames.length;

  // Per-sentence label bit arrays (Uint8Array) for gold and for each config; TP = p&g, FP = p&!g, FN = !p&g per
  // sentence and label, summed into the cluster counts.
  const goldBits = new Uint8Array(n * L);
  const bitsOf = (sets: LabelSets, into: Uint8Array): void => {
    into.fill(0);
    sets.forEach((set, i) => {
      for (const l of set) {
        const li = labelIndex.get(l);
        if (li !== undefined) into[i * L + li] = 1;
      }
    });
  };
  bitsOf(gold, goldBits);
  const configs = [...system, ...baseline];
  const X = configs.length;
  const stride = X * L * 3;
  const counts = new Int32Array(nC * stride);
  const pred = new Uint8Array(n * L);
  configs.forEach((sets, x) => {
    bitsOf(sets, pred);
    for (let i = 0; i < n; i++) {
      const base = (clusterOf[i] as number) * stride + x * L * 3;
      for (let l = 0; l < L; l++) {
        const p = pred[i * L + l] as number;
        const g = goldBits[i * L + l] as number;
        counts[base + l * 3] = (counts[base + l * 3] as number) + (p & g);
        counts[base + l * 3 + 1] = (counts[base + l * 3 + 1] as number) + (p & (g ^ 1));
        counts[base + l * 3 + 2] = (counts[base + l * 3 + 2] as number) + ((p ^ 1) & g);
      }
    }
  });
  return new Prepared(counts, nC, clusterNames, system.length, baseline.length, L);
}

const f1 = f1FromCounts;

class Prepared implements PreparedComparison {
  readonly stride: number;
  readonly total: Int32Array;
  /** Scratch: per config macro-F1, micro-F1 and per-label F1. */
  private readonly macro: Float64Array;
  private readonly micro: Float64Array;
  private readonly perLabelF1: Float64Array;
  private readonly acc: Float64Array;
  /** The non-zero cluster counts, compressed by cluster (CSR): cluster c owns entries start[c] .. start[c+1]-1. */
  private readonly start: Int32Array;
  private readonly at: Int32Array;
  private readonly value: Int32Array;

  constructor(
    readonly counts: Int32Array,
    readonly nClusters: number,
    readonly clusterNames: readonly string[],
    readonly S1: number,
    readonly S2: number,
    readonly L: number,
  ) {
    const X = S1 + S2;
    this.stride = X * L * 3;
    this.total = new Int32Array(this.stride);
    for (let c = 0; c < nClusters; c++)
      for (let t = 0; t < this.stride; t++)
        this.total[t] = (this.total[t] as number) + (counts[c * this.stride + t] as number);
    this.macro = new Float64Array(X);
    this.micro = new Float64Array(X);
    this.perLabelF1 = new Float64Array(X * L);
    this.acc = new Float64Array(this.stride);
    // Most TP/FP/FN counts of a small cluster are 0 (true negatives): resampling only touches the non-zero ones.
    let nonZero = 0;
    for (let t = 0; t < counts.length; t++) if (counts[t] !== 0) nonZero++;
    this.start = new Int32Array(nClusters + 1);
    this.at = new Int32Array(nonZero);
    this.value = new Int32Array(nonZero);
    let e = 0;
    for (let c = 0; c < nClusters; c++) {
      this.start[c] = e;
      for (let t = 0; t < this.stride; t++) {
        const v = counts[c * this.stride + t] as number;
        if (v !== 0) {
          this.at[e] = t;
          this.value[e++] = v;
        }
      }
    }
    this.start[nClusters] = e;
  }

  /** acc += counts of cluster c (sparse). */
  private add(acc: Int32Array | Float64Array, c: number): void {
    const { at, value } = this;
    const end = this.start[c + 1] as number;
    for (let e = this.start[c] as number; e < end; e++) {
      const t = at[e] as number;
      acc[t] = (acc[t] as number) + (value[e] as number);
    }
  }

  /** Scores every config from summed counts `acc` into the scratch arrays. */
  score(acc: ArrayLike<number>): void {
    const { L } = this;
    const X = this.S1 + this.S2;
    for (let x = 0; x < X; x++) {
      let macroSum = 0;
      let tpS = 0;
      let fpS = 0;
      let fnS = 0;
      for (let l = 0; l < L; l++) {
        const o = (x * L + l) * 3;
        const tp = acc[o] as number;
        const fp = acc[o + 1] as number;
        const fn = acc[o + 2] as number;
        const f = f1(tp, fp, fn);
        this.perLabelF1[x * L + l] = f;
        macroSum += f;
        tpS += tp;
        fpS += fp;
        fnS += fn;
      }
      this.macro[x] = macroSum / L;
      this.micro[x] = f1(tpS, fpS, fnS);
    }
  }

  /** Δ macro and micro from the scratch scores (mean over system seeds − mean over baseline seeds). */
  private macroMicroDelta(): [number, number] {
    const { S1, S2 } = this;
    let ms = 0;
    let us = 0;
    for (let x = 0; x < S1; x++) {
      ms += this.macro[x] as number;
      us += this.micro[x] as number;
    }
    let mb = 0;
    let ub = 0;
    for (let x = S1; x < S1 + S2; x++) {
      mb += this.macro[x] as number;
      ub += this.micro[x] as number;
    }
    return [ms / S1 - mb / S2, us / S1 - ub / S2];
  }

  /** Per-label Δ from the scratch scores into `out` at `offset`. */
  private perLabelDelta(out: Float64Array, offset: number): void {
    const { S1, S2, L } = this;
    for (let l = 0; l < L; l++) {
      let s = 0;
      for (let x = 0; x < S1; x++) s += this.perLabelF1[x * L + l] as number;
      let b = 0;
      for (let x = S1; x < S1 + S2; x++) b += this.perLabelF1[x * L + l] as number;
      out[offset + l] = s / S1 - b / S2;
    }
  }

  deltaAt(weights: ArrayLike<number>): Deltas {
    if (weights.length !== this.nClusters)
      throw new RangeError(`deltaAt: ${weights.length} weights for ${this.nClusters} clusters`);
    const { acc, counts, stride } = this;
    acc.fill(0);
    for (let c = 0; c < this.nClusters; c++) {
      const w = weights[c] as number;
      if (w === 0) continue;
      const base = c * stride;
      for (let t = 0; t < stride; t++) acc[t] = (acc[t] as number) + w * (counts[base + t] as number);
    }
    this.score(acc);
    const [macroF1, microF1] = this.macroMicroDelta();
    const perLabel = new Float64Array(this.L);
    this.perLabelDelta(perLabel, 0);
    return { macroF1, microF1, perLabel };
  }

  /** Sums the counts of resampled clusters into `acc`: R resamples, each nClusters uniform draws from `rand`. */
  bootstrap(R: number, rand: () => number): { macro: Float64Array; micro: Float64Array; perLabel: Float64Array } {
    const { nClusters: nC, stride, L } = this;
    const acc = new Int32Array(stride);
    const macro = new Float64Array(R);
    const micro = new Float64Array(R);
    const perLabel = new Float64Array(R * L);
    for (let r = 0; r < R; r++) {
      acc.fill(0);
      for (let d = 0; d < nC; d++) this.add(acc, Math.floor(rand() * nC));
      this.score(acc);
      const [dm, du] = this.macroMicroDelta();
      macro[r] = dm;
      micro[r] = du;
      this.perLabelDelta(perLabel, r * L);
    }
    return { macro, micro, perLabel };
  }

  /** Δ_perm for the flipped-cluster sums `flipped` (same layout as `total`). */
  private permDeltaFrom(flipped: ArrayLike<number>): [number, number] {
    const { S1, S2, L, total } = this;
    let macroSum = 0;
    let microSum = 0;
    for (let i = 0; i < S1; i++) {
      const oi = i * L * 3;
      for (let j = 0; j < S2; j++) {
        const oj = (S1 + j) * L * 3;
        let fa = 0;
        let fb = 0;
        let tpA = 0,
          fpA = 0,
          fnA = 0,
          tpB = 0,
          fpB = 0,
          fnB = 0;
        for (let l = 0; l < L; l++) {
          const a = oi + l * 3;
          const b = oj + l * 3;
          // A_ij: seed i minus its flipped clusters plus baseline seed j's; B_ij the mirror image.
          const ta = (total[a] as number) - (flipped[a] as number) + (flipped[b] as number);
          const pa = (total[a + 1] as number) - (flipped[a + 1] as number) + (flipped[b + 1] as number);
          const na = (total[a + 2] as number) - (flipped[a + 2] as number) + (flipped[b + 2] as number);
          const tb = (total[b] as number) - (flipped[b] as number) + (flipped[a] as number);
          const pb = (total[b + 1] as number) - (flipped[b + 1] as number) + (flipped[a + 1] as number);
          const nb = (total[b + 2] as number) - (flipped[b + 2] as number) + (flipped[a + 2] as number);
          fa += f1(ta, pa, na);
          fb += f1(tb, pb, nb);
          tpA += ta;
          fpA += pa;
          fnA += na;
          tpB += tb;
          fpB += pb;
          fnB += nb;
        }
        macroSum += (fa - fb) / L;
        microSum += f1(tpA, fpA, fnA) - f1(tpB, fpB, fnB);
      }
    }
    return [macroSum / (S1 * S2), microSum / (S1 * S2)];
  }

  permutedDelta(swap: ArrayLike<number | boolean>): { macroF1: number; microF1: number } {
    if (swap.length !== this.nClusters)
      throw new RangeError(`permutedDelta: ${swap.length} coins for ${this.nClusters} clusters`);
    const { acc } = this;
    acc.fill(0);
    for (let c = 0; c < this.nClusters; c++) if (swap[c]) this.add(acc, c);
    const [macroF1, microF1] = this.permDeltaFrom(acc);
    return { macroF1, microF1 };
  }

  /** Counts permutations with |Δ_perm| ≥ |Δ_obs| (minus a rounding tolerance) for macro and micro. */
  permutationCounts(R: number, rand: () => number, obsMacro: number, obsMicro: number): [number, number] {
    const { nClusters: nC, stride } = this;
    const flipped = new Int32Array(stride);
    const limMacro = Math.abs(obsMacro) - TIE;
    const limMicro = Math.abs(obsMicro) - TIE;
    let cMacro = 0;
    let cMicro = 0;
    for (let r = 0; r < R; r++) {
      flipped.fill(0);
      for (let c = 0; c < nC; c++) if (rand() < 0.5) this.add(flipped, c);
      const [dm, du] = this.permDeltaFrom(flipped);
      if (Math.abs(dm) >= limMacro) cMacro++;
      if (Math.abs(du) >= limMicro) cMicro++;
    }
    return [cMacro, cMicro];
  }
}

/** The numpy-linear percentile interval [100·α/2, 100·(1−α/2)] of `values` (sorted in place). */
export function interval(values: Float64Array, alpha: number): [number, number] {
  values.sort();
  return [percentile(values, (100 * alpha) / 2), percentile(values, 100 * (1 - alpha / 2))];
}

/**
 * Paired comparison of `system` against `baseline` on the same sentences: Δ macro-F1, Δ micro-F1 and per-label ΔF1
 * (system − baseline, each the mean over that system's seeds), paired cluster-bootstrap percentile CIs, and
 * approximate-randomisation p-values for macro and micro. Exact definitions: the comment at the top of this file.
 * Deterministic for a seed.
 */
export function pairedComparison(input: PairedComparisonInput): PairedComparison {
  const { resamples: R, alpha, seed, labels } = input;
  if (!Number.isInteger(R) || R < 1)
    throw new RangeError(`pairedComparison: resamples must be a positive integer, got ${R}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`pairedComparison: alpha must be in (0, 1), got ${alpha}`);
  const prep = prepareComparison(input) as Prepared;
  const observed = prep.deltaAt(new Float64Array(prep.nClusters).fill(1));
  const rand = mulberry32(seed);
  const boot = prep.bootstrap(R, rand);
  const [cMacro, cMicro] = prep.permutationCounts(R, rand, observed.macroF1, observed.microF1);

  const L = labels.length;
  const perLabel: Record<string, DeltaWithCi> = {};
  const column = new Float64Array(R);
  labels.forEach((label, l) => {
    for (let r = 0; r < R; r++) column[r] = boot.perLabel[r * L + l] as number;
    perLabel[label] = { delta: observed.perLabel[l] as number, ci: interval(column, alpha) };
  });
  return {
    macroF1: { delta: observed.macroF1, ci: interval(boot.macro, alpha), p: (cMacro + 1) / (R + 1) },
    microF1: { delta: observed.microF1, ci: interval(boot.micro, alpha), p: (cMicro + 1) / (R + 1) },
    perLabel,
    clusters: prep.nClusters,
  };
}
