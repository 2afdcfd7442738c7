"""nabla.keras: tf.keras's names over nabla's C++ models."""
from . import layers, models, optimizers, losses, metrics, callbacks, datasets
from .layers import Input
from .models import Model, Sequential

__all__ = ["layers", "models", "optimizers", "losses", "metrics", "callbacks", "datasets", "Input", "Model",
           "Sequential"]
