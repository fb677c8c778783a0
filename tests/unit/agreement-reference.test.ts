// Cross-checks Cohen's κ, precision, recall (lib/evaluate/label-agreement.ts), JS divergence and self-similarity (lib/fidelity/measures.ts) against scikit-learn and scipy.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agreementWithCi, cohenKappa, confusionOf } from '../../lib/evaluate/label-agreement.js';
import { jensenShannonDivergence, meanPairwiseCosine } from '../../lib/fidelity/measures.js';
import { mulberry32 } from '../../lib/run/random.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';

/** The hash-pinned test venv of scripts/test-venv-setup.sh (scikit-learn, scipy, numpy); CLINSYNTH_TEST_PYTHON overrides it. */
const PYTHON = process.env.CLINSYNTH_TEST_PYTHON ?? join(PROJECT_ROOT, '.tools', 'test-venv', 'bin', 'python');
const SCRIPT = join(PROJECT_ROOT, 'tests', 'reference', 'agreement.py');

function unit(v: number[]): Float32Array {
  const n = Math.hypot(...v);
  return Float32Array.from(v.map((x) => x / n));
}

describe('agreement and fidelity measures against scikit-learn / scipy', () => {
  const rand = mulberry32(7);
  // Label columns of varied base rates and agreement, 40–200 sentences; one all-negative LLM column, one perfect one.
  const cases = Array.from({ length: 30 }, (_v, k) => {
    const n = 40 + Math.floor(rand() * 160);
    const rate = 0.05 + rand() * 0.5;
    const noise = k === 0 ? 0 : rand() * 0.4;
    const gold: number[] = Array.from({ length: n }, () => (rand() < rate ? 1 : 0));
    const llm: number[] = k === 1 ? gold.map(() => 0) : gold.map((g) => (rand() < noise ? 1 - g : g));
    if (!gold.includes(1)) gold[0] = 1;
    return { gold, llm };
  });
  const js = Array.from({ length: 10 }, (_v, k) => {
    const p = Array.from({ length: 6 }, () => Math.floor(rand() * 40));
    const q = Array.from({ length: 6 }, (_x, i) =>
      k === 0 ? p[i]! * 3 : i === 5 && k === 1 ? 0 : Math.floor(rand() * 40),
    );
    p[0]! += 1;
    q[1]! += 1;
    return { p, q };
  });
  const cosine = Array.from({ length: 5 }, () =>
    Array.from({ length: 3 + Math.floor(rand() * 30) }, () =>
      Array.from(unit(Array.from({ length: 16 }, () => rand() - 0.3))),
    ),
  );

  it('κ, precision and recall per label equal scikit-learn to 1e-9; JS and self-similarity equal scipy / sklearn', () => {
    const r = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify({ kappa: cases, js, cosine }), encoding: 'utf8' });
    expect(
      r.error,
      `${PYTHON} did not start: the test venv comes from scripts/setup.sh (scripts/test-venv-setup.sh)`,
    ).toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    const ref = JSON.parse(r.stdout) as {
      kappa: { kappa: number; precision: number; recall: number }[];
      js: number[];
      cosine: number[];
    };
    cases.forEach((c, i) => {
      const gold = c.gold.map((g) => (g ? ['x'] : []));
      const llm = c.llm.map((p) => (p ? ['x'] : []));
      const conf = confusionOf(gold, llm, 'x');
      const kappa = cohenKappa(conf);
      expect(kappa).not.toBeNull();
      expect(Math.abs(kappa! - ref.kappa[i]!.kappa), `case ${i}`).toBeLessThan(1e-9);
      const s = agreementWithCi(
        gold,
        llm,
        gold.map((_g, j) => `n${j % 7}`),
        ['x'],
        { resamples: 20, alpha: 0.05, seed: 1 },
      ).perLabel.x!;
      expect(s.kappa.value).toBe(kappa);
      expect(Math.abs(s.precision.value! - ref.kappa[i]!.precision)).toBeLessThan(1e-12);
      expect(Math.abs(s.recall.value! - ref.kappa[i]!.recall)).toBeLessThan(1e-12);
    });
    js.forEach((c, i) => {
      const keys = (xs: number[]) => Object.fromEntries(xs.map((x, j) => [`l${j}`, x]));
      expect(Math.abs(Math.sqrt(jensenShannonDivergence(keys(c.p), keys(c.q))!) - ref.js[i]!), `js ${i}`).toBeLessThan(
        1e-9,
      );
    });
    expect(jensenShannonDivergence({ a: 1, b: 3 }, { a: 2, b: 6 })).toBeCloseTo(0, 12); // proportional: no divergence
    expect(jensenShannonDivergence({ a: 1, b: 0 }, { a: 0, b: 1 })).toBeCloseTo(1, 12); // disjoint: 1 bit
    cosine.forEach((vs, i) => {
      expect(
        Math.abs(meanPairwiseCosine(vs.map((v) => Float32Array.from(v)))! - ref.cosine[i]!),
        `cosine ${i}`,
      ).toBeLessThan(1e-6);
    });
  });

  it('the note-cluster bootstrap interval contains the estimate, is deterministic, and is not degenerate with few notes', () => {
    const gold = cases[5]!.gold.map((g) => (g ? ['x'] : []));
    const llm = cases[5]!.llm.map((p) => (p ? ['x'] : []));
    const many = agreementWithCi(
      gold,
      llm,
      gold.map((_g, j) => `n${j}`),
      ['x'],
      { resamples: 500, alpha: 0.05, seed: 3 },
    ).perLabel.x!;
    const few = agreementWithCi(
      gold,
      llm,
      gold.map((_g, j) => `n${j % 4}`),
      ['x'],
      { resamples: 500, alpha: 0.05, seed: 3 },
    ).perLabel.x!;
    const again = agreementWithCi(
      gold,
      llm,
      gold.map((_g, j) => `n${j}`),
      ['x'],
      { resamples: 500, alpha: 0.05, seed: 3 },
    ).perLabel.x!;
    expect(again).toEqual(many);
    expect(many.kappa.ci![0]).toBeLessThanOrEqual(many.kappa.value!);
    expect(many.kappa.ci![1]).toBeGreaterThanOrEqual(many.kappa.value!);
    expect(few.recall.ci![1] - few.recall.ci![0]).toBeGreaterThan(0);
    expect(cohenKappa({ tp: 0, fp: 0, fn: 0, tn: 9 })).toBeNull();
  });
});
