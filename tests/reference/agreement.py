"""Independent reference for lib/evaluate/label-agreement.ts and lib/fidelity/measures.ts: scikit-learn and scipy.

Reads JSON on stdin: {"kappa": [{"gold": [0/1...], "llm": [0/1...]}...], "js": [{"p": [...], "q": [...]}...],
"cosine": [[[...vector...]...]...]} and writes, in the same order, scikit-learn cohen_kappa_score / precision_score /
recall_score (zero_division=0), scipy.spatial.distance.jensenshannon(p, q, base=2) and the mean off-diagonal entry of
sklearn.metrics.pairwise.cosine_similarity.
"""
import json
import sys

import numpy as np
import scipy
import sklearn
from scipy.spatial.distance import jensenshannon
from sklearn.metrics import cohen_kappa_score, precision_score, recall_score
from sklearn.metrics.pairwise import cosine_similarity

data = json.load(sys.stdin)
out = {"versions": {"sklearn": sklearn.__version__, "scipy": scipy.__version__}, "kappa": [], "js": [], "cosine": []}
for case in data["kappa"]:
    g, p = np.array(case["gold"]), np.array(case["llm"])
    out["kappa"].append({
        "kappa": float(cohen_kappa_score(g, p)),
        "precision": float(precision_score(g, p, zero_division=0)),
        "recall": float(recall_score(g, p, zero_division=0)),
    })
for case in data["js"]:
    out["js"].append(float(jensenshannon(np.array(case["p"], dtype=float), np.array(case["q"], dtype=float), base=2)))
for vecs in data["cosine"]:
    m = cosine_similarity(np.array(vecs, dtype=np.float64))
    n = m.shape[0]
    out["cosine"].append(float((m.sum() - np.trace(m)) / (n * (n - 1))))
json.dump(out, sys.stdout)
