// Batch mode bookkeeping: page numbering shared by the workflow and the batch files, the batch-priced spend, and how
// `clinsynth status`, the progress line and the Web UI details show the batches.
import { describe, expect, it } from 'vitest';
import { batchTable, progressLine } from '../../client/progress.js';
import { initialProgress, stagePage, type BatchProgress, type RunProgress } from '../../lib/run/run-state.js';
import { batchRoundSummary } from '../../lib/run/summaries.js';
import { batchPrice, costUsd, runCostUsd } from '../../lib/llm/pricing.js';

const pages = { silver: 3, bronze: 2, probe: 2 };

describe('stage pages', () => {
  it('number silver then probe pages for silver, and silver, bronze, probe for the self-check', () => {
    expect([0, 2, 3, 4].map((n) => stagePage('silver', pages, n))).toEqual([
      { set: 'silver', page: 0, of: 3 },
      { set: 'silver', page: 2, of: 3 },
      { set: 'probe', page: 0, of: 2 },
      { set: 'probe', page: 1, of: 2 },
    ]);
    expect([2, 3, 4, 5, 6].map((n) => stagePage('selfcheck', pages, n))).toEqual([
      { set: 'silver', page: 2, of: 3 },
      { set: 'bronze', page: 0, of: 2 },
      { set: 'bronze', page: 1, of: 2 },
      { set: 'probe', page: 0, of: 2 },
      { set: 'probe', page: 1, of: 2 },
    ]);
    expect(stagePage('bronze', pages, 1)).toEqual({ set: 'bronze', page: 1, of: 2 });
  });
});

describe('batch pricing', () => {
  it('charges batch tokens half the list price and the rest in full', () => {
    const price = { input: 2, output: 8 };
    expect(batchPrice(price)).toEqual({ input: 1, output: 4 });
    const all = { promptTokens: 3_000_000, completionTokens: 1_000_000 };
    expect(runCostUsd(price, all)).toBe(costUsd(price, 3_000_000, 1_000_000));
    expect(runCostUsd(price, all, { promptTokens: 2_000_000, completionTokens: 1_000_000 })).toBeCloseTo(
      2 + 2 + 8 / 2,
      12,
    );
  });
});

describe('batch progress lines', () => {
  const batch = (over: Partial<BatchProgress>): BatchProgress => ({
    id: 'batch_1',
    stage: 'silver',
    scope: 'silver-0-3',
    round: 0,
    part: 0,
    status: 'in_progress',
    total: 40,
    completed: 12,
    failed: 1,
    ...over,
  });

  it('show the open round in the progress line and the details, and nothing once it is done', () => {
    const p: RunProgress = {
      ...initialProgress('r', '/tmp/r', 'e'),
      stage: 'silver',
      batches: [batch({}), batch({ id: 'batch_2', part: 1, status: 'validating', total: 5, completed: 0, failed: 0 })],
    };
    p.batchJob = {
      stage: 'silver',
      scope: 'silver-0-3',
      from: 0,
      to: 3,
      round: 0,
      rounds: 3,
      phase: 'wait',
      pollMs: 5000,
    };
    expect(batchRoundSummary(p)).toBe(
      'batch round 1/3 of silver: batch_1 in_progress 12/40 (1 failed); batch_2 validating 0/5',
    );
    expect(progressLine(p)).toMatch(/^\[silver\] · batch round 1\/3 of silver: batch_1 in_progress 12\/40/);
    p.batchJob.phase = 'collect';
    expect(batchRoundSummary(p)).toBe('batch round 1/3 of silver: collecting');
    p.batchJob.phase = 'done';
    expect(batchRoundSummary(p)).toBe('');
    expect(progressLine(p)).not.toMatch(/batch/);
  });

  it('list every batch of the run for `clinsynth status`, with what was collected and the rounds that gave up', () => {
    const p: RunProgress = {
      ...initialProgress('r', '/tmp/r', 'e'),
      batches: [
        batch({ status: 'expired', completed: 20, failed: 20, answered: 20, unanswered: 20 }),
        batch({
          id: 'batch_2',
          round: 1,
          status: 'completed',
          total: 20,
          completed: 20,
          failed: 0,
          answered: 20,
          unanswered: 0,
        }),
        batch({
          id: 'batch_3',
          stage: 'bronze',
          status: 'failed',
          total: 9,
          completed: 0,
          failed: 0,
          error: 'token_limit_exceeded: too many',
        }),
      ],
      batchErrors: ['selfcheck-0-5 round 1, submit: 503 from …'],
    };
    expect(batchTable(p).split('\n')).toEqual([
      'batches:',
      '  silver     round 1  batch_1 expired 20/40 (20 failed), 20 answers collected, 20 to ask again',
      '  silver     round 2  batch_2 completed 20/20, 20 answers collected',
      '  bronze     round 1  batch_3 failed 0/9 — token_limit_exceeded: too many',
      '  gave up: selfcheck-0-5 round 1, submit: 503 from …',
    ]);
    expect(batchTable(initialProgress('r', '/tmp/r', 'e'))).toBe('');
  });
});
