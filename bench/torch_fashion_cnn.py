#!/usr/bin/env python3
"""The Fashion-MNIST CNN in PyTorch eager mode, timed the same way as bench/fashion_cnn_bench.cpp.

Conv2d(1, 32, 3) + ReLU -> MaxPool2d(2) -> Conv2d(32, 64, 3) + ReLU -> MaxPool2d(2) -> Flatten -> Dropout(0.5)
-> Linear(1600, 10); cross_entropy on the logits; Adam lr 1e-3, eps 1e-7; Glorot-uniform kernels and zero biases
(Keras's defaults); batch 128, shuffled every epoch. Reuses torch_mnist.py's IDX reader and loop conventions.

Usage: torch_fashion_cnn.py [--epochs N] [--threads N] [--seed S] [--data DIR]
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_mnist  # noqa: E402


def main():
    default_data = os.path.join(os.environ.get("NABLA_DATA", os.path.expanduser("~/.nabla/datasets")),
                                "fashion-mnist")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=default_data)
    args = ap.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))  # see torch_mnist.py
    import torch
    import torch.nn.functional as F
    torch_mnist.torch = torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t0 = time.perf_counter()
    x_train, y_train, x_test, y_test = torch_mnist.load(args.data)
    x_train, x_test = x_train.unsqueeze(1), x_test.unsqueeze(1)  # NCHW
    load_seconds = time.perf_counter() - t0

    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))
    for m in model:
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)

    n, batch = x_train.shape[0], 128
    epoch_seconds, loss = [], float("nan")
    for _ in range(args.epochs):
        start = time.perf_counter()
        model.train()
        perm = torch.randperm(n)
        total, count = 0.0, 0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            opt.zero_grad(set_to_none=True)
            batch_loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            batch_loss.backward()
            opt.step()
            total += batch_loss.item() * len(idx)
            count += len(idx)
        loss = total / count
        epoch_seconds.append(time.perf_counter() - start)

    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum())
                      for i in range(0, x_test.shape[0], 1000))
    print(json.dumps({"framework": "pytorch", "workload": "fashion_cnn", "threads": torch.get_num_threads(),
                      "epochs": args.epochs, "epoch_seconds": epoch_seconds, "train_loss": loss,
                      "test_accuracy": correct / x_test.shape[0], "load_seconds": load_seconds,
                      "torch_version": torch.__version__, "openblas_threads": os.environ["OPENBLAS_NUM_THREADS"]}))


if __name__ == "__main__":
    main()
