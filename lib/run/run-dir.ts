// The run directory's layout and its file I/O: JSONL parts written atomically, so a rerun overwrites, never appends.
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { experimentSchema, type Experiment } from '../config/experiment.js';
import { loadYaml } from '../config/structured-file.js';

export const RUN_FILES = {
  experiment: 'experiment.json',
  goldTrain: 'gold/train.jsonl',
  goldTest: 'gold/test.jsonl',
  report: 'report.json',
  reportHtml: 'report.html',
  datasets: 'datasets',
  model: 'model',
  /** Human review: the chosen rows (what reviewers see and why), the exports, and the imported decisions. */
  reviewSelection: 'review/selection.jsonl',
  reviewStats: 'review/selection.json',
  reviewTasks: 'review/tasks.json',
  reviewConfig: 'review/label-config.xml',
  reviewCsv: 'review/tasks.csv',
  reviewed: 'review/reviewed.jsonl',
  reviewImport: 'review/import.json',
  /** LLM pages that failed for good (stage, set, page, error, attempts): lib/run/lost-pages.ts. */
  lostPages: 'failures/pages.jsonl',
  /** The prompt templates the run used (copied beside it) and their list: stage, name, content hash, source path. */
  prompts: 'prompts',
  promptsUsed: 'prompts/prompts.json',
} as const;

/** One template a run used, as `<run>/prompts/prompts.json` lists it (and the report shows it). */
export interface PromptUsed {
  stage: string;
  name: string;
  hash: string;
  path: string;
}

/** Folders of paged stage outputs; page n lives in `<folder>/page-<n, 6 digits>.jsonl`. */
export const PAGE_FOLDERS = {
  candidates: 'silver/candidates',
  silver: 'silver/labels',
  silverFailures: 'silver/failures',
  bronzeJobs: 'bronze/jobs',
  bronze: 'bronze/sentences',
  bronzeFailures: 'bronze/failures',
  /** Written sentences the bronze gate refused (labels, placeholders, copies), with the reason. */
  bronzeRejected: 'bronze/rejected',
  verdictsSilver: 'selfcheck/silver',
  verdictsBronze: 'selfcheck/bronze',
  selfCheckFailuresSilver: 'selfcheck/failures-silver',
  selfCheckFailuresBronze: 'selfcheck/failures-bronze',
  // The LLM as annotator: gold test sentences labelled (and self-checked) like silver, for agreement only;
  // nothing here ever reaches a training set.
  probeCandidates: 'probe/candidates',
  probe: 'probe/labels',
  probeFailures: 'probe/failures',
  verdictsProbe: 'selfcheck/probe',
  selfCheckFailuresProbe: 'selfcheck/failures-probe',
} as const;
export type PageFolder = keyof typeof PAGE_FOLDERS;

export function pagePath(runDir: string, folder: PageFolder, page: number): string {
  return join(runDir, PAGE_FOLDERS[folder], `page-${String(page).padStart(6, '0')}.jsonl`);
}

/** Writes a file in one step (temp + rename), so readers and retries never see half a file. */
export function writeFileAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

export function writeJsonl(path: string, rows: readonly unknown[]): void {
  writeFileAtomic(path, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
}

/** Reads a JSONL file the project itself wrote (trusted shape); a missing file reads as empty. */
export function readJsonl<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}

export function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** experiment.json as a run writes it: the experiment file's schema, plus what loading it added. */
const runExperimentSchema = experimentSchema.extend({
  file: z.string(),
  labels: z.array(z.string()),
  taxonomyVersion: z.string(),
});

/** The run's experiment (`<run>/experiment.json`), schema-checked: a file that does not fit fails with its problems. */
export function readRunExperiment(runDir: string): Experiment {
  return new RunDir(runDir).experiment();
}

/**
 * One run's directory: its file names and page folders (RUN_FILES, PAGE_FOLDERS) and the validated experiment it
 * ran with, so no caller joins names to a bare path by hand.
 */
export class RunDir {
  constructor(readonly path: string) {}

  /** A run file's path (experiment.json, gold/train.jsonl, report.json, …). */
  file(name: keyof typeof RUN_FILES): string {
    return join(this.path, RUN_FILES[name]);
  }

  /** Page n of a paged stage output. */
  page(folder: PageFolder, page: number): string {
    return pagePath(this.path, folder, page);
  }

  /** All page files of a folder, in page order. */
  pages(folder: PageFolder): string[] {
    return pageFiles(this.path, folder);
  }

  /** The experiment the run started with, checked against the experiment schema (not an unchecked cast). */
  experiment(): Experiment {
    const file = this.file('experiment');
    const r = runExperimentSchema.safeParse(readJson<unknown>(file));
    if (r.success) return r.data;
    // JSON is YAML: read again for the line of each problem (throws InputError with `file:line: key: why`).
    return loadYaml(file, runExperimentSchema).data;
  }
}

/** All page files of a folder, in page order. */
export function pageFiles(runDir: string, folder: PageFolder): string[] {
  const dir = join(runDir, PAGE_FOLDERS[folder]);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^page-\d+\.jsonl$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Splits `items` into pages of `size` and writes them as they come (one page in memory), numbered from `firstPage`
 * (default 0, or after pages already there); returns the number of pages written.
 */
export function writePages<T>(
  runDir: string,
  folder: PageFolder,
  items: Iterable<T>,
  size: number,
  firstPage = 0,
): number {
  let pages = 0;
  let page: T[] = [];
  for (const item of items) {
    page.push(item);
    if (page.length === size) {
      writeJsonl(pagePath(runDir, folder, firstPage + pages++), page);
      page = [];
    }
  }
  if (page.length) writeJsonl(pagePath(runDir, folder, firstPage + pages++), page);
  return pages;
}
