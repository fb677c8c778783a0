// Worker-thread bootstrap: registers the TypeScript loader (tsx) in the thread, then runs the .ts module it names.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
