"""tf.keras.layers over nabla's C++ layers: Dense(128, activation="relu"), Conv2D(32, 3, padding="same"), ...
Every layer takes Keras's positional and keyword arguments (they become its Keras config, from which C++ builds
it), runs eagerly on arrays/tensors, and symbolically on Input() tensors (the functional API)."""
import json
import weakref

import numpy as np

from .. import _nabla
from .._convert import as_tensor
from ._serialize import check_known, serialized

KerasTensor = _nabla.KerasTensor

# The Python object of each C++ layer made here, so model.layers gives back the objects the user built.
_wrappers = weakref.WeakValueDictionary()

_SIZE2 = ("kernel_size", "strides", "pool_size", "dilation_rate")


class Layer:
    """Base of the layer classes. Subclasses name their Keras class and positional arguments."""

    _class_name = None
    _positional = ()

    def __init__(self, *args, **kwargs):
        cls = self._class_name or type(self).__name__
        if len(args) > len(self._positional):
            raise TypeError(f"{cls} takes at most {len(self._positional)} positional argument(s) "
                            f"{list(self._positional)}, got {len(args)}")
        config = dict(zip(self._positional, args))
        for k in kwargs:
            if k in config:
                raise TypeError(f"{cls}: got multiple values for argument '{k}'")
        config.update(kwargs)
        # Keras's input_shape/batch_input_shape/batch_size belong to the model's input, not the layer's config.
        shape = config.pop("input_shape", None)
        batch_shape = config.pop("batch_input_shape", None)
        config.pop("batch_size", None)
        self._input_shape = tuple(shape) if shape is not None else (
            tuple(batch_shape[1:]) if batch_shape is not None else None)
        if config.get("name") is None:
            config.pop("name", None)
        for k in _SIZE2:
            if isinstance(config.get(k), int):
                config[k] = [config[k], config[k]]
        self._l = _nabla.layer_from_config(serialized("keras.layers", cls, config))
        check_known("layer", cls, config, self._l.get_config())
        _wrappers[self._l._id] = self

    @classmethod
    def _wrap(cls, cpp):
        """The Python object of a C++ layer (the one made here, or a new wrapper for a loaded model's)."""
        w = _wrappers.get(cpp._id)
        if w is None:
            w = Layer.__new__(_class_for(cpp.type))
            w._l = cpp
            w._input_shape = None
            _wrappers[cpp._id] = w
        return w

    @property
    def name(self):
        return self._l.name

    @property
    def trainable(self):
        return self._l.trainable

    @trainable.setter
    def trainable(self, on):
        self._l.trainable = bool(on)

    @property
    def built(self):
        return self._l.built

    @property
    def weights(self):
        """The layer's variables as nabla tensors (np.asarray(w) views them; writes change the layer)."""
        return self._l.weights

    @property
    def trainable_weights(self):
        return self._l.trainable_weights

    @property
    def non_trainable_weights(self):
        return self._l.non_trainable_weights

    def get_weights(self):
        import numpy as np
        return [np.array(w) for w in self._l.weights]

    def set_weights(self, weights):
        import numpy as np
        mine = self._l.weights
        if len(weights) != len(mine):
            raise ValueError(f"layer '{self.name}' has {len(mine)} weights, got {len(weights)}")
        for w, v in zip(mine, weights):
            dst = np.asarray(w)
            v = np.asarray(v)
            if v.shape != dst.shape:
                raise ValueError(f"layer '{self.name}': weight shape {dst.shape} != given {v.shape}")
            dst[...] = v

    def count_params(self):
        return self._l.count_params()

    def get_config(self):
        return json.loads(self._l.get_config())

    def build(self, input_shape):
        self._l.build([-1 if d is None else d for d in input_shape])

    def compute_output_shape(self, input_shape):
        return self._l.compute_output_shape([-1 if d is None else d for d in input_shape])

    def __call__(self, inputs, training=False):
        if isinstance(inputs, KerasTensor) or (
                isinstance(inputs, (list, tuple)) and inputs and all(isinstance(t, KerasTensor) for t in inputs)):
            return _nabla.apply_layer(self._l, list(inputs) if isinstance(inputs, (list, tuple)) else inputs)
        if isinstance(inputs, (list, tuple)):
            return self._l.call([as_tensor(x) for x in inputs], bool(training))
        return self._l.call(as_tensor(inputs), bool(training))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _layer_class(name, positional=()):
    return type(name, (Layer,), {"_class_name": name, "_positional": tuple(positional), "__module__": __name__})


Dense = _layer_class("Dense", ["units"])
Conv2D = _layer_class("Conv2D", ["filters", "kernel_size", "strides", "padding"])
MaxPooling2D = _layer_class("MaxPooling2D", ["pool_size", "strides", "padding"])
AveragePooling2D = _layer_class("AveragePooling2D", ["pool_size", "strides", "padding"])
GlobalAveragePooling2D = _layer_class("GlobalAveragePooling2D")
GlobalAveragePooling1D = _layer_class("GlobalAveragePooling1D")
GlobalMaxPooling1D = _layer_class("GlobalMaxPooling1D")
Flatten = _layer_class("Flatten")
Dropout = _layer_class("Dropout", ["rate", "noise_shape", "seed"])
BatchNormalization = _layer_class("BatchNormalization")
Embedding = _layer_class("Embedding", ["input_dim", "output_dim"])
Activation = _layer_class("Activation", ["activation"])
ReLU = _layer_class("ReLU", ["max_value", "negative_slope", "threshold"])
LeakyReLU = _layer_class("LeakyReLU", ["negative_slope"])
ELU = _layer_class("ELU", ["alpha"])
Softmax = _layer_class("Softmax", ["axis"])
Reshape = _layer_class("Reshape", ["target_shape"])
Permute = _layer_class("Permute", ["dims"])
Masking = _layer_class("Masking", ["mask_value"])
Add = _layer_class("Add")
Concatenate = _layer_class("Concatenate", ["axis"])

# Keras's aliases.
MaxPool2D, AvgPool2D, GlobalAvgPool2D = MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D


class InputLayer(Layer):
    """A model's input (Keras's InputLayer(shape=...)); in Sequential it sets the input shape."""

    def __init__(self, shape=None, batch_size=None, name=None, input_shape=None, **kwargs):
        del batch_size
        shape = tuple(shape if shape is not None else input_shape)
        config = {"batch_shape": [None] + [None if d in (None, -1) else d for d in shape]}
        if name:
            config["name"] = name
        config.update(kwargs)
        self._l = _nabla.layer_from_config(serialized("keras.layers", "InputLayer", config))
        self._input_shape = shape
        _wrappers[self._l._id] = self


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None, **kwargs):
    """A symbolic model input of the given shape (batch axis excluded), for the functional API."""
    del batch_size, dtype, kwargs
    if shape is None and batch_shape is not None:
        shape = batch_shape[1:]
    if shape is None:
        raise ValueError("Input: give shape=(...) (without the batch axis)")
    return _nabla.Input([-1 if d is None else int(d) for d in shape], name or "")


_classes = {c._class_name: c for c in (Dense, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
                                       GlobalAveragePooling1D, GlobalMaxPooling1D, Flatten, Dropout,
                                       BatchNormalization, Embedding, Activation, ReLU, LeakyReLU, ELU, Softmax,
                                       Reshape, Permute, Masking, Add, Concatenate)}
_classes["InputLayer"] = InputLayer


def _texts(data):
    """A list of str from a str, a list or a numpy array (of str or bytes)."""
    if isinstance(data, (str, bytes)):
        data = [data]
    return [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in np.asarray(data, dtype=object).ravel()]


class TextVectorization:
    """keras.layers.TextVectorization with output_mode="int": adapt(texts) learns a vocabulary ("" padding id 0,
    "[UNK]" id 1, then the tokens by frequency; max_tokens counts both), and calling it maps texts to an int64
    numpy array [N, output_sequence_length] (the longest text's length when None). standardize is
    "lower_and_strip_punctuation" (the default), "lower", "strip_punctuation" or None; the text splits on
    whitespace. It runs before the model, on lists or numpy arrays of text (Keras also runs it inside a model or a
    tf.data pipeline); the model starts at Embedding."""

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, vocabulary=None, name=None, **kwargs):
        del name, kwargs
        if split != "whitespace" or ngrams is not None or output_mode != "int":
            raise NotImplementedError("TextVectorization: nabla supports split='whitespace', ngrams=None and "
                                      "output_mode='int'")
        self._v = _nabla.TextVectorization(-1 if max_tokens is None else int(max_tokens),
                                           -1 if output_sequence_length is None else int(output_sequence_length),
                                           "none" if standardize is None else standardize)
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)

    def adapt(self, data, batch_size=None, steps=None):
        del batch_size, steps
        self._v.adapt(_texts(data))

    def set_vocabulary(self, vocabulary):
        self._v.set_vocabulary([str(t) for t in vocabulary])

    def get_vocabulary(self, include_special_tokens=True):
        v = self._v.get_vocabulary()
        return v if include_special_tokens else v[2:]

    def vocabulary_size(self):
        return self._v.vocabulary_size()

    def __call__(self, inputs):
        return np.asarray(self._v(_texts(inputs)))


def _class_for(type_name):
    if type_name not in _classes:
        _classes[type_name] = _layer_class(type_name)
    return _classes[type_name]


def __getattr__(name):
    """Layers nabla's C++ registry gains later (by Keras class name; keyword arguments only) work too."""
    if name[:1].isupper():
        return _class_for(name)
    raise AttributeError(name)
