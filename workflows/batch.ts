// The batch rounds of an LLM stage (llm.batch): submit, wait on durable timers, collect, resubmit what is missing.
import { condition, isCancellation, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { LlmActivities } from '../activities/llm.js';
import type { BatchInfo } from '../lib/llm/batch-api.js';
import type { Experiment } from '../lib/config/experiment.js';
import {
  addUsage,
  batchScope,
  emptyUsage,
  type BatchProgress,
  type BatchStatus,
  type RunProgress,
} from '../lib/run/run-state.js';
import { batchRoundSummary } from '../lib/run/summaries.js';

const TERMINAL: readonly BatchStatus[] = ['completed', 'failed', 'expired', 'cancelled', 'vanished'];
/** The first wait before a status check; each wait doubles up to llm.batchPollSeconds. */
const FIRST_POLL_MS = 5000;
/** Status checks that may fail in a row (each after its own retries) before the rounds give up on their batches. */
const MAX_CHECK_FAILURES = 3;

export interface BatchRun {
  p: RunProgress;
  experiment: Experiment;
  runDir: string;
  calls: ActivityInterfaceFor<LlmActivities>;
  /** True when the run must continue as new before its next command. */
  historyFull: () => boolean;
  /** True once no new LLM work may start (budget reached). */
  overBudget: () => boolean;
  /** A failure no retry can fix (bad key, no batch API at the endpoint): it fails the run. */
  isFatal: (err: unknown) => boolean;
  /** Shows the batch round in the workflow's current details ('' when none is open). */
  show: (line: string) => void;
}

/**
 * Runs the batch rounds of the pages [from, to) of an LLM stage before its online pages: round 0 submits every
 * request the pages will make (less those already cached), later rounds what came back failed or not at all, up to
 * llm.batchRounds; each round waits on durable timers (a short status check between waits, no activity sleeps) and
 * ends by writing the answers into the answer cache. The online pages that follow then pay only for what no batch
 * answered (and for repairs of unusable answers). Everything lives in p.batchJob / p.batches, so a worker crash, a
 * server restart or continue-as-new resumes the same batches. Returns false when the run must continue as new first.
 */
export async function batchRounds(
  b: BatchRun,
  stage: 'silver' | 'bronze' | 'selfcheck',
  from: number,
  to: number,
): Promise<boolean> {
  const { p, experiment: e, runDir, calls } = b;
  const maxPollMs = e.llm.batchPollSeconds * 1000;
  const firstPollMs = Math.min(FIRST_POLL_MS, maxPollMs);
  // The same stage and end page: the job this run (or the one before continue-as-new) started, whatever page the
  // online pages have reached since.
  if (p.batchJob?.stage !== stage || p.batchJob.to !== to)
    p.batchJob = {
      stage,
      scope: batchScope(stage, from, to),
      from,
      to,
      round: 0,
      rounds: e.llm.batchRounds,
      phase: 'submit',
      pollMs: firstPollMs,
    };
  const job = p.batchJob;
  const scope = job.scope;
  from = job.from;
  const all = (p.batches ??= []);
  const round = () => all.filter((x) => x.scope === scope && x.round === job.round);
  const show = () => b.show(batchRoundSummary(p));
  const input = () => ({ runDir, stage, pages: p.pages, from, to, round: job.round });
  /** A batch activity that failed for good: fatal ones fail the run, the rest end the batch rounds (pages go online). */
  const giveUp = (err: unknown, what: string) => {
    if (b.isFatal(err) || isCancellation(err)) throw err;
    job.phase = 'done';
    (p.batchErrors ??= []).push(`${scope} round ${job.round + 1}, ${what}: ${messageOf(err)}`);
  };

  while (job.phase !== 'done') {
    if (b.historyFull()) return false;
    show();
    if (job.phase === 'submit') {
      if (job.round >= job.rounds || p.cancelled || b.overBudget()) {
        job.phase = 'done';
        continue;
      }
      if (p.paused) {
        // Paused: no new LLM work, batches included (no timer, so no command).
        await condition(() => !p.paused || !!p.cancelled);
        continue;
      }
      try {
        const r = await calls.submitBatch.executeWithOptions(
          { summary: `${stage}: submit batch round ${job.round + 1}/${job.rounds} (pages ${from + 1}–${to})` },
          [input()],
        );
        for (const x of r.batches) all.push({ ...progressOf(x), stage, scope, round: job.round, part: x.part });
        p.counts[`${stage}BatchRequests`] = (p.counts[`${stage}BatchRequests`] ?? 0) + r.requests;
        job.phase = r.batches.length ? 'wait' : 'done';
        job.pollMs = firstPollMs;
      } catch (err) {
        giveUp(err, 'submit');
      }
      continue;
    }
    if (job.phase === 'wait') {
      const open = round().filter((x) => !TERMINAL.includes(x.status));
      if (!open.length) {
        job.phase = 'collect';
        continue;
      }
      try {
        if (p.cancelled && !job.cancelRequested) {
          // `clinsynth control … cancel`: cancel the batches, then collect what they answered before they stopped.
          for (const x of open)
            update(
              x,
              await calls.cancelBatch.executeWithOptions({ summary: `cancel batch ${x.id}` }, [{ runDir, id: x.id }]),
            );
          job.cancelRequested = true;
          continue;
        }
        // A durable timer (woken early by a cancel), then one short status check per open batch.
        await condition(() => !!p.cancelled && !job.cancelRequested, job.pollMs, {
          summary: `${stage}: wait ${Math.round(job.pollMs / 1000)} s for ${open.length} batch${open.length === 1 ? '' : 'es'}`,
        });
        for (const x of open)
          update(
            x,
            await calls.checkBatch.executeWithOptions({ summary: `check batch ${x.id}` }, [{ runDir, id: x.id }]),
          );
        job.pollMs = Math.min(job.pollMs * 2, maxPollMs);
        job.checkFailures = 0;
      } catch (err) {
        // Each failed check already had its activity retries; a few in a row end the rounds (the pages go online).
        job.checkFailures = (job.checkFailures ?? 0) + 1;
        if (job.checkFailures >= MAX_CHECK_FAILURES || b.isFatal(err) || isCancellation(err))
          giveUp(err, 'status check');
      }
      continue;
    }
    // collect
    try {
      const batches = round();
      const r = await calls.collectBatch.executeWithOptions(
        {
          summary: `${stage}: collect batch round ${job.round + 1} (${batches.length} batch${batches.length === 1 ? '' : 'es'})`,
        },
        [{ ...input(), batches: batches.map((x) => ({ id: x.id, part: x.part })) }],
      );
      for (const c of r.batches)
        Object.assign(batches.find((x) => x.id === c.id) ?? {}, { answered: c.answered, unanswered: c.unanswered });
      addUsage((p.llmByStage[stage] ??= emptyUsage()), r.usage);
      addUsage(p.llm, r.usage);
      addUsage((p.llmBatch ??= emptyUsage()), r.usage);
      job.round++;
      job.phase = r.unanswered > 0 ? 'submit' : 'done';
    } catch (err) {
      giveUp(err, 'collect');
    }
  }
  b.show('');
  return true;
}

function progressOf(x: BatchInfo): Pick<BatchProgress, 'id' | 'status' | 'total' | 'completed' | 'failed' | 'error'> {
  return {
    id: x.id,
    status: x.status,
    total: x.total,
    completed: x.completed,
    failed: x.failed,
    ...(x.error ? { error: x.error } : {}),
  };
}

/** Takes a status check into the batch's progress; a vanished batch keeps the counts it had. */
function update(into: BatchProgress, x: BatchInfo): void {
  if (x.status === 'vanished') Object.assign(into, { status: x.status, ...(x.error ? { error: x.error } : {}) });
  else Object.assign(into, progressOf(x));
}

function messageOf(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return (cause instanceof Error ? cause.message : String(cause)).slice(0, 500);
}
