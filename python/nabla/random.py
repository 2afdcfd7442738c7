"""tf.random: the global seed. set_seed(s) makes weight initialization, Dropout and fit's shuffling repeat from
run to run (at one thread, bit for bit), as tf.random.set_seed and torch.manual_seed do."""
from . import _nabla


def set_seed(seed):
    _nabla.manual_seed(int(seed))


__all__ = ["set_seed"]
