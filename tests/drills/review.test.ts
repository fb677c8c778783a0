// Drill: a demo-like run with human review waits for reviewers; a malformed import is refused (file:line) while it keeps
// waiting; its worker is killed (SIGKILL to the whole process group) and a Label Studio JSON export is imported while no
// worker runs; a restarted worker takes the import and the run completes with reviewed rows and the report section.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { writeTestExperiment } from '../support/experiments.js';
import { runCli, startCli } from '../support/cli.js';
import { untilProgress } from '../support/progress.js';
import { workflowIdFor } from '../../lib/run/run-state.js';
import { withDuckDb } from '../../lib/dataset/merge.js';
import { Clinsynth, RunRefusedError } from '../../client/api.js';
import type { ExperimentResult } from '../../workflows/experiment.js';
import type { Report } from '../../lib/report/report.js';
import { progressQuery } from '../../workflows/contract.js';

let llm: FakeLlmServer;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  llm = await startFakeLlmServer({ seed: 41, latencyMs: 50, verdicts: 'mixed' });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await llm?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The processes of a group that still exist, as `pid state command` lines (pgrep exits 1 when none matches). */
const groupMembers = (pgid: number): string => {
  try {
    const pids = execFileSync('pgrep', ['-g', String(pgid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .join(',');
    return execFileSync('ps', ['-o', 'pid=,stat=,args=', '-p', pids], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

interface LsTask {
  data: { ref: string; text: string; llm_labels: string };
  predictions: unknown[];
}

/**
 * What Label Studio's Export → JSON gives for the imported tasks.json (its own task ids, the task data, the predictions,
 * one annotation per task with result/completed_by/created_at/updated_at/was_cancelled/lead_time), the reviewers'
 * choices set by `decide`.
 */
function labelStudioExport(
  tasks: LsTask[],
  decide: (t: LsTask, i: number) => { choices?: string[]; drop?: boolean },
): unknown[] {
  return tasks.map((t, i) => {
    const d = decide(t, i);
    const result = [
      ...(d.choices
        ? [
            {
              id: `r${i}a`,
              type: 'choices',
              value: { choices: d.choices },
              origin: 'manual',
              to_name: 'text',
              from_name: 'labels',
            },
          ]
        : []),
      ...(d.drop
        ? [
            {
              id: `r${i}b`,
              type: 'choices',
              value: { choices: ['drop'] },
              origin: 'manual',
              to_name: 'text',
              from_name: 'drop',
            },
          ]
        : []),
    ];
    const at = `2025-03-0${1 + (i % 3)}T1${i % 10}:15:42.123456Z`;
    return {
      id: 301 + i,
      annotations: [
        {
          id: 901 + i,
          completed_by: i % 2 ? { id: 2, email: 'rita@example.org', first_name: '', last_name: '' } : 1,
          result,
          was_cancelled: false,
          ground_truth: false,
          created_at: at,
          updated_at: at,
          draft_created_at: null,
          lead_time: 21.4,
          prediction: {},
          result_count: result.length,
          unique_id: `u-${i}`,
          import_id: null,
          last_action: null,
          task: 301 + i,
          project: 5,
          updated_by: 1,
          parent_prediction: null,
          parent_annotation: null,
          last_created_by: null,
        },
      ],
      file_upload: 'tasks.json',
      drafts: [],
      predictions: t.predictions,
      data: t.data,
      meta: {},
      created_at: '2025-02-28T09:00:00.000000Z',
      updated_at: at,
      inner_id: i + 1,
      total_annotations: 1,
      cancelled_annotations: 0,
      total_predictions: 1,
      comment_count: 0,
      unresolved_comment_count: 0,
      last_comment_updated_at: null,
      project: 5,
      updated_by: 1,
      comment_authors: [],
    };
  });
}

describe('review drill', () => {
  it('refuses a malformed import and keeps waiting, survives kill -9 of its worker during an import, and completes with reviewed rows', async () => {
    const name = 'drill-review';
    const env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      CLINSYNTH_HOME: mkdtempSync(join(tmpdir(), `clinsynth-${name}-`)),
    };
    const { file } = writeTestExperiment({
      name,
      llm: { baseURL: llm.url, concurrency: 3, seed: 5 },
      overrides: {
        review: { enabled: true, max: 10 },
        evaluate: { mixes: ['gold', 'gold+silver', 'gold+bronze', 'gold+silver+bronze', 'gold+reviewed'] },
      },
    });
    const started = await runCli(['run', file, '--detach', '--no-worker', '--json'], env);
    expect(started.code, started.stderr).toBe(0);
    const { runId, runDir } = JSON.parse(started.stdout) as { runId: string; runDir: string };
    const handle = client.workflow.getHandle(workflowIdFor(runId));
    const startWorker = () => startCli(['worker', '--llm-concurrency', '3'], env, { detached: true });
    let worker = startWorker();
    try {
      const waiting = await untilProgress(handle, (p) => p.review?.state === 'waiting', 400_000);
      expect(waiting.stage).toBe('review');

      // The export: where the files are, and what Label Studio would import.
      const exported = await runCli(['review', 'export', runId, '--json'], env);
      expect(exported.code, exported.stderr).toBe(0);
      const files = JSON.parse(exported.stdout) as { tasks: string; config: string; csv: string };
      for (const f of [files.tasks, files.config, files.csv]) expect(existsSync(f), f).toBe(true);
      const tasks = JSON.parse(readFileSync(files.tasks, 'utf8')) as LsTask[];
      expect(tasks.length).toBe(waiting.review!.tasks);
      expect(tasks.length).toBeGreaterThanOrEqual(6);

      // A malformed export (a label not in the taxonomy): the CLI's check refuses it at its line…
      const work = mkdtempSync(join(tmpdir(), 'clinsynth-drill-review-'));
      const bad = join(work, 'bad-export.json');
      writeFileSync(
        bad,
        JSON.stringify(
          labelStudioExport(tasks.slice(0, 2), (_, i) => ({ choices: i ? ['forgetfulness'] : ['none'] })),
          null,
          2,
        ),
      );
      const badLine =
        readFileSync(bad, 'utf8')
          .split('\n')
          .findIndex((l) => l.includes('"forgetfulness"')) + 1;
      const local = await runCli(['review', 'import', runId, bad], env);
      expect(local.code).toBe(2);
      expect(local.stderr).toContain(
        `${bad}:${badLine}: 1.annotations.0.result.0.value.choices.0: unknown label "forgetfulness"`,
      );
      // …and so does the run when asked directly: the Update fails with file:line and the run keeps waiting.
      const cs = await Clinsynth.connect({ address: inject('temporalAddress'), startServer: false });
      try {
        const refused = await cs
          .get(runId)
          .importReview(bad, { check: false })
          .catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(RunRefusedError);
        expect((refused as RunRefusedError).reason).toMatch(
          new RegExp(
            `review/imports/\\d{8}T\\d{6}Z-bad-export\\.json:${badLine}: 1\\.annotations\\.0\\.result\\.0\\.value\\.choices\\.0: unknown label "forgetfulness"`,
          ),
        );
      } finally {
        await cs.close();
      }
      const still = await handle.query(progressQuery);
      expect(still.stage).toBe('review');
      expect(still.review).toMatchObject({ state: 'waiting', refused: 1 });

      const acceptedUpdates = async () =>
        ((await handle.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)
          .length;
      const acceptedBeforeKill = await acceptedUpdates();

      // kill -9 the worker's whole process group, and check that nothing of it is left.
      const pgid = worker.child.pid!;
      process.kill(-pgid, 'SIGKILL');
      const killed = await worker.result;
      expect(killed.code).toBeNull();
      for (let i = 0; i < 50 && groupMembers(pgid); i++) await sleep(100);
      expect(groupMembers(pgid)).toBe('');

      // Reviewers' Label Studio export, imported while no worker runs: the CLI waits for the run to take it.
      const decided = tasks.slice(0, 6);
      const good = join(work, 'project-5-at-2025-03-03.json');
      writeFileSync(
        good,
        JSON.stringify(
          labelStudioExport(decided, (t, i) =>
            i === 0
              ? { choices: ['none'] }
              : i === 1
                ? { drop: true }
                : i === 2
                  ? { choices: ['cognitive_impairment', 'requiring_assistance'] }
                  : { choices: t.data.llm_labels.split(', ') },
          ),
          null,
          2,
        ),
      );
      const importing = startCli(['review', 'import', runId, good, '--json'], env);
      // Longer than the SDK's 10 s sticky-queue schedule-to-start timeout, after which any surviving worker on the task
      // queue would take the Update (with 4 s a stray worker went unnoticed).
      await sleep(12_000);
      expect(importing.child.exitCode).toBeNull();
      // With no worker the run cannot take the Update: it is still running, and its history has no new accepted Update.
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect(await acceptedUpdates()).toBe(acceptedBeforeKill);
      worker = startWorker();
      const imported = await importing.result;
      expect(imported.code, imported.stderr).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({
        accepted: true,
        result: { format: 'label-studio', tasks: tasks.length, reviewed: 6, dropped: 1, reviewers: 2 },
      });
      expect(await acceptedUpdates()).toBe(acceptedBeforeKill + 1); // the import, taken by the restarted worker

      const result = (await handle.result()) as ExperimentResult;
      expect(result.progress.stage).toBe('done');
      expect(result.progress.review).toMatchObject({ state: 'imported', refused: 1 });
      const reviewed = await withDuckDb(':memory:', async (c) =>
        (
          await c.runAndReadAll(
            `SELECT id, origin, labels, usable, reviewer FROM read_parquet('${join(runDir, 'datasets', 'reviewed.parquet')}')`,
          )
        ).getRowObjectsJson(),
      );
      expect(reviewed).toHaveLength(6);
      expect(new Set(reviewed.map((r) => r.reviewer))).toEqual(new Set(['label-studio user 1', 'rita@example.org']));
      const report = JSON.parse(readFileSync(result.reportPath, 'utf8')) as Report;
      expect(report.review).toMatchObject({ outcome: 'imported', reviewed: 6, dropped: 1 });
      expect(Object.keys(report.review!.effect)).toContain('gold+reviewed');
      expect(report.mixes['gold+reviewed']).toBeDefined();
      expect(readFileSync(join(runDir, 'report.html'), 'utf8')).toContain('<section id="review"><h2>Human review</h2>');
    } finally {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill('SIGTERM');
        await worker.result;
      }
    }
  });
});
