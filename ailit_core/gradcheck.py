"""Numerical gradient checking with central differences, for hidden tests of hand-written backprop."""

from __future__ import annotations

from typing import Callable

import numpy as np


def numerical_gradient(loss: Callable[[], float], param: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d loss / d param by central differences; ``param`` is perturbed in place and restored."""
    grad = np.zeros_like(param, dtype=np.float64)
    it = np.nditer(param, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        idx = it.multi_index
        original = param[idx].copy()
        param[idx] = original + eps
        plus = float(loss())
        param[idx] = original - eps
        minus = float(loss())
        param[idx] = original
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-8) -> float:
    """max |a - n| / max(|a| + |n|, floor): scale-free, and 0 when both are zero."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    denom = np.maximum(np.abs(analytic) + np.abs(numeric), floor)
    return float(np.max(np.abs(analytic - numeric) / denom)) if analytic.size else 0.0
