// `clinsynth control` argument checks (before any server is asked) and its state line.
import { describe, expect, it } from 'vitest';
import { describeState, parseControl } from '../../client/control.js';
import { progressLine } from '../../client/progress.js';
import { initialProgress } from '../../lib/run/run-state.js';

describe('clinsynth control arguments', () => {
  it('accepts the four actions and a positive budget', () => {
    expect(parseControl(['run-1', 'pause'])).toEqual({ runId: 'run-1', action: 'pause' });
    expect(parseControl(['run-1', 'resume'])).toEqual({ runId: 'run-1', action: 'resume' });
    expect(parseControl(['run-1', 'cancel'])).toEqual({ runId: 'run-1', action: 'cancel' });
    expect(parseControl(['run-1', 'budget', '2.5'])).toEqual({ runId: 'run-1', action: 'budget', usd: 2.5 });
  });

  it('refuses unknown actions, missing or non-positive budgets and extra words', () => {
    expect(() => parseControl(['run-1', 'stop'])).toThrow(/usage: clinsynth control/);
    expect(() => parseControl(['run-1'])).toThrow(/usage/);
    expect(() => parseControl(['run-1', 'budget'])).toThrow(/usage/);
    expect(() => parseControl(['run-1', 'pause', 'now'])).toThrow(/usage/);
    for (const bad of ['0', '-1', 'abc', 'Infinity', ''])
      expect(() => parseControl(['run-1', 'budget', bad]), bad).toThrow(/positive number of US dollars/);
  });

  it('describes the state in one line', () => {
    expect(describeState({ paused: true, cancelled: false, budgetUsd: 5, costUsd: 0.01234 })).toBe(
      'paused; budget $5, spent $0.0123',
    );
    expect(describeState({ paused: false, cancelled: true, budgetUsd: null, costUsd: null })).toMatch(
      /^LLM work cancelled.*budget none, spent unknown$/,
    );
  });

  it('shows a paused or cancelled run, and a changed budget, in the progress line', () => {
    const p = {
      ...initialProgress('r', '/tmp/r', 'e'),
      stage: 'silver' as const,
      costUsd: 0.5,
      budgetUsd: 2,
      paused: true,
    };
    expect(progressLine(p)).toMatch(/~\$0\.50 of \$2 · paused/);
    expect(progressLine({ ...p, paused: false, cancelled: true })).toMatch(/LLM work cancelled \(partial report\)$/);
  });
});
