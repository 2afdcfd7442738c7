"""Interop with the real Keras 3 (keras 3.15.1, tensorflow backend, from the project venv). Run by ctest as
io.interop.keras3:  .venv/bin/python keras_interop.py --tool nabla_io_interop_tool --work DIR

1. Keras builds and trains models (Sequential; functional with two inputs, a shared layer and a nested model),
   saves .keras; nabla reads config.json and every variable (layers and Adam's state), which must equal what h5py
   reads from the archive's model.weights.h5 and what the live model holds, bit for bit.
2. nabla writes a .keras from what it read (its own zip and HDF5 writers); keras.saving.load_model opens it and the
   model predicts exactly as the original, with the same optimizer state.
3. nabla reads and writes standalone .weights.h5 files that Keras's save_weights/load_weights exchange.
"""
import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile

import h5py
import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def nabla(*args):
    subprocess.run([ARGS.tool, *map(str, args)], check=True)


def h5_vars(f):
    """Keras's own layout read with h5py: path -> [arrays] for every group holding a 'vars' group."""
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Group) and name.split("/")[-1] == "vars":
            path = name[: -len("vars")].rstrip("/")
            out[path] = [obj[str(i)][()] for i in range(len(obj))]

    f.visititems(visit)
    return out


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


def from_dump(v):
    return np.array(v["data"], dtype=v["dtype"]).reshape(v["shape"])


def models():
    keras.utils.set_random_seed(1)
    seq = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(5, activation="relu"), keras.layers.BatchNormalization(),
         keras.layers.Dropout(0.2), keras.layers.Dense(3, activation="softmax")], name="seq")
    a, b = keras.Input((6,), name="a"), keras.Input((4, 4, 1), name="b")
    shared = keras.layers.Dense(4, name="shared")
    inner = keras.Sequential([keras.layers.Dense(6, activation="tanh")], name="inner")
    conv = keras.layers.Flatten()(keras.layers.Conv2D(2, 3, name="conv")(b))
    h = keras.layers.Concatenate()([shared(a), shared(inner(a)), conv])
    out = keras.layers.Dense(3, activation="softmax", name="head")(h)
    fn = keras.Model([a, b], out, name="fn")
    return {"sequential": (seq, [np.random.rand(32, 6).astype("float32")]),
            "functional": (fn, [np.random.rand(32, 6).astype("float32"), np.random.rand(32, 4, 4, 1).astype("float32")])}


def run_model(name, model, x):
    work = os.path.join(ARGS.work, name)
    os.makedirs(work)
    y = keras.utils.to_categorical(np.arange(32) % 3, 3)
    model.compile(keras.optimizers.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    src = os.path.join(work, "keras.keras")
    model.save(src)

    # 1. Keras -> nabla
    dump_path = os.path.join(work, "dump.json")
    nabla("keras-dump", src, dump_path)
    dump = json.load(open(dump_path))
    with zipfile.ZipFile(src) as z:
        check(dump["config"] == json.loads(z.read("config.json")), f"{name}: config.json read as written")
        check(dump["metadata"] == json.loads(z.read("metadata.json")), f"{name}: metadata.json read as written")
        with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
            truth = h5_vars(f)
            names = {p: f[(p + "/vars") if p else "vars"].attrs.get("name") for p in truth}
    check(sorted(dump["weights"]) == sorted(truth), f"{name}: paths {sorted(dump['weights'])} vs {sorted(truth)}")
    for path, arrays in truth.items():
        got = dump["weights"].get(path, {"values": [], "name": None})
        check(got["name"] == names[path], f"{name}: {path!r} name {got['name']} vs {names[path]}")
        check(len(got["values"]) == len(arrays), f"{name}: {path!r} has {len(got['values'])} vars, Keras {len(arrays)}")
        for i, (g, t) in enumerate(zip(got["values"], arrays)):
            check(same(from_dump(g), t), f"{name}: {path}/vars/{i} differs ({g['dtype']} {g['shape']} vs {t.dtype} {t.shape})")
    # ... and against the live model: layer variables and the optimizer's (iterations, learning rate, moments).
    opt = [np.asarray(v) for v in model.optimizer.variables]
    check(len(dump["weights"]["optimizer"]["values"]) == len(opt), f"{name}: optimizer variable count")
    for i, (g, t) in enumerate(zip(dump["weights"]["optimizer"]["values"], opt)):
        check(same(from_dump(g), t), f"{name}: optimizer variable {i} ({model.optimizer.variables[i].path})")
    check(int(from_dump(dump["weights"]["optimizer"]["values"][0])) == 8, f"{name}: iterations read as 8")

    # 2. nabla -> Keras: nabla's zip + HDF5 writers; Keras loads the whole model from them.
    mine = os.path.join(work, "nabla.keras")
    nabla("keras-write", dump_path, mine)
    with zipfile.ZipFile(mine) as z:
        check(z.namelist()[:3] == ["metadata.json", "config.json", "model.weights.h5"], f"{name}: entries {z.namelist()}")
        check(json.loads(z.read("metadata.json"))["keras_version"] == "3.15.1", f"{name}: metadata")
    loaded = keras.saving.load_model(mine)
    for xs in [x, [np.random.rand(*a.shape).astype("float32") for a in x]]:
        check(same(loaded.predict(xs, verbose=0), model.predict(xs, verbose=0)), f"{name}: predictions differ")
    for a, b in zip(model.weights, loaded.weights):
        check(same(a, b), f"{name}: weight {a.path} differs after loading nabla's .keras")
    check(len(loaded.optimizer.variables) == len(model.optimizer.variables), f"{name}: optimizer restored")
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        check(same(a, b), f"{name}: optimizer variable {a.path} differs after loading nabla's .keras")

    # 3. .weights.h5 both ways
    kw = os.path.join(work, "keras.weights.h5")
    model.save_weights(kw)
    nabla("weights-dump", kw, os.path.join(work, "w.json"))
    w = json.load(open(os.path.join(work, "w.json")))
    with h5py.File(kw, "r") as f:
        truth = h5_vars(f)
    check(sorted(w) == sorted(truth), f"{name}: .weights.h5 paths")
    check(all(same(from_dump(g), t) for p in truth for g, t in zip(w.get(p, {"values": []})["values"], truth[p])),
          f"{name}: .weights.h5 values")
    nw = os.path.join(work, "nabla.weights.h5")
    nabla("weights-write", os.path.join(work, "w.json"), nw)
    clone = keras.models.clone_model(model)
    clone.compile(keras.optimizers.Adam(0.01), "categorical_crossentropy")
    clone.optimizer.build(clone.trainable_variables)
    clone.load_weights(nw)
    check(same(clone.predict(x, verbose=0), model.predict(x, verbose=0)), f"{name}: load_weights of nabla's file")


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--tool", required=True)
    p.add_argument("--work", required=True)
    ARGS = p.parse_args()
    shutil.rmtree(ARGS.work, ignore_errors=True)
    os.makedirs(ARGS.work)
    print("keras", keras.__version__, "backend", keras.backend.backend())
    for name, (model, x) in models().items():
        run_model(name, model, x)
    if failures:
        print(f"keras3 interop: {len(failures)} checks failed", file=sys.stderr)
        sys.exit(1)
    print("keras3 interop: all checks passed")


if __name__ == "__main__":
    main()
