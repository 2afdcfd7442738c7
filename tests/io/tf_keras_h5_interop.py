"""Legacy Keras H5 files from the real tf_keras (2.21, Keras 2 on TensorFlow 2.21, from the project venv) read by
nabla. Run by ctest as io.interop.tf_keras_h5:  .venv/bin/python tf_keras_h5_interop.py --tool TOOL --work DIR

A Sequential and a functional model are trained (Adam) and saved with model.save("m.h5"), and their weights with
save_weights("w.h5"); nabla's reader must give the same model_config/training_config JSON, layer order, weight
names and values (bit for bit) and optimizer weights as h5py and the live model.

Whole models (load_model("m.h5"), with --model-tool): tf_keras trains a Sequential (Dense, BatchNormalization,
Dropout; Adam, categorical crossentropy), a Sequential without Dropout (Adam) and a functional model (two inputs,
a shared Dense, Conv2D, Flatten, Concatenate; SGD with momentum, sparse labels), saves model.save("m.h5"); nabla's
load_model predicts as tf_keras (<= 1e-5), comes back compiled with the optimizer's iterations, and one more epoch
of training in nabla agrees with tf_keras's (<= 1e-4; not for the model with Dropout, whose masks differ).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


def from_dump(v):
    return np.array(v["data"], dtype=v["dtype"]).reshape(v["shape"])


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def run(name, model, x, work):
    os.makedirs(work)
    y = np.eye(3, dtype="float32")[np.arange(len(x[0])) % 3]
    model.compile(keras.optimizers.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for kind in ["model", "weights"]:
        path = os.path.join(work, kind + ".h5")
        (model.save if kind == "model" else model.save_weights)(path)
        out = os.path.join(work, kind + ".json")
        subprocess.run([ARGS.tool, "legacy-dump", path, out], check=True)
        d = json.load(open(out))
        with h5py.File(path, "r") as f:
            root = f["model_weights"] if kind == "model" else f
            if kind == "model":
                check(d["model_config"] == json.loads(text(f.attrs["model_config"])), f"{name}: model_config")
                check(d["training_config"] == json.loads(text(f.attrs["training_config"])), f"{name}: training_config")
                check(d["keras_version"] == text(f.attrs["keras_version"]), f"{name}: keras_version")
            else:
                check(d["model_config"] is None, f"{name}/weights: no model_config")
            layer_names = [text(n) for n in root.attrs["layer_names"]]
            check([l["name"] for l in d["layers"]] == layer_names, f"{name}/{kind}: layer order {layer_names}")
            for l in d["layers"]:
                wn = [text(n) for n in root[l["name"]].attrs["weight_names"]]
                check([w["name"] for w in l["weights"]] == wn, f"{name}/{kind}: {l['name']} weight names {wn}")
                layer = model.get_layer(l["name"])
                check(len(l["weights"]) == len(layer.weights), f"{name}/{kind}: {l['name']} weight count")
                for w, v in zip(l["weights"], layer.weights):
                    check(same(from_dump(w), root[l["name"]][w["name"]][()]), f"{name}/{kind}: {w['name']} vs h5py")
                    check(same(from_dump(w), v.numpy()), f"{name}/{kind}: {w['name']} vs the live model")
            if kind == "model":
                opt = f["optimizer_weights"]
                names = [text(n) for n in opt.attrs["weight_names"]]
                check([w["name"] for w in d["optimizer_weights"]] == names, f"{name}: optimizer weight names")
                check(len(names) == len(model.optimizer.variables) and len(names) > 1, f"{name}: optimizer count")
                for w, v in zip(d["optimizer_weights"], model.optimizer.variables):
                    check(same(from_dump(w), opt[w["name"]][()]), f"{name}: optimizer {w['name']} vs h5py")
                    check(same(from_dump(w), v.numpy()), f"{name}: optimizer {w['name']} vs the live optimizer")


def tensor_json(a):
    a = np.asarray(a)
    return {"dtype": "float32" if a.dtype == np.float32 else "int64", "shape": list(a.shape),
            "data": a.reshape(-1).tolist()}


def whole_model(name, model, xs, y, optimizer, loss, work, continue_training=True):
    os.makedirs(work)
    model.compile(optimizer, loss, metrics=["accuracy"])
    model.fit(xs, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    path, dpath, rpath = (os.path.join(work, f) for f in ("m.h5", "data.json", "resume.json"))
    model.save(path)
    json.dump({"x": [tensor_json(x) for x in xs], "y": tensor_json(y)}, open(dpath, "w"))
    subprocess.run([ARGS.model_tool, "resume", path, dpath, rpath], check=True)
    r = json.load(open(rpath))
    diff = np.abs(from_dump(r["before"]) - model.predict(xs, verbose=0)).max()
    check(diff <= 1e-5, f"{name}: nabla's load_model('m.h5') predicts as tf_keras (max diff {diff:.2e})")
    print(f"ok: {name}: predictions agree (max diff {diff:.2e})")
    iterations = int(model.optimizer.iterations.numpy())
    if not continue_training:
        check(r["iterations"] == iterations + len(xs[0]) // 8, f"{name}: iterations {r['iterations']}")
        return
    model.fit(xs, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    diff = np.abs(from_dump(r["after"]) - model.predict(xs, verbose=0)).max()
    check(diff <= 1e-4, f"{name}: one more epoch in nabla and in tf_keras agree (max diff {diff:.2e})")
    print(f"ok: {name}: continued training agrees (max diff {diff:.2e})")
    check(r["iterations"] == int(model.optimizer.iterations.numpy()), f"{name}: iterations {r['iterations']}")


def whole_models(work):
    rng = np.random.default_rng(5)
    x = rng.random((32, 6), dtype=np.float32)
    labels = (np.arange(32) % 3).astype(np.int64)
    onehot = np.eye(3, dtype="float32")[labels]
    keras.utils.set_random_seed(4)
    seq = keras.Sequential([keras.layers.Dense(5, activation="relu", input_shape=(6,)),
                            keras.layers.BatchNormalization(), keras.layers.Dropout(0.2),
                            keras.layers.Dense(3, activation="softmax")])
    whole_model("h5 sequential+dropout", seq, [x], onehot, keras.optimizers.Adam(0.01), "categorical_crossentropy",
                os.path.join(work, "seq_dropout"), continue_training=False)
    mlp = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(6,)),
                            keras.layers.BatchNormalization(), keras.layers.Dense(3, activation="softmax")])
    whole_model("h5 sequential", mlp, [x], onehot, keras.optimizers.Adam(0.01), "categorical_crossentropy",
                os.path.join(work, "seq"))
    a = keras.Input((6,), name="a")
    b = keras.Input((4, 4, 1), name="b")
    shared = keras.layers.Dense(4, name="shared")
    h = keras.layers.Concatenate()([shared(a), shared(keras.layers.Dense(6)(a)),
                                    keras.layers.Flatten()(keras.layers.Conv2D(2, 3, activation="relu")(b))])
    fn = keras.Model([a, b], keras.layers.Dense(3, activation="softmax")(h))
    whole_model("h5 functional", fn, [x, rng.random((32, 4, 4, 1), dtype=np.float32)], labels,
                keras.optimizers.SGD(0.05, momentum=0.9), "sparse_categorical_crossentropy",
                os.path.join(work, "functional"))


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--tool", required=True)
    p.add_argument("--model-tool", required=True)
    p.add_argument("--work", required=True)
    ARGS = p.parse_args()
    shutil.rmtree(ARGS.work, ignore_errors=True)
    print("tf_keras", keras.__version__)
    keras.utils.set_random_seed(2)
    seq = keras.Sequential([keras.layers.Dense(5, activation="relu", input_shape=(6,)),
                            keras.layers.BatchNormalization(), keras.layers.Dropout(0.2),
                            keras.layers.Dense(3, activation="softmax")])
    a = keras.Input((6,), name="a")
    b = keras.Input((4, 4, 1), name="b")
    shared = keras.layers.Dense(4, name="shared")
    h = keras.layers.Concatenate()([shared(a), shared(keras.layers.Dense(6)(a)),
                                    keras.layers.Flatten()(keras.layers.Conv2D(2, 3)(b))])
    fn = keras.Model([a, b], keras.layers.Dense(3, activation="softmax")(h))
    x1 = np.random.rand(32, 6).astype("float32")
    run("sequential", seq, [x1], os.path.join(ARGS.work, "sequential"))
    run("functional", fn, [x1, np.random.rand(32, 4, 4, 1).astype("float32")], os.path.join(ARGS.work, "functional"))
    whole_models(os.path.join(ARGS.work, "whole"))
    if failures:
        print(f"tf_keras h5 interop: {len(failures)} checks failed", file=sys.stderr)
        sys.exit(1)
    print("tf_keras h5 interop: all checks passed")


if __name__ == "__main__":
    main()
