"""Checks of emergence.maps against exact and literature values, and of the shared
chaos statistics (emergence.stats.zero_one_test, sample_entropy)."""

import math

import numpy as np
import pytest

from emergence import maps, stats


def test_logistic_lyapunov_at_r4_is_ln2():
    # x -> 4x(1-x) is conjugate to the doubling map: lambda = ln 2 exactly. The
    # time average over 10^6 iterations of a mixing orbit is within ~1e-3.
    assert maps.lyapunov("logistic", {"r": 4.0}, n=1_000_000)[0] == pytest.approx(math.log(2), abs=2e-3)


def test_logistic_lyapunov_is_negative_on_a_stable_cycle():
    # r = 3.2: a stable 2-cycle with multiplier f'(x1) f'(x2) = 4 + 2r - r^2 = 0.16.
    assert maps.lyapunov("logistic", {"r": 3.2}, n=10_000)[0] == pytest.approx(0.5 * math.log(0.16), abs=1e-6)


def test_feigenbaum_delta_from_superstable_parameters():
    R = maps.logistic_superstable(13)
    assert R[0] == 2.0 and R[1] == pytest.approx(1 + math.sqrt(5), abs=1e-14)
    delta = (R[-2] - R[-3]) / (R[-1] - R[-2])
    assert delta == pytest.approx(4.669201609102990, abs=1e-4)


def test_henon_spectrum():
    # Literature: (0.419, -1.623) for a = 1.4, b = 0.3. The sum is ln|det J| = ln b
    # exactly at every step, which tests the re-orthonormalization.
    spectrum = maps.lyapunov("henon", {"a": 1.4, "b": 0.3}, n=1_000_000)
    np.testing.assert_allclose(spectrum, [0.419, -1.623], atol=3e-3)
    assert spectrum.sum() == pytest.approx(math.log(0.3), abs=1e-10)


def test_chialvo_regimes():
    # a = 0.89, b = 0.18, c = 0.28, k = 0.03: Chialvo's chaotic set (irregular
    # bursts); lambda_1 = +0.05, far above the ~1e-3 sampling error of 2e5 iterations.
    chaotic = maps.lyapunov("chialvo", {"a": 0.89, "b": 0.18, "c": 0.28, "k": 0.03}, n=200_000, transient=20_000)
    assert chaotic[0] > 0.03
    # k = 0.02 with b = 0.6: an excitable neuron at rest (a stable fixed point), lambda_1 = -0.14.
    resting = maps.lyapunov("chialvo", {"a": 0.89, "b": 0.6, "c": 0.28, "k": 0.02}, n=200_000, transient=20_000)
    assert resting[0] < -0.1
    orbit = maps.iterate("chialvo", {"a": 0.89, "b": 0.6, "c": 0.28, "k": 0.02}, [0.3, 0.1], 30_000)[-100:]
    assert np.ptp(orbit[:, 0]) < 1e-9  # at rest


def test_bifurcation_data():
    data = maps.bifurcation("logistic", {"r": 3.0}, "r", [2.8, 3.2, 3.5, 3.9], transient=2000, keep=64)
    counts = [len(np.unique(np.round(row, 8))) for row in data.x]
    assert counts[:3] == [1, 2, 4] and counts[3] > 32  # fixed point, 2-cycle, 4-cycle, chaos
    v, x = data.points()
    assert v.shape == x.shape == (4 * 64,)


def test_escape_is_reported():
    orbit = maps.iterate("henon", {"a": 3.0, "b": 0.3}, [1.0, 1.0], 100)
    assert np.isinf(orbit[-1]).all()
    assert np.isinf(maps.lyapunov("henon", {"a": 3.0, "b": 0.3}, n=100, transient=0, x0=[1.0, 1.0])[0])


def zero_one_direct(x, c):
    """K_c by the definition: mean square displacement by explicit sums over j."""
    N = x.size
    j = np.arange(1, N + 1)
    z = np.cumsum(x * np.exp(1j * c * j))
    n = np.arange(1, N // 10 + 1)
    msd = np.array([np.mean(np.abs(z[k:] - z[:-k]) ** 2) for k in n])
    d = msd - np.mean(x) ** 2 * (1 - np.cos(n * c)) / (1 - np.cos(c))
    return np.corrcoef(n, d)[0, 1]


def test_zero_one_test_matches_its_definition_and_separates_chaos():
    x = maps.iterate("logistic", {"r": 3.9}, [0.3], 1500)[500:, 0]
    golden = (math.sqrt(5) - 1) / 2
    cs = [math.pi / 5 + 3 * math.pi / 5 * ((0.5 + golden * i) % 1.0) for i in range(15)]
    assert stats.zero_one_test(x, n_c=15) == pytest.approx(np.median([zero_one_direct(x, c) for c in cs]), abs=1e-9)
    for r, chaotic in ((4.0, True), (3.9, True), (3.5, False), (3.83, False)):  # 3.83: the period-3 window
        k = stats.zero_one_test(maps.iterate("logistic", {"r": r}, [0.3], 6000)[1000:, 0])
        assert (k > 0.9) if chaotic else (abs(k) < 0.1), (r, k)
    assert stats.zero_one_test(maps.iterate("henon", {"a": 1.4, "b": 0.3}, [0, 0], 6000)[1000:, 0]) > 0.9


def sample_entropy_direct(x, m, r):
    n = len(x) - m
    templates = [x[i: i + m + 1] for i in range(n)]
    b = sum(np.max(np.abs(templates[i][:m] - templates[j][:m])) <= r for i in range(n) for j in range(i + 1, n))
    a = sum(np.max(np.abs(templates[i] - templates[j])) <= r for i in range(n) for j in range(i + 1, n))
    return -math.log(a / b)


def test_sample_entropy_matches_the_direct_definition():
    x = np.random.default_rng(0).normal(size=300)
    for m, r in ((1, 0.3), (2, 0.5), (3, 0.8)):
        assert stats.sample_entropy(x, m, r) == pytest.approx(sample_entropy_direct(x, m, r), rel=1e-12)


def test_sample_entropy_of_iid_uniform_noise():
    # For iid uniform data two samples match with probability 2r - r^2, so
    # SampEn -> -ln(2r - r^2); with 5000 samples the estimate is within ~0.02.
    x = np.random.default_rng(1).random(5000)
    assert stats.sample_entropy(x, 2, 0.2) == pytest.approx(-math.log(0.4 - 0.04), abs=0.05)
    assert stats.sample_entropy(np.tile([0.0, 1.0], 500), 2, 0.1) == pytest.approx(0.0, abs=1e-12)  # periodic


def test_one_dimensional_maps_start_from_a_number():
    # A scalar start is the natural call for the logistic map and gives the same orbit as [x0].
    orbit = maps.iterate("logistic", {"r": 3.7}, 0.3, 50)
    assert orbit.shape == (50, 1) and np.array_equal(orbit, maps.iterate("logistic", {"r": 3.7}, [0.3], 50))
    assert orbit[1, 0] == pytest.approx(3.7 * 0.3 * 0.7)
    # r = 4: exponent ln 2 exactly (conjugate to the tent map); 1e5 iterations give about +-0.01
    assert maps.lyapunov("logistic", {"r": 4.0}, x0=0.3)[0] == pytest.approx(math.log(2), abs=0.02)


@pytest.mark.parametrize("call, name", [
    (lambda: maps.iterate("tent", {}, [0.1], 10), "name"),
    (lambda: maps.iterate("logistic", {"a": 1.0}, [0.1], 10), "params"),
    (lambda: maps.iterate("logistic", {"r": math.nan}, [0.1], 10), "r"),
    (lambda: maps.iterate("henon", {"a": 1.4, "b": 0.3}, [0.1], 10), "x0"),
    (lambda: maps.iterate("henon", {"a": 1.4, "b": 0.3}, 0.1, 10), "x0"),  # a number is not a 2-D state
    (lambda: maps.iterate("logistic", {"r": 3.0}, [[0.1]], 10), "x0"),
    (lambda: maps.lyapunov("logistic", {"r": 3.0}, x0=[0.1, 0.2]), "x0"),
    (lambda: maps.iterate("logistic", {"r": 3.0}, [0.1], 0), "n"),
    (lambda: maps.lyapunov("logistic", {"r": 3.0}, n=10**9), "n"),
    (lambda: maps.bifurcation("logistic", {"r": 3.0}, "a", [3.0]), "vary"),
    (lambda: maps.bifurcation("logistic", {"r": 3.0}, "r", [3.0], keep=0), "keep"),
    (lambda: maps.logistic_superstable(20), "count"),
    (lambda: stats.zero_one_test(np.ones(10)), "x"),
    (lambda: stats.sample_entropy(np.ones(100), 0, 0.2), "m"),
    (lambda: stats.sample_entropy(np.ones(100), 2, 0.0), "r"),
])
def test_bad_arguments(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()


def test_maps_are_deterministic():
    a = maps.iterate("rulkov", {"alpha": 4.5, "mu": 0.001, "sigma": 0.14}, [-1.0, -3.0], 1000)
    np.testing.assert_array_equal(a, maps.iterate("rulkov", {"alpha": 4.5, "mu": 0.001, "sigma": 0.14}, [-1.0, -3.0], 1000))
