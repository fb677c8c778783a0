// Bronze top-up: counts the usable bronze sentences per label so far and plans another round for the labels still short.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { phiKinds } from '../dataset/phi.js';
import { findLeakage, findNearDuplicates, type EmbedFn } from '../dataset/leakage.js';
import { bronzeTargets, countsForTarget, planBronzeJobs, type BronzeJob } from './bronze-jobs.js';
import { pagePath, readJsonl, readRunExperiment, RUN_FILES, writePages } from '../run/run-dir.js';
import type { BronzeRow, GoldRow } from '../run/records.js';
import type { Experiment } from '../config/experiment.js';
import { bronzeJobsPerPage } from './run-setup.js';

/** Each round asks for at most this many times a label's shortfall, however poor the yield so far. */
export const MAX_ASK_FACTOR = 3;

/** The jobs of bronze job pages [0, pages), in order. */
function readBronzeJobs(runDir: string, pages: number): BronzeJob[] {
  const jobs: BronzeJob[] = [];
  for (let page = 0; page < pages; page++) jobs.push(...readJsonl<BronzeJob>(pagePath(runDir, 'bronzeJobs', page)));
  return jobs;
}

export interface TargetTally {
  /** The labels a sentence must express ([] = none, the hard negatives). */
  target: string[];
  /** Sentences asked for so far (in all jobs whose labels cover the target). */
  requested: number;
  /** Distinct sentences that pass the same checks as the merge: no PHI, no gold test leakage, not a near-duplicate. */
  usable: number;
}

/**
 * Usable bronze sentences per target in pages [0, pages): the first copy of each sentence (as the merge keeps it),
 * without PHI findings, test-set leakage or near-duplicates. The self-check comes later and is not counted here.
 */
export async function tallyBronze(
  runDir: string,
  pages: number,
  embed: EmbedFn,
  onProgress?: () => void,
): Promise<TargetTally[]> {
  return tally(readRunExperiment(runDir), runDir, pages, readBronzeJobs(runDir, pages), embed, onProgress);
}

/** tallyBronze with the run's experiment and the jobs of pages [0, pages) already read. */
async function tally(
  e: Experiment,
  runDir: string,
  pages: number,
  jobs: BronzeJob[],
  embed: EmbedFn,
  onProgress?: () => void,
): Promise<TargetTally[]> {
  const byId = new Map<string, BronzeRow>();
  for (let page = 0; page < pages; page++) {
    const file = pagePath(runDir, 'bronze', page);
    if (!existsSync(file)) continue;
    for (const r of readJsonl<BronzeRow>(file)) if (!byId.has(r.id)) byId.set(r.id, r);
  }
  let rows = [...byId.values()].filter((r) => phiKinds(r.text).length === 0);
  if (rows.length > 0) {
    const testFile = join(runDir, RUN_FILES.goldTest);
    const test = existsSync(testFile) ? readJsonl<GoldRow>(testFile) : [];
    const texts = [...rows.map((r) => r.text), ...test.map((t) => t.text)];
    const vecs = await embed(texts);
    const rowVecs = vecs.slice(0, rows.length);
    const leaks = test.length
      ? await findLeakage(rows, rowVecs, test, vecs.slice(rows.length), { onProgress })
      : new Map<string, string>();
    const keep = rows.map((r) => !leaks.has(r.id));
    const clean = rows.filter((_, i) => keep[i]);
    const dups = await findNearDuplicates(
      clean,
      rowVecs.filter((_, i) => keep[i]),
      { onProgress },
    );
    rows = clean.filter((r) => !dups.has(r.id));
  }
  return bronzeTargets(e.labels, e.bronze.includeNone, e.bronze.combos).map((target) => ({
    target,
    requested: jobs.filter((j) => countsForTarget(j.labels, target)).reduce((n, j) => n + j.count, 0),
    usable: rows.filter((r) => countsForTarget(r.labels, target)).length,
  }));
}

/**
 * How many sentences to ask for next: the shortfall divided by the share of requested sentences that became usable
 * so far (at least 1/MAX_ASK_FACTOR), so a model that repeats itself is asked for more; and never less than one full
 * call (`perCall`), since a call's cost is mostly its prompt.
 */
export function sentencesToAsk(t: TargetTally, perLabel: number, perCall = 1): number {
  const short = perLabel - t.usable;
  if (short <= 0) return 0;
  const yieldSoFar = t.requested > 0 ? t.usable / t.requested : 1;
  return Math.max(
    perCall,
    Math.min(MAX_ASK_FACTOR * short, Math.ceil(short / Math.max(yieldSoFar, 1 / MAX_ASK_FACTOR))),
  );
}

export interface TopUpPlan {
  /** Job pages added after the existing ones (0 when every target has perLabel usable sentences). */
  pages: number;
  counts: Record<string, number>;
  tally: TargetTally[];
}

export interface TopUpOptions {
  /** false: only count (after the last round); no jobs are written. Default true. */
  plan?: boolean;
  /** Sentence embedder (a worker passes lib/model/embeddings.ts `sharedEmbed`). */
  embed: EmbedFn;
  /** Called now and then during long steps (the activity heartbeats). */
  onProgress?: () => void;
}

/**
 * Plans one top-up round after bronze pages [0, pages): jobs for each target short of bronze.perLabel usable
 * sentences, numbered on from the existing jobs (new seeds and styles), written as pages `pages`, `pages + 1`, ...
 * Running it again on the same pages writes the same jobs.
 */
export async function planBronzeTopUp(runDir: string, pages: number, opts: TopUpOptions): Promise<TopUpPlan> {
  const e = readRunExperiment(runDir);
  const before = readBronzeJobs(runDir, pages);
  const counted = await tally(e, runDir, pages, before, opts.embed, opts.onProgress);
  const jobsBefore = before.length;
  const wanted =
    opts.plan === false
      ? []
      : counted
          .map((t) => ({ target: t.target, count: sentencesToAsk(t, e.bronze.perLabel, e.bronze.perCall) }))
          .filter((w) => w.count > 0);
  const jobs = planBronzeJobs(e.labels, wanted, e.bronze.perCall, { jobsBefore });
  const added = writePages(runDir, 'bronzeJobs', jobs, bronzeJobsPerPage(e), pages);
  const requested = (list: BronzeJob[]) => list.reduce((n, j) => n + j.count, 0);
  return {
    pages: added,
    counts: {
      bronzeJobs: jobsBefore + jobs.length,
      bronzeRequested: requested(before) + requested(jobs),
      bronzeTargetsShort: counted.filter((t) => t.usable < e.bronze.perLabel).length,
    },
    tally: counted,
  };
}
