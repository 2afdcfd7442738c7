"""The module under another interpreter: the project venv's Python (numpy 2), without pytest. Zero-copy both ways,
a fit, and a pipeline with a parallel Python map."""
import numpy as np

import nabla
from nabla.keras import layers, models

a = np.arange(6, dtype=np.float32).reshape(2, 3)
t = nabla.from_numpy(a)
v = np.asarray(t)
assert v.__array_interface__["data"][0] == a.__array_interface__["data"][0]
a[0, 0] = 7
assert np.asarray(t)[0, 0] == 7

ds = nabla.data.Dataset.from_tensor_slices((np.ones((64, 3)), np.zeros(64, np.int64))).map(
    lambda x, y: (x * 2, y), num_parallel_calls=nabla.data.AUTOTUNE).batch(16).prefetch(nabla.data.AUTOTUNE)
m = models.Sequential([layers.Dense(2, activation="softmax", input_shape=(3,))])
m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
h = m.fit(ds, epochs=2, verbose=0)
assert len(h.history["loss"]) == 2
assert m.predict(np.ones((4, 3)), verbose=0).shape == (4, 2)
print("numpy", np.__version__, "ok")
