// The experiment workflow: runs the stages in order (workflows/stages/), LLM pages through the page runner, and
// continues as new when the page runner says the history is full.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { initialProgress, STAGES, type RunProgress } from '../lib/run/run-state.js';
import { installReview } from './review.js';
import { experimentKey, progressQuery, stageKey } from './contract.js';
import { CurrentDetails } from './details.js';
import { PageRunner } from './page-runner.js';
import { STAGE_RUNNERS } from './stages/index.js';
import type { ExperimentInput, ExperimentResult, StageContext } from './stages/stage.js';

export type { ExperimentInput, ExperimentResult } from './stages/stage.js';

export async function experimentWorkflow(input: ExperimentInput): Promise<ExperimentResult> {
  const { experiment, runId, runDir } = input;
  const p: RunProgress = input.progress ?? initialProgress(runId, runDir, experiment.name);
  setHandler(progressQuery, () => p);
  const details = new CurrentDetails();
  // The page window, budget, steering Updates and lost pages (and the patched() calls that choose them).
  const pages = new PageRunner({ p, experiment, runDir, historyLimit: input.historyLimit, details });
  // Human review (`clinsynth review`): its Updates, and the stage marked skipped when review is off (no command).
  const review = installReview(p, experiment, runDir, (line) => details.say(line));
  const context: StageContext = { input, experiment, runDir, p, pages, review };

  for (const stage of STAGES) {
    const status = p.stages[stage].status;
    if (status === 'done' || status === 'skipped') continue;
    p.stage = stage;
    if (p.stages[stage].status === 'pending') p.stages[stage].status = 'running';
    upsertSearchAttributes([
      { key: experimentKey, value: experiment.name },
      { key: stageKey, value: stage },
    ]);
    details.say(`**${experiment.name}** — stage \`${stage}\``);
    const outcome = await STAGE_RUNNERS[stage](context);
    if (outcome === 'skipped') {
      p.stages[stage].status = 'skipped';
      continue;
    }
    if (outcome === 'again') {
      p.continuedAsNew++;
      await condition(allHandlersFinished);
      return await continueAsNew<typeof experimentWorkflow>({ ...input, progress: p });
    }
    p.stages[stage].status = 'done';
    p.nextPage = 0;
  }
  p.stage = 'done';
  upsertSearchAttributes([{ key: stageKey, value: 'done' }]);
  details.say(`**${experiment.name}** — done`);
  await condition(allHandlersFinished);
  return { runId, runDir, reportPath: `${runDir}/report.json`, progress: p };
}
