"""Fashion-MNIST, shaped as keras.datasets.fashion_mnist.load_data() returns it (uint8 numpy arrays)."""
from ... import _nabla


def load_data():
    return _nabla.fashion_mnist_load_data()
