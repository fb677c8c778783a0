// Histories recorded by earlier versions of the experiment workflow replay on this code: a deployed upgrade never
// breaks the runs in flight (patched() branches keep their commands).
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { workflowBundle } from '../../worker.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';

const FIXTURES = join(PROJECT_ROOT, 'tests', 'fixtures', 'histories');

/**
 * Recorded with the workflow code of d382d68 (before pages ran all their calls at once, before the review stage and
 * batch mode), against the fake endpoint:
 * - replay-window / replay-budget: 100 candidates in silver pages at llm.concurrency 4 (window: 3 pages), bronze and
 *   self-check, train, report; one without a budget, one with;
 * - pre-review-first / pre-review-last: a test-ad run with historyLimit 30 that continued as new twice — its first
 *   run, and its last, which starts from progress without stages.review.
 */
const RECORDED = ['replay-window.binpb', 'replay-budget.binpb', 'pre-review-first.binpb', 'pre-review-last.binpb'];

describe('replaying recorded histories', () => {
  it('finds the recorded histories', () => {
    expect(
      readdirSync(FIXTURES)
        .filter((f) => f.endsWith('.binpb'))
        .sort(),
    ).toEqual([...RECORDED].sort());
  });

  it.each(RECORDED)(
    'replays %s without non-determinism',
    async (file) => {
      const history = temporal.api.history.v1.History.decode(readFileSync(join(FIXTURES, file)));
      const scheduled = history.events.filter((e) => e.activityTaskScheduledEventAttributes).length;
      expect(scheduled).toBeGreaterThan(2); // a run that got going, not a stub (pre-review-first stops at 30 events)
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `replay-${file}`);
    },
    120_000,
  );
});
