// The `clinsynth` command line: run, validate, status, worker, server, predict, report.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { InputError } from '../lib/run/problems.js';
import { loadExperiment, type Experiment } from '../lib/run/experiment.js';
import { preflight } from '../lib/corpus/preflight.js';
import { sensitiveEndpointRefusal } from '../lib/run/privacy.js';
import { SEARCH_ATTRIBUTES, TASK_QUEUES, workflowIdFor, type RunProgress } from '../lib/run/run-state.js';
import { ensureTemporal, startDevServer, stopEmbeddedServer, namespace, DEFAULT_PORT } from './temporal-server.js';
import { progressLine, stageTable } from './progress.js';
import { waitForRunResult } from './wait-for-run.js';
import { clinsynthHome } from '../lib/run/paths.js';
import { dataConverterFromEnv, keysFromEnv } from '../lib/run/codec.js';
import { estimateCost, formatEstimate } from '../lib/generate/cost-estimate.js';
import { loadTaxonomy } from '../lib/run/taxonomy.js';
import type { experimentWorkflow, ExperimentResult } from '../workflows/experiment.js';

const USAGE = `usage:
  clinsynth run FILE [--run-id ID] [--detach] [--no-worker] [--json] [--dry-run]
  clinsynth validate FILE
  clinsynth status RUN_ID [--json]
  clinsynth worker [--llm-concurrency N] [--llm-pages-per-second N] [--queues main,llm]
  clinsynth server [stop]
  clinsynth predict --model DIR INPUT [--out FILE]
  clinsynth report RUN_ID
  clinsynth codec-server [--port N]
  clinsynth control RUN_ID pause|resume|budget USD|cancel
environment: TEMPORAL_ADDRESS (unset: embedded dev server), TEMPORAL_NAMESPACE, CLINSYNTH_HOME (default .clinsynth/),
  CLINSYNTH_ENCRYPTION_KEY / CLINSYNTH_ENCRYPTION_KEY_FILE (encrypt workflow payloads)`;

class UsageError extends Error {}

const say = (line: string) => process.stderr.write(line + '\n');

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest);
      case 'validate':
        return await validateCommand(rest);
      case 'status':
        return await statusCommand(rest);
      case 'worker':
        return await workerCommand(rest);
      case 'server':
        return await serverCommand(rest);
      case 'predict': {
        const { predictCommand } = await import('./predict.js');
        return await predictCommand(rest);
      }
      case 'codec-server': {
        const { codecServerCommand } = await import('./codec-server.js');
        return await codecServerCommand(rest, say);
      }
      case 'control': {
        const { controlCommand } = await import('./control.js');
        return await controlCommand(rest, say);
      }
      case 'report': {
        const { reportCommand } = await import('./report.js');
        return await reportCommand(rest);
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE + '\n');
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof InputError) {
      for (const line of err.message.split('\n')) process.stderr.write(line + '\n');
      return 2;
    }
    if (err instanceof UsageError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      say(`clinsynth: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    say(`clinsynth: ${(err as Error).message ?? err}`);
    if (process.env.CLINSYNTH_DEBUG) console.error(err);
    return 1;
  }
}

function oneFile(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one ${what}, got ${positionals.length}`);
  return positionals[0]!;
}

/** Loads and checks an experiment file and its gold and corpus files, before any server or workflow is touched. */
async function checkedExperiment(file: string): Promise<Experiment> {
  const experiment = loadExperiment(file);
  const refusal = sensitiveEndpointRefusal(experiment);
  if (refusal) throw new InputError([{ file: experiment.file, line: 0, key: 'llm.baseURL', message: refusal }]);
  await preflight(experiment);
  return experiment;
}

async function validateCommand(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const experiment = await checkedExperiment(oneFile(positionals, 'experiment file'));
  say(`${experiment.file}: valid (${experiment.labels.length} labels, taxonomy ${experiment.taxonomyVersion}, mixes ${experiment.evaluate.mixes.join(', ')})`);
  return 0;
}

export function runIdFor(experiment: Experiment, suffix?: string): string {
  if (suffix !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(suffix)) {
    throw new UsageError(`--run-id "${suffix}": letters, digits, . _ - only`);
  }
  return suffix ? `${experiment.name}-${suffix}` : experiment.name;
}

async function connectClient(address: string): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection, namespace: namespace(), dataConverter: dataConverterFromEnv() }), connection };
}

async function runCommand(args: string[]): Promise<number> {
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
  const experiment = await checkedExperiment(oneFile(positionals, 'experiment file'));
  keysFromEnv(); // bad key material fails here, naming the variable
  const runId = runIdFor(experiment, values['run-id']);
  const runDir = join(experiment.output, runId);
  const workflowId = workflowIdFor(runId);
  const estimate = estimateCost(experiment, loadTaxonomy(experiment.taxonomy));
  if (values['dry-run']) {
    if (values.json) process.stdout.write(JSON.stringify({ runId, workflowId, runDir, estimate }) + '\n');
    else process.stdout.write(`dry run of ${runId} (${experiment.llm.provider} ${experiment.llm.model ?? 'packaged model'}): nothing started\n${formatEstimate(estimate, experiment.llm.model ?? 'local')}\n`);
    return 0;
  }
  if (!values.json) say(formatEstimate(estimate, experiment.llm.model ?? 'local'));

  const target = await ensureTemporal(say);
  const { client, connection } = await connectClient(target.address);
  const uiUrl = `${target.uiBase}/namespaces/${encodeURIComponent(target.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  const inProcessWorker = !values['no-worker'] && !values.detach;
  let workers: Awaited<ReturnType<typeof import('../worker.js').startWorkers>> | undefined;
  try {
    if (inProcessWorker) {
      const { startWorkers } = await import('../worker.js');
      workers = await startWorkers({ address: target.address, namespace: target.namespace, llmConcurrency: experiment.llm.concurrency });
    }
    let attached = false;
    try {
      const d = await client.workflow.getHandle(workflowId).describe();
      attached = d.status.name === 'RUNNING';
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
    const handle = await client.workflow.start<typeof experimentWorkflow>('experimentWorkflow', {
      workflowId,
      taskQueue: TASK_QUEUES.main,
      args: [{ experiment, runId, runDir, uiBase: target.uiBase }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      memo: { runDir, experimentFile: experiment.file },
      typedSearchAttributes: [
        { key: defineSearchAttributeKey(SEARCH_ATTRIBUTES.experiment, SearchAttributeType.KEYWORD), value: experiment.name },
        { key: defineSearchAttributeKey(SEARCH_ATTRIBUTES.stage, SearchAttributeType.KEYWORD), value: 'taxonomy' },
      ],
    });
    if (values.json) process.stdout.write(JSON.stringify({ runId, workflowId, runDir, uiUrl }) + '\n');
    else {
      say(`${attached ? 'attached to the running' : 'started'} run ${runId}`);
      say(`  Temporal UI: ${uiUrl}`);
      say(`  run directory: ${runDir}`);
    }
    if (values.detach) {
      if (!(await hasPollers(client))) say(`note: no worker is polling task queue "${TASK_QUEUES.main}" yet: start one with \`clinsynth worker\``);
      return 0;
    }
    const watcher = watchProgress(handle);
    try {
      const result: ExperimentResult = await waitForRunResult(handle, {
        onRetry: (message, delayMs) => say(`lost contact with the Temporal server (${message}); the run goes on there — asking again in ${Math.round(delayMs / 1000)} s`),
      });
      watcher.stop();
      say(stageTable(result.progress));
      say(`report: ${result.reportPath}`);
      if (!values.json) process.stdout.write(`${result.reportPath}\n`);
      return 0;
    } catch (err) {
      watcher.stop();
      say(`run ${runId} failed: ${failureMessage(err)}`);
      return 1;
    }
  } finally {
    await workers?.shutdown();
    await connection.close();
  }
}

function failureMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  const parts: string[] = [];
  while (e) {
    if (e.message) parts.push(e.message);
    e = e.cause as typeof e;
  }
  return parts.at(-1) ?? String(err);
}

async function hasPollers(client: Client): Promise<boolean> {
  try {
    const r = await client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: TASK_QUEUES.main, kind: 1 }, taskQueueType: 1 });
    return (r.pollers?.length ?? 0) > 0;
  } catch {
    return true;
  }
}

/** Prints a progress line whenever it changes (every second at most) until stopped. */
function watchProgress(handle: { query: (q: string) => Promise<unknown> }) {
  let last = '';
  let stopped = false;
  const tick = async () => {
    while (!stopped) {
      try {
        const line = progressLine((await handle.query('progress')) as RunProgress);
        if (line !== last) say((last = line));
      } catch {
        /* the workflow may be between tasks or continuing as new */
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void tick();
  return { stop: () => (stopped = true) };
}

async function statusCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  const runId = oneFile(positionals, 'run id');
  const address = process.env.TEMPORAL_ADDRESS ?? `127.0.0.1:${DEFAULT_PORT}`;
  const { client, connection } = await connectClient(address);
  try {
    const handle = client.workflow.getHandle(workflowIdFor(runId));
    let d;
    try {
      d = await handle.describe();
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) {
        say(`no run with id ${runId} (workflow ${workflowIdFor(runId)}) on ${address}`);
        return 2;
      }
      throw e;
    }
    const status = d.status.name;
    let progress: RunProgress | undefined;
    if (status === 'COMPLETED') progress = ((await handle.result()) as ExperimentResult).progress;
    else if (status === 'RUNNING') progress = (await Promise.race([handle.query('progress'), new Promise((r) => setTimeout(r, 5000, undefined))])) as RunProgress | undefined;
    const runDir = (d.memo?.runDir as string | undefined) ?? progress?.runDir;
    const out = { runId, status, stage: progress?.stage ?? d.searchAttributes?.[SEARCH_ATTRIBUTES.stage]?.[0] ?? null, progress: progress ?? {}, runDir };
    if (values.json) process.stdout.write(JSON.stringify(out) + '\n');
    else {
      process.stdout.write(`${runId}: ${status}${progress ? ` — ${progressLine(progress)}` : ''}\n`);
      if (progress) process.stdout.write(stageTable(progress) + '\n');
      if (runDir) process.stdout.write(`run directory: ${runDir}\n`);
    }
    return 0;
  } finally {
    await connection.close();
  }
}

async function workerCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'llm-concurrency': { type: 'string', default: '8' }, 'llm-pages-per-second': { type: 'string' }, queues: { type: 'string', default: 'main,llm' } },
  });
  const llmConcurrency = Number(values['llm-concurrency']);
  if (!Number.isInteger(llmConcurrency) || llmConcurrency < 1) throw new UsageError('--llm-concurrency must be a positive integer');
  // Temporal enforces this for the whole LLM task queue, i.e. across every worker (llm.requestsPerSecond limits
  // the requests of each process).
  const rps = values['llm-pages-per-second'] === undefined ? undefined : Number(values['llm-pages-per-second']);
  if (rps !== undefined && !(rps > 0)) throw new UsageError('--llm-pages-per-second must be a positive number');
  const queues = values.queues.split(',').map((q) => q.trim());
  if (queues.some((q) => q !== 'main' && q !== 'llm')) throw new UsageError('--queues takes main, llm or main,llm');
  const target = await ensureTemporal(say);
  const { startWorkers } = await import('../worker.js');
  const running = await startWorkers({ address: target.address, namespace: target.namespace, llmConcurrency, ...(rps ? { llmPagesPerSecond: rps } : {}), queues: queues as ('main' | 'llm')[] });
  say(`clinsynth worker polling ${queues.join(', ')} on ${target.address} (Ctrl-C stops it; unfinished work resumes on another worker)`);
  const stop = () => void running.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await running.done;
  return 0;
}

async function serverCommand(args: string[]): Promise<number> {
  if (args[0] === 'stop') {
    say(stopEmbeddedServer() ? 'stopped the embedded Temporal server' : 'no embedded Temporal server was started from this CLINSYNTH_HOME');
    return 0;
  }
  if (args.length) throw new UsageError(`unexpected argument ${args[0]}`);
  const server = await startDevServer({ home: clinsynthHome() });
  say(`Temporal dev server on ${server.address}, UI ${server.uiBase}, database ${server.dbFile} (Ctrl-C stops it)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.stop();
  return 0;
}
