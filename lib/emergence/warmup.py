"""Compile every numba kernel once (``python -m emergence.warmup``).

Kernels are cached on disk (``cache=True``), so after this the first call in a
new session loads machine code instead of compiling. Binder's ``postBuild``
runs it; ``make lab`` too.
"""

import numpy as np

from . import hopfield, ising


def warm_up():
    """Call each kernel on a tiny input."""
    ising.simulate(4, 2.0, 2, seed=0)
    ising.simulate(4, 2.0, 2, method="wolff", seed=0)
    ising.sample_configurations(4, 2.0, 2, seed=0)
    ising.block_spin(np.ones((4, 4)), 2)
    ising.energy_per_spin(np.ones((4, 4)))
    binary = hopfield.random_patterns(8, 3, seed=0)
    real = binary + 0.5
    for patterns in (binary, real):
        for p in (2, 3):
            hopfield.retrieve(patterns, np.ones(8), p=p, sweeps=2, seed=0)
            hopfield.retrieve(patterns, np.ones(8), p=p, T=[0.5, 0.0], sweeps=2, seed=0)
            hopfield.flip_energies(patterns, np.ones(8), p=p)


if __name__ == "__main__":
    warm_up()
    print("emergence: numba kernels compiled and cached")
