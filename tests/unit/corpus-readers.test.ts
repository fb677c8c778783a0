// Tests for the streaming corpus readers and the gold reader: every format, malformed rows, bad files.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, type Problem } from '../../lib/config/problems.js';
import { readGold, readNotes, type CorpusFormat, type Note } from '../../lib/corpus/readers.js';

const dir = mkdtempSync(join(tmpdir(), 'corpus-readers-'));
let n = 0;
function file(content: string | Buffer, ext = 'txt'): string {
  const path = join(dir, `f${++n}.${ext}`);
  writeFileSync(path, content);
  return path;
}

async function readAll(path: string, format: CorpusFormat, onBadRow: 'skip' | 'reject' = 'skip') {
  const notes: Note[] = [];
  const problems: Problem[] = [];
  for await (const note of readNotes(path, format, { onBadRow, onProblem: (p) => problems.push(p) })) notes.push(note);
  return { notes, problems };
}

async function inputErrorOf(p: Promise<unknown> | (() => unknown)): Promise<InputError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

const MTS_HEADER = 'note_hash,specialties,sample_names,description,transcription,keywords';
const MIMIC_HEADER =
  '"ROW_ID","SUBJECT_ID","HADM_ID","CHARTDATE","CHARTTIME","STORETIME","CATEGORY","DESCRIPTION","CGID","ISERROR","TEXT"';
const mimicRow = (id: number, text: string, iserror = '') =>
  `${id},10${id},20${id},2101-01-0${id % 9},,,"Discharge summary","Report",,${iserror},"${text.replace(/"/g, '""')}"`;

describe('readNotes jsonl', () => {
  it('reads notes and reports bad JSON, missing fields, empty text and invalid UTF-8 with their lines', async () => {
    const path = file(
      Buffer.concat([
        Buffer.from(
          [
            '{"id":"a","text":"First note."}',
            '',
            '{"id":"b","text":"Second note."',
            '{"id":"c"}',
            '{"id":"d","text":"   "}',
            '{"id":7,"text":"Numeric id.","extra":true}',
          ].join('\n') + '\n',
        ),
        Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d, 0x0a]), // {"id":"\xff"}
        Buffer.from('{"id":"e","text":"Last, without newline."}'),
      ]),
      'jsonl',
    );
    const { notes, problems } = await readAll(path, 'jsonl');
    expect(notes).toEqual([
      { id: 'a', text: 'First note.', line: 1 },
      { id: '7', text: 'Numeric id.', line: 6 },
      { id: 'e', text: 'Last, without newline.', line: 8 },
    ]);
    expect(problems.map((p) => [p.line, p.key, p.message.split(':')[0]])).toEqual([
      [3, '', 'invalid JSON'],
      [4, 'text', 'must be a string'],
      [5, 'text', 'empty text'],
      [7, '', 'not valid UTF-8 text'],
    ]);
    expect(problems.every((p) => p.file === path)).toBe(true);
  });

  it('throws the first bad row as an InputError with file:line when rejecting', async () => {
    const path = file('{"id":"a","text":"ok"}\n{not json}\n{"id":"c","text":""}\n', 'jsonl');
    const err = await inputErrorOf(readAll(path, 'jsonl', 'reject'));
    expect(err.problems).toHaveLength(1);
    expect(err.message).toMatch(new RegExp(`^${path.replace(/[.\\/]/g, '\\$&')}:2: \\(root\\): invalid JSON`));
  });

  it('rejects an empty file', async () => {
    const err = await inputErrorOf(readAll(file('', 'jsonl'), 'jsonl'));
    expect(err.message).toContain(':1: (root): file is empty');
  });

  it('joins lines and UTF-8 characters split across read chunks', async () => {
    const long = 'é'.repeat(700_000) + ' end'; // 1.4 MB: spans two 1 MiB chunks, with a 2-byte char on the boundary
    const path = file(
      `${JSON.stringify({ id: 'x', text: 'short' })}\n${JSON.stringify({ id: 'long', text: long })}\n`,
      'jsonl',
    );
    const { notes, problems } = await readAll(path, 'jsonl');
    expect(problems).toEqual([]);
    expect(notes.map((x) => x.id)).toEqual(['x', 'long']);
    expect(notes[1]!.text).toBe(long);
  });
});

describe('readNotes text', () => {
  it('splits notes at blank lines, numbers them and keeps the start line', async () => {
    const path = file('First note line one.\nline two.\n\n\n  \nSecond note.\r\nStill second.\r\n\r\nThird.');
    const { notes, problems } = await readAll(path, 'text');
    expect(problems).toEqual([]);
    expect(notes).toEqual([
      { id: 'note-1', text: 'First note line one.\nline two.', line: 1 },
      { id: 'note-2', text: 'Second note.\nStill second.', line: 6 },
      { id: 'note-3', text: 'Third.', line: 9 },
    ]);
  });

  it('skips a note with invalid UTF-8 but keeps the numbering of the others', async () => {
    const path = file(
      Buffer.concat([Buffer.from('One.\n\nTw'), Buffer.from([0xc3, 0x28]), Buffer.from('o.\n\nThree.\n')]),
    );
    const { notes, problems } = await readAll(path, 'text');
    expect(notes.map((x) => x.id)).toEqual(['note-1', 'note-3']);
    expect(problems).toEqual([{ file: path, line: 3, key: '', message: 'not valid UTF-8 text' }]);
  });

  it('rejects a file with only blank lines', async () => {
    await inputErrorOf(readAll(file('\n\n  \n'), 'text'));
  });
});

describe('readNotes mtsamples-csv', () => {
  it('reads quoted, multi-line transcriptions with escaped quotes and commas', async () => {
    const path = file(
      [
        MTS_HEADER,
        'aaa,Neurology|Psychiatry,Memory,"A 70-year-old, forgetful.","HISTORY: She said ""I forget"", often.',
        '',
        'PLAN: MMSE.",dementia',
        'bbb,Neurology,X,Y,"Single line.",',
      ].join('\n') + '\n',
      'csv',
    );
    const { notes, problems } = await readAll(path, 'mtsamples-csv');
    expect(problems).toEqual([]);
    expect(notes).toEqual([
      { id: 'aaa', text: 'HISTORY: She said "I forget", often.\n\nPLAN: MMSE.', line: 2 },
      { id: 'bbb', text: 'Single line.', line: 5 },
    ]);
  });

  it('keeps CRLF inside quoted fields and strips it at record ends', async () => {
    const path = file(`${MTS_HEADER}\r\nh1,s,n,d,"Line one.\r\nLine two.",k\r\nh2,s,n,d,Plain text,k\r\n`, 'csv');
    const { notes } = await readAll(path, 'mtsamples-csv');
    expect(notes).toEqual([
      { id: 'h1', text: 'Line one.\r\nLine two.', line: 2 },
      { id: 'h2', text: 'Plain text', line: 4 },
    ]);
  });

  it('rejects a wrong header with the expected and found columns', async () => {
    const path = file('hash,text\nx,y\n', 'csv');
    const err = await inputErrorOf(readAll(path, 'mtsamples-csv'));
    expect(err.problems[0]).toMatchObject({ file: path, line: 1, key: 'header' });
    expect(err.message).toBe(
      `${path}:1: header: expected columns ${MTS_HEADER}, found hash,text (missing note_hash, specialties, sample_names, description, transcription, keywords)`,
    );
  });

  it('reports empty text, missing id and a wrong column count at the row start line', async () => {
    const path = file([MTS_HEADER, 'a,s,n,d,"",k', ',s,n,d,text,k', 'c,s,n,d', 'd,s,n,d,"ok",k'].join('\n'), 'csv');
    const { notes, problems } = await readAll(path, 'mtsamples-csv');
    expect(notes.map((x) => x.id)).toEqual(['d']);
    expect(problems.map((p) => `${p.line}:${p.key}:${p.message}`)).toEqual([
      '2:transcription:empty text',
      '3:note_hash:empty id',
      '4::expected 6 columns, found 4',
    ]);
  });

  it('rejects an empty file and a file with only a header', async () => {
    const e1 = await inputErrorOf(readAll(file('', 'csv'), 'mtsamples-csv'));
    expect(e1.message).toContain(':1: header: expected columns note_hash,');
    const e2 = await inputErrorOf(readAll(file(`${MTS_HEADER}\n`, 'csv'), 'mtsamples-csv'));
    expect(e2.message).toContain('no rows after the header');
  });
});

describe('readNotes mimic-noteevents-csv', () => {
  it('reads multi-line quoted TEXT, skips ISERROR=1 and reports the line where each row starts', async () => {
    const path = file(
      [
        MIMIC_HEADER,
        mimicRow(1, 'Admission Date:  [**2101-1-1**]\n\nHISTORY OF PRESENT ILLNESS:\nPt is a 78 yo man, "confused".\n'),
        mimicRow(2, 'Erroneous note.', '1'),
        mimicRow(3, 'Short note.'),
      ].join('\n') + '\n',
      'csv',
    );
    const { notes, problems } = await readAll(path, 'mimic-noteevents-csv');
    expect(problems).toEqual([]);
    expect(notes).toEqual([
      {
        id: '1',
        text: 'Admission Date:  [**2101-1-1**]\n\nHISTORY OF PRESENT ILLNESS:\nPt is a 78 yo man, "confused".\n',
        line: 2,
      },
      { id: '3', text: 'Short note.', line: 8 },
    ]);
  });

  it('reports an unterminated quote at the end of the file and invalid UTF-8 inside a row', async () => {
    const path = file(
      Buffer.concat([
        Buffer.from(`${MIMIC_HEADER}\n${mimicRow(1, 'Good.')}\n4,1,2,d,,,c,d,,,"bad `),
        Buffer.from([0xe2, 0x82]),
        Buffer.from(' bytes\nmore."\n5,1,2,d,,,c,d,,,"never closed\nstill open\n'),
      ]),
      'csv',
    );
    const { notes, problems } = await readAll(path, 'mimic-noteevents-csv');
    expect(notes.map((x) => x.id)).toEqual(['1']);
    expect(problems.map((p) => `${p.line}:${p.message}`)).toEqual([
      '3:not valid UTF-8 text',
      '5:a quoted field is not closed before the end of the file',
    ]);
  });

  it('accepts a lower-case header and rejects one that lacks TEXT', async () => {
    const ok = file(`${MIMIC_HEADER.toLowerCase()}\n${mimicRow(9, 'Fine.')}\n`, 'csv');
    expect((await readAll(ok, 'mimic-noteevents-csv')).notes.map((x) => x.id)).toEqual(['9']);
    const bad = file(
      '"ROW_ID","SUBJECT_ID","HADM_ID","CHARTDATE","CHARTTIME","STORETIME","CATEGORY","DESCRIPTION","CGID","ISERROR"\n',
      'csv',
    );
    const err = await inputErrorOf(readAll(bad, 'mimic-noteevents-csv'));
    expect(err.message).toContain(':1: header: expected columns ROW_ID,SUBJECT_ID,');
    expect(err.message).toContain('(missing TEXT)');
  });

  it('stops with an InputError when an unclosed quote makes a row exceed maxRowBytes', async () => {
    const path = file(`${MIMIC_HEADER}\n1,1,2,d,,,c,d,,,"open\n${'x'.repeat(100)}\n`.repeat(3), 'csv');
    const run = async () => {
      for await (const _ of readNotes(path, 'mimic-noteevents-csv', { onBadRow: 'skip', maxRowBytes: 150 })) void _;
    };
    const err = await inputErrorOf(run());
    expect(err.message).toMatch(/:2: \(root\): row is longer than 150 characters/);
  });
});

describe('readNotes bad paths', () => {
  it.each(['jsonl', 'text', 'mtsamples-csv', 'mimic-noteevents-csv'] as const)(
    '%s: missing file and directory',
    async (format) => {
      const missing = await inputErrorOf(readAll(join(dir, 'nope.csv'), format));
      expect(missing.message).toContain('corpus file does not exist');
      const sub = join(dir, `sub-${format}`);
      mkdirSync(sub);
      const directory = await inputErrorOf(readAll(sub, format));
      expect(directory.message).toContain('is a directory, expected a file');
    },
  );
});

describe('readGold', () => {
  const labels = ['cognitive_impairment', 'dementia_diagnosis'];

  it('reads rows, keeps extra fields out and maps note_hash to noteId', () => {
    const path = file(
      [
        '{"id":"g1","note_hash":"abc","start":3,"end":20,"text":"She is forgetful.","labels":["cognitive_impairment"]}',
        '',
        '{"id":"g2","text":"No complaints.","labels":[]}',
      ].join('\n'),
      'jsonl',
    );
    expect(readGold(path, labels)).toEqual([
      { id: 'g1', text: 'She is forgetful.', labels: ['cognitive_impairment'], noteId: 'abc' },
      { id: 'g2', text: 'No complaints.', labels: [] },
    ]);
  });

  it('lists every problem with its line in one InputError', () => {
    const path = file(
      [
        '{"id":"a","text":"One.","labels":[]}',
        '{"id":"b","text":"Two.","labels":["cognitive_impairment","memory_loss"]}',
        '{"id":"c","text":"  ","labels":[]}',
        '{"id":"a","text":"Again.","labels":[]}',
        '{"id":"d","text":"x","labels":["none"]}',
        '{"id":"e","text":"x"',
        '{"id":"f","text":"x","labels":"dementia_diagnosis"}',
      ].join('\n'),
      'jsonl',
    );
    let err: InputError | undefined;
    try {
      readGold(path, labels);
    } catch (e) {
      err = e as InputError;
    }
    expect(err).toBeInstanceOf(InputError);
    expect(err!.problems.map((p) => `${p.line}:${p.key}`)).toEqual([
      '2:labels.1',
      '3:text',
      '4:id',
      '5:labels.0',
      '6:',
      '7:labels',
    ]);
    expect(err!.message).toContain(
      `${path}:2: labels.1: unknown label "memory_loss" (expected one of cognitive_impairment, dementia_diagnosis)`,
    );
    expect(err!.message).toContain(`${path}:4: id: duplicate id "a" (first on line 1)`);
    expect(err!.message).toContain(`${path}:5: labels.0: unknown label "none" (use [] for none)`);
    expect(err!.message).toContain(`${path}:3: text: empty text`);
  });

  it('rejects empty, missing, directory and non-UTF-8 files', async () => {
    for (const path of [
      file('', 'jsonl'),
      join(dir, 'missing.jsonl'),
      dir,
      file(Buffer.from([0x7b, 0xff, 0x0a]), 'jsonl'),
    ]) {
      expect(() => readGold(path, labels)).toThrow(InputError);
    }
  });
});
