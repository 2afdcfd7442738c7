"""nabla.data: tf.data's Dataset over nabla's C++ pipelines.

    ds = nabla.data.Dataset.from_tensor_slices((x, y)).shuffle(10000).batch(32).prefetch(nabla.data.AUTOTUNE)
    model.fit(ds, epochs=5)

The pipeline runs on nabla's thread pool. Functions given to map/filter receive numpy arrays (views of the
element's tensors) and return arrays; with num_parallel_calls several run at once, each holding the GIL only
while it runs Python. Iterating yields nabla Tensors (np.asarray views them), as tf.data yields tensors.
"""
import types

from .. import _nabla
from .._convert import as_tensor

AUTOTUNE = _nabla.AUTOTUNE
INFINITE_CARDINALITY = _nabla.INFINITE_CARDINALITY
UNKNOWN_CARDINALITY = _nabla.UNKNOWN_CARDINALITY
# tf.data.experimental.AUTOTUNE, the older spelling the seed programs use.
experimental = types.SimpleNamespace(AUTOTUNE=AUTOTUNE, INFINITE_CARDINALITY=INFINITE_CARDINALITY,
                                     UNKNOWN_CARDINALITY=UNKNOWN_CARDINALITY)


def _calls(n):
    return 0 if n is None else int(n)


class Dataset:
    """An immutable pipeline description; each transformation returns a new Dataset."""

    def __init__(self, cpp, single):
        self._ds = cpp
        self._single = single  # elements are one tensor (not a tuple)

    # ---- sources ----
    @staticmethod
    def from_tensor_slices(tensors):
        """Element i is tensors[i] (or the tuple of each component's row i); arrays are not copied."""
        if isinstance(tensors, dict):
            raise TypeError("from_tensor_slices: dict elements are not supported; give a tuple (x, y)")
        if isinstance(tensors, (tuple, list)):
            return Dataset(_nabla.Dataset.from_tensor_slices([as_tensor(t) for t in tensors]), False)
        return Dataset(_nabla.Dataset.from_tensor_slices([as_tensor(tensors)]), True)

    @staticmethod
    def from_tensors(tensors):
        if isinstance(tensors, (tuple, list)):
            return Dataset(_nabla.Dataset.from_tensors([as_tensor(t) for t in tensors]), False)
        return Dataset(_nabla.Dataset.from_tensors([as_tensor(tensors)]), True)

    @staticmethod
    def range(*args):
        start, stop, step = (0, args[0], 1) if len(args) == 1 else (args + (1,))[:3]
        return Dataset(_nabla.Dataset.range(start, stop, step), True)

    @staticmethod
    def zip(datasets):
        return Dataset(_nabla.Dataset.zip([d._ds for d in datasets]), False)

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
        return Dataset(_nabla.Dataset.sample_from_datasets([d._ds for d in datasets], list(weights or []), seed,
                                                           stop_on_empty_dataset), datasets[0]._single)

    # ---- transformations ----
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        del name
        return Dataset(self._ds.map(map_func, not self._single, _calls(num_parallel_calls),
                                    True if deterministic is None else bool(deterministic)), None)

    def filter(self, predicate, name=None):
        del name
        return Dataset(self._ds.filter(predicate, not self._single), self._single)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None, name=None):
        del name
        return Dataset(self._ds.shuffle(int(buffer_size), seed,
                                        True if reshuffle_each_iteration is None else bool(reshuffle_each_iteration)),
                       self._single)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None, name=None):
        del num_parallel_calls, deterministic, name
        return Dataset(self._ds.batch(int(batch_size), bool(drop_remainder)), self._single)

    def unbatch(self, name=None):
        return Dataset(self._ds.unbatch(), self._single)

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        return Dataset(self._ds.rebatch(int(batch_size), bool(drop_remainder)), self._single)

    def prefetch(self, buffer_size, name=None):
        return Dataset(self._ds.prefetch(int(buffer_size)), self._single)

    def cache(self, filename="", name=None):
        import os
        return Dataset(self._ds.cache(os.fspath(filename)), self._single)

    def repeat(self, count=None, name=None):
        return Dataset(self._ds.repeat(-1 if count is None else int(count)), self._single)

    def take(self, count, name=None):
        return Dataset(self._ds.take(int(count)), self._single)

    def skip(self, count, name=None):
        return Dataset(self._ds.skip(int(count)), self._single)

    def shard(self, num_shards, index, name=None):
        return Dataset(self._ds.shard(int(num_shards), int(index)), self._single)

    def concatenate(self, dataset, name=None):
        return Dataset(self._ds.concatenate(dataset._ds), self._single)

    def enumerate(self, start=0, name=None):
        return Dataset(self._ds.enumerate(int(start)), False)

    def apply(self, transformation_func):
        return transformation_func(self)

    # ---- running ----
    def cardinality(self):
        return self._ds.cardinality()

    def __len__(self):
        n = self._ds.cardinality()
        if n < 0:
            raise TypeError("The dataset's length is infinite or unknown")
        return n

    def __iter__(self):
        for element in self._ds.__iter__():
            single = self._single if self._single is not None else len(element) == 1
            yield element[0] if single else element

    def as_numpy_iterator(self):
        import numpy as np
        for e in self:
            yield np.asarray(e) if not isinstance(e, tuple) else tuple(np.asarray(t) for t in e)

    def stats(self):
        """The latest pass's pipeline statistics (time per stage; is training input-bound?)."""
        return self._ds.stats()


__all__ = ["Dataset", "AUTOTUNE", "experimental"]
