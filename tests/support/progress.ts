// Waiting on a running experiment in tests: poll its progress query until a condition holds, and read its current details.
import type { WorkflowHandle } from '@temporalio/client';
import type { RunProgress } from '../../lib/run/run-state.js';
import { progressQuery } from '../../workflows/contract.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The run's progress once `ok` holds (polled every 100 ms); throws with the last progress after `timeoutMs`. */
export async function untilProgress(
  handle: WorkflowHandle,
  ok: (p: RunProgress) => boolean,
  timeoutMs = 60_000,
): Promise<RunProgress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await handle.query(progressQuery);
    if (ok(p)) return p;
    if (Date.now() > deadline)
      throw new Error(
        `timed out; progress: ${JSON.stringify({ stage: p.stage, nextPage: p.nextPage, stages: p.stages, review: p.review })}`,
      );
    await sleep(100);
  }
}

/** The workflow's current details (what the Web UI shows under the run). */
export async function currentDetails(handle: WorkflowHandle): Promise<string> {
  return ((await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string }).currentDetails ?? '';
}
