"""Checks of emergence.sampling: the four samplers against exact Gaussian results,
HMC's energy identities, U(1) gauge theory against its exact solution, and
master equations."""

import math

import numpy as np
import pytest

from emergence import sampling as sm
from emergence import stats


def second_moment(samples):
    """Mean of x^2 over all coordinates of a chain, with its autocorrelation-corrected error."""
    means, errors = zip(*(stats.mean_and_error(samples[:, i] ** 2) for i in range(samples.shape[1])))
    return np.mean(means), math.sqrt(np.sum(np.square(errors))) / len(errors)


@pytest.mark.parametrize("h", [0.2, 0.6])
def test_ula_variance_is_biased_exactly_as_predicted(h):
    run = sm.run("gaussian", "ula", 200_000, step=h, d=2, params={"scale": 1.0}, seed=1)
    value, error = second_moment(run.samples[1000:])
    # 4 autocorrelation-corrected standard errors; the bias itself is 11-43 %
    assert abs(value - sm.ula_gaussian_variance(1.0, h)) < 4 * error, (value, error)
    assert abs(value - 1.0) > 10 * error


@pytest.mark.parametrize("method, step", [("rwm", 2.4), ("mala", 0.6), ("hmc", 0.4)])
def test_corrected_samplers_are_unbiased(method, step):
    run = sm.run("gaussian", method, 100_000, step=step, d=2, params={"scale": 1.5}, seed=2)
    value, error = second_moment(run.samples[1000:])
    assert abs(value - 1.5**2) < 4 * error, (method, value, error)
    assert 0.2 < run.accept_rate <= 1.0


def test_hmc_energy_identities():
    run = sm.run("gaussian", "hmc", 50_000, step=0.3, n_leapfrog=10, d=20, seed=3)
    mean, error = stats.mean_and_error(np.exp(-run.delta_h))
    assert abs(mean - 1.0) < 4 * error  # Creutz: <exp(-Delta H)> = 1 for a reversible, volume-preserving map
    # leapfrog is second order: halving the step cuts the RMS energy error by 4 (same trajectory length)
    rms = [np.sqrt(np.mean(sm.run("gaussian", "hmc", 5000, step=eps, n_leapfrog=round(2 / eps), d=10,
                                  seed=4).delta_h ** 2)) for eps in (0.2, 0.1)]
    assert 3.6 < rms[0] / rms[1] < 4.4, rms


def test_hmc_is_unstable_beyond_the_leapfrog_limit():
    # For a harmonic mode of frequency omega = 1/scale, leapfrog is stable only if eps * omega < 2.
    stable = sm.run("gaussian", "hmc", 2000, step=1.9, n_leapfrog=20, params={"scale": 1.0}, seed=5)
    unstable = sm.run("gaussian", "hmc", 2000, step=2.1, n_leapfrog=20, params={"scale": 1.0}, seed=5)
    assert stable.accept_rate > 0.1 and unstable.accept_rate < 0.01


def test_double_well_and_mixture_marginals():
    run = sm.run("double-well", "hmc", 60_000, step=0.25, n_leapfrog=12, params={"barrier": 1.0}, seed=6)
    x = np.linspace(-2.5, 2.5, 26)
    hist, edges = np.histogram(run.samples[:, 0], bins=x, density=True)
    centres = (edges[1:] + edges[:-1]) / 2
    exact = sm.marginal_density("double-well", centres, params={"barrier": 1.0})
    # bins of 0.2 with 60 000 correlated samples: a few per cent of the peak
    assert np.abs(hist - exact).max() < 0.05
    grid = np.linspace(-6, 6, 1201)
    density = sm.marginal_density("mixture", grid)
    assert abs(np.sum(density) * 0.01 - 1) < 1e-3  # normalized
    assert np.isfinite(sm.log_density("mixture", [40.0]))  # far tails do not underflow to -inf


def test_gaussian_w2():
    assert sm.gaussian_w2(np.zeros(3), np.eye(3), np.zeros(3), 4 * np.eye(3)) == pytest.approx(math.sqrt(3))
    assert sm.gaussian_w2([1.0, 0.0], np.eye(2), [0.0, 0.0], np.eye(2)) == pytest.approx(1.0)


@pytest.mark.parametrize("beta", [1.0, 2.0, 4.0])
def test_u1_plaquette_against_bessel_ratio(beta):
    run = sm.u1_gauge(16, beta, 1500, step=0.15, n_leapfrog=8, seed=7)
    mean, error = stats.mean_and_error(run.plaquette[200:])
    exact = sm.u1_plaquette_exact(beta)
    assert abs(mean - exact) < 4 * error + 1e-4, (beta, mean, error, exact)
    assert np.array_equal(run.charge, np.round(run.charge))
    assert sm.u1_plaquette_exact(beta, 16) == pytest.approx(exact, abs=1e-12)  # finite-volume corrections ~ I_1^V


def test_u1_charge_is_an_integer_sum_of_plaquette_angles():
    run = sm.u1_gauge(8, 1.0, 50, step=0.2, n_leapfrog=5, seed=8)
    angles = sm.plaquette_angles(run.theta)
    assert np.all(np.abs(angles) <= np.pi)
    assert angles.sum() / (2 * np.pi) == pytest.approx(run.charge[-1], abs=1e-9)


def test_u1_susceptibility_and_instanton_moves():
    # At beta = 1 plain HMC changes Q freely; with instanton moves as well, <Q^2>/V matches the exact value.
    chi = sm.u1_topological_susceptibility(1.0)
    run = sm.u1_gauge(12, 1.0, 3000, step=0.2, n_leapfrog=6, instanton_moves=True, seed=9)
    q2 = run.charge[300:].astype(float) ** 2
    mean, error = stats.mean_and_error(q2)
    assert abs(mean / 144 - chi) < 4 * error / 144
    assert run.instanton_rate > 0.05
    # the charge-changing move must preserve the distribution: the plaquette is still right
    m, e = stats.mean_and_error(run.plaquette[300:])
    assert abs(m - sm.u1_plaquette_exact(1.0)) < 4 * e + 1e-4


def random_reversible(n, rng):
    """Q[i, j] = sqrt(p_j / p_i) S_ij with S symmetric: reversible with respect to p."""
    p = rng.random(n) + 0.1
    S = rng.random((n, n))
    S = S + S.T
    Q = np.sqrt(p[None, :] / p[:, None]) * S
    np.fill_diagonal(Q, 0)
    np.fill_diagonal(Q, -Q.sum(axis=1))
    return Q, p / p.sum()


def test_master_equation_stationary_state_and_reversibility():
    rng = np.random.default_rng(10)
    for n in (3, 5, 8):
        Q, p = random_reversible(n, rng)
        np.testing.assert_allclose(sm.stationary_distribution(Q), p, rtol=1e-9)
        assert sm.detailed_balance(Q)
        np.testing.assert_allclose(sm.probability_currents(Q), 0, atol=1e-12)
        assert sm.cycle_affinity(Q, list(range(n))) == pytest.approx(0, abs=1e-9)
    # a driven three-state cycle: faster one way round
    Q = np.array([[0, 2.0, 1.0], [1.0, 0, 2.0], [2.0, 1.0, 0]])
    np.fill_diagonal(Q, -Q.sum(axis=1))
    p = sm.stationary_distribution(Q)
    np.testing.assert_allclose(p @ Q, 0, atol=1e-12)  # zero net flow into every state
    assert not sm.detailed_balance(Q)
    J = sm.probability_currents(Q)
    np.testing.assert_allclose(J.sum(axis=1), 0, atol=1e-12)
    assert J[0, 1] > 0 and J[0, 1] == pytest.approx(J[1, 2]) and sm.cycle_affinity(Q, [0, 1, 2]) == pytest.approx(
        3 * math.log(2))


def test_reproducible():
    a = sm.run("mixture", "mala", 500, step=0.1, d=3, seed=11)
    b = sm.run("mixture", "mala", 500, step=0.1, d=3, seed=11)
    np.testing.assert_array_equal(a.samples, b.samples)
    g = sm.u1_gauge(6, 2.0, 20, step=0.2, n_leapfrog=4, seed=12)
    np.testing.assert_array_equal(g.theta, sm.u1_gauge(6, 2.0, 20, step=0.2, n_leapfrog=4, seed=12).theta)
    assert isinstance(sm.run("gaussian", "rwm", 3, step=1.0).seed, int)


DRIVEN = np.array([[-3.0, 2, 1], [1, -3, 2], [2, 1, -3]])


@pytest.mark.parametrize("call, name", [
    (lambda: sm.run("cauchy", "rwm", 10, step=1.0), "target"),
    (lambda: sm.run("gaussian", "gibbs", 10, step=1.0), "method"),
    (lambda: sm.run("gaussian", "rwm", 10, step=0.0), "step"),
    (lambda: sm.run("gaussian", "rwm", 10, step=-1.0), "step"),
    (lambda: sm.run("gaussian", "rwm", 0, step=1.0), "n_steps"),
    (lambda: sm.run("gaussian", "rwm", 10, step=1.0, d=0), "d"),
    (lambda: sm.run("gaussian", "rwm", 10, step=1.0, d=3, x0=[0.0, 1.0]), "x0"),
    (lambda: sm.run("gaussian", "rwm", 10, step=1.0, params={"sigma": 1.0}), "params"),
    (lambda: sm.run("gaussian", "rwm", 10, step=1.0, params={"scale": -1.0}), "scale"),
    (lambda: sm.run("mixture", "rwm", 10, step=1.0, params={"weights": [1.0], "means": [0, 1]}), "params"),
    (lambda: sm.run("gaussian", "hmc", 10**6, step=0.1, n_leapfrog=100, d=1000), "run"),
    (lambda: sm.u1_gauge(1, 1.0, 10, step=0.1, n_leapfrog=5), "L"),
    (lambda: sm.u1_gauge(8, 0.0, 10, step=0.1, n_leapfrog=5), "beta"),
    (lambda: sm.u1_gauge(8, 1.0, 10, step=0.1, n_leapfrog=5, theta0=np.zeros((2, 4, 4))), "theta0"),
    (lambda: sm.stationary_distribution(np.ones((3, 3))), "Q"),
    (lambda: sm.stationary_distribution(np.array([[-1.0, 1.0], [-1.0, 1.0]])), "Q"),
    (lambda: sm.stationary_distribution(np.zeros((2, 3))), "Q"),
    (lambda: sm.stationary_distribution(np.zeros((3, 3))), "irreducible"),
    (lambda: sm.cycle_affinity(DRIVEN, [0, 1]), "cycle"),
    (lambda: sm.ula_gaussian_variance(1.0, 2.5), "step"),
    (lambda: sm.run("double-well", "ula", 1000, step=0.5, params={"barrier": 2.0}, seed=0), "step"),
])
def test_bad_arguments(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()


def regression_data(seed=0, n=200):
    rng = np.random.default_rng(seed)
    a = rng.normal(1.0, 0.5, n)
    return a, 2 * a + rng.normal(0, 0.5, n)


def test_sgd_stationary_moments_are_exact():
    a, b = regression_data()
    x = sm.sgd_linear(a, b, 0.1, 4, 300_000, x0=2.0, seed=13)[2000:]
    exact_mean, exact_var = sm.sgd_stationary_moments(a, b, 0.1, 4)
    mean, error = stats.mean_and_error(x)
    var, var_error = stats.mean_and_error((x - exact_mean) ** 2)
    assert abs(mean - exact_mean) < 4 * error and abs(var - exact_var) < 4 * var_error
    # the minimum of the loss is not where SGD sits on average only when the noise is state dependent;
    # here it is: the mean differs from argmin L by O(lr), far less than the spread
    assert abs(exact_mean - np.sum(a * b) / np.sum(a * a)) < 0.1 * math.sqrt(exact_var)


def test_sde_approximation_improves_as_the_learning_rate_falls():
    a, b = regression_data()
    errors = []
    for lr in (0.2, 0.05):
        exact_mean, exact_var = sm.sgd_stationary_moments(a, b, lr, 4)
        grid = np.linspace(exact_mean - 12 * math.sqrt(exact_var), exact_mean + 12 * math.sqrt(exact_var), 4001)
        density = sm.sgd_sde_density(a, b, lr, 4, grid)
        dx = grid[1] - grid[0]
        assert abs(density.sum() * dx - 1) < 1e-3
        sde_mean = np.sum(grid * density) * dx
        sde_var = np.sum((grid - sde_mean) ** 2 * density) * dx
        errors.append(abs(sde_var / exact_var - 1))
    # the SDE is a first-order approximation in lr: a quarter of the step, about a quarter of the error
    assert errors[1] < 0.4 * errors[0] and errors[1] < 0.05, errors


def test_energy_model_gradients_and_training():
    x = np.random.default_rng(14).normal(size=(5, 2))
    feats, grads = sm.polynomial_features(x, 4)
    eps = 1e-6
    for d in range(2):
        shifted = x.copy()
        shifted[:, d] += eps
        numerical = (sm.polynomial_features(shifted, 4)[0] - feats) / eps
        np.testing.assert_allclose(grads[:, :, d], numerical, rtol=1e-4, atol=1e-5)
    rng = np.random.default_rng(15)
    angle = rng.uniform(0, 2 * np.pi, 1000)
    radius = 1.5 + 0.15 * rng.standard_normal(1000)
    data = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    model = sm.train_energy_model(data, degree=4, n_iter=300, lr=0.3, n_chains=400, langevin_steps=5, step=0.02,
                                  seed=16)
    # Training drives the data and model moments together, down to the Monte Carlo
    # error of 400 chains' quartic moments (about 0.15), and the samples onto the ring.
    assert model.moment_gap[-20:].mean() < 0.3 * model.moment_gap[0]
    r = np.hypot(*model.negatives.T)
    assert abs(np.median(r) - 1.5) < 0.15
    assert model.energy(np.array([[1.5, 0.0]]))[0] < model.energy(np.array([[0.0, 0.0]]))[0]


def test_ula_divergence_is_reported_not_hidden():
    stopped = sm.run("double-well", "ula", 1000, step=0.5, params={"barrier": 2.0}, seed=0, on_divergence="stop")
    assert stopped.diverged_at is not None and len(stopped.samples) == stopped.diverged_at - 1
    assert np.all(np.isfinite(stopped.samples))
    assert sm.run("double-well", "ula", 100, step=0.01, seed=0, on_divergence="stop").diverged_at is None
