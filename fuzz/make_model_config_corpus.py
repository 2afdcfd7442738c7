"""Seeds for the model-level fuzz targets, written by the real tf_keras (2.21, Keras 2, from the project venv):
    .venv/bin/python fuzz/make_model_config_corpus.py
- keras2_model_config_fuzz: {"model_config": ..., "training_config": ...} as tf_keras's model.save("m.h5") writes
  them into the file's root attributes (a Sequential with batch_input_shape, a functional model with two inputs, a
  shared layer and merges; Adam, SGD with momentum, RMSprop).
- tfjs_topology_fuzz: a TF.js Layers model.json of the same models (modelTopology, trainingConfig with TF.js's
  camelCase optimizer keys, a weightsManifest naming "<layer>/<weight>" with its shape and dtype).
"""
import json
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tf_keras as keras  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def put(target, name, obj):
    d = os.path.join(ROOT, "fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "w") as f:
        json.dump(obj, f, separators=(",", ":"))


L = keras.layers


def sequential():
    return keras.Sequential([
        L.Conv2D(4, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
        L.MaxPooling2D(2), L.BatchNormalization(), L.AveragePooling2D(2), L.Flatten(),
        L.Dropout(0.25), L.Dense(8, activation="tanh"), L.Dense(3, activation="softmax")], name="seq")


def sequences():
    return keras.Sequential([
        L.Embedding(20, 4, input_length=6, input_shape=(6,)), L.Masking(0.0), L.GlobalAveragePooling1D(),
        L.Reshape((2, 2)), L.Permute((2, 1)), L.Flatten(), L.LeakyReLU(0.1), L.Dense(2), L.Activation("sigmoid")],
        name="seqs")


def functional():
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    shared = L.Dense(5, activation="relu", name="shared")
    x = L.Concatenate(name="cat")([shared(a), shared(b)])
    y = L.Add(name="add")([shared(a), shared(b)])
    img = keras.Input((6, 6, 2), name="img")
    z = L.GlobalAveragePooling2D(name="gap")(L.Conv2D(3, 2, strides=2, name="conv")(img))
    out = L.Dense(3, activation="softmax", name="out")(L.Concatenate(name="all")([x, y, z]))
    aux = L.Dense(1, name="aux")(y)
    return keras.Model([a, b, img], [out, aux], name="func")


def tfjs_optimizer(opt):
    c = opt.get_config()
    name = type(opt).__name__
    k = {"learningRate": float(c["learning_rate"])}
    if name == "Adam":
        k.update(beta1=c["beta_1"], beta2=c["beta_2"], epsilon=c["epsilon"])
    elif name == "SGD" and c.get("momentum"):
        name = "Momentum"
        k.update(momentum=c["momentum"], useNesterov=c["nesterov"])
    return {"class_name": name, "config": k}


for name, make, opt, loss in [
        ("sequential_adam", sequential, keras.optimizers.Adam(0.01), "categorical_crossentropy"),
        ("sequences_rmsprop", sequences, keras.optimizers.RMSprop(0.01), "binary_crossentropy"),
        ("functional_sgd", functional, keras.optimizers.SGD(0.1, momentum=0.9),
         ["categorical_crossentropy", "mse"])]:
    m = make()
    m.compile(opt, loss, metrics=["accuracy"] if isinstance(loss, str) else None,
              loss_weights=None if isinstance(loss, str) else [1.0, 0.5])
    model_config = json.loads(m.to_json())
    training_config = m._get_compile_args()  # what model.save("m.h5") serializes
    training_config = {"loss": training_config["loss"], "metrics": training_config.get("metrics"),
                       "weighted_metrics": None, "loss_weights": training_config.get("loss_weights"),
                       "optimizer_config": {"class_name": "Custom>" + type(opt).__name__,  # as tf_keras writes it
                                            "config": json.loads(json.dumps(opt.get_config(), default=float))}}
    put("keras2_model_config_fuzz", name, {"model_config": model_config, "training_config": training_config})
    put("keras2_model_config_fuzz", name + "_no_training", {"model_config": model_config})
    manifest = [{"name": w.name.split(":")[0], "shape": list(w.shape), "dtype": "float32"} for w in m.weights]
    topology = dict(model_config, keras_version="tfjs-layers 4.22.0", backend="tensor_flow.js")
    tfjs = {"format": "layers-model", "generatedBy": "TensorFlow.js tfjs-layers v4.22.0", "convertedBy": None,
            "modelTopology": topology, "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": manifest}]}
    if isinstance(loss, str):
        tfjs["trainingConfig"] = {"loss": loss, "metrics": ["accuracy"], "optimizer_config": tfjs_optimizer(opt)}
    put("tfjs_topology_fuzz", name, tfjs)
