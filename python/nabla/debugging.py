"""tf.debugging: check_numerics on a tensor, and check mode for every op (enable_check_numerics)."""
from . import _nabla
from ._convert import as_tensor


def check_numerics(tensor, message, name=None):
    """tensor unchanged (a nabla Tensor sharing its memory); raises nabla.errors.InvalidArgumentError (a
    ValueError) whose report starts with message when it holds NaN or Inf. Differentiable: the gradient is
    checked too."""
    del name
    return _nabla.check_numerics(as_tensor(tensor, cast_float64=False), message)


def enable_check_numerics(stack_height_limit=30, path_length_limit=50, dump_on_failure=True, dump_dir=""):
    """From now on every op's output, every gradient and each optimizer step is checked for NaN/Inf; the first
    failure raises InvalidArgumentError naming the op and the layer that ran it (and fit writes a dump of
    the failing step)."""
    del stack_height_limit, path_length_limit
    _nabla.enable_check_numerics(dump_on_failure, dump_dir)


def disable_check_numerics():
    _nabla.disable_check_numerics()


__all__ = ["check_numerics", "enable_check_numerics", "disable_check_numerics"]
