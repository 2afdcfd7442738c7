#!/usr/bin/env python3
"""The reference MNIST MLP in PyTorch eager mode, timed the same way as bench/mnist_mlp_bench.cpp.

Flatten -> Linear(784, 128) + ReLU -> Dropout(0.2) -> Linear(128, 10); softmax + sparse crossentropy as
F.cross_entropy on the logits (what Keras computes behind a softmax output); Adam lr 1e-3, eps 1e-7 (torch
adds eps to the bias-corrected sqrt(v), Keras to the raw one: the same cost per step, a negligible difference
in the result); Glorot-uniform kernels and zero biases (Keras's defaults); batch 32, shuffled every epoch.
Reads the IDX files that scripts/setup installs. Prints one JSON object, like the nabla program.

Usage: torch_mnist.py [--epochs N] [--threads N] [--seed S] [--data DIR]
"""
import argparse
import gzip
import json
import os
import time

import numpy as np

torch = F = None  # imported in main(), after the BLAS thread count is set


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
    def images(name):
        return torch.from_numpy(read_idx(os.path.join(data_dir, name)).astype(np.float32) / 255.0)

    def labels(name):
        return torch.from_numpy(read_idx(os.path.join(data_dir, name)).astype(np.int64))

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


def main():
    default_data = os.path.join(os.environ.get("NABLA_DATA", os.path.expanduser("~/.nabla/datasets")), "mnist")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=default_data)
    args = ap.parse_args()

    # Debian's torch does its matrix products in OpenBLAS (BLAS_INFO=generic, not MKL), whose own pthread pool
    # ignores torch.set_num_threads and, left at one thread per CPU beside torch's OpenMP threads, oversubscribes
    # the cores (25 ms instead of 1 ms for a 32x784x128 product on a busy 2-CPU machine). OpenBLAS reads its
    # thread count from the environment when it loads, so set it before importing torch.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    global torch, F
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t0 = time.perf_counter()
    x_train, y_train, x_test, y_test = load(args.data)
    load_seconds = time.perf_counter() - t0

    model = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(784, 128),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(128, 10),
    )
    for m in model:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            torch.nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)

    n, batch = x_train.shape[0], 32
    epoch_seconds, loss = [], float("nan")
    for _ in range(args.epochs):
        start = time.perf_counter()
        model.train()
        perm = torch.randperm(n)
        total, count = 0.0, 0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            xb, yb = x_train[idx], y_train[idx]
            opt.zero_grad(set_to_none=True)
            batch_loss = F.cross_entropy(model(xb), yb)
            batch_loss.backward()
            opt.step()
            # The running mean loss, as Keras's progress bar keeps; costs a sync per step like nabla's.
            total += batch_loss.item() * len(idx)
            count += len(idx)
        loss = total / count
        epoch_seconds.append(time.perf_counter() - start)

    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum())
                      for i in range(0, x_test.shape[0], 1000))
    print(json.dumps({"framework": "pytorch", "workload": "mnist_mlp", "threads": torch.get_num_threads(),
                      "epochs": args.epochs, "epoch_seconds": epoch_seconds, "train_loss": loss,
                      "test_accuracy": correct / x_test.shape[0], "load_seconds": load_seconds,
                      "torch_version": torch.__version__, "openblas_threads": os.environ["OPENBLAS_NUM_THREADS"]}))


if __name__ == "__main__":
    main()
