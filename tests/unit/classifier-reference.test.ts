// Our logreg head against scikit-learn's (tests/reference/logreg.py): the same optimum of the same objective.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { trainClassifier, DEFAULTS } from '../../lib/model/classifier.js';
import { LOGREG_LBFGS } from '../../lib/model/logreg-fit.js';
import { SKLEARN_PYTHON, sklearnLogreg, syntheticRows } from '../../bench/sklearn-logreg.js';

describe('logreg vs scikit-learn (lbfgs, class_weight balanced, standardised, C = 1/(n·l2))', () => {
  it('the test venv exists (never skipped: without it this file fails; bash scripts/setup.sh makes it)', () => {
    expect(existsSync(SKLEARN_PYTHON), SKLEARN_PYTHON).toBe(true);
  });

  it('reaches the same weights and probabilities, with labels fitted together in one pass per round', () => {
    // 1,500 rows, 9 labels (2%…25% positive), 48 features; and a label with no positive row (a constant head).
    const data = syntheticRows(1500, 3, { d: 48 });
    data.labels.push('never');
    const l2 = DEFAULTS.logreg.l2;
    const head = trainClassifier(data.X, data.Y, data.labels, { kind: 'logreg', seed: 1, validationShare: 0.2 });
    const sk = sklearnLogreg(data, {
      l2,
      tol: LOGREG_LBFGS.gtol,
      maxIter: LOGREG_LBFGS.maxIter,
      fits: [null],
      coef: true,
    });
    const coef = sk.coef[0]!;
    expect(coef[data.labels.length - 1]).toBeNull();
    expect(head.thresholds[data.labels.length - 1]).toBeGreaterThan(1);
    let worst = 0;
    let scale = 0;
    data.labels.slice(0, -1).forEach((_, j) => {
      const c = coef[j]!;
      head.weights[j]!.forEach((w, k) => {
        worst = Math.max(worst, Math.abs(w - c[k]!));
        scale = Math.max(scale, Math.abs(c[k]!));
      });
      worst = Math.max(worst, Math.abs(head.biases[j]! - c[data.d]!));
    });
    // Both stop at max |gradient| ≤ 1e-6 on a λ = 1e-2 strongly convex objective: ‖Δw‖ ≲ 1e-4 on standardised
    // features, a little more in raw space (÷ feature sd).
    expect(worst / scale).toBeLessThan(1e-3);
    let probWorst = 0;
    data.X.forEach((x) => {
      data.labels.slice(0, -1).forEach((_, j) => {
        const c = coef[j]!;
        let zs = c[data.d]!;
        let zo = head.biases[j]!;
        for (let k = 0; k < data.d; k++) {
          zs += c[k]! * x[k]!;
          zo += head.weights[j]![k]! * x[k]!;
        }
        probWorst = Math.max(probWorst, Math.abs(1 / (1 + Math.exp(-zs)) - 1 / (1 + Math.exp(-zo))));
      });
    });
    expect(probWorst).toBeLessThan(1e-4);
  });
});
