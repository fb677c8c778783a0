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
    // The caller's event loop keeps turning while the fit runs: counted in turns, not milliseconds. Training on this
    // thread would allow none (or one, after an await); a worker thread's start-up alone takes thousands.
    let turns = 0;
    let done = false;
    const turn = (): void => {
      if (done) return;
      turns++;
      setImmediate(turn);
    };
    setImmediate(turn);
    const head = await trainOffThread(X, Y, ['a', 'b'], opts);
    done = true;
    expect(head).toEqual(trainClassifier(X, Y, ['a', 'b'], opts));
    expect(turns).toBeGreaterThanOrEqual(100);
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
