// P4: a demo-sized full experiment (fake LLM at 100 ms) run cold, then rerun under a new run id: LLM calls and wall time.
import { join } from 'node:path';
import { startWorkers } from '../worker.js';
import { startFakeLlmServer } from '../tests/support/fake-llm-server.js';
import { writeTestExperiment } from '../tests/support/experiments.js';
import { sharedEncoder } from '../lib/model/embeddings.js';
import type { ExperimentResult } from '../workflows/experiment.js';
import { mainIfDirect, result, round, startBenchServer, tempDir, type BenchResult } from './common.js';
import { connectClient, startExperiment, teardown } from './harness.js';

const LATENCY_MS = 100;

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  const dir = tempDir('p4');
  process.env.CLINSYNTH_HOME = join(dir, 'home'); // shared by both runs: LLM cache and embedding cache
  const server = await startBenchServer();
  const llm = await startFakeLlmServer({ latencyMs: LATENCY_MS, keepBodies: 0 });
  const workers = await startWorkers({ address: server.address, namespace: 'default', llmConcurrency: 4 });
  const { client, close } = await connectClient(server.address);
  try {
    // Load the encoder first so that "cold" measures empty caches, not this process's model load.
    await sharedEncoder();
    const { file } = writeTestExperiment({ name: 'bench-p4', llm: { baseURL: llm.url } });
    const timed = async (runId: string) => {
      const s = performance.now();
      const before = llm.stats.requests;
      const started = await startExperiment(client, file, runId);
      const r = (await started.handle.result()) as ExperimentResult;
      return {
        seconds: (performance.now() - s) / 1000,
        serverCalls: llm.stats.requests - before,
        progress: r.progress,
      };
    };
    const stamp = Date.now();
    const cold = await timed(`bench-p4-cold-${stamp}`);
    const warm = await timed(`bench-p4-warm-${stamp}`);
    const calls = warm.serverCalls;
    return result({
      id: 'p4',
      title: 'warm rerun of a finished experiment (new run id)',
      figure: {
        value: round(warm.seconds, 2),
        unit: 's',
        what: `warm rerun: ${calls} LLM calls at the server, ${warm.progress.llm.cacheHits} cache hits`,
      },
      baseline: {
        value: round(cold.seconds, 2),
        unit: 's',
        what: `cold run: ${cold.serverCalls} LLM calls (latency ${LATENCY_MS} ms)`,
      },
      goal: 'rerun calls == 0 (ratio: lower is better)',
      pass: calls === 0 && warm.progress.llm.calls === 0,
      seconds: (performance.now() - t0) / 1000,
      details: {
        coldSeconds: round(cold.seconds, 2),
        warmSeconds: round(warm.seconds, 2),
        coldCalls: cold.serverCalls,
        warmCallsAtServer: calls,
        warmCallsInProgress: warm.progress.llm.calls,
        warmCacheHits: warm.progress.llm.cacheHits,
        coldStages: Object.fromEntries(Object.entries(cold.progress.stages).map(([k, v]) => [k, v.status])),
      },
      notes: [`rerun made ${calls} LLM calls (must be 0)`],
    });
  } finally {
    await teardown({ workers, close, llm, server, dir });
  }
}

await mainIfDirect(import.meta.url, run);
