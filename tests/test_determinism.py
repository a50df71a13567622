import numpy as np

from emergence import hopfield, ising


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


def test_hopfield_same_seed_same_arrays():
    from emergence import hopfield

    a = hopfield.random_patterns(200, 10, dilution=0.2, seed=5)
    np.testing.assert_array_equal(a, hopfield.random_patterns(200, 10, dilution=0.2, seed=5))
    assert not np.array_equal(a, hopfield.random_patterns(200, 10, dilution=0.2, seed=6))
    probe = hopfield.corrupt(a[0] + (a[0] == 0), 0.3, seed=1)
    for T in (0.0, 0.4):
        r1 = hopfield.retrieve(a, probe, T=T, p=3, sweeps=10, seed=7)
        r2 = hopfield.retrieve(a, probe, T=T, p=3, sweeps=10, seed=7)
        np.testing.assert_array_equal(r1.state, r2.state)
        np.testing.assert_array_equal(r1.overlaps, r2.overlaps)
    r3 = hopfield.retrieve(a, probe, T=0.4, sweeps=10)
    r4 = hopfield.retrieve(a, probe, T=0.4, sweeps=10, seed=r3.seed)
    np.testing.assert_array_equal(r3.state, r4.state)
    ex = hopfield.noisy_examples(a[:2], 4, 0.5, seed=3)
    np.testing.assert_array_equal(ex, hopfield.noisy_examples(a[:2], 4, 0.5, seed=3))


def test_array_returning_draws_record_the_seed_they_used():
    """With seed=None the integer drawn is kept on the returned array, and reproduces it exactly."""
    import pickle

    xi = hopfield.random_patterns(100, 3)
    draws = {
        "random_patterns": (xi, lambda s: hopfield.random_patterns(100, 3, seed=s)),
        "corrupt": (hopfield.corrupt(xi[0], 0.2), lambda s: hopfield.corrupt(xi[0], 0.2, seed=s)),
        "noisy_examples": (hopfield.noisy_examples(xi, 5, 0.4), lambda s: hopfield.noisy_examples(xi, 5, 0.4, seed=s)),
        "sample_configurations": (ising.sample_configurations(8, 2.5, 3),
                                  lambda s: ising.sample_configurations(8, 2.5, 3, seed=s)),
    }
    for name, (drawn, again) in draws.items():
        assert isinstance(drawn.seed, int) and 0 <= drawn.seed < 2**63, name
        np.testing.assert_array_equal(drawn, again(drawn.seed), err_msg=name)
        assert again(17).seed == 17
    # views keep the seed, computed arrays are plain, pickling keeps it
    assert xi[1:].seed == xi.seed and type(2 * xi) is np.ndarray and type(xi.sum()) is not type(xi)
    assert pickle.loads(pickle.dumps(xi)).seed == xi.seed
