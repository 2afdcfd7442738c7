#!/usr/bin/env python3
"""Reference numbers for nabla's recurrent layers (issue 21), computed by Keras 3 itself.

Run with the project's venv (Keras 3 + tensorflow-cpu, the TensorFlow backend):
    .venv/bin/python tests/keras/make_recurrent_fixtures.py > tests/keras/recurrent_fixtures.json
It also saves models as .keras files next to itself (recurrent_*.keras), which nabla's load_model must open
and predict with as Keras does. The output is committed, so the tests need neither Python nor Keras. Each case
holds the Keras model (or layer) config, its weights in Keras's order, the inputs and what Keras computed, in
float32 (inputs and weights float32-representable).
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


def set_weights(model):
    ws = [uniform(*w.shape, lo=-0.6, hi=0.6) for w in model.weights]
    model.set_weights(ws)
    return [enc(w) for w in ws]


def holey_sequences(n, t, f):
    """[n, t, f] sequences with all-zero (masked) steps at the end, at the start and in the middle."""
    x = uniform(n, t, f)
    x[0, 4:, :] = 0.0  # right padding
    x[1, :2, :] = 0.0  # left padding
    x[2, 2, :] = 0.0   # a hole
    return x


CASES = []


def case(name, model, x, **entries):
    c = {"name": name, "config": model.get_config(), "weights": set_weights(model), "x": enc(x)}
    c["expected"] = enc(model.predict(x, verbose=0))
    c.update(entries)
    CASES.append(c)
    return c


L = keras.layers
x = holey_sequences(3, 6, 3)

# Masked sequences through each layer, with return_sequences and go_backwards.
for name, layer in [
    ("masking_lstm_sequences", L.LSTM(4, return_sequences=True)),
    ("masking_lstm_last", L.LSTM(4)),
    ("masking_gru_sequences_backwards", L.GRU(4, return_sequences=True, go_backwards=True)),
    ("masking_gru_last", L.GRU(4)),
    ("masking_simple_rnn_sequences", L.SimpleRNN(4, return_sequences=True)),
    ("masking_simple_rnn_last_backwards", L.SimpleRNN(4, go_backwards=True, activation="relu")),
    ("unmasked_lstm_backwards", None),
]:
    if layer is None:
        m = keras.Sequential([keras.Input((6, 3)), L.LSTM(4, return_sequences=True, go_backwards=True)])
    else:
        m = keras.Sequential([keras.Input((6, 3)), L.Masking(0.0), layer])
    case(name, m, x)

# Bidirectional over masked sequences, every merge mode; a GRU one returning the last outputs.
for mode in ["concat", "sum", "mul", "ave"]:
    m = keras.Sequential([keras.Input((6, 3)), L.Masking(0.0),
                          L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode=mode)])
    case("bidirectional_lstm_" + mode, m, x)
m = keras.Sequential([keras.Input((6, 3)), L.Masking(0.0), L.Bidirectional(L.GRU(3)), L.Dense(2)])
case("bidirectional_gru_last_dense", m, x)
m.save(os.path.join(HERE, "recurrent_bidirectional_gru.keras"))

# TimeDistributed(Dense) on an LSTM's sequences.
m = keras.Sequential([keras.Input((6, 3)), L.Masking(0.0), L.LSTM(4, return_sequences=True),
                      L.TimeDistributed(L.Dense(2, activation="tanh"))])
case("lstm_time_distributed_dense", m, x)

# Embedding(mask_zero) -> LSTM -> GRU -> Dense, functional, saved as a .keras file.
ids = np.array([[1, 4, 2, 0, 0], [3, 0, 0, 0, 0], [5, 5, 1, 2, 3]], dtype=np.int64)
inp = keras.Input((5,), dtype="int64")
h = L.Embedding(6, 4, mask_zero=True)(inp)
h = L.LSTM(5, return_sequences=True)(h)
h = L.GRU(3)(h)
out = L.Dense(2)(h)
m = keras.Model(inp, out)
case("embedding_lstm_gru_dense", m, ids)
m.save(os.path.join(HERE, "recurrent_embedding_lstm_gru.keras"))

# Initial states and return_state, on a layer alone (a nabla model's layer returns one tensor).
for cls, nstates in [(L.LSTM, 2), (L.GRU, 1), (L.SimpleRNN, 1)]:
    layer = cls(4, return_sequences=True, return_state=True)
    states = [uniform(3, 4, lo=-0.5, hi=0.5) for _ in range(nstates)]
    mask = np.any(x != 0, axis=-1)
    layer.build((None, 6, 3))
    ws = [uniform(*w.shape, lo=-0.6, hi=0.6) for w in layer.weights]
    layer.set_weights(ws)
    outs = layer(x.astype(np.float32), initial_state=[s.astype(np.float32) for s in states], mask=mask)
    CASES.append({"name": cls.__name__.lower() + "_initial_state_return_state",
                  "layer": keras.saving.serialize_keras_object(layer), "weights": [enc(w) for w in ws],
                  "x": enc(x), "mask": enc(mask.astype(np.float64)), "states": [enc(s) for s in states],
                  "outputs": [enc(np.asarray(o)) for o in outs]})

# One SGD step on masked sequences: the gradients of a masked LSTM, through Keras's optimizer.
y = uniform(3, 1)
m = keras.Sequential([keras.Input((6, 3)), L.Masking(0.0), L.LSTM(4), L.Dense(1)])
c = case("masked_lstm_sgd_step", m, x, y=enc(y))
m.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
c["train_on_batch"] = m.train_on_batch(x, y, return_dict=True)
c["weights_after_step"] = [enc(v) for v in m.get_weights()]

print(json.dumps({"keras_version": keras.__version__, "backend": keras.backend.backend(), "cases": CASES}, indent=1))
