// eval/agreement.jsonl and the per-label agreement of a run's gold test sentences: self-check fixes replace, rejects leave out, reviewers' κ from counts.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGREEMENT_FILE, measureAgreement, reviewerKappa } from '../../lib/evaluate/label-agreement.js';
import { pagePath, RUN_FILES, writeJsonl } from '../../lib/run/run-dir.js';

describe('agreement of the LLM with gold, with its uncertainty', () => {
  it('writes one line per labelled gold test sentence; after the self-check fix replaces and reject leaves out', () => {
    const runDir = mkdtempSync(join(tmpdir(), 'clinsynth-agreement-'));
    writeJsonl(join(runDir, RUN_FILES.goldTest), [
      { id: 't1', text: 'a', labels: ['x'], noteId: 'n1' },
      { id: 't2', text: 'b', labels: [], noteId: 'n1' },
      { id: 't3', text: 'c', labels: ['x', 'y'], noteId: 'n2' },
      { id: 't4', text: 'd', labels: ['y'] },
    ]);
    const prov = { model: 'm', promptVersion: 'p', cacheKey: 'k' };
    const probe = (id: string, labels: string[]) => ({
      id,
      noteId: 'n',
      start: 0,
      end: 1,
      text: id,
      labels,
      reason: 'gold-test',
      ...prov,
    });
    writeJsonl(pagePath(runDir, 'probe', 0), [
      probe('t1', ['x']),
      probe('t2', ['x']),
      probe('t3', ['y']),
      probe('t4', []),
    ]);
    writeJsonl(pagePath(runDir, 'verdictsProbe', 0), [
      { id: 't2', set: 'probe', verdict: 'reject', labels: [], reason: 'no sign', ...prov },
      { id: 't3', set: 'probe', verdict: 'fix', labels: ['y', 'x'], reason: 'both', ...prov },
    ]);
    const a = measureAgreement(runDir, ['x', 'y'], { resamples: 200, alpha: 0.05, seed: 1 })!;
    const lines = readFileSync(join(runDir, AGREEMENT_FILE), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { id: 't1', note: 'n1', gold: ['x'], llm: ['x'], llmAfterSelfCheck: ['x'], verdict: null },
      { id: 't2', note: 'n1', gold: [], llm: ['x'], llmAfterSelfCheck: null, verdict: 'reject' },
      { id: 't3', note: 'n2', gold: ['x', 'y'], llm: ['y'], llmAfterSelfCheck: ['x', 'y'], verdict: 'fix' },
      { id: 't4', note: null, gold: ['y'], llm: [], llmAfterSelfCheck: [], verdict: null },
    ]);
    expect(a.before.perLabel.x!.confusion).toEqual({ tp: 1, fp: 1, fn: 1, tn: 1 });
    expect(a.before.clusters).toBe(3); // n1, n2 and the note-less t4
    expect(a.after!.rejected).toBe(1);
    expect(a.after!.perLabel.x!.confusion).toEqual({ tp: 2, fp: 0, fn: 0, tn: 1 });
    expect(a.after!.perLabel.x!.kappa.value).toBe(1);
    expect(a.before.perLabel.x!.kappa.value).toBe(0);
  });

  it('reviewers against the LLM: κ from the rows each gave the label', () => {
    // 10 rows: LLM gave x to 4, reviewer to 5, both to 3 → tp 3, fp 1, fn 2, tn 4.
    const k = reviewerKappa({ n: 10, perLabel: { x: { llm: 4, reviewer: 5, both: 3 } } }).x!;
    expect(k.confusion).toEqual({ tp: 3, fp: 1, fn: 2, tn: 4 });
    const po = 0.7;
    const pe = (4 * 5 + 6 * 5) / 100;
    expect(k.kappa).toBeCloseTo((po - pe) / (1 - pe), 12);
  });
});
