// Pre-flight checks of an experiment's data files (gold, corpus) before any workflow starts: unusable input is an InputError.
import { closeSync, openSync, readSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import type { Experiment } from '../config/experiment.js';
import { readGold, readNotes } from './readers.js';
import { assertReadableFile } from '../config/structured-file.js';
import { experimentLine } from '../config/load-experiment.js';
import { InputError, inputError, type Problem } from '../config/problems.js';
import { noteGroupKey } from '../run/records.js';

/** Rows (notes and bad rows) of the corpus read up front; a corpus without one valid note among them is rejected. */
export const PREFLIGHT_CORPUS_ROWS = 1000;
/** Bytes at the start of the corpus checked for UTF-16, binary data and invalid UTF-8. */
const HEAD_BYTES = 64 * 1024;

/**
 * Reads the gold file(s) completely (against the taxonomy's labels) and the start of the corpus, and throws one
 * InputError with every problem found. The corpus is rejected only when it is unusable: not a readable file, empty,
 * a wrong CSV header, not UTF-8 at its start (UTF-16, binary, another encoding), or no valid note in its first
 * PREFLIGHT_CORPUS_ROWS rows; with `onBadRow: reject` a bad row among those is an error too (the run would fail on it).
 * Later bad rows are the run's business (`onBadRow`).
 */
export async function preflight(experiment: Experiment): Promise<void> {
  const problems: Problem[] = [];
  const collect = async (check: () => unknown): Promise<void> => {
    try {
      await check();
    } catch (e) {
      if (e instanceof InputError) problems.push(...e.problems);
      else throw e;
    }
  };
  const { path, train, test } = experiment.gold;
  for (const file of [train, test]) if (file !== undefined) await collect(() => readGold(file, experiment.labels));
  let oneFile: { id: string; noteId?: string }[] = [];
  if (path !== undefined) await collect(() => (oneFile = readGold(path, experiment.labels)));
  if (oneFile.length > 0) {
    const folds = experiment.evaluate.folds;
    const notes = new Set(oneFile.map(noteGroupKey)).size;
    if (folds > notes) {
      const line = experimentLine(experiment, ['evaluate', 'folds']);
      problems.push({
        file: experiment.file,
        line,
        key: 'evaluate.folds',
        message: `${folds} folds but the gold file has ${notes} note${notes === 1 ? '' : 's'} (a fold needs at least one; sentences without a note count as their own)`,
      });
    }
  }
  const corpus = experiment.corpus;
  if (corpus) await collect(() => checkCorpus(corpus.path, corpus.format, corpus.onBadRow));
  if (problems.length) throw new InputError(problems);
}

type CorpusConfig = NonNullable<Experiment['corpus']>;

/** Thrown from the bad-row callback to stop reading once PREFLIGHT_CORPUS_ROWS rows are seen. */
class EnoughRows extends Error {}

/** Throws an InputError when the corpus cannot be used at all (see `preflight`); reads at most its first rows. */
export async function checkCorpus(
  path: string,
  format: CorpusConfig['format'],
  onBadRow: CorpusConfig['onBadRow'],
): Promise<void> {
  assertReadableFile(path, 'corpus file');
  checkHead(path);
  const skipped: Problem[] = [];
  let rows = 0;
  let notes = 0;
  const onProblem = (p: Problem): void => {
    skipped.push(p);
    if (++rows >= PREFLIGHT_CORPUS_ROWS) throw new EnoughRows();
  };
  try {
    for await (const _note of readNotes(path, format, { onBadRow, onProblem })) {
      void _note;
      notes++;
      // With `skip`, one valid note is enough; with `reject`, every row read up front must be valid.
      if (onBadRow === 'skip' || ++rows >= PREFLIGHT_CORPUS_ROWS) break;
    }
  } catch (e) {
    if (!(e instanceof EnoughRows)) throw e;
  }
  if (notes === 0) {
    const first = skipped[0];
    throw inputError(
      path,
      first?.line ?? 2, // every row marked ISERROR: the first row, under the header
      first?.key ?? '',
      first
        ? `no valid ${format} note in the first ${rows} row${rows === 1 ? '' : 's'} (${skipped.length} bad; the first: ${first.message}; is the format right?)`
        : `no valid ${format} note in the file (every row is marked ISERROR=1)`,
    );
  }
}

/** Rejects a corpus that does not start as UTF-8 text: a UTF-16 byte order mark, NUL bytes, or an invalid first line. */
function checkHead(path: string): void {
  const head = Buffer.alloc(HEAD_BYTES);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, HEAD_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  const bytes = head.subarray(0, n);
  if (n >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    throw inputError(path, 1, '', 'UTF-16 text (byte order mark at the start); save the corpus as UTF-8');
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw inputError(
      path,
      lineAt(bytes, nul),
      '',
      'binary data (a NUL byte) near the start: expected UTF-8 text (is it compressed or UTF-16?)',
    );
  }
  const nl = bytes.indexOf(0x0a);
  let first = nl >= 0 ? bytes.subarray(0, nl) : bytes;
  // A read that stopped inside the first line may cut a multi-byte character: drop an incomplete one at the end.
  if (nl < 0 && n === HEAD_BYTES) first = first.subarray(0, completeUtf8Length(first));
  if (!isUtf8(first)) {
    throw inputError(
      path,
      1,
      '',
      'not valid UTF-8 text at the start of the file (another encoding such as Latin-1 or Windows-1252?); save the corpus as UTF-8',
    );
  }
}

function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Length of `bytes` without a multi-byte UTF-8 sequence cut off at its end. */
function completeUtf8Length(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}
