// The `clinsynth` command line: run, study, validate, try, status, list, worker, server, predict, report, control, review.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { InputError } from '../lib/run/problems.js';
import { workflowIdFor, type RunProgress } from '../lib/run/run-state.js';
import { TASK_QUEUES, progressQuery, studyProgressQuery } from '../workflows/contract.js';
import { codecEndpointFromEnv, startDevServer, stopEmbeddedServer, ensureTemporal } from './temporal-server.js';
import { batchTable, progressLine, stageTable } from './progress.js';
import { watch } from './watch.js';
import { clinsynthHome, PROJECT_ROOT } from '../lib/run/paths.js';
import { keysFromEnv } from '../lib/run/codec.js';
import { estimateCost, formatEstimate } from '../lib/generate/cost-estimate.js';
import { loadTaxonomy } from '../lib/run/taxonomy.js';
import { parseYamlFile } from '../lib/run/structured-file.js';
import { looksLikeStudy } from '../lib/run/study.js';
import { lostPagesByStage, lostPagesPath } from '../lib/run/lost-pages-file.js';
import { checkExperiment, checkStudy, Clinsynth, failureMessage, runIdFor } from './api.js';
import { setFlagOverrides, takeConnectionFlags, TemporalConfigError } from './connection.js';

const USAGE = `usage:
  clinsynth run FILE [--run-id ID] [--detach] [--no-worker] [--json] [--dry-run]
  clinsynth study FILE [--detach] [--no-worker] [--json]
  clinsynth validate FILE
  clinsynth try FILE [--stage silver|bronze|selfcheck] [--n 10] [--label ID] [--gold] [--show-prompt] [--json]   (docs/prompts.md)
  clinsynth status RUN_ID [--json]
  clinsynth list [--experiment NAME] [--study NAME] [--status STATUS] [--json]
  clinsynth worker [--llm-concurrency N] [--llm-pages-per-second N] [--queues main,llm] [--cpu-concurrency N]
                   [--metrics HOST:PORT] [--shutdown-grace SECONDS]   (docs/workers.md)
  clinsynth server [stop] [--ip IP] [--port N] [--ui-port N]
  clinsynth predict --model DIR INPUT [--out FILE]
  clinsynth report RUN_ID|STUDY
  clinsynth view RUN_ID|STUDY [--port N] [--host HOST] [--allow-remote]   (local row viewer, docs/looking-at-data.md)
  clinsynth codec-server [--port N]
  clinsynth control RUN_ID pause|resume|budget USD|cancel
  clinsynth review export RUN_ID [--rewrite] | import RUN_ID FILE | skip RUN_ID
global flags: --profile NAME, --address HOST:PORT, --namespace NS (override the Temporal settings below)
environment: Temporal's client settings (docs/connecting.md): TEMPORAL_ADDRESS (unset: embedded dev server),
  TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE (temporal.toml);
  CLINSYNTH_HOME (default .clinsynth/), CLINSYNTH_ENCRYPTION_KEY / CLINSYNTH_ENCRYPTION_KEY_FILE (encrypt payloads)`;

/** The commands main() knows; `clinsynth COMMAND --help` prints that command's usage lines. */
const COMMANDS = [
  'run',
  'study',
  'validate',
  'try',
  'status',
  'list',
  'worker',
  'server',
  'predict',
  'report',
  'view',
  'codec-server',
  'control',
  'review',
] as const;

/** The usage lines of one command (and the environment note), from USAGE: one text, no second copy to drift. */
function commandUsage(command: string): string {
  const lines = USAGE.split('\n');
  const env = lines.findIndex((l) => l.startsWith('environment:'));
  const own = lines.filter((l) => l.startsWith(`  clinsynth ${command} `) || l === `  clinsynth ${command}`);
  return ['usage:', ...own, ...lines.slice(env)].join('\n');
}

/** The package version (package.json next to the code). */
function version(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

class UsageError extends Error {}

const say = (line: string) => process.stderr.write(line + '\n');

export async function main(argv: string[]): Promise<number> {
  let command: string | undefined;
  let rest: string[];
  if (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version') {
    process.stdout.write(`clinsynth ${version()}\n`);
    return 0;
  }
  try {
    const flags = takeConnectionFlags(argv);
    setFlagOverrides(flags.overrides);
    [command, ...rest] = flags.args;
    if (
      (COMMANDS as readonly (string | undefined)[]).includes(command) &&
      rest.some((x) => x === '--help' || x === '-h')
    ) {
      process.stdout.write(commandUsage(command!) + '\n');
      return 0;
    }
    switch (command) {
      case 'run':
        return await runCommand(rest);
      case 'study':
        return await studyCommand(rest);
      case 'validate':
        return await validateCommand(rest);
      case 'try': {
        const { tryCommand, TryUsageError } = await import('./try.js');
        try {
          return await tryCommand(rest);
        } catch (err) {
          if (err instanceof TryUsageError) throw new UsageError(err.message);
          throw err;
        }
      }
      case 'status':
        return await statusCommand(rest);
      case 'list':
        return await (await import('./list.js')).listCommand(rest, say);
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
      case 'review': {
        const { reviewCommand } = await import('./review.js');
        return await reviewCommand(rest, say);
      }
      case 'view':
        return await (await import('./view/command.js')).viewCommand(rest, say);
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
    if (err instanceof TemporalConfigError) {
      say(`clinsynth: ${err.message}`);
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

/** True when the file is a study (it has `base` or `vary`), read without validating it. */
function isStudyFile(file: string): boolean {
  try {
    return looksLikeStudy(parseYamlFile(resolve(file)).value);
  } catch {
    return false; // the experiment loader reports what is wrong with it
  }
}

async function validateCommand(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const file = oneFile(positionals, 'experiment or study file');
  if (isStudyFile(file)) {
    const study = await checkStudy(file);
    say(
      `${study.file}: valid study (${study.variants.length} variants of ${study.base}: ${study.variants.map((v) => v.id).join(', ')})`,
    );
    return 0;
  }
  const experiment = await checkExperiment(file);
  say(
    `${experiment.file}: valid (${experiment.labels.length} labels, taxonomy ${experiment.taxonomyVersion}, mixes ${experiment.evaluate.mixes.join(', ')})`,
  );
  return 0;
}

function checkedRunIdSuffix(suffix: string | undefined): string | undefined {
  if (suffix !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(suffix)) {
    throw new UsageError(`--run-id "${suffix}": letters, digits, . _ - only`);
  }
  return suffix;
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

async function studyCommand(args: string[]): Promise<number> {
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

async function statusCommand(args: string[]): Promise<number> {
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

async function workerCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'llm-concurrency': { type: 'string', default: '8' },
      'llm-pages-per-second': { type: 'string' },
      queues: { type: 'string', default: 'main,llm' },
      'cpu-concurrency': { type: 'string', default: '2' },
      metrics: { type: 'string' },
      'shutdown-grace': { type: 'string', default: '90' },
    },
  });
  const cpuConcurrency = Number(values['cpu-concurrency']);
  if (!Number.isInteger(cpuConcurrency) || cpuConcurrency < 1)
    throw new UsageError('--cpu-concurrency must be a positive integer');
  const grace = Number(values['shutdown-grace']);
  if (!(grace >= 0)) throw new UsageError('--shutdown-grace must be a number of seconds (≥ llm.timeoutSeconds)');
  const metrics = values.metrics;
  if (metrics !== undefined && !/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(metrics))
    throw new UsageError('--metrics takes HOST:PORT, e.g. 127.0.0.1:9464');
  const llmConcurrency = Number(values['llm-concurrency']);
  if (!Number.isInteger(llmConcurrency) || llmConcurrency < 1)
    throw new UsageError('--llm-concurrency must be a positive integer');
  // Temporal enforces this for the whole LLM task queue, i.e. across every worker (llm.requestsPerSecond limits
  // the requests of each process).
  const rps = values['llm-pages-per-second'] === undefined ? undefined : Number(values['llm-pages-per-second']);
  if (rps !== undefined && !(rps > 0)) throw new UsageError('--llm-pages-per-second must be a positive number');
  const queues = values.queues.split(',').map((q) => q.trim());
  if (queues.some((q) => q !== 'main' && q !== 'llm')) throw new UsageError('--queues takes main, llm or main,llm');
  const target = await ensureTemporal(say);
  const { startWorkers } = await import('../worker.js');
  const running = await startWorkers({
    address: target.address,
    namespace: target.namespace,
    temporal: target.settings,
    llmConcurrency,
    ...(rps ? { llmPagesPerSecond: rps } : {}),
    queues: queues as ('main' | 'llm')[],
    cpuConcurrency,
    shutdownGraceSeconds: grace,
    ...(metrics ? { metrics } : {}),
  });
  if (metrics) say(`metrics (Prometheus): http://${metrics}/metrics`);
  say(
    `clinsynth worker polling ${queues.join(', ')} on ${target.address} (Ctrl-C stops it; unfinished work resumes on another worker)`,
  );
  const stop = () => void running.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await running.done;
  return 0;
}

async function serverCommand(args: string[]): Promise<number> {
  if (args[0] === 'stop') {
    say(
      stopEmbeddedServer()
        ? 'stopped the embedded Temporal server'
        : 'no embedded Temporal server was started from this CLINSYNTH_HOME',
    );
    return 0;
  }
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { ip: { type: 'string' }, port: { type: 'string' }, 'ui-port': { type: 'string' } },
  });
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const port = portArg(values.port, '--port');
  const uiPort = portArg(values['ui-port'], '--ui-port');
  const server = await startDevServer({
    home: clinsynthHome(),
    ...(values.ip ? { ip: values.ip } : {}),
    ...(port ? { port } : {}),
    ...(uiPort ? { uiPort } : {}),
    ...codecEndpointFromEnv(),
  });
  say(
    `Temporal dev server on ${server.address}${values.ip && values.ip !== '127.0.0.1' ? ` (listening on ${values.ip})` : ''}, UI ${server.uiBase}, database ${server.dbFile} (Ctrl-C stops it)`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.stop();
  return 0;
}

function portArg(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`${flag} takes a port number (1-65535)`);
  return n;
}
