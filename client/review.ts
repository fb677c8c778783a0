// `clinsynth review export|import|skip RUN_ID [FILE]`: the human review of a run that waits for it.
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError } from '@temporalio/client';
import { workflowIdFor } from '../lib/run/run-state.js';
import { resendSaying } from './send-update.js';
import { Clinsynth, RunRefusedError } from './api.js';

const USAGE = 'usage: clinsynth review export RUN_ID [--rewrite] | import RUN_ID FILE | skip RUN_ID   [--json]';

type Parsed = { action: 'export' | 'skip'; runId: string } | { action: 'import'; runId: string; file: string };

export class ReviewUsageError extends Error {}

/** The command's positionals, or a usage error saying what is wrong. */
export function parseReview(positionals: string[]): Parsed {
  const [action, runId, file, ...rest] = positionals;
  if (!runId || rest.length) throw new ReviewUsageError(USAGE);
  if (action === 'import') {
    if (!file)
      throw new ReviewUsageError(
        `import needs the file to import (a Label Studio JSON export or the filled tasks.csv)\n${USAGE}`,
      );
    return { action, runId, file };
  }
  if ((action === 'export' || action === 'skip') && file === undefined) return { action, runId };
  throw new ReviewUsageError(USAGE);
}

/** Exit 0: done; 1: refused by the run (the reason printed) or nothing exported yet; 2: usage, a bad file or no such run. */
export async function reviewCommand(args: string[], say: (line: string) => void): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, rewrite: { type: 'boolean', default: false } },
  });
  let p: Parsed;
  try {
    p = parseReview(positionals);
  } catch (e) {
    say(`clinsynth review: ${(e as Error).message}`);
    return 2;
  }
  const json = (v: unknown) => values.json && process.stdout.write(JSON.stringify(v) + '\n');
  const cs = await Clinsynth.connect({ startServer: false });
  try {
    const run = cs.get(p.runId);
    run.resend = resendSaying(say);
    if (p.action === 'export') {
      const files = await run.exportReview({ rewrite: values.rewrite });
      json(files);
      if (!files.exported) {
        const { stage, status } = await run.progress();
        say(
          `run ${p.runId} has not exported rows for review (${status}, stage ${stage}): the export comes after the self-check, with review.enabled`,
        );
        return 1;
      }
      say(`review files of ${p.runId}:`);
      say(`  Label Studio tasks:     ${files.tasks}`);
      say(`  Label Studio interface: ${files.config}`);
      say(`  spreadsheet:            ${files.csv}`);
      say(
        `then: clinsynth review import ${p.runId} FILE (Label Studio's JSON export, or the filled CSV), or clinsynth review skip ${p.runId}`,
      );
      return 0;
    }
    if (p.action === 'import') {
      const r = await run.importReview(p.file);
      json({ accepted: true, result: r });
      say(
        `imported ${r.reviewed} of ${r.tasks} review tasks from ${r.file} (${r.format}): ${r.changed} relabelled, ${r.dropped} dropped, ${r.reviewers} reviewer(s); the run goes on`,
      );
      return 0;
    }
    const state = await run.skipReview();
    json({ accepted: true, state });
    say(`review skipped: run ${p.runId} goes on with the LLM's labels`);
    return 0;
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) {
      say(`no run with id ${p.runId} (workflow ${workflowIdFor(p.runId)}) on ${cs.address}`);
      return 2;
    }
    if (e instanceof RunRefusedError) {
      json({ accepted: false, reason: e.reason });
      say(`refused: ${e.reason}`);
      return 1;
    }
    throw e;
  } finally {
    await cs.close();
  }
}
