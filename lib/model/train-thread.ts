// Worker-thread entry that fits classifier heads, so CPU-heavy training never blocks a worker's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { trainClassifier, type TrainOptions } from './classifier.js';

export interface FitJob {
  X: Float32Array[];
  Y: string[][];
  labels: string[];
  opts: TrainOptions;
}

const { jobs } = workerData as { jobs: FitJob[] };
parentPort!.postMessage(jobs.map((job) => trainClassifier(job.X, job.Y, job.labels, job.opts)));
