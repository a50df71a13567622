"""Optimizer steps shared by the numba training kernels."""

import numpy as np
from numba import njit


@njit(cache=True)
def adam_step(theta, grad, m, v, step, lr, eps, b1=0.9, b2=0.999):
    """One Adam update of ``theta`` in place (``step`` counts from 1); ``m`` and ``v`` are its moment buffers."""
    m[:] = b1 * m + (1 - b1) * grad
    v[:] = b2 * v + (1 - b2) * grad * grad
    mhat = 1.0 / (1 - b1**step)
    vhat = 1.0 / (1 - b2**step)
    theta -= lr * (m * mhat) / (np.sqrt(v * vhat) + eps)
