// Unit tests for lib/evaluate/split.ts: group-disjoint, deterministic train/test splits and the seeded PRNG.
import { describe, expect, it } from 'vitest';
import { mulberry32, shuffled } from '../../lib/run/random.js';
import { splitByGroup } from '../../lib/evaluate/split.js';

const rows = Array.from({ length: 300 }, (_, i) => ({
  id: `s${i}`,
  noteId: i % 7 === 0 ? undefined : `note${i % 41}`,
}));

describe('splitByGroup', () => {
  it('never puts a note on both sides and covers every row once', () => {
    for (const seed of [1, 2, 3, 42]) {
      const { train, test } = splitByGroup(rows, 0.2, seed);
      expect(train.length + test.length).toBe(rows.length);
      expect(new Set([...train, ...test]).size).toBe(rows.length);
      const noteOf = new Map(rows.map((r) => [r.id, r.noteId ?? r.id]));
      const trainNotes = new Set(train.map((id) => noteOf.get(id)));
      for (const id of test) expect(trainNotes.has(noteOf.get(id))).toBe(false);
      expect(Math.abs(test.length - 60)).toBeLessThanOrEqual(10); // close to the share (groups are ~7 rows)
    }
  });

  it('is deterministic, seed-dependent and independent of row order', () => {
    const a = splitByGroup(rows, 0.25, 7);
    expect(splitByGroup(rows, 0.25, 7)).toEqual(a);
    expect(splitByGroup(rows, 0.25, 8).test).not.toEqual(a.test);
    const reversed = splitByGroup([...rows].reverse(), 0.25, 7);
    expect(new Set(reversed.test)).toEqual(new Set(a.test));
  });

  it('falls back to the row id as the group and handles the edges', () => {
    const solo = [{ id: 'x' }, { id: 'y' }, { id: 'z' }, { id: 'w' }];
    expect(splitByGroup(solo, 0.5, 1).test).toHaveLength(2);
    expect(splitByGroup(solo, 0, 1)).toEqual({ train: ['x', 'y', 'z', 'w'], test: [] });
    expect(splitByGroup(solo, 1, 1).test).toHaveLength(4);
    expect(() => splitByGroup([{ id: 'a' }, { id: 'a' }], 0.5, 1)).toThrow(/duplicate id/);
    expect(() => splitByGroup(solo, 1.5, 1)).toThrow(RangeError);
  });
});

describe('mulberry32 / shuffled', () => {
  it('repeats for a seed and stays in [0, 1)', () => {
    const a = mulberry32(5);
    const b = mulberry32(5);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(shuffled([1, 2, 3, 4, 5], mulberry32(1)).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});
