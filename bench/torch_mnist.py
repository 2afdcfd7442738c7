#!/usr/bin/env python3
"""The reference MNIST MLP in PyTorch eager mode, timed the same way as bench/mnist_mlp_bench.cpp.

Flatten -> Linear(784, 128) + ReLU -> Dropout(0.2) -> Linear(128, 10); softmax + sparse crossentropy as
F.cross_entropy on the logits (what Keras computes behind a softmax output); Adam lr 1e-3, eps 1e-7 (torch
adds eps to the bias-corrected sqrt(v), Keras to the raw one: the same cost per step, a negligible difference
in the result); Glorot-uniform kernels and zero biases (Keras's defaults); batch 32 (W1; --batch-size 256 is W2),
shuffled every epoch. Reads the IDX files that scripts/setup installs. Prints one JSON object, like the nabla
program. Also holds what the other PyTorch scripts (torch_fashion_cnn.py, torch_mnist_infer.py) share.

Usage: torch_mnist.py [--epochs N] [--batch-size B] [--threads N] [--seed S] [--data DIR]
"""
import argparse
import gzip
import json
import os
import time

import numpy as np

torch = None  # imported by import_torch(), after the BLAS thread count is set


def parse_args(doc, dataset, epochs, batch_size):
    """The scripts' common flags; doc's first line describes the script, dataset names the data directory."""
    default_data = os.path.join(os.environ.get("NABLA_DATA", os.path.expanduser("~/.nabla/datasets")), dataset)
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=epochs)
    ap.add_argument("--batch-size", type=int, default=batch_size)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=default_data)
    return ap.parse_args()


def import_torch(args):
    """Imports torch with args.threads threads and seeds it."""
    # Debian's torch does its matrix products in OpenBLAS (BLAS_INFO=generic, not MKL), whose own pthread pool
    # ignores torch.set_num_threads and, left at one thread per CPU beside torch's OpenMP threads, oversubscribes
    # the cores (25 ms instead of 1 ms for a 32x784x128 product on a busy 2-CPU machine). OpenBLAS reads its
    # thread count from the environment when it loads, so set it before importing torch.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    global torch
    import torch as imported
    torch = imported
    # Denormals flushed to zero, as TensorFlow runs its kernels and nabla its optimizer updates: Adam's state decays
    # onto denormals, which cost Intel cores microcode assists (W1 here 2.04 -> 1.53 s/epoch, same losses).
    # Before the thread pool starts, so that its threads inherit the setting.
    torch.set_flush_denormal(True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    return torch


def read_idx(path):
    """An IDX file (raw or .gz) as a numpy array."""
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir):
    """Train images, train labels, test images, test labels: images float32 in [0, 1], labels int64."""
    def images(name):
        return torch.from_numpy(read_idx(os.path.join(data_dir, name)).astype(np.float32) / 255.0)

    def labels(name):
        return torch.from_numpy(read_idx(os.path.join(data_dir, name)).astype(np.int64))

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


def glorot_init(model):
    """Keras's defaults: Glorot-uniform kernels, zero biases."""
    for m in model.modules():
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
            torch.nn.init.xavier_uniform_(m.weight)
            torch.nn.init.zeros_(m.bias)
    return model


def make_mlp():
    nn = torch.nn
    return glorot_init(nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),
                                     nn.Linear(128, 10)))


def train(model, x, y, batch, epochs):
    """Adam (lr 1e-3, eps 1e-7) over shuffled batches; returns the seconds of each epoch and the last epoch's
    mean loss."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    n = x.shape[0]
    epoch_seconds, loss = [], float("nan")
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        perm = torch.randperm(n)
        total, count = 0.0, 0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            opt.zero_grad(set_to_none=True)
            batch_loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            batch_loss.backward()
            opt.step()
            # The running mean loss, as Keras's progress bar keeps; costs a sync per step like nabla's.
            total += batch_loss.item() * len(idx)
            count += len(idx)
        loss = total / count
        epoch_seconds.append(time.perf_counter() - start)
    return epoch_seconds, loss


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum()) for i in range(0, x.shape[0], 1000))
    return correct / x.shape[0]


def print_result(workload, args, **fields):
    print(json.dumps({"framework": "pytorch", "workload": workload, "threads": torch.get_num_threads(),
                      "epochs": args.epochs, "batch_size": args.batch_size, **fields,
                      "torch_version": torch.__version__, "openblas_threads": os.environ["OPENBLAS_NUM_THREADS"]}))


def train_and_report(workload, args, make_model, prepare=lambda x: x):
    """Loads args.data, then builds the model (make_model()), trains it and prints the result line; prepare
    reshapes the images. Data first, as the seed program does: built the other way round, glibc's allocator hands
    Debian's torch fresh pages at every step (sys time about user time; the Fashion CNN took 55 s an epoch at 1
    thread instead of 17, issue 17)."""
    t0 = time.perf_counter()
    x_train, y_train, x_test, y_test = load(args.data)
    x_train, x_test = prepare(x_train), prepare(x_test)
    load_seconds = time.perf_counter() - t0
    model = make_model()
    epoch_seconds, loss = train(model, x_train, y_train, args.batch_size, args.epochs)
    print_result(workload, args, epoch_seconds=epoch_seconds, train_loss=loss,
                 test_accuracy=accuracy(model, x_test, y_test), load_seconds=load_seconds)


def main():
    args = parse_args(__doc__, "mnist", epochs=5, batch_size=32)
    import_torch(args)
    train_and_report("mnist_mlp", args, make_mlp)


if __name__ == "__main__":
    main()
