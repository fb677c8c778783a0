// Tests for the clinical sentence splitter (exact offsets, headers, lists, abbreviations, vitals) and normalisation.
import { describe, expect, it } from 'vitest';
import { normaliseSentence, splitSentences } from '../../lib/corpus/sentences.js';

const texts = (note: string) => splitSentences(note).map((s) => s.text);

function expectExactOffsets(note: string): void {
  let last = 0;
  for (const s of splitSentences(note)) {
    expect(note.slice(s.start, s.end)).toBe(s.text);
    expect(s.text).toBe(s.text.trim());
    expect(s.text.length).toBeGreaterThan(0);
    expect(s.start).toBeGreaterThanOrEqual(last);
    last = s.end;
  }
}

const NOTE = `CHIEF COMPLAINT: Memory loss.

HISTORY OF PRESENT ILLNESS: Mr. John A. Smith is a 78-year-old man seen with his daughter, Mary B. Jones. She reports that he repeats questions, e.g. about dinner, and got lost driving approx. 2 miles from home. Dr. X. He was started on donepezil 5 mg p.o. q.d. at 8 a.m. He takes it with breakfast vs. lunch.

PAST MEDICAL HISTORY:
1. Dementia.
2. Hypertension.
3. Falls, etc.

DIAGNOSES: 1. Alzheimer's dementia. 2. Depression.

OBJECTIVE:
Vitals: BP 120/80, temp 98.6, pulse 72. Weight 5.5 kg down since Jan. 2 visit.
Mental Status Exam: MMSE 22/30. 2/3 recall at 5 minutes. Oriented x3.
Neck: Supple

PLAN: Increase Aricept to 10 mg b.i.d. Follow up in 3 months. Is he safe to drive? Daughter says "no." We agree.
`;

describe('splitSentences', () => {
  it('maps every span back exactly on a realistic note', () => {
    expectExactOffsets(NOTE);
  });

  it('splits a realistic note as documented', () => {
    expect(texts(NOTE)).toEqual([
      'CHIEF COMPLAINT: Memory loss.',
      'HISTORY OF PRESENT ILLNESS: Mr. John A. Smith is a 78-year-old man seen with his daughter, Mary B. Jones.',
      'She reports that he repeats questions, e.g. about dinner, and got lost driving approx. 2 miles from home.',
      'Dr. X.',
      'He was started on donepezil 5 mg p.o. q.d. at 8 a.m.',
      'He takes it with breakfast vs. lunch.',
      'PAST MEDICAL HISTORY:',
      'Dementia.',
      'Hypertension.',
      'Falls, etc.',
      "DIAGNOSES: 1. Alzheimer's dementia.",
      'Depression.',
      'OBJECTIVE:',
      'Vitals: BP 120/80, temp 98.6, pulse 72.',
      'Weight 5.5 kg down since Jan. 2 visit.',
      'Mental Status Exam: MMSE 22/30.',
      '2/3 recall at 5 minutes.',
      'Oriented x3.',
      'Neck: Supple',
      'PLAN: Increase Aricept to 10 mg b.i.d.',
      'Follow up in 3 months.',
      'Is he safe to drive?',
      'Daughter says "no."',
      'We agree.',
    ]);
  });

  it.each([
    [
      'titles and anonymised names',
      'Seen by Dr. Brown today. Ms. A. A summary follows.',
      ['Seen by Dr. Brown today.', 'Ms. A.', 'A summary follows.'],
    ],
    [
      'anonymised name before a capital',
      'Stress test by Dr. X. Exercise was stopped at 150 J. First shock failed.',
      ['Stress test by Dr. X.', 'Exercise was stopped at 150 J.', 'First shock failed.'],
    ],
    ['initials', 'Referred by J. R. Smith, M.D. for testing.', ['Referred by J. R. Smith, M.D. for testing.']],
    [
      'letter after a lower-case word ends a sentence',
      'History of hepatitis C. No jaundice.',
      ['History of hepatitis C.', 'No jaundice.'],
    ],
    [
      'dosing abbreviation before a capital',
      'Tylenol 650 mg q.4h. p.r.n. pain. Aspirin daily.',
      ['Tylenol 650 mg q.4h. p.r.n. pain.', 'Aspirin daily.'],
    ],
    [
      'i.e. and St.',
      'Sleeps poorly, i.e. Up at night. Admitted to St. Luke Hospital.',
      ['Sleeps poorly, i.e. Up at night.', 'Admitted to St. Luke Hospital.'],
    ],
    [
      'decimals and vitals',
      'Temp 98.6, BP 130/85, glucose 5.5 mmol/L. Stable.',
      ['Temp 98.6, BP 130/85, glucose 5.5 mmol/L.', 'Stable.'],
    ],
    [
      'inline numbered list',
      'DIAGNOSES: 1. Dementia. 2. Hypertension. 3. Gait disorder.',
      ['DIAGNOSES: 1. Dementia.', 'Hypertension.', 'Gait disorder.'],
    ],
    [
      'numbers after a colon that are not a list',
      'Pulse: 60. Respirations: 18. Count: 2. Next.',
      ['Pulse: 60.', 'Respirations: 18.', 'Count: 2.', 'Next.'],
    ],
    [
      'a sentence starting with a number',
      'Speech was slurred. 3-4 weeks ago she fell.',
      ['Speech was slurred.', '3-4 weeks ago she fell.'],
    ],
    ['no split before lower case', 'Given 5 mg. once daily.', ['Given 5 mg. once daily.']],
    [
      'question and exclamation marks',
      'Does she wander? Yes! Often at night.',
      ['Does she wander?', 'Yes!', 'Often at night.'],
    ],
    ['question mark inside a word', 'PMH: ?stroke in 2001.', ['PMH: ?stroke in 2001.']],
    [
      'lettered and roman list items on lines',
      '2. Dehydration\na. Dry skin.\nb. Low intake.\nII. Findings: none.',
      ['Dehydration', 'Dry skin.', 'Low intake.', 'Findings: none.'],
    ],
    [
      'bullets',
      'MEDICATIONS:\n- Aricept 10 mg daily\n- Namenda 5 mg b.i.d.',
      ['MEDICATIONS:', 'Aricept 10 mg daily', 'Namenda 5 mg b.i.d.'],
    ],
    [
      'list marker glued to text',
      '1)Progressive memory loss.\n2)Progressive aphasia.',
      ['Progressive memory loss.', 'Progressive aphasia.'],
    ],
    [
      'list of names one per line',
      'TESTS ADMINISTERED:\nWechsler Memory Scale, Third Edition (WMS-III)\nTrail Making Test\nBoston Naming Test',
      [
        'TESTS ADMINISTERED:',
        'Wechsler Memory Scale, Third Edition (WMS-III)',
        'Trail Making Test',
        'Boston Naming Test',
      ],
    ],
    [
      'line continuing in lower case',
      'General: well developed,\noriented, well nourished.',
      ['General: well developed,\noriented, well nourished.'],
    ],
    [
      'header line without a colon stays separate from a capitalised line',
      'Aural Comprehension\nReading Comprehension',
      ['Aural Comprehension', 'Reading Comprehension'],
    ],
  ])('%s', (_name, note, expected) => {
    expect(texts(note)).toEqual(expected);
    expectExactOffsets(note);
  });

  it('joins hard-wrapped lines (MIMIC style) but not short lines', () => {
    const note = [
      'HISTORY OF PRESENT ILLNESS:',
      'Pt is an 82 yo woman with a history of Alzheimer dementia who was brought',
      'Daughter Mary from her assisted living facility after a fall at home. She',
      'was found on the floor by staff this morning and was more confused than',
      'her baseline per daughter.',
      'Meds:',
      'Aricept',
      'Lisinopril',
    ].join('\n');
    expect(texts(note)).toEqual([
      'HISTORY OF PRESENT ILLNESS:',
      'Pt is an 82 yo woman with a history of Alzheimer dementia who was brought\nDaughter Mary from her assisted living facility after a fall at home.',
      'She\nwas found on the floor by staff this morning and was more confused than\nher baseline per daughter.',
      'Meds:',
      'Aricept',
      'Lisinopril',
    ]);
    expectExactOffsets(note);
  });

  it('handles CRLF, leading whitespace, empty and whitespace-only input', () => {
    expect(splitSentences('')).toEqual([]);
    expect(splitSentences(' \n\t\n')).toEqual([]);
    const note = '  Line one.\r\n\r\n  Line two. Three.\r\n';
    expect(splitSentences(note)).toEqual([
      { start: 2, end: 11, text: 'Line one.' },
      { start: 17, end: 26, text: 'Line two.' },
      { start: 27, end: 33, text: 'Three.' },
    ]);
  });

  it('drops bare list markers', () => {
    expect(texts('1.\n2. Real item.')).toEqual(['Real item.']);
  });
});

describe('normaliseSentence', () => {
  it('lower-cases, collapses whitespace and strips surrounding punctuation', () => {
    expect(normaliseSentence('  "Dementia,   stable."  ')).toBe('dementia, stable');
    expect(normaliseSentence('PLAN:\n Continue\tAricept.')).toBe('plan: continue aricept');
    expect(normaliseSentence('(MMSE 22/30)')).toBe('mmse 22/30');
    expect(normaliseSentence('...')).toBe('');
    expect(normaliseSentence('Ｄｅｍｅｎｔｉａ')).toBe('dementia');
  });
});
