"""nabla: a deep-learning framework with Keras semantics (C++ core, pybind11 bindings).

`import nabla as tf` runs tf.keras-style programs: nabla.keras (layers, models, optimizers, losses, metrics,
callbacks, datasets), nabla.data (tf.data) and nabla.debugging, with nabla's C++ underneath.
"""
import numpy as _np

from ._nabla import Tensor, from_numpy, tensor, zeros, ones, matmul, relu
from . import errors
from . import keras
from . import data
from . import debugging
from . import imbalance
from . import random

float32, float64, int32, int64, uint8, bool_ = _np.float32, _np.float64, _np.int32, _np.int64, _np.uint8, _np.bool_


def constant(value, dtype=None):
    """A tensor holding a copy of value (tf.constant)."""
    a = _np.array(value, dtype=dtype)
    if dtype is None and a.dtype == _np.float64:
        a = a.astype(_np.float32)
    return tensor(_np.ascontiguousarray(a))


def convert_to_tensor(value, dtype=None):
    """value as a tensor: a Tensor as is, a numpy array without copying where its dtype allows."""
    if isinstance(value, Tensor) and dtype is None:
        return value
    a = _np.asarray(value, dtype=dtype)
    if a.dtype == _np.float64 and dtype is None:
        a = a.astype(_np.float32)
    if not a.flags.writeable:
        a = a.copy()
    return from_numpy(a)


def cast(x, dtype):
    """x converted to dtype, as a numpy array (tf.cast; nabla.data's map functions receive numpy arrays)."""
    return _np.asarray(x).astype(dtype)


__all__ = ["Tensor", "from_numpy", "tensor", "zeros", "ones", "matmul", "relu", "constant", "convert_to_tensor",
           "cast", "keras", "data", "debugging", "errors", "imbalance", "random"]
