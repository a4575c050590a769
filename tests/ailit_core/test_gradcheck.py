import numpy as np

from ailit_core.gradcheck import numerical_gradient, relative_error


def test_numerical_gradient_of_quadratic_and_param_restored():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(3, 3))
    x = rng.normal(size=(3, 2))
    before = x.copy()
    grad = numerical_gradient(lambda: float(np.sum((A @ x) ** 2)), x)
    assert np.array_equal(x, before)
    assert relative_error(2 * A.T @ (A @ x), grad) < 1e-7


def test_relative_error_sees_a_sign_flip_and_tolerates_zeros():
    g = np.array([1.0, -2.0, 3.0])
    assert relative_error(g, g) == 0.0
    assert relative_error(-g, g) == 1.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
