"""tf.keras.losses: the loss classes with Keras's arguments (from_logits, reduction, ...), or Keras's names as
strings in compile. Built by nabla's C++ loss registry."""
from .. import _nabla
from .._convert import as_tensor
from ._serialize import check_known, serialized


class Loss:
    _class_name = None

    def __init__(self, **kwargs):
        cls = self._class_name or type(self).__name__
        self._loss = _nabla.loss_from_config(serialized("keras.losses", cls, kwargs))
        check_known("loss", cls, kwargs, _keys(self._loss))

    def __call__(self, y_true, y_pred, sample_weight=None):
        return self._loss(as_tensor(y_true), as_tensor(y_pred),
                          as_tensor(sample_weight) if sample_weight is not None else None).item()

    @property
    def name(self):
        return self._loss.name


def _keys(cpp):
    import json
    return json.dumps(json.loads(cpp.get_config())["config"])


def _loss_class(name):
    return type(name, (Loss,), {"_class_name": name, "__module__": __name__})


SparseCategoricalCrossentropy = _loss_class("SparseCategoricalCrossentropy")
CategoricalCrossentropy = _loss_class("CategoricalCrossentropy")
BinaryCrossentropy = _loss_class("BinaryCrossentropy")
MeanSquaredError = _loss_class("MeanSquaredError")
MeanAbsoluteError = _loss_class("MeanAbsoluteError")
Huber = _loss_class("Huber")
BinaryFocalCrossentropy = _loss_class("BinaryFocalCrossentropy")
CategoricalFocalCrossentropy = _loss_class("CategoricalFocalCrossentropy")
SparseCategoricalFocalCrossentropy = _loss_class("SparseCategoricalFocalCrossentropy")
MSE, MAE = MeanSquaredError, MeanAbsoluteError


def get(identifier):
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        obj = Loss.__new__(Loss)
        obj._loss = _nabla.loss_get(identifier)
        return obj
    raise TypeError(f"loss must be a Keras loss name or a nabla.keras.losses object, got {identifier!r} "
                    "(Python loss functions are not supported: nabla computes losses in C++)")


__all__ = ["Loss", "SparseCategoricalCrossentropy", "CategoricalCrossentropy", "BinaryCrossentropy",
           "MeanSquaredError", "MeanAbsoluteError", "Huber", "BinaryFocalCrossentropy",
           "CategoricalFocalCrossentropy", "SparseCategoricalFocalCrossentropy", "get"]
