"""Makes the small files in tests/io/data with the real Keras 3.15 and tf_keras 2.21 (project venv):
    .venv/bin/python tests/io/data/make_files.py
Weights are set to known values (kernel[i] = i / 8, bias[i] = -i / 4, ...) so that the C++ tests check them
without Python. They are also seeds for the fuzz targets (fuzz/corpus/)."""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def known(model):
    k = 0
    for w in model.weights:
        n = int(np.prod(w.shape))
        w.assign(((np.arange(n) + k) / 8.0).reshape(w.shape).astype("float32"))
        k += n


if sys.argv[1:] == ["legacy"]:
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tf_keras as keras
    m = keras.Sequential([keras.layers.Dense(3, activation="relu", input_shape=(4,), name="dense"),
                          keras.layers.Dense(2, name="out")])
    known(m)
    m.compile(keras.optimizers.SGD(0.5), "mse")
    m.save(os.path.join(HERE, "tf_keras_sequential.h5"))
else:
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import keras
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu", name="dense"),
                          keras.layers.Dense(2, name="out")], name="seq")
    known(m)
    m.save(os.path.join(HERE, "keras3_sequential.keras"))
    import subprocess
    subprocess.run([sys.executable, __file__, "legacy"], check=True)
