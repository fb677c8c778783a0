// Clean mixes (lib/model/training.ts withoutRepeats): a sentence found in more than one source trains once, gold > silver > bronze.
import { describe, expect, it } from 'vitest';
import { withoutRepeats } from '../../lib/model/training.js';
import type { TrainingRow } from '../../lib/dataset/merge.js';

/** Unit vectors on chosen axes, so cosines are exact: the same axis = 1, different axes = 0. */
const axis = (k: number): Float32Array => {
  const v = new Float32Array(8);
  v[k] = 1;
  return v;
};

describe('withoutRepeats', () => {
  const vectors = new Map<string, Float32Array>([
    ['Gold sentence about memory.', axis(0)],
    ['gold sentence about memory', axis(0)], // same normalised text as gold
    ['She forgets names.', axis(1)],
    ['She keeps forgetting names.', axis(1)], // near-duplicate (cosine 1) of the silver row
    ['He wanders at night.', axis(2)],
    ['He gets lost at night.', axis(2)], // repeats a silver row that is itself dropped as a gold repeat
    ['A sentence about gold.', axis(2)],
    ['Independent bronze sentence.', axis(3)],
  ]);
  const vecOf = (t: string) => vectors.get(t)!;
  const row = (id: string, source: 'silver' | 'bronze', text: string): TrainingRow => ({
    id,
    source,
    text,
    labels: [],
  });
  const gold = [
    { id: 'g1', text: 'Gold sentence about memory.', labels: [] },
    { id: 'g2', text: 'A sentence about gold.', labels: [] },
  ];
  const rows = [
    row('s1', 'silver', 'gold sentence about memory'),
    row('s2', 'silver', 'She forgets names.'),
    row('s3', 'silver', 'He wanders at night.'),
    row('b1', 'bronze', 'She keeps forgetting names.'),
    row('b2', 'bronze', 'He gets lost at night.'),
    row('b3', 'bronze', 'Independent bronze sentence.'),
  ];
  // bronze → the silver row it repeats (as the merge of the mix computes it)
  const bronzeRepeatsSilver = new Map([
    ['b1', 's2'],
    ['b2', 's3'],
  ]);

  it('drops synthetic rows that repeat gold, and bronze rows that repeat a silver row that stays', async () => {
    const { kept, dropped } = await withoutRepeats(rows, bronzeRepeatsSilver, gold, vecOf);
    // s1 repeats g1 (text), s3 repeats g2 (cosine 1); b1 repeats the kept s2; b2's silver twin s3 is gone, but b2
    // itself repeats gold g2 (cosine 1), so it goes too; b3 is new.
    expect(kept.map((r) => r.id)).toEqual(['s2', 'b3']);
    expect(dropped.sort()).toEqual(['bronze:b1', 'bronze:b2', 'silver:s1', 'silver:s3']);
  });

  it('drops a bronze repeat only while its silver twin trains', async () => {
    const goldOnlyFirst = gold.slice(0, 1);
    const onlyTwin = [row('s3', 'silver', 'He wanders at night.'), row('b2', 'bronze', 'He gets lost at night.')];
    // s3 stays here (g2 is not in this training set), so b2 is its repeat and goes.
    expect((await withoutRepeats(onlyTwin, bronzeRepeatsSilver, goldOnlyFirst, vecOf)).kept.map((r) => r.id)).toEqual([
      's3',
    ]);
    // Without a known silver twin, nothing marks b2 as a repeat: both train.
    expect((await withoutRepeats(onlyTwin, new Map(), [], vecOf)).kept.map((r) => r.id)).toEqual(['s3', 'b2']);
  });
});
