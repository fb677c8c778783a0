// `clinsynth predict`: scores JSONL sentences or plain-text notes (split into sentences) with a saved model.
import { parseArgs } from 'node:util';
import { closeSync, createWriteStream, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { loadModelEncoder, loadSavedModel, predictSentences } from '../lib/model/predict.js';
import { readNotes, type CorpusFormat } from '../lib/corpus/readers.js';
import { splitSentences } from '../lib/corpus/sentences.js';
import { cpus } from 'node:os';

const CHUNK = 512;

/** Encoder threads of `predict`, which owns the process: the cores, up to 4 (CLINSYNTH_ENCODER_THREADS wins when set). */
export function predictThreads(): number {
  return Math.max(1, Math.min(4, cpus().length));
}

/** The corpus format of a prediction input, from its extension (and, for CSV, its header). */
function inputFormat(file: string): CorpusFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.txt' || ext === '.text') return 'text';
  if (ext !== '.csv') return 'jsonl';
  const head = Buffer.alloc(4096);
  const fd = openSync(file, 'r');
  const n = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const header = head.subarray(0, n).toString('utf8').split(/\r?\n/)[0]!.toUpperCase();
  return header.includes('ROW_ID') && header.includes('TEXT') ? 'mimic-noteevents-csv' : 'mtsamples-csv';
}

export async function predictCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { model: { type: 'string' }, out: { type: 'string' } },
  });
  if (!values.model || positionals.length !== 1) {
    process.stderr.write(
      'usage: clinsynth predict --model DIR INPUT [--out FILE]   (INPUT: .jsonl {"id","text"} sentences; .txt notes; .csv notes in MTSamples or MIMIC NOTEEVENTS layout)\n',
    );
    return 2;
  }
  const input = positionals[0]!;
  const model = loadSavedModel(values.model);
  // predict owns the process: use the cores (CLINSYNTH_ENCODER_THREADS still wins when set).
  // The encoder the model names (model.json `encoder`), checked to be the one it was trained on.
  const encoder = await loadModelEncoder(
    model,
    process.env.CLINSYNTH_ENCODER_THREADS ? {} : { threads: predictThreads() },
  );
  const out = values.out ? createWriteStream(values.out) : process.stdout;
  const format = inputFormat(input);
  // Notes (text and CSV formats) are split into sentences; JSONL rows are sentences already.
  const isText = format !== 'jsonl';
  let batch: { id: string; text: string }[] = [];
  let n = 0;
  const t0 = Date.now();
  const flush = async () => {
    for (const p of await predictSentences(model, encoder, batch)) out.write(JSON.stringify(p) + '\n');
    n += batch.length;
    batch = [];
  };
  for await (const note of readNotes(input, format, {
    onBadRow: 'skip',
    onProblem: (p) => process.stderr.write(`${p.file}:${p.line}: ${p.key}: ${p.message}\n`),
  })) {
    if (isText)
      for (const s of splitSentences(note.text)) batch.push({ id: `${note.id}:${s.start}-${s.end}`, text: s.text });
    else batch.push({ id: note.id, text: note.text });
    if (batch.length >= CHUNK) await flush();
  }
  if (batch.length) await flush();
  if (out !== process.stdout) await new Promise<void>((r) => (out as ReturnType<typeof createWriteStream>).end(r));
  const secs = (Date.now() - t0) / 1000;
  process.stderr.write(
    `predicted ${n} sentences in ${secs.toFixed(1)}s (${(n / Math.max(secs, 1e-3)).toFixed(0)} sentences/s) with encoder ${encoder.id}\n`,
  );
  await encoder.release();
  return 0;
}
