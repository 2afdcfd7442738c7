"""tf.keras.callbacks. Subclass Callback and override any on_* hook (they run with the GIL, between training
steps); EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN and CSVLogger are nabla's C++ ones
with Keras's arguments."""
from .. import _nabla

_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
          "on_train_batch_end", "on_test_begin", "on_test_end")


class Callback:
    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass

    # Keras's on_batch_* are the older names of on_train_batch_*.
    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def _hooks(self):
        """The hooks this object overrides: only those are called, so an epoch-only callback costs nothing per
        step."""
        cls = type(self)
        hooks = [h for h in _HOOKS if getattr(cls, h) is not getattr(Callback, h)]
        for old, new in (("on_batch_begin", "on_train_batch_begin"), ("on_batch_end", "on_train_batch_end")):
            if getattr(cls, old) is not getattr(Callback, old) and new not in hooks:
                hooks.append(new)
        return hooks

    def _cpp_callback(self):
        return _nabla.PyCallback(self, self._hooks())


class LambdaCallback(Callback):
    """Callbacks from functions: on_epoch_end=lambda epoch, logs: ..., on_batch_end=lambda batch, logs: ..."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None, on_batch_end=None,
                 on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        self._fns = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                     "on_train_batch_begin": on_batch_begin, "on_train_batch_end": on_batch_end,
                     "on_train_begin": on_train_begin, "on_train_end": on_train_end}
        for k, fn in kwargs.items():
            if k not in _HOOKS:
                raise TypeError(f"LambdaCallback: unrecognized keyword argument '{k}'")
            self._fns[k] = fn

    def __getattribute__(self, name):
        if name in _HOOKS:
            fn = object.__getattribute__(self, "_fns").get(name)
            if fn is not None:
                return fn
        return object.__getattribute__(self, name)

    def _hooks(self):
        return [h for h, fn in self._fns.items() if fn is not None]


class History(Callback):
    """What fit returns: history[metric] is its value per epoch; epoch lists the epochs run."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def _hooks(self):
        return []


class _Cpp(Callback):
    """A callback implemented in C++ (self._cpp)."""

    def _cpp_callback(self):
        return self._cpp


class EarlyStopping(_Cpp):
    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self._cpp = _nabla.EarlyStopping(monitor, float(min_delta), int(patience), int(verbose), mode, baseline,
                                         bool(restore_best_weights), int(start_from_epoch))

    stopped_epoch = property(lambda self: self._cpp.stopped_epoch)
    best_epoch = property(lambda self: self._cpp.best_epoch)
    best = property(lambda self: self._cpp.best)


class ModelCheckpoint(_Cpp):
    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        if save_freq != "epoch":
            raise ValueError("ModelCheckpoint: nabla saves at the end of epochs (save_freq='epoch')")
        import os
        self._cpp = _nabla.ModelCheckpoint(os.fspath(filepath), monitor, int(verbose), bool(save_best_only),
                                           bool(save_weights_only), mode, initial_value_threshold)

    best = property(lambda self: self._cpp.best)


class ReduceLROnPlateau(_Cpp):
    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:  # Keras 2's name of min_delta
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unrecognized keyword argument(s) {sorted(kwargs)}")
        self._cpp = _nabla.ReduceLROnPlateau(monitor, float(factor), int(patience), int(verbose), mode,
                                             float(min_delta), int(cooldown), float(min_lr))


class TerminateOnNaN(_Cpp):
    def __init__(self):
        super().__init__()
        self._cpp = _nabla.TerminateOnNaN()


class CSVLogger(_Cpp):
    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        import os
        self._cpp = _nabla.CSVLogger(os.fspath(filename), separator, bool(append))


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch to schedule(epoch, lr)."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = float(self.schedule(epoch, self.model.optimizer.learning_rate))
        self.model.optimizer.learning_rate = lr
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.learning_rate


__all__ = ["Callback", "LambdaCallback", "History", "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau",
           "TerminateOnNaN", "CSVLogger", "LearningRateScheduler"]
