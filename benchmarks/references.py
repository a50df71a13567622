"""Plain-numpy reference implementations that the benchmarks race the kernels against.

They compute the same thing as the kernels (same update rule, same acceptance
probabilities), vectorized as well as numpy allows, so the ratio measures what
the compiled kernels buy.
"""

import numpy as np


def numpy_checkerboard_sweeps(spins, T, sweeps, rng):
    """Metropolis checkerboard sweeps of the periodic Ising model, vectorized per sublattice."""
    L = spins.shape[0]
    ii, jj = np.indices((L, L))
    masks = [((ii + jj) % 2) == c for c in (0, 1)]
    beta = 1.0 / T
    for _ in range(sweeps):
        for mask in masks:
            nb = (np.roll(spins, 1, 0) + np.roll(spins, -1, 0) + np.roll(spins, 1, 1) + np.roll(spins, -1, 1))
            de = 2.0 * spins * nb
            flip = mask & (rng.random((L, L)) < np.exp(-beta * de))
            spins[flip] *= -1
    return spins
