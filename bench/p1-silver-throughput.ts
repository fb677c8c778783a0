// P1 and P1-scale: silver-stage LLM calls/s through Temporal (dev server, in-process workers, fake LLM) vs concurrency ÷ latency.
import { join } from 'node:path';
import { startWorkers } from '../worker.js';
import { startFakeLlmServer } from '../tests/support/fake-llm-server.js';
import { OpenAIProvider } from '../lib/llm/openai-provider.js';
import { silverRequest } from '../lib/generate/prompts.js';
import { loadTaxonomy } from '../lib/config/taxonomy.js';
import { PROJECT_ROOT } from '../lib/config/paths.js';
import {
  QUICK,
  freePort,
  mainIfDirect,
  procMemory,
  result,
  round,
  startBenchServer,
  tempDir,
  type BenchResult,
} from './common.js';
import { callsPerPage, pagesScheduled } from '../lib/run/run-state.js';
import {
  CounterSampler,
  connectClient,
  type Child,
  historyLengths,
  spawnTsx,
  startExperiment,
  stopChild,
  teardown,
  waitForProgress,
  writeCorpus,
  writeExperiment,
} from './harness.js';

/**
 * P1: concurrency 16 against a 100 ms endpoint (the workflow's page turnover is what can idle the slots).
 * P1-scale (BENCH_P1_SCALE=1): concurrency 256 against a 2 s endpoint, a realistic model latency, ~60 s of calls:
 * also checks the workers' resident memory and the history length of every run.
 * P1-scale-1024 (BENCH_P1_SCALE=1 BENCH_P1_CONCURRENCY=1024): a large account's limit, 1024 calls in flight in all;
 * with BENCH_P1_WORKERS=2 two worker processes share them (llm.concurrency 512 each, a second process beside this
 * one), so the ideal stays 1024 ÷ 2 s.
 */
const SCALE = process.env.BENCH_P1_SCALE === '1';
const LATENCY_MS = SCALE ? 2000 : 100;
/** Calls in flight in all, across the workers. */
const CONCURRENCY = Number(process.env.BENCH_P1_CONCURRENCY ?? (SCALE ? 256 : 16));
const WORKERS = Number(process.env.BENCH_P1_WORKERS ?? 1);
if (!(Number.isInteger(WORKERS) && WORKERS >= 1 && CONCURRENCY % WORKERS === 0)) {
  throw new Error(`BENCH_P1_WORKERS=${WORKERS}: a positive integer dividing the concurrency ${CONCURRENCY}`);
}
/** llm.concurrency: each worker process's share of the calls in flight. */
const PER_WORKER = CONCURRENCY / WORKERS;
const BATCH = 8;
/** Silver candidates: 8 per call; P1 ~6 s of calls at the ideal rate, P1-scale ~60 s (quick: a third). */
const CANDIDATES = SCALE ? (CONCURRENCY / (LATENCY_MS / 1000)) * (QUICK ? 20 : 60) * BATCH : QUICK ? 2560 : 8000;
/** The result's id: p1, p1-scale, p1-scale-1024, p1-scale-1024-2w. */
const ID = SCALE
  ? `p1-scale${CONCURRENCY === 256 ? '' : `-${CONCURRENCY}`}${WORKERS > 1 ? `-${WORKERS}w` : ''}`
  : `p1${WORKERS > 1 ? `-${WORKERS}w` : ''}`;
const MEMORY_GOAL_MIB = 1024;
const HISTORY_GOAL_EVENTS = 10_000;
/** Diagnosis only: a workflow window (experiment llm.concurrency) other than each worker's LLM slots. */
const WINDOW = Number(process.env.BENCH_P1_WINDOW ?? PER_WORKER);
/**
 * Where the fake LLM runs: `process` (its own process, like a real endpoint; stats polled over HTTP; default) or
 * `inproc` (same process and event loop as the workers, as the tests do).
 */
const LLM_MODE = process.env.BENCH_P1_LLM === 'inproc' ? 'inproc' : 'process';

/**
 * Second baseline, same run: the same openai client at the same concurrency against the same endpoint, without
 * Temporal — what HTTP and the client cost by themselves.
 */
async function directClientRate(url: string, calls: number): Promise<number> {
  const taxonomy = loadTaxonomy(join(PROJECT_ROOT, 'taxonomy', 'ad-signs-symptoms.yaml'));
  const provider = new OpenAIProvider({ baseURL: url, model: 'bench', apiKey: 'unused', timeoutMs: 30_000 });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < calls) {
        const n = next++;
        const items = Array.from({ length: BATCH }, (_, i) => ({
          id: `d${n}-${i}`,
          text: `Direct baseline sentence ${n}-${i}: she forgets recent events.`,
        }));
        await provider.complete(silverRequest(taxonomy, items, { maxTokens: 1024, temperature: 0, seed: 0 }));
      }
    }),
  );
  return calls / ((performance.now() - t0) / 1000);
}

interface LlmEndpoint {
  url: string;
  /** Requests received and requests answered so far. */
  counts(): Promise<{ requests: number; answered: number }>;
  close(): Promise<void>;
}

async function startLlm(): Promise<LlmEndpoint> {
  const sum = (byStatus: Record<string, number>) => Object.values(byStatus).reduce((a, b) => a + b, 0);
  if (LLM_MODE === 'inproc') {
    const llm = await startFakeLlmServer({ latencyMs: LATENCY_MS, keepBodies: 0 });
    return {
      url: llm.url,
      counts: async () => ({ requests: llm.stats.requests, answered: sum(llm.stats.byStatus) }),
      close: () => llm.close(),
    };
  }
  const port = await freePort();
  const child = await spawnTsx(
    'tests/support/fake-llm-server.ts',
    ['--port', String(port), '--latency-ms', String(LATENCY_MS), '--keep-bodies', '0'],
    /listening/,
    process.env,
  );
  return {
    url: `http://127.0.0.1:${port}/v1`,
    counts: async () => {
      const s = (await (await fetch(`http://127.0.0.1:${port}/admin/stats`)).json()) as {
        requests: number;
        byStatus: Record<string, number>;
      };
      return { requests: s.requests, answered: sum(s.byStatus) };
    },
    close: () => stopChild(child),
  };
}

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  const candidates = CANDIDATES;
  const dir = tempDir(SCALE ? 'p1-scale' : 'p1');
  process.env.CLINSYNTH_HOME = join(dir, 'home'); // fresh LLM cache: every call is paid
  const corpus = join(dir, 'corpus.jsonl');
  // 80% cue hits + 20% random non-hits (negativeShare 0.2), with 10% spare of each.
  await writeCorpus(corpus, Math.ceil(candidates * 0.8 * 1.1), Math.ceil(candidates * 0.2 * 1.1));

  const server = await startBenchServer();
  const llm = await startLlm();
  // The client alone first, in a quiet process: measured after the run it would share the process with the merge
  // activity that the terminated workflow had already started.
  const direct = await directClientRate(llm.url, SCALE ? CONCURRENCY * (QUICK ? 2 : 4) : QUICK ? 320 : 640);
  const workers = await startWorkers({ address: server.address, namespace: 'default', llmConcurrency: PER_WORKER });
  // More workers: processes of their own (bench/p5-worker.ts, both queues), as `clinsynth worker` on another machine.
  const others: Child[] = [];
  for (let i = 1; i < WORKERS; i++) {
    others.push(await spawnTsx('bench/p5-worker.ts', [server.address, String(PER_WORKER)], /^ready$/, process.env));
  }
  const { client, close } = await connectClient(server.address);
  try {
    const file = writeExperiment({
      name: SCALE ? 'bench-p1-scale' : 'bench-p1',
      dir,
      llmBaseURL: llm.url,
      concurrency: WINDOW,
      corpus: { path: corpus, maxSentences: candidates, negativeShare: 0.2 },
      silverBatch: BATCH,
    });
    // Requests received since the direct baseline (for the rate) and held by the fake server (received − answered:
    // calls in flight).
    const before = (await llm.counts()).requests;
    const inflight: number[] = [];
    let peakRssMiB = 0;
    const sampler = new CounterSampler(
      async () => {
        const c = await llm.counts();
        for (const pid of ['self' as const, ...others.map((o) => o.pid!)]) {
          peakRssMiB = Math.max(peakRssMiB, procMemory(pid).rssMiB);
        }
        if (c.requests > before) inflight.push(c.requests - c.answered);
        return c.requests - before;
      },
      LLM_MODE === 'inproc' ? 10 : 20,
    ).start();
    const started = await startExperiment(client, file, `bench-p1-${Date.now()}`);
    const p = await waitForProgress(
      client,
      started.workflowId,
      (q) => q.stages.silver.status === 'done' || q.stage === 'done',
      100,
    );
    await sampler.stop();
    await started.handle.terminate('benchmark measured the silver stage').catch(() => {});
    const runs = await historyLengths(client, started.workflowId);
    const maxHistory = Math.max(...runs.map((r) => r.historyLength));

    const calls = (await llm.counts()).requests - before;
    const { t0: first, t1: last } = sampler.span();
    // From the first request's arrival to the last answer (the last request arrives, then waits the latency).
    const seconds = (last - first) / 1000 + LATENCY_MS / 1000;
    const rate = calls / seconds;
    const ideal = CONCURRENCY / (LATENCY_MS / 1000);
    const steady = sampler.rateBetween(0.1, 0.9);
    const pages = p.pages.silver;
    const ratio = rate / ideal;
    const toDirect = rate / direct;
    // P1 also holds within 5% of the bare client; P1-scale also keeps the workers under 1 GiB and every run's history
    // under 10,000 events.
    const pass =
      ratio >= 0.9 && (SCALE ? peakRssMiB <= MEMORY_GOAL_MIB && maxHistory <= HISTORY_GOAL_EVENTS : toDirect >= 0.95);
    return result({
      id: ID,
      title: `silver LLM throughput through Temporal${SCALE ? ` at concurrency ${CONCURRENCY}` : ''}${WORKERS > 1 ? `, ${WORKERS} workers` : ''}`,
      figure: {
        value: round(rate, 1),
        unit: 'calls/s',
        what: `${calls} calls (${p.counts.silverCandidates} candidates, ${pages} pages) in ${seconds.toFixed(2)} s`,
      },
      baseline: { value: ideal, unit: 'calls/s', what: `ideal: concurrency ${CONCURRENCY} ÷ latency ${LATENCY_MS} ms` },
      goal: SCALE
        ? `>= 0.9, worker RSS <= ${MEMORY_GOAL_MIB} MiB, history <= ${HISTORY_GOAL_EVENTS} events a run`
        : '>= 0.9 and >= 0.95 of the bare client',
      ratio,
      pass,
      seconds: (performance.now() - t0) / 1000,
      details: {
        candidates: p.counts.silverCandidates,
        workflowWindow: WINDOW,
        fakeLlm: LLM_MODE === 'inproc' ? "in the workers' process (shares their event loop)" : 'own process',
        workers: WORKERS,
        workerLlmSlots: PER_WORKER,
        pages,
        callsPerPage: callsPerPage(WINDOW),
        workflowPagesScheduled: pagesScheduled(WINDOW),
        workersPeakRssMiB: round(peakRssMiB, 0),
        historyEventsPerRun: runs.map((r) => r.historyLength),
        callsObserved: calls,
        usageCalls: p.llm.calls,
        failures: p.llm.failures,
        failedPages: p.stages.silver.failedPages,
        inflightMean: round(inflight.reduce((a, b) => a + b, 0) / Math.max(1, inflight.length), 2),
        inflightMax: Math.max(0, ...inflight),
        ...(process.env.BENCH_DEBUG ? { inflightTrace: inflight.join(',') } : {}),
        steadyStateCallsPerSec10to90: round(steady, 1),
        steadyRatio: round(steady / ideal, 3),
        directClientCallsPerSec: round(direct, 1),
        ratioToDirectClient: round(rate / direct, 3),
        model: `pages of ${callsPerPage(WINDOW)} calls start all their calls at once; the workflow keeps ${pagesScheduled(WINDOW)} pages scheduled (pagesScheduled: the slots' calls, one page and 2 × concurrency waiting); each of the ${WORKERS} worker process(es) caps its calls in flight at ${PER_WORKER} (ConcurrencyLimitedProvider)`,
      },
      notes: [
        `steady state (10%→90% of calls): ${round(steady, 1)} calls/s = ${round(steady / ideal, 3)} of ideal`,
        `same client without Temporal, same run: ${round(direct, 1)} calls/s (${round(direct / ideal, 3)} of ideal); through Temporal = ${round(toDirect, 3)} of that`,
        ...(SCALE
          ? [
              `peak RSS of a worker process ${round(peakRssMiB, 0)} MiB; history events per run: ${runs.map((r) => r.historyLength).join(', ')}`,
            ]
          : []),
      ],
    });
  } finally {
    await Promise.all(others.map((o) => stopChild(o)));
    await teardown({ workers, close, llm, server, dir });
  }
}

await mainIfDirect(import.meta.url, run);
