#!/usr/bin/env python3
"""Loads a .keras file that nabla-convert made from a torch-exported .onnx in Keras 3 and checks that it predicts
torch's outputs (the fixture's JSON) within 1e-5: torch -> ONNX -> nabla -> Keras.
Usage: check_converted_keras.py MODEL.keras FIXTURE.json"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras
import numpy as np


def main():
    model = keras.saving.load_model(sys.argv[1])
    fx = json.load(open(sys.argv[2]))
    x = np.asarray(fx["input"]["data"], np.float32).reshape(fx["input"]["shape"])
    want = np.asarray(fx["output"]["data"], np.float32).reshape(fx["output"]["shape"])
    got = model.predict(x, verbose=0)
    diff = float(np.max(np.abs(got - want)))
    print(f"check_converted_keras: {sys.argv[1]}: max |keras - torch| = {diff:.3g}")
    return 0 if diff <= 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
