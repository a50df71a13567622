"""Compile every numba kernel once (``python -m emergence.warmup``).

Kernels are cached on disk (``cache=True``), so after this the first call in a
new session loads machine code instead of compiling. Binder's ``postBuild``
runs it; ``make lab`` too.
"""

import numpy as np

from . import automata, hopfield, ising, map_networks, maps, oscillators, rmt, sandpile, stats


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
    pile = sandpile.drive(4, 50, seed=0)
    sandpile.is_recurrent(pile.heights)
    sandpile.relax(pile.heights.astype(np.int64) + 4)
    automata.coffee(4, 2, seed=0)
    automata.coffee(4, 2, interacting=False, seed=0)
    automata.domany_kinzel(0.5, 0.5, 8, 2, seed=0)
    for name in maps.MAPS:
        params = {k: 0.5 for k in maps.MAPS[name][2]}
        start = [0.3, 0.1][: maps.MAPS[name][1]]
        maps.iterate(name, params, start, 3)
        maps.lyapunov(name, params, n=3, transient=1, x0=start)
        maps.bifurcation(name, params, maps.MAPS[name][2][0], [0.5, 0.6], transient=1, keep=2, x0=start)
    stats.sample_entropy(np.tile([0.0, 1.0], 5), 2, 0.5)
    for noise in (0.0, 0.1):
        oscillators.kuramoto(np.zeros(4), 1.0, 0.2, 0.1, noise=noise, seed=0)
    map_networks.simulate(["chialvo", "rulkov"], [{"a": 0.89, "b": 0.18, "c": 0.28, "k": 0.03},
                                                  {"alpha": 4.5, "mu": 0.001, "sigma": -1.0}],
                          map_networks.chain(2, 0.1), 3, transient=1, lyapunov=2, seed=0)
    rmt.spacing_ratios([0.0, 1.0, 3.0])
    rmt.ipr(np.eye(2))
    rmt.ipr(np.eye(2) + 0j)
    rmt.localization_length(1.0, n=100, seed=0)
    rmt.wavepacket_spreading(4, 1.0, 0.1, 0.05, record_every=1, seed=0)


if __name__ == "__main__":
    warm_up()
    print("emergence: numba kernels compiled and cached")
