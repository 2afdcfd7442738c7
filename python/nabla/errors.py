"""tf.errors' names for what nabla raises (InvalidArgumentError: check_numerics found NaN/Inf; a ValueError)."""
from ._nabla import InvalidArgumentError

__all__ = ["InvalidArgumentError"]
