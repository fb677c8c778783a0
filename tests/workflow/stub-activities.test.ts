// The experiment workflow's own logic with stub activities (no LLM endpoint, no files): the page window, the budget
// stop, pause/resume by the steering Update, continue-as-new when the history is full, and lost pages past
// llm.maxFailedShare. The time-skipping test server is a download (not possible offline), so this runs on a local dev
// server started from the installed temporal CLI (TestWorkflowEnvironment.createLocal); nothing here waits on a timer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../worker.js';
import { TEMPORAL_BIN } from '../../lib/config/paths.js';
import type { Experiment } from '../../lib/config/experiment.js';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import {
  emptyUsage,
  pagesFillingSlots,
  pagesScheduled,
  workflowIdFor,
  type PageResult,
  type RunProgress,
} from '../../lib/run/run-state.js';
import type { LostPage } from '../../lib/run/lost-pages.js';
import type { CpuActivities } from '../../activities/run.js';
import type { LlmActivities } from '../../activities/llm.js';
import {
  experimentKey,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  stageKey,
  studyKey,
  TASK_QUEUES,
} from '../../workflows/contract.js';
import type { ExperimentInput, ExperimentResult } from '../../workflows/experiment.js';
import { writeTestExperiment } from '../support/experiments.js';

/** What one run's stub activities do: its silver pages, and how each page answers. */
interface Scenario {
  silverPages: number;
  page: (n: number) => Promise<PageResult>;
  started: number[];
  inFlight: number;
  maxInFlight: number;
  lost: LostPage[];
}

const scenarios = new Map<string, Scenario>();
const scenario = (runDir: string): Scenario => {
  const s = scenarios.get(runDir);
  if (!s) throw new Error(`no scenario for ${runDir}`);
  return s;
};
const noCounts = async () => ({ counts: {} });

const cpuStubs: Partial<CpuActivities> = {
  startRun: noCounts,
  selectSilverCandidates: async ({ runDir }) => ({ pages: scenario(runDir).silverPages, probePages: 0, counts: {} }),
  recordLostPages: async ({ runDir, lost }) => {
    scenario(runDir).lost.push(...lost);
    return lost.length;
  },
  mergeDatasets: noCounts,
  embedDatasets: async () => ({ sentences: 0 }),
  trainAndPredict: async () => ({ n: 0, folds: 1 }),
  trainFinalModel: async () => ({ path: 'model', n: 0 }),
  compareMixes: async () => ({ comparisons: 0, seconds: 0 }),
  writeReport: async ({ runDir }) => ({ reportPath: join(runDir, 'report.json') }),
};

const llmStubs: Partial<LlmActivities> = {
  labelSilverPage: async ({ runDir, page }) => {
    const s = scenario(runDir);
    s.started.push(page);
    s.inFlight++;
    s.maxInFlight = Math.max(s.maxInFlight, s.inFlight);
    try {
      return await s.page(page);
    } finally {
      s.inFlight--;
    }
  },
};

let env: TestWorkflowEnvironment;
let workers: Worker[];
let running: Promise<void>;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: TEMPORAL_BIN },
      searchAttributes: [experimentKey, stageKey, studyKey],
    },
  });
  const connection = env.nativeConnection;
  workers = [
    await Worker.create({
      connection,
      taskQueue: TASK_QUEUES.main,
      workflowBundle: await workflowBundle(),
      activities: cpuStubs,
    }),
    await Worker.create({
      connection,
      taskQueue: TASK_QUEUES.llm,
      activities: llmStubs,
      maxConcurrentActivityTaskExecutions: 64,
    }),
  ];
  running = Promise.all(workers.map((w) => w.run())).then(() => undefined);
});

afterAll(async () => {
  for (const w of workers ?? []) if (w.getState() === 'RUNNING') w.shutdown();
  await running;
  await env?.teardown();
});

const usage = (promptTokens = 0) => ({ ...emptyUsage(), calls: 1, promptTokens });
/** A page that answers once `open` says so (checked whenever a page starts or ends, and every few ms). */
const gated = (open: () => boolean, promptTokens = 0) => {
  return () =>
    new Promise<PageResult>((resolve) => {
      const check = () => (open() ? resolve({ rows: 1, usage: usage(promptTokens) }) : setTimeout(check, 5));
      check();
    });
};

let runs = 0;
/** An experiment with silver only (no bronze, self-check or review) and its stubbed run. */
function start(
  name: string,
  s: Omit<Scenario, 'started' | 'inFlight' | 'maxInFlight' | 'lost'>,
  llmOverrides: Record<string, unknown> = {},
  input: Partial<ExperimentInput> = {},
): { handle: Promise<WorkflowHandle>; s: Scenario; experiment: Experiment } {
  const { file } = writeTestExperiment({
    name,
    llm: { baseURL: 'http://127.0.0.1:9/v1', model: 'gpt-4o-mini', concurrency: 4, ...llmOverrides },
    overrides: {
      bronze: { enabled: false },
      selfCheck: { enabled: false },
      train: { seeds: [1] },
      evaluate: { mixes: ['gold', 'gold+silver'] },
    },
  });
  const experiment = loadExperiment(file);
  const runId = `${name}-${++runs}`;
  const runDir = join(experiment.output, runId);
  const full: Scenario = { ...s, started: [], inFlight: 0, maxInFlight: 0, lost: [] };
  scenarios.set(runDir, full);
  const args: ExperimentInput = { experiment, runId, runDir, ...input };
  const handle = env.client.workflow.start('experimentWorkflow', {
    workflowId: workflowIdFor(runId),
    taskQueue: TASK_QUEUES.main,
    args: [args],
  });
  return { handle, s: full, experiment };
}

async function until(handle: WorkflowHandle, ok: (p: RunProgress) => boolean): Promise<RunProgress> {
  for (;;) {
    const p = await handle.query(progressQuery);
    if (ok(p)) return p;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const result = async (handle: WorkflowHandle) => (await handle.result()) as ExperimentResult;

describe('experiment workflow with stub activities', () => {
  it('keeps no more pages in flight than the window, and fills it', async () => {
    const window = pagesScheduled(4);
    // Each page waits until the window is full (or no page is left to start), so the window is reached if allowed.
    const r = start('stub-window', {
      silverPages: 3 * window + 1,
      page: gated(() => r.s.inFlight >= window || r.s.started.length === r.s.silverPages),
    });
    const s = r.s;
    const { progress } = await result(await r.handle);
    expect(s.maxInFlight).toBe(window);
    expect([...s.started].sort((a, b) => a - b)).toEqual(Array.from({ length: s.silverPages }, (_, i) => i));
    expect(progress.stages.silver).toMatchObject({ status: 'done', done: s.silverPages, total: s.silverPages });
    expect(progress.counts.silverRows).toBe(s.silverPages);
  });

  it('stops starting pages once llm.budgetUsd is spent: the rest are counted as skipped', async () => {
    // gpt-4o-mini: $0.15 per million prompt tokens; a page of 1M prompt tokens costs $0.15, so $0.40 lasts 3 pages.
    const window = pagesFillingSlots(4);
    const r = start(
      'stub-budget',
      { silverPages: 20, page: async () => ({ rows: 1, usage: usage(1_000_000) }) },
      {
        budgetUsd: 0.4,
      },
    );
    const { progress } = await result(await r.handle);
    expect(progress.budgetExhausted).toBe(true);
    expect(progress.costUsd).toBeGreaterThanOrEqual(0.4);
    // Pages already started when the budget was reached still end; none starts after.
    expect(r.s.started.length).toBeGreaterThanOrEqual(3);
    expect(r.s.started.length).toBeLessThanOrEqual(2 + window);
    expect(progress.counts.silverPagesSkippedForBudget).toBe(20 - r.s.started.length);
    expect(progress.stages.silver.status).toBe('done');
    expect(progress.stage).toBe('done');
  });

  it('pause holds new pages until resume (steering Updates); the run then ends with every page', async () => {
    let release = false;
    const r = start('stub-pause', { silverPages: 12, page: gated(() => release) });
    const handle = await r.handle;
    await until(handle, (p) => p.stage === 'silver' && p.nextPage >= 2);
    expect(await handle.executeUpdate(pauseUpdate)).toMatchObject({ paused: true, cancelled: false });
    release = true;
    // Every started page has ended and the workflow, having seen them end, started nothing new.
    const held = await until(handle, (p) => p.stages.silver.done === p.nextPage);
    expect(held.paused).toBe(true);
    expect(held.nextPage).toBeLessThan(12);
    expect(r.s.started.length).toBe(held.nextPage);
    const again = await handle.query(progressQuery);
    expect(again.nextPage).toBe(held.nextPage);
    expect(await handle.executeUpdate(resumeUpdate)).toMatchObject({ paused: false });
    const { progress } = await result(handle);
    expect(progress.paused).toBe(false);
    expect(progress.stages.silver).toMatchObject({ status: 'done', done: 12 });
    expect(r.s.started).toHaveLength(12);
  });

  it('continues as new when the history is full and resumes the stage where it stopped, each page once', async () => {
    const r = start(
      'stub-continue',
      { silverPages: 16, page: async () => ({ rows: 1, usage: usage() }) },
      {},
      { historyLimit: 40 },
    );
    const { progress } = await result(await r.handle);
    expect(progress.continuedAsNew).toBeGreaterThanOrEqual(2);
    expect([...r.s.started].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(progress.stages.silver).toMatchObject({ status: 'done', done: 16 });
    expect(progress.counts.silverRows).toBe(16);
  });

  const outage = (n: number) =>
    ApplicationFailure.create({
      message: `endpoint down (page ${n})`,
      type: 'LlmOutage',
      nonRetryable: true,
      details: [{ attempts: 7 }],
    });

  it('records lost pages and goes on while they stay within llm.maxFailedShare', async () => {
    const r = start(
      'stub-outage-ok',
      {
        silverPages: 10,
        page: async (n) => {
          if (n === 3) throw outage(n);
          return { rows: 1, usage: usage() };
        },
      },
      { maxFailedShare: 0.2 },
    );
    const { progress } = await result(await r.handle);
    expect(progress.stage).toBe('done');
    expect(progress.stages.silver.failedPages).toBe(1);
    expect(r.s.lost).toMatchObject([{ stage: 'silver', set: 'silver', page: 3, attempts: 7 }]);
    expect(progress.lostPages).toHaveLength(1);
  });

  it('fails the run when more than llm.maxFailedShare of a stage’s pages are lost', async () => {
    const r = start(
      'stub-outage-fail',
      {
        silverPages: 10,
        page: async (n) => {
          if (n % 3 === 0) throw outage(n);
          return { rows: 1, usage: usage() };
        },
      },
      { maxFailedShare: 0.2 },
    );
    const handle = await r.handle;
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('PagesLost');
    expect(r.s.lost.map((l) => l.page).sort()).toEqual([0, 3, 6, 9]);
    expect(r.s.started).toHaveLength(10);
  });
});
