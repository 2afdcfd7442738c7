"""tf.keras.metrics: streaming metrics (update_state / result / reset_state) with Keras's arguments, or Keras's
names as strings in compile ("accuracy" resolves against the loss, as in Keras)."""
from .. import _nabla
from .._convert import as_tensor
from ._serialize import check_known, serialized


class Metric:
    _class_name = None

    def __init__(self, **kwargs):
        cls = self._class_name or type(self).__name__
        self._metric = _nabla.metric_from_config(serialized("keras.metrics", cls, kwargs))
        check_known("metric", cls, kwargs, _keys(self._metric))

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._metric.update_state(as_tensor(y_true), as_tensor(y_pred),
                                  as_tensor(sample_weight) if sample_weight is not None else None)

    def result(self):
        return self._metric.result()

    def reset_state(self):
        self._metric.reset_state()

    @property
    def name(self):
        return self._metric.name


def _keys(cpp):
    import json
    return json.dumps(json.loads(cpp.get_config())["config"])


def _metric_class(name):
    return type(name, (Metric,), {"_class_name": name, "__module__": __name__})


Accuracy = _metric_class("Accuracy")
SparseCategoricalAccuracy = _metric_class("SparseCategoricalAccuracy")
CategoricalAccuracy = _metric_class("CategoricalAccuracy")
BinaryAccuracy = _metric_class("BinaryAccuracy")
TopKCategoricalAccuracy = _metric_class("TopKCategoricalAccuracy")
SparseTopKCategoricalAccuracy = _metric_class("SparseTopKCategoricalAccuracy")
MeanSquaredError = _metric_class("MeanSquaredError")
MeanAbsoluteError = _metric_class("MeanAbsoluteError")
Mean = _metric_class("Mean")
AUC = _metric_class("AUC")
Precision = _metric_class("Precision")
Recall = _metric_class("Recall")


def _cpp(m):
    """What compile passes to C++: a name, or the C++ metric."""
    if isinstance(m, str):
        return m
    if isinstance(m, Metric):
        return m._metric
    raise TypeError(f"metrics take Keras metric names or nabla.keras.metrics objects, got {m!r}")


__all__ = ["Metric", "Accuracy", "SparseCategoricalAccuracy", "CategoricalAccuracy", "BinaryAccuracy",
           "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
           "Mean", "AUC", "Precision", "Recall"]
