#!/usr/bin/env python3
"""Fixtures for tests/onnx (the ONNX importer): small PyTorch models exported with torch.onnx.export, each with an
input batch and PyTorch's outputs for it, so that the gtest cases can check nabla's import against PyTorch.

Run with Debian's python3-torch (/usr/bin/python3): make_import_fixtures.py --out DIR. Writes DIR/<name>.onnx and
DIR/<name>.json ({"opset", "input": {"shape", "data"}, "output": {"shape", "data"}}) for each model; the models are
in eval mode, deterministic (seeded) and exported with a dynamic batch axis.
"""
import argparse
import json
import os
import sys

import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 12)
        self.fc3 = nn.Linear(12, 4)

    def forward(self, x):
        return torch.softmax(self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x))))), dim=-1)


class CNNBatchNorm(nn.Module):
    """Conv -> BN -> ReLU -> MaxPool, twice, then Flatten -> Linear. PRESERVE keeps BatchNormalization nodes
    (EVAL mode would fold them into the convolutions)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 8, 3)
        self.bn2 = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 2 * 2, 5)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = self.pool(torch.relu(self.bn2(self.conv2(x))))
        return self.fc(torch.flatten(x, 1))


class Residual(nn.Module):
    """A residual block (conv-bn-relu-conv-bn + skip, relu), a strided conv, a channel concat of two branches,
    a reshape with a constant shape, a transpose and a BatchNorm1d over features."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(2, 4, 3, padding=1)
        self.c1 = nn.Conv2d(4, 4, 3, padding=1)
        self.b1 = nn.BatchNorm2d(4)
        self.c2 = nn.Conv2d(4, 4, 3, padding=1)
        self.b2 = nn.BatchNorm2d(4)
        self.down = nn.Conv2d(4, 4, 3, stride=2, padding=1)
        self.side = nn.Conv2d(4, 2, 1)
        self.avg = nn.AvgPool2d(2)
        self.fc = nn.Linear(6 * 2 * 2, 6)
        self.bn = nn.BatchNorm1d(6)
        self.out = nn.Linear(6, 3)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        y = torch.relu(self.b1(self.c1(x)))
        x = torch.relu(self.b2(self.c2(y)) + x)
        x = self.down(x)                                   # 8x8 -> 4x4, torch's symmetric padding
        x = torch.cat([x, self.side(x)], dim=1)            # 6 channels
        x = self.avg(x)                                    # 2x2
        x = x.permute(0, 2, 3, 1).reshape(-1, 2 * 2 * 6)   # Transpose, then Reshape with a constant shape
        return self.out(torch.relu(self.bn(self.fc(x))))


class OpLevel(nn.Module):
    """Nodes that run as op-level layers or need the axis bookkeeping: arithmetic with constants, torch's
    symmetric padding in a strided MaxPool (-inf pads) and a counting AvgPool (zero pads), a softmax over the
    channels, a Gather with a constant index, a Linear over a rank-3 tensor (MatMul + Add), LeakyReLU, ELU,
    Sigmoid, Tanh and a Concat of the flattened branches."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.avg = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=True)
        self.lin = nn.Linear(4, 5)

    def forward(self, x):
        x = nn.functional.leaky_relu(self.conv(x * 2.0 - 1.0), 0.1)
        x = self.pool(x)                                    # 8x8 -> 4x4
        x = torch.softmax(self.avg(x), dim=1)               # over the channels
        s = torch.sigmoid(x[:, 1])                          # Gather with a constant index: [N, 4, 4]
        t = x.reshape(-1, 4, 16).transpose(1, 2)            # [N, 16, 4]
        h = nn.functional.elu(self.lin(t))                  # MatMul + Add over rank 3
        return torch.cat([h.reshape(-1, 80), s.reshape(-1, 16), torch.tanh(t).reshape(-1, 64) / 3.0], dim=1)


class ViewBatch(nn.Module):
    """x.view(x.size(0), -1): torch computes the Reshape target from the input's Shape (Shape, Gather, Unsqueeze,
    Concat), with the batch size symbolic."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        y = torch.relu(self.conv(x))
        return self.fc(y.view(y.size(0), -1))


class Embedding(nn.Module):
    """Gather from a constant table by the integer input: an Embedding."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.fc = nn.Linear(12, 2)

    def forward(self, ids):
        return self.fc(self.emb(ids).reshape(-1, 12))


def randomize_bn(model, gen):
    # Fresh BatchNorm statistics are 0 and 1; nonzero ones make the test see whether they are used.
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.5)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=gen) * 0.2)


def export(model, x, path, opset):
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)


def tensor_json(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    cases = [("mlp", MLP(), (5, 8), 13), ("cnn_bn", CNNBatchNorm(), (3, 3, 12, 12), 15),
             ("residual", Residual(), (4, 2, 8, 8), 17), ("op_level", OpLevel(), (2, 3, 8, 8), 14),
             ("embedding", Embedding(), (3, 3), 13), ("view_batch", ViewBatch(), (3, 1, 6, 6), 16)]
    for name, model, shape, opset in cases:
        randomize_bn(model, gen)
        model.eval()
        if name == "embedding":
            x = torch.randint(0, 10, shape, generator=gen)
        else:
            x = torch.randn(*shape, generator=gen)
        with torch.no_grad():
            y = model(x)
        path = os.path.join(args.out, name + ".onnx")
        export(model, x, path, opset)
        with open(os.path.join(args.out, name + ".json"), "w") as f:
            json.dump({"opset": opset, "input": tensor_json(x), "output": tensor_json(y)}, f)
    print("make_import_fixtures: wrote", ", ".join(c[0] for c in cases), "to", args.out)


if __name__ == "__main__":
    sys.exit(main())
