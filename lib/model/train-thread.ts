// Worker-thread entry that fits a classifier head, so CPU-heavy training never blocks a worker's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { trainClassifier, type TrainOptions } from './classifier.js';

interface Job {
  X: Float32Array[];
  Y: string[][];
  labels: string[];
  opts: TrainOptions;
}

const job = workerData as Job;
parentPort!.postMessage(trainClassifier(job.X, job.Y, job.labels, job.opts));
