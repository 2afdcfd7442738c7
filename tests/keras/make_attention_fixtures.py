#!/usr/bin/env python3
"""Reference numbers for nabla's LayerNormalization, MultiHeadAttention and Attention, computed by Keras 3.

Run with the project's venv (Keras 3 + tensorflow-cpu):
    .venv/bin/python tests/keras/make_attention_fixtures.py > tests/keras/attention_fixtures.json
It also saves a functional Transformer-style block as attention_block_functional.keras (Embedding(mask_zero) ->
MultiHeadAttention(use_causal_mask=True) -> Add -> LayerNormalization -> Dense), which nabla's load_model must
open and reproduce. The output is committed, so the tests need neither Python nor Keras. Weights are given by
nabla's names ("query_dense/kernel", ...; Keras's EinsumDense layout), inputs and weights are
float32-representable, Keras computes in float32.
"""
import json
import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import keras  # noqa: E402

RNG = np.random.RandomState(2121)
HERE = os.path.dirname(os.path.abspath(__file__))


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def uniform(*shape, lo=-1.0, hi=1.0):
    return f32(RNG.uniform(lo, hi, size=shape))


def enc(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


CASES = {}


def mha_weights(mha):
    """Random weights set on a built Keras MultiHeadAttention, returned under nabla's names."""
    out = {}
    for sub, name in ((mha._query_dense, "query_dense"), (mha._key_dense, "key_dense"),
                      (mha._value_dense, "value_dense"), (mha._output_dense, "output_dense")):
        k, b = uniform(*sub.kernel.shape, lo=-0.6, hi=0.6), uniform(*sub.bias.shape, lo=-0.2, hi=0.2)
        sub.kernel.assign(k.astype(np.float32))
        sub.bias.assign(b.astype(np.float32))
        out[name + "/kernel"], out[name + "/bias"] = enc(k), enc(b)
    return out


# LayerNormalization: default (axis -1) and two trailing axes, on rows with an offset.
x = uniform(2, 4, 6, lo=-2, hi=4)
for name, kw in (("layer_norm", {}), ("layer_norm_two_axes", {"axis": [-2, -1], "epsilon": 1e-5})):
    ln = keras.layers.LayerNormalization(**kw)
    ln.build(x.shape)
    g, b = uniform(*ln.gamma.shape, lo=0.5, hi=1.5), uniform(*ln.beta.shape)
    ln.gamma.assign(g.astype(np.float32))
    ln.beta.assign(b.astype(np.float32))
    CASES[name] = {"config": ln.get_config(), "x": enc(x), "gamma": enc(g), "beta": enc(b),
                   "expected": enc(np.asarray(ln(x.astype(np.float32))))}

# MultiHeadAttention, cross-attention with key != value, an attention_mask with a row that masks every key, and
# return_attention_scores=True (Keras's explicit softmax path: that row gets zero weights).
q, v, k = uniform(2, 3, 8), uniform(2, 5, 6), uniform(2, 5, 4)
am = np.ones((2, 3, 5), dtype=bool)
am[0, :, 3:] = False
am[1, 2, :] = False
mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=5, output_shape=7)
mha(q.astype(np.float32), v.astype(np.float32), k.astype(np.float32))
w = mha_weights(mha)
y, s = mha(q.astype(np.float32), v.astype(np.float32), k.astype(np.float32), attention_mask=am,
           return_attention_scores=True)
CASES["mha_cross_attention_mask"] = {"config": mha.get_config(), "weights": w, "query": enc(q), "value": enc(v),
                                     "key": enc(k), "attention_mask": enc(am), "expected": enc(np.asarray(y)),
                                     "scores": enc(np.asarray(s))}

# Self-attention with a causal mask (Keras's fused dot_product_attention path).
x = uniform(2, 4, 6)
mha = keras.layers.MultiHeadAttention(num_heads=3, key_dim=2)
mha(x.astype(np.float32), x.astype(np.float32))
w = mha_weights(mha)
y = mha(x.astype(np.float32), x.astype(np.float32), use_causal_mask=True)
CASES["mha_self_causal"] = {"config": mha.get_config(), "weights": w, "x": enc(x), "expected": enc(np.asarray(y))}

# Attention (Luong), dot with use_scale and concat, with query/value masks and a causal mask.
q, v = uniform(2, 3, 4), uniform(2, 5, 4)
qm = np.array([[1, 1, 0], [1, 1, 1]], dtype=bool)
vm = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
for name, kw, causal in (("attention_dot_scale", {"use_scale": True}, False),
                         ("attention_concat_causal", {"score_mode": "concat", "use_scale": True}, True)):
    att = keras.layers.Attention(**kw)
    att([q.astype(np.float32), v.astype(np.float32)])
    ws = {}
    for var in att.weights:
        val = f32(RNG.uniform(0.5, 1.5))
        var.assign(np.float32(val))
        ws[var.name] = float(val)
    y, s = att([q.astype(np.float32), v.astype(np.float32)], mask=[qm, vm], return_attention_scores=True,
               use_causal_mask=causal)
    CASES[name] = {"config": att.get_config(), "weights": ws, "query": enc(q), "value": enc(v),
                   "query_mask": enc(qm), "value_mask": enc(vm), "causal": causal, "expected": enc(np.asarray(y)),
                   "scores": enc(np.asarray(s))}

# A functional block saved as .keras: token ids with padding (0) -> Embedding(mask_zero) -> causal self-attention
# -> residual -> LayerNormalization -> Dense. Predictions at padded steps differ between Keras's attention paths
# (its fused path gives a fully masked query row uniform weights); they are masked downstream, and the test
# compares the unpadded steps.
ids = np.array([[3, 1, 4, 1, 5, 0], [2, 7, 0, 0, 0, 0], [9, 2, 6, 5, 3, 5]], dtype=np.int32)
inp = keras.Input((6,), dtype="int32")
e = keras.layers.Embedding(10, 8, mask_zero=True)(inp)
a = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(e, e, use_causal_mask=True)
h = keras.layers.LayerNormalization()(keras.layers.Add()([e, a]))
out = keras.layers.Dense(3)(h)
m = keras.Model(inp, out)
m.set_weights([uniform(*wt.shape, lo=-0.5, hi=0.5).astype(np.float32) for wt in m.weights])
m.save(os.path.join(HERE, "attention_block_functional.keras"))
CASES["block_functional"] = {"x": enc(ids), "expected": enc(m.predict(ids, verbose=0)), "valid": enc(ids != 0)}

print(json.dumps({"keras_version": keras.__version__, "backend": keras.backend.backend(), "cases": CASES}, indent=1))
