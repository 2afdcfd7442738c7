#!/usr/bin/env python3
"""W4 in PyTorch eager mode: inference of the reference MNIST MLP, timed as bench/mnist_infer_bench.cpp times nabla.

model.eval() under torch.inference_mode(), softmax applied to the logits (nabla's model ends in softmax):
batch-1 latency (median and p99 over LATENCY_CALLS calls after WARMUP_CALLS, each on one MNIST test row) and
batch-B throughput (B = --batch-size, 256 by default; samples/s, the median over PASSES passes over the test set's
full batches after one warm-up pass). Inputs are sliced before the clock starts. With --epochs 0 (the default)
the weights are the initial ones; --epochs N trains first (batch 32). Prints one JSON object.

Usage: torch_mnist_infer.py [--epochs N] [--batch-size B] [--threads N] [--seed S] [--data DIR]
"""
import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_mnist  # noqa: E402

WARMUP_CALLS, LATENCY_CALLS, PASSES = 1000, 20000, 50  # about a second each, to ride out noise


def main():
    args = torch_mnist.parse_args(__doc__, "mnist", epochs=0, batch_size=256)
    torch = torch_mnist.import_torch(args)
    x_train, y_train, x_test, _ = torch_mnist.load(args.data)
    model = torch_mnist.make_mlp()
    if args.epochs > 0:
        torch_mnist.train(model, x_train, y_train, 32, args.epochs)
    model.eval()

    def predict(x):
        return torch.softmax(model(x), 1)

    n = x_test.shape[0]
    rows = [x_test[i % n:i % n + 1] for i in range(WARMUP_CALLS + LATENCY_CALLS)]
    batches = [x_test[i:i + args.batch_size] for i in range(0, n - args.batch_size + 1, args.batch_size)]
    latency_ms, samples_per_s = [], []
    with torch.inference_mode():
        for i, row in enumerate(rows):
            t0 = time.perf_counter()
            predict(row)
            if i >= WARMUP_CALLS:
                latency_ms.append(1e3 * (time.perf_counter() - t0))
        for p in range(PASSES + 1):
            t0 = time.perf_counter()
            for b in batches:
                predict(b)
            if p > 0:
                samples_per_s.append(len(batches) * args.batch_size / (time.perf_counter() - t0))
    p99 = sorted(latency_ms)[max(1, math.ceil(0.99 * len(latency_ms))) - 1]  # nearest rank, as the C++ side
    torch_mnist.print_result("mnist_mlp_inference", args, latency_calls=LATENCY_CALLS,
                             latency_ms_median=statistics.median(latency_ms), latency_ms_p99=p99,
                             throughput_samples_per_s=statistics.median(samples_per_s))


if __name__ == "__main__":
    main()
