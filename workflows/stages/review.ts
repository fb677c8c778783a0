// Stage review: export rows for human review and wait for the import or the skip (workflows/review.ts).
import type { StageContext, StageOutcome } from './stage.js';

export async function review(c: StageContext): Promise<StageOutcome> {
  await c.review.run();
  return 'done';
}
