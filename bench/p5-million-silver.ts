// P5: a 1,000,000-candidate silver stage (100k quick) against a 0 ms fake LLM: sentences/s, peak worker RSS, max history.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import {
  BENCH_DATA,
  QUICK,
  cleanup,
  freePort,
  mainIfDirect,
  mkdirp,
  procCpuSeconds,
  procMemory,
  result,
  round,
  sleep,
  startBenchServer,
  syntheticSentence,
  tempDir,
  type BenchResult,
} from './common.js';
import {
  CounterSampler,
  connectClient,
  historyLengths,
  progressOf,
  spawnTsx,
  startExperiment,
  stopChild,
  writeCorpus,
  writeExperiment,
  type Child,
  type StartedRun,
} from './harness.js';
import type { Client } from '@temporalio/client';
import { loadExperiment } from '../lib/config/load-experiment.js';
import { startRun, silverPageSize } from '../lib/generate/run-setup.js';
import { writePages } from '../lib/run/run-dir.js';
import { candidateId } from '../lib/corpus/selection.js';
import { initialProgress, workflowIdFor, type RunProgress } from '../lib/run/run-state.js';
import { TASK_QUEUES } from '../workflows/contract.js';
import type { CandidateRow } from '../lib/run/records.js';
import type { ExperimentInput } from '../workflows/experiment.js';
import { summariseProfile } from './cpuprofile.js';

const BATCH = 16;
const CONCURRENCY = 16;
const GOAL_RATE = 500;
const GOAL_RSS_MIB = 1024;
const GOAL_EVENTS = 10_000;

interface Measured {
  mode: 'select' | 'pages';
  workflowId: string;
  failure?: string;
  stoppedEarly: boolean;
  candidates: number;
  pages: number;
  calls: number;
  labelled: number;
  labelSeconds: number;
  stageSeconds: number;
  selectSeconds: number;
  peakHwm: number;
  /** Peak RSS up to the first LLM call: the selection's share of the peak. */
  hwmAtFirstCall: number;
  /** VmHWM once silver was seen done (the next stage may have started): information, not the P5 figure. */
  hwmAfterSilver: number;
  rssAtEnd: number;
  cpu?: Record<string, number>;
  progress?: RunProgress;
  runs: { runId: string; status: string; historyLength: number }[];
  profile?: unknown;
}

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  const n = Number(process.env.BENCH_P5_SIZE ?? (QUICK ? 100_000 : 1_000_000));
  const limitS = Number(process.env.BENCH_P5_TIMEOUT_S ?? (QUICK ? 600 : 1500));
  const profile = process.env.BENCH_PROFILE === '1' || process.env.BENCH_PROFILE === 'p5';
  // select: the workflow selects the candidates from a corpus (the real path); pages: candidate pages are written
  // into the run dir and the workflow starts at the silver fan-out. select falls back to pages when it fails.
  const mode = (process.env.BENCH_P5_MODE ?? 'select') as 'select' | 'pages';
  const notes: string[] = [];
  const dir = tempDir('p5');
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const corpus = join(mkdirp(BENCH_DATA), `p5-corpus-${n}.jsonl`);
  const tc = performance.now();
  const corpusInfo = await writeCorpus(corpus, n, 0, 20);
  const corpusSeconds = (performance.now() - tc) / 1000;

  const server = await startBenchServer();
  const env = { ...process.env, CLINSYNTH_HOME: home };
  let llmChild: Child | undefined;
  let worker: Child | undefined;
  const { client, close } = await connectClient(server.address);
  try {
    const port = await freePort();
    llmChild = await spawnTsx(
      'tests/support/fake-llm-server.ts',
      ['--port', String(port), '--latency-ms', '0', '--keep-bodies', '0'],
      /listening/,
      env,
    );
    const llmUrl = `http://127.0.0.1:${port}/v1`;
    const stats = async () =>
      (await (await fetch(`http://127.0.0.1:${port}/admin/stats`)).json()) as { requests: number };
    const file = writeExperiment({
      name: 'bench-p5',
      dir,
      llmBaseURL: llmUrl,
      concurrency: CONCURRENCY,
      corpus: { path: corpus, maxSentences: n, negativeShare: 0 },
      silverBatch: BATCH,
    });

    const measure = async (how: 'select' | 'pages'): Promise<Measured> => {
      const profFile = join(dir, `worker-${how}.cpuprofile`);
      const memLog = process.env.BENCH_P5_MEMLOG ? `${process.env.BENCH_P5_MEMLOG}-${how}.jsonl` : undefined;
      const workerEnv = {
        ...env,
        ...(profile ? { BENCH_WORKER_PROFILE: profFile } : {}),
        ...(memLog ? { BENCH_WORKER_MEMLOG: memLog } : {}),
      };
      worker = await spawnTsx('bench/p5-worker.ts', [server.address, String(CONCURRENCY)], /^ready$/, workerEnv);
      const w = worker;
      const pids = { worker: w.pid!, temporalServer: server.pid, fakeLlm: llmChild!.pid!, benchDriver: process.pid };
      const cpuNow = () => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuSeconds(pid)]));
      let cpuAtFirstCall: Record<string, number> | undefined;
      let hwmAtFirstCall = NaN;
      const from = (await stats()).requests;
      const sampler = new CounterSampler(async () => {
        const v = (await stats()).requests;
        if (v > from && !cpuAtFirstCall) {
          cpuAtFirstCall = cpuNow();
          hwmAtFirstCall = procMemory(w.pid!).hwmMiB;
        }
        return v;
      }, 250).start();
      // The silver stage's peak: VmHWM read just before a progress answer that says silver still runs. The next
      // stage (merge: encoder, DuckDB) starts the moment silver ends, and is not what P5 measures.
      let peakHwm = 0;
      const runId = `bench-p5-${how}-${Date.now()}`;
      const tStart = performance.now();
      let started: StartedRun;
      if (how === 'select') started = await startExperiment(client, file, runId);
      else started = await startFromPages(client, file, runId, n);
      let last: RunProgress | undefined;
      let stoppedEarly = false;
      let failure: string | undefined;
      for (let tick = 0; ; tick++) {
        await sleep(500);
        const hwm = procMemory(w.pid!).hwmMiB || 0;
        const p = await progressOf(client, started.workflowId);
        if (p) last = p;
        if (last && (last.stages.silver.status === 'done' || (last.stage !== 'silver' && last.stage !== 'taxonomy')))
          break;
        peakHwm = Math.max(peakHwm, hwm);
        if ((performance.now() - tStart) / 1000 > limitS) {
          stoppedEarly = true;
          break;
        }
        if (!p || tick % 10 === 0) {
          const d = await started.handle.describe().catch(() => undefined);
          if (d && !['RUNNING', 'CONTINUED_AS_NEW'].includes(d.status.name)) {
            const r = await started.handle.result().catch((e: Error & { cause?: Error & { cause?: Error } }) => e);
            const e = r as Error & { cause?: Error & { cause?: Error } };
            failure = `workflow ${d.status.name}: ${e.cause?.cause?.message ?? e.cause?.message ?? e.message ?? ''}`;
            break;
          }
        }
      }
      const tEnd = performance.now();
      const cpuAtEnd = cpuNow();
      let profileSummary: unknown;
      if (profile) {
        w.stdin!.write('stop-profile\n');
        await w.waitLine(/^profile-written$/);
        profileSummary = {
          ...summariseProfile(profFile, 25),
          file: `worker main thread (${how}), from worker start to the end of silver`,
        };
      }
      await sampler.stop();
      const mem = procMemory(w.pid!);
      await started.handle.terminate('benchmark measured the silver stage').catch(() => {});
      await stopChild(w);
      worker = undefined;
      const p = last;
      const candidates = p?.counts.silverCandidates ?? NaN;
      const span = sampler.span(from);
      // The sentences silver labelled (rows written by its pages), not the candidates it was given.
      const labelled = failure ? 0 : (p?.counts.silverRows ?? 0);
      await sleep(1500); // visibility catches up with the terminated run
      return {
        mode: how,
        workflowId: started.workflowId,
        ...(failure ? { failure } : {}),
        stoppedEarly,
        candidates,
        pages: p?.pages.silver ?? 0,
        calls: span.count,
        labelled,
        labelSeconds: (span.t1 - span.t0) / 1000,
        stageSeconds: (tEnd - tStart) / 1000,
        selectSeconds: (span.t0 - tStart) / 1000,
        peakHwm,
        hwmAtFirstCall,
        hwmAfterSilver: mem.hwmMiB,
        rssAtEnd: mem.rssMiB,
        ...(cpuAtFirstCall
          ? { cpu: Object.fromEntries(Object.keys(pids).map((k) => [k, round(cpuAtEnd[k]! - cpuAtFirstCall![k]!, 1)])) }
          : {}),
        ...(p ? { progress: p } : {}),
        runs: await historyLengths(client, started.workflowId),
        ...(profileSummary ? { profile: profileSummary } : {}),
      };
    };

    let m = await measure(mode);
    let selectAttempt: Measured | undefined;
    if (m.failure && mode === 'select') {
      selectAttempt = m;
      notes.push(
        `SELECTION FAILED (${m.failure}) after ${round(m.stageSeconds, 0)} s, worker peak RSS ${round(m.peakHwm, 0)} MiB; measured again with candidate pages written into the run dir (selection bypassed)`,
      );
      m = await measure('pages');
    }
    if (m.failure) throw new Error(`P5 ${m.mode}: ${m.failure}`);
    const rate = m.labelled / m.labelSeconds;
    const maxEvents = Math.max(0, ...m.runs.map((r) => r.historyLength));
    const rssOk = m.peakHwm <= GOAL_RSS_MIB;
    const eventsOk = maxEvents <= GOAL_EVENTS;
    if (m.stoppedEarly) notes.push(`stopped after ${limitS} s: rate from the ${m.labelled} sentences labelled by then`);
    notes.push(
      `peak worker RSS ${round(m.peakHwm, 0)} MiB (goal <= ${GOAL_RSS_MIB}); max history ${maxEvents} events over ${m.runs.length} runs (goal <= ${GOAL_EVENTS})`,
    );
    if (m.mode === 'select')
      notes.push(
        `whole silver stage incl. candidate selection: ${round(m.labelled / m.stageSeconds, 0)} sentences/s (${round(m.stageSeconds, 1)} s; selection ${round(m.selectSeconds, 1)} s)`,
      );
    const p = m.progress!;
    return result({
      id: 'p5',
      title: `silver stage at ${n.toLocaleString('en')} candidates (0 ms LLM${m.mode === 'pages' ? ', pre-written candidate pages' : ''})`,
      figure: {
        value: round(rate, 0),
        unit: 'sentences/s',
        what: `${m.labelled} sentences, ${m.calls} calls, ${m.pages} pages in ${round(m.labelSeconds, 1)} s (first to last LLM call)`,
      },
      baseline: { value: GOAL_RATE, unit: 'sentences/s', what: 'goal' },
      goal: '>= 1',
      pass: rate >= GOAL_RATE && rssOk && eventsOk && !m.stoppedEarly && !selectAttempt,
      seconds: (performance.now() - t0) / 1000,
      details: {
        mode: m.mode,
        candidates: m.candidates,
        pages: m.pages,
        callsObserved: m.calls,
        llmUsage: p.llm,
        failedPages: p.stages.silver.failedPages,
        labelSeconds: round(m.labelSeconds, 1),
        selectionSeconds: m.mode === 'select' ? round(m.selectSeconds, 1) : null,
        stageSeconds: round(m.stageSeconds, 1),
        sentencesPerSecWholeStage: round(m.labelled / m.stageSeconds, 0),
        cpuSecondsDuringLabelling: m.cpu,
        peakWorkerRssMiB: round(m.peakHwm, 0),
        peakWorkerRssBeforeFirstCallMiB: round(m.hwmAtFirstCall, 0),
        peakWorkerRssMeasuredHow: 'VmHWM at the last progress poll (every 0.5 s) that still showed silver running',
        workerHwmOnceNextStageBeganMiB: round(m.hwmAfterSilver, 0),
        workerRssAtEndMiB: round(m.rssAtEnd, 0),
        rssGoalMiB: GOAL_RSS_MIB,
        maxHistoryEvents: maxEvents,
        runs: m.runs.length,
        historyLengths: m.runs.map((r) => r.historyLength),
        continuedAsNew: p.continuedAsNew,
        corpus: { file: corpus, ...corpusInfo, generatedSeconds: round(corpusSeconds, 1) },
        ...(selectAttempt
          ? {
              selectAttempt: {
                failure: selectAttempt.failure,
                seconds: round(selectAttempt.stageSeconds, 1),
                peakWorkerRssMiB: round(selectAttempt.peakHwm, 0),
              },
            }
          : {}),
        ...(m.profile ? { profile: m.profile } : {}),
      },
      notes,
    });
  } finally {
    await stopChild(worker);
    await stopChild(llmChild);
    await close();
    await server.stop();
    cleanup(dir);
  }
}

/**
 * Writes the run's setup (experiment.json, gold) and `n` candidate pages (the same sentences as the corpus, sorted
 * by candidate id as the selection does) into a new run dir, then starts the workflow at the silver fan-out.
 */
async function startFromPages(client: Client, file: string, runId: string, n: number): Promise<StartedRun> {
  const experiment = loadExperiment(file);
  const runDir = join(experiment.output, runId);
  startRun(experiment, runDir);
  const rows: CandidateRow[] = [];
  let offset = 0;
  for (let i = 0; i < n; i++) {
    if (i % 20 === 0) offset = 0;
    const text = syntheticSentence(i, true);
    rows.push({
      id: candidateId(text),
      noteId: `note-${Math.floor(i / 20) + 1}`,
      start: offset,
      end: offset + text.length,
      text,
      reason: 'cue:bench',
      count: 1,
    });
    offset += text.length + 1;
  }
  rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const pages = writePages(runDir, 'candidates', rows, silverPageSize(experiment));
  const progress = initialProgress(runId, runDir, experiment.name);
  progress.stages.taxonomy.status = 'done';
  progress.pages.silver = pages;
  progress.counts.silverCandidates = rows.length;
  const workflowId = workflowIdFor(runId);
  const handle = await client.workflow.start('experimentWorkflow', {
    workflowId,
    taskQueue: TASK_QUEUES.main,
    args: [{ experiment, runId, runDir, progress } satisfies ExperimentInput],
  });
  return { handle, workflowId, runDir };
}

await mainIfDirect(import.meta.url, run);
