"""Writes the reference MNIST MLP (Flatten, Dense 128 relu, Dropout 0.2, Dense 10 softmax; Keras's initial
weights, seed 0) twice with the same weights: <work>/models/mnist/1/model.keras for nabla-serve (Keras 3's own
file, which nabla::load_model reads), and <work>/mnist_mlp.onnx for the ONNX Runtime peer (built here with the
onnx package's helper: nabla does not write ONNX yet). Also writes <work>/request.json, one 28x28 instance in
TF Serving's row format. Run with the project venv's Python (Keras 3 + onnx): .venv/bin/python."""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

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

w1, b1 = model.layers[1].get_weights()
w2, b2 = model.layers[3].get_weights()
graph = helper.make_graph(
    [
        helper.make_node("Reshape", ["input_layer", "shape"], ["flat"]),
        helper.make_node("Gemm", ["flat", "w1", "b1"], ["h"]),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Gemm", ["r", "w2", "b2"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["output_0"], axis=-1),
    ],
    "mnist_mlp",
    [helper.make_tensor_value_info("input_layer", TensorProto.FLOAT, ["N", 28, 28])],
    [helper.make_tensor_value_info("output_0", TensorProto.FLOAT, ["N", 10])],
    [numpy_helper.from_array(np.array([-1, 784], dtype=np.int64), "shape"),
     numpy_helper.from_array(w1.astype(np.float32), "w1"), numpy_helper.from_array(b1.astype(np.float32), "b1"),
     numpy_helper.from_array(w2.astype(np.float32), "w2"), numpy_helper.from_array(b2.astype(np.float32), "b2")],
)
m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 8
onnx.checker.check_model(m)
onnx.save(m, os.path.join(work, "mnist_mlp.onnx"))

rng = np.random.default_rng(0)
image = np.round(rng.random((28, 28)), 3)
with open(os.path.join(work, "request.json"), "w") as f:
    json.dump({"instances": [image.tolist()]}, f)
# Both sides answer the same: nabla-serve and the peer are checked against this before timing.
with open(os.path.join(work, "expected.json"), "w") as f:
    json.dump(model.predict(image[None], verbose=0).tolist(), f)
