// P6: the train and evaluate stages at the size of the MTSamples example (issue #12): dev gold in 5 folds, 3 seeds,
// 4 mixes, learning curves on both axes, 10,000 bootstrap resamples. No LLM: the run directory is built directly
// (gold from the dev gold, 2,000 silver rows of real MTSamples sentences, 434 template bronze rows in merged.parquet).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { EvaluationJob } from '../lib/evaluate/jobs.js';
import { PROJECT_ROOT } from '../lib/config/paths.js';
import {
  DEV_GOLD,
  QUICK,
  TAXONOMY,
  cleanup,
  cpuLine,
  mainIfDirect,
  mkdirp,
  procCpuSeconds,
  procMemory,
  result,
  round,
  skippedResult,
  tempDir,
  type BenchResult,
} from './common.js';

const SEEDS = QUICK ? [1] : [1, 2, 3];
const RESAMPLES = QUICK ? 2000 : 10_000;
const FOLDS = 5;
const MIXES = ['gold', 'gold+silver', 'gold+bronze', 'gold+silver+bronze'];
const CURVES = { synthetic: [0.25, 0.5, 1], gold: [0.25, 0.5, 1] };
const SILVER_ROWS = 2000;
const SILVER_LABELLED_SHARE = 0.45;
const BRONZE_ROWS = 434;
/** Jobs in flight at once: the workflow's window on a 2-core machine. */
const POOL = 2;
const GOAL_BOOTSTRAP_S = 10;
const MTSAMPLES = join(PROJECT_ROOT, '..', 'shared', 'data', 'mtsamples', 'mtsamples_unique_notes.csv');
const DEMO_NOTES = join(PROJECT_ROOT, 'examples', 'demo', 'data', 'notes.jsonl');

// ---------------------------------------------------------------------------------------------------------------
// Bronze: written by templates, one label per sentence, varied subject × finding × context.

const BRONZE_SUBJECTS = [
  'The patient',
  'Patient',
  'She',
  'He',
  'The resident',
  'Mr. Doe',
  'Mrs. Roe',
  'The client',
  'Pt',
];
const BRONZE_FINDINGS: Record<string, string[]> = {
  cognitive_impairment: [
    'has trouble remembering recent conversations',
    'repeats the same questions within minutes',
    'was disoriented to date and place',
    'has increasing word-finding difficulty',
    'gets lost driving familiar routes',
    'shows impaired short-term recall',
    'was confused about why she was here',
  ],
  neuropsychiatric_symptoms: [
    'has been agitated and combative in the evenings',
    'reports seeing people who are not there',
    'has become withdrawn and tearful',
    'is up all night pacing the hallway',
    'has paranoid thoughts that neighbours steal from her',
    'is irritable with staff',
    'wanders out of the unit at night',
  ],
  notice_by_others: [
    'is described by the daughter as more forgetful',
    'worries the wife, who noticed missed bills',
    'was brought in because the son noticed confusion',
    'is reported by staff to misplace belongings',
    'has a husband concerned about her memory',
    'was noticed by family to repeat stories',
    'prompted the caregiver to report new lapses',
  ],
  physiological_changes: [
    'has a shuffling, unsteady gait',
    'had three falls at home',
    'has lost twelve pounds with poor appetite',
    'has new urinary incontinence',
    'coughs with thin liquids from dysphagia',
    'moves with marked motor slowing',
    'has become frail and mostly bedbound',
  ],
  requiring_assistance: [
    'needs help bathing and dressing',
    'relies on the daughter to manage medications',
    'no longer drives or handles finances',
    'moved to a memory care unit',
    'requires 24-hour supervision at home',
    'has a home health aide every day',
    'needs standby assistance for all transfers',
  ],
  cognitive_assessment: [
    'scored 21 of 30 on the MoCA',
    'had an MMSE of 18',
    'completed a clock drawing with errors',
    'was referred for neuropsychological testing',
    'scored 3 of 5 on the Mini-Cog',
    'will repeat the SLUMS in six months',
    'had a formal cognitive screen today',
  ],
  dementia_diagnosis: [
    "carries a diagnosis of Alzheimer's disease",
    'has moderate vascular dementia',
    'was diagnosed with mild cognitive impairment',
    'has a major neurocognitive disorder',
    'is being evaluated to rule out dementia',
    'has Lewy body dementia per neurology',
    "has early-onset Alzheimer's dementia",
  ],
  dementia_treatment: [
    'takes donepezil 10 mg nightly',
    'was started on memantine',
    'continues Aricept without side effects',
    'uses a rivastigmine patch daily',
    'had galantamine titrated up',
    'will begin lecanemab infusions',
    'attends the memory clinic program weekly',
  ],
};
const BRONZE_CONTEXTS = [
  'at this visit',
  'over the past few months',
  'since the last appointment',
  'according to the chart',
  'this week',
  'per the nursing note',
  "on today's exam",
  'for about a year',
];

function bronzeSentence(label: string, i: number, labelIndex: number): string {
  const findings = BRONZE_FINDINGS[label] ?? [`shows signs of ${label.replaceAll('_', ' ')}`];
  const subj = BRONZE_SUBJECTS[(i + labelIndex) % BRONZE_SUBJECTS.length]!;
  const finding = findings[i % findings.length]!;
  const ctx = BRONZE_CONTEXTS[Math.floor(i / findings.length) % BRONZE_CONTEXTS.length]!;
  return `${subj} ${finding} ${ctx}.`;
}

// ---------------------------------------------------------------------------------------------------------------

interface MergedRow {
  id: string;
  text: string;
  labels: string[];
  source: 'silver' | 'bronze';
  split: 'train';
  usable: boolean;
}

/** Real MTSamples sentences outside the gold notes, 2 per note (seeded pick), de-duplicated, gold texts skipped. */
async function silverTexts(n: number, goldTexts: Set<string>, goldNotes: Set<string>): Promise<string[]> {
  const { readNotes } = await import('../lib/corpus/readers.js');
  const { splitSentences, normaliseSentence } = await import('../lib/corpus/sentences.js');
  const { mulberry32, shuffled } = await import('../lib/run/random.js');
  const rand = mulberry32(6);
  const seen = new Set(goldTexts);
  const out: string[] = [];
  for await (const note of readNotes(MTSAMPLES, 'mtsamples-csv', { onBadRow: 'skip' })) {
    if (goldNotes.has(note.id)) continue;
    const eligible = splitSentences(note.text)
      .map((s) => s.text)
      .filter((t) => t.length >= 25 && t.length <= 300 && /[a-z]/.test(t) && !t.endsWith(':'));
    let taken = 0;
    for (const t of shuffled(eligible, rand)) {
      const key = normaliseSentence(t);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(t);
      if (++taken === 2 || out.length === n) break;
    }
    if (out.length === n) break;
  }
  if (out.length < n) throw new Error(`only ${out.length} MTSamples sentences found, wanted ${n}`);
  return out;
}

export async function writeMerged(
  runDir: string,
  labels: string[],
  goldFile: string,
): Promise<{ silver: number; silverLabelled: number; bronze: number }> {
  const { normaliseSentence } = await import('../lib/corpus/sentences.js');
  const { mulberry32, shuffled } = await import('../lib/run/random.js');
  const { withDuckDb } = await import('../lib/dataset/merge.js');
  const { sqlLiteral } = await import('../lib/dataset/sql.js');
  const gold = readFileSync(goldFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { text: string; note_hash?: string; noteId?: string });
  const goldTexts = new Set(gold.map((r) => normaliseSentence(r.text)));
  const goldNotes = new Set(
    gold.flatMap((r) => [r.note_hash, r.noteId].filter((x): x is string => typeof x === 'string')),
  );
  const rand = mulberry32(12);
  const rows: MergedRow[] = [];
  const texts = await silverTexts(SILVER_ROWS, goldTexts, goldNotes);
  let silverLabelled = 0;
  texts.forEach((text, i) => {
    let rowLabels: string[] = [];
    if (rand() < SILVER_LABELLED_SHARE) {
      rowLabels = shuffled(labels, rand).slice(0, rand() < 0.75 ? 1 : 2);
      silverLabelled++;
    }
    rows.push({
      id: `silver-${String(i).padStart(5, '0')}`,
      text,
      labels: rowLabels,
      source: 'silver',
      split: 'train',
      usable: true,
    });
  });
  const perLabel = Math.floor(BRONZE_ROWS / labels.length);
  const extra = BRONZE_ROWS - perLabel * labels.length;
  let b = 0;
  labels.forEach((label, li) => {
    for (let i = 0; i < perLabel + (li < extra ? 1 : 0); i++) {
      rows.push({
        id: `bronze-${String(b++).padStart(5, '0')}`,
        text: bronzeSentence(label, i, li),
        labels: [label],
        source: 'bronze',
        split: 'train',
        usable: true,
      });
    }
  });
  const dir = mkdirp(join(runDir, 'datasets'));
  const jsonl = join(dir, '.bench-merged.jsonl');
  writeFileSync(jsonl, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  await withDuckDb(':memory:', async (c) => {
    await c.run(
      `COPY (SELECT id, text, CAST(labels AS VARCHAR[]) AS labels, source, split, usable
             FROM read_json(${sqlLiteral(jsonl)}, columns = {id: 'VARCHAR', text: 'VARCHAR', labels: 'VARCHAR[]', source: 'VARCHAR', split: 'VARCHAR', usable: 'BOOLEAN'})
             ORDER BY source, split, id)
       TO ${sqlLiteral(join(dir, 'merged.parquet'))} (FORMAT parquet)`,
    );
  });
  return { silver: texts.length, silverLabelled, bronze: b };
}

/** Runs `fn` over `items` with at most `width` in flight, in order of start. */
async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  const cpu = { cores: cpus().length, line: `CPU: ${cpuLine()}` };
  console.log(cpu.line);
  if (!existsSync(DEV_GOLD) || !existsSync(MTSAMPLES)) {
    const missing = !existsSync(DEV_GOLD) ? DEV_GOLD : MTSAMPLES;
    return skippedResult(
      'p6',
      'train+evaluate stages (MTSamples size)',
      's',
      '<= 1',
      `no ${missing}: this benchmark needs the project's shared data folder beside the checkout (../shared/data); p6 skipped`,
    );
  }
  const dir = tempDir('p6');
  // A fresh home before anything reads it: the embedding cache starts cold.
  process.env.CLINSYNTH_HOME = join(dir, 'home');
  try {
    const { loadExperiment } = await import('../lib/config/load-experiment.js');
    const { startRun } = await import('../lib/generate/run-setup.js');
    const { evaluationJobs } = await import('../lib/evaluate/jobs.js');
    const { compareMixes } = await import('../lib/evaluate/compare.js');
    const training = await import('../lib/model/training.js');
    const { sharedEncoder } = await import('../lib/model/embeddings.js');

    const file = join(dir, 'experiment.yaml');
    writeFileSync(
      file,
      stringify({
        name: 'bench-p6',
        taxonomy: TAXONOMY,
        gold: { path: DEV_GOLD, splitSeed: 1 },
        corpus: { path: DEMO_NOTES, format: 'jsonl', sensitive: false },
        silver: { enabled: true, batchSize: 8 },
        bronze: { enabled: true, perLabel: 50, perCall: 5 },
        selfCheck: { enabled: true, batchSize: 8 },
        llm: { provider: 'local', concurrency: POOL },
        train: { seeds: SEEDS },
        evaluate: { mixes: MIXES, folds: FOLDS, baseline: 'gold', bootstrap: RESAMPLES, curves: CURVES },
        output: join(dir, 'runs'),
      }),
    );
    const e = loadExperiment(file);
    const runDir = join(dir, 'runs', 'bench-p6');
    const setupStart = performance.now();
    const started = startRun(e, runDir);
    const merged = await writeMerged(runDir, e.labels, DEV_GOLD);
    const setupSeconds = (performance.now() - setupStart) / 1000;
    const jobs: EvaluationJob[] = evaluationJobs(e);
    const goldTest = started.counts.goldTest ?? 0;
    console.log(
      `run built in ${round(setupSeconds, 1)} s: gold ${goldTest} sentences in ${started.counts.goldFolds} folds, silver ${merged.silver} (${merged.silverLabelled} labelled), bronze ${merged.bronze}; ${jobs.length} jobs`,
    );

    // The encoder's model load is not part of the stages on a warm worker: load it first, time it apart.
    let s = performance.now();
    const { encoderThreads } = await import('../lib/model/encoder.js');
    const threads = encoderThreads();
    await sharedEncoder();
    const encoderLoadSeconds = (performance.now() - s) / 1000;

    const cpu0 = procCpuSeconds();
    const stagesStart = performance.now();
    s = performance.now();
    const embedded = await training.embedRunDatasets(runDir);
    const embedSeconds = (performance.now() - s) / 1000;
    console.log(`embedded ${embedded.sentences} sentences in ${round(embedSeconds, 1)} s`);

    s = performance.now();
    const jobSeconds: { job: string; seconds: number; n: number }[] = [];
    let fits = 0;
    let done = 0;
    await pool(jobs, POOL, async (job) => {
      const js = performance.now();
      const r = await training.trainAndPredict(runDir, job);
      fits += r.folds;
      const name = `${job.mix} seed ${job.seed}${job.curve ? ` ${job.curve.axis} ${job.curve.share}` : ''}`;
      jobSeconds.push({ job: name, seconds: round((performance.now() - js) / 1000, 2), n: r.n });
      if (++done % 6 === 0 || done === jobs.length)
        console.log(`  ${done}/${jobs.length} jobs, ${round((performance.now() - s) / 1000, 1)} s`);
    });
    const jobsSeconds = (performance.now() - s) / 1000;

    s = performance.now();
    const final = await training.trainFinalModel(runDir);
    const finalSeconds = (performance.now() - s) / 1000;
    const trainStageSeconds = (performance.now() - stagesStart) / 1000;

    s = performance.now();
    const compared = compareMixes(runDir, e);
    const evaluateStageSeconds = (performance.now() - s) / 1000;
    const totalSeconds = (performance.now() - stagesStart) / 1000;
    const cpuSeconds = procCpuSeconds() - cpu0;
    const mem = procMemory();

    const bootstrap = compared.seconds;
    const comparisons = Object.keys(compared.comparisons).length;
    const sentences = Object.values(compared.comparisons)[0]?.sentences ?? goldTest;
    const notes = Object.values(compared.comparisons)[0]?.notes ?? null;
    const sorted = [...jobSeconds].sort((a, b) => b.seconds - a.seconds);
    const meanJob = jobSeconds.reduce((a, j) => a + j.seconds, 0) / Math.max(1, jobSeconds.length);
    const parts = { embed: embedSeconds, jobs: jobsSeconds, finalModel: finalSeconds, compare: evaluateStageSeconds };
    const dominant = Object.entries(parts).sort((a, b) => b[1] - a[1])[0]!;
    const what = `${comparisons} comparisons × ${RESAMPLES.toLocaleString('en')} resamples × ${sentences} sentences (${notes} notes) × ${SEEDS.length} seeds, bootstrap + randomisation test`;
    return result({
      id: 'p6',
      title: `train+evaluate stages: ${FOLDS} folds × ${SEEDS.length} seeds × ${MIXES.length} mixes + curves (${jobs.length} jobs, ${fits} fits)`,
      figure: { value: round(bootstrap, 2), unit: 's', what: `bootstrap: ${what}` },
      baseline: { value: GOAL_BOOTSTRAP_S, unit: 's', what: 'goal' },
      goal: '<= 1',
      seconds: (performance.now() - t0) / 1000,
      details: {
        cpu: cpu.line,
        quick: QUICK,
        gold: { sentences: goldTest, folds: started.counts.goldFolds },
        silverRows: merged.silver,
        silverLabelled: merged.silverLabelled,
        bronzeRows: merged.bronze,
        seeds: SEEDS,
        mixes: MIXES,
        curves: CURVES,
        jobs: jobs.length,
        fits,
        pool: POOL,
        setupSeconds: round(setupSeconds, 1),
        encoderLoadSeconds: round(encoderLoadSeconds, 2),
        encoderThreads: threads,
        embedSeconds: round(embedSeconds, 2),
        embeddedSentences: embedded.sentences,
        jobsSeconds: round(jobsSeconds, 1),
        meanJobSeconds: round(meanJob, 2),
        meanFitSecondsPerLane: round((jobsSeconds * POOL) / Math.max(1, fits), 3),
        slowestJobs: sorted.slice(0, 3),
        fastestJobs: sorted.slice(-3),
        finalModelSeconds: round(finalSeconds, 2),
        finalModelRows: final.n,
        trainStageSeconds: round(trainStageSeconds, 1),
        evaluateStageSeconds: round(evaluateStageSeconds, 2),
        bootstrapSeconds: round(bootstrap, 2),
        bootstrapCounts: what,
        bootstrapGoalSeconds: GOAL_BOOTSTRAP_S,
        totalTrainEvaluateSeconds: round(totalSeconds, 1),
        cpuSecondsTrainEvaluate: round(cpuSeconds, 1),
        cpuUtilisation: round(cpuSeconds / totalSeconds, 2),
        peakRssMiB: round(mem.hwmMiB, 0),
        dominantPart: dominant[0],
      },
      notes: [
        cpu.line,
        `train+evaluate wall ${round(totalSeconds, 1)} s on ${cpu.cores} cores (embed ${round(embedSeconds, 1)} s, ${jobs.length} jobs/${fits} fits ${round(jobsSeconds, 1)} s, final model ${round(finalSeconds, 1)} s, compare ${round(evaluateStageSeconds, 2)} s); encoder (${threads} thread${threads === 1 ? '' : 's'}) load ${round(encoderLoadSeconds, 1)} s apart`,
        `bootstrap ${round(bootstrap, 2)} s vs goal ${GOAL_BOOTSTRAP_S} s (${what})`,
        `peak RSS ${round(mem.hwmMiB, 0)} MiB; CPU ${round(cpuSeconds, 1)} s (${round(cpuSeconds / totalSeconds, 2)} cores busy on average); ${dominant[0]} dominates (${round((dominant[1] / totalSeconds) * 100, 0)}%)`,
      ],
    });
  } finally {
    cleanup(dir);
  }
}

await mainIfDirect(import.meta.url, run);
