#!/usr/bin/env python3
"""Writes ranking_fixtures.json: inputs and scikit-learn's roc_auc_score / average_precision_score for them.

Run with Debian's python3 (python3-sklearn): /usr/bin/python3 tests/imbalance/make_ranking_fixtures.py
The JSON is committed; tests/imbalance/ranking_test.cpp checks nabla's metrics::roc_auc_score and
average_precision_score against it.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.metrics import average_precision_score, roc_auc_score

rng = np.random.default_rng(20261202)
cases = []


def add(name, y, s, w=None):
    y = np.asarray(y, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    case = {"name": name, "y_true": y.tolist(), "y_score": s.tolist()}
    if w is not None:
        w = np.asarray(w, dtype=np.float64)
        case["sample_weight"] = w.tolist()
    case["roc_auc"] = float(roc_auc_score(y, s, sample_weight=w))
    case["average_precision"] = float(average_precision_score(y, s, sample_weight=w))
    cases.append(case)


# A confident classifier on a skewed problem (95% positives): most scores of both classes sit above 198/199,
# in Keras's top threshold bucket, so the 200-threshold approximation cannot rank them (about 0.97 vs 0.99).
n = 2000
y = (rng.random(n) < 0.95).astype(np.float64)
logit = np.where(y == 1, rng.normal(10.0, 2.0, n), rng.normal(5.0, 2.0, n))
add("skewed_confident", y, (1 / (1 + np.exp(-logit))).astype(np.float32))
# Heavy ties: scores rounded to one decimal, so many thresholds hold both classes.
y = (rng.random(300) < 0.3).astype(np.float64)
s = np.round(np.clip(0.3 * y + rng.random(300) * 0.7, 0, 1), 1)
add("ties", y, s)
# Weights, some of them zero.
w = rng.integers(0, 4, 300).astype(np.float64)
add("ties_weighted", y, s, w)
add("continuous_weighted", y, rng.random(300) + 0.2 * y, rng.random(300))
# Small cases by hand.
add("hand", [0, 0, 1, 1, 0, 1, 0, 0, 1, 0], [0.1, 0.4, 0.35, 0.8, 0.05, 0.9, 0.62, 0.2, 0.55, 0.3])
add("all_tied", [0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])
add("reversed", [1, 1, 0, 0], [0.1, 0.2, 0.7, 0.9])

# One-vs-rest on class ids with [N, C] scores: sklearn's roc_auc_score(y == c, p[:, c]).
ids = rng.integers(0, 3, 200)
p = rng.random((200, 3)) + 0.5 * np.eye(3)[ids]
p = p / p.sum(axis=1, keepdims=True)
ovr = {"name": "one_vs_rest", "y_true": ids.tolist(), "y_score": p.tolist(), "class_id": 2,
       "roc_auc": float(roc_auc_score(ids == 2, p[:, 2])),
       "average_precision": float(average_precision_score(ids == 2, p[:, 2]))}
cases.append(ovr)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ranking_fixtures.json")
with open(out + ".tmp", "w") as f:
    json.dump({"sklearn": sklearn.__version__, "cases": cases}, f)
    f.write("\n")
os.replace(out + ".tmp", out)
print("wrote", out, "with", len(cases), "cases, scikit-learn", sklearn.__version__)
