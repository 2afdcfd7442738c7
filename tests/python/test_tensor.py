"""nabla.Tensor <-> numpy: zero-copy both ways, lifetimes, autograd and error types."""
import gc

import numpy as np
import pytest

import nabla


def test_from_numpy_shares_memory():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = nabla.from_numpy(a)
    assert t.shape == (2, 3) and t.dtype == "float32"
    v = np.asarray(t)
    assert v.__array_interface__["data"][0] == a.__array_interface__["data"][0]
    a[1, 2] = 42.0
    assert np.asarray(t)[1, 2] == 42.0
    v[0, 0] = -1.0
    assert a[0, 0] == -1.0


def test_numpy_view_outlives_tensor():
    t = nabla.ones([3, 4])
    v = t.numpy()
    ptr = v.__array_interface__["data"][0]
    del t
    gc.collect()
    assert v.__array_interface__["data"][0] == ptr
    np.testing.assert_array_equal(v, np.ones((3, 4), np.float32))
    v += 1  # still writable, memory still owned
    assert v.sum() == 24


def test_tensor_keeps_array_alive():
    a = np.full((5,), 7, dtype=np.int64)
    t = nabla.from_numpy(a)
    del a
    gc.collect()
    np.testing.assert_array_equal(np.asarray(t), np.full((5,), 7))


def test_strided_array_is_viewed_not_copied():
    a = np.arange(12, dtype=np.float64).reshape(3, 4)[:, ::2]
    t = nabla.from_numpy(a)
    np.testing.assert_array_equal(np.asarray(t), a)
    a[2, 1] = 100.0
    assert np.asarray(t)[2, 1] == 100.0


def test_operators_and_backward():
    x = nabla.tensor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    x.requires_grad = True
    y = ((x * x) + 2.0 * x).sum()
    y.backward()
    np.testing.assert_allclose(np.asarray(x.grad), 2 * np.asarray(x) + 2)
    w = nabla.from_numpy(np.eye(2, dtype=np.float32))
    np.testing.assert_allclose(np.asarray(x @ w), np.asarray(x))


def test_errors_map_to_python_types():
    with pytest.raises(TypeError):
        nabla.from_numpy(np.zeros(3, dtype=np.complex64))
    with pytest.raises(ValueError):
        nabla.ones([2, 3]) @ nabla.ones([2, 3])
