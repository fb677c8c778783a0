// Bundles the workflow code into one file; worker.ts runs it in a child process so the bundler's memory leaves with it.
import { renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const out = process.argv[2];
// --failure-converter PATH: the failure converter the workers use (encrypted runs encode failure messages).
const failureConverterPath = process.argv[3] === '--failure-converter' ? process.argv[4] : undefined;
if (!out) {
  console.error('usage: bundle-workflows.ts OUT_FILE [--failure-converter PATH]');
  process.exit(2);
}
const silent = () => {};
const { code } = await bundleWorkflowCode({
  workflowsPath: WORKFLOWS_PATH,
  ...(failureConverterPath ? { failureConverterPath } : {}),
  logger: {
    log: silent,
    trace: silent,
    debug: silent,
    info: silent,
    warn: (m: string) => console.warn(m),
    error: (m: string) => console.error(m),
  },
});
writeFileSync(`${out}.tmp`, code);
renameSync(`${out}.tmp`, out);
