// `clinsynth/client`: the typed client API. Start experiments and studies, follow them, read their results, list
// runs. The CLI's run/status/report/study commands are built on it.
import { basename, dirname, join, resolve } from 'node:path';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { z } from 'zod';
import { dataConverterFromEnv } from '../lib/run/codec.js';
import {
  Client,
  type Connection,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { InputError } from '../lib/run/problems.js';
import { loadExperiment, type Experiment, type ExperimentOverrides } from '../lib/run/experiment.js';
import { loadStudy, studyWorkflowId, type Study } from '../lib/run/study.js';
import { preflight } from '../lib/corpus/preflight.js';
import { checkPrompts } from '../lib/generate/stage-prompts.js';
import { checkExamples } from '../lib/generate/examples.js';
import { loadTaxonomy } from '../lib/run/taxonomy.js';
import { sensitiveEndpointRefusal } from '../lib/run/privacy.js';
import { readJson } from '../lib/run/run-dir.js';
import { WORKFLOW_ID_PREFIX, workflowIdFor, type RunProgress } from '../lib/run/run-state.js';
import { experimentDetails, experimentSummary, studyDetails, studySummary } from '../lib/run/summaries.js';
import type { Report } from '../lib/report/report.js';
import type { StudyReport } from '../lib/report/study.js';
import {
  REVIEW_IMPORTS_DIR,
  type ImportReviewArg,
  type ReviewImportResult,
  type ReviewProgress,
} from '../lib/run/review.js';
import type { SteeringState } from '../lib/run/steering.js';
import { checkReviewImport } from '../lib/review/import.js';
import { reviewExported, reviewFiles, writeReviewFiles } from '../lib/review/export.js';
import { DEFAULT_PORT, ensureTemporal } from './temporal-server.js';
import { connectClient, resolveSettings, uiBaseFor } from './connection.js';
import { waitForRunResult, type WaitOptions } from './wait-for-run.js';
import type { experimentWorkflow, ExperimentResult } from '../workflows/experiment.js';
import type { studyWorkflow, StudyResult } from '../workflows/study.js';
import {
  budgetUpdate,
  cancelLlmUpdate,
  experimentKey,
  importReviewUpdate,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  SEARCH_ATTRIBUTES,
  skipReviewUpdate,
  stageKey,
  studyKey,
  studyProgressQuery,
  TASK_QUEUES,
  WORKFLOW_TYPES,
  type StudyProgress,
} from '../workflows/contract.js';

export type { Experiment, ExperimentOverrides } from '../lib/run/experiment.js';
export type { Study, StudyVariant } from '../lib/run/study.js';
export type { RunProgress, StageName } from '../lib/run/run-state.js';
export type { Report } from '../lib/report/report.js';
export type { StudyReport, StudyVariantRow } from '../lib/report/study.js';
export type { ExperimentResult } from '../workflows/experiment.js';
export type { StudyProgress } from '../workflows/contract.js';
export type { SteeringState } from '../lib/run/steering.js';
export type { ReviewImportResult, ReviewProgress } from '../lib/run/review.js';
export { InputError } from '../lib/run/problems.js';
export { TemporalConnectionError, TemporalConfigError, type ConnectionCause } from './connection.js';
export { SearchAttributesMissingError } from './search-attributes.js';

export interface ConnectOptions {
  /** A temporal.toml profile (default TEMPORAL_PROFILE, else `default`; file TEMPORAL_CONFIG_FILE or the default path). */
  profile?: string;
  /** host:port of the Temporal frontend; default TEMPORAL_ADDRESS, else the profile's, else the embedded dev server. */
  address?: string;
  /** Default TEMPORAL_NAMESPACE, else the profile's, else `default`. */
  namespace?: string;
  /** Without an address: start the embedded dev server when none answers (default true). */
  startServer?: boolean;
  /** Run workers in this process too (the CLI's `run` does; scripts without a `clinsynth worker` elsewhere need it). */
  worker?: boolean | { llmConcurrency?: number; queues?: ('main' | 'llm')[] };
  /** Web UI base for links; default CLINSYNTH_UI_URL, else guessed from the address. */
  uiBase?: string;
  /** Told what happens (e.g. "starting the embedded Temporal dev server"). */
  log?: (line: string) => void;
}

export interface StartOptions {
  /** The whole run id (default: the experiment's name). The workflow id is `clinsynth-<runId>`. */
  runId?: string;
  /** `<name>-<suffix>` as the run id (what `clinsynth run --run-id` gives). */
  runIdSuffix?: string;
  /** Experiment-file values by key path (`bronze.perLabel`), checked like the file (`overrides.<key>` problems). */
  overrides?: ExperimentOverrides;
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

export interface RunListing {
  runId: string;
  workflowId: string;
  status: string;
  stage: string | null;
  experiment: string | null;
  study: string | null;
  runDir: string | undefined;
  startTime: Date;
  closeTime: Date | undefined;
}

export interface ListFilter {
  /** Only runs of this experiment name. */
  experiment?: string;
  /** Only the runs of this study. */
  study?: string;
  /** Only runs with this Temporal status (RUNNING, COMPLETED, FAILED, …). */
  status?: string;
}

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, . _ - only');
const listFilterSchema = z.strictObject({
  experiment: name.optional(),
  study: name.optional(),
  status: z
    .string()
    .regex(/^[A-Za-z_]+$/)
    .optional(),
});
const startOptionsSchema = z.strictObject({
  runId: name.optional(),
  runIdSuffix: name.optional(),
  overrides: z.record(z.string(), z.unknown()).optional(),
});

/** A run (or study) that did not complete: `status` is Temporal's, `message` the innermost failure's. */
export class RunFailedError extends Error {
  constructor(
    readonly runId: string,
    readonly status: string,
    message: string,
  ) {
    super(`run ${runId} ${status.toLowerCase()}: ${message}`);
    this.name = 'RunFailedError';
  }
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

/**
 * Loads and checks an experiment file (with overrides) and its gold and corpus files, before any server or
 * workflow is touched. Throws InputError (`file:line: key: why`) for anything wrong.
 */
export async function checkExperiment(file: string, overrides: ExperimentOverrides = {}): Promise<Experiment> {
  const experiment = loadExperiment(file, overrides);
  await checkInputs(experiment);
  return experiment;
}

async function checkInputs(experiment: Experiment): Promise<void> {
  const refusal = sensitiveEndpointRefusal(experiment);
  if (refusal) throw new InputError([{ file: experiment.file, line: 0, key: 'llm.baseURL', message: refusal }]);
  const prompts = checkPrompts(experiment, loadTaxonomy(experiment.taxonomy));
  if (prompts.length) throw new InputError(prompts);
  await preflight(experiment);
  // silver.examples against the gold, with MiniLM as the leakage screen (the encoder is loaded only for examples).
  const embed = async (texts: string[]) => (await import('../lib/model/embeddings.js')).sharedEmbed(texts);
  const examples = await checkExamples(experiment, embed);
  if (examples.length) throw new InputError(examples);
}

/** Loads and checks a study file and every variant's experiment (the inputs of the base are checked once). */
export async function checkStudy(file: string): Promise<Study> {
  const study = loadStudy(file);
  const seen = new Set<string>();
  for (const v of study.variants) {
    const e = v.experiment;
    const inputs = JSON.stringify([e.gold, e.corpus, e.llm, e.silver, e.selfCheck, e.prompts]);
    if (seen.has(inputs)) continue;
    seen.add(inputs);
    await checkInputs(v.experiment);
  }
  return study;
}

export function runIdFor(experiment: Pick<Experiment, 'name'>, suffix?: string): string {
  return suffix ? `${experiment.name}-${suffix}` : experiment.name;
}

/** Innermost message of an error chain (a run's own failure rather than "workflow execution failed"). */
export function failureMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  const parts: string[] = [];
  for (let depth = 0; e && depth < 10; depth++, e = e.cause as typeof e) if (e.message) parts.push(e.message);
  return parts.at(-1) ?? String(err);
}

export class Clinsynth {
  private constructor(
    readonly client: Client,
    private readonly connection: Connection,
    readonly address: string,
    readonly namespace: string,
    readonly uiBase: string,
    private readonly workers: { shutdown(): Promise<void> } | undefined,
  ) {}

  /**
   * Connects with Temporal's client configuration (TEMPORAL_* variables, temporal.toml profiles; `profile`,
   * `address`, `namespace` override them), else to the embedded dev server (started when needed). Bad settings
   * throw TemporalConnectionError / TemporalConfigError naming the cause; a namespace without clinsynth's search
   * attributes that this connection may not create throws SearchAttributesMissingError saying what to create.
   */
  static async connect(opts: ConnectOptions = {}): Promise<Clinsynth> {
    const resolved = resolveSettings({ profile: opts.profile, address: opts.address, namespace: opts.namespace });
    const target =
      opts.startServer === false
        ? { settings: { ...resolved, address: resolved.address ?? `127.0.0.1:${DEFAULT_PORT}` }, uiBase: undefined }
        : await ensureTemporal(opts.log, resolved);
    const settings = target.settings;
    const { address, namespace: ns } = settings;
    const uiBase = opts.uiBase ?? process.env.CLINSYNTH_UI_URL ?? target.uiBase ?? uiBaseFor(address);
    const connection = await connectClient(settings);
    let workers: { shutdown(): Promise<void> } | undefined;
    try {
      if (opts.worker) {
        const { startWorkers } = await import('../worker.js');
        const w = typeof opts.worker === 'object' ? opts.worker : {};
        workers = await startWorkers({
          address,
          namespace: ns,
          temporal: settings,
          ...(w.llmConcurrency ? { llmConcurrency: w.llmConcurrency } : {}),
          ...(w.queues ? { queues: w.queues } : {}),
        });
      }
    } catch (e) {
      await connection.close();
      throw e;
    }
    return new Clinsynth(
      new Client({ connection, namespace: ns, dataConverter: dataConverterFromEnv() }),
      connection,
      address,
      ns,
      uiBase,
      workers,
    );
  }

  /** The Temporal UI page of a workflow. */
  workflowUrl(workflowId: string): string {
    return `${this.uiBase}/namespaces/${encodeURIComponent(this.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  }

  /**
   * Starts an experiment (a file, with overrides, or an experiment already checked by checkExperiment), or attaches
   * to the run with the same id when it is still running.
   */
  async start(source: string | Experiment, opts: StartOptions = {}): Promise<ExperimentRun> {
    const parsed = startOptionsSchema.safeParse(opts);
    if (!parsed.success) {
      const file = typeof source === 'string' ? source : source.file;
      throw new InputError(
        parsed.error.issues.map((i) => ({
          file,
          line: 0,
          key: `options.${i.path.map(String).join('.')}`,
          message: i.message,
        })),
      );
    }
    const o = parsed.data;
    const experiment = typeof source === 'string' ? await checkExperiment(source, o.overrides ?? {}) : source;
    const runId = o.runId ?? runIdFor(experiment, o.runIdSuffix);
    const runDir = join(experiment.output, runId);
    const workflowId = workflowIdFor(runId);
    let attached = false;
    try {
      attached = (await this.client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
    await this.client.workflow.start<typeof experimentWorkflow>(WORKFLOW_TYPES.experiment, {
      workflowId,
      taskQueue: TASK_QUEUES.main,
      args: [{ experiment, runId, runDir, uiBase: this.uiBase }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      memo: { runDir, experimentFile: experiment.file },
      typedSearchAttributes: [
        { key: experimentKey, value: experiment.name },
        { key: stageKey, value: 'taxonomy' },
      ],
      staticSummary: experimentSummary(experiment),
      staticDetails: experimentDetails(
        experiment,
        o.overrides && Object.keys(o.overrides).length ? o.overrides : undefined,
      ),
    });
    return new ExperimentRun(this, runId, runDir, attached);
  }

  /** A handle to an existing run by its run id (nothing is asked of the server until you call a method). */
  get(runId: string): ExperimentRun {
    return new ExperimentRun(this, name.parse(runId), undefined, false);
  }

  /** Runs on the server, newest first (one entry per run id), optionally of one experiment, study or status. */
  async *list(filter: ListFilter = {}): AsyncGenerator<RunListing> {
    const f = listFilterSchema.parse(filter);
    const clauses = [`WorkflowType = '${WORKFLOW_TYPES.experiment}'`, `ExecutionStatus != 'ContinuedAsNew'`];
    if (f.experiment) clauses.push(`${SEARCH_ATTRIBUTES.experiment} = '${f.experiment}'`);
    if (f.study) clauses.push(`${SEARCH_ATTRIBUTES.study} = '${f.study}'`);
    const seen = new Set<string>();
    for await (const w of this.client.workflow.list({ query: clauses.join(' AND ') })) {
      if (seen.has(w.workflowId)) continue;
      seen.add(w.workflowId);
      const status = w.status.name;
      if (f.status && status !== f.status.toUpperCase()) continue;
      const sa = (k: typeof stageKey) => (w.typedSearchAttributes.get(k) as string | undefined) ?? null;
      yield {
        runId: w.workflowId.startsWith(WORKFLOW_ID_PREFIX)
          ? w.workflowId.slice(WORKFLOW_ID_PREFIX.length)
          : w.workflowId,
        workflowId: w.workflowId,
        status,
        stage: sa(stageKey),
        experiment: sa(experimentKey),
        study: sa(studyKey),
        runDir: w.memo?.runDir as string | undefined,
        startTime: w.startTime,
        closeTime: w.closeTime,
      };
    }
  }

  /** Starts a study (a file, or one checked by checkStudy), or attaches to it while it runs. */
  async startStudy(source: string | Study): Promise<StudyRun> {
    const study = typeof source === 'string' ? await checkStudy(source) : source;
    const workflowId = studyWorkflowId(study.name);
    const experiment = study.variants[0]!.experiment;
    const keys = Object.keys(study.vary);
    await this.client.workflow.start<typeof studyWorkflow>(WORKFLOW_TYPES.study, {
      workflowId,
      taskQueue: TASK_QUEUES.main,
      args: [
        {
          name: study.name,
          file: study.file,
          studyDir: study.studyDir,
          keys,
          concurrency: study.concurrency,
          variants: study.variants.map(({ id, values, runId, runDir, experiment: e }) => ({
            id,
            values,
            runId,
            runDir,
            experiment: e,
          })),
          uiBase: this.uiBase,
        },
      ],
      workflowIdConflictPolicy: 'USE_EXISTING',
      memo: { studyDir: study.studyDir, studyFile: study.file },
      typedSearchAttributes: [
        { key: studyKey, value: study.name },
        { key: experimentKey, value: experiment.name },
      ],
      staticSummary: studySummary(study.name, study.variants.length, experiment.name, keys, study.zip),
      staticDetails: studyDetails(study.variants, study.concurrency),
    });
    return new StudyRun(this, study.name, study.studyDir);
  }

  /** A handle to an existing study by its name. */
  getStudy(studyName: string): StudyRun {
    return new StudyRun(this, name.parse(studyName), undefined);
  }

  /** True when some worker polls the main task queue (else nothing runs until `clinsynth worker` starts). */
  async hasWorkers(): Promise<boolean> {
    try {
      const r = await this.client.workflowService.describeTaskQueue({
        namespace: this.namespace,
        taskQueue: { name: TASK_QUEUES.main, kind: 1 },
        taskQueueType: 1,
      });
      return (r.pollers?.length ?? 0) > 0;
    } catch {
      return true;
    }
  }

  /** Stops this process's workers (their unfinished work moves to other workers) and closes the connection. */
  async close(): Promise<void> {
    try {
      await this.workers?.shutdown();
    } finally {
      await this.connection.close();
    }
  }
}

/** One experiment run. */
export class ExperimentRun {
  readonly workflowId: string;
  readonly uiUrl: string;

  constructor(
    private readonly cs: Clinsynth,
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

  /** An Update the run may refuse: its validator's or handler's reason becomes a RunRefusedError. */
  private async refusable<R>(send: () => Promise<R>): Promise<R> {
    try {
      return await send();
    } catch (e) {
      if (e instanceof WorkflowUpdateFailedError)
        throw new RunRefusedError(this.runId, (e.cause as Error | undefined)?.message ?? e.message);
      throw e;
    }
  }
}

/** One study: the parent workflow of its experiments. */
export class StudyRun {
  readonly workflowId: string;
  readonly uiUrl: string;

  constructor(
    private readonly cs: Clinsynth,
    readonly studyId: string,
    public studyDir: string | undefined,
  ) {
    this.workflowId = studyWorkflowId(studyId);
    this.uiUrl = cs.workflowUrl(this.workflowId);
  }

  get handle(): WorkflowHandle<typeof studyWorkflow> {
    return this.cs.client.workflow.getHandle<typeof studyWorkflow>(this.workflowId);
  }

  /** Temporal status and each variant's status. */
  async progress(): Promise<{ studyId: string; status: string; progress: StudyProgress | undefined }> {
    const d = await this.handle.describe();
    const status = d.status.name;
    let progress: StudyProgress | undefined;
    if (status === 'COMPLETED') progress = await this.handle.result();
    else if (status === 'RUNNING') progress = await this.handle.query(studyProgressQuery).catch(() => undefined);
    return { studyId: this.studyId, status, progress };
  }

  /** The variants' own handles. */
  runs(progress: StudyProgress): ExperimentRun[] {
    return progress.variants.map((v) => new ExperimentRun(this.cs, v.runId, v.runDir, false));
  }

  /** The workflow's result (variant statuses, report path); RunFailedError when the study itself did not complete. */
  async outcome(opts: WaitOptions = {}): Promise<StudyResult> {
    const r = await outcomeOf(this.handle, `study ${this.studyId}`, opts);
    this.studyDir ??= r.studyDir;
    return r;
  }

  /** The parsed study.json once the study has completed (failed variants are rows with their status). */
  async result(opts: WaitOptions = {}): Promise<StudyReport> {
    const r = await this.outcome(opts);
    if (!r.reportPath || !existsSync(r.reportPath)) throw new Error(`study ${this.studyId} wrote no study.json`);
    return readJson<StudyReport>(r.reportPath);
  }

  /** Cancels the study and, through it, every running variant. */
  async cancel(): Promise<void> {
    await this.handle.cancel();
  }
}

/** A run's or study's result, waiting through lost contact; RunFailedError (FAILED, CANCELLED, TERMINATED, TIMED_OUT) otherwise. */
async function outcomeOf<R>(handle: { result(): Promise<R> }, label: string, opts: WaitOptions): Promise<R> {
  try {
    return await waitForRunResult(handle, opts);
  } catch (err) {
    if (err instanceof WorkflowFailedError) throw new RunFailedError(label, closedStatus(err), failureMessage(err));
    throw err;
  }
}

const CLOSED_STATUS: Record<string, string> = {
  CancelledFailure: 'CANCELLED',
  TerminatedFailure: 'TERMINATED',
  TimeoutFailure: 'TIMED_OUT',
};

function closedStatus(err: WorkflowFailedError): string {
  return CLOSED_STATUS[err.cause?.name ?? ''] ?? 'FAILED';
}
