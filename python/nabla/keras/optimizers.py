"""tf.keras.optimizers: Adam, AdamW, SGD, RMSprop with Keras's arguments (learning_rate, beta_1, momentum,
weight_decay, clipnorm, ...), built by nabla's C++ optimizer registry from their Keras config."""
from .. import _nabla
from ._serialize import check_known, serialized


class Optimizer:
    _class_name = None

    def __init__(self, learning_rate=0.001, **kwargs):
        cls = self._class_name or type(self).__name__
        config = dict(kwargs, learning_rate=learning_rate)
        self._opt = _nabla.optimizer_from_config(serialized("keras.optimizers", cls, config))
        check_known("optimizer", cls, config, _config_keys(self._opt))

    @classmethod
    def _from_cpp(cls, opt):
        o = Optimizer.__new__(cls)
        o._opt = opt
        return o

    @property
    def learning_rate(self):
        return self._opt.learning_rate

    @learning_rate.setter
    def learning_rate(self, lr):
        self._opt.learning_rate = float(lr)

    lr = learning_rate

    @property
    def name(self):
        return self._opt.name

    def get_config(self):
        import json
        return json.loads(self._opt.get_config())["config"]


def _config_keys(opt):
    import json
    return json.dumps(json.loads(opt.get_config())["config"])


class Adam(Optimizer):
    _class_name = "Adam"


class AdamW(Optimizer):
    _class_name = "AdamW"


class SGD(Optimizer):
    _class_name = "SGD"

    def __init__(self, learning_rate=0.01, **kwargs):
        super().__init__(learning_rate, **kwargs)


class RMSprop(Optimizer):
    _class_name = "RMSprop"


class _ModelOptimizer:
    """A loaded model's optimizer (rebuilt in C++ from the file): its learning rate, through the model."""

    def __init__(self, cpp_model):
        self._m = cpp_model

    @property
    def learning_rate(self):
        return self._m.learning_rate

    @learning_rate.setter
    def learning_rate(self, lr):
        self._m.learning_rate = float(lr)

    @property
    def name(self):
        return self._m.optimizer_name


def get(identifier):
    """An optimizer from a Keras name ("adam", "sgd", "rmsprop", "adamw") or an optimizer object."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return Optimizer._from_cpp(_nabla.optimizer_get(identifier.lower()))
    raise TypeError(f"optimizer must be a name or a nabla.keras.optimizers object, got {type(identifier)}")


__all__ = ["Optimizer", "Adam", "AdamW", "SGD", "RMSprop", "get"]
