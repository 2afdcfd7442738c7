"""numpy <-> nabla conversions shared by the package. Arrays are wrapped without copying where their dtype is one
nabla computes in; float64 (numpy's default, e.g. images / 255.0) becomes float32, as Keras casts to floatx."""
import numpy as np

from ._nabla import Tensor, from_numpy

_NABLA_DTYPES = (np.float32, np.float64, np.int32, np.int64, np.uint8)


def as_tensor(x, cast_float64=True, model_input=False):
    """A nabla Tensor for x (Tensor, numpy array, or array-like).

    model_input: x feeds a model, whose inputs are float32 in Keras (Embedding takes integer ids: int32/int64
    stay as they are); uint8 images and bools become float32."""
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    if a.dtype == np.float64 and cast_float64:
        if a.flags.writeable and a.flags.c_contiguous:
            return from_numpy(a).float()  # converted on nabla's threads, without the GIL (astype takes one core)
        a = a.astype(np.float32)
    elif model_input and a.dtype in (np.uint8, np.bool_, np.int8, np.int16, np.uint16, np.float16):
        a = a.astype(np.float32)
    elif a.dtype == np.bool_:
        a = a.astype(np.uint8)
    elif a.dtype not in _NABLA_DTYPES:
        a = a.astype(np.float32 if a.dtype.kind == "f" else np.int64)
    if not a.flags.writeable:
        a = a.copy()
    return from_numpy(a)


def as_tensors(xs, model_input=False, per_batch_cast=False):
    """A list of tensors from one array or a list/tuple of them (several model inputs or outputs).

    per_batch_cast: float64 arrays stay float64, zero-copy; fit, evaluate and predict convert each batch to the
    model's float32 (no second copy of a whole dataset)."""
    if isinstance(xs, (list, tuple)):
        return [as_tensor(x, cast_float64=not per_batch_cast, model_input=model_input) for x in xs]
    return [as_tensor(xs, cast_float64=not per_batch_cast, model_input=model_input)]


def to_numpy(t):
    return np.asarray(t)
