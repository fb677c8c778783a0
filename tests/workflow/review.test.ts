// Human review on a real Temporal server: the run exports rows and waits; bad imports are refused (file:line) while it
// keeps waiting; an import or a skip ends the wait; reviewed rows reach the datasets and the report; histories
// recorded before the review stage existed replay unchanged.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../worker.js';
import type { FakeLlmServer } from '../support/fake-llm-server.js';
import { startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env.js';
import { writeTestExperiment } from '../support/experiments.js';
import { runCli } from '../support/cli.js';
import { currentDetails, untilProgress } from '../support/progress.js';
import { historyText } from '../support/history.js';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { readJsonl, RUN_FILES } from '../../lib/run/run-dir.js';
import { workflowIdFor } from '../../lib/run/run-state.js';
import { TASK_QUEUES, importReviewUpdate } from '../../workflows/contract.js';
import { withDuckDb } from '../../lib/dataset/merge.js';
import type { ReviewTaskRow } from '../../lib/run/records.js';
import type { ExperimentInput, ExperimentResult } from '../../workflows/experiment.js';
import type { Report } from '../../lib/report/report.js';
import { Clinsynth, RunRefusedError } from '../../client/api.js';
import { InputError } from '../../lib/config/problems.js';

let env: WorkflowEnv;
let llm: FakeLlmServer;
let client: Client;
const cliEnv = () => ({
  TEMPORAL_ADDRESS: inject('temporalAddress'),
  CLINSYNTH_ENCRYPTION_KEY: undefined,
  CLINSYNTH_ENCRYPTION_KEY_FILE: undefined,
});

beforeAll(async () => {
  env = await startWorkflowEnv({ llm: { seed: 31, verdicts: 'mixed' }, llmConcurrency: 4 });
  ({ llm, client } = env);
});

afterAll(async () => {
  await env?.close();
});

async function start(name: string): Promise<{ runId: string; runDir: string; handle: WorkflowHandle }> {
  const runId = `${name}-${Date.now()}`;
  const { file } = writeTestExperiment({
    name,
    llm: { baseURL: llm.url },
    overrides: {
      review: { enabled: true, max: 12 },
      train: { seeds: [1, 2] },
      evaluate: { mixes: ['gold', 'gold+silver+bronze', 'gold+reviewed'], bootstrap: 200 },
    },
  });
  const experiment = loadExperiment(file);
  const runDir = join(experiment.output, runId);
  const handle = await client.workflow.start('experimentWorkflow', {
    workflowId: workflowIdFor(runId),
    taskQueue: TASK_QUEUES.main,
    args: [{ experiment, runId, runDir } satisfies ExperimentInput],
  });
  return { runId, runDir, handle };
}

const query = (sql: string) =>
  withDuckDb(':memory:', async (c) => (await c.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]);

describe('human review', () => {
  it('exports and waits; refuses bad imports and keeps waiting; an import ends the wait and reaches datasets and report', async () => {
    const { runId, runDir, handle } = await start('wf-review');
    const waiting = await untilProgress(handle, (p) => p.review?.state === 'waiting', 180_000);
    expect(waiting.stage).toBe('review');
    for (const s of ['merge', 'train'] as const) expect(waiting.stages[s].status).toBe('pending');
    const tasks = readJsonl<ReviewTaskRow>(join(runDir, RUN_FILES.reviewSelection));
    expect(tasks.length).toBe(waiting.review!.tasks);
    expect(tasks.length).toBeGreaterThan(3);
    expect(tasks.length).toBeLessThanOrEqual(12);
    // The fake endpoint fixes and rejects some rows: those reasons come first.
    expect(tasks[0]!.reasons[0]).toMatch(/^selfcheck-/);
    for (const f of [RUN_FILES.reviewTasks, RUN_FILES.reviewConfig, RUN_FILES.reviewCsv])
      expect(existsSync(join(runDir, f)), f).toBe(true);
    expect(await currentDetails(handle)).toMatch(/waiting for human review: \d+ rows/);

    // A path outside review/imports/ is refused by the validator (nothing enters the history)…
    await expect(
      handle.executeUpdate(importReviewUpdate, { args: [{ file: '../../experiment.json' }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    // …and a bad file by the import activity, with file:line; the run keeps waiting.
    const decided = tasks.slice(0, 4);
    const cs = await Clinsynth.connect({ address: inject('temporalAddress'), startServer: false });
    try {
      const run = cs.get(runId);
      const bad = join(mkdtempSync(join(tmpdir(), 'clinsynth-review-bad-')), 'bad labels.csv');
      writeFileSync(bad, `ref,labels\n${tasks[0]!.ref},dementia\n`);
      // The client checks first (InputError), or leaves it to the run (RunRefusedError): the same problem either way.
      await expect(run.importReview(bad)).rejects.toThrow(InputError);
      const refused = await run.importReview(bad, { check: false }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RunRefusedError);
      expect((refused as RunRefusedError).reason).toMatch(
        /^import refused: .*review\/imports\/\d{8}T\d{6}Z-bad_labels\.csv:2: labels: unknown label "dementia"/,
      );
      const still = await handle.query<{ stage: string; review: { state: string; refused: number } }>('progress');
      expect(still.stage).toBe('review');
      expect(still.review).toMatchObject({ state: 'waiting', refused: 1 });

      // A good CSV from anywhere: checked here, copied into the run, imported by the run.
      const good = join(mkdtempSync(join(tmpdir(), 'clinsynth-review-good-')), 'reviewed.csv');
      writeFileSync(
        good,
        [
          'ref,labels,drop,reviewer',
          ...decided.map(
            (t, i) =>
              `${t.ref},${i === 0 ? 'none' : i === 1 ? 'dementia_diagnosis;cognitive_impairment' : t.llmLabels.join(';') || 'none'},${i === 3 ? 'yes' : ''},rev${i % 2}`,
          ),
        ].join('\n') + '\n',
      );
      const result = await run.importReview(good);
      expect(result).toMatchObject({ format: 'csv', tasks: tasks.length, reviewed: 4, dropped: 1, reviewers: 2 });
      expect(result.file).toMatch(/^review\/imports\/\d{8}T\d{6}Z-reviewed\.csv$/);
      await expect(run.skipReview()).rejects.toThrow(/the review is over \(imported\)/);
    } finally {
      await cs.close();
    }

    const done = (await handle.result()) as ExperimentResult;
    expect(done.progress.stage).toBe('done');
    expect(done.progress.stages.review).toMatchObject({ status: 'done', total: tasks.length, done: 4 });
    expect(done.progress.review).toMatchObject({ state: 'imported', refused: 1 });
    const reviewed = await query(
      `SELECT id, origin, labels, usable, reviewer FROM read_parquet('${join(runDir, 'datasets', 'reviewed.parquet')}') ORDER BY id`,
    );
    expect(reviewed).toHaveLength(4);
    expect(reviewed.filter((r) => r.usable === false).length).toBeGreaterThanOrEqual(1);
    const first = decided[0]!;
    const [origin] = await query(
      `SELECT labels, reviewer, labels_before_review FROM read_parquet('${join(runDir, 'datasets', 'merged.parquet')}') WHERE source = '${first.set}' AND id = '${first.id}'`,
    );
    expect(origin).toMatchObject({ labels: [], reviewer: 'rev0', labels_before_review: first.llmLabels });
    // The review's effect: the synthetic mixes trained again on the labels before review, and compared.
    expect(existsSync(join(runDir, 'eval', 'before-review', 'gold+reviewed', 'seed-1', 'predictions.jsonl'))).toBe(
      true,
    );
    const report = JSON.parse(readFileSync(done.reportPath, 'utf8')) as Report;
    expect(report.review).toMatchObject({
      outcome: 'imported',
      tasks: tasks.length,
      reviewed: 4,
      dropped: 1,
      reviewers: 2,
    });
    expect(Object.keys(report.review!.effect).sort()).toEqual(['gold+reviewed', 'gold+silver+bronze']);
    expect(report.review!.effect['gold+reviewed']!.baseline).toBe('gold+reviewed before review');
    expect(report.mixes['gold+reviewed']).toBeDefined();
    expect(report.datasets).toMatchObject({ reviewed: 4 });
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('<section id="review"><h2>Human review</h2>');
    expect(html).toContain('id="review-effect"');
    // The history (Updates, the failed import, the wait) holds no sentence, and replays on this code.
    const history = await handle.fetchHistory();
    const text = historyText(history).join('\n');
    expect(text).toContain('importReview');
    for (const t of tasks) expect(text.includes(t.text), t.ref).toBe(false);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, handle.workflowId);
  }, 420_000);

  it('review skip (the CLI) ends the wait: every mix trains on the LLM labels; export re-writes missing files', async () => {
    const { runId, runDir, handle } = await start('wf-review-skip');
    await untilProgress(handle, (p) => p.review?.state === 'waiting', 180_000);
    rmSync(join(runDir, RUN_FILES.reviewConfig));
    const exported = await runCli(['review', 'export', runId, '--json'], cliEnv());
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ exported: true, config: join(runDir, RUN_FILES.reviewConfig) });
    expect(readFileSync(join(runDir, RUN_FILES.reviewConfig), 'utf8')).toContain('<Choices name="labels"');
    expect(exported.stderr).toContain(`clinsynth review import ${runId} FILE`);
    // A bad file is refused by the CLI's own check (exit 2, file:line) before the run is asked.
    const bad = join(runDir, 'bad.json');
    writeFileSync(
      bad,
      '[{"data": {"ref": "silver:nope"}, "annotations": [{"result": [{"from_name": "labels", "type": "choices", "value": {"choices": ["none"]}}]}]}]\n',
    );
    const refused = await runCli(['review', 'import', runId, bad], cliEnv());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${bad}:1: 0.data.ref: unknown task "silver:nope"`);
    expect((await runCli(['review', 'import', runId], cliEnv())).code).toBe(2);
    const skipped = await runCli(['review', 'skip', runId, '--json'], cliEnv());
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(JSON.parse(skipped.stdout)).toMatchObject({ accepted: true, state: { state: 'skipped' } });
    const done = (await handle.result()) as ExperimentResult;
    expect(done.progress.review).toMatchObject({ state: 'skipped', refused: 0 });
    expect(done.progress.stages.review).toMatchObject({ status: 'done', done: 0 });
    expect(existsSync(join(runDir, 'eval', 'before-review'))).toBe(false);
    const report = JSON.parse(readFileSync(done.reportPath, 'utf8')) as Report;
    expect(report.review).toMatchObject({ outcome: 'skipped', reviewed: 0, effect: {} });
    const [{ n }] = (await query(
      `SELECT count(*)::INTEGER AS n FROM read_parquet('${join(runDir, 'datasets', 'reviewed.parquet')}')`,
    )) as [{ n: number }];
    expect(n).toBe(0);
  }, 420_000);
});
