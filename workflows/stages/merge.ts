// Stage merge: silver and bronze rows with gold into the training sets (DuckDB).
import { run } from '../activities.js';
import type { StageContext, StageOutcome } from './stage.js';

export async function merge({ p, runDir }: StageContext): Promise<StageOutcome> {
  const c = p.counts;
  const r = await run.mergeDatasets.executeWithOptions(
    { summary: `merge: ${c.silverRows ?? 0} silver, ${c.bronzeRows ?? 0} bronze rows with gold (DuckDB)` },
    [{ runDir }],
  );
  Object.assign(p.counts, r.counts);
  return 'done';
}
