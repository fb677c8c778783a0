// Stage train: embed the datasets, train and predict each mix × seed out of fold, then the final model.
import { patched } from '@temporalio/workflow';
import { evaluationJobs, jobName } from '../../lib/evaluate/jobs.js';
import { run } from '../activities.js';
import { PATCHES } from '../patches.js';
import type { StageContext, StageOutcome } from './stage.js';

export async function train({ experiment, p, runDir, pages }: StageContext): Promise<StageOutcome> {
  // One job per mix × seed (and learning-curve point): a head per fold, each fold predicted out of fold.
  // A review that changed rows adds each synthetic mix on the labels before it (the review's effect on F1).
  // A deterministic head (logreg) trains each mix once whatever train.seeds says: its seeds would change nothing.
  const jobs = evaluationJobs(experiment, {
    reviewed: (p.review?.result?.reviewed ?? 0) > 0,
    deterministicOnce: patched(PATCHES.deterministicHeadOnce),
  });
  p.stages.train.total = jobs.length + 2;
  await run.embedDatasets.executeWithOptions({ summary: 'embed gold, silver and bronze sentences' }, [{ runDir }]);
  p.stages.train.done++;
  await pages.inWindow(jobs, async (job) => {
    const folds = experiment.evaluate.folds;
    await run.trainAndPredict.executeWithOptions(
      { summary: `train ${jobName(job)} (${experiment.train.classifier}, ${folds} fold${folds === 1 ? '' : 's'})` },
      [{ runDir, job }],
    );
    p.stages.train.done++;
  });
  await run.trainFinalModel.executeWithOptions({ summary: `train the final model on ${experiment.train.finalMix}` }, [
    { runDir },
  ]);
  p.stages.train.done++;
  return 'done';
}
