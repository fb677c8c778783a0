// Stage evaluate: each mix against the baseline (paired bootstrap).
import { run } from '../activities.js';
import type { StageContext, StageOutcome } from './stage.js';

export async function evaluate({ experiment, p, runDir }: StageContext): Promise<StageOutcome> {
  p.stages.evaluate.total = 1;
  const others = experiment.evaluate.mixes.filter((m) => m !== experiment.evaluate.baseline);
  const r = await run.compareMixes.executeWithOptions(
    {
      summary: `evaluate: ${others.join(', ')} vs ${experiment.evaluate.baseline} (paired bootstrap, ${experiment.evaluate.bootstrap} resamples)`,
    },
    [{ runDir }],
  );
  p.counts.comparisons = r.comparisons;
  p.stages.evaluate.done++;
  return 'done';
}
