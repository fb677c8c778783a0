// The first stages of a run: snapshot the experiment, check taxonomy and gold, pick silver candidates, plan bronze.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Experiment } from '../config/experiment.js';
import { loadTaxonomy, labelIds } from '../config/taxonomy.js';
import { readGold, readNotes } from '../corpus/readers.js';
import { selectCandidates } from '../corpus/selection.js';
import { bronzeJobs } from './bronze-jobs.js';
import { copyPrompts } from './stage-prompts.js';
import { readJsonl, readRunExperiment, RUN_FILES, writeJson, writeJsonl, writePages } from '../run/run-dir.js';
import type { CandidateRow, GoldRow } from '../run/records.js';
import { normaliseSentence } from '../corpus/sentences.js';
import { splitByGroup } from '../evaluate/split.js';
import { stratifiedGroupFolds } from '../evaluate/folds.js';
import type { Problem } from '../config/problems.js';
import { sensitiveEndpointRefusal } from '../config/privacy.js';
import { InputError } from '../config/problems.js';
import { callsPerPage } from '../run/run-state.js';

/**
 * Silver candidates per page: callsPerPage LLM batches — few enough to redo cheaply after a crash, enough that the
 * workflow's window stays a handful of pages (the same batches at any page size, so cached answers still match).
 */
export function silverPageSize(e: Experiment): number {
  return e.silver.batchSize * callsPerPage(e.llm.concurrency);
}

/** Bronze generation calls (jobs) per page. */
export function bronzeJobsPerPage(e: Experiment): number {
  return callsPerPage(e.llm.concurrency);
}
/** Bad corpus rows listed in silver/corpus-problems.jsonl (all are counted). */
const MAX_PROBLEMS_KEPT = 10_000;

export interface StageCounts {
  counts: Record<string, number>;
}

/** Writes experiment.json and the checked gold splits; drops test sentences that also appear in gold train. */
export function startRun(experiment: Experiment, runDir: string): StageCounts {
  const refusal = sensitiveEndpointRefusal(experiment);
  if (refusal) throw new InputError([{ file: experiment.file, line: 0, key: 'llm.baseURL', message: refusal }]);
  mkdirSync(runDir, { recursive: true });
  writeJson(join(runDir, RUN_FILES.experiment), experiment);
  // A rerun of a run that lost pages starts with none lost: the pages are asked again.
  rmSync(join(runDir, RUN_FILES.lostPages), { force: true });
  copyPrompts(experiment, runDir);
  const taxonomy = loadTaxonomy(experiment.taxonomy);
  const labels = labelIds(taxonomy);
  const { train, test } = goldSplits(experiment, labels);
  const testTexts = new Set(test.map((r) => normaliseSentence(r.text)));
  const trainKept = train.filter((r) => !testTexts.has(normaliseSentence(r.text)));
  writeJsonl(
    join(runDir, RUN_FILES.goldTrain),
    trainKept.map((r) => ({ ...r, noteId: r.noteId ?? null, split: 'train' })),
  );
  writeJsonl(
    join(runDir, RUN_FILES.goldTest),
    test.map((r) => ({ ...r, noteId: r.noteId ?? null, split: 'test' })),
  );
  const folds = test.reduce((k, r) => Math.max(k, r.fold + 1), 0);
  return {
    counts: {
      goldTrain: trainKept.length,
      goldTest: test.length,
      goldTrainDroppedAsInTest: train.length - trainKept.length,
      goldFolds: folds,
    },
  };
}

/**
 * The gold rows to train on in every fold (`train`) and the rows held out, each with its fold (`test`):
 * - gold.path with evaluate.folds = K ≥ 2: every row is held out once, in K folds grouped by note and stratified per
 *   label (no train-only rows);
 * - gold.path with K = 1: one seeded split by note (testShare), the test rows are fold 0;
 * - gold.train + gold.test: the two files, the test rows are fold 0.
 */
export function goldSplits(
  e: Experiment,
  labels: string[],
): { train: GoldRow[]; test: (GoldRow & { fold: number })[] } {
  if (e.gold.path) {
    const rows = readGold(e.gold.path, labels);
    if (e.evaluate.folds >= 2) {
      const folds = stratifiedGroupFolds(rows, e.evaluate.folds, e.gold.splitSeed);
      return { train: [], test: rows.map((r, i) => ({ ...r, fold: folds[i]! })) };
    }
    const testIds = new Set(splitByGroup(rows, e.gold.testShare, e.gold.splitSeed).test);
    return {
      train: rows.filter((r) => !testIds.has(r.id)),
      test: rows.filter((r) => testIds.has(r.id)).map((r) => ({ ...r, fold: 0 })),
    };
  }
  return {
    train: readGold(e.gold.train!, labels),
    test: readGold(e.gold.test!, labels).map((r) => ({ ...r, fold: 0 })),
  };
}

/** Reads the corpus, selects candidates and writes them as pages; bad rows are listed in silver/corpus-problems.jsonl. */
export async function selectSilverCandidates(
  runDir: string,
  onProgress?: () => void,
): Promise<StageCounts & { pages: number; probePages: number }> {
  const e = readRunExperiment(runDir);
  if (!e.corpus) throw new Error('silver needs a corpus (the experiment was validated without one)');
  const problems: Problem[] = [];
  let badRows = 0;
  const taxonomy = loadTaxonomy(e.taxonomy);
  const onProblem = (p: Problem) => {
    if (++badRows <= MAX_PROBLEMS_KEPT) problems.push(p);
  };
  const notes = readNotes(e.corpus.path, e.corpus.format, { onBadRow: e.corpus.onBadRow, onProblem });
  // Gold sentences (train and test) never become silver candidates: no test leakage, no double counting.
  const gold = [
    ...readJsonl<GoldRow>(join(runDir, RUN_FILES.goldTrain)),
    ...readJsonl<GoldRow>(join(runDir, RUN_FILES.goldTest)),
  ];
  const { candidates, stats } = await selectCandidates(notes, {
    taxonomy,
    lexicon: e.corpus.lexicon,
    maxSentences: e.corpus.maxSentences,
    negativeShare: e.corpus.negativeShare,
    seed: e.llm.seed,
    exclude: gold.map((r) => r.text),
    excludeNotes: new Set(gold.flatMap((r) => (r.noteId ? [r.noteId] : []))),
    onProgress,
  });
  writeJsonl(join(runDir, 'silver', 'corpus-problems.jsonl'), problems);
  writeJson(join(runDir, 'silver', 'selection.json'), stats);
  const pageSize = silverPageSize(e);
  const pages = writePages(runDir, 'candidates', candidates, pageSize);
  const test = readJsonl<GoldRow>(join(runDir, RUN_FILES.goldTest));
  const probe: CandidateRow[] = e.evaluate.llmAgreement ? goldProbeRows(test) : [];
  const probePages = writePages(runDir, 'probeCandidates', probe, pageSize);
  return {
    pages,
    probePages,
    counts: {
      corpusNotes: stats.notes,
      corpusSentences: stats.sentences,
      corpusUniqueSentences: stats.uniqueSentences,
      corpusCueHits: stats.cueHits,
      silverCandidates: candidates.length,
      corpusBadRows: badRows,
      corpusExcludedAsGold: stats.excluded,
    },
  };
}

/** Gold test sentences as silver candidates (the LLM-agreement probe; `clinsynth try --gold`). */
export function goldProbeRows(test: readonly GoldRow[]): CandidateRow[] {
  return test.map((r) => ({
    id: r.id,
    noteId: r.noteId ?? r.id,
    start: 0,
    end: r.text.length,
    text: r.text,
    reason: 'gold-probe',
    count: 1,
  }));
}

/** Writes the bronze job list (label × style, `perCall` sentences a call) as pages. */
export function planBronze(runDir: string): StageCounts & { pages: number } {
  const e = readRunExperiment(runDir);
  const jobs = bronzeJobs(e.labels, e.bronze.perLabel, e.bronze.perCall, e.bronze.includeNone, {
    combos: e.bronze.combos,
  });
  const pages = writePages(runDir, 'bronzeJobs', jobs, bronzeJobsPerPage(e));
  return { pages, counts: { bronzeJobs: jobs.length, bronzeRequested: jobs.reduce((n, j) => n + j.count, 0) } };
}
