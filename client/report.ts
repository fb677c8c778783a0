// `clinsynth report RUN_ID`: rebuilds report.json and report.html from a finished run's artifacts.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { writeReport } from '../lib/report/report.js';
import { compareMixes } from '../lib/evaluate/compare.js';
import { readRunExperiment } from '../lib/run/run-dir.js';
import { workflowIdFor, type RunProgress } from '../lib/run/run-state.js';
import { DEFAULT_PORT, namespace } from './temporal-server.js';
import { dataConverterFromEnv } from '../lib/run/codec.js';
import type { ExperimentResult } from '../workflows/experiment.js';

export async function reportCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { 'run-dir': { type: 'string' } } });
  if (positionals.length !== 1) {
    process.stderr.write('usage: clinsynth report RUN_ID [--run-dir DIR]\n');
    return 2;
  }
  const runId = positionals[0]!;
  const address = process.env.TEMPORAL_ADDRESS ?? `127.0.0.1:${DEFAULT_PORT}`;
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace: namespace(), dataConverter: dataConverterFromEnv() });
    const handle = client.workflow.getHandle(workflowIdFor(runId));
    const result = (await handle.result()) as ExperimentResult;
    const runDir = values['run-dir'] ? resolve(values['run-dir']) : result.runDir;
    if (!existsSync(join(runDir, 'experiment.json'))) throw new Error(`${runDir} holds no clinsynth run`);
    const progress: RunProgress = result.progress;
    // The comparisons are recomputed from the pooled predictions (deterministic: the same numbers for the same files).
    if (existsSync(join(runDir, 'eval'))) compareMixes(runDir, readRunExperiment(runDir));
    const { reportPath, htmlPath } = await writeReport({ runDir, progress, workflowId: workflowIdFor(runId) });
    process.stdout.write(`${reportPath}\n${htmlPath}\n`);
    return 0;
  } finally {
    await connection.close();
  }
}
