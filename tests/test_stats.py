import numpy as np
import pytest

from emergence import stats


def ar1(phi, n, seed):
    rng = np.random.default_rng(seed)
    x = np.empty(n)
    x[0] = rng.normal() / np.sqrt(1 - phi**2)
    noise = rng.normal(size=n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + noise[t]
    return x


def test_autocorrelation_of_ar1():
    rho = stats.autocorrelation(ar1(0.8, 200_000, 1), 10)
    # Each rho(t) has a standard error of about sqrt((1 + phi^2) / (1 - phi^2) / n) ~ 0.005.
    np.testing.assert_allclose(rho, 0.8 ** np.arange(11), atol=0.03)


def test_integrated_time_of_ar1():
    phi = 0.9
    exact = 0.5 * (1 + phi) / (1 - phi)  # = 9.5 steps
    taus = [stats.integrated_autocorrelation_time(ar1(phi, 100_000, s)).tau for s in range(3)]
    # Sokal's error estimate: sigma(tau)/tau ~ sqrt(2 (2W + 1) / n) ~ 0.06 for W ~ 60.
    assert np.mean(taus) == pytest.approx(exact, rel=0.12)


def test_uncorrelated_time_is_half():
    x = np.random.default_rng(2).normal(size=50_000)
    assert stats.integrated_autocorrelation_time(x).tau == pytest.approx(0.5, abs=0.05)


def test_linear_and_power_law_fits_recover_parameters():
    x = np.linspace(1, 10, 20)
    fit = stats.linear_fit(x, 3.0 - 2.0 * x)
    assert fit.slope == pytest.approx(-2.0) and fit.intercept == pytest.approx(3.0)
    pl = stats.power_law_fit(x, 5 * x**1.75)
    assert pl.slope == pytest.approx(1.75) and np.exp(pl.intercept) == pytest.approx(5.0)


def test_largest_principal_component():
    rng = np.random.default_rng(3)
    direction = np.ones(50) / np.sqrt(50)
    data = rng.normal(size=(20_000, 50)) + np.outer(rng.normal(scale=3.0, size=20_000), direction)
    # True covariance I + 9 u u^T: largest eigenvalue 10, sampling error ~ 10 sqrt(2/20000) ~ 0.1.
    assert stats.largest_principal_component(data) == pytest.approx(10.0, abs=0.5)


@pytest.mark.parametrize("bad", [[1.0, 2.0], [1.0, np.nan, 2, 3, 4], "abc", None, [[1, 2], [3, 4]]])
def test_bad_series_rejected(bad):
    with pytest.raises((ValueError, TypeError), match="x"):
        stats.autocorrelation(bad)


def test_principal_component_of_int8_images_in_chunks():
    rng = np.random.default_rng(4)
    images = np.where(rng.random((3000, 40)) < 0.5, 1, -1).astype(np.int8)
    direct = np.linalg.eigvalsh(np.cov(images.astype(float), rowvar=False))[-1]
    assert stats.largest_principal_component(images, chunk=700) == pytest.approx(direct, rel=1e-10)


def test_log_binned_density_recovers_a_power_law():
    # Zipf-like integers with P(k) ~ k^-2: the density has slope -2 on log-log axes.
    rng = np.random.default_rng(0)
    k = np.floor(1 / rng.random(200_000)).astype(int)  # P(k >= x) = 1/x, so P(k) ~ k^-2
    centres, density = stats.log_binned_density(k, bins_per_decade=5)
    window = (centres > 3) & (centres < 1000)
    assert abs(stats.power_law_fit(centres[window], density[window]).slope + 2) < 0.1
    # Uniform data have a flat density 1/999 on [1, 1000), in every bin.
    centres, density = stats.log_binned_density(rng.uniform(1, 1000, 100_000))
    np.testing.assert_allclose(density, 1 / 999, rtol=0.15)


def test_log_binned_density_rejects_empty_input():
    with pytest.raises(ValueError, match="values"):
        stats.log_binned_density([0, 0, -1])


@pytest.mark.parametrize("tau", [4 / 3, 2.5])
def test_tail_exponent_of_pareto_samples(tau):
    # P(X >= x) = x^(1 - tau) for x >= 1. With 10^5 samples the empirical tail at x = 100 is known to ~1-3 %,
    # which moves the fitted slope by well under 0.02 across two decades
    x = np.random.default_rng(3).random(100_000) ** (-1 / (tau - 1))
    assert stats.tail_exponent(x, low=2, high=200) == pytest.approx(tau, abs=0.02)


def test_tail_exponent_needs_samples_in_its_window():
    with pytest.raises(ValueError, match="window"):
        stats.tail_exponent(np.arange(1.0, 20.0), low=5, high=8)
    with pytest.raises(ValueError, match="high"):
        stats.tail_exponent(np.arange(1.0, 20.0), low=5, high=2)


def test_roc_curve_area_is_the_mann_whitney_probability():
    from emergence.stats import roc_curve

    g = np.random.default_rng(0)
    pos, neg = g.normal(1.0, 1.0, 300), g.normal(0.0, 1.0, 400)
    roc = roc_curve(pos, neg)
    # exact pair count, and the trapezoid area under the curve, agree with the rank formula
    pairs = np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))
    assert roc.auc == pytest.approx(pairs, abs=1e-12)
    assert np.trapezoid(roc.tpr, roc.fpr) == pytest.approx(roc.auc, abs=1e-12)
    # for two unit Gaussians one apart, AUC = Phi(1 / sqrt 2) = 0.760; sampling error ~0.018
    assert roc.auc == pytest.approx(0.7602, abs=0.06)
    assert roc_curve([1.0, 2.0], [1.0, 2.0]).auc == 0.5
    assert roc_curve([3.0], [1.0, 2.0]).auc == 1.0
    assert roc.fpr[0] == roc.tpr[0] == 0 and roc.fpr[-1] == roc.tpr[-1] == 1


def test_energy_distance_matches_scipy_in_one_dimension_and_detects_shifts():
    from scipy.stats import energy_distance as scipy_energy

    from emergence.stats import energy_distance

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(300), rng.standard_normal(400) + 0.3
    assert energy_distance(a, b) == pytest.approx(scipy_energy(a, b), rel=1e-12)
    # 2-D, 1000 points each: the two-sample floor is about 0.05; a shift of half a standard deviation gives ~0.3
    x, y = rng.standard_normal((1000, 2)), rng.standard_normal((1000, 2))
    assert energy_distance(x, y) < 0.1 < energy_distance(x, y + [0.5, 0.0])
    with pytest.raises(ValueError, match="same d"):
        energy_distance(x, np.zeros((3, 3)))
