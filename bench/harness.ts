// Experiment harness for the Temporal benchmarks: synthetic corpora, experiment files, starting runs, watching progress.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createWriteStream, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { loadExperiment } from '../lib/config/load-experiment.js';
import { workflowIdFor, type RunProgress } from '../lib/run/run-state.js';
import { TASK_QUEUES, progressQuery } from '../workflows/contract.js';
import type { ExperimentInput } from '../workflows/experiment.js';
import { PROJECT_ROOT } from '../lib/config/paths.js';
import { TAXONOMY, cleanup, sleep, syntheticSentence, writeLinesBuffered } from './common.js';

export const DEMO_DATA = join(PROJECT_ROOT, 'examples', 'demo', 'data');

/**
 * Writes a JSONL corpus of notes, `perNote` sentences each, with `cue` distinct cue-bearing sentences and `plain`
 * distinct cue-free ones (interleaved). Reuses an existing file with the same parameters (stamp beside it).
 */
export async function writeCorpus(
  path: string,
  cue: number,
  plain: number,
  perNote = 10,
): Promise<{ notes: number; bytes: number }> {
  const stampFile = `${path}.meta.json`;
  const stamp = JSON.stringify({ cue, plain, perNote, v: 2 });
  if (existsSync(path) && existsSync(stampFile)) {
    const meta = JSON.parse(readFileSync(stampFile, 'utf8')) as { stamp: string; notes: number; bytes: number };
    if (meta.stamp === stamp) return meta;
  }
  const tmp = `${path}.tmp`;
  const out = createWriteStream(tmp);
  let c = 0;
  let p = 0;
  let notes = 0;
  let bytes = 0;
  const total = cue + plain;
  await writeLinesBuffered(
    out,
    () => {
      if (c + p >= total) return null;
      const sents: string[] = [];
      while (sents.length < perNote && c + p < total) {
        // Keep the cue/plain mix proportional so every note looks alike.
        const wantCue = plain === 0 || (c < cue && c * plain <= p * cue);
        sents.push(wantCue ? syntheticSentence(c++, true) : syntheticSentence(p++, false));
      }
      const line = JSON.stringify({ id: `note-${++notes}`, text: sents.join(' ') }) + '\n';
      bytes += Buffer.byteLength(line);
      return line;
    },
    1000,
  );
  renameSync(tmp, path);
  writeFileSync(stampFile, JSON.stringify({ stamp, notes, bytes }));
  return { notes, bytes };
}

export interface BenchExperiment {
  name: string;
  dir: string;
  llmBaseURL: string;
  concurrency: number;
  corpus?: { path: string; maxSentences: number; negativeShare?: number };
  silverBatch?: number;
  bronze?: boolean;
  selfCheck?: boolean;
  mixes?: string[];
  seeds?: number[];
  extra?: Record<string, unknown>;
}

/** Writes an experiment file (demo gold, the given corpus) and returns its path. */
export function writeExperiment(e: BenchExperiment): string {
  const bronze = e.bronze ?? false;
  const experiment = {
    name: e.name,
    taxonomy: TAXONOMY,
    gold: { train: join(DEMO_DATA, 'gold-train.jsonl'), test: join(DEMO_DATA, 'gold-test.jsonl') },
    corpus: e.corpus
      ? {
          path: e.corpus.path,
          format: 'jsonl',
          sensitive: false,
          maxSentences: e.corpus.maxSentences,
          negativeShare: e.corpus.negativeShare ?? 0.2,
        }
      : { path: join(DEMO_DATA, 'notes.jsonl'), format: 'jsonl', sensitive: false, maxSentences: 24 },
    silver: { enabled: true, batchSize: e.silverBatch ?? 8 },
    bronze: bronze ? { enabled: true, perLabel: 3, perCall: 3 } : { enabled: false },
    selfCheck: { enabled: e.selfCheck ?? false, batchSize: 4 },
    llm: { provider: 'openai', baseURL: e.llmBaseURL, model: 'fake-model', concurrency: e.concurrency },
    train: { seeds: e.seeds ?? [1], finalMix: 'gold' },
    evaluate: { mixes: e.mixes ?? ['gold'] },
    output: join(e.dir, 'runs'),
    ...e.extra,
  };
  const file = join(e.dir, `${e.name}.yaml`);
  writeFileSync(file, stringify(experiment));
  return file;
}

export async function connectClient(address: string): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection }), close: () => connection.close() };
}

export interface StartedRun {
  handle: WorkflowHandle;
  workflowId: string;
  runDir: string;
}

export async function startExperiment(
  client: Client,
  file: string,
  runId: string,
  extra: Partial<ExperimentInput> = {},
): Promise<StartedRun> {
  const experiment = loadExperiment(file);
  const runDir = join(experiment.output, runId);
  const workflowId = workflowIdFor(runId);
  const handle = await client.workflow.start('experimentWorkflow', {
    workflowId,
    taskQueue: TASK_QUEUES.main,
    args: [{ experiment, runId, runDir, ...extra } satisfies ExperimentInput],
  });
  return { handle, workflowId, runDir };
}

/** The progress query, following continue-as-new (the handle has no run id pinned); undefined while unavailable. */
export async function progressOf(client: Client, workflowId: string): Promise<RunProgress | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).query(progressQuery);
  } catch {
    return undefined;
  }
}

/** Polls the progress query until `done(progress)` or the workflow closes; returns the last progress seen. */
export async function waitForProgress(
  client: Client,
  workflowId: string,
  done: (p: RunProgress) => boolean,
  everyMs = 250,
  timeoutMs = 3_600_000,
): Promise<RunProgress> {
  const deadline = Date.now() + timeoutMs;
  let last: RunProgress | undefined;
  while (Date.now() < deadline) {
    const p = await progressOf(client, workflowId);
    if (p) {
      last = p;
      if (done(p)) return p;
    } else {
      const d = await client.workflow
        .getHandle(workflowId)
        .describe()
        .catch(() => undefined);
      if (d && d.status.name !== 'RUNNING' && d.status.name !== 'CONTINUED_AS_NEW') {
        throw new Error(`workflow ${workflowId} ended as ${d.status.name} (last stage ${last?.stage ?? '?'})`);
      }
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting on ${workflowId}`);
}

/** Every run (execution) of a workflow id with its history length, via visibility. */
export async function historyLengths(
  client: Client,
  workflowId: string,
): Promise<{ runId: string; status: string; historyLength: number }[]> {
  const out: { runId: string; status: string; historyLength: number }[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    out.push({ runId: w.runId, status: w.status.name, historyLength: w.historyLength });
  }
  return out;
}

/** Polls a counter at a fixed rate and keeps (time, value) samples whenever it changes. */
export class CounterSampler {
  readonly samples: { t: number; v: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  constructor(
    private readonly read: () => number | Promise<number>,
    private readonly everyMs = 20,
  ) {}
  start(): this {
    this.timer = setInterval(() => void this.tick(), this.everyMs);
    return this;
  }
  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const v = await this.read();
      const last = this.samples[this.samples.length - 1];
      if (!last || last.v !== v) this.samples.push({ t: performance.now(), v });
    } catch {
      // transient (e.g. the stats endpoint is busy): next tick
    } finally {
      this.busy = false;
    }
  }
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.tick();
  }
  /** Time (ms) when the counter first exceeded `from`, and when it reached `to` (its final value by default). */
  span(from = 0, to?: number): { t0: number; t1: number; count: number } {
    const end = to ?? this.samples[this.samples.length - 1]?.v ?? 0;
    const first = this.samples.find((s) => s.v > from);
    const last = this.samples.find((s) => s.v >= end);
    return { t0: first?.t ?? NaN, t1: last?.t ?? NaN, count: end - from };
  }
  /** Rate (per s) between the moments the counter crossed fractions a and b of its final value. */
  rateBetween(a: number, b: number): number {
    const end = this.samples[this.samples.length - 1]?.v ?? 0;
    const sa = this.samples.find((s) => s.v >= a * end);
    const sb = this.samples.find((s) => s.v >= b * end);
    if (!sa || !sb || sb.t <= sa.t) return NaN;
    return ((sb.v - sa.v) / (sb.t - sa.t)) * 1000;
  }
}

export type Child = ChildProcess & { waitLine(re: RegExp): Promise<void> };

/** Spawns `node --import tsx SCRIPT ARGS` (one process, so /proc/<pid> is the real one) and waits for `readyLine`. */
export async function spawnTsx(
  script: string,
  args: string[],
  readyLine: RegExp,
  env: NodeJS.ProcessEnv,
): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  }) as Child;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const waiting: { re: RegExp; resolve: () => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    for (const w of waiting.filter((x) => x.re.test(l))) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve();
    }
  });
  child.waitLine = (re) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ re, resolve });
      child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${stderr}`)));
    });
  await child.waitLine(readyLine);
  return child;
}

export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await done;
  clearTimeout(t);
}

/** Stops what an in-process benchmark started (workers, client, LLM endpoint, Temporal server) and removes its folder. */
export async function teardown(parts: {
  workers: { shutdown(): Promise<void> };
  close(): Promise<void>;
  llm: { close(): Promise<void> };
  server: { stop(): Promise<void> };
  dir: string;
}): Promise<void> {
  await parts.workers.shutdown().catch(() => {});
  await parts.close();
  await parts.llm.close();
  await parts.server.stop();
  cleanup(parts.dir);
}
