// `clinsynth status RUN_ID`: a run's Temporal status, stage table, provider batches and lost LLM pages.
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError } from '@temporalio/client';
import { workflowIdFor, type RunProgress } from '../lib/run/run-state.js';
import { lostPagesByStage, lostPagesPath } from '../lib/run/lost-pages-file.js';
import { batchTable, progressLine, stageTable } from './progress.js';
import { Clinsynth } from './api.js';
import { oneFile, say } from './cli-args.js';

export async function statusCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  const runId = oneFile(positionals, 'run id');
  const cs = await Clinsynth.connect({ startServer: false });
  try {
    let out;
    try {
      out = await cs.get(runId).progress();
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) {
        say(`no run with id ${runId} (workflow ${workflowIdFor(runId)}) on ${cs.address}`);
        return 2;
      }
      throw e;
    }
    // Lost LLM pages, from the run's failures/pages.jsonl (a failed run no longer answers the progress query).
    const lost = out.runDir ? lostPagesByStage(out.runDir) : {};
    if (values.json) process.stdout.write(JSON.stringify({ ...out, lostPages: lost }) + '\n');
    else {
      const progress = 'stages' in out.progress ? (out.progress as RunProgress) : undefined;
      process.stdout.write(`${runId}: ${out.status}${progress ? ` — ${progressLine(progress)}` : ''}\n`);
      if (progress) process.stdout.write(stageTable(progress) + '\n');
      const batches = progress ? batchTable(progress) : '';
      if (batches) process.stdout.write(batches + '\n');
      const lostLine = Object.entries(lost).map(([stage, n]) => `${stage} ${n}`);
      if (lostLine.length)
        process.stdout.write(`lost pages: ${lostLine.join(', ')} (listed in ${lostPagesPath(out.runDir!)})\n`);
      if (out.runDir) process.stdout.write(`run directory: ${out.runDir}\n`);
    }
    return 0;
  } finally {
    await cs.close();
  }
}
