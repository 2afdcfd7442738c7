#!/usr/bin/env python3
"""W1-W4 in TensorFlow 2.21 with Keras 3 (the project venv's tensorflow-cpu: oneDNN inside), timed as nabla's
bench programs time nabla, for bench/side_by_side.py:

  mlp    the seed's MNIST program (Flatten, Dense 128 relu, Dropout 0.2, Dense 10 softmax; Adam lr 1e-3, eps 1e-7;
         sparse crossentropy; shuffled every epoch), fit with verbose=0: seconds of each epoch, test accuracy
  cnn    the Fashion-MNIST CNN of examples/fashion_cnn (Conv 32 3x3 relu, pool, Conv 64 3x3 relu, pool, Flatten,
         Dropout 0.5, Dense 10 softmax)
  infer  the MLP's inference with its initial weights, through a tf.function (TensorFlow's fastest path for
         small batches; Keras's predict() adds milliseconds per call): batch-1 latency over LATENCY_CALLS calls
         after WARMUP_CALLS, batch-B throughput over PASSES passes of the test set's full batches

Every epoch's time includes what TensorFlow does in it (the first traces and compiles the train step), as the
seed program's fit time would. Threads: --threads sets TensorFlow's intra- and inter-op pools. Prints one JSON
object. Run with the venv's python: .venv/bin/python bench/tf_keras_bench.py mlp --threads 1
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_mnist import read_idx  # noqa: E402  (its IDX reader only; torch is not imported)

WARMUP_CALLS, LATENCY_CALLS, PASSES = 1000, 20000, 50  # as bench/torch_mnist_infer.py


def load(data_dir):
    def images(name):
        return read_idx(os.path.join(data_dir, name)).astype(np.float32) / 255.0

    def labels(name):
        return read_idx(os.path.join(data_dir, name)).astype(np.int64)

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload", choices=["mlp", "cnn", "infer"])
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=None)
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    import keras
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(args.seed)
    layers = keras.layers
    dataset = "fashion-mnist" if args.workload == "cnn" else "mnist"
    data = args.data or os.path.join(os.environ.get("NABLA_DATA", os.path.expanduser("~/.nabla/datasets")), dataset)
    x_train, y_train, x_test, y_test = load(data)

    def mlp():
        return keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Dense(128, activation="relu"),
                                 layers.Dropout(0.2), layers.Dense(10, activation="softmax")])

    base = {"framework": "tensorflow", "threads": args.threads, "tf_version": tf.__version__,
            "keras_version": keras.__version__}
    if args.workload == "infer":
        batch = args.batch_size or 256
        model = mlp()
        predict = tf.function(lambda x: model(x, training=False))
        n = x_test.shape[0]
        rows = [tf.constant(x_test[i % n:i % n + 1]) for i in range(WARMUP_CALLS + LATENCY_CALLS)]
        batches = [tf.constant(x_test[i:i + batch]) for i in range(0, n - batch + 1, batch)]
        latency_ms, samples_per_s = [], []
        for i, row in enumerate(rows):
            t0 = time.perf_counter()
            predict(row).numpy()
            if i >= WARMUP_CALLS:
                latency_ms.append(1e3 * (time.perf_counter() - t0))
        for p in range(PASSES + 1):
            t0 = time.perf_counter()
            for b in batches:
                predict(b).numpy()
            if p > 0:
                samples_per_s.append(len(batches) * batch / (time.perf_counter() - t0))
        p99 = sorted(latency_ms)[max(1, math.ceil(0.99 * len(latency_ms))) - 1]
        print(json.dumps({**base, "workload": "mnist_mlp_inference", "epochs": 0, "batch_size": batch,
                          "latency_calls": LATENCY_CALLS, "latency_ms_median": statistics.median(latency_ms),
                          "latency_ms_p99": p99, "throughput_samples_per_s": statistics.median(samples_per_s)}))
        return

    if args.workload == "cnn":
        x_train, x_test = x_train[..., None], x_test[..., None]
        model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
                                  layers.MaxPooling2D(2), layers.Conv2D(64, 3, activation="relu"),
                                  layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(0.5),
                                  layers.Dense(10, activation="softmax")])
        epochs, batch = args.epochs or 1, args.batch_size or 128
    else:
        model = mlp()
        epochs, batch = args.epochs or 5, args.batch_size or 32
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    epoch_seconds = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            epoch_seconds.append(time.perf_counter() - self.start)

    history = model.fit(x_train, y_train, batch_size=batch, epochs=epochs, shuffle=True, verbose=0,
                        callbacks=[EpochTimer()])
    _, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    print(json.dumps({**base, "workload": "fashion_cnn" if args.workload == "cnn" else "mnist_mlp",
                      "epochs": epochs, "batch_size": batch, "epoch_seconds": epoch_seconds,
                      "train_loss": float(history.history["loss"][-1]), "test_accuracy": float(accuracy)}))


if __name__ == "__main__":
    main()
