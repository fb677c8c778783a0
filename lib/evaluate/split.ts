// Seeded, deterministic data splits: train/test by note (no note on both sides).
import { mulberry32, shuffled } from '../run/random.js';
import { noteGroupKey } from '../run/records.js';

export interface SplitRow {
  id: string;
  /** The group (note) a row belongs to; rows without one are their own group. */
  noteId?: string;
}

/**
 * Splits rows into train and test so that no group (noteId, else the row's own id) is on both sides.
 * Groups are taken in a seeded random order and added to test while that brings the test size closer to
 * round(testShare × rows); the result depends on the rows' content and the seed, not on the rows' order.
 * Ids come back in the input order. Duplicate ids are an error (they would make the split ambiguous).
 */
export function splitByGroup(
  rows: readonly SplitRow[],
  testShare: number,
  seed: number,
): { train: string[]; test: string[] } {
  if (!(testShare >= 0 && testShare <= 1)) throw new RangeError(`testShare must be in [0, 1], got ${testShare}`);
  const groups = new Map<string, number>();
  const seen = new Set<string>();
  for (const r of rows) {
    if (seen.has(r.id)) throw new Error(`splitByGroup: duplicate id ${JSON.stringify(r.id)}`);
    seen.add(r.id);
    const g = noteGroupKey(r);
    groups.set(g, (groups.get(g) ?? 0) + 1);
  }
  const target = Math.round(testShare * rows.length);
  const order = shuffled([...groups.keys()].sort(), mulberry32(seed));
  const testGroups = new Set<string>();
  let testCount = 0;
  for (const g of order) {
    if (testCount >= target) break;
    const size = groups.get(g) ?? 0;
    if (Math.abs(testCount + size - target) < Math.abs(testCount - target)) {
      testGroups.add(g);
      testCount += size;
    }
  }
  const train: string[] = [];
  const test: string[] = [];
  for (const r of rows) (testGroups.has(noteGroupKey(r)) ? test : train).push(r.id);
  return { train, test };
}
