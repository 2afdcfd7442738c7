#!/usr/bin/env python3
"""Seeds for onnx_import_fuzz in fuzz/corpus/onnx_import_fuzz/: tiny ONNX graphs (a few hundred bytes each) that
cover the ops the importer maps, written with Debian's python3-onnx:
    /usr/bin/python3 fuzz/make_onnx_corpus.py"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "onnx_import_fuzz")


def const(name, a, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(a, dtype=dtype), name)


def save(name, nodes, inputs, outputs, inits, opset=13):
    g = helper.make_graph(nodes, name, inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="nabla-seed")
    m.ir_version = 8
    onnx.checker.check_model(m)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(m.SerializeToString())


def vi(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def main():
    os.makedirs(OUT, exist_ok=True)
    r = np.random.default_rng(0)
    # Gemm (transB) -> Relu -> MatMul + Add -> Softmax
    save("mlp", [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], "fc1", transB=1),
                 helper.make_node("Relu", ["h"], ["r"], "relu"),
                 helper.make_node("MatMul", ["r", "w2"], ["m"], "fc2"),
                 helper.make_node("Add", ["m", "b2"], ["a"], "bias"),
                 helper.make_node("Softmax", ["a"], ["y"], "softmax", axis=-1)],
         [vi("x", ["N", 3])], [vi("y", ["N", 2])],
         [const("w1", r.normal(size=(4, 3))), const("b1", r.normal(size=4)), const("w2", r.normal(size=(4, 2))),
          const("b2", r.normal(size=2))])
    # NCHW: Conv (torch pads) -> BN -> MaxPool (pads) -> Add skip -> Concat -> GlobalAveragePool -> Flatten
    save("cnn", [helper.make_node("Conv", ["x", "cw", "cb"], ["c"], "conv", pads=[1, 1, 1, 1], strides=[2, 2]),
                 helper.make_node("BatchNormalization", ["c", "g", "be", "mu", "var"], ["bn"], "bn", epsilon=1e-5),
                 helper.make_node("MaxPool", ["bn"], ["p"], "pool", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                 helper.make_node("Add", ["p", "bn"], ["s"], "skip"),
                 helper.make_node("Concat", ["s", "bn"], ["cat"], "cat", axis=1),
                 helper.make_node("Pad", ["cat", "pads"], ["pd"], "pad"),
                 helper.make_node("AveragePool", ["pd"], ["ap"], "avg", kernel_shape=[2, 2], strides=[1, 1]),
                 helper.make_node("GlobalAveragePool", ["ap"], ["gap"], "gap"),
                 helper.make_node("Flatten", ["gap"], ["y"], "flat")],
         [vi("x", ["N", 1, 4, 4])], [vi("y", ["N", 4])],
         [const("cw", r.normal(size=(2, 1, 3, 3))), const("cb", r.normal(size=2)), const("g", [1, 2]),
          const("be", [0, 1]), const("mu", [0.5, -0.5]), const("var", [1, 2]),
          const("pads", [0, 0, 1, 1, 0, 0, 0, 0], np.int64)], opset=15)
    # Transpose (NHWC in) -> Conv -> Transpose back -> Reshape -> Gather -> Mul -> Tanh
    save("nhwc", [helper.make_node("Transpose", ["x"], ["t"], "to_nchw", perm=[0, 3, 1, 2]),
                  helper.make_node("Conv", ["t", "cw"], ["c"], "conv", auto_pad="SAME_UPPER"),
                  helper.make_node("Transpose", ["c"], ["u"], "to_nhwc", perm=[0, 2, 3, 1]),
                  helper.make_node("Reshape", ["u", "shape"], ["f"], "flat"),
                  helper.make_node("Gather", ["f", "idx"], ["gth"], "pick", axis=1),
                  helper.make_node("Mul", ["gth", "k"], ["m"], "scale"),
                  helper.make_node("Tanh", ["m"], ["y"], "tanh")],
         [vi("x", ["N", 3, 3, 1])], [vi("y", ["N", 3])],
         [const("cw", r.normal(size=(2, 1, 2, 2))), const("shape", [-1, 18], np.int64),
          const("idx", [0, 5, 17], np.int64), const("k", 0.5)])
    # Embedding: Gather from a constant table by integer ids, then Flatten and Sigmoid
    save("embedding", [helper.make_node("Gather", ["table", "ids"], ["e"], "embed"),
                       helper.make_node("Flatten", ["e"], ["f"], "flat"),
                       helper.make_node("Sigmoid", ["f"], ["y"], "sig")],
         [vi("ids", ["N", 2], TensorProto.INT64)], [vi("y", ["N", 6])],
         [const("table", r.normal(size=(4, 3)))])
    # torch's x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape, then Gemm
    save("view", [helper.make_node("Shape", ["x"], ["s"], "shape"),
                  helper.make_node("Gather", ["s", "zero"], ["b"], "batch", axis=0),
                  helper.make_node("Unsqueeze", ["b", "axes"], ["u"], "unsqueeze"),
                  helper.make_node("Concat", ["u", "rest"], ["t"], "target", axis=0),
                  helper.make_node("Reshape", ["x", "t"], ["f"], "view"),
                  helper.make_node("Gemm", ["f", "w"], ["y"], "fc", transB=1)],
         [vi("x", ["N", 2, 2])], [vi("y", ["N", 2])],
         [const("zero", 0, np.int64), const("axes", [0], np.int64), const("rest", [-1], np.int64),
          const("w", r.normal(size=(2, 4)))])
    print("make_onnx_corpus: wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
