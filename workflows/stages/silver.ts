// Stage silver: select candidate sentences, then the LLM labels their pages and the gold test's (as annotator).
import { stagePage } from '../../lib/run/run-state.js';
import { pageSummary } from '../../lib/run/summaries.js';
import { run } from '../activities.js';
import type { StageContext, StageOutcome } from './stage.js';

export async function silver({ experiment, p, runDir, pages }: StageContext): Promise<StageOutcome> {
  if (!experiment.silver.enabled) return 'skipped';
  if (p.pages.silver === 0 && p.nextPage === 0) {
    const r = await run.selectSilverCandidates.executeWithOptions(
      { summary: `select silver candidates (up to ${experiment.corpus?.maxSentences ?? 0} sentences)` },
      [{ runDir }],
    );
    p.pages.silver = r.pages;
    p.pages.probe = r.probePages;
    Object.assign(p.counts, r.counts);
  }
  // Candidate pages first, then the gold test sentences (the LLM as annotator, for agreement only).
  const batches = `${experiment.silver.batchSize} sentences a call`;
  const label = (n: number) => {
    const { set, page, of } = stagePage('silver', p.pages, n);
    return set === 'probe'
      ? pages.calls.labelSilverPage.executeWithOptions(
          { summary: pageSummary('LLM as annotator: gold test', page, of, batches) },
          [{ runDir, page, set }],
        )
      : pages.calls.labelSilverPage.executeWithOptions({ summary: pageSummary('silver', page, of, batches) }, [
          { runDir, page },
        ]);
  };
  return pages.runPages('silver', p.pages.silver + p.pages.probe, label);
}
