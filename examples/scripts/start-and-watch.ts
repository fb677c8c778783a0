// A complete client script: start an experiment with an override, follow its progress, read its report, list runs.
//
//   node --import tsx examples/scripts/start-and-watch.ts [EXPERIMENT_FILE] [RUN_ID]
//
// Temporal's client settings pick the server (TEMPORAL_ADDRESS, TEMPORAL_PROFILE…; none: the embedded dev server);
// the script runs its own worker, so nothing else needs to be running.
import { Clinsynth, RunFailedError } from 'clinsynth/client';

const file = process.argv[2] ?? new URL('../demo/experiment.yaml', import.meta.url).pathname;
const runId = process.argv[3] ?? 'script-try';

const cs = await Clinsynth.connect({ worker: true });
try {
  // Overrides use the experiment file's key paths and are checked like the file.
  const run = await cs.start(file, { runId, overrides: { 'bronze.perLabel': 4, 'train.seeds': [1] } });
  console.log(`started ${run.runId} (workflow ${run.workflowId})`);
  console.log(`  run directory: ${run.runDir}`);
  console.log(`  Temporal UI:   ${run.uiUrl}`);

  // Poll: the same object `clinsynth status --json` prints.
  let last = '';
  for (;;) {
    const s = await run.progress();
    const line = `${s.status} ${s.stage ?? ''}`;
    if (line !== last) console.log(`progress: ${(last = line)}`);
    if (s.status !== 'RUNNING') break;
    await new Promise((r) => setTimeout(r, 500));
  }

  // The parsed report.json (throws RunFailedError when the run did not complete).
  const report = await run.result();
  for (const [mix, m] of Object.entries(report.mixes))
    console.log(`macro-F1 ${mix}: ${m.macroF1.mean.toFixed(3)} ± ${m.macroF1.sd.toFixed(3)}`);
  for (const line of report.headline) console.log(`headline: ${line}`);

  // Every run of this experiment on the server, newest first.
  for await (const r of cs.list({ experiment: report.experiment }))
    console.log(`listed: ${r.runId} ${r.status} ${r.stage}`);
} catch (err) {
  if (err instanceof RunFailedError) console.error(`run ${err.runId} ended ${err.status}: ${err.message}`);
  else throw err;
  process.exitCode = 1;
} finally {
  await cs.close();
}
