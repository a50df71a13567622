"""Checks of emergence.oscillators against the Kuramoto model's exact Lorentzian results."""

import numpy as np
import pytest

from emergence import oscillators as osc


@pytest.mark.parametrize("K", [1.5, 2.0])
def test_order_parameter_above_kc_matches_lorentzian_theory(K):
    # gamma = 0.5, K_c = 1. Quantile frequencies remove the sampling noise of
    # g(omega); what remains are O(1/sqrt N) fluctuations of r(t) and the
    # finite-N shift, both below 0.005 at N = 2000 (measured at N = 4000: 1e-4).
    omega = osc.lorentzian_frequencies(2000, 0.5)
    run = osc.kuramoto(omega, K, 150, 0.05, seed=1)
    r = run.r[run.t > 75].mean()
    assert abs(r - osc.lorentzian_order_parameter(K, 0.5)) < 0.01
    assert osc.lorentzian_order_parameter(K, 0.5) == pytest.approx(np.sqrt(1 - 1 / K))


def test_incoherent_below_kc():
    omega = osc.lorentzian_frequencies(2000, 0.5)
    run = osc.kuramoto(omega, 0.5, 150, 0.05, seed=2)
    # Incoherent state: r fluctuates at the O(1/sqrt N) = 0.02 level.
    assert run.r[run.t > 75].mean() < 0.1
    assert osc.critical_coupling(0.5) == 1.0


def test_noise_is_phase_diffusion_with_constant_D():
    # Uncoupled, zero-frequency oscillators: theta(t) - theta(0) is Brownian with
    # variance 2 D t. Over 4000 oscillators the sample variance has a relative
    # error sqrt(2/4000) = 2.2%; the tolerance is 4 of those.
    D, t_max = 0.1, 2.0
    run = osc.kuramoto(np.zeros(4000), 0.0, t_max, 0.01, noise=D, theta0=np.full(4000, np.pi), seed=3)
    spread = np.angle(np.exp(1j * (run.theta - np.pi)))  # unwrap around the start: std 0.63, far from the wrap at pi
    assert spread.var() == pytest.approx(2 * D * t_max, rel=4 * np.sqrt(2 / 4000))


def test_noise_shifts_the_critical_coupling():
    # With noise D the incoherent state loses stability at K_c = 2 (gamma + D) (exact).
    omega = osc.lorentzian_frequencies(2000, 0.25)
    kc = osc.critical_coupling(0.25, 0.25)
    assert kc == 1.0
    below = osc.kuramoto(omega, 0.6 * kc, 100, 0.02, noise=0.25, seed=4)
    above = osc.kuramoto(omega, 2.5 * kc, 100, 0.02, noise=0.25, seed=5)
    assert below.r[below.t > 50].mean() < 0.1
    assert above.r[above.t > 50].mean() > 0.5


def test_uncoupled_phases_rotate_exactly():
    omega = np.array([0.5, -1.0, 2.0])
    run = osc.kuramoto(omega, 0.0, 10.0, 0.01, theta0=np.zeros(3), seed=6)
    np.testing.assert_allclose(run.theta, np.mod(omega * 10.0, 2 * np.pi), atol=1e-9)


def test_lorentzian_quantiles():
    omega = osc.lorentzian_frequencies(1001, 2.0, center=1.0)
    assert omega[500] == pytest.approx(1.0)
    assert np.mean(np.abs(omega - 1.0) < 2.0) == pytest.approx(0.5, abs=1e-3)  # half the mass within gamma


def test_reproducible():
    omega = osc.lorentzian_frequencies(100, 0.5)
    a = osc.kuramoto(omega, 1.5, 5, 0.05, noise=0.1, seed=7)
    b = osc.kuramoto(omega, 1.5, 5, 0.05, noise=0.1, seed=7)
    np.testing.assert_array_equal(a.theta, b.theta)
    c = osc.kuramoto(omega, 1.5, 5, 0.05, noise=0.1)
    np.testing.assert_array_equal(c.theta, osc.kuramoto(omega, 1.5, 5, 0.05, noise=0.1, seed=c.seed).theta)


@pytest.mark.parametrize("call, name", [
    (lambda: osc.kuramoto([0.0, 1.0], -1.0, 1, 0.1), "K"),
    (lambda: osc.kuramoto([0.0, 1.0], 1.0, 0, 0.1), "t_max"),
    (lambda: osc.kuramoto([0.0, 1.0], 1.0, 1, 0.0), "dt"),
    (lambda: osc.kuramoto([0.0, 1.0], 1.0, 1, 0.1, noise=-1), "noise"),
    (lambda: osc.kuramoto([0.0, 1.0], 1.0, 1, 0.1, theta0=[0.0]), "theta0"),
    (lambda: osc.kuramoto([0.0, np.nan], 1.0, 1, 0.1), "omega"),
    (lambda: osc.kuramoto(np.zeros(10**6), 1.0, 1000, 0.001), "kuramoto"),
    (lambda: osc.lorentzian_frequencies(0, 1.0), "N"),
    (lambda: osc.lorentzian_frequencies(10, 0.0), "gamma"),
])
def test_bad_arguments(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()


def test_wrapped_cauchy_phases_have_the_requested_order_parameter():
    theta = osc.wrapped_cauchy_phases(10_000, 0.3, seed=1)
    # Quantiles of the density: the order parameter is exact up to O(1/N^2).
    assert abs(np.exp(1j * theta).mean()) == pytest.approx(0.3, abs=1e-4)


@pytest.mark.parametrize("K", [1.5, 3.0, 0.6])
def test_ott_antonsen_equation_follows_the_noiseless_simulation(K):
    # Started on the Ott-Antonsen manifold, N = 20000 oscillators follow the
    # reduced equation up to O(1/sqrt N) = 0.007 fluctuations, which the fast
    # rise amplifies to about 0.03 (a small shift in time); tolerance 0.05
    # over the run, 0.015 in the final state.
    N, gamma = 20_000, 0.5
    theta0 = osc.wrapped_cauchy_phases(N, 0.05, seed=1)
    r0 = abs(np.exp(1j * theta0).mean())
    run = osc.kuramoto(osc.lorentzian_frequencies(N, gamma), K, 40, 0.05, theta0=theta0, record_every=4)
    theory = osc.reduced_order_parameter(run.t, K, gamma, r0)
    assert np.abs(run.r - theory).max() < 0.05
    assert abs(run.r[-20:].mean() - theory[-1]) < 0.015


def test_reduced_equation_limits():
    t = np.array([0.0, 1e3])
    assert osc.reduced_order_parameter(t, 3.0, 0.5, 0.2) == pytest.approx([0.2, np.sqrt(1 - 1 / 3)])
    assert osc.reduced_order_parameter(t, 0.5, 0.5, 0.2)[1] < 1e-100  # decays below K_c
    assert osc.reduced_order_parameter(t, 1.0, 0.5, 0.2)[1] == pytest.approx(0.2 / np.sqrt(1 + 0.04 * 1e3))


def test_exact_noisy_stationary_state_reduces_to_kuramoto_without_noise():
    # D -> 0: the continued fraction must recover sqrt(1 - 2 (gamma + D) / K)
    # up to O(D^2)-small differences between the closure and the exact result.
    for K in (1.5, 3.0):
        exact = osc.stationary_order_parameter(K, 0.5, 0.001)
        assert exact == pytest.approx(osc.lorentzian_order_parameter(K, 0.5, 0.001), abs=1e-3)


def test_exact_noisy_stationary_state_against_simulation():
    # N = 20000, D = 0.25: the simulation's time average from t = 20 to 60
    # has a statistical error below 0.002 and Euler-Maruyama (dt = 0.02) a
    # bias of a few 1e-3; the Ott-Antonsen closure predicts 0.5, 0.05 away.
    N, gamma, D, K = 20_000, 0.5, 0.25, 2.0
    run = osc.kuramoto(osc.lorentzian_frequencies(N, gamma), K, 60, 0.02, noise=D,
                       theta0=osc.wrapped_cauchy_phases(N, 0.5, seed=2), record_every=10, seed=3)
    simulated = run.r[run.t > 20].mean()
    exact = osc.stationary_order_parameter(K, gamma, D)
    assert abs(simulated - exact) < 0.01
    assert abs(simulated - osc.lorentzian_order_parameter(K, gamma, D)) > 0.03
    assert osc.stationary_order_parameter(2 * (gamma + D) * 0.99, gamma, D) == 0.0


def test_identical_noisy_oscillators_are_the_mean_field_xy_model():
    # gamma = 0: r = I1(K r / T) / I0(K r / T) with T = D, and T_c = K / 2.
    from scipy.optimize import brentq
    from scipy.special import i0e, i1e

    K, T = 1.0, 0.3
    exact = brentq(lambda r: i1e(K * r / T) / i0e(K * r / T) - r, 1e-6, 1.0)
    assert osc.stationary_order_parameter(K, 0.0, T) == pytest.approx(exact, abs=1e-9)
    assert osc.stationary_order_parameter(K, 0.0, 0.501) == 0.0
    assert osc.stationary_order_parameter(K, 0.0, 0.49) > 0.1
