#!/usr/bin/env node
// The `clinsynth` executable: loads the TypeScript CLI through tsx and exits with its status.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../client/cli.ts');
process.exitCode = await main(process.argv.slice(2));
