"""Checks of emergence.map_networks: exact limits, the Jacobian, synchrony measures, validation."""

import numpy as np
import pytest

from emergence import map_networks as mn
from emergence import maps

CHAOTIC = {"a": 0.89, "b": 0.18, "c": 0.28, "k": 0.03}  # lambda_1 = +0.05 (see test_maps)
RESTING = {"a": 0.89, "b": 0.6, "c": 0.28, "k": 0.025}
RULKOV = {"alpha": 4.5, "mu": 0.001, "sigma": -1.0}


def test_ring_star_matrix():
    C = mn.ring_star(6, star=0.1, ring=0.4, radius=2)
    assert C.shape == (7, 7)
    np.testing.assert_allclose(C[0, 1:], 0.1)  # the centre hears every ring node
    # A ring node hears the centre and 2 radius = 4 ring neighbours at ring / 4 each.
    np.testing.assert_allclose(C[1:].sum(axis=1), 0.1 + 0.4)
    assert C[1, 2] == C[1, 3] == C[1, 6] == C[1, 5] == 0.1 and C[1, 4] == 0
    np.testing.assert_array_equal(C, C.T)


def test_uncoupled_network_has_the_single_neuron_spectra():
    # Without coupling the 2N exponents are the union of each neuron's pair.
    # Same starts, same iterations: only the tangent frames differ (random
    # here, unit vectors in maps.lyapunov), an O(1/n) = 1e-5 effect; the
    # tolerance 1e-3 is far below the 0.006 scatter between different starts.
    start = np.array([[0.3, 0.1], [0.5, 0.2], [0.7, 0.4]])
    run = mn.simulate("chialvo", CHAOTIC, np.zeros((3, 3)), 100_000, transient=1000, lyapunov=6, x0=start, seed=1)
    single = np.concatenate([maps.lyapunov("chialvo", CHAOTIC, n=100_000, transient=1000, x0=s) for s in start])
    np.testing.assert_allclose(np.sort(run.lyapunov), np.sort(single), atol=1e-3)


def test_exponents_sum_to_the_mean_log_jacobian_determinant():
    # Independent check of the network Jacobian (including the coupling): the
    # sum of all exponents is the time average of log|det J|, with J built here
    # by central finite differences of a direct implementation of the map.
    C = mn.ring_star(3, star=-0.1, ring=0.05)
    run = mn.simulate("chialvo", RESTING, C, 3000, transient=2000, lyapunov=8, seed=4)
    assert run.lyapunov[0] > 0.01  # a chaotic orbit (see the chapter's frontier)
    a, b, c, k = (RESTING[p] for p in "abck")

    def step(z):
        x, y = z[:4], z[4:]
        pull = C @ x - C.sum(axis=1) * x
        return np.concatenate([x * x * np.exp(y - x) + k + pull, a * y - b * x + c])

    logdet = []
    for x, y in zip(run.x, run.y):
        z = np.concatenate([x, y])
        J = np.column_stack([(step(z + h) - step(z - h)) / 2e-6 for h in np.eye(8) * 1e-6])
        logdet.append(np.log(abs(np.linalg.det(J))))
    assert run.lyapunov.sum() == pytest.approx(np.mean(logdet), abs=1e-5)


def test_synchronous_start_stays_synchronous():
    # Diffusive coupling vanishes on the synchronous manifold, so identical
    # neurons started together stay together exactly.
    start = np.tile([0.4, 0.2], (4, 1))
    run = mn.simulate("chialvo", CHAOTIC, mn.ring_star(3, star=0.05, ring=0.2), 500, transient=0, x0=start)
    np.testing.assert_array_equal(run.x, np.repeat(run.x[:, :1], 4, axis=1))
    assert mn.cross_correlation(run.x) == pytest.approx(1.0)
    assert mn.kuramoto_order(run.x, run.y) == pytest.approx(1.0)


def test_synchrony_measures_of_independent_series():
    # Independent series: each pair's correlation has standard error
    # 1/sqrt(T) = 0.01, and their mean is smaller; Kuramoto R of N = 50
    # independent uniform phases averages about sqrt(pi / (4N)) = 0.125.
    gen = np.random.default_rng(0)
    x = gen.standard_normal((10_000, 50))
    assert abs(mn.cross_correlation(x)) < 0.01
    phase = gen.uniform(0, 2 * np.pi, (2000, 50))
    R = mn.kuramoto_order(np.cos(phase), np.sin(phase))
    assert R == pytest.approx(np.sqrt(np.pi / 200), rel=0.1)


def test_cross_correlation_of_resting_nodes():
    x = np.column_stack([np.full(100, 0.3), np.full(100, 0.3), np.linspace(0, 1, 100)])
    assert mn.cross_correlation(x) == pytest.approx(1 / 3)  # one equal pair out of three


def test_heterogeneous_chain_runs_both_kinds():
    run = mn.simulate(["chialvo", "rulkov"], [CHAOTIC, RULKOV], mn.chain(2, 0.05), 2000, lyapunov=2, seed=5)
    assert np.all(np.isfinite(run.x)) and run.lyapunov[0] > 0
    # The Rulkov neuron's slow variable drifts slowly: |dy| = mu |x - sigma| per step.
    assert np.abs(np.diff(run.y[:, 1])).max() < 0.001 * (np.abs(run.x[:, 1]).max() + 1) + 1e-12


def test_same_seed_same_orbit():
    C = mn.ring_star(5, star=0.01, ring=0.1)
    a = mn.simulate("chialvo", CHAOTIC, C, 300, lyapunov=2, seed=9)
    b = mn.simulate("chialvo", CHAOTIC, C, 300, lyapunov=2, seed=9)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.lyapunov, b.lyapunov)


def test_escape_is_reported_as_inf():
    run = mn.simulate("chialvo", RESTING, mn.ring_star(3, star=-0.3, ring=0.0), 2000, lyapunov=1, seed=1)
    assert np.isinf(run.x[-1]).all() and np.isinf(run.lyapunov[0])
    with pytest.raises(ValueError, match="x must"):
        mn.cross_correlation(run.x)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: mn.ring_star(2, star=0.1, ring=0.1), "n_ring"),
        (lambda: mn.ring_star(4, star=0.1, ring=0.1, radius=2), "radius"),
        (lambda: mn.ring_star(4, star="a", ring=0.1), "star"),
        (lambda: mn.chain(1, 0.1), "n"),
        (lambda: mn.simulate("fitzhugh", CHAOTIC, np.zeros((2, 2)), 10), "kinds"),
        (lambda: mn.simulate("chialvo", RULKOV, np.zeros((2, 2)), 10), "params"),
        (lambda: mn.simulate(["chialvo"], [CHAOTIC], np.zeros((2, 2)), 10), "kinds and params"),
        (lambda: mn.simulate("chialvo", CHAOTIC, np.zeros((2, 3)), 10), "coupling"),
        (lambda: mn.simulate("chialvo", CHAOTIC, np.zeros((2, 2)), 0), "n"),
        (lambda: mn.simulate("chialvo", CHAOTIC, np.zeros((2, 2)), 10, lyapunov=5), "lyapunov"),
        (lambda: mn.simulate("chialvo", CHAOTIC, np.zeros((2, 2)), 10, x0=np.zeros(2)), "x0"),
        (lambda: mn.simulate("chialvo", CHAOTIC, mn.ring_star(99, star=0, ring=0), 10**6, transient=10**7), "simulate"),
        (lambda: mn.cross_correlation(np.zeros((10, 1))), "x"),
        (lambda: mn.kuramoto_order(np.zeros((10, 2)), np.zeros((10, 3))), "x and y"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()
