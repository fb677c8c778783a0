// Cross-checks lib/evaluate/paired-bootstrap.ts against the independent numpy reference tests/reference/paired_bootstrap.py.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  pairedComparison,
  prepareComparison,
  type PairedComparison,
  type PairedComparisonInput,
} from '../../lib/evaluate/paired-bootstrap.js';
import { mulberry32 } from '../../lib/run/random.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'tests', 'reference', 'paired_bootstrap.py');
/** numpy comes from the system or from .tools/py (scripts/tools-requirements.txt pins it for this test). */
const env = {
  ...process.env,
  PYTHONPATH: [join(ROOT, '.tools', 'py'), process.env.PYTHONPATH].filter(Boolean).join(delimiter),
};
const R = 10_000;

/**
 * A deterministic predictions sample: 300 sentences in 60 notes of varying length plus 20 note-less sentences,
 * 9 labels of skewed frequency, per-note difficulty (so notes matter), two systems of 3 seeds of different quality
 * a third, slightly worse one with 2 seeds and a fourth, slightly better one with 3.
 */
function sample(): {
  labels: string[];
  gold: string[][];
  clusters: (string | null)[];
  good: string[][][];
  fair: string[][][];
  near: string[][][];
  mid: string[][][];
} {
  const rand = mulberry32(20240612);
  const labels = ['memory', 'language', 'behaviour', 'orientation', 'adl', 'mood', 'sleep', 'wandering', 'apathy'];
  const gold: string[][] = [];
  const clusters: (string | null)[] = [];
  const difficulty: number[] = [];
  // 60 notes: one sentence each, then 220 more spread at random (so note lengths vary), in note order.
  const noteOf = [
    ...Array.from({ length: 60 }, (_v, n) => n),
    ...Array.from({ length: 220 }, () => Math.floor(rand() * 60)),
  ].sort((x, y) => x - y);
  const hard = Array.from({ length: 60 }, () => rand() * 0.4);
  for (const note of noteOf) {
    gold.push(labels.filter((_l, i) => rand() < 0.35 / (1 + i / 2)));
    clusters.push(`note-${note}`);
    difficulty.push(hard[note] as number);
  }
  for (let s = 0; s < 20; s++) {
    gold.push(labels.filter((_l, i) => rand() < 0.2 / (1 + i)));
    clusters.push(null);
    difficulty.push(0.2);
  }
  const system = (seeds: number, recall: number, noise: number): string[][][] =>
    Array.from({ length: seeds }, () =>
      gold.map((g, i) =>
        labels.filter((l) =>
          g.includes(l) ? rand() < recall - (difficulty[i] as number) : rand() < noise + (difficulty[i] as number) / 10,
        ),
      ),
    );
  return {
    labels,
    gold,
    clusters,
    good: system(3, 0.95, 0.03),
    fair: system(3, 0.85, 0.04),
    near: system(2, 0.84, 0.04),
    mid: system(3, 0.875, 0.04),
  };
}

interface Reference extends PairedComparison {
  numpy: string;
  checkWeights: { macroF1: number; microF1: number; perLabel: number[] }[];
  checkMasks: { macroF1: number; microF1: number }[];
}

const NO_NUMPY =
  'the numpy reference test needs python3 with numpy (system-wide, or in .tools/py from scripts/tools-requirements.txt: run bash scripts/setup.sh)';

let dir: string | undefined;
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('python3 can import numpy (never skipped: without it this file fails)', () => {
  const probe = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { env, encoding: 'utf8' });
  if (probe.status !== 0) throw new Error(`${NO_NUMPY}: ${probe.error?.message ?? probe.stderr}`);
  expect(probe.stdout.trim()).toMatch(/^\d+\.\d+/);
});

function reference(input: PairedComparisonInput, checkWeights: number[][], checkMasks: number[][]): Reference {
  dir ??= mkdtempSync(join(tmpdir(), 'clinsynth-bootstrap-ref-'));
  const file = join(dir, `in-${input.seed}.json`);
  writeFileSync(file, JSON.stringify({ ...input, check_weights: checkWeights, check_masks: checkMasks }));
  const r = spawnSync('python3', [SCRIPT, file], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0)
    throw new Error(
      `tests/reference/paired_bootstrap.py failed (exit ${r.status}; ${NO_NUMPY}): ${r.error?.message ?? r.stderr}`,
    );
  return JSON.parse(r.stdout) as Reference;
}

/** Tolerance for two independent Monte Carlo p-value estimates with R permutations each: 4.5 SE of the difference. */
const pTolerance = (p: number): number => Math.max(0.002, 4.5 * Math.sqrt((2 * p * (1 - p)) / R));

const s = sample();
const cases: [string, PairedComparisonInput][] = [
  [
    'clearly better (3 vs 3 seeds)',
    {
      gold: s.gold,
      clusters: s.clusters,
      labels: s.labels,
      system: s.good,
      baseline: s.fair,
      resamples: R,
      alpha: 0.05,
      seed: 101,
    },
  ],
  [
    'close (3 vs 2 seeds)',
    {
      gold: s.gold,
      clusters: s.clusters,
      labels: s.labels,
      system: s.fair,
      baseline: s.near,
      resamples: R,
      alpha: 0.05,
      seed: 202,
    },
  ],
  [
    'somewhat better (3 vs 3 seeds)',
    {
      gold: s.gold,
      clusters: s.clusters,
      labels: s.labels,
      system: s.mid,
      baseline: s.fair,
      resamples: R,
      alpha: 0.1,
      seed: 303,
    },
  ],
];

describe.each(cases)('pairedComparison against numpy: %s', (_name, input) => {
  const prep = prepareComparison(input);
  const rand = mulberry32(input.seed + 1);
  const nC = prep.nClusters;
  // Exact checks: the full data, a few bootstrap-style multiplicity vectors and permutation coin vectors.
  const weights = [new Array<number>(nC).fill(1)];
  for (let i = 0; i < 12; i++) {
    const w = new Array<number>(nC).fill(0);
    for (let d = 0; d < nC; d++) w[Math.floor(rand() * nC)]! += 1;
    weights.push(w);
  }
  const masks = [new Array<number>(nC).fill(0), new Array<number>(nC).fill(1)];
  for (let i = 0; i < 12; i++) masks.push(Array.from({ length: nC }, () => (rand() < 0.5 ? 1 : 0)));

  // Computed once, on first use inside a test, so that a missing numpy fails every test with its message.
  let both: { ts: PairedComparison; py: Reference } | undefined;
  const run = (): { ts: PairedComparison; py: Reference } => {
    if (!both) {
      both = { ts: pairedComparison(input), py: reference(input, weights, masks) };
      if (process.env.DEBUG_REF)
        console.log(
          JSON.stringify({ ts: both.ts, py: { ...both.py, checkWeights: undefined, checkMasks: undefined } }),
        );
    }
    return both;
  };

  it('has 80 clusters (60 notes and 20 note-less sentences)', () => {
    expect(nC).toBe(80);
  });

  it('agrees exactly (1e-12) on the statistic for given cluster weights and permutation coins', () => {
    const { py } = run();
    weights.forEach((w, i) => {
      const d = prep.deltaAt(w);
      const ref = py.checkWeights[i]!;
      expect(Math.abs(d.macroF1 - ref.macroF1)).toBeLessThan(1e-12);
      expect(Math.abs(d.microF1 - ref.microF1)).toBeLessThan(1e-12);
      d.perLabel.forEach((v, l) => expect(Math.abs(v - ref.perLabel[l]!)).toBeLessThan(1e-12));
    });
    masks.forEach((m, i) => {
      const d = prep.permutedDelta(m);
      expect(Math.abs(d.macroF1 - py.checkMasks[i]!.macroF1)).toBeLessThan(1e-12);
      expect(Math.abs(d.microF1 - py.checkMasks[i]!.microF1)).toBeLessThan(1e-12);
    });
  });

  it('agrees on the deltas (1e-9)', () => {
    const { ts, py } = run();
    expect(Math.abs(ts.macroF1.delta - py.macroF1.delta)).toBeLessThan(1e-9);
    expect(Math.abs(ts.microF1.delta - py.microF1.delta)).toBeLessThan(1e-9);
    for (const l of input.labels) expect(Math.abs(ts.perLabel[l]!.delta - py.perLabel[l]!.delta)).toBeLessThan(1e-9);
  });

  it('agrees on the bootstrap CIs within Monte Carlo error at 10,000 resamples', () => {
    const { ts, py } = run();
    for (const m of ['macroF1', 'microF1'] as const) {
      expect(Math.abs(ts[m].ci[0] - py[m].ci[0])).toBeLessThan(0.005);
      expect(Math.abs(ts[m].ci[1] - py[m].ci[1])).toBeLessThan(0.005);
    }
    // Per-label F1 deltas spread much more (a label may have 10 gold sentences), so the quantile's Monte Carlo error
    // is relative: ≈ 0.01 × the interval width for two independent 2.5 % quantiles at R = 10,000; allow 5 %.
    for (const l of input.labels) {
      const a = ts.perLabel[l]!.ci;
      const b = py.perLabel[l]!.ci;
      const tol = Math.max(0.005, 0.05 * (b[1] - b[0]));
      expect(Math.abs(a[0] - b[0])).toBeLessThan(tol);
      expect(Math.abs(a[1] - b[1])).toBeLessThan(tol);
    }
  });

  it('agrees on the randomisation p-values within Monte Carlo error', () => {
    const { ts, py } = run();
    for (const m of ['macroF1', 'microF1'] as const)
      expect(Math.abs(ts[m].p - py[m].p)).toBeLessThan(pTolerance(py[m].p));
  });
});
