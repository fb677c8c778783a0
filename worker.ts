// Builds clinsynth's workers: workflows + CPU activities on one task queue, LLM activities (rate-limited) on another.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect, promisify } from 'node:util';
import { clinsynthHome, PROJECT_ROOT } from './lib/config/paths.js';
import type { DataConverter } from '@temporalio/common';
import { DefaultLogger, Runtime, Worker, type LogEntry, type LogLevel, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, sharedEncoder, type ActivityDeps } from './activities/index.js';
import { TASK_QUEUES } from './workflows/contract.js';
import { closeAllProviders, providerFor } from './lib/llm/providers.js';
import { FileLlmCache } from './lib/llm/cache.js';
import { dataConverterFromEnv } from './lib/run/codec.js';
import { connectNative, plainSettings, type TemporalTargetSettings } from './client/connection.js';

export interface WorkerOptions {
  address: string;
  namespace: string;
  /** TLS, API key, metadata (client/connection.ts); without it a plaintext connection to `address`. */
  temporal?: TemporalTargetSettings;
  /** LLM page activities at once in this process (a page starts all its calls; llm.concurrency caps the calls in flight). */
  llmConcurrency?: number;
  /** Requests per second for the whole LLM task queue, shared by all workers (Temporal enforces it server-side). */
  llmPagesPerSecond?: number;
  /** CPU activities at once (embedding, training, merging); default 2 for a 2-core machine. */
  cpuConcurrency?: number;
  /** Which queues to poll: both by default. */
  queues?: ('main' | 'llm')[];
  workflowBundle?: WorkflowBundle;
  /** Payload encryption: default from CLINSYNTH_ENCRYPTION_KEY(_FILE) (lib/run/codec.ts). */
  dataConverter?: DataConverter;
  /**
   * Seconds a stopping worker (SIGTERM, Ctrl-C) lets its running activities finish before cancelling them: at least
   * llm.timeoutSeconds, so a paid call in flight comes back (default: 60 s, the default llm.timeoutSeconds, + 30).
   */
  shutdownGraceSeconds?: number;
  /**
   * host:port to serve Prometheus metrics on (`GET /metrics`): the Temporal runtime's and clinsynth's own
   * (clinsynth_llm_*). Only the first workers of a process set it (the runtime is installed once).
   */
  metrics?: string;
  /** What the activities are built from (default: the shared providers, the answer cache and encoder of the home). */
  activityDeps?: ActivityDeps;
}

/** The activities' dependencies of a worker in `home`: shared providers, its answer cache, the shared encoder. */
export function defaultActivityDeps(home: string = clinsynthHome()): ActivityDeps {
  return { providers: providerFor, cache: new FileLlmCache(join(home, 'llm-cache')), encoder: sharedEncoder, home };
}

/** The grace a stopping worker gives a call in flight beyond its llm.timeoutSeconds. */
export const SHUTDOWN_MARGIN_SECONDS = 30;
const DEFAULT_SHUTDOWN_GRACE_SECONDS = 60 + SHUTDOWN_MARGIN_SECONDS;

const bundles = new Map<string, Promise<WorkflowBundle>>();

/**
 * Bundles the workflow code once per process, in a child process: webpack's ~100 MiB then leave with the child
 * instead of staying in every long-lived worker.
 */
export function workflowBundle(failureConverterPath?: string): Promise<WorkflowBundle> {
  const key = failureConverterPath ?? '';
  let b = bundles.get(key);
  if (!b) bundles.set(key, (b = bundleInChild(failureConverterPath)));
  return b;
}

const BUNDLER = join(PROJECT_ROOT, 'scripts', 'bundle-workflows.ts');

async function bundleInChild(failureConverterPath?: string): Promise<WorkflowBundle> {
  const dir = mkdtempSync(join(tmpdir(), 'clinsynth-bundle-'));
  const file = join(dir, 'workflows.js');
  try {
    await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        BUNDLER,
        file,
        ...(failureConverterPath ? ['--failure-converter', failureConverterPath] : []),
      ],
      { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    return { code: readFileSync(file, 'utf8') };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`bundling the workflow code failed: ${err.stderr || err.message}`, { cause: e });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RunningWorkers {
  workers: Worker[];
  /** Resolves when every worker has stopped (after shutdown()). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * Worker logs at CLINSYNTH_LOG_LEVEL (default WARN: retries and failures, not every state change), and with
 * `metrics` the Prometheus exporter on that address.
 */
function installRuntime(metrics?: string): void {
  if (runtimeInstalled) {
    if (metrics) throw new Error(`--metrics ${metrics}: the Temporal runtime of this process is already installed`);
    return;
  }
  runtimeInstalled = true;
  const level = (process.env.CLINSYNTH_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  try {
    Runtime.install({
      logger: new DefaultLogger(level, logLine),
      ...(metrics ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metrics } } } } : {}),
    });
  } catch (e) {
    if (metrics) throw e;
    /* already installed by the embedding program */
  }
}

/**
 * One log entry on stderr: on one line (a retried LLM call is one line: lib/llm/outage.ts), unless it carries an
 * error, whose stack follows.
 */
function logLine(entry: LogEntry): void {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const meta = entry.meta;
  const hasError = meta !== undefined && Object.values(meta).some((v) => v instanceof Error);
  const tail = meta === undefined ? '' : ` ${inspect(meta, hasError ? {} : { breakLength: Infinity, compact: true })}`;
  process.stderr.write(`${time} [${entry.level}] ${entry.message}${tail}\n`);
}

export async function startWorkers(opts: WorkerOptions): Promise<RunningWorkers> {
  installRuntime(opts.metrics);
  const shutdownGraceTime = `${opts.shutdownGraceSeconds ?? DEFAULT_SHUTDOWN_GRACE_SECONDS} seconds`;
  const dataConverter = opts.dataConverter ?? dataConverterFromEnv();
  const connection = await connectNative(opts.temporal ?? plainSettings(opts.address, opts.namespace));
  const queues = opts.queues ?? ['main', 'llm'];
  // Built once per worker process (dependency injection): no activity reaches for a module global.
  const activities = createActivities(opts.activityDeps ?? defaultActivityDeps());
  const workers: Worker[] = [];
  if (queues.includes('main')) {
    workers.push(
      await Worker.create({
        connection,
        dataConverter,
        namespace: opts.namespace,
        taskQueue: TASK_QUEUES.main,
        // Encrypted runs encode failure messages too: the workflow code needs the same failure converter.
        workflowBundle: opts.workflowBundle ?? (await workflowBundle(dataConverter.failureConverterPath)),
        activities: activities.cpu,
        maxConcurrentActivityTaskExecutions: opts.cpuConcurrency ?? 2,
        shutdownGraceTime,
      }),
    );
  }
  if (queues.includes('llm')) {
    workers.push(
      await Worker.create({
        connection,
        dataConverter,
        namespace: opts.namespace,
        taskQueue: TASK_QUEUES.llm,
        activities: activities.llm,
        maxConcurrentActivityTaskExecutions: opts.llmConcurrency ?? 8,
        shutdownGraceTime,
        ...(opts.llmPagesPerSecond ? { maxTaskQueueActivitiesPerSecond: opts.llmPagesPerSecond } : {}),
      }),
    );
  }
  const done = Promise.all(workers.map((w) => w.run())).then(async () => {
    await closeAllProviders();
    await connection.close();
  });
  return {
    workers,
    done,
    shutdown: async () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}
