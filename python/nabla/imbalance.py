"""Class imbalance utilities over nabla's C++ ones (sklearn's names): class weights for fit's class_weight,
per-sample weights, class-balanced weights by effective number (Cui et al. 2019), resampling and stratified
train/test splits. Inputs are numpy arrays or tensors; outputs are numpy arrays or dicts."""
import numpy as np

from . import _nabla
from ._convert import as_tensor


def compute_class_weight(class_weight, y):
    """{class id: weight}; "balanced" gives n_samples / (n_classes * count_c), as sklearn."""
    return _nabla.compute_class_weight(class_weight, as_tensor(y, cast_float64=False))


def compute_sample_weight(class_weight, y):
    """float32 weights, one per label: "balanced", or each label's class's weight in a dict (absent: 1)."""
    return np.asarray(_nabla.compute_sample_weight(class_weight, as_tensor(y, cast_float64=False)))


def effective_number_class_weight(y, beta=0.999):
    return _nabla.effective_number_class_weight(as_tensor(y, cast_float64=False), beta)


def class_counts(y):
    return _nabla.class_id_counts(as_tensor(y, cast_float64=False))


def resample(*arrays, replace=True, n_samples=None, random_state=None, stratify=None):
    """sklearn.utils.resample: the same random rows of every array (a bootstrap with replace=True)."""
    ts = [as_tensor(a, cast_float64=False) for a in arrays]
    strat = None if stratify is None else as_tensor(stratify, cast_float64=False)
    out = [np.asarray(t) for t in _nabla.resample(ts, replace, -1 if n_samples is None else n_samples,
                                                  random_state, strat)]
    return out[0] if len(out) == 1 else out


def train_test_split(x, y, test_size=0.25, shuffle=True, stratify=None, random_state=None):
    """(x_train, x_test, y_train, y_test); with stratify, each class keeps its share in the test set."""
    strat = None if stratify is None else as_tensor(stratify, cast_float64=False)
    return _nabla.train_test_split(as_tensor(x, cast_float64=False), as_tensor(y, cast_float64=False),
                                   float(test_size), shuffle, strat, random_state)


__all__ = ["compute_class_weight", "compute_sample_weight", "effective_number_class_weight", "class_counts",
           "resample", "train_test_split"]
