// Lost pages (an LLM page that failed for good): the record, the llm.maxFailedShare rule and the message that fails a run.
import type { LostPage, PageSet, RunProgress, StageName } from './run-state.js';

export type { LostPage };

/** Longest error kept per lost page (history, progress and the file stay small). */
const MAX_ERROR_CHARS = 400;

export function lostPage(stage: StageName, set: PageSet, page: number, error: string, attempts: number): LostPage {
  const e = error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS)}...` : error;
  return { stage, set, page, error: e, attempts };
}

export function lostOf(p: RunProgress, stage: StageName): LostPage[] {
  return (p.lostPages ?? []).filter((l) => l.stage === stage);
}

/** True when the stage lost more than llm.maxFailedShare of its pages (default 0: any lost page). */
export function tooManyLost(lost: number, total: number, maxFailedShare: number): boolean {
  return lost > 0 && (total === 0 || lost / total > maxFailedShare);
}

/** "silver page 3" / "selfcheck (bronze) page 0" / "silver (gold test) page 1": how logs and messages name a page. */
export function pageName(l: Pick<LostPage, 'stage' | 'set' | 'page'>): string {
  if (l.stage === 'silver') return `silver${l.set === 'probe' ? ' (gold test)' : ''} page ${l.page}`;
  if (l.stage === 'selfcheck') return `selfcheck (${l.set}) page ${l.page}`;
  return `${l.stage} page ${l.page}`;
}

/** Pages listed in a run's failure message at most (all of them are in failures/pages.jsonl). */
const LISTED = 10;

/** The failure a run ends with when a stage lost too many pages: which, why, where they are listed, what to do. */
export function lostPagesMessage(
  stage: StageName,
  lost: LostPage[],
  total: number,
  maxFailedShare: number,
  runId: string,
): string {
  const list = lost
    .slice(0, LISTED)
    .map((l) => `${pageName(l)} (${l.attempts} attempt${l.attempts === 1 ? '' : 's'}): ${l.error}`)
    .join('; ');
  const more = lost.length > LISTED ? `; and ${lost.length - LISTED} more` : '';
  return (
    `${stage}: ${lost.length} of ${total} pages lost, more than llm.maxFailedShare (${maxFailedShare}) allows: ` +
    `${list}${more}. They are listed in failures/pages.jsonl; run \`clinsynth run <experiment> --run-id ${runId}\` ` +
    `again to redo them (answers already paid for come from the answer cache).`
  );
}

/** One line of the run's current details per stage that lost pages. */
export function lostPagesDetails(p: RunProgress): string {
  const by = new Map<string, number>();
  for (const l of p.lostPages ?? []) by.set(l.stage, (by.get(l.stage) ?? 0) + 1);
  return [...by].map(([s, n]) => `\n\n**${s}**: ${n} page${n === 1 ? '' : 's'} lost (failures/pages.jsonl)`).join('');
}
