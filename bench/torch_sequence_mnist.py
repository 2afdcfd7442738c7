#!/usr/bin/env python3
"""Issue 21's sequence model in PyTorch eager mode (nn.LSTM), timed the same way as bench/sequence_mnist_bench.cpp.

MNIST row by row: nn.LSTM(28, 128, batch_first=True), its last output -> Linear(128, 10); cross_entropy on the
logits; Adam lr 1e-3, eps 1e-7; batch 32, shuffled every epoch. Keras's initializers: Glorot-uniform input
weights, orthogonal recurrent weights, zero biases with the forget gate's at 1. Reuses torch_mnist.py's reader,
loop and result line.

Usage: torch_sequence_mnist.py [--epochs N] [--batch-size B] [--threads N] [--seed S] [--data DIR]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_mnist  # noqa: E402


def main():
    args = torch_mnist.parse_args(__doc__, "mnist", epochs=3, batch_size=32)
    torch = torch_mnist.import_torch(args)
    nn = torch.nn

    class SequenceModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, 128, batch_first=True)
            self.head = nn.Linear(128, 10)
            with torch.no_grad():
                nn.init.xavier_uniform_(self.lstm.weight_ih_l0)
                nn.init.orthogonal_(self.lstm.weight_hh_l0)
                self.lstm.bias_ih_l0.zero_()
                self.lstm.bias_hh_l0.zero_()
                self.lstm.bias_ih_l0[128:256] = 1.0  # Keras's unit_forget_bias
            torch_mnist.glorot_init(self.head)

        def forward(self, x):
            y, _ = self.lstm(x)
            return self.head(y[:, -1])

    torch_mnist.train_and_report("sequence_mnist", args, SequenceModel)


if __name__ == "__main__":
    main()
