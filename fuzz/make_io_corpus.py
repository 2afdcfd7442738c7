"""Seeds for the io fuzz targets (keras_archive_fuzz, keras_h5_fuzz, tfjs_model_fuzz) in fuzz/corpus/<target>/,
from the Keras-made files in tests/io/data (see tests/io/data/make_files.py). Standard library only:
    python3 fuzz/make_io_corpus.py"""
import json
import os
import struct
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "io", "data")


def put(target, name, data):
    d = os.path.join(ROOT, "fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


keras = open(os.path.join(DATA, "keras3_sequential.keras"), "rb").read()
put("keras_archive_fuzz", "keras3_sequential", keras)
put("keras_archive_fuzz", "truncated", keras[: len(keras) // 2])
weights_h5 = zipfile.ZipFile(os.path.join(DATA, "keras3_sequential.keras")).read("model.weights.h5")
put("keras_h5_fuzz", "keras3_weights", b"\x00" + weights_h5)
put("keras_h5_fuzz", "tf_keras_model", b"\x01" + open(os.path.join(DATA, "tf_keras_sequential.h5"), "rb").read())

model = {"format": "layers-model", "generatedBy": "TensorFlow.js tfjs-layers v4.22.0", "convertedBy": None,
         "modelTopology": {"class_name": "Sequential", "config": {"name": "s", "layers": []}},
         "weightsManifest": [{"paths": ["weights.bin"], "weights": [
             {"name": "dense/kernel", "shape": [2, 2], "dtype": "float32"},
             {"name": "dense/bias", "shape": [2], "dtype": "float32"},
             {"name": "iter", "shape": [], "dtype": "int32", "group": "optimizer"},
             {"name": "q", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1}},
             {"name": "h", "shape": [1], "dtype": "float32", "quantization": {"dtype": "float16"}}]}]}
shard = struct.pack("<6fi", 1, 2, 3, 4, 5, 6, 7) + bytes([0, 9]) + struct.pack("<H", 0x3C00)
put("tfjs_model_fuzz", "layers_model", json.dumps(model).encode() + b"\x00" + shard)
