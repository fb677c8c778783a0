#!/usr/bin/env python3
"""scikit-learn reference for lib/model/logreg-fit.ts: one-vs-rest LogisticRegression (lbfgs, class_weight='balanced'),
standardised features, the same objective and tolerance; used by tests/unit/classifier-reference.test.ts and the
logreg-fit and p6-scale benchmarks.

Usage: logreg.py INPUT.json OUTPUT.json

INPUT: {"x": path of n×d float32 row-major, "y": path of L×n uint8 (label-major), "n", "d", "labels": L, "l2", "tol",
        "maxIter", "fits": [{"rows": path of int32 row indices or null (every row)}], "coef": bool}
Each fit: z-score the rows' features (population sd, sd ≤ 1e-12 → 1), then per label with both classes
LogisticRegression(C = 1/(n_fit·l2), tol, max_iter, class_weight='balanced'): scikit-learn minimises
(1/Σc_i) Σ c_i·logloss_i + 1/(2·C·Σc_i)·‖w‖² with Σc_i = n_fit for balanced weights, i.e. our mean weighted loss + l2/2·‖w‖².
The timed part of a fit is standardising plus the label fits (as ours). OUTPUT: {"seconds": [per fit], "coef": per fit
[L × (d + 1)] in RAW feature space (weights, then bias; null for a one-class label) when asked, "iterations", "versions"}.
"""
import json
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression


def main(src, dst):
    inp = json.load(open(src))
    n, d, L = inp["n"], inp["d"], inp["labels"]
    X_all = np.fromfile(inp["x"], dtype=np.float32).reshape(n, d)
    Y_all = np.fromfile(inp["y"], dtype=np.uint8).reshape(L, n)
    out = {"seconds": [], "coef": [], "iterations": [], "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__}}
    for fit in inp["fits"]:
        rows = np.fromfile(fit["rows"], dtype=np.int32) if fit.get("rows") else None
        t = time.perf_counter()
        X = (X_all[rows] if rows is not None else X_all).astype(np.float64)
        Y = Y_all[:, rows] if rows is not None else Y_all
        m = X.shape[0]
        mean = X.mean(axis=0)
        sd = X.std(axis=0)
        sd[sd <= 1e-12] = 1.0
        Z = (X - mean) / sd
        coefs, its = [], []
        for j in range(L):
            y = Y[j]
            if y.min() == y.max():
                coefs.append(None)
                its.append(0)
                continue
            clf = LogisticRegression(C=1.0 / (m * inp["l2"]), tol=inp["tol"], max_iter=inp["maxIter"], class_weight="balanced")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf.fit(Z, y)
            w = clf.coef_[0] / sd
            b = clf.intercept_[0] - float(w @ mean)
            coefs.append([*w.tolist(), b])
            its.append(int(clf.n_iter_[0]))
        out["seconds"].append(time.perf_counter() - t)
        out["iterations"].append(its)
        out["coef"].append(coefs if inp.get("coef") else None)
    json.dump(out, open(dst, "w"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
