// `clinsynth run` and `clinsynth study`: start an experiment or a study (or attach to it), follow it with a progress
// line, and print where its report is.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { workflowIdFor } from '../lib/run/run-state.js';
import { TASK_QUEUES, progressQuery, studyProgressQuery } from '../workflows/contract.js';
import { batchTable, progressLine, stageTable } from './progress.js';
import { watch } from './watch.js';
import { keysFromEnv } from '../lib/run/codec.js';
import { estimateCost, formatEstimate } from '../lib/generate/cost-estimate.js';
import { loadTaxonomy } from '../lib/config/taxonomy.js';
import { checkExperiment, checkStudy, Clinsynth, failureMessage, runIdFor } from './api.js';
import { oneFile, say, UsageError } from './cli-args.js';

function checkedRunIdSuffix(suffix: string | undefined): string | undefined {
  if (suffix !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(suffix)) {
    throw new UsageError(`--run-id "${suffix}": letters, digits, . _ - only`);
  }
  return suffix;
}

export async function runCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'run-id': { type: 'string' },
      detach: { type: 'boolean', default: false },
      'no-worker': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const experiment = await checkExperiment(oneFile(positionals, 'experiment file'));
  keysFromEnv(); // bad key material fails here, naming the variable
  const runId = runIdFor(experiment, checkedRunIdSuffix(values['run-id']));
  const runDir = join(experiment.output, runId);
  const workflowId = workflowIdFor(runId);
  const estimate = estimateCost(experiment, loadTaxonomy(experiment.taxonomy));
  if (values['dry-run']) {
    if (values.json) process.stdout.write(JSON.stringify({ runId, workflowId, runDir, estimate }) + '\n');
    else
      process.stdout.write(
        `dry run of ${runId} (${experiment.llm.provider} ${experiment.llm.model ?? 'packaged model'}): nothing started\n${formatEstimate(estimate, experiment.llm.model ?? 'local')}\n`,
      );
    return 0;
  }
  if (!values.json) say(formatEstimate(estimate, experiment.llm.model ?? 'local'));

  const inProcessWorker = !values['no-worker'] && !values.detach;
  const cs = await Clinsynth.connect({
    log: say,
    worker: inProcessWorker ? { llmConcurrency: experiment.llm.concurrency } : false,
  });
  try {
    const run = await cs.start(experiment, { runId });
    if (values.json) process.stdout.write(JSON.stringify({ runId, workflowId, runDir, uiUrl: run.uiUrl }) + '\n');
    else {
      say(`${run.attached ? 'attached to the running' : 'started'} run ${runId}`);
      say(`  Temporal UI: ${run.uiUrl}`);
      say(`  run directory: ${runDir}`);
    }
    if (values.detach) {
      if (!(await cs.hasWorkers()))
        say(`note: no worker is polling task queue "${TASK_QUEUES.main}" yet: start one with \`clinsynth worker\``);
      return 0;
    }
    const watcher = watch(run.handle, async () => progressLine(await run.handle.query(progressQuery)), say);
    try {
      const result = await run.outcome({ onRetry: lostContact });
      await watcher.stop();
      say(stageTable(result.progress));
      const batches = batchTable(result.progress);
      if (batches) say(batches);
      say(`report: ${result.reportPath}`);
      if (values.json) {
        const reportHtml = join(result.runDir, 'report.html');
        process.stdout.write(
          JSON.stringify({ runId, status: 'COMPLETED', runDir, reportPath: result.reportPath, reportHtml }) + '\n',
        );
      } else process.stdout.write(`${result.reportPath}\n`);
      return 0;
    } catch (err) {
      await watcher.stop();
      say(`run ${runId} failed: ${failureMessage(err)}`);
      if (values.json)
        process.stdout.write(JSON.stringify({ runId, status: 'FAILED', runDir, error: failureMessage(err) }) + '\n');
      return 1;
    }
  } finally {
    await cs.close();
  }
}

const lostContact = (message: string, delayMs: number) =>
  say(
    `lost contact with the Temporal server (${message}); the run goes on there — asking again in ${Math.round(delayMs / 1000)} s`,
  );

export async function studyCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      detach: { type: 'boolean', default: false },
      'no-worker': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const study = await checkStudy(oneFile(positionals, 'study file'));
  const inProcessWorker = !values['no-worker'] && !values.detach;
  const llmConcurrency = Math.max(...study.variants.map((v) => v.experiment.llm.concurrency));
  const cs = await Clinsynth.connect({ log: say, worker: inProcessWorker ? { llmConcurrency } : false });
  try {
    const s = await cs.startStudy(study);
    if (values.json)
      process.stdout.write(
        JSON.stringify({ studyId: s.studyId, workflowId: s.workflowId, studyDir: study.studyDir, uiUrl: s.uiUrl }) +
          '\n',
      );
    else {
      say(`started study ${study.name}: ${study.variants.length} experiments, ${study.concurrency} at a time`);
      say(`  Temporal UI: ${s.uiUrl}`);
      say(`  study directory: ${study.studyDir}`);
    }
    if (values.detach) {
      if (!(await cs.hasWorkers()))
        say(`note: no worker is polling task queue "${TASK_QUEUES.main}" yet: start one with \`clinsynth worker\``);
      return 0;
    }
    const watcher = watch(
      s.handle,
      async () => {
        const p = await s.handle.query(studyProgressQuery);
        return `[study ${p.study}] ${p.variants.map((v) => `${v.id}: ${v.status}`).join(' · ')}`;
      },
      say,
    );
    try {
      const result = await s.outcome({ onRetry: lostContact });
      await watcher.stop();
      for (const v of result.variants) say(`  ${v.id.padEnd(40)} ${v.status}${v.error ? ` (${v.error})` : ''}`);
      say(`study report: ${result.reportPath}`);
      if (!values.json) process.stdout.write(`${result.reportPath}\n`);
      const incomplete = result.variants.filter((v) => v.status !== 'completed').length;
      if (incomplete) say(`${incomplete} of ${result.variants.length} experiments did not complete`);
      return incomplete ? 1 : 0;
    } catch (err) {
      await watcher.stop();
      say(`study ${study.name} failed: ${failureMessage(err)}`);
      return 1;
    }
  } finally {
    await cs.close();
  }
}
