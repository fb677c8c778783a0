// The handle to one experiment run: its status and progress, its outcome and report, cancelling, steering (pause,
// resume, budget, stop the LLM stages) and its human review, each through the workflow contract.
import { basename, dirname, join, resolve } from 'node:path';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { type Client, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { readJson } from '../lib/run/run-dir.js';
import { workflowIdFor, type RunProgress } from '../lib/run/run-state.js';
import type { Report } from '../lib/report/report.js';
import {
  REVIEW_IMPORTS_DIR,
  type ImportReviewArg,
  type ReviewImportResult,
  type ReviewProgress,
} from '../lib/run/review.js';
import type { SteeringState } from '../lib/run/steering.js';
import { checkReviewImport } from '../lib/review/import.js';
import { reviewExported, reviewFiles, writeReviewFiles } from '../lib/review/export.js';
import type { WaitOptions } from './wait-for-run.js';
import { outcomeOf } from './outcome.js';
import { sendUpdate, UnprocessedUpdateError, type ResendOptions } from './send-update.js';
import type { experimentWorkflow, ExperimentResult } from '../workflows/experiment.js';
import {
  budgetUpdate,
  cancelLlmUpdate,
  importReviewUpdate,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  skipReviewUpdate,
  stageKey,
} from '../workflows/contract.js';

/** What a run or study handle needs of the connection (a `Clinsynth` is one). */
export interface RunHost {
  readonly client: Client;
  /** The Temporal UI page of a workflow. */
  workflowUrl(workflowId: string): string;
}

/** What `clinsynth status --json` prints. */
export interface RunStatus {
  runId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, … */
  status: string;
  stage: string | null;
  progress: RunProgress | Record<string, never>;
  runDir: string | undefined;
}

/** The run refused an Update (a steering or review request): `reason` says why; the run goes on as before. */
export class RunRefusedError extends Error {
  constructor(
    readonly runId: string,
    readonly reason: string,
  ) {
    super(`run ${runId} refused: ${reason}`);
    this.name = 'RunRefusedError';
  }
}

/** The files of a run's human review (absolute paths) and whether they are all there. */
export interface ReviewFiles {
  tasks: string;
  config: string;
  csv: string;
  selection: string;
  imports: string;
  exported: boolean;
}

/** One experiment run. */
export class ExperimentRun {
  readonly workflowId: string;
  readonly uiUrl: string;
  /** How an Update that no worker processed is sent again (steering and review); `onResend` hears of each resend. */
  resend: ResendOptions = {};

  constructor(
    private readonly cs: RunHost,
    readonly runId: string,
    /** Known at start; for a handle from `get`, filled by progress() or result(). */
    public runDir: string | undefined,
    /** True when start() found this run already running and attached to it. */
    readonly attached: boolean,
  ) {
    this.workflowId = workflowIdFor(runId);
    this.uiUrl = cs.workflowUrl(this.workflowId);
  }

  get handle(): WorkflowHandle<typeof experimentWorkflow> {
    return this.cs.client.workflow.getHandle<typeof experimentWorkflow>(this.workflowId);
  }

  /** Status, stage and progress: the object `clinsynth status --json` prints. Throws WorkflowNotFoundError for an unknown id. */
  async progress(): Promise<RunStatus> {
    const handle = this.handle;
    const d = await handle.describe();
    const status = d.status.name;
    let progress: RunProgress | undefined;
    if (status === 'COMPLETED') progress = ((await handle.result()) as ExperimentResult).progress;
    else if (status === 'RUNNING')
      progress =
        (await Promise.race([
          handle.query(progressQuery).catch(() => undefined),
          new Promise<undefined>((r) => setTimeout(r, 5000, undefined)),
        ])) ?? undefined;
    const runDir = (d.memo?.runDir as string | undefined) ?? progress?.runDir ?? this.runDir;
    this.runDir ??= runDir;
    const stage = progress?.stage ?? (d.typedSearchAttributes.get(stageKey) as string | undefined) ?? null;
    return { runId: this.runId, status, stage, progress: progress ?? {}, runDir };
  }

  /** The workflow's own result (paths and final progress), waiting through lost contact; RunFailedError when it did not complete. */
  async outcome(opts: WaitOptions = {}): Promise<ExperimentResult> {
    const r = await outcomeOf(this.handle, this.runId, opts);
    this.runDir ??= r.runDir;
    return r;
  }

  /** The parsed report.json once the run has COMPLETED (waits for it); throws RunFailedError when it failed. */
  async result(opts: WaitOptions = {}): Promise<Report> {
    const r = await this.outcome(opts);
    return readJson<Report>(r.reportPath);
  }

  /** Asks the run to stop (its workflow ends CANCELLED; work in flight finishes or is abandoned). */
  async cancel(): Promise<void> {
    await this.handle.cancel();
  }

  private async knownRunDir(): Promise<string> {
    const dir = this.runDir ?? (await this.progress()).runDir;
    if (!dir) throw new Error(`run ${this.runId}: its run directory is not recorded on the server`);
    return dir;
  }

  /**
   * Where the run's review files are. With `rewrite`, or when one is missing, tasks.json, label-config.xml and
   * tasks.csv are written again from the run's selection (the rows themselves are chosen once, by the run).
   */
  async exportReview(opts: { rewrite?: boolean } = {}): Promise<ReviewFiles> {
    const runDir = await this.knownRunDir();
    const files = reviewFiles(runDir);
    if (!existsSync(files.selection)) return { ...files, exported: false };
    if (opts.rewrite || !reviewExported(runDir)) writeReviewFiles(runDir);
    return { ...files, exported: true };
  }

  /**
   * Imports reviewers' decisions: a Label Studio JSON export or the filled tasks.csv. The file is checked here first
   * (InputError with `file:line: key: why`), copied into `<run>/review/imports/` when it is elsewhere (every worker
   * reads it there), then sent as a reference with the `importReview` Update; the run checks it again and ingests it,
   * or refuses it (RunRefusedError) and keeps waiting. `check: false` leaves the first check to the run.
   */
  async importReview(file: string, opts: { check?: boolean } = {}): Promise<ReviewImportResult> {
    const runDir = await this.knownRunDir();
    const source = resolve(file);
    if (opts.check !== false) checkReviewImport(runDir, source);
    const imports = join(resolve(runDir), REVIEW_IMPORTS_DIR);
    const name = basename(source);
    let target = source;
    if (dirname(source) !== imports || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(name)) {
      const safe =
        name
          .replace(/[^A-Za-z0-9._-]/g, '_')
          .replace(/^[^A-Za-z0-9]+/, '')
          .slice(0, 150) || 'review';
      target = join(imports, `${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '')}-${safe}`);
      mkdirSync(imports, { recursive: true });
      copyFileSync(source, target);
    }
    const arg: ImportReviewArg = { file: `${REVIEW_IMPORTS_DIR}/${basename(target)}` };
    return this.refusable(() => this.handle.executeUpdate(importReviewUpdate, { args: [arg] }));
  }

  /** Ends the review wait without decisions: every mix trains on the LLM's labels. */
  async skipReview(): Promise<ReviewProgress> {
    return this.refusable(() => this.handle.executeUpdate(skipReviewUpdate));
  }

  /** Holds new LLM pages (calls in flight finish); answers the steering state. RunRefusedError when it cannot apply. */
  async pause(): Promise<SteeringState> {
    return this.refusable(() => this.handle.executeUpdate(pauseUpdate));
  }

  /** Lets a paused run start LLM pages again. */
  async resume(): Promise<SteeringState> {
    return this.refusable(() => this.handle.executeUpdate(resumeUpdate));
  }

  /** Sets llm.budgetUsd while the run goes (US dollars, positive). */
  async setBudget(usd: number): Promise<SteeringState> {
    return this.refusable(() => this.handle.executeUpdate(budgetUpdate, { args: [usd] }));
  }

  /** Stops the LLM stages where they are; the run goes on to train and report on what it has (a partial report). */
  async cancelLlm(): Promise<SteeringState> {
    return this.refusable(() => this.handle.executeUpdate(cancelLlmUpdate));
  }

  /** An Update the run may refuse: its validator's or handler's reason, or no worker taking it, becomes a RunRefusedError. */
  private async refusable<R>(send: () => Promise<R>): Promise<R> {
    try {
      return await sendUpdate(send, this.resend);
    } catch (e) {
      if (e instanceof WorkflowUpdateFailedError)
        throw new RunRefusedError(this.runId, (e.cause as Error | undefined)?.message ?? e.message);
      if (e instanceof UnprocessedUpdateError) throw new RunRefusedError(this.runId, e.message);
      throw e;
    }
  }
}
