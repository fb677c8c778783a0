// Drill: the review round trip against a real Label Studio from PyPI (.tools/label-studio, scripts/label-studio-setup.sh):
// a project with clinsynth's label config, its tasks imported, two reviewers' annotations through Label Studio's API (one
// task annotated by both, differently), Label Studio's own JSON export imported by `clinsynth review import`; every
// annotated task becomes a reviewed row that trains where its mix says.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { writeTestExperiment } from '../support/experiments.js';
import { runCli, startCli } from '../support/cli.js';
import { progressQuery } from '../../workflows/contract.js';
import { freePort } from '../support/net.js';
import { workflowIdFor } from '../../lib/run/run-state.js';
import { trainingRows, withDuckDb } from '../../lib/dataset/merge.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';
import { readJsonl, RUN_FILES } from '../../lib/run/run-dir.js';
import type { ReviewedRow } from '../../lib/run/records.js';
import type { ExperimentResult } from '../../workflows/experiment.js';

const LABEL_STUDIO = join(PROJECT_ROOT, '.tools', 'label-studio', 'bin', 'label-studio');
const ADMIN = {
  email: 'admin@example.org',
  password: 'Drill-admin-pw1',
  token: 'c1a5d0e0d7f14a7e9b3f2a6c5e4d3b2a1f0e9d8c',
};
const SECOND = { email: 'rita@example.org', password: 'Drill-rita-pw1' };

let llm: FakeLlmServer;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  llm = await startFakeLlmServer({ seed: 43, latencyMs: 50, verdicts: 'mixed' });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await llm?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The pids of a process group still alive ('' when none; pgrep exits 1). */
const groupMembers = (pgid: number): string => {
  try {
    return execFileSync('pgrep', ['-g', String(pgid)], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

/**
 * Polls the run's progress until the review waits. A query that times out (a worker busy while Label Studio migrates
 * its database on the same cores) is asked again; the run failing ends the wait.
 */
async function untilReviewWaits(handle: ReturnType<Client['workflow']['getHandle']>): Promise<void> {
  for (;;) {
    const p = await handle.query(progressQuery).catch((e: unknown) => {
      if (String((e as Error)?.cause ?? e).includes('DEADLINE_EXCEEDED')) return undefined;
      throw e;
    });
    if (p?.review?.state === 'waiting') return;
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') throw new Error(`the run ended (${status.name}) before its review`);
    await sleep(2000);
  }
}

/** Label Studio started in its own process group, with its data and HOME in a temp folder. */
function startLabelStudio(port: number, dir: string): { child: ChildProcess; log: () => string } {
  const logFile = join(dir, 'label-studio.log');
  const out = { text: '' };
  const child = spawn(
    LABEL_STUDIO,
    [
      'start',
      '--no-browser',
      '--port',
      String(port),
      '--data-dir',
      join(dir, 'data'),
      '--username',
      ADMIN.email,
      '--password',
      ADMIN.password,
      '--user-token',
      ADMIN.token,
      '--enable-legacy-api-token',
    ],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: dir, LABEL_STUDIO_BASE_DATA_DIR: join(dir, 'data') },
    },
  );
  const keep = (b: Buffer) => {
    out.text = (out.text + b.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, log: () => (writeFileSync(logFile, out.text), out.text) };
}

/** Waits for GET /health to answer UP, or fails when Label Studio exits first. */
async function untilHealthy(base: string, ls: { child: ChildProcess; log: () => string }): Promise<void> {
  for (;;) {
    if (ls.child.exitCode !== null || ls.child.signalCode !== null)
      throw new Error(`Label Studio exited (${ls.child.exitCode ?? ls.child.signalCode}):\n${ls.log()}`);
    const up = await fetch(`${base}/health`)
      .then(async (r) => (r.ok ? ((await r.json()) as { status?: string }).status === 'UP' : false))
      .catch(() => false);
    if (up) return;
    await sleep(2000);
  }
}

/** A JSON call to Label Studio's REST API with a user's token; fails with the answer on anything but 2xx. */
async function api<T>(base: string, token: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Token ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${body === undefined ? 'GET' : 'POST'} ${path}: ${r.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** Cookies of a response as one Cookie header value (name=value pairs). */
const cookiesOf = (r: Response, jar: Map<string, string>) => {
  for (const c of r.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair!.indexOf('=');
    jar.set(pair!.slice(0, i), pair!.slice(i + 1));
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
};

/** A second reviewer: signs up through Label Studio's own form (joining its organisation) and reads their API token. */
async function signUp(base: string, who: { email: string; password: string }): Promise<string> {
  const jar = new Map<string, string>();
  const page = await fetch(`${base}/user/signup/`);
  let cookie = cookiesOf(page, jar);
  const form = new URLSearchParams({
    csrfmiddlewaretoken: jar.get('csrftoken') ?? '',
    email: who.email,
    password: who.password,
  });
  const posted = await fetch(`${base}/user/signup/`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: cookie, Referer: `${base}/user/signup/`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  expect(posted.status, await posted.text()).toBe(302);
  cookie = cookiesOf(posted, jar);
  const r = await fetch(`${base}/api/current-user/token`, { headers: { Cookie: cookie } });
  expect(r.status).toBe(200);
  return ((await r.json()) as { token: string }).token;
}

interface LsTask {
  id: number;
  data: { ref: string; llm_labels: string; score: number };
}
const choices = (from: 'labels' | 'drop', values: string[]) => ({
  from_name: from,
  to_name: 'text',
  type: 'choices',
  value: { choices: values },
});

describe('Label Studio drill', () => {
  it('round-trips a review through a real Label Studio: every annotated task becomes a reviewed row that trains', async () => {
    const work = mkdtempSync(join(tmpdir(), 'clinsynth-drill-ls-'));
    mkdirSync(join(work, 'data'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // Started first: its first start (database migrations) takes minutes on a busy machine.
    const ls = startLabelStudio(port, work);
    const lsGroup = ls.child.pid!;
    const name = 'drill-label-studio';
    const env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      CLINSYNTH_HOME: mkdtempSync(join(tmpdir(), `clinsynth-${name}-`)),
    };
    const { file } = writeTestExperiment({
      name,
      llm: { baseURL: llm.url, concurrency: 3, seed: 7 },
      overrides: {
        review: { enabled: true, max: 12 },
        evaluate: { mixes: ['gold', 'gold+silver', 'gold+reviewed'] },
      },
    });
    const started = await runCli(['run', file, '--detach', '--no-worker', '--json'], env);
    expect(started.code, started.stderr).toBe(0);
    const { runId, runDir } = JSON.parse(started.stdout) as { runId: string; runDir: string };
    const handle = client.workflow.getHandle(workflowIdFor(runId));
    const worker = startCli(['worker', '--llm-concurrency', '3'], env, { detached: true });
    try {
      await untilReviewWaits(handle);
      const exported = await runCli(['review', 'export', runId, '--json'], env);
      expect(exported.code, exported.stderr).toBe(0);
      const files = JSON.parse(exported.stdout) as { tasks: string; config: string };
      const taskFile = JSON.parse(readFileSync(files.tasks, 'utf8')) as { predictions: { score: number }[] }[];
      expect(taskFile.length).toBeGreaterThanOrEqual(4);
      for (const t of taskFile) expect(t.predictions[0]!.score).toBeGreaterThanOrEqual(0);

      await untilHealthy(base, ls);
      // A project with clinsynth's interface (Label Studio validates it), the tasks imported as they are.
      const config = readFileSync(files.config, 'utf8');
      const project = await api<{ id: number; label_config: string }>(base, ADMIN.token, '/api/projects', {
        title: `clinsynth ${runId}`,
        label_config: config,
      });
      expect(project.label_config).toContain('<Header value="Label guide"');
      const imported = await api<{ task_count: number; prediction_count: number }>(
        base,
        ADMIN.token,
        `/api/projects/${project.id}/import`,
        taskFile,
      );
      expect(imported).toMatchObject({ task_count: taskFile.length, prediction_count: taskFile.length });
      const listed = await api<{ tasks: LsTask[] }>(
        base,
        ADMIN.token,
        `/api/tasks?project=${project.id}&page_size=100`,
      );
      const tasks = listed.tasks.sort((a, b) => a.id - b.id);
      expect(tasks).toHaveLength(taskFile.length);

      // Reviewers' decisions through the API: the admin annotates every task but the last (left open); the first is
      // none, the second dropped, the rest accept the LLM's labels; a second reviewer annotates the third differently.
      const rita = await signUp(base, SECOND);
      const annotated = tasks.slice(0, -1);
      for (const [i, t] of annotated.entries()) {
        const result =
          i === 0
            ? [choices('labels', ['none'])]
            : i === 1
              ? [choices('drop', ['drop'])]
              : [choices('labels', t.data.llm_labels.split(', '))];
        await api(base, ADMIN.token, `/api/tasks/${t.id}/annotations`, { result });
      }
      const contested = annotated[2]!;
      const ritaLabels = contested.data.llm_labels === 'none' ? ['cognitive_impairment'] : ['none'];
      await api(base, rita, `/api/tasks/${contested.id}/annotations`, { result: [choices('labels', ritaLabels)] });

      // Label Studio's own JSON export, imported by the CLI.
      const r = await fetch(`${base}/api/projects/${project.id}/export?exportType=JSON`, {
        headers: { Authorization: `Token ${ADMIN.token}` },
      });
      expect(r.status).toBe(200);
      const exportFile = join(work, `project-${project.id}-export.json`);
      writeFileSync(exportFile, await r.text());
      const done = await runCli(['review', 'import', runId, exportFile, '--json'], env);
      expect(done.code, done.stderr).toBe(0);
      expect(JSON.parse(done.stdout)).toMatchObject({
        accepted: true,
        result: {
          format: 'label-studio',
          tasks: taskFile.length,
          reviewed: annotated.length,
          dropped: 1,
          reviewers: 2,
          disagreements: 1,
        },
      });
      const rows = readJsonl<ReviewedRow>(join(runDir, RUN_FILES.reviewed));
      const disputed = rows.find((x) => x.ref === contested.data.ref)!;
      expect(disputed.disagreement).toBe(true);
      expect(disputed.reviews!.map((x) => x.labels.join(',') || 'none').sort()).toEqual(
        [ritaLabels.join(','), contested.data.llm_labels.split(', ').join(',')].sort(),
      );

      const result = (await handle.result()) as ExperimentResult;
      expect(result.progress.stage).toBe('done');
      // Every annotated task is a reviewed row; none is flagged by the safety checks (selection left those out), so
      // each trains in gold+reviewed unless dropped.
      const db = join(runDir, RUN_FILES.datasets, 'clinsynth.duckdb');
      const reviewed = (await withDuckDb(db, async (c) =>
        (
          await c.runAndReadAll(
            `SELECT origin || ':' || id AS ref, usable, len(phi_kinds) = 0 AND leak_of IS NULL AND near_duplicate_of IS NULL AS clean FROM reviewed ORDER BY ref`,
          )
        ).getRowObjectsJson(),
      )) as { ref: string; usable: boolean; clean: boolean }[];
      expect(reviewed.map((x) => x.ref).sort()).toEqual(annotated.map((t) => t.data.ref).sort());
      expect(reviewed.every((x) => x.clean)).toBe(true);
      const dropped = annotated[1]!.data.ref;
      for (const x of reviewed) expect(x.usable, x.ref).toBe(x.ref !== dropped);
      const trained = new Set(
        (await trainingRows(runDir, ['gold', 'reviewed'], 'after'))
          .filter((t) => t.source === 'reviewed')
          .map((t) => t.id),
      );
      for (const x of reviewed) expect(trained.has(x.ref.split(':')[1]!), x.ref).toBe(x.ref !== dropped);
    } finally {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill('SIGTERM');
        await worker.result;
      }
      // Label Studio's whole process group goes, and nothing of it is left.
      try {
        process.kill(-lsGroup, 'SIGTERM');
      } catch {
        // already gone
      }
      for (let i = 0; i < 100 && groupMembers(lsGroup); i++) await sleep(100);
      if (groupMembers(lsGroup)) process.kill(-lsGroup, 'SIGKILL');
      for (let i = 0; i < 50 && groupMembers(lsGroup); i++) await sleep(100);
      expect(groupMembers(lsGroup)).toBe('');
      ls.log();
    }
  });
});
