// Training runs in a worker thread: same head as in-process training, and the caller's event loop keeps ticking.
import { describe, expect, it } from 'vitest';
import { trainHeadsOffThread, trainOffThread } from '../../lib/model/training.js';
import { trainClassifier, type TrainOptions } from '../../lib/model/classifier.js';
import { mulberry32 } from '../../lib/run/random.js';

function problem(n: number, d: number) {
  const rand = mulberry32(7);
  const X: Float32Array[] = [];
  const Y: string[][] = [];
  for (let i = 0; i < n; i++) {
    const v = new Float32Array(d).map(() => rand() - 0.5);
    const labels: string[] = [];
    if (v[0]! > 0.1) labels.push('a');
    if (v[1]! + v[2]! > 0.2) labels.push('b');
    X.push(v);
    Y.push(labels);
  }
  return { X, Y };
}

describe('trainOffThread', () => {
  it('gives the same head as training in-process, without blocking the event loop', async () => {
    const { X, Y } = problem(1500, 64);
    const opts: TrainOptions = { kind: 'mlp', seed: 3, validationShare: 0.2, epochs: 40 };
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const t0 = Date.now();
    const head = await trainOffThread(X, Y, ['a', 'b'], opts);
    const ms = Date.now() - t0;
    clearInterval(timer);
    expect(head).toEqual(trainClassifier(X, Y, ['a', 'b'], opts));
    // A blocked loop would tick about once during the fit; a free one about every 10 ms (fewer on a loaded machine).
    expect(ms).toBeGreaterThan(200);
    expect(ticks).toBeGreaterThanOrEqual(10);
  });

  it('fits several jobs (folds) across threads and returns each head in job order, as fitted in-process', async () => {
    const { X, Y } = problem(600, 16);
    const jobs = [0, 1, 2].map((f) => ({
      X: X.filter((_, i) => i % 3 !== f),
      Y: Y.filter((_, i) => i % 3 !== f),
      labels: ['a', 'b'],
      opts: { kind: 'logreg' as const, seed: 1, validationShare: 0.2 },
    }));
    const heads = await trainHeadsOffThread(jobs);
    expect(heads).toHaveLength(3);
    heads.forEach((h, f) =>
      expect(h, `fold ${f}`).toEqual(trainClassifier(jobs[f]!.X, jobs[f]!.Y, ['a', 'b'], jobs[f]!.opts)),
    );
  });
});
