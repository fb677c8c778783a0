// Synthetic sentence-embedding-like training sets and scikit-learn's one-vs-rest logreg on them (tests/reference/logreg.py).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/config/paths.js';
import { mulberry32 } from '../lib/run/random.js';

/** The hash-pinned test venv (scikit-learn, numpy; scripts/test-venv-setup.sh); CLINSYNTH_TEST_PYTHON overrides it. */
export const SKLEARN_PYTHON =
  process.env.CLINSYNTH_TEST_PYTHON ?? join(PROJECT_ROOT, '.tools', 'test-venv', 'bin', 'python');

export interface Synthetic {
  n: number;
  d: number;
  /** Unit-norm rows. */
  X: Float32Array[];
  /** Label names per row. */
  Y: string[][];
  labels: string[];
}

/**
 * n unit-norm vectors of dimension d with `labels` labels: label j is present with probability 2%…25% (rarer labels
 * first) and adds its own direction, plus Gaussian noise; seeded. Hard enough that no label is separable.
 */
export function syntheticRows(n: number, seed: number, o: { d?: number; labels?: number } = {}): Synthetic {
  const d = o.d ?? 384;
  const L = o.labels ?? 9;
  const rand = mulberry32(seed);
  const gauss = () => {
    let u = 0;
    while (u === 0) u = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const labels = Array.from({ length: L }, (_, j) => `label_${j}`);
  const dirs = labels.map(() => Float64Array.from({ length: d }, gauss));
  const X: Float32Array[] = [];
  const Y: string[][] = [];
  for (let i = 0; i < n; i++) {
    const v = Float64Array.from({ length: d }, () => gauss() * 1.5);
    const ls: string[] = [];
    labels.forEach((l, j) => {
      if (rand() < 0.02 + (0.23 * j) / Math.max(1, L - 1)) {
        ls.push(l);
        for (let k = 0; k < d; k++) v[k]! += dirs[j]![k]! * 0.35;
      }
    });
    let norm = 0;
    for (let k = 0; k < d; k++) norm += v[k]! * v[k]!;
    norm = Math.sqrt(norm);
    X.push(Float32Array.from(v, (a) => a / norm));
    Y.push(ls);
  }
  return { n, d, X, Y, labels };
}

export interface SklearnFits {
  /** Seconds per fit (standardising plus every label's fit). */
  seconds: number[];
  /** Per fit, per label: raw-space weights then bias (null: a one-class label); only when asked. */
  coef: ((number[] | null)[] | null)[];
  iterations: number[][];
  versions: Record<string, string>;
}

/** scikit-learn fits of the same objective (see tests/reference/logreg.py) on `fits` (row subsets; null = every row). */
export function sklearnLogreg(
  data: Synthetic,
  o: { l2: number; tol: number; maxIter: number; fits: (readonly number[] | null)[]; coef?: boolean },
): SklearnFits {
  const dir = mkdtempSync(join(tmpdir(), 'clinsynth-sklearn-'));
  try {
    const x = new Float32Array(data.n * data.d);
    data.X.forEach((v, i) => x.set(v, i * data.d));
    writeFileSync(join(dir, 'x.f32'), new Uint8Array(x.buffer));
    const y = new Uint8Array(data.labels.length * data.n);
    const index = new Map(data.labels.map((l, j) => [l, j] as const));
    data.Y.forEach((ls, i) => ls.forEach((l) => (y[index.get(l)! * data.n + i] = 1)));
    writeFileSync(join(dir, 'y.u8'), y);
    const fits = o.fits.map((rows, f) => {
      if (!rows) return { rows: null };
      const path = join(dir, `rows-${f}.i32`);
      writeFileSync(path, new Uint8Array(Int32Array.from(rows).buffer));
      return { rows: path };
    });
    const input = {
      x: join(dir, 'x.f32'),
      y: join(dir, 'y.u8'),
      n: data.n,
      d: data.d,
      labels: data.labels.length,
      l2: o.l2,
      tol: o.tol,
      maxIter: o.maxIter,
      fits,
      coef: o.coef ?? false,
    };
    writeFileSync(join(dir, 'in.json'), JSON.stringify(input));
    const r = spawnSync(
      SKLEARN_PYTHON,
      [join(PROJECT_ROOT, 'tests', 'reference', 'logreg.py'), join(dir, 'in.json'), join(dir, 'out.json')],
      { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] },
    );
    if (r.status !== 0) throw new Error(`tests/reference/logreg.py failed (exit ${r.status}): ${r.stderr}`);
    return JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as SklearnFits;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
