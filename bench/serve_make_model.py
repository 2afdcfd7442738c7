"""Writes the reference MNIST MLP (Flatten, Dense 128 relu, Dropout 0.2, Dense 10 softmax; Keras's initial
weights, seed 0) as <work>/models/mnist/1/model.keras for nabla-serve (Keras 3's own file, which nabla::load_model
reads); serve_bench.sh converts it to <work>/mnist_mlp.onnx for the ONNX Runtime peer with nabla-convert. Also
writes <work>/request.json, one 28x28 instance in TF Serving's row format, and the Keras model's answer to it.
Run with the project venv's Python (Keras 3): .venv/bin/python."""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import keras  # noqa: E402
import numpy as np  # noqa: E402

work = sys.argv[1]
keras.utils.set_random_seed(0)
model = keras.Sequential([
    keras.Input((28, 28)),
    keras.layers.Flatten(),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(10, activation="softmax"),
])
os.makedirs(os.path.join(work, "models", "mnist", "1"), exist_ok=True)
model.save(os.path.join(work, "models", "mnist", "1", "model.keras"))

rng = np.random.default_rng(0)
image = np.round(rng.random((28, 28)), 3)
with open(os.path.join(work, "request.json"), "w") as f:
    json.dump({"instances": [image.tolist()]}, f)
# Both sides answer the same: nabla-serve and the peer are checked against this before timing.
with open(os.path.join(work, "expected.json"), "w") as f:
    json.dump(model.predict(image[None], verbose=0).tolist(), f)
