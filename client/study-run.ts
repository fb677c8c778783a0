// The handle to one study (the parent workflow of its experiments): its status and variants, its outcome and
// study report, cancelling.
import { existsSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import { readJson } from '../lib/run/run-dir.js';
import { studyWorkflowId } from '../lib/run/run-state.js';
import type { StudyReport } from '../lib/report/study.js';
import type { WaitOptions } from './wait-for-run.js';
import { outcomeOf } from './outcome.js';
import { ExperimentRun, type RunHost } from './experiment-run.js';
import type { studyWorkflow, StudyResult } from '../workflows/study.js';
import { studyProgressQuery, type StudyProgress } from '../workflows/contract.js';

/** One study: the parent workflow of its experiments. */
export class StudyRun {
  readonly workflowId: string;
  readonly uiUrl: string;

  constructor(
    private readonly cs: RunHost,
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
