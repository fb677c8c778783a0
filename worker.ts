// Builds clinsynth's workers: workflows + CPU activities on one task queue, LLM activities (rate-limited) on another.
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode, type LogLevel, type WorkflowBundle } from '@temporalio/worker';
import * as cpuActivities from './activities/run.js';
import * as llmActivities from './activities/llm.js';
import { TASK_QUEUES } from './lib/run-state.js';
import { closeAllProviders } from './lib/llm/providers.js';

export interface WorkerOptions {
  address: string;
  namespace: string;
  /** LLM calls in flight in this process (pages; each page makes its calls one after another). */
  llmConcurrency?: number;
  /** Requests per second for the whole LLM task queue, shared by all workers (Temporal enforces it server-side). */
  llmPagesPerSecond?: number;
  /** CPU activities at once (embedding, training, merging); default 2 for a 2-core machine. */
  cpuConcurrency?: number;
  /** Which queues to poll: both by default. */
  queues?: ('main' | 'llm')[];
  workflowBundle?: WorkflowBundle;
}

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

let bundle: Promise<WorkflowBundle> | undefined;

/** Bundles the workflow code once per process. */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundle;
}

const quietBundlerLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};

export interface RunningWorkers {
  workers: Worker[];
  /** Resolves when every worker has stopped (after shutdown()). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

let runtimeInstalled = false;

/** Worker logs at CLINSYNTH_LOG_LEVEL (default WARN: retries and failures, not every state change). */
function installRuntimeLogging(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.CLINSYNTH_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    /* already installed by the embedding program */
  }
}

export async function startWorkers(opts: WorkerOptions): Promise<RunningWorkers> {
  installRuntimeLogging();
  const connection = await NativeConnection.connect({ address: opts.address });
  const queues = opts.queues ?? ['main', 'llm'];
  const workers: Worker[] = [];
  if (queues.includes('main')) {
    workers.push(
      await Worker.create({
        connection,
        namespace: opts.namespace,
        taskQueue: TASK_QUEUES.main,
        workflowBundle: opts.workflowBundle ?? (await workflowBundle()),
        activities: cpuActivities,
        maxConcurrentActivityTaskExecutions: opts.cpuConcurrency ?? 2,
      }),
    );
  }
  if (queues.includes('llm')) {
    workers.push(
      await Worker.create({
        connection,
        namespace: opts.namespace,
        taskQueue: TASK_QUEUES.llm,
        activities: llmActivities,
        maxConcurrentActivityTaskExecutions: opts.llmConcurrency ?? 8,
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
