// The experiment workflow on a real Temporal dev server with in-process workers and the fake OpenAI-compatible server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { FakeLlmServer } from '../support/fake-llm-server.js';
import { startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env.js';
import { DEMO_DIR, writeTestExperiment } from '../support/experiments.js';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { workflowIdFor } from '../../lib/run/run-state.js';
import { TASK_QUEUES, SEARCH_ATTRIBUTES } from '../../workflows/contract.js';
import { readJsonl } from '../../lib/run/run-dir.js';
import type { PredictionRow } from '../../lib/evaluate/predictions.js';
import { tallyBronze } from '../../lib/generate/bronze-top-up.js';
import type { ExperimentInput, ExperimentResult } from '../../workflows/experiment.js';
import { sharedEmbed } from '../../lib/model/embeddings.js';
import { writeEncoderDir } from '../support/encoder-dir.js';
import { runCli } from '../support/cli.js';
import { writeFileSync } from 'node:fs';

let env: WorkflowEnv;
let llm: FakeLlmServer;
let client: Client;

beforeAll(async () => {
  env = await startWorkflowEnv({ llm: { seed: 7 }, llmConcurrency: 4 });
  ({ llm, client } = env);
});

afterAll(async () => {
  await env?.close();
});

async function runExperiment(
  file: string,
  runId: string,
  extra: Partial<ExperimentInput> = {},
): Promise<ExperimentResult> {
  const experiment = loadExperiment(file);
  const runDir = join(experiment.output, runId);
  return client.workflow.execute('experimentWorkflow', {
    workflowId: workflowIdFor(runId),
    taskQueue: TASK_QUEUES.main,
    args: [{ experiment, runId, runDir, ...extra } satisfies ExperimentInput],
  });
}

describe('experiment workflow', () => {
  it('trains on the encoder train.encoder names (an encoder directory), and the saved model predicts with it', async () => {
    const encDir = writeEncoderDir(join(mkdtempSync(join(tmpdir(), 'clinsynth-enc-')), 'clinical-encoder'));
    const { file, dir } = writeTestExperiment({
      name: 'wf-encoder',
      llm: { baseURL: llm.url },
      overrides: {
        silver: { enabled: false },
        train: { seeds: [1], encoder: encDir },
        evaluate: { mixes: ['gold', 'gold+bronze'], llmAgreement: false },
      },
    });
    const result = await runExperiment(file, `wf-encoder-${Date.now()}`);
    expect(result.progress.stage).toBe('done');
    const model = JSON.parse(readFileSync(join(result.runDir, 'model', 'model.json'), 'utf8'));
    expect(model.encoder).toBe(encDir);
    expect(model.encoderId).toMatch(/^clinical-encoder@sha256:[0-9a-f]{16}$/);
    expect(model.head.encoderId).toBe(model.encoderId);
    // Its vectors went to their own cache folder, beside MiniLM's (used for the repeat checks).
    const folders = readdirSync(join(process.env.CLINSYNTH_HOME!, 'embeddings'));
    expect(folders.some((f) => f.startsWith('clinical-encoder'))).toBe(true);
    expect(folders.some((f) => f.startsWith('all-MiniLM-L6-v2'))).toBe(true);
    writeFileSync(join(dir, 'in.jsonl'), '{"id":"a","text":"Continue donepezil 10 mg."}\n');
    const r = await runCli([
      'predict',
      '--model',
      join(result.runDir, 'model'),
      join(dir, 'in.jsonl'),
      '--out',
      join(dir, 'out.jsonl'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`with encoder ${model.encoderId}`);
  }, 300_000);

  it('runs every stage, writes the report, and a rerun pays for no LLM call', async () => {
    const { file } = writeTestExperiment({ name: 'wf-basic', llm: { baseURL: llm.url } });
    llm.resetStats();
    const result = await runExperiment(file, `wf-basic-${Date.now()}`);
    expect(result.progress.stage).toBe('done');
    // Every stage ran, but review (off by default): skipped, without a command.
    for (const [name, s] of Object.entries(result.progress.stages))
      expect(s.status, name).toBe(name === 'review' ? 'skipped' : 'done');
    expect(result.progress.review).toBeUndefined();
    const report = JSON.parse(readFileSync(result.reportPath, 'utf8'));
    const labels = loadExperiment(file).labels;
    expect(Object.keys(report.mixes).sort()).toEqual(['gold', 'gold+bronze', 'gold+silver', 'gold+silver+bronze']);
    for (const mix of Object.values<any>(report.mixes)) {
      expect(mix.macroF1.mean).toBeGreaterThan(0);
      expect(mix.macroF1.sd).toBeGreaterThanOrEqual(0);
      expect(mix.microF1.mean).toBeGreaterThan(0);
      expect(Object.keys(mix.perLabel).sort()).toEqual([...labels].sort());
      for (const s of Object.values<any>(mix.perLabel))
        for (const k of ['precision', 'recall', 'f1']) expect(s[k]).toBeGreaterThanOrEqual(0);
    }
    const paid = llm.stats.requests;
    expect(paid).toBeGreaterThan(10);
    expect(report.llm.calls).toBe(paid);
    expect(report.datasets.silver).toBeGreaterThan(0);
    expect(report.datasets.bronze).toBeGreaterThan(0);
    expect(existsSync(join(result.runDir, 'datasets', 'merged.parquet'))).toBe(true);
    expect(existsSync(join(result.runDir, 'model', 'model.json'))).toBe(true);

    // gold.train + gold.test: one fold, and each mix's predictions cover every gold test sentence exactly once.
    // logreg is deterministic: each mix trains once (first seed) although train.seeds is [1, 2]; 4 mixes + embed + final.
    expect(result.progress.stages.train.total).toBe(4 + 2);
    const testIds = readJsonl<{ id: string }>(join(result.runDir, 'gold', 'test.jsonl'))
      .map((r) => r.id)
      .sort();
    for (const mix of Object.keys(report.mixes)) {
      expect(report.mixes[mix].folds).toBe(1);
      expect(report.mixes[mix].seeds).toEqual([1]);
      expect(report.mixes[mix].seedsApply).toBe(false);
      expect(readdirSync(join(result.runDir, 'eval', mix)).filter((f) => f.startsWith('seed-'))).toEqual([
        'seed-1',
        'seed-1.json',
      ]);
      const preds = readJsonl<{ id: string; fold: number }>(
        join(result.runDir, 'eval', mix, 'seed-1', 'predictions.jsonl'),
      );
      expect(preds.map((r) => r.id).sort()).toEqual(testIds);
      expect(new Set(preds.map((r) => r.fold))).toEqual(new Set([0]));
    }
    const html = readFileSync(join(result.runDir, 'report.html'), 'utf8');
    expect(html).toContain('train.seeds do not apply to it and no sd over seeds is shown');
    // Every figure says which encoder made its features.
    expect(report.mixes.gold.encoder).toMatchObject({ spec: 'minilm', classifier: 'logreg' });
    expect(html).toMatch(/<dd id="encoder">logreg on minilm embeddings \(/);
    expect(html).not.toMatch(/<td>\d\.\d{3} ± \d\.\d{3}<\/td>/);
    expect(Object.keys(report.comparisons).sort()).toEqual(['gold+bronze', 'gold+silver', 'gold+silver+bronze']);

    const d = await client.workflow.getHandle(workflowIdFor(result.runId)).describe();
    expect(d.status.name).toBe('COMPLETED');
    expect(d.searchAttributes[SEARCH_ATTRIBUTES.experiment]).toEqual(['wf-basic']);
    expect(d.searchAttributes[SEARCH_ATTRIBUTES.stage]).toEqual(['done']);

    const again = await runExperiment(file, `wf-basic-rerun-${Date.now()}`);
    expect(llm.stats.requests).toBe(paid);
    expect(again.progress.llm.calls).toBe(0);
    expect(again.progress.llm.cacheHits).toBe(report.llm.calls + report.llm.cacheHits);
  });

  it('keeps a worker at llm.concurrency calls in flight, with waiting pages queued behind the calls', async () => {
    const { file } = writeTestExperiment({
      name: 'wf-cap',
      llm: { baseURL: llm.url, concurrency: 3, seed: 5 },
      overrides: {
        silver: { enabled: true, batchSize: 1 },
        bronze: { enabled: false },
        selfCheck: { enabled: false },
        evaluate: { mixes: ['gold', 'gold+silver'] },
      },
    });
    llm.setFaults({ latencyMs: 60 });
    llm.resetStats();
    try {
      const result = await runExperiment(file, `wf-cap-${Date.now()}`);
      expect(result.progress.stage).toBe('done');
      expect(result.progress.pages.silver).toBeGreaterThanOrEqual(3);
      // Three pages of one call each fill the slots and more pages wait scheduled; never a fourth call at once.
      expect(llm.stats.maxInFlight).toBe(3);
    } finally {
      llm.setFaults({ latencyMs: 0 });
    }
  });

  it('tops bronze up round by round until every label has perLabel usable sentences, and self-checks the new ones', async () => {
    const bronze = { enabled: true, perLabel: 4, perCall: 2, topUpRounds: 4 };
    const { file } = writeTestExperiment({
      name: 'wf-topup',
      llm: { baseURL: llm.url, seed: 5 },
      overrides: { silver: { enabled: false }, bronze, evaluate: { mixes: ['gold', 'gold+bronze'] } },
    });
    llm.setFaults({ bronzeJunkShare: 0.5 });
    try {
      const result = await runExperiment(file, `wf-topup-${Date.now()}`);
      const c = result.progress.counts;
      const planned = loadExperiment(file).labels.length + 1; // each label and none, 2 jobs of 2
      expect(c.bronzeTopUpRounds).toBeGreaterThanOrEqual(1);
      expect(c.bronzeTargetsShort).toBe(0);
      expect(c.bronzeJobs).toBeGreaterThan(2 * planned);
      const pages = result.progress.pages.bronze;
      expect(readdirSync(join(result.runDir, 'bronze/jobs'))).toHaveLength(pages);
      expect(readdirSync(join(result.runDir, 'selfcheck/bronze'))).toHaveLength(pages);
      for (const t of await tallyBronze(result.runDir, pages, sharedEmbed))
        expect(t.usable, t.target.join() || 'none').toBeGreaterThanOrEqual(bronze.perLabel);
      const rejected = readdirSync(join(result.runDir, 'bronze/rejected')).flatMap((f) =>
        readJsonl(join(result.runDir, 'bronze/rejected', f)),
      );
      expect(rejected.length).toBeGreaterThan(0);
      expect(JSON.parse(readFileSync(result.reportPath, 'utf8')).datasets.bronzeRejected).toBe(rejected.length);

      // Without top-up rounds the same junk leaves labels short.
      const { file: once } = writeTestExperiment({
        name: 'wf-topup-off',
        llm: { baseURL: llm.url, seed: 5 },
        overrides: {
          silver: { enabled: false },
          bronze: { ...bronze, topUpRounds: 0 },
          evaluate: { mixes: ['gold', 'gold+bronze'] },
        },
      });
      const off = await runExperiment(once, `wf-topup-off-${Date.now()}`);
      expect(off.progress.counts.bronzeTopUpRounds).toBeUndefined();
      const short = (await tallyBronze(off.runDir, off.progress.pages.bronze, sharedEmbed)).filter(
        (t) => t.usable < bronze.perLabel,
      );
      expect(short.length).toBeGreaterThan(0);
    } finally {
      llm.setFaults({ bronzeJunkShare: 0 });
    }
  });

  it('continues as new to keep every history short, and still finishes', async () => {
    const { file } = writeTestExperiment({
      name: 'wf-can',
      llm: { baseURL: llm.url, concurrency: 2, seed: 11 },
      overrides: { silver: { enabled: true, batchSize: 1 } },
    });
    const runId = `wf-can-${Date.now()}`;
    const result = await runExperiment(file, runId, { historyLimit: 60 });
    expect(result.progress.continuedAsNew).toBeGreaterThan(0);
    expect(result.progress.stages.silver.done).toBe(result.progress.stages.silver.total);
    const runs = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowIdFor(runId)}'` })) runs.push(w);
    expect(runs.length).toBe(result.progress.continuedAsNew + 1);
    for (const w of runs) expect(w.historyLength).toBeLessThan(200);
  });

  it('finishes under 429s, 500s, malformed and truncated answers, records every failure, lets no unknown label through', async () => {
    const { file } = writeTestExperiment({ name: 'wf-faults', llm: { baseURL: llm.url, seed: 23 } });
    llm.setFaults({
      rate429: 0.1,
      retryAfterSeconds: 1,
      rate500: 0.05,
      rateMalformed: 0.05,
      rateTruncated: 0.03,
      rateUnknownLabel: 0.05,
    });
    llm.resetStats();
    try {
      const result = await runExperiment(file, `wf-faults-${Date.now()}`);
      expect(result.progress.stage).toBe('done');
      expect(llm.stats.faults.rate429 ?? 0).toBeGreaterThan(0);
      const labels = new Set(loadExperiment(file).labels);
      for (const row of readJsonl<{ labels: string[] }>(join(result.runDir, 'datasets', 'merged.jsonl'))) {
        for (const l of row.labels) expect(labels.has(l)).toBe(true);
      }
      // Every unusable answer is counted once and kept raw in a failures page. A malformed or truncated answer is
      // always unusable, so each is a failure; an unknown label may be absorbed by the parser (repeated in a
      // self-check `keep`), so the failures are at most all three faults.
      const malformed = llm.stats.faults.rateMalformed ?? 0;
      const truncated = llm.stats.faults.rateTruncated ?? 0;
      expect(malformed, 'the endpoint injected malformed answers').toBeGreaterThan(0);
      expect(result.progress.llm.failures).toBeGreaterThanOrEqual(malformed + truncated);
      expect(result.progress.llm.failures).toBeLessThanOrEqual(
        malformed + truncated + (llm.stats.faults.rateUnknownLabel ?? 0),
      );
      const failureRows = [
        'silver/failures',
        'bronze/failures',
        'selfcheck/failures-silver',
        'selfcheck/failures-bronze',
        'probe/failures',
        'selfcheck/failures-probe',
      ]
        .flatMap((f) =>
          existsSync(join(result.runDir, f))
            ? readdirSync(join(result.runDir, f)).map((p) => join(result.runDir, f, p))
            : [],
        )
        .flatMap((p) => readJsonl<{ rawText: string; error: string; finishReason: string }>(p));
      expect(failureRows).toHaveLength(result.progress.llm.failures);
      for (const f of failureRows) expect(typeof f.rawText).toBe('string');
      expect(failureRows.filter((f) => f.rawText.startsWith('{"oops": ')).length).toBeGreaterThanOrEqual(malformed);
      expect(failureRows.filter((f) => f.finishReason === 'length').length).toBeGreaterThanOrEqual(truncated);
    } finally {
      llm.setFaults({ rate429: 0, rate500: 0, rateMalformed: 0, rateTruncated: 0, rateUnknownLabel: 0 });
    }
  });
  it('evaluates out of fold: every gold sentence once per mix and seed, comparisons with CIs and p, both learning curves', async () => {
    const gold = readJsonl<{ id: string; labels: string[] }>(join(DEMO_DIR, 'data', 'gold.jsonl'));
    const { file } = writeTestExperiment({
      name: 'wf-folds',
      llm: { baseURL: llm.url },
      overrides: {
        gold: { path: join(DEMO_DIR, 'data', 'gold.jsonl') },
        evaluate: {
          mixes: ['gold', 'gold+silver', 'gold+bronze', 'gold+silver+bronze'],
          folds: 4,
          bootstrap: 2000,
          curves: { synthetic: [0.5, 1], gold: [0.5, 1] },
        },
      },
    });
    const result = await runExperiment(file, `wf-folds-${Date.now()}`);
    expect(result.progress.stage).toBe('done');
    const report = JSON.parse(readFileSync(result.reportPath, 'utf8'));
    const ids = gold.map((r) => r.id).sort();
    for (const mix of ['gold', 'gold+silver', 'gold+bronze', 'gold+silver+bronze']) {
      expect(report.mixes[mix].folds).toBe(4);
      expect(report.mixes[mix].duplicatesDropped).toBeGreaterThanOrEqual(0);
      // The mix itself trains once (logreg is deterministic); its curve points keep both seeds (they draw the sample).
      for (const seed of [1]) {
        // The documented path, spelt out (the layout is what this checks); the row type is the library's own.
        const preds = readJsonl<PredictionRow>(join(result.runDir, 'eval', mix, `seed-${seed}`, 'predictions.jsonl'));
        expect(preds.map((r) => r.id).sort(), `${mix} seed ${seed}`).toEqual(ids);
        expect([...new Set(preds.map((r) => r.fold))].sort()).toEqual([0, 1, 2, 3]);
        for (const r of preds) expect(Object.keys(r.scores).sort()).toEqual([...loadExperiment(file).labels].sort());
      }
    }
    expect(report.evaluation).toEqual({ baseline: 'gold', resamples: 2000, alpha: 0.05, folds: 4 });
    expect(Object.keys(report.comparisons).sort()).toEqual(['gold+bronze', 'gold+silver', 'gold+silver+bronze']);
    for (const c of Object.values<any>(report.comparisons)) {
      expect(c.baseline).toBe('gold');
      expect(c.sentences).toBe(gold.length);
      for (const k of ['macroF1', 'microF1']) {
        expect(c[k].ci[0]).toBeLessThanOrEqual(c[k].delta + 1e-12);
        expect(c[k].ci[1]).toBeGreaterThanOrEqual(c[k].delta - 1e-12);
        expect(c[k].p).toBeGreaterThan(0);
        expect(c[k].p).toBeLessThanOrEqual(1);
      }
      expect(c.macroF1.pHolm).toBeGreaterThanOrEqual(c.macroF1.p);
      expect(Object.keys(c.perLabel).sort()).toEqual([...loadExperiment(file).labels].sort());
    }
    // Curves: share 0.5 and 1 for each mix with synthetic rows, and for each mix with gold; fewer rows at 0.5.
    const points = (axis: string) => report.curves[axis].map((r: any) => `${r.mix}@${r.share}`).sort();
    expect(points('synthetic')).toEqual([
      'gold+bronze@0.5',
      'gold+bronze@1',
      'gold+silver+bronze@0.5',
      'gold+silver+bronze@1',
      'gold+silver@0.5',
      'gold+silver@1',
    ]);
    expect(points('gold')).toHaveLength(8);
    for (const axis of ['synthetic', 'gold']) {
      for (const mix of new Set<string>(report.curves[axis].map((r: any) => r.mix))) {
        const [half, full] = report.curves[axis].filter((r: any) => r.mix === mix);
        expect(half.share).toBe(0.5);
        expect(half.n, `${axis} ${mix}`).toBeLessThan(full.n);
        expect(full.macroF1.mean).toBeCloseTo(report.mixes[mix].macroF1.mean, 12);
      }
    }
  });
});
