#!/usr/bin/env python3
"""Reference numbers for nabla's masking tests (issue 20), computed by Keras 3 itself.

Run with the project's venv (Keras 3 + tensorflow-cpu; JAX is not installed, so the TensorFlow backend, which
carries masks on tensors as Keras's _keras_mask):
    .venv/bin/python tests/keras/make_mask_fixtures.py > tests/keras/mask_fixtures.json
It also saves two of the models as .keras files next to itself (mask_*.keras), which nabla's load_model must
open. The output is committed, so the tests need neither Python nor Keras. Each case holds the Keras model config
(get_config(), which nabla's from_config must read), its weights, its inputs and what Keras computed. Inputs and
weights are float32-representable; Keras computes in float32 (the dtype policy nabla's layers accept), so the
tests compare at float32 tolerance.
"""
import json
import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import keras  # noqa: E402

RNG = np.random.RandomState(21)
HERE = os.path.dirname(os.path.abspath(__file__))  # the .keras files are written next to this script


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def uniform(*shape, lo=-1.0, hi=1.0):
    return f32(RNG.uniform(lo, hi, size=shape))


def enc(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


def set_weights(model):
    """Fixed float32-representable weights (all of them, moving statistics included), recorded in order."""
    ws = [uniform(*w.shape) if "variance" not in w.path else f32(RNG.uniform(0.5, 1.5, size=w.shape))
          for w in model.weights]
    model.set_weights(ws)
    return [enc(w) for w in ws]


def padded_sequences(n, t, f, lengths):
    """[n, t, f] sequences whose steps from lengths[i] on are padding (all zeros)."""
    x = uniform(n, t, f)
    for i, length in enumerate(lengths):
        x[i, length:, :] = 0.0
    return x


CASES = []


def case(name, model, **entries):
    c = {"name": name, "config": model.get_config(), "weights": None}
    c.update(entries)
    CASES.append(c)
    return c


# Masking -> Dense (on [N, T, F], the mask passes through) -> GlobalAveragePooling1D (the mean of unmasked steps).
x = padded_sequences(3, 5, 3, [5, 3, 1])
m = keras.Sequential([keras.Input((5, 3)), keras.layers.Masking(0.0), keras.layers.Dense(2),
                      keras.layers.GlobalAveragePooling1D()])
w = set_weights(m)
c = case("masking_dense_gap1d", m, x=enc(x), expected=enc(m.predict(x, verbose=0)))
c["weights"] = w

# Embedding(mask_zero) -> GlobalAveragePooling1D -> Dense, as a functional model.
ids = np.array([[1, 4, 2, 0, 0], [3, 0, 0, 0, 0], [5, 5, 1, 2, 3]], dtype=np.int64)
inp = keras.Input((5,), dtype="int64")
h = keras.layers.Embedding(6, 4, mask_zero=True)(inp)
h = keras.layers.GlobalAveragePooling1D()(h)
out = keras.layers.Dense(2, activation="tanh")(h)
m = keras.Model(inp, out)
w = set_weights(m)
c = case("embedding_mask_zero_gap1d_dense", m, x=enc(ids), expected=enc(m.predict(ids, verbose=0)))
c["weights"] = w
m.save(os.path.join(HERE, "mask_embedding_functional.keras"))

# BatchNormalization behind Masking, one training-mode call: normalized with, and the moving statistics updated
# by, the moments of the unmasked steps only.
x = padded_sequences(2, 4, 3, [4, 2])
x[1, 2:, :] = 0.0
inp = keras.Input((4, 3))  # functional: Keras traces the mask (NotEqual, Any) into the graph
out = keras.layers.BatchNormalization(momentum=0.9)(keras.layers.Masking(0.0)(inp))
m = keras.Model(inp, out)
w = set_weights(m)
y = m(x, training=True)
bn = m.layers[-1]
c = case("batch_normalization_masked", m, x=enc(x), expected=enc(np.asarray(y)),
         moving_mean=enc(np.asarray(bn.moving_mean)), moving_variance=enc(np.asarray(bn.moving_variance)))
c["weights"] = w

# A masked [N, T, 1] regression: loss and metrics over the unmasked steps (Keras's apply_mask), without and with
# per-sample weights; then one SGD step (train_on_batch) on the same batch.
x = padded_sequences(4, 5, 2, [5, 3, 2, 4])
y_true = uniform(4, 5, 1)
sw = f32(RNG.uniform(0.5, 2.0, size=(4, 5)))  # per timestep (Keras refuses [N] weights with a [N, T] mask)
m = keras.Sequential([keras.Input((5, 2)), keras.layers.Masking(0.0), keras.layers.Dense(3, activation="tanh"),
                      keras.layers.Dense(1)])
w = set_weights(m)
m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse",
          metrics=["mae", keras.metrics.MeanSquaredError(name="mse_metric")], weighted_metrics=["mae"])
ev = m.evaluate(x, y_true, batch_size=4, verbose=0, return_dict=True)
ev_w = m.evaluate(x, y_true, sample_weight=sw, batch_size=4, verbose=0, return_dict=True)
# Keras's definition, checked here: the mean of the squared errors of the unmasked steps.
valid = np.any(x != 0, axis=-1)
pred = m.predict(x, verbose=0)[..., 0]
assert abs(((pred - y_true[..., 0]) ** 2)[valid].mean() - ev["loss"]) < 1e-6, ev
tr = m.train_on_batch(x, y_true, return_dict=True)
c = case("masked_regression", m, x=enc(x), y=enc(y_true), sample_weight=enc(sw), evaluate=ev,
         evaluate_weighted=ev_w, train_on_batch=tr, weights_after_step=[enc(v) for v in m.get_weights()],
         evaluate_after_step=m.evaluate(x, y_true, batch_size=4, verbose=0, return_dict=True))
c["weights"] = w
m.save(os.path.join(HERE, "mask_regression_sequential.keras"))  # compiled, after the step

print(json.dumps({"keras_version": keras.__version__, "backend": keras.backend.backend(), "cases": CASES}, indent=1))
