#!/usr/bin/env node
// The `clinsynth` executable: loads the TypeScript CLI through tsx and exits with its status.
import { register } from 'tsx/esm/api';

register();
// Output piped into `head` and the like: a closed pipe ends the command quietly instead of with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
const { main } = await import('../client/cli.ts');
process.exitCode = await main(process.argv.slice(2));
