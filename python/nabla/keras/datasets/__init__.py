"""tf.keras.datasets: MNIST and Fashion-MNIST as numpy uint8 arrays in Keras's shapes, read from the files
scripts/setup installs ($NABLA_DATA or ~/.nabla/datasets); nothing is downloaded."""
from . import mnist, fashion_mnist

__all__ = ["mnist", "fashion_mnist"]
