// Stage selfcheck: the LLM checks each silver, bronze and gold-test label it gave (a second opinion).
import { stagePage } from '../../lib/run/run-state.js';
import { pageSummary } from '../../lib/run/summaries.js';
import type { StageContext, StageOutcome } from './stage.js';

export async function selfcheck({ experiment, p, runDir, pages }: StageContext): Promise<StageOutcome> {
  if (!experiment.selfCheck.enabled) return 'skipped';
  const total = p.pages.silver + p.pages.bronze + p.pages.probe;
  const check = (n: number) => {
    const { set, page, of } = stagePage('selfcheck', p.pages, n);
    return pages.calls.selfCheckPage.executeWithOptions(
      { summary: pageSummary(`self-check ${set === 'probe' ? 'gold test' : set}`, page, of) },
      [{ runDir, set, page }],
    );
  };
  return pages.runPages('selfcheck', total, check);
}
