// MIMIC ingest: streams a generated 1 GB (quick: 100 MB) MIMIC-III NOTEEVENTS.csv through readNotes + splitSentences: MB/s, RSS.
import {
  createReadStream,
  createWriteStream,
  existsSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { readNotes } from '../lib/corpus/readers.js';
import { splitSentences } from '../lib/corpus/sentences.js';
import {
  BENCH_DATA,
  QUICK,
  mainIfDirect,
  mkdirp,
  procMemory,
  result,
  round,
  writeLinesBuffered,
  type BenchResult,
} from './common.js';

const MB = 1024 * 1024;

// Note bodies in the style of MIMIC-III (hard-wrapped, [** **] de-identification, section headers, lists, quotes).
const SECTIONS = [
  'Admission Date:  [**2151-7-16**]       Discharge Date:  [**2151-8-4**]\n\nDate of Birth:  [**2080-1-4**]       Sex:  F\n\nService: MEDICINE',
  'Allergies:\nPatient recorded as having No Known Allergies to Drugs',
  'Chief Complaint:\nconfusion, recurrent falls at home',
  "History of Present Illness:\n{age} yo woman with h/o Alzheimer's dementia (MMSE 18/30 in [**2150**]), HTN, DM2\nwho presents from her assisted living facility with increasing confusion\nover the past {n} days. Per her daughter, she has been more forgetful,\nrepeats questions, and was found wandering the halls at night. She had two\nfalls this week without head strike. Staff report poor appetite and a\n{n} lb weight loss over the last month. She denies chest pain or dyspnea.",
  "Past Medical History:\n1. Alzheimer's dementia, on donepezil 10 mg daily\n2. Hypertension\n3. Diabetes mellitus type 2, diet controlled\n4. Osteoarthritis of both knees\n5. s/p cholecystectomy [**2139**]",
  'Social History:\nLives in assisted living since [**2149**]; needs help bathing and dressing.\nNo longer drives. Former teacher. No tobacco, rare EtOH. Her son, Mr.\n[**Known lastname 1234**], is her health care proxy.',
  'Physical Exam:\nVS: T 98.6 BP 142/78 HR 88 RR 16 O2 96% RA\nGen: elderly woman, NAD, oriented to self only\nHEENT: MMM, OP clear\nNeuro: disoriented to time/place, follows simple commands, shuffling gait,\nno focal deficits. Mini-Cog 1/5.',
  'Brief Hospital Course:\n# Delirium on dementia: UA positive, treated for UTI with ceftriaxone x3\ndays with improvement in mental status. Sundowning overnight managed with\nreorientation; avoided benzodiazepines. Home donepezil continued.\n# Falls: PT evaluated, recommends walker and 24-hour supervision.\n# Weight loss: nutrition consulted, "she eats well when someone sits with\nher," per daughter. Started supplements.',
  'Discharge Medications:\n1. Donepezil 10 mg PO daily\n2. Memantine 10 mg PO BID\n3. Lisinopril 10 mg PO daily\n4. Acetaminophen 650 mg PO Q6H PRN pain',
  "Discharge Disposition:\nExtended Care\n\nDischarge Diagnosis:\nUrinary tract infection\nDelirium superimposed on Alzheimer's dementia\n\nDischarge Condition:\nmental status at baseline, ambulating with walker and assistance",
  'Followup Instructions:\nFollow up with Dr. [**Last Name (STitle) 5678**] in memory clinic in 2 weeks.\nPlease call if she has fever, new confusion or another fall.',
];

function noteText(i: number): string {
  const parts: string[] = [];
  const k = 4 + (i % 7); // 4..10 sections: notes of ~1.5-4 KB
  for (let s = 0; s < k; s++) parts.push(SECTIONS[(i + s * 3) % SECTIONS.length]!);
  return parts
    .join('\n\n')
    .replace(/\{age\}/g, String(60 + (i % 35)))
    .replace(/\{n\}/g, String(2 + (i % 20)));
}

const csvField = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Writes (once; cached beside a meta file) a NOTEEVENTS.csv of about `mb` MiB. */
async function ensureCsv(mb: number): Promise<{ path: string; rows: number; bytes: number }> {
  const path = join(mkdirp(BENCH_DATA), `NOTEEVENTS-${mb}MB.csv`);
  const metaPath = `${path}.meta.json`;
  if (existsSync(path) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { rows: number; bytes: number; v: number };
    if (meta.v === 1 && statSync(path).size === meta.bytes) return { path, ...meta };
  }
  const tmp = `${path}.tmp`;
  const out = createWriteStream(tmp);
  let bytes = 0;
  let rows = 0;
  const header = 'ROW_ID,SUBJECT_ID,HADM_ID,CHARTDATE,CHARTTIME,STORETIME,CATEGORY,DESCRIPTION,CGID,ISERROR,TEXT\n';
  out.write(header);
  bytes += header.length;
  await writeLinesBuffered(out, () => {
    if (bytes >= mb * MB) return null;
    rows++;
    const day = 1 + (rows % 28);
    const line = `${rows},${10000 + (rows % 40000)},${100000 + rows}.0,2151-08-${String(day).padStart(2, '0')},,,"Discharge summary","Report",,,${csvField(noteText(rows))}\n`;
    bytes += Buffer.byteLength(line);
    return line;
  });
  renameSync(tmp, path);
  writeFileSync(metaPath, JSON.stringify({ rows, bytes, v: 1 }));
  return { path, rows, bytes };
}

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  const mb = QUICK ? 100 : 1024;
  const tg = performance.now();
  const file = await ensureCsv(mb);
  const genSeconds = (performance.now() - tg) / 1000;

  // Baseline: reading the same bytes raw (page cache warm from the pass before or the generation).
  let s = performance.now();
  let raw = 0;
  for await (const chunk of createReadStream(file.path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>)
    raw += chunk.length;
  const rawSeconds = (performance.now() - s) / 1000;

  // The ingest: readNotes (mimic-noteevents-csv) + splitSentences, with RSS at 10% and at 100% of the rows.
  global.gc?.();
  const rssStart = process.memoryUsage().rss / MB;
  let notes = 0;
  let sentences = 0;
  let rss10 = NaN;
  let problems = 0;
  s = performance.now();
  for await (const note of readNotes(file.path, 'mimic-noteevents-csv', {
    onBadRow: 'skip',
    onProblem: () => problems++,
  })) {
    notes++;
    sentences += splitSentences(note.text).length;
    if (notes === Math.floor(file.rows / 10)) rss10 = process.memoryUsage().rss / MB;
  }
  const seconds = (performance.now() - s) / 1000;
  const rss100 = process.memoryUsage().rss / MB;
  const hwm = procMemory().hwmMiB;
  const mbps = file.bytes / MB / seconds;
  const rawMbps = raw / MB / rawSeconds;
  const growth = rss100 - rss10;
  const constant = growth <= Math.max(32, 0.1 * rss10);
  return result({
    id: 'mimic',
    title: `MIMIC NOTEEVENTS ingest (${mb} MiB, readNotes + splitSentences)`,
    figure: {
      value: round(mbps, 1),
      unit: 'MiB/s',
      what: `${notes} notes, ${sentences} sentences in ${round(seconds, 1)} s`,
    },
    baseline: { value: round(rawMbps, 1), unit: 'MiB/s', what: 'raw read of the same file (1 MiB chunks)' },
    goal: 'none set (memory: RSS at 100% within max(32 MiB, 10%) of RSS at 10%)',
    pass: constant && problems === 0 && notes === file.rows,
    seconds: (performance.now() - t0) / 1000,
    details: {
      fileMiB: round(file.bytes / MB, 1),
      rows: file.rows,
      notesRead: notes,
      badRows: problems,
      sentences,
      sentencesPerSec: round(sentences / seconds, 0),
      rssStartMiB: round(rssStart, 0),
      rssAt10pctMiB: round(rss10, 0),
      rssAt100pctMiB: round(rss100, 0),
      rssGrowthMiB: round(growth, 1),
      peakRssMiB: round(hwm, 0),
      generatedSeconds: round(genSeconds, 1),
    },
    notes: [
      `RSS ${round(rss10, 0)} MiB at 10% → ${round(rss100, 0)} MiB at 100% (peak ${round(hwm, 0)} MiB): ${constant ? 'constant' : 'GROWS'}`,
    ],
  });
}

await mainIfDirect(import.meta.url, run);
