// Stage taxonomy: set up the run directory (taxonomy, gold, corpus) and count what it holds.
import { run } from '../activities.js';
import type { StageContext, StageOutcome } from './stage.js';

export async function taxonomy({ experiment, input, p, runDir }: StageContext): Promise<StageOutcome> {
  const r = await run.startRun.executeWithOptions(
    { summary: `set up: ${experiment.taxonomyVersion}, ${experiment.labels.length} labels, gold and corpus read` },
    [{ experiment, runId: input.runId, runDir }],
  );
  Object.assign(p.counts, r.counts);
  return 'done';
}
