// Tests for silver candidate selection: cue/lexicon hits, de-duplication counts, quotas, determinism, balancing.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNotes } from '../../lib/corpus/readers.js';
import { normaliseSentence } from '../../lib/corpus/sentences.js';
import { candidateId, selectCandidates as selectInOrder, type SelectionOptions } from '../../lib/corpus/selection.js';

/** The selection with its candidates read out (in id order) as an array. */
async function selectCandidates(...args: Parameters<typeof selectInOrder>) {
  const { candidates, stats } = await selectInOrder(...args);
  return { candidates: [...candidates], stats };
}

const label = (id: string, cues: string[]) => ({ id, name: id, definition: `The ${id} label for tests.`, cues });
const taxonomy = {
  labels: [
    label('cognitive_impairment', ['memory loss', 'confused', 'disoriented to time/place']),
    label('physiological_changes', ['fall', 'weight loss']),
    label('dementia_treatment', ['Aricept']),
    label('dementia_diagnosis', ['Alzheimer', 'dementia']),
  ],
};
const base: SelectionOptions = { taxonomy, lexicon: ['sundowning'], maxSentences: 100, negativeShare: 0.2, seed: 1 };

/** `hits` notes with one cue sentence each, `others` notes with one plain sentence each. */
function corpus(hits: number, others: number) {
  const notes: { id: string; text: string }[] = [];
  for (let i = 0; i < hits; i++)
    notes.push({ id: `h${i}`, text: `Patient ${i} reports memory loss. Note ${i} ends here` });
  for (let i = 0; i < others; i++) notes.push({ id: `o${i}`, text: `Abdomen ${i} is soft.` });
  return notes;
}

describe('selectCandidates', () => {
  it('records the first matching cue or lexicon term as the reason, by whole word and case-insensitively', async () => {
    const notes = [
      { id: 'n1', text: 'He had a FALL at home. He falls often. Started ARICEPT 5 mg. Son notes sundowning.' },
      {
        id: 'n2',
        text: "Family history of Alzheimer's in mother. She is disoriented to time/place. Confused and has memory   loss.",
      },
      { id: 'n3', text: 'Dementiaform is not a word. Shortfall of staff.' },
    ];
    const { candidates, stats } = await selectCandidates(notes, { ...base, negativeShare: 0.5 });
    const reasons = Object.fromEntries(candidates.map((c) => [c.text, c.reason]));
    expect(reasons).toMatchObject({
      'He had a FALL at home.': 'cue:physiological_changes:fall',
      'Started ARICEPT 5 mg.': 'cue:dementia_treatment:Aricept',
      'Son notes sundowning.': 'lexicon:sundowning',
      "Family history of Alzheimer's in mother.": 'cue:dementia_diagnosis:Alzheimer',
      'She is disoriented to time/place.': 'cue:cognitive_impairment:disoriented to time/place',
      'Confused and has memory   loss.': 'cue:cognitive_impairment:memory loss', // taxonomy order: memory loss before confused
      'He falls often.': 'random',
      'Dementiaform is not a word.': 'random',
      'Shortfall of staff.': 'random',
    });
    expect(stats).toMatchObject({ notes: 3, sentences: 9, uniqueSentences: 9, cueHits: 6, selected: 9, excluded: 0 });
    expect(stats.byReason).toMatchObject({
      random: 3,
      'lexicon:sundowning': 1,
      'cue:cognitive_impairment:memory loss': 1,
    });
  });

  it('de-duplicates by normalised text, keeping the first occurrence and counting all', async () => {
    const notes = [
      { id: 'a', text: 'Intro sentence. She has memory loss.' },
      { id: 'b', text: 'SHE HAS MEMORY LOSS' },
      { id: 'c', text: 'Other. "She  has memory\nloss."' },
    ];
    const { candidates, stats } = await selectCandidates(notes, base);
    const hit = candidates.find((c) => c.reason.startsWith('cue:'))!;
    expect(hit).toEqual({
      id: candidateId('She has memory loss.'),
      noteId: 'a',
      start: 16,
      end: 36,
      text: 'She has memory loss.',
      reason: 'cue:cognitive_impairment:memory loss',
      count: 3,
    });
    expect(hit.id).toBe(`c-${createHash('sha1').update(normaliseSentence(hit.text)).digest('hex').slice(0, 12)}`);
    expect(stats).toMatchObject({ sentences: 5, uniqueSentences: 3, cueHits: 1 });
  });

  it('respects the hit and random shares, sorts by id and is deterministic for a seed', async () => {
    const notes = corpus(300, 300);
    const opts = { ...base, maxSentences: 40, negativeShare: 0.25 };
    const one = await selectCandidates(notes, opts);
    const two = await selectCandidates(notes, opts);
    expect(two).toEqual(one);
    expect(one.stats).toMatchObject({ notes: 600, sentences: 900, uniqueSentences: 900, cueHits: 300, selected: 40 });
    expect(one.stats.byReason).toEqual({ 'cue:cognitive_impairment:memory loss': 30, random: 10 });
    expect(one.candidates.map((c) => c.id)).toEqual([...one.candidates.map((c) => c.id)].sort());
    const other = await selectCandidates(notes, { ...opts, seed: 2 });
    expect(other.candidates.map((c) => c.id)).not.toEqual(one.candidates.map((c) => c.id));
    expect(other.stats.byReason).toEqual(one.stats.byReason);
  });

  it('samples hits and non-hits across the whole corpus, not just the beginning', async () => {
    const { candidates } = await selectCandidates(corpus(1000, 1000), {
      ...base,
      maxSentences: 100,
      negativeShare: 0.5,
    });
    const hitNotes = candidates.filter((c) => c.reason !== 'random').map((c) => Number(c.noteId.slice(1)));
    expect(Math.max(...hitNotes)).toBeGreaterThan(500);
    expect(Math.min(...hitNotes)).toBeLessThan(500);
  });

  it('does not move an unfilled quota to the other side', async () => {
    const few = await selectCandidates(corpus(3, 500), { ...base, maxSentences: 50, negativeShare: 0.2 });
    expect(few.stats.byReason).toEqual({ 'cue:cognitive_impairment:memory loss': 3, random: 10 });
    const allRandom = await selectCandidates(corpus(50, 50), { ...base, maxSentences: 10, negativeShare: 1 });
    expect(allRandom.stats.byReason).toEqual({ random: 10 });
    const noRandom = await selectCandidates(corpus(50, 50), { ...base, maxSentences: 10, negativeShare: 0 });
    expect(noRandom.stats.byReason).toEqual({ 'cue:cognitive_impairment:memory loss': 10 });
  });

  it('never picks sentences without letters as random negatives', async () => {
    const notes = [{ id: 'x', text: '1/2.\n\n120/80.\n\n---\n\n99.' }];
    const { candidates, stats } = await selectCandidates(notes, { ...base, negativeShare: 1 });
    expect(candidates).toEqual([]);
    expect(stats.uniqueSentences).toBe(2); // "---" normalises to nothing; "99." is a bare list marker
  });

  it('with balance "label", shares the hit quota between labels so rare ones are kept', async () => {
    const notes = [
      ...corpus(200, 0),
      { id: 'r1', text: 'Continue Aricept. He had a fall.' },
      { id: 'r2', text: 'Started Aricept 10 mg.' },
    ];
    const opts = { ...base, maxSentences: 12, negativeShare: 0 };
    const balanced = await selectCandidates(notes, { ...opts, balance: 'label' });
    expect(balanced.stats.byReason).toEqual({
      'cue:cognitive_impairment:memory loss': 9,
      'cue:dementia_treatment:Aricept': 2,
      'cue:physiological_changes:fall': 1,
    });
    const uniform = await selectCandidates(notes, opts);
    expect(uniform.stats.selected).toBe(12);
  });

  it('reads from an async iterable such as readNotes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corpus-selection-'));
    const path = join(dir, 'notes.jsonl');
    writeFileSync(
      path,
      corpus(5, 5)
        .map((n) => JSON.stringify(n))
        .join('\n'),
    );
    const { stats } = await selectCandidates(readNotes(path, 'jsonl', { onBadRow: 'reject' }), {
      ...base,
      maxSentences: 8,
      negativeShare: 0.5,
    });
    expect(stats).toMatchObject({
      notes: 10,
      cueHits: 5,
      selected: 8,
      byReason: { random: 4, 'cue:cognitive_impairment:memory loss': 4 },
    });
  });

  it('leaves out excluded sentences (e.g. gold) and excluded notes', async () => {
    const notes = [
      { id: 'gold-note', text: 'She has memory loss. Abdomen soft.' },
      { id: 'n2', text: 'He is confused. THE GOLD SENTENCE WITH DEMENTIA' },
      { id: 'n3', text: 'He is confused at night. The gold sentence with dementia.' },
    ];
    const { candidates, stats } = await selectCandidates(notes, {
      ...base,
      negativeShare: 0.5,
      exclude: ['The gold sentence with dementia.'],
      excludeNotes: new Set(['gold-note']),
    });
    expect(candidates.map((c) => c.text).sort()).toEqual(['He is confused at night.', 'He is confused.']);
    expect(stats).toMatchObject({ notes: 3, sentences: 2, excluded: 4, uniqueSentences: 2 });
  });

  it('rejects invalid options', async () => {
    await expect(selectCandidates([], { ...base, negativeShare: 1.5 })).rejects.toThrow(/negativeShare/);
    await expect(selectCandidates([], { ...base, maxSentences: -1 })).rejects.toThrow(/maxSentences/);
  });
});
