// Lost LLM pages: the llm.maxFailedShare rule, the message a run fails with, and failures/pages.jsonl per stage.
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lostPage, lostPagesMessage, pageName, tooManyLost } from '../../lib/run/lost-pages.js';
import { lostPagesByStage, lostPagesPath, recordLostPages } from '../../lib/run/lost-pages-file.js';
import { readJsonl } from '../../lib/run/run-dir.js';

describe('lost pages', () => {
  it('fails a stage past llm.maxFailedShare: any lost page at 0, more than the share otherwise', () => {
    expect(tooManyLost(0, 10, 0)).toBe(false);
    expect(tooManyLost(1, 10, 0)).toBe(true);
    expect(tooManyLost(1, 10, 0.1)).toBe(false);
    expect(tooManyLost(2, 10, 0.1)).toBe(true);
    expect(tooManyLost(10, 10, 1)).toBe(false);
  });

  it('names each page, its attempts and error, where they are listed and how to redo them', () => {
    const lost = Array.from({ length: 12 }, (_, i) =>
      lostPage('silver', i < 11 ? 'silver' : 'probe', i, `503 #${i}`, 3),
    );
    const m = lostPagesMessage('silver', lost, 40, 0, 'demo-1');
    expect(m).toMatch(
      /^silver: 12 of 40 pages lost, more than llm.maxFailedShare \(0\) allows: silver page 0 \(3 attempts\): 503 #0; /,
    );
    expect(m).toContain('; and 2 more.');
    expect(m).toContain('failures/pages.jsonl');
    expect(m).toContain('--run-id demo-1');
    expect(pageName(lost[11]!)).toBe('silver (gold test) page 11');
    expect(pageName({ stage: 'selfcheck', set: 'bronze', page: 2 })).toBe('selfcheck (bronze) page 2');
    expect(lostPage('bronze', 'bronze', 0, 'x'.repeat(1000), 1).error.length).toBe(403);
  });

  it("replaces one stage's lines of failures/pages.jsonl and keeps the others", () => {
    const runDir = mkdtempSync(join(tmpdir(), 'lost-'));
    recordLostPages(runDir, 'silver', [lostPage('silver', 'silver', 1, 'a', 2)]);
    recordLostPages(runDir, 'bronze', [
      lostPage('bronze', 'bronze', 0, 'b', 10),
      lostPage('bronze', 'bronze', 3, 'c', 1),
    ]);
    recordLostPages(runDir, 'silver', [lostPage('silver', 'silver', 4, 'd', 5)]);
    expect(readJsonl(lostPagesPath(runDir))).toEqual([
      { stage: 'bronze', set: 'bronze', page: 0, error: 'b', attempts: 10 },
      { stage: 'bronze', set: 'bronze', page: 3, error: 'c', attempts: 1 },
      { stage: 'silver', set: 'silver', page: 4, error: 'd', attempts: 5 },
    ]);
    expect(lostPagesByStage(runDir)).toEqual({ bronze: 2, silver: 1 });
    expect(lostPagesByStage(join(runDir, 'nowhere'))).toEqual({});
  });
});
