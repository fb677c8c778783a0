// Label-stratified, seeded splits of a head's training rows: the holdout for thresholds and the k folds of 'cv' tuning.
import { mulberry32, shuffled } from '../run/random.js';

/**
 * Validation rows for threshold tuning, stratified by label: labels are taken rarest first and each gets about
 * share × its positives in validation (at least one when it has two or more, always leaving one for fitting); rows
 * with no label fill validation up to round(share × n). Seeded and deterministic. Indices are sorted.
 */
export function stratifiedValidationSplit(
  Y: readonly Uint8Array[],
  n: number,
  share: number,
  seed: number,
): { fit: number[]; val: number[] } {
  const rand = mulberry32(seed);
  const inVal = new Uint8Array(n);
  const assigned = new Uint8Array(n);
  const positives = Y.map((y) => y.reduce((s, a) => s + a, 0));
  const order = Y.map((_, j) => j).sort((a, b) => positives[a]! - positives[b]! || a - b);
  for (const j of order) {
    const pos = positives[j]!;
    if (pos === 0) continue;
    let want = pos >= 2 ? Math.min(pos - 1, Math.max(1, Math.round(share * pos))) : 0;
    let haveFit = 0;
    const free: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!Y[j]![i]) continue;
      if (!assigned[i]) free.push(i);
      else if (inVal[i]) want--;
      else haveFit++;
    }
    for (const i of shuffled(free, rand)) {
      assigned[i] = 1;
      // keep one positive for fitting if none is there yet
      if (want > 0 && (haveFit > 0 || free.length > 1)) {
        inVal[i] = 1;
        want--;
      } else haveFit++;
    }
  }
  const target = Math.round(share * n);
  let valCount = inVal.reduce((s, a) => s + a, 0);
  const rest: number[] = [];
  for (let i = 0; i < n; i++) if (!assigned[i]) rest.push(i);
  for (const i of shuffled(rest, rand)) {
    if (valCount < target) {
      inVal[i] = 1;
      valCount++;
    }
  }
  const fit: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < n; i++) (inVal[i] ? val : fit).push(i);
  return { fit, val };
}

/**
 * Fold number (0…k−1) per row, stratified by label: labels rarest first, each positive row not yet placed goes to
 * the fold with the fewest positives of that label (then the fewest rows); unlabelled rows then fill the smallest
 * folds. Seeded and deterministic.
 */
export function stratifiedFolds(Y: readonly Uint8Array[], n: number, k: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const fold = new Array<number>(n).fill(-1);
  const size = new Array<number>(k).fill(0);
  const positives = Y.map((y) => y.reduce((s, a) => s + a, 0));
  const order = Y.map((_, j) => j).sort((a, b) => positives[a]! - positives[b]! || a - b);
  const place = (i: number, perFold: number[] | null) => {
    let best = 0;
    for (let f = 1; f < k; f++) {
      const a = perFold ? perFold[f]! - perFold[best]! : 0;
      if (a < 0 || (a === 0 && size[f]! < size[best]!)) best = f;
    }
    fold[i] = best;
    size[best]!++;
    if (perFold) perFold[best]!++;
  };
  for (const j of order) {
    const perFold = new Array<number>(k).fill(0);
    const free: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!Y[j]![i]) continue;
      if (fold[i]! >= 0) perFold[fold[i]!]!++;
      else free.push(i);
    }
    for (const i of shuffled(free, rand)) place(i, perFold);
  }
  const rest: number[] = [];
  for (let i = 0; i < n; i++) if (fold[i]! < 0) rest.push(i);
  for (const i of shuffled(rest, rand)) place(i, null);
  return fold;
}
