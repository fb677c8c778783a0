// `clinsynth/client`: the typed client API. Start experiments and studies, follow them, read their results, list
// runs. The CLI's run/status/report/study commands are built on it. The connection (`Clinsynth`) lives here; the
// run and study handles, the input checks and the outcome are modules of their own, re-exported from here.
import { join } from 'node:path';
import { z } from 'zod';
import { dataConverterFromEnv } from '../lib/run/codec.js';
import { Client, type Connection, WorkflowNotFoundError } from '@temporalio/client';
import { InputError } from '../lib/config/problems.js';
import type { Experiment, ExperimentOverrides } from '../lib/config/experiment.js';
import type { Study } from '../lib/config/study.js';
import { studyWorkflowId, WORKFLOW_ID_PREFIX, workflowIdFor } from '../lib/run/run-state.js';
import { experimentDetails, experimentSummary, studyDetails, studySummary } from '../lib/run/summaries.js';
import { DEFAULT_PORT, ensureTemporal } from './temporal-server.js';
import { connectClient, resolveSettings, uiBaseFor } from './connection.js';
import { checkExperiment, checkStudy, runIdFor } from './checks.js';
import { ExperimentRun } from './experiment-run.js';
import { StudyRun } from './study-run.js';
import type { experimentWorkflow } from '../workflows/experiment.js';
import type { studyWorkflow } from '../workflows/study.js';
import {
  experimentKey,
  SEARCH_ATTRIBUTES,
  stageKey,
  studyKey,
  TASK_QUEUES,
  WORKFLOW_TYPES,
} from '../workflows/contract.js';

export type { Experiment, ExperimentOverrides } from '../lib/config/experiment.js';
export type { Study, StudyVariant } from '../lib/config/study.js';
export type { RunProgress, StageName } from '../lib/run/run-state.js';
export type { Report } from '../lib/report/report.js';
export type { StudyReport, StudyVariantRow } from '../lib/report/study.js';
export type { ExperimentResult } from '../workflows/experiment.js';
export type { StudyProgress } from '../workflows/contract.js';
export type { SteeringState } from '../lib/run/steering.js';
export type { ReviewImportResult, ReviewProgress } from '../lib/run/review.js';
export { InputError } from '../lib/config/problems.js';
export { TemporalConnectionError, TemporalConfigError, type ConnectionCause } from './connection.js';
export { SearchAttributesMissingError } from './search-attributes.js';
export { checkExperiment, checkStudy, runIdFor } from './checks.js';
export { RunFailedError, failureMessage } from './outcome.js';
export { ExperimentRun, RunRefusedError, type ReviewFiles, type RunStatus } from './experiment-run.js';
export { StudyRun } from './study-run.js';

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
