// The review stage's export: chooses the rows (select.ts), keeps them in review/selection.jsonl, and writes what reviewers load: Label Studio's tasks.json and label-config.xml, and tasks.csv.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl, readRunExperiment, RUN_FILES, writeFileAtomic, writeJson, writeJsonl } from '../run/run-dir.js';
import { loadTaxonomy } from '../config/taxonomy.js';
import type { ReviewTaskRow } from '../run/records.js';
import { REVIEW_IMPORTS_DIR } from '../run/review.js';
import { selectForReview } from './select.js';
import { labelStudioConfig, labelStudioTasks, rationalesShown } from './label-studio.js';
import { reviewCsv } from './spreadsheet.js';

/** The files reviewers work from, by purpose (absolute paths). */
export function reviewFiles(runDir: string): {
  tasks: string;
  config: string;
  csv: string;
  selection: string;
  imports: string;
} {
  return {
    tasks: join(runDir, RUN_FILES.reviewTasks),
    config: join(runDir, RUN_FILES.reviewConfig),
    csv: join(runDir, RUN_FILES.reviewCsv),
    selection: join(runDir, RUN_FILES.reviewSelection),
    imports: join(runDir, REVIEW_IMPORTS_DIR),
  };
}

/** Writes tasks.json, label-config.xml and tasks.csv from the run's selection (again, when one was deleted). */
export function writeReviewFiles(
  runDir: string,
  tasks: readonly ReviewTaskRow[] = readJsonl<ReviewTaskRow>(join(runDir, RUN_FILES.reviewSelection)),
): void {
  const taxonomy = loadTaxonomy(readRunExperiment(runDir).taxonomy);
  const f = reviewFiles(runDir);
  writeJson(f.tasks, labelStudioTasks(tasks, taxonomy));
  writeFileAtomic(f.config, labelStudioConfig(taxonomy, rationalesShown(tasks)));
  writeFileAtomic(f.csv, reviewCsv(tasks, taxonomy.noneLabel));
}

/** True when the run chose its review rows and every file reviewers need is there. */
export function reviewExported(runDir: string): boolean {
  const f = reviewFiles(runDir);
  return [f.selection, f.tasks, f.config, f.csv].every((p) => existsSync(p));
}

/** Chooses the rows to review and writes the selection, its statistics and the reviewers' files; idempotent. */
export async function exportReview(
  runDir: string,
  onProgress?: () => void,
): Promise<{ tasks: number; counts: Record<string, number> }> {
  const e = readRunExperiment(runDir);
  const { tasks, stats } = await selectForReview(e, runDir, onProgress);
  writeJsonl(join(runDir, RUN_FILES.reviewSelection), tasks);
  writeJson(join(runDir, RUN_FILES.reviewStats), stats);
  writeReviewFiles(runDir, tasks);
  return { tasks: tasks.length, counts: { reviewCandidates: stats.candidates, reviewTasks: tasks.length } };
}
