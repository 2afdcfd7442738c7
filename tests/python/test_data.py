"""nabla.data from Python: tf.data's API, Python map functions on worker threads (no GIL deadlock), fit on a
dataset."""
import numpy as np
import pytest

import nabla
from nabla.keras import layers, models


def test_from_tensor_slices_shuffle_batch_iterate():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10, dtype=np.int64)
    ds = nabla.data.Dataset.from_tensor_slices((x, y)).shuffle(10, seed=1).batch(4).prefetch(nabla.data.AUTOTUNE)
    got = [(np.asarray(a), np.asarray(b)) for a, b in ds]
    assert [len(b) for _, b in got] == [4, 4, 2]
    ys = np.concatenate([b for _, b in got])
    assert sorted(ys.tolist()) == list(range(10)) and ys.tolist() != list(range(10))
    for a, b in got:
        np.testing.assert_array_equal(a, x[b])
    assert nabla.data.experimental.AUTOTUNE == nabla.data.AUTOTUNE
    assert len(nabla.data.Dataset.from_tensor_slices(x).batch(3)) == 4


def test_map_with_python_function_in_parallel():
    x = np.arange(1000, dtype=np.float32)
    ds = nabla.data.Dataset.from_tensor_slices(x)
    ds = ds.map(lambda v: v * 2.0 + 1.0, num_parallel_calls=nabla.data.AUTOTUNE).batch(100)
    out = np.concatenate([np.asarray(b) for b in ds])
    np.testing.assert_array_equal(out, x * 2 + 1)
    # Several components in and out, and filter.
    pairs = nabla.data.Dataset.from_tensor_slices((x, x.astype(np.int64))).map(
        lambda a, b: (a / 255.0, b % 3), num_parallel_calls=4).filter(lambda a, b: b == 0)
    ys = [int(np.asarray(b)) for _, b in pairs]
    assert len(ys) == 334 and set(ys) == {0}


def test_map_error_reaches_python():
    def bad(v):
        raise KeyError("no such feature")

    ds = nabla.data.Dataset.from_tensor_slices(np.ones(4, np.float32)).map(bad, num_parallel_calls=2)
    with pytest.raises(Exception, match="no such feature"):
        list(ds)


def test_cache_repeat_take_and_numpy_iterator():
    calls = []

    def f(v):
        calls.append(1)
        return v

    ds = nabla.data.Dataset.range(5).map(f).cache()
    assert [int(v) for v in ds.as_numpy_iterator()] == list(range(5))
    assert [int(v) for v in ds.as_numpy_iterator()] == list(range(5))
    assert len(calls) == 5  # the second pass replays the cache
    assert [int(v) for v in nabla.data.Dataset.range(3).repeat(2).take(4).as_numpy_iterator()] == [0, 1, 2, 0]


def test_fit_on_dataset_with_python_map_and_validation_dataset():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 512).astype(np.int64)
    x = (rng.normal(size=(512, 4)) + y[:, None] * 3).astype(np.float64)
    ds = nabla.data.Dataset.from_tensor_slices((x, y)).map(
        lambda a, b: (a * 0.5, b), num_parallel_calls=nabla.data.AUTOTUNE).shuffle(512).batch(32).prefetch(2)
    val = nabla.data.Dataset.from_tensor_slices((x[:64] * 0.5, y[:64])).batch(32)
    m = models.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)), layers.Dense(2, activation="softmax")])
    m.compile(optimizer=nabla.keras.optimizers.Adam(learning_rate=0.02), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    h = m.fit(ds, epochs=8, verbose=0, validation_data=val)
    assert len(h.history["val_accuracy"]) == 8
    assert m.evaluate(val, verbose=0)[1] > 0.9
    assert m.predict(val, verbose=0).shape == (64, 2)


def test_text_vectorization_as_keras():
    from nabla.keras import layers
    v = layers.TextVectorization(max_tokens=6, output_sequence_length=4)
    v.adapt(np.array(["The cat sat.", "the dog", b"The CAT!"]))
    assert v.get_vocabulary() == ["", "[UNK]", "the", "cat", "sat", "dog"]
    assert v.get_vocabulary(include_special_tokens=False) == ["the", "cat", "sat", "dog"]
    ids = v(["the dog sat on the mat", "cat"])
    assert ids.dtype == np.int64 and ids.shape == (2, 4)
    assert ids.tolist() == [[2, 5, 4, 1], [3, 0, 0, 0]]
    w = layers.TextVectorization()
    w.adapt(["x y z"])
    assert w(["y", "z x"]).tolist() == [[3, 0], [4, 2]]
    with pytest.raises(NotImplementedError):
        layers.TextVectorization(output_mode="multi_hot")
    with pytest.raises(ValueError, match="standardize"):
        layers.TextVectorization(standardize="upper")
