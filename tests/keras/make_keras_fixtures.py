#!/usr/bin/env python3
"""Reference numbers for nabla's Keras 3 parity tests, computed by Keras 3 itself.

Run with a Python that has Keras 3 and JAX:
    python tests/keras/make_keras_fixtures.py > tests/keras/keras_fixtures.json
The JAX backend with 64-bit enabled is used because Keras's numpy backend converts float64 inputs to float32
inside the loss functions (convert_to_tensor without a dtype), which moves the clip bound 1 - 1e-7 to float32's
0.99999988 and would make the float64 references float32 ones.
The output is committed, so the tests need neither Python nor Keras at run time. Every case names the Keras
class and the arguments it was built with; keras_parity_test.cpp builds the nabla object with the same name and
arguments and compares. Inputs are float32-representable and the computation runs in float64 (floatx float64),
so the expected values are Keras's formulas evaluated exactly, not float32 rounding.
"""
import json
import os
import sys

os.environ["KERAS_BACKEND"] = "jax"
os.environ["JAX_ENABLE_X64"] = "1"
import numpy as np  # noqa: E402
import keras  # noqa: E402

keras.config.set_floatx("float64")
RNG = np.random.RandomState(20)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def uniform(*shape, lo=-1.0, hi=1.0):
    return f32(RNG.uniform(lo, hi, size=shape))


def enc(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


CASES = {"losses": [], "metrics": [], "optimizers": [], "activations": []}


# ---- Losses ------------------------------------------------------------------------------------------------------

def loss_case(name, cls, kwargs, y_true, y_pred, sample_weight=None, keras_cls=None, keras_y_true=None):
    """keras_cls/keras_y_true: how Keras computes a nabla-only loss (SparseCategoricalFocalCrossentropy is the
    categorical one on one-hot targets)."""
    loss = getattr(keras.losses, keras_cls or cls)(**kwargs)
    yk = y_true if keras_y_true is None else keras_y_true
    out = loss(yk, y_pred, sample_weight=sample_weight) if sample_weight is not None else loss(yk, y_pred)
    case = {"name": name, "class": cls, "kwargs": kwargs, "y_true": enc(y_true), "y_pred": enc(y_pred),
            "expected": enc(np.asarray(out))}
    if sample_weight is not None:
        case["sample_weight"] = enc(sample_weight)
    # Probabilities within 1e-6 of 0 or 1 meet the clip at 1 - 1e-7, which float32 rounds to 0.99999988: Keras
    # and nabla in float32 both use that bound, so the float64 reference holds for float64 only.
    p = 1 / (1 + np.exp(-y_pred)) if kwargs.get("from_logits") and "Focal" in cls else y_pred
    case["float64_only"] = bool((((p > 0) & (p < 1e-6)) | ((p > 1 - 1e-6) & (p < 1))).any())
    CASES["losses"].append(case)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def losses():
    reductions = ["sum_over_batch_size", "sum", "mean", "none", "mean_with_sample_weight"]
    n, c = 6, 4
    labels = f32(RNG.randint(0, c, size=n))
    # Probabilities whose rows do not sum to 1: Keras renormalises them (the factor-3 drift of issue 20).
    probs = f32(softmax(uniform(n, c, lo=-2, hi=2)) * uniform(n, 1, lo=0.3, hi=3))
    logits = uniform(n, c, lo=-3, hi=3)
    sw = uniform(n, lo=0.1, hi=2)
    for r in reductions:
        loss_case(f"scce_probs_{r}", "SparseCategoricalCrossentropy", {"reduction": r}, labels, probs)
        loss_case(f"scce_probs_weighted_{r}", "SparseCategoricalCrossentropy", {"reduction": r}, labels, probs, sw)
    loss_case("scce_logits", "SparseCategoricalCrossentropy", {"from_logits": True}, labels, logits)
    loss_case("scce_labels_n1", "SparseCategoricalCrossentropy", {"from_logits": True}, labels[:, None], logits)
    loss_case("scce_scalar_weight", "SparseCategoricalCrossentropy", {"from_logits": True}, labels, logits,
              np.float64(0.5))
    # ignore_class, flat and dense (segmentation [N, H, W] labels), with every reduction and with weights.
    ign = labels.copy()
    ign[[1, 4]] = 255
    for r in reductions:
        loss_case(f"scce_ignore_{r}", "SparseCategoricalCrossentropy", {"ignore_class": 255, "reduction": r},
                  ign, probs)
        loss_case(f"scce_ignore_logits_weighted_{r}", "SparseCategoricalCrossentropy",
                  {"ignore_class": 255, "from_logits": True, "reduction": r}, ign, logits, sw)
    seg = f32(RNG.randint(0, 3, size=(2, 3, 3)))
    seg[0, 0, :] = -1
    seg_logits = uniform(2, 3, 3, 3, lo=-2, hi=2)
    loss_case("scce_dense_ignore", "SparseCategoricalCrossentropy", {"ignore_class": -1, "from_logits": True},
              seg, seg_logits)
    loss_case("scce_dense_ignore_weighted", "SparseCategoricalCrossentropy",
              {"ignore_class": -1, "from_logits": True}, seg, seg_logits, uniform(2, 3, 3, lo=0.1, hi=2))
    loss_case("scce_dense_per_sample_weight", "SparseCategoricalCrossentropy", {"from_logits": True},
              np.where(seg < 0, 0, seg), seg_logits, uniform(2, 1, 1, lo=0.1, hi=2))

    # Categorical crossentropy: unnormalised probabilities, logits, smoothing, [N, T, C] with [N, T] weights.
    onehot = f32(np.eye(c)[labels.astype(int)])
    soft = f32(softmax(uniform(n, c)))
    for r in reductions:
        loss_case(f"cce_probs_weighted_{r}", "CategoricalCrossentropy", {"reduction": r}, soft, probs, sw)
    loss_case("cce_logits_smoothing", "CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1},
              onehot, logits)
    seq_t = f32(np.eye(3)[RNG.randint(0, 3, size=(2, 5))])
    seq_p = f32(softmax(uniform(2, 5, 3, lo=-2, hi=2)))
    loss_case("cce_timesteps_weighted", "CategoricalCrossentropy", {}, seq_t, seq_p, uniform(2, 5, lo=0, hi=2))

    # Binary crossentropy: predictions within 1e-6 of 0 and 1 (Keras 3 clips, then takes the log).
    k = 3
    y_bin = f32(RNG.randint(0, 2, size=(n, k)))
    p_bin = f32(RNG.uniform(0.05, 0.95, size=(n, k)))
    p_bin[0, :] = [1e-9, 1 - 1e-7, 3e-7]
    p_bin[1, :] = [1 - 1e-9, 2e-7, 1 - 3e-7]
    y_bin[0, :] = [1, 0, 1]
    y_bin[1, :] = [0, 1, 0]
    for r in reductions:
        loss_case(f"bce_probs_weighted_{r}", "BinaryCrossentropy", {"reduction": r}, y_bin, p_bin, sw)
    loss_case("bce_probs_smoothing", "BinaryCrossentropy", {"label_smoothing": 0.2}, y_bin, p_bin)
    loss_case("bce_logits", "BinaryCrossentropy", {"from_logits": True}, y_bin, uniform(n, k, lo=-5, hi=5))
    yt = f32(RNG.randint(0, 2, size=(4, 5, 1)))
    loss_case("bce_timesteps_weighted", "BinaryCrossentropy", {}, yt, f32(RNG.uniform(0.01, 0.99, size=(4, 5, 1))),
              uniform(4, 5, lo=0, hi=2))
    loss_case("bce_n1_weighted", "BinaryCrossentropy", {}, y_bin[:, :1], p_bin[:, :1], sw)

    # Binary focal crossentropy: probabilities near 0/1 and logits (Keras clips the sigmoid).
    for kw in ({}, {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5},
               {"from_logits": True, "gamma": 2.5, "label_smoothing": 0.1}):
        pred = uniform(n, k, lo=-20, hi=20) if kw.get("from_logits") else p_bin
        tag = "_".join(f"{a}" for a in kw) or "default"
        loss_case(f"binary_focal_{tag}", "BinaryFocalCrossentropy", kw, y_bin, pred, sw)
    loss_case("binary_focal_timesteps_weighted", "BinaryFocalCrossentropy", {"reduction": "sum"}, yt,
              f32(RNG.uniform(0.01, 0.99, size=(4, 5, 1))), uniform(4, 5, lo=0, hi=2))
    loss_case("categorical_focal", "CategoricalFocalCrossentropy", {"alpha": 0.4, "gamma": 1.0}, onehot, probs, sw)
    loss_case("categorical_focal_logits", "CategoricalFocalCrossentropy", {"from_logits": True, "reduction": "none"},
              onehot, logits)
    loss_case("sparse_categorical_focal", "SparseCategoricalFocalCrossentropy", {"gamma": 3.0}, labels, probs, sw,
              keras_cls="CategoricalFocalCrossentropy", keras_y_true=onehot)

    # Regression: [N, T, 1] targets with [N, T] weights; [N, K] with per-sample and scalar weights.
    y3 = uniform(4, 5, 1, lo=-2, hi=2)
    p3 = y3 + uniform(4, 5, 1, lo=-2.5, hi=2.5)
    w3 = uniform(4, 5, lo=0, hi=2)
    y2 = uniform(n, k, lo=-2, hi=2)
    p2 = y2 + uniform(n, k, lo=-2.5, hi=2.5)
    for cls, kw in (("MeanSquaredError", {}), ("MeanAbsoluteError", {}), ("Huber", {"delta": 0.7})):
        for r in reductions:
            loss_case(f"{cls}_timesteps_{r}", cls, dict(kw, reduction=r), y3, p3, w3)
        loss_case(f"{cls}_per_sample", cls, kw, y2, p2, sw)
        loss_case(f"{cls}_per_sample_n1", cls, kw, y2, p2, sw[:, None])
        loss_case(f"{cls}_scalar_weight", cls, kw, y2, p2, np.float64(2.5))
        loss_case(f"{cls}_rank1", cls, kw, y2[:, 0], p2[:, :1], sw)


# ---- Metrics -----------------------------------------------------------------------------------------------------

def metric_case(name, cls, kwargs, batches):
    """batches: (y_true, y_pred[, sample_weight]) tuples, fed to one metric in turn."""
    m = getattr(keras.metrics, cls)(**kwargs)
    enc_batches = []
    for b in batches:
        m.update_state(*b[:2], sample_weight=b[2] if len(b) > 2 else None)
        e = {"y_true": enc(b[0]), "y_pred": enc(b[1])}
        if len(b) > 2:
            e["sample_weight"] = enc(b[2])
        enc_batches.append(e)
    CASES["metrics"].append({"name": name, "class": cls, "kwargs": kwargs, "batches": enc_batches,
                             "expected": float(np.asarray(m.result()))})


def metrics():
    n, c = 8, 5
    labels = f32(RNG.randint(0, c, size=n))
    onehot = f32(np.eye(c)[labels.astype(int)])
    scores = f32(softmax(uniform(n, c, lo=-2, hi=2)))
    scores[0, :] = [0.3, 0.3, 0.1, 0.2, 0.1]  # ties: Keras's in_top_k counts them in
    labels[0] = 1
    onehot[0] = np.eye(c)[1]
    sw = uniform(n, lo=0.1, hi=2)
    ints = f32(RNG.randint(0, 3, size=(n, 3)))
    metric_case("accuracy", "Accuracy", {}, [(ints, np.where(RNG.rand(n, 3) < 0.6, ints, 1.0))])
    metric_case("accuracy_weighted_two_batches", "Accuracy", {},
                [(ints[:5], np.where(RNG.rand(5, 3) < 0.5, ints[:5], 2.0), sw[:5]),
                 (ints[5:], np.where(RNG.rand(3, 3) < 0.5, ints[5:], 0.0), sw[5:])])
    yb = f32(RNG.randint(0, 2, size=(4, 6, 1)))
    pb = f32(RNG.uniform(0, 1, size=(4, 6, 1)))
    metric_case("binary_accuracy_timesteps", "BinaryAccuracy", {}, [(yb, pb, uniform(4, 6, lo=0, hi=2))])
    metric_case("binary_accuracy_per_sample", "BinaryAccuracy", {"threshold": 0.7},
                [(yb[..., 0], pb[..., 0], uniform(4, lo=0.1, hi=2))])
    metric_case("binary_accuracy_scalar_weight_two_batches", "BinaryAccuracy", {},
                [(yb[:3, :, 0], pb[:3, :, 0], np.float64(2.0)), (yb[3:, :, 0], pb[3:, :, 0])])
    metric_case("binary_accuracy_n1_weights", "BinaryAccuracy", {}, [(yb[:, 0], pb[:, 0], uniform(4, 1, lo=0, hi=2))])
    metric_case("categorical_accuracy", "CategoricalAccuracy", {}, [(onehot, scores, sw)])
    seq_y = f32(np.eye(3)[RNG.randint(0, 3, size=(3, 4))])
    metric_case("categorical_accuracy_timesteps", "CategoricalAccuracy", {},
                [(seq_y, f32(softmax(uniform(3, 4, 3))), uniform(3, 4, lo=0, hi=2))])
    metric_case("sparse_categorical_accuracy", "SparseCategoricalAccuracy", {}, [(labels, scores, sw)])
    metric_case("sparse_categorical_accuracy_n1", "SparseCategoricalAccuracy", {}, [(labels[:, None], scores)])
    metric_case("top_k_default", "TopKCategoricalAccuracy", {}, [(f32(np.eye(7)[RNG.randint(0, 7, size=n)]),
                                                                  uniform(n, 7))])
    metric_case("top_k_2", "TopKCategoricalAccuracy", {"k": 2}, [(onehot, scores, sw)])
    metric_case("sparse_top_k_default", "SparseTopKCategoricalAccuracy", {},
                [(f32(RNG.randint(0, 7, size=n)), uniform(n, 7))])
    metric_case("sparse_top_k_1", "SparseTopKCategoricalAccuracy", {"k": 1}, [(labels, scores)])
    metric_case("sparse_top_k_3_weighted", "SparseTopKCategoricalAccuracy", {"k": 3}, [(labels, scores, sw)])
    y3 = uniform(4, 5, 1, lo=-2, hi=2)
    metric_case("mse_timesteps", "MeanSquaredError", {}, [(y3, y3 + uniform(4, 5, 1), uniform(4, 5, lo=0, hi=2))])
    metric_case("mae_per_sample", "MeanAbsoluteError", {}, [(y3[..., 0], y3[..., 0] + uniform(4, 5),
                                                             uniform(4, lo=0.1, hi=2))])
    yl = f32(RNG.randint(0, 2, size=n))
    logits = f32(np.round(RNG.uniform(-4, 4, size=n), 2) + 0.003)
    metric_case("auc_from_logits", "AUC", {"from_logits": True}, [(yl, logits)])
    metric_case("auc_pr_from_logits_weighted", "AUC", {"from_logits": True, "curve": "PR"}, [(yl, logits, sw)])
    # Precision/Recall: multi-label [N, C] elementwise; thresholds, top_k, class_id; binary [N, 1].
    ml_y = f32(RNG.randint(0, 2, size=(n, 4)))
    ml_p = f32(np.round(RNG.uniform(0, 1, size=(n, 4)), 2) + 0.001)
    for cls in ("Precision", "Recall"):
        metric_case(f"{cls}_multilabel", cls, {}, [(ml_y, ml_p)])
        metric_case(f"{cls}_multilabel_weighted", cls, {}, [(ml_y[:5], ml_p[:5], sw[:5]), (ml_y[5:], ml_p[5:])])
        metric_case(f"{cls}_threshold", cls, {"thresholds": 0.3}, [(ml_y, ml_p)])
        metric_case(f"{cls}_top_k", cls, {"top_k": 2}, [(ml_y, ml_p)])
        metric_case(f"{cls}_class_id", cls, {"class_id": 3}, [(ml_y, ml_p, sw)])
        metric_case(f"{cls}_top_k_class_id", cls, {"top_k": 1, "class_id": 2}, [(ml_y, ml_p)])
        metric_case(f"{cls}_binary", cls, {}, [(yl[:, None], f32(RNG.uniform(0, 1, size=(n, 1))))])
        metric_case(f"{cls}_softmax_onehot", cls, {}, [(onehot, f32(softmax(4 * np.log(scores))))])


# ---- Optimizers --------------------------------------------------------------------------------------------------

STEPS = 5


def optimizer_case(name, cls, kwargs, exclude_second=False):
    """Two variables (the second optionally excluded from weight decay), STEPS fixed gradients; the variables
    after every step."""
    opt = getattr(keras.optimizers, cls)(**kwargs)
    p0 = [uniform(3, 2, lo=-2, hi=2), uniform(4, lo=-2, hi=2)]
    grads = [[uniform(3, 2), uniform(4)] for _ in range(STEPS)]
    vs = [keras.Variable(p, dtype="float64") for p in p0]
    if exclude_second:
        opt.exclude_from_weight_decay(var_list=[vs[1]])
    traj = [[], []]
    for g in grads:
        opt.apply_gradients(zip([np.asarray(x) for x in g], vs))
        for i in range(2):
            traj[i].append(np.asarray(vs[i].numpy()).copy())
    CASES["optimizers"].append({
        "name": name, "class": cls, "kwargs": kwargs, "exclude_second": exclude_second,
        "params": [enc(p) for p in p0],
        "grads": [[enc(x) for x in step] for step in grads],
        "trajectory": [enc(np.stack(t)) for t in traj]})


def optimizers():
    optimizer_case("sgd_weight_decay", "SGD", {"learning_rate": 0.1, "weight_decay": 0.05})
    optimizer_case("sgd_momentum_nesterov_weight_decay", "SGD",
                   {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1})
    optimizer_case("rmsprop_weight_decay", "RMSprop", {"learning_rate": 0.01, "weight_decay": 0.2})
    optimizer_case("rmsprop_centered_momentum_weight_decay", "RMSprop",
                   {"learning_rate": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.02})
    optimizer_case("adam_weight_decay", "Adam", {"learning_rate": 0.02, "weight_decay": 0.1})
    optimizer_case("adamw_default", "AdamW", {})
    optimizer_case("adamw_exclude", "AdamW", {"learning_rate": 0.05, "weight_decay": 0.3}, exclude_second=True)
    optimizer_case("sgd_weight_decay_clipnorm", "SGD", {"learning_rate": 0.1, "weight_decay": 0.05, "clipnorm": 0.5})


# ---- Activations -------------------------------------------------------------------------------------------------

def activations():
    # Points away from every kink (0, +-1, +-3, 6, the thresholds below) so that the numbers test formulas only.
    x = f32(np.concatenate([np.linspace(-7.3, 7.1, 41), [-0.05, 0.04, 2.5, -2.5, 5.9, 6.2]]))
    x2 = uniform(3, 5, lo=-4, hi=4)
    cases = [("relu", {}), ("relu", {"negative_slope": 0.1}), ("relu", {"max_value": 4.5}),
             ("relu", {"threshold": 1.2}), ("relu", {"threshold": -1.1}),
             ("relu", {"negative_slope": 0.3, "max_value": 5.0, "threshold": 0.55}),
             ("relu", {"negative_slope": 0.2, "threshold": -0.7}), ("relu", {"max_value": 6.0}),
             ("relu6", {}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.05}), ("elu", {}),
             ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 2.0}), ("gelu", {}),
             ("gelu", {"approximate": True}), ("silu", {}), ("swish", {}), ("hard_sigmoid", {}), ("hard_silu", {}),
             ("hard_swish", {}), ("hard_tanh", {}), ("softplus", {}), ("softsign", {}), ("exponential", {}),
             ("linear", {}), ("mish", {}), ("tanh", {}), ("sigmoid", {}), ("log_sigmoid", {})]
    for fn, kw in cases:
        f = keras.activations.get(fn)
        CASES["activations"].append({"name": fn, "kwargs": kw, "x": enc(x), "y": enc(np.asarray(f(x, **kw)))})
    for fn in ("softmax", "log_softmax"):
        f = keras.activations.get(fn)
        CASES["activations"].append({"name": fn, "kwargs": {}, "x": enc(x2), "y": enc(np.asarray(f(x2)))})


def main():
    losses()
    metrics()
    optimizers()
    activations()
    json.dump({"generator": "tests/keras/make_keras_fixtures.py", "keras_version": keras.__version__,
               "cases": CASES}, sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
