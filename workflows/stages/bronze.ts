// Stage bronze: plan the writing jobs, the LLM writes their pages, then top-up rounds for labels still short.
import { patched } from '@temporalio/workflow';
import { pageSummary } from '../../lib/run/summaries.js';
import { run } from '../activities.js';
import { PATCHES } from '../patches.js';
import type { StageContext, StageOutcome } from './stage.js';

export async function bronze({ experiment, p, runDir, pages }: StageContext): Promise<StageOutcome> {
  if (!experiment.bronze.enabled) return 'skipped';
  if (p.pages.bronze === 0 && p.nextPage === 0) {
    const r = await run.planBronze.executeWithOptions(
      { summary: `plan bronze: ${experiment.bronze.perLabel} per label, ${experiment.bronze.perCall} per call` },
      [{ runDir }],
    );
    p.pages.bronze = r.pages;
    Object.assign(p.counts, r.counts);
  }
  // Top-up rounds ask again for the labels still short of perLabel usable sentences (runs started before this
  // change never top up, so their replays match).
  const rounds = patched(PATCHES.bronzeTopUp) ? experiment.bronze.topUpRounds : 0;
  for (;;) {
    const round = p.counts.bronzeTopUpRounds ?? 0;
    const total = p.pages.bronze;
    const write = (n: number) =>
      pages.calls.generateBronzePage.executeWithOptions(
        {
          summary: pageSummary(
            'bronze',
            n,
            total,
            round ? `top-up round ${round}` : `${experiment.bronze.perCall} sentences a call`,
          ),
        },
        [{ runDir, page: n }],
      );
    if ((await pages.runPages('bronze', total, write)) === 'again') return 'again';
    if (rounds === 0 || p.budgetExhausted || p.cancelled) break;
    // After the last round this only counts (bronzeTargetsShort) and plans nothing.
    const done = p.counts.bronzeTopUpRounds ?? 0;
    const r = await run.planBronzeTopUp.executeWithOptions(
      {
        summary:
          done < rounds
            ? `bronze top-up ${done + 1}/${rounds}: count labels short of ${experiment.bronze.perLabel}`
            : 'bronze: count labels still short',
      },
      [{ runDir, pages: p.pages.bronze, plan: done < rounds }],
    );
    Object.assign(p.counts, r.counts);
    if (r.pages === 0) break;
    p.counts.bronzeTopUpRounds = done + 1;
    p.pages.bronze += r.pages;
  }
  return 'done';
}
