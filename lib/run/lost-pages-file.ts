// Writes a run's lost LLM pages to <run>/failures/pages.jsonl (one stage's lines replaced at a time).
import { join } from 'node:path';
import { readJsonl, RUN_FILES, writeJsonl } from './run-dir.js';
import type { LostPage } from './lost-pages.js';
import type { StageName } from './run-state.js';

export function lostPagesPath(runDir: string): string {
  return join(runDir, RUN_FILES.lostPages);
}

/** Replaces `stage`'s lines of the file with `lost` (other stages' lines stay); returns the lines now in the file. */
export function recordLostPages(runDir: string, stage: StageName, lost: LostPage[]): number {
  const path = lostPagesPath(runDir);
  const rows = [...readJsonl<LostPage>(path).filter((l) => l.stage !== stage), ...lost];
  writeJsonl(path, rows);
  return rows.length;
}

/** Lost pages per stage as the file lists them ({} when none is, or the run directory is not here). */
export function lostPagesByStage(runDir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of readJsonl<LostPage>(lostPagesPath(runDir))) out[l.stage] = (out[l.stage] ?? 0) + 1;
  return out;
}
