// The experiment workflow's review stage: export rows for human review, then wait — durably, for as long as it takes,
// without a timer — for an `importReview` Update (its file checked and ingested by an activity) or `skipReview`.
import { ActivityFailure, ApplicationFailure, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { CpuActivities } from '../activities/run.js';
import { importReviewArg, type ImportReviewArg, type ReviewProgress } from '../lib/run/review.js';
import { reviewEnabled } from '../lib/config/review-settings.js';
import type { RunProgress } from '../lib/run/run-state.js';
import { importReviewUpdate, skipReviewUpdate, TASK_QUEUES } from './contract.js';

const retry = {
  initialInterval: '1s',
  maximumInterval: '30s',
  maximumAttempts: 5,
  nonRetryableErrorTypes: ['InputError'],
};
// The export embeds and trains a classifier on gold (heartbeating); an import reads one file: a worker lost in the
// middle of one is noticed in a minute and the file is read again.
const { exportReview } = proxyActivities<CpuActivities>({
  taskQueue: TASK_QUEUES.main,
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry,
});
const { importReview } = proxyActivities<CpuActivities>({
  taskQueue: TASK_QUEUES.main,
  startToCloseTimeout: '1 minute',
  retry,
});

const refuse = (message: string): never => {
  throw ApplicationFailure.nonRetryable(message, 'ReviewRefused');
};

export interface ReviewStage {
  /** Exports (once) and waits for the import or the skip; the review's state lives on the progress. */
  run(): Promise<void>;
}

/**
 * Installs the review Updates and readies `p.stages.review`: progress carried over from a run started before the stage
 * existed lacks it, and a run without review marks it skipped here — no command either way, so such runs replay as
 * they ran. `say` sets the current details (what the run waits for).
 */
export function installReview(
  p: RunProgress,
  experiment: { review?: { enabled: boolean; max: number } },
  runDir: string,
  say: (details: string) => void,
): ReviewStage {
  const enabled = reviewEnabled(experiment);
  const stage = (p.stages.review ??= { status: 'pending', done: 0, total: 0, failedPages: 0 });
  if (!enabled && stage.status === 'pending') stage.status = 'skipped';
  const waitingLine = () =>
    `**${p.experiment}** — waiting for human review: ${p.review?.tasks ?? 0} rows in \`review/\` of the run directory (Label Studio tasks.json + label-config.xml, or tasks.csv); then \`clinsynth review import ${p.runId} FILE\` or \`clinsynth review skip ${p.runId}\`${p.review?.refused ? ` — ${p.review.refused} import(s) refused so far` : ''}`;
  const open = (): ReviewProgress => {
    if (!enabled) refuse('this run has no human review (review.enabled is false)');
    const r = p.review;
    if (r?.state === 'imported' || r?.state === 'skipped') refuse(`the review is over (${r.state})`);
    if (r?.state === 'importing') refuse('an import is being checked: wait for its answer');
    if (r?.state !== 'waiting')
      refuse(`the run is not waiting for review yet (stage ${p.stage}): the rows are exported after the self-check`);
    return r!;
  };
  setHandler(
    importReviewUpdate,
    async (arg: ImportReviewArg) => {
      const r = p.review!;
      r.state = 'importing';
      try {
        const result = await importReview.executeWithOptions(
          { summary: `check and import review decisions (${arg.file})` },
          [{ runDir, file: arg.file }],
        );
        r.result = result;
        r.state = 'imported';
        return result;
      } catch (err) {
        r.state = 'waiting';
        r.refused++;
        say(waitingLine());
        // The activity's own message (file:line: key: why), so the caller sees what to fix; the run keeps waiting.
        const cause = err instanceof ActivityFailure && err.cause ? err.cause : (err as Error);
        return refuse(`import refused: ${cause.message}`);
      }
    },
    {
      validator: (arg: unknown) => {
        const a = importReviewArg.safeParse(arg);
        if (!a.success) refuse(`importReview: ${a.error.issues[0]?.message ?? 'invalid argument'}`);
        open();
      },
    },
  );
  setHandler(
    skipReviewUpdate,
    () => {
      p.review!.state = 'skipped';
      return p.review!;
    },
    { validator: () => void open() },
  );
  return {
    async run() {
      const r = (p.review ??= { state: 'exporting', tasks: 0, refused: 0 });
      if (r.state === 'exporting') {
        const out = await exportReview.executeWithOptions(
          { summary: `choose up to ${experiment.review?.max ?? 0} rows for human review and export them` },
          [{ runDir }],
        );
        Object.assign(p.counts, out.counts);
        r.tasks = out.tasks;
        stage.total = out.tasks;
        // Nothing matched the review reasons: there is nothing to wait for.
        r.state = out.tasks > 0 ? 'waiting' : 'skipped';
      }
      if (r.state !== 'imported' && r.state !== 'skipped') {
        say(waitingLine());
        await condition(() => r.state === 'imported' || r.state === 'skipped');
      }
      stage.done = r.result?.reviewed ?? 0;
    },
  };
}
