// Tests for waiting on a run's result through transient losses of contact with the Temporal server.
import { describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { isTransientServiceError, waitForRunResult } from '../../client/wait-for-run.js';

const grpc = (code: number, message: string) => Object.assign(new Error(message), { code });

describe('waitForRunResult', () => {
  it('asks again after DEADLINE_EXCEEDED and UNAVAILABLE, with growing delays, and returns the result', async () => {
    const errors = [
      grpc(4, '4 DEADLINE_EXCEEDED: context deadline exceeded'),
      new Error('wrapped', { cause: grpc(14, '14 UNAVAILABLE: No connection established') }),
    ];
    let calls = 0;
    const slept: number[] = [];
    const told: string[] = [];
    const result = await waitForRunResult(
      {
        result: async () => {
          calls++;
          const e = errors.shift();
          if (e) throw e;
          return 'report.json';
        },
      },
      { sleep: async (ms) => void slept.push(ms), onRetry: (m) => told.push(m) },
    );
    expect(result).toBe('report.json');
    expect(calls).toBe(3);
    expect(slept).toEqual([1000, 2000]);
    expect(told[0]).toMatch(/DEADLINE_EXCEEDED/);
  });

  it('passes on a failed run and any other error at once', async () => {
    const failed = new WorkflowFailedError('Workflow execution failed', undefined, 'NON_RETRYABLE_FAILURE');
    await expect(
      waitForRunResult({ result: async () => Promise.reject(failed) }, { sleep: async () => {} }),
    ).rejects.toBe(failed);
    const notFound = grpc(5, '5 NOT_FOUND: workflow not found');
    await expect(
      waitForRunResult({ result: async () => Promise.reject(notFound) }, { sleep: async () => {} }),
    ).rejects.toBe(notFound);
    expect(isTransientServiceError(new Error('plain'))).toBe(false);
  });
});
