"""nabla: a deep-learning framework with Keras semantics (C++ core, pybind11 bindings)."""
from ._nabla import Tensor, from_numpy, tensor, zeros, ones, matmul, relu

__all__ = ["Tensor", "from_numpy", "tensor", "zeros", "ones", "matmul", "relu"]
