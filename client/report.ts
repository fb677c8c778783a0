// `clinsynth report RUN_ID|STUDY`: rebuilds report.json/report.html of a finished run, or study.json/study.html of a
// finished study, from the artifacts.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { writeReport } from '../lib/report/report.js';
import { writeStudyReport } from '../lib/report/study.js';
import { compareMixes } from '../lib/evaluate/compare.js';
import { readRunExperiment } from '../lib/run/run-dir.js';
import { workflowIdFor } from '../lib/run/run-state.js';
import { Clinsynth } from './api.js';

export async function reportCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'run-dir': { type: 'string' } },
  });
  if (positionals.length !== 1) {
    process.stderr.write('usage: clinsynth report RUN_ID|STUDY [--run-dir DIR]\n');
    return 2;
  }
  const id = positionals[0]!;
  const cs = await Clinsynth.connect({ startServer: false });
  try {
    const study = cs.getStudy(id);
    const isStudy = await study.handle.describe().then(
      () => true,
      (e) => {
        if (e instanceof WorkflowNotFoundError) return false;
        throw e;
      },
    );
    if (isStudy) {
      const r = await study.outcome();
      const { jsonPath, htmlPath } = await writeStudyReport({
        study: r.study,
        workflowId: study.workflowId,
        studyDir: r.studyDir,
        keys: r.keys,
        variants: r.variants.map(({ id: vid, values: vals, runId, workflowId, runDir, status, error }) => ({
          id: vid,
          values: vals,
          runId,
          workflowId,
          runDir,
          status,
          ...(error ? { error } : {}),
        })),
      });
      process.stdout.write(`${jsonPath}\n${htmlPath}\n`);
      return 0;
    }
    const result = await cs.get(id).outcome();
    const runDir = values['run-dir'] ? resolve(values['run-dir']) : result.runDir;
    if (!existsSync(join(runDir, 'experiment.json'))) throw new Error(`${runDir} holds no clinsynth run`);
    // The comparisons are recomputed from the pooled predictions (deterministic: the same numbers for the same files).
    if (existsSync(join(runDir, 'eval'))) compareMixes(runDir, readRunExperiment(runDir));
    const { reportPath, htmlPath } = await writeReport({
      runDir,
      progress: result.progress,
      workflowId: workflowIdFor(id),
    });
    process.stdout.write(`${reportPath}\n${htmlPath}\n`);
    return 0;
  } finally {
    await cs.close();
  }
}
