import numpy as np

from emergence import ising


def test_same_seed_same_arrays():
    for method in ("metropolis", "wolff"):
        a = ising.simulate(16, 2.3, 50, method=method, seed=42)
        b = ising.simulate(16, 2.3, 50, method=method, seed=42)
        np.testing.assert_array_equal(a.spins, b.spins)
        np.testing.assert_array_equal(a.energy, b.energy)
        np.testing.assert_array_equal(a.magnetization, b.magnetization)


def test_different_seeds_differ():
    a = ising.simulate(16, 2.3, 50, seed=1)
    b = ising.simulate(16, 2.3, 50, seed=2)
    assert not np.array_equal(a.spins, b.spins)


def test_no_seed_records_the_entropy_used():
    a = ising.simulate(16, 2.3, 20)
    b = ising.simulate(16, 2.3, 20, seed=a.seed)
    np.testing.assert_array_equal(a.spins, b.spins)
    np.testing.assert_array_equal(a.energy, b.energy)


def test_input_spins_are_not_modified():
    start = np.ones((16, 16), np.int8)
    ising.simulate(16, 3.0, 20, spins=start, seed=3)
    assert (start == 1).all()


def test_sample_configurations_reproducible():
    a = ising.sample_configurations(8, 2.5, 5, seed=4)
    b = ising.sample_configurations(8, 2.5, 5, seed=4)
    np.testing.assert_array_equal(a, b)
