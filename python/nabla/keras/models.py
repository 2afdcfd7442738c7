"""tf.keras.models: Sequential, the functional Model(inputs, outputs), load_model. Training runs in nabla's C++
loop without the GIL; Python callbacks are called between steps and Ctrl-C stops fit with KeyboardInterrupt."""
import os

import numpy as np

from .. import _nabla
from .._convert import as_tensor, as_tensors
from . import callbacks as callbacks_module
from . import losses as losses_module
from . import metrics as metrics_module
from . import optimizers as optimizers_module
from .layers import Layer, InputLayer, KerasTensor


def _verbose(v, default=1):
    return default if v == "auto" or v is None else int(v)


def _is_dataset(x):
    from ..data import Dataset
    return isinstance(x, Dataset)


def _epochs(epochs):
    # Smoke runs of training programs (their tests) cap the epochs without editing the program.
    cap = os.environ.get("NABLA_MAX_EPOCHS")
    return min(epochs, int(cap)) if cap else epochs


class Model:
    """A Keras model. Model(inputs, outputs) is the functional API; Sequential and loaded models share the
    training API (compile, fit, evaluate, predict, summary, save)."""

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        if inputs is None or outputs is None:
            raise TypeError("Model(inputs, outputs): subclassed models are not supported; use the functional API "
                            "or Sequential")
        self._multi_output = isinstance(outputs, (list, tuple))
        ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        outs = list(outputs) if self._multi_output else [outputs]
        for t in ins + outs:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model(inputs, outputs) takes keras.Input() tensors and layer outputs, got {type(t)}")
        self._init(_nabla.Functional(ins, outs, name or ""))

    def _init(self, cpp):
        self._m = cpp
        self.optimizer = None
        self.loss = None
        self.history = None
        if not hasattr(self, "_multi_output"):
            self._multi_output = len(cpp.output_names) > 1

    @classmethod
    def _wrap(cls, cpp):
        m = Model.__new__(Sequential if isinstance(cpp, _nabla.Sequential) else Model)
        if isinstance(cpp, _nabla.Sequential):
            m._input_shape = None
        m._init(cpp)
        if cpp.compiled:
            m.optimizer = optimizers_module._ModelOptimizer(cpp)
        return m

    # ---- attributes ----
    @property
    def name(self):
        return self._m.name

    @property
    def layers(self):
        return [Layer._wrap(l) for l in self._m.layers if l.type != "InputLayer" or not isinstance(self, Sequential)]

    def get_layer(self, name=None, index=None):
        if index is not None:
            return self.layers[index]
        for l in self.layers:
            if l.name == name:
                return l
        raise ValueError(f"model '{self.name}' has no layer named '{name}' "
                         f"(layers: {[l.name for l in self.layers]})")

    @property
    def stop_training(self):
        return self._m.stop_training

    @stop_training.setter
    def stop_training(self, on):
        self._m.stop_training = bool(on)

    @property
    def weights(self):
        return [w for l in self.layers for w in l.weights]

    @property
    def trainable_weights(self):
        return [w for l in self.layers for w in l.trainable_weights]

    def get_weights(self):
        return [np.array(w) for w in self._m.get_weights()]

    def set_weights(self, weights):
        self._m.set_weights([as_tensor(w) for w in weights])

    def count_params(self):
        return self._m.count_params()

    def summary(self, print_fn=None, **kwargs):
        del kwargs
        (print_fn or print)(self._m.summary().rstrip("\n"))

    # ---- training ----
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, weighted_metrics=None, **kwargs):
        for k in ("loss_weights", "run_eagerly", "steps_per_execution", "jit_compile"):
            kwargs.pop(k, None)
        if kwargs:
            raise TypeError(f"compile: unrecognized keyword argument(s) {sorted(kwargs)}")
        if loss is None:
            raise ValueError("compile: a loss is required (nabla trains with model.fit)")
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = loss
        # Keras returns batch results as [loss, *metrics in compile order]; C++'s logs are sorted by name.
        self._log_order = ["loss"] + [m if isinstance(m, str) else getattr(m, "name", "")
                                      for m in list(metrics or []) + list(weighted_metrics or [])]
        self._m.compile(self.optimizer._opt, losses_module.get(loss)._loss,
                        [metrics_module._cpp(m) for m in (metrics or [])],
                        [metrics_module._cpp(m) for m in (weighted_metrics or [])])

    def _callbacks(self, callbacks, params):
        hist = callbacks_module.History()
        cbs = list(callbacks or []) + [hist]
        for cb in cbs:
            cb.set_model(self)
            cb.set_params(params)
        return hist, [cb._cpp_callback() for cb in cbs]

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        del validation_batch_size, validation_freq
        o = _nabla.FitOptions()
        o.epochs = _epochs(int(epochs))
        o.batch_size = int(batch_size or 32)
        o.verbose = _verbose(verbose)
        o.validation_split = float(validation_split)
        o.shuffle = bool(shuffle) if shuffle != "batch" else True
        o.initial_epoch = int(initial_epoch)
        o.steps_per_epoch = -1 if steps_per_epoch is None else int(steps_per_epoch)
        o.validation_steps = -1 if validation_steps is None else int(validation_steps)
        if class_weight is not None:
            o.class_weight = {int(k): float(v) for k, v in class_weight.items()}
        if sample_weight is not None:
            o.sample_weight = as_tensor(sample_weight)
        val_ds = None
        if validation_data is not None:
            if _is_dataset(validation_data):
                val_ds = validation_data._ds
            else:
                if len(validation_data) == 3:
                    raise ValueError("fit: validation_data with sample weights (x, y, w) is not supported; "
                                     "give (x, y)")
                vx, vy = validation_data
                o.set_validation_data(as_tensors(vx, model_input=True, per_batch_cast=True), as_tensors(vy))
        dataset = _is_dataset(x)
        steps = None if dataset else -(-len(np.asarray(x[0] if isinstance(x, (list, tuple)) else x)) // o.batch_size)
        hist, cbs = self._callbacks(callbacks, {"verbose": o.verbose, "epochs": o.epochs, "steps": steps})
        o.callbacks = cbs
        if dataset:
            if y is not None:
                raise ValueError("fit: y must not be given with a dataset (its elements are (x, y) batches)")
            epoch, values = self._m.fit_dataset(x._ds, o, val_ds)
        else:
            if y is None:
                raise ValueError("fit: y (the targets) is required with array inputs")
            epoch, values = self._m.fit(as_tensors(x, model_input=True, per_batch_cast=True), as_tensors(y), o, val_ds)
        hist.epoch, hist.history = list(epoch), {k: list(v) for k, v in values.items()}
        self.history = hist
        return hist

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        del steps
        cbs = [] if not callbacks else self._callbacks(callbacks, {})[1][:-1]
        if _is_dataset(x):
            values = self._m.evaluate_dataset(x._ds, _verbose(verbose), cbs)
        else:
            sw = as_tensor(sample_weight) if sample_weight is not None else None
            values = self._m.evaluate(as_tensors(x, model_input=True, per_batch_cast=True), as_tensors(y),
                                      int(batch_size or 32), _verbose(verbose), sw, cbs)
        if return_dict:
            return dict(values)
        out = [v for _, v in values]
        return out[0] if len(out) == 1 else out

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        del steps, callbacks
        if _is_dataset(x):
            outs = self._m.predict_dataset(x._ds, _verbose(verbose, 0))
        else:
            outs = self._m.predict(as_tensors(x, model_input=True, per_batch_cast=True), int(batch_size or 32),
                                  _verbose(verbose, 0))
        arrays = [np.asarray(t) for t in outs]
        return arrays if self._multi_output else arrays[0]

    def predict_on_batch(self, x):
        arrays = [np.asarray(t) for t in self._m.predict_on_batch(as_tensors(x, model_input=True))]
        return arrays if self._multi_output else arrays[0]

    def _batch_results(self, logs, return_dict):
        order = [k for k in getattr(self, "_log_order", ["loss"]) if k in logs]
        order += [k for k in logs if k not in order]
        if return_dict:
            return {k: logs[k] for k in order}
        return logs[order[0]] if len(order) == 1 else [logs[k] for k in order]

    def train_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """One optimizer step on one batch; returns the loss, or [loss, *metrics] in compile order (Keras)."""
        logs = self._m.train_on_batch(as_tensor(x, model_input=True), as_tensor(y),
                                      as_tensor(sample_weight) if sample_weight is not None else None)
        return self._batch_results(logs, return_dict)

    def test_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """The loss and metrics of one batch without training, in train_on_batch's order."""
        logs = self._m.test_on_batch(as_tensor(x, model_input=True), as_tensor(y),
                                     as_tensor(sample_weight) if sample_weight is not None else None)
        return self._batch_results(logs, return_dict)

    def __call__(self, inputs, training=False):
        outs = self._m.call(as_tensors(inputs, model_input=True), bool(training))
        return outs if self._multi_output else outs[0]

    # ---- saving ----
    def save(self, filepath, overwrite=True, include_optimizer=True, **kwargs):
        del kwargs
        filepath = os.fspath(filepath)
        if not overwrite and os.path.exists(filepath):
            raise IOError(f"save: '{filepath}' exists and overwrite=False")
        self._m.save(filepath, include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        del overwrite
        self._m.save_weights(os.fspath(filepath))

    def load_weights(self, filepath):
        self._m.load_weights(os.fspath(filepath))


class Sequential(Model):
    """A stack of layers: Sequential([layers...]) or .add(layer). The first layer's input_shape (or an Input /
    InputLayer first) builds it at once, so summary() shows every shape before training."""

    def __init__(self, layers=None, name=None, **kwargs):
        del kwargs
        self._input_shape = None
        self._multi_output = False
        self._init(_nabla.Sequential([], name or ""))
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        if isinstance(layer, KerasTensor):
            self._set_input_shape(layer.shape[1:])
            return
        if isinstance(layer, InputLayer):
            self._set_input_shape(layer._input_shape)
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add takes a layer, got {type(layer)}")
        first = not self._m.layers
        self._m.add(layer._l)
        if first and self._input_shape is None and layer._input_shape is not None:
            self._set_input_shape(layer._input_shape)
        elif self._input_shape is not None:
            self._build()

    def _set_input_shape(self, shape):
        self._input_shape = tuple(shape)
        if self._m.layers:
            self._build()

    def _build(self):
        self._m.build([-1] + [-1 if d is None else int(d) for d in self._input_shape])

    def pop(self):
        raise NotImplementedError("Sequential.pop is not supported by nabla")


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A model saved by model.save (.keras, legacy .h5, TF.js model.json) or written by Keras itself."""
    del custom_objects, safe_mode
    return Model._wrap(_nabla.load_model(os.fspath(filepath), bool(compile)))


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    model.save(filepath, overwrite=overwrite, include_optimizer=include_optimizer)

