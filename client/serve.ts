// `clinsynth worker` and `clinsynth server`: the long-lived processes (a worker polling clinsynth's task queues, the
// embedded Temporal dev server) that run until Ctrl-C.
import { parseArgs } from 'node:util';
import { codecEndpointFromEnv, startDevServer, stopEmbeddedServer, ensureTemporal } from './temporal-server.js';
import { clinsynthHome } from '../lib/config/paths.js';
import { portArg, say, UsageError } from './cli-args.js';

export async function workerCommand(args: string[]): Promise<number> {
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

export async function serverCommand(args: string[]): Promise<number> {
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
