#!/usr/bin/env python3
"""The Fashion-MNIST CNN in PyTorch eager mode, timed the same way as bench/fashion_cnn_bench.cpp.

Conv2d(1, 32, 3) + ReLU -> MaxPool2d(2) -> Conv2d(32, 64, 3) + ReLU -> MaxPool2d(2) -> Flatten -> Dropout(0.5)
-> Linear(1600, 10); cross_entropy on the logits; Adam lr 1e-3, eps 1e-7; Glorot-uniform kernels and zero biases
(Keras's defaults); batch 128, shuffled every epoch. Reuses torch_mnist.py's reader, loop and result line.

Usage: torch_fashion_cnn.py [--epochs N] [--batch-size B] [--threads N] [--seed S] [--data DIR]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_mnist  # noqa: E402


def main():
    args = torch_mnist.parse_args(__doc__, "fashion-mnist", epochs=5, batch_size=128)
    torch = torch_mnist.import_torch(args)
    nn = torch.nn

    def make_model():
        return torch_mnist.glorot_init(nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10)))

    torch_mnist.train_and_report("fashion_cnn", args, make_model, prepare=lambda x: x.unsqueeze(1))  # NCHW


if __name__ == "__main__":
    main()
