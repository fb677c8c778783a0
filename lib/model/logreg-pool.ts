// Row-parallel logreg objectives: helper threads sum their share of the rows of one shared Float32 design per round.
import { Worker } from 'node:worker_threads';
import { accumulateLogreg, finishLogreg } from './logreg-fit.js';
import type { Evaluated } from './lbfgs.js';
import type { Design } from './design.js';

/** Slots of the control array shared with the helpers. */
export const CTRL = { gen: 0, done: 1, ready: 2, stop: 3, count: 4 } as const;

/** What a helper thread gets: shared buffers (no copy) and its constants. */
export interface PoolShared {
  ctrl: SharedArrayBuffer;
  x: SharedArrayBuffer;
  y: SharedArrayBuffer;
  points: SharedArrayBuffer;
  which: SharedArrayBuffer;
  f: SharedArrayBuffer;
  g: SharedArrayBuffer;
  n: number;
  d: number;
  labels: number;
  classWeights: [number, number][];
}

/** Below this many matrix entries (n·d) a fit stays on one thread: starting helpers costs more than it saves. */
export const POOL_MIN_ENTRIES = 4_000_000;
const START_TIMEOUT_MS = 120_000;
const ROUND_TIMEOUT_MS = 600_000;

export interface LogregPool {
  /** Objectives and gradients of points ps (for labels `labels`), the rows split between this thread and the helpers. */
  evaluate(ps: Float64Array[], labels: number[]): Evaluated[];
  close(): void;
}

/** Waits (blocking this thread) until ctrl[slot] reaches `want`; false on timeout. */
function waitFor(ctrl: Int32Array, slot: number, want: number, timeoutMs: number): boolean {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = Atomics.load(ctrl, slot);
    if (v >= want) return true;
    const left = end - Date.now();
    if (left <= 0) return false;
    Atomics.wait(ctrl, slot, v, left);
  }
}

/**
 * Starts `threads − 1` helpers on D (whose x must live in a SharedArrayBuffer). Blocking and synchronous, so a fit
 * stays a plain function; null when they do not start in time (the caller then fits on its own thread). Sums are added
 * in thread order, so a fit is deterministic for a given number of threads.
 */
export function startLogregPool(
  D: Design,
  Y: readonly Uint8Array[],
  classWeights: [number, number][],
  l2: number,
  threads: number,
): LogregPool | null {
  if (!(D.x.buffer instanceof SharedArrayBuffer) || threads < 2) return null;
  const { n, d } = D;
  const L = Y.length;
  const sab = (bytes: number) => new SharedArrayBuffer(Math.max(8, bytes));
  const ctrl = new Int32Array(sab(4 * 8));
  const y = sab(L * n);
  Y.forEach((v, j) => new Uint8Array(y, j * n, n).set(v));
  const points = new Float64Array(sab(8 * L * (d + 1)));
  const which = new Int32Array(sab(4 * L));
  const bounds = Array.from({ length: threads + 1 }, (_, t) => Math.round((t * n) / threads));
  const outs = Array.from({ length: threads - 1 }, () => ({ f: sab(8 * L), g: sab(8 * L * (d + 1)) }));
  const workers = outs.map((o, t) => {
    const data: PoolShared & { module: string; from: number; to: number } = {
      module: new URL('./logreg-thread.ts', import.meta.url).href,
      ctrl: ctrl.buffer as SharedArrayBuffer,
      x: D.x.buffer as SharedArrayBuffer,
      y,
      points: points.buffer as SharedArrayBuffer,
      which: which.buffer as SharedArrayBuffer,
      f: o.f,
      g: o.g,
      n,
      d,
      labels: L,
      classWeights,
      from: bounds[t + 1]!,
      to: bounds[t + 2]!,
    };
    const w = new Worker(new URL('./ts-thread.mjs', import.meta.url), { workerData: data });
    w.on('error', () => Atomics.store(ctrl, CTRL.stop, 1));
    w.unref();
    return w;
  });
  const close = () => {
    Atomics.store(ctrl, CTRL.stop, 1);
    Atomics.add(ctrl, CTRL.gen, 1);
    Atomics.notify(ctrl, CTRL.gen);
    for (const w of workers) void w.terminate();
  };
  if (!waitFor(ctrl, CTRL.ready, workers.length, START_TIMEOUT_MS)) {
    close();
    return null;
  }
  return {
    evaluate(ps, labels) {
      const A = ps.length;
      ps.forEach((p, a) => points.set(p, a * (d + 1)));
      which.set(labels);
      Atomics.store(ctrl, CTRL.count, A);
      Atomics.store(ctrl, CTRL.done, 0);
      Atomics.add(ctrl, CTRL.gen, 1);
      Atomics.notify(ctrl, CTRL.gen);
      const f = new Float64Array(A);
      const G = ps.map(() => new Float64Array(d + 1));
      accumulateLogreg(D, Y, classWeights, ps, labels, bounds[0]!, bounds[1]!, f, G);
      if (!waitFor(ctrl, CTRL.done, workers.length, ROUND_TIMEOUT_MS) || Atomics.load(ctrl, CTRL.stop))
        throw new Error('logreg: a helper thread did not answer');
      outs.forEach((o) => {
        const fo = new Float64Array(o.f);
        const go = new Float64Array(o.g);
        for (let a = 0; a < A; a++) {
          f[a]! += fo[a]!;
          const g = G[a]!;
          for (let k = 0; k <= d; k++) g[k]! += go[a * (d + 1) + k]!;
        }
      });
      return finishLogreg(D, l2, ps, f, G);
    },
    close,
  };
}
