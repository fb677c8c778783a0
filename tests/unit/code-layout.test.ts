// The code-size and contract rules of issue 21 as checks on the real tree: files a newcomer reads in one sitting,
// an experiment workflow that reads as its stages, and Temporal names defined in the contract only.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectFiles } from '../support/import-graph.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';

/** Lines that are neither blank nor comment-only (line comments, and the lines of block and doc comments). */
function codeLines(source: string): number {
  let inBlock = false;
  let n = 0;
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (inBlock) {
      if (line.includes('*/')) inBlock = false;
      continue;
    }
    if (line === '' || line.startsWith('//')) continue;
    if (line.startsWith('/*')) {
      inBlock = !line.includes('*/');
      continue;
    }
    n++;
  }
  return n;
}

/** The source files the rules cover, relative to the project root. */
const files = projectFiles(PROJECT_ROOT, ['lib', 'workflows', 'activities', 'client']);
const read = (f: string) => readFileSync(join(PROJECT_ROOT, f), 'utf8');

describe('code layout', () => {
  it('counts code lines without blanks and comments (so the rule below measures code)', () => {
    expect(codeLines('// a\n\n/** doc\n * more\n */\nconst a = 1; // trailing\n/* one */\nlet b;\n')).toBe(2);
    expect(files.length).toBeGreaterThan(100);
  });

  it('keeps every file in lib/, workflows/, activities/ and client/ at 400 code lines or fewer', () => {
    const over = files.map((file) => ({ file, lines: codeLines(read(file)) })).filter((f) => f.lines > 400);
    expect(over).toEqual([]);
  });

  it('keeps experimentWorkflow under 80 lines: it reads as its list of stages', () => {
    const source = readFileSync(join(PROJECT_ROOT, 'workflows', 'experiment.ts'), 'utf8').split('\n');
    const start = source.findIndex((l) => l.startsWith('export async function experimentWorkflow('));
    const end = source.findIndex((l, i) => i > start && l === '}');
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end - start + 1).toBeLessThan(80);
  });

  it('defines queries, updates and signals in workflows/contract.ts only, and names none by a string', () => {
    const outside = files
      .filter((f) => f !== 'workflows/contract.ts')
      .filter((f) =>
        /\bdefine(Query|Update|Signal)\b|\.(query|executeUpdate|startUpdate|signal)\(\s*['"`]/.test(read(f)),
      );
    expect(outside).toEqual([]);
  });
});
