// Worker-thread side of the logreg pool: sums its share of the rows for every point the fitting thread posts.
import { workerData } from 'node:worker_threads';
import { accumulateLogreg } from './logreg-fit.js';
import { CTRL, type PoolShared } from './logreg-pool.js';

const w = workerData as PoolShared & { from: number; to: number };
const ctrl = new Int32Array(w.ctrl);
const { n, d, labels } = w;
const D = { n, d, x: new Float32Array(w.x), mean: new Float64Array(0), scale: new Float64Array(0) };
const Y = Array.from({ length: labels }, (_, j) => new Uint8Array(w.y, j * n, n));
const points = new Float64Array(w.points);
const which = new Int32Array(w.which);
const fOut = new Float64Array(w.f);
const gOut = new Float64Array(w.g);
Atomics.add(ctrl, CTRL.ready, 1);
Atomics.notify(ctrl, CTRL.ready);
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, CTRL.gen, seen);
  seen = Atomics.load(ctrl, CTRL.gen);
  if (Atomics.load(ctrl, CTRL.stop)) break;
  const A = Atomics.load(ctrl, CTRL.count);
  const slice = (buf: Float64Array, a: number) => buf.subarray(a * (d + 1), (a + 1) * (d + 1));
  const ps = Array.from({ length: A }, (_, a) => slice(points, a));
  const f = fOut.subarray(0, A).fill(0);
  const G = Array.from({ length: A }, (_, a) => slice(gOut, a).fill(0));
  accumulateLogreg(D, Y, w.classWeights, ps, Array.from(which.subarray(0, A)), w.from, w.to, f, G);
  Atomics.add(ctrl, CTRL.done, 1);
  Atomics.notify(ctrl, CTRL.done);
}
