// Unit tests for lib/evaluate/folds.ts: note-grouped stratified k-fold and nested learning-curve samples.
import { describe, expect, it } from 'vitest';
import { sampleShare, stratifiedGroupFolds, type FoldRow } from '../../lib/evaluate/folds.js';
import { mulberry32, shuffled } from '../../lib/run/random.js';

const LABELS = ['memory', 'language', 'behaviour', 'orientation', 'adl', 'rare'];
const FREQ = [0.45, 0.3, 0.2, 0.12, 0.08, 0.015];

/** ~90 notes of 1–6 sentences plus 25 note-less rows; skewed label frequencies, many rows without labels. */
function synthetic(seed = 7): FoldRow[] {
  const rand = mulberry32(seed);
  const rows: FoldRow[] = [];
  const row = (noteId: string | undefined): void => {
    const labels = LABELS.filter((_l, i) => rand() < (FREQ[i] as number));
    rows.push({ id: `s${rows.length}`, ...(noteId === undefined ? {} : { noteId }), labels });
  };
  for (let n = 0; n < 90; n++) {
    const size = 1 + Math.floor(rand() * 6);
    for (let s = 0; s < size; s++) row(`note-${n}`);
  }
  for (let i = 0; i < 25; i++) row(i % 5 === 0 ? '' : undefined);
  return rows;
}

const groupKey = (r: FoldRow): string => (r.noteId ? `n:${r.noteId}` : `r:${r.id}`);

describe('stratifiedGroupFolds', () => {
  const rows = synthetic();
  const k = 5;
  const folds = stratifiedGroupFolds(rows, k, 42);

  it('gives every row exactly one fold in 0..k-1 and leaves no fold empty', () => {
    expect(folds).toHaveLength(rows.length);
    for (const f of folds) expect(Number.isInteger(f) && f >= 0 && f < k).toBe(true);
    expect(new Set(folds).size).toBe(k);
  });

  it('never splits a note across folds; note-less rows are their own groups', () => {
    const foldOf = new Map<string, number>();
    rows.forEach((r, i) => {
      const key = groupKey(r);
      const f = folds[i] as number;
      if (foldOf.has(key)) expect(foldOf.get(key)).toBe(f);
      else foldOf.set(key, f);
    });
    expect(foldOf.size).toBe(90 + 25);
  });

  it('balances every label (and label-less rows) within one group size of the ideal, and rows too', () => {
    const sizes = new Map<string, number>();
    for (const r of rows) sizes.set(groupKey(r), (sizes.get(groupKey(r)) ?? 0) + 1);
    const maxGroup = Math.max(...sizes.values());
    const carries = [...LABELS.map((l) => (r: FoldRow) => r.labels.includes(l)), (r: FoldRow) => r.labels.length === 0];
    for (const has of carries) {
      const perFold = new Array<number>(k).fill(0);
      rows.forEach((r, i) => {
        if (has(r)) perFold[folds[i] as number]! += 1;
      });
      const ideal = perFold.reduce((a, b) => a + b, 0) / k;
      for (const c of perFold) expect(Math.abs(c - ideal)).toBeLessThanOrEqual(maxGroup);
    }
    const perFoldRows = new Array<number>(k).fill(0);
    for (const f of folds) perFoldRows[f]! += 1;
    for (const c of perFoldRows) expect(Math.abs(c - rows.length / k)).toBeLessThanOrEqual(maxGroup);
  });

  it('balances labels far better than a seeded random assignment of whole notes', () => {
    // Σ over labels of the squared deviation from the ideal per-fold count, summed over 5 seeds.
    const imbalance = (f: readonly number[]): number => {
      let sum = 0;
      for (const has of [
        ...LABELS.map((l) => (r: FoldRow) => r.labels.includes(l)),
        (r: FoldRow) => r.labels.length === 0,
      ]) {
        const perFold = new Array<number>(k).fill(0);
        rows.forEach((r, i) => {
          if (has(r)) perFold[f[i] as number]! += 1;
        });
        const ideal = perFold.reduce((a, b) => a + b, 0) / k;
        for (const c of perFold) sum += (c - ideal) ** 2;
      }
      return sum;
    };
    let stratified = 0;
    let random = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      stratified += imbalance(stratifiedGroupFolds(rows, k, seed));
      const rand = mulberry32(seed);
      const foldOf = new Map<string, number>();
      random += imbalance(
        rows.map((r) => foldOf.get(groupKey(r)) ?? foldOf.set(groupKey(r), Math.floor(rand() * k)).get(groupKey(r))!),
      );
    }
    expect(stratified).toBeLessThan(random / 20); // about 1/85 on this set
  });

  it('spreads a label carried by exactly k groups over all k folds', () => {
    const few: FoldRow[] = [];
    for (let g = 0; g < 12; g++)
      few.push(
        { id: `a${g}`, noteId: `n${g}`, labels: g < 4 ? ['x'] : [] },
        { id: `b${g}`, noteId: `n${g}`, labels: [] },
      );
    const f = stratifiedGroupFolds(few, 4, 1);
    expect(new Set(few.flatMap((r, i) => (r.labels.includes('x') ? [f[i]] : []))).size).toBe(4);
  });

  it('is deterministic for a seed, independent of the input order, and changes with the seed', () => {
    expect(stratifiedGroupFolds(rows, k, 42)).toEqual(folds);
    const perm = shuffled(
      rows.map((_r, i) => i),
      mulberry32(99),
    );
    const again = stratifiedGroupFolds(
      perm.map((i) => rows[i] as FoldRow),
      k,
      42,
    );
    perm.forEach((orig, pos) => expect(again[pos]).toBe(folds[orig]));
    expect(stratifiedGroupFolds(rows, k, 43)).not.toEqual(folds);
  });

  it('keeps a real label called "none" apart from the label-less pseudo-label', () => {
    const r: FoldRow[] = [
      { id: '1', labels: ['none'] },
      { id: '2', labels: ['none'] },
      { id: '3', labels: [] },
      { id: '4', labels: [] },
    ];
    const f = stratifiedGroupFolds(r, 2, 3);
    expect(f[0]).not.toBe(f[1]);
    expect(f[2]).not.toBe(f[3]);
  });

  it('rejects k > groups, k < 2, non-integer k and duplicate ids', () => {
    const r: FoldRow[] = [
      { id: 'a', noteId: 'n1', labels: ['x'] },
      { id: 'b', noteId: 'n1', labels: [] },
      { id: 'c', labels: ['x'] },
    ];
    expect(() => stratifiedGroupFolds(r, 3, 1)).toThrow(RangeError);
    expect(() => stratifiedGroupFolds(r, 3, 1)).toThrow(/only 2 group/);
    expect(() => stratifiedGroupFolds(r, 1, 1)).toThrow(RangeError);
    expect(() => stratifiedGroupFolds(r, 2.5, 1)).toThrow(RangeError);
    const ok = stratifiedGroupFolds(r, 2, 1); // k = groups is allowed: one group per fold
    expect(ok[0]).toBe(ok[1]);
    expect(ok[2]).not.toBe(ok[0]);
    expect(() => stratifiedGroupFolds([...r, { id: 'a', labels: [] }], 2, 1)).toThrow(/duplicate row id "a"/);
  });
});

describe('sampleShare', () => {
  const items = Array.from({ length: 200 }, (_v, i) => ({ id: i, note: `n${i % 40}` }));

  it('returns nested samples of the right number of groups, all for share 1', () => {
    const m = sampleShare(items, [0.25, 0.5, 1], 5, (t) => t.note);
    const q = m.get(0.25)!;
    const h = m.get(0.5)!;
    expect(new Set(q.map((t) => t.note)).size).toBe(10);
    expect(new Set(h.map((t) => t.note)).size).toBe(20);
    expect(q).toHaveLength(50); // groups are kept whole (5 items each)
    const inHalf = new Set(h);
    for (const t of q) expect(inHalf.has(t)).toBe(true);
    expect(m.get(1)).toEqual(items);
  });

  it('samples single items without groupOf, nested and in input order', () => {
    const m = sampleShare(items, [0.1, 0.3], 8);
    const a = m.get(0.1)!;
    const b = m.get(0.3)!;
    expect(a).toHaveLength(20);
    expect(b).toHaveLength(60);
    const inB = new Set(b);
    for (const t of a) expect(inB.has(t)).toBe(true);
    expect(b.map((t) => t.id)).toEqual([...b.map((t) => t.id)].sort((x, y) => x - y));
  });

  it('is deterministic, independent of input order with groupOf, and seed-dependent', () => {
    const a = sampleShare(items, [0.5], 5, (t) => t.note).get(0.5)!;
    expect(sampleShare(items, [0.5], 5, (t) => t.note).get(0.5)).toEqual(a);
    const rev = sampleShare([...items].reverse(), [0.5], 5, (t) => t.note).get(0.5)!;
    expect(new Set(rev.map((t) => t.id))).toEqual(new Set(a.map((t) => t.id)));
    expect(
      new Set(
        sampleShare(items, [0.5], 6, (t) => t.note)
          .get(0.5)!
          .map((t) => t.note),
      ),
    ).not.toEqual(new Set(a.map((t) => t.note)));
  });

  it('takes at least one group and rejects shares outside (0, 1]', () => {
    expect(sampleShare(items, [0.001], 1, (t) => t.note).get(0.001)).toHaveLength(5);
    for (const bad of [0, -0.1, 1.5, Number.NaN]) expect(() => sampleShare(items, [bad], 1)).toThrow(RangeError);
  });
});
