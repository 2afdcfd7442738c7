"""nabla.keras from Python: models, compile objects, fit options, callbacks, saving, the GIL and Ctrl-C, and the
Python exception types of nabla's errors."""
import os
import signal
import threading
import time

import numpy as np
import pytest

import nabla
from nabla import keras
from nabla.keras import layers, models, optimizers, losses, metrics, callbacks


def blobs(n=512, seed=0):
    """Three separable classes in 8 dimensions."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n).astype(np.int64)
    centers = np.eye(3, 8) * 4
    x = (centers[y] + rng.normal(size=(n, 8))).astype(np.float32)
    return x, y


def small_model():
    m = models.Sequential([layers.Dense(16, activation="relu", input_shape=(8,)), layers.Dense(3, activation="softmax")])
    m.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    return m


def test_sequential_fit_evaluate_predict():
    x, y = blobs()
    m = small_model()
    h = m.fit(x, y, epochs=3, batch_size=32, verbose=0, validation_split=0.25)
    assert h.epoch == [0, 1, 2]
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert m.history is h
    loss, acc = m.evaluate(x, y, verbose=0)
    assert acc > 0.9
    p = m.predict(x[:10])
    assert isinstance(p, np.ndarray) and p.shape == (10, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-5)
    assert m.evaluate(x, y, verbose=0, return_dict=True).keys() == {"loss", "accuracy"}


def test_float64_arrays_train_like_their_float32_copy():
    """numpy's float64 (images / 255.0) goes in without a float32 copy of the whole array: fit, evaluate and predict
    convert batch by batch, and the results are those of the float32 data."""
    x32, y = blobs(256)
    x64 = x32.astype(np.float64)
    runs = []
    for x in (x64, x32):
        nabla.random.set_seed(3)
        m = small_model()
        h = m.fit(x, y, epochs=2, batch_size=32, verbose=0, validation_data=(x, y))
        runs.append((h.history, m.evaluate(x, y, verbose=0), m.predict(x, verbose=0)))
    assert runs[0][0] == runs[1][0]
    assert runs[0][1] == runs[1][1]
    assert runs[0][2].dtype == np.float32
    np.testing.assert_array_equal(runs[0][2], runs[1][2])
    t = nabla.from_numpy(x64)
    assert t.dtype == "float64" and t.float().dtype == "float32"
    np.testing.assert_array_equal(np.asarray(t.float()), x32)


def test_on_batch_results_in_keras_order():
    x, y = blobs(64)
    m = small_model()
    first = m.train_on_batch(x, y)
    assert isinstance(first, list) and len(first) == 2  # [loss, accuracy], loss first as in Keras
    for _ in range(30):
        m.train_on_batch(x, y)
    loss, acc = m.test_on_batch(x, y)
    assert loss < first[0] and 0.9 < acc <= 1.0
    d = m.test_on_batch(x, y, return_dict=True)
    assert list(d) == ["loss", "accuracy"] and d["loss"] == pytest.approx(loss)
    w = m.test_on_batch(x, y, sample_weight=np.ones(len(y), np.float32))
    assert w[0] == pytest.approx(loss, rel=1e-5)


def test_random_set_seed_repeats_initialization():
    def weights():
        nabla.random.set_seed(123)
        return small_model().get_weights()
    a, b = weights(), weights()
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    nabla.random.set_seed(124)
    assert not np.array_equal(small_model().get_weights()[0], a[0])


def test_fit_options_validation_data_class_and_sample_weight():
    x, y = blobs()
    m = small_model()
    h = m.fit(x, y, epochs=2, verbose=0, validation_data=(x[:64], y[:64]), class_weight={0: 1, 1: 10},
              shuffle=False, batch_size=64)
    assert "val_loss" in h.history
    h = m.fit(x, y, epochs=1, verbose=0, sample_weight=np.ones(len(x)))
    assert len(h.history["loss"]) == 1
    with pytest.raises(ValueError, match="class"):
        m.fit(x, y, epochs=1, verbose=0, class_weight={7: 2.0})


def test_add_summary_and_layer_kwargs():
    m = models.Sequential()
    m.add(layers.Input(shape=(28, 28, 1)))
    m.add(layers.Conv2D(4, 3, padding="same", activation="relu"))
    m.add(layers.MaxPooling2D(pool_size=2))
    m.add(layers.BatchNormalization())
    m.add(layers.Flatten())
    m.add(layers.Dropout(0.5))
    m.add(layers.Dense(10, activation="softmax", kernel_initializer="he_normal"))
    lines = []
    m.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "conv2d" in text and "(None, 14, 14, 4)" in text
    assert m.count_params() == 4 * 9 + 4 + 4 * 4 + 14 * 14 * 4 * 10 + 10
    assert [type(l).__name__ for l in m.layers][:2] == ["Conv2D", "MaxPooling2D"]
    assert m.layers[0].get_config()["padding"] == "same"


def test_embedding_functional_multi_input():
    ids = keras.Input(shape=(5,), name="ids")
    feats = keras.Input(shape=(3,), name="feats")
    e = layers.GlobalAveragePooling1D()(layers.Embedding(20, 4)(ids))
    out = layers.Dense(1, activation="sigmoid")(layers.Concatenate()([e, feats]))
    m = keras.Model(inputs=[ids, feats], outputs=out)
    m.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss=losses.BinaryCrossentropy(),
              metrics=[metrics.BinaryAccuracy()])
    rng = np.random.default_rng(1)
    xi = rng.integers(0, 20, (64, 5)).astype(np.int64)
    xf = rng.normal(size=(64, 3)).astype(np.float32)
    yt = (xf[:, 0] > 0).astype(np.float32)
    h = m.fit([xi, xf], yt, epochs=2, verbose=0)
    assert "binary_accuracy" in h.history
    assert m.predict([xi, xf], verbose=0).shape == (64, 1)
    assert m.optimizer.learning_rate == pytest.approx(0.01)


def test_eager_layer_call_and_weights():
    d = layers.Dense(2, use_bias=False)
    y = d(np.ones((3, 4), np.float32))
    assert y.shape == (3, 2)
    k = d.weights[0]
    np.asarray(k)[...] = 1.0  # the weight tensor is shared memory
    np.testing.assert_allclose(np.asarray(d(np.ones((1, 4), np.float32))), [[4.0, 4.0]])
    d.set_weights([np.zeros((4, 2), np.float32)])
    assert np.asarray(d(np.ones((1, 4), np.float32))).sum() == 0


def test_save_and_load_model(tmp_path):
    x, y = blobs()
    m = small_model()
    m.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    m.save(path)
    back = models.load_model(path)
    np.testing.assert_allclose(back.predict(x[:8], verbose=0), m.predict(x[:8], verbose=0), rtol=1e-6)
    assert isinstance(back, models.Sequential)
    back.fit(x, y, epochs=1, verbose=0)  # compiled from the file, optimizer state included
    assert back.optimizer.learning_rate == pytest.approx(0.01)


def test_callbacks_python_and_builtin(tmp_path):
    x, y = blobs()
    seen = []

    class Recorder(callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(("begin", self.model is m))

        def on_epoch_end(self, epoch, logs=None):
            seen.append(("epoch", epoch, sorted(logs)))
            logs["extra"] = 1.0

        def on_batch_end(self, batch, logs=None):
            seen.append(("batch",))

    ends = []
    m = small_model()
    ckpt = tmp_path / "best.keras"
    m.fit(x, y, epochs=3, batch_size=256, verbose=0, validation_split=0.25, callbacks=[
        Recorder(),
        callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: ends.append(logs["loss"])),
        callbacks.ModelCheckpoint(str(ckpt), save_best_only=True),
        callbacks.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5, min_delta=10.0),
    ])
    assert seen[0] == ("begin", True)
    assert ("epoch", 0, ["accuracy", "loss", "val_accuracy", "val_loss"]) in seen
    assert seen.count(("batch",)) == 3 * 2
    assert len(ends) == 3 and ckpt.exists()
    assert m.history.history["extra"] == [1.0, 1.0, 1.0]
    assert m.optimizer.learning_rate < 0.01  # ReduceLROnPlateau (no epoch improves by 10) lowered it


def test_early_stopping_and_stop_training():
    x, y = blobs()
    m = small_model()
    es = callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=100.0)
    h = m.fit(x, y, epochs=10, verbose=0, callbacks=[es])
    assert len(h.epoch) == 2 and es.stopped_epoch == 1

    class Stop(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = True

    assert m.fit(x, y, epochs=10, verbose=0, callbacks=[Stop()]).epoch == [0]


def test_python_callback_error_propagates_and_model_stays_usable():
    x, y = blobs()
    m = small_model()

    class Boom(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("boom from a callback")

    with pytest.raises(RuntimeError, match="boom from a callback"):
        m.fit(x, y, epochs=3, verbose=0, callbacks=[Boom()])
    assert len(m.fit(x, y, epochs=1, verbose=0).epoch) == 1


def test_ctrl_c_during_fit_raises_keyboard_interrupt():
    x, y = blobs(4096)
    m = small_model()
    started = threading.Event()

    class Started(callbacks.Callback):
        def on_train_begin(self, logs=None):
            started.set()

    def interrupt():
        started.wait()
        time.sleep(0.3)
        os.kill(os.getpid(), signal.SIGINT)

    t = threading.Thread(target=interrupt)
    t.start()
    with pytest.raises(KeyboardInterrupt):
        m.fit(x, y, epochs=100000, batch_size=8, verbose=0, callbacks=[Started()])
    t.join()
    assert len(m.fit(x, y, epochs=1, verbose=0).epoch) == 1  # still usable


def test_other_python_thread_runs_during_fit():
    x, y = blobs(4096)
    m = small_model()
    count = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            count[0] += 1

    marks = {}

    class Marks(callbacks.Callback):
        def on_train_begin(self, logs=None):
            marks["begin"] = count[0]

        def on_train_end(self, logs=None):
            marks["end"] = count[0]

    t = threading.Thread(target=spin)
    t.start()
    try:
        m.fit(x, y, epochs=5, batch_size=16, verbose=0, callbacks=[Marks()])
    finally:
        stop.set()
        t.join()
    # Holding the GIL, fit would leave the other thread no time between the two hooks.
    assert marks["end"] - marks["begin"] > 10000


def test_error_types():
    with pytest.raises(TypeError, match="unrecognized keyword"):
        layers.Dense(3, activaton="relu")
    with pytest.raises(ValueError, match="unknown activation"):
        layers.Dense(3, activation="nope")
    with pytest.raises(ValueError):
        optimizers.get("nope")
    with pytest.raises(TypeError):
        optimizers.get(3)
    m = small_model()
    with pytest.raises(ValueError):
        m.fit(np.zeros((4, 5), np.float32), np.zeros(4, np.int64), verbose=0)  # 5 features, the model takes 8
    with pytest.raises(IOError):
        models.load_model("/nonexistent/model.keras")


def test_datasets_load_data_shapes():
    (xt, yt), (xs, ys) = keras.datasets.mnist.load_data()
    assert xt.shape == (60000, 28, 28) and xt.dtype == np.uint8
    assert yt.shape == (60000,) and ys.shape == (10000,) and xs.shape == (10000, 28, 28)
    (ft, _), _ = keras.datasets.fashion_mnist.load_data()
    assert ft.shape == (60000, 28, 28)


def test_debugging_check_numerics():
    t = nabla.constant([1.0, 2.0])
    assert np.asarray(nabla.debugging.check_numerics(t, "fine")).tolist() == [1.0, 2.0]
    with pytest.raises(nabla.errors.InvalidArgumentError, match="Tensor contains NaNs"):
        nabla.debugging.check_numerics(np.array([1.0, np.nan], np.float32), message="Tensor contains NaNs")
    assert issubclass(nabla.errors.InvalidArgumentError, ValueError)
    nabla.debugging.enable_check_numerics(dump_on_failure=False)
    try:
        with pytest.raises(nabla.errors.InvalidArgumentError):
            x = nabla.constant([0.0]) / nabla.constant([0.0])
            del x
    finally:
        nabla.debugging.disable_check_numerics()


def test_imbalance_utilities():
    y = np.array([0] * 90 + [1] * 10)
    w = nabla.imbalance.compute_class_weight("balanced", y)
    assert w == pytest.approx({0: 100 / 180, 1: 100 / 20})
    sw = nabla.imbalance.compute_sample_weight({1: 3.0}, y)
    assert sw.shape == (100,) and sw[-1] == 3.0 and sw[0] == 1.0
    x = np.arange(100, dtype=np.float32)[:, None]
    xr, yr = nabla.imbalance.resample(x, y, n_samples=50, random_state=0, stratify=y)
    assert xr.shape == (50, 1) and (yr == 1).sum() == 5
    xtr, xte, ytr, yte = nabla.imbalance.train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)
    assert len(xte) == 20 and (yte == 1).sum() == 2
