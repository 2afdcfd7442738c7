#!/usr/bin/env python3
"""Makes tests/onnx/data/keras_tf2onnx.{onnx,json}: a small Keras CNN (Conv2D, BatchNormalization, MaxPooling2D,
Flatten, Dense; channels-last) converted to ONNX by tf2onnx 1.17, with an input batch and Keras's outputs for it.

It needs TensorFlow, so its output is committed and the test does not run it. Regenerate with the project venv
(scripts/setup installs tf2onnx there):
    .venv/bin/python tests/onnx/make_tf2onnx_fixture.py --out tests/onnx/data
The model is built with tf_keras (Keras 2), whose models tf2onnx.convert.from_keras converts directly.
"""
import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np
import tensorflow as tf
import tf_keras as keras
import tf2onnx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    inp = keras.Input((10, 10, 2), name="image")
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv_a")(inp)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Conv2D(6, 3, padding="same", name="conv_b")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(8, activation="relu", name="hidden")(x)
    out = keras.layers.Dense(3, activation="softmax", name="probs")(x)
    model = keras.Model(inp, out, name="keras_cnn")
    bn = model.get_layer("bn")
    gamma, beta, mean, var = bn.get_weights()
    bn.set_weights([rng.uniform(0.5, 1.5, gamma.shape).astype("float32"),
                    rng.normal(0, 0.2, beta.shape).astype("float32"),
                    rng.normal(0, 0.5, mean.shape).astype("float32"),
                    rng.uniform(0.5, 1.5, var.shape).astype("float32")])
    for layer in model.layers:  # nonzero biases, which tf2onnx keeps (it drops all-zero ones)
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, rng.normal(0, 0.3, bias.shape).astype("float32")])
    x = rng.normal(size=(4, 10, 10, 2)).astype("float32")
    y = model.predict(x, verbose=0)
    spec = (tf.TensorSpec((None, 10, 10, 2), tf.float32, name="image"),)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "keras_tf2onnx.onnx")
    tf2onnx.convert.from_keras(model, input_signature=spec, opset=15, output_path=path)
    with open(os.path.join(args.out, "keras_tf2onnx.json"), "w") as f:
        json.dump({"opset": 15, "producer": "tf2onnx " + tf2onnx.__version__,
                   "input": {"shape": list(x.shape), "data": [float(v) for v in x.reshape(-1)]},
                   "output": {"shape": list(y.shape), "data": [float(v) for v in y.reshape(-1)]}}, f)
    print("make_tf2onnx_fixture: wrote", path)


if __name__ == "__main__":
    main()
