#!/usr/bin/env python3
"""numpy reference for lib/evaluate/paired-bootstrap.ts: an independent, vectorised implementation of the same definitions.

Usage: paired_bootstrap.py INPUT.json  → prints JSON on stdout.

INPUT: {gold, clusters, labels, system, baseline, resamples, alpha, seed} as pairedComparison takes them, optionally
check_weights (list of per-cluster multiplicity vectors) and check_masks (list of per-cluster 0/1 flip vectors): for
those the exact deltas are printed too, so definitions can be compared without Monte Carlo noise.

Definitions (see the comment at the top of paired-bootstrap.ts):
  counts: TP/FP/FN per seed × sentence × label, summed per cluster (None or "" → own cluster; first-appearance order);
  seed score: F1_l = 2TP/(2TP+FP+FN) (0 if 0/0), macro = mean over all labels, micro from label-summed counts;
  system score = mean over its seeds; delta = system − baseline on the full data;
  bootstrap: numpy.random.default_rng(seed).integers(0, nClusters, (R, nClusters)) cluster draws, same for all seeds;
    CI = numpy.percentile(deltas, [100·α/2, 100·(1−α/2)]) (default 'linear');
  randomisation: coins = rng.random((R, nClusters)) < 0.5 (the same rng, after the bootstrap draws); for every pair of
    system seed i and baseline seed j, A_ij = seed i with flipped clusters taken from baseline seed j, B_ij the mirror;
    delta_perm = mean over pairs of score(A_ij) − score(B_ij); p = (#{|delta_perm| ≥ |delta_obs| − 1e-12} + 1)/(R + 1).
"""
import json
import sys

try:
    import numpy as np
except ImportError as exc:  # the TS test turns this into a clear failure
    print(f"paired_bootstrap.py: numpy is not importable ({exc}); install it (scripts/tools-requirements.txt → .tools/py)", file=sys.stderr)
    sys.exit(3)

TIE = 1e-12


def binarize(rows, labels):
    """(sentences, labels) boolean indicator matrix; labels outside the list are ignored."""
    return np.array([[lab in set(row) for lab in labels] for row in rows], dtype=bool).reshape(len(rows), len(labels))


def cluster_ids(clusters):
    ids, seen = [], {}
    n_clusters = 0
    for c in clusters:
        if c is None or c == "":
            ids.append(n_clusters)
            n_clusters += 1
        else:
            if c not in seen:
                seen[c] = n_clusters
                n_clusters += 1
            ids.append(seen[c])
    return np.array(ids, dtype=np.int64), n_clusters


def f1(tp, fp, fn):
    den = 2.0 * tp + fp + fn
    return np.divide(2.0 * tp, den, out=np.zeros_like(den, dtype=float), where=den > 0)


def scores(sums):
    """sums (..., L, 3) → (per-label F1 (..., L), macro (...), micro (...))."""
    per_label = f1(sums[..., 0], sums[..., 1], sums[..., 2])
    tot = sums.sum(axis=-2)
    return per_label, per_label.mean(axis=-1), f1(tot[..., 0], tot[..., 1], tot[..., 2])


def deltas(sums, s1):
    """sums (..., X, L, 3) with system seeds first → (macro, micro, per-label) deltas of the seed means."""
    per_label, macro, micro = scores(sums)
    d_macro = macro[..., :s1].mean(axis=-1) - macro[..., s1:].mean(axis=-1)
    d_micro = micro[..., :s1].mean(axis=-1) - micro[..., s1:].mean(axis=-1)
    d_label = per_label[..., :s1, :].mean(axis=-2) - per_label[..., s1:, :].mean(axis=-2)
    return d_macro, d_micro, d_label


def perm_deltas(total, swapped, s1):
    """total (X, L, 3); swapped (R, X, L, 3) = counts of the flipped clusters → (macro, micro) Δ_perm, shape (R,)."""
    t_sys, t_base = total[:s1], total[s1:]
    w_sys, w_base = swapped[:, :s1], swapped[:, s1:]
    # broadcast to (R, S1, S2, L, 3)
    a = t_sys[None, :, None] - w_sys[:, :, None] + w_base[:, None, :]
    b = t_base[None, None, :] - w_base[:, None, :] + w_sys[:, :, None]
    _, macro_a, micro_a = scores(a)
    _, macro_b, micro_b = scores(b)
    return (macro_a - macro_b).mean(axis=(1, 2)), (micro_a - micro_b).mean(axis=(1, 2))


def main():
    with open(sys.argv[1], encoding="utf-8") as fh:
        inp = json.load(fh)
    labels = inp["labels"]
    gold = binarize(inp["gold"], labels)
    preds = np.stack([binarize(s, labels) for s in inp["system"] + inp["baseline"]])  # (X, N, L)
    s1 = len(inp["system"])
    cnt = np.stack([preds & gold, preds & ~gold, ~preds & gold], axis=-1).astype(np.int64)  # (X, N, L, 3)
    cid, n_clusters = cluster_ids(inp["clusters"])
    counts = np.zeros((n_clusters,) + cnt.shape[:1] + cnt.shape[2:], dtype=np.int64)  # (C, X, L, 3)
    np.add.at(counts, cid, cnt.transpose(1, 0, 2, 3))
    flat = counts.reshape(n_clusters, -1).astype(float)
    shape = counts.shape[1:]
    total = counts.sum(axis=0).astype(float)

    obs_macro, obs_micro, obs_label = deltas(total, s1)

    R, alpha = int(inp["resamples"]), float(inp["alpha"])
    rng = np.random.default_rng(inp["seed"])
    draws = rng.integers(0, n_clusters, size=(R, n_clusters))
    weights = np.zeros((R, n_clusters))
    np.add.at(weights, (np.arange(R)[:, None], draws), 1.0)
    boot_macro, boot_micro, boot_label = deltas((weights @ flat).reshape((R,) + shape), s1)
    q = [100 * alpha / 2, 100 * (1 - alpha / 2)]

    coins = (rng.random((R, n_clusters)) < 0.5).astype(float)
    perm_macro, perm_micro = perm_deltas(total, (coins @ flat).reshape((R,) + shape), s1)

    def p_value(perm, obs):
        return float((np.count_nonzero(np.abs(perm) >= abs(obs) - TIE) + 1) / (R + 1))

    out = {
        "numpy": np.__version__,
        "macroF1": {"delta": float(obs_macro), "ci": np.percentile(boot_macro, q).tolist(), "p": p_value(perm_macro, obs_macro)},
        "microF1": {"delta": float(obs_micro), "ci": np.percentile(boot_micro, q).tolist(), "p": p_value(perm_micro, obs_micro)},
        "perLabel": {lab: {"delta": float(obs_label[i]), "ci": np.percentile(boot_label[:, i], q).tolist()} for i, lab in enumerate(labels)},
    }
    if inp.get("check_weights"):
        w = np.array(inp["check_weights"], dtype=float)
        m, u, lab = deltas((w @ flat).reshape((len(w),) + shape), s1)
        out["checkWeights"] = [{"macroF1": float(m[i]), "microF1": float(u[i]), "perLabel": lab[i].tolist()} for i in range(len(w))]
    if inp.get("check_masks"):
        msk = np.array(inp["check_masks"], dtype=float)
        m, u = perm_deltas(total, (msk @ flat).reshape((len(msk),) + shape), s1)
        out["checkMasks"] = [{"macroF1": float(m[i]), "microF1": float(u[i])} for i in range(len(msk))]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
