"""SIR final sizes, Gillespie epidemics, and early-warning statistics against exact results."""

import math

import numpy as np
import pytest

from emergence import epidemics as ep
from emergence import tipping as tp


# --------------------------------------------------------------------------
# SIR
# --------------------------------------------------------------------------
def test_final_size_solves_its_equation():
    R0 = np.array([0.0, 0.5, 1.0, 1.0001, 1.2, 2.0, 3.0, 10.0, 50.0])
    z = ep.final_size(R0)
    np.testing.assert_allclose(z - 1 + np.exp(-R0 * z), 0.0, atol=1e-12)
    assert np.all(z[R0 <= 1] == 0) and np.all(z[R0 > 1] > 0)
    assert ep.final_size(2.0) == pytest.approx(0.7968121300200202, abs=1e-12)
    assert isinstance(ep.final_size(2.0), float)


def test_ode_final_size_and_conservation():
    r = ep.sir(2.0, 1.0, 40.0, N=1_000_000, I0=1)
    np.testing.assert_allclose(r.S + r.I + r.R, 1_000_000, rtol=1e-12)
    # one initial case in a million: the ODE's final size is the N -> infinity one to ~1e-6
    assert r.R[-1] / r.N == pytest.approx(ep.final_size(2.0), abs=1e-5)
    assert np.all(np.diff(r.S) <= 1e-6)


def test_gillespie_major_outbreaks_and_extinction_probability():
    # N = 10^4, R0 = 2, 20 000 epidemics from one case. Minor and major outbreaks separate
    # cleanly (none between 100 and 500); the minor fraction is 1/R0 for the branching
    # process, binomial error sqrt(0.25 / 20000) = 0.0035, checked within 4 of it. The major
    # sizes have a per-run spread ~ 1/sqrt(N); their mean is checked within 4 standard errors
    # plus an O(1/N) allowance for the finite population.
    sizes = ep.final_size_samples(2.0, N=10_000, runs=20_000, seed=11)
    minor = sizes < 500
    assert np.sum((sizes >= 100) & (sizes < 500)) == 0
    assert abs(minor.mean() - 0.5) < 4 * math.sqrt(0.25 / sizes.size)
    major = sizes[~minor] / 10_000
    assert abs(major.mean() - ep.final_size(2.0)) < 4 * major.std() / math.sqrt(major.size) + 1e-4
    # below threshold every outbreak is minor
    assert ep.final_size_samples(0.8, N=10_000, runs=2000, seed=12).max() < 500


def test_gillespie_trajectories_match_the_jump_chain_and_the_ode():
    r = ep.sir(2.0, 1.0, 60.0, N=10_000, I0=50, stochastic=True, seed=3)
    assert np.all(np.abs(np.diff(r.S)) <= 1) and np.all(np.diff(r.R) >= 0)
    assert np.all(np.abs(np.diff(r.I)) == 1)  # one event at a time
    ode = ep.sir(2.0, 1.0, 60.0, N=10_000, I0=50)
    # with 50 initial cases a major outbreak is certain (extinction 2^-50); fluctuations ~ 1/sqrt(N)
    assert abs(r.R[-1] - ode.R[-1]) / 10_000 < 0.03
    gridded = ep.sir(2.0, 1.0, 60.0, N=10_000, I0=50, stochastic=True, dt=0.5, seed=3)
    np.testing.assert_allclose(gridded.t, np.arange(0, 60.25, 0.5))
    assert gridded.R[-1] == r.R[-1]  # the same events, recorded on a grid


def test_sir_determinism_and_errors():
    a = ep.sir(3.0, 1.0, 10.0, N=500, stochastic=True, seed=5)
    b = ep.sir(3.0, 1.0, 10.0, N=500, stochastic=True, seed=a.seed)
    np.testing.assert_array_equal(a.I, b.I)
    assert ep.final_size_samples(2.0, N=100, runs=10, seed=1).seed == 1
    with pytest.raises(ValueError, match="beta"):
        ep.sir(-1.0, 1.0, 10.0, N=100)
    with pytest.raises(ValueError, match="I0"):
        ep.sir(1.0, 1.0, 10.0, N=100, I0=101)
    with pytest.raises(TypeError, match="N"):
        ep.sir(1.0, 1.0, 10.0, N=100.5)
    with pytest.raises(TypeError, match="stochastic"):
        ep.sir(1.0, 1.0, 10.0, N=100, stochastic="yes")
    with pytest.raises(ValueError, match="R0"):
        ep.final_size(-1.0)
    with pytest.raises(ValueError, match="limit"):
        ep.final_size_samples(2.0, N=10_000_000, runs=1000)


# --------------------------------------------------------------------------
# early warning
# --------------------------------------------------------------------------
def test_early_warning_recovers_the_ou_autocorrelation_and_variance():
    k, sigma, dt = 0.5, 0.3, 0.1
    x = tp.ou_process(k, sigma, 400_000, dt, seed=4)
    window = 20_000  # 1000 relaxation times per window
    ews = tp.early_warning(x, window=window, detrend="none")
    # non-overlapping windows give independent estimates; their spread sets the error
    var, ac = ews.variance[::window], ews.autocorrelation[::window]
    se_var, se_ac = var.std(ddof=1) / math.sqrt(var.size), ac.std(ddof=1) / math.sqrt(ac.size)
    assert abs(var.mean() - sigma**2 / (2 * k)) < 4 * se_var
    # the lag-1 estimator is biased low by about (1 + 4 rho) / window = 2.5e-4: allowed for
    assert abs(ac.mean() - math.exp(-k * dt)) < 4 * se_ac + 3e-4


def test_rolling_statistics_equal_the_direct_ones():
    x = np.random.default_rng(0).standard_normal(300).cumsum()
    ews = tp.early_warning(x, window=50, detrend="linear")
    r = ews.residuals
    for start in (0, 77, 250):
        w = r[start:start + 50]
        assert ews.variance[start] == pytest.approx(w.var(), rel=1e-9)
        assert ews.autocorrelation[start] == pytest.approx(np.corrcoef(w[:-1], w[1:])[0, 1], rel=1e-9)
        assert ews.end[start] == start + 49


def test_indicators_rise_before_a_fold_and_not_in_a_stationary_series():
    # Approaching the fold, k = 2 sqrt(-r) falls to zero: variance and autocorrelation must trend up.
    f = tp.fold_drift(200.0, 0.01, rate=0.01, noise=0.05, seed=2)
    assert f.bifurcation_time == pytest.approx(100.0)
    assert f.tipping_time > 90.0
    before = f.x[: int((f.tipping_time - 10) / 0.01)][::10]
    ews = tp.early_warning(before, window=len(before) // 2)
    assert ews.tau_variance > 0.5 and ews.tau_autocorrelation > 0.5
    # without drift there is no trend to find: tau near 0 for a stationary OU series (sd of
    # Kendall's tau over an autocorrelated rolling statistic is large, so only a loose bound)
    flat = tp.ou_process(1.0, 0.1, before.size, 0.1, seed=3)
    taus = tp.early_warning(flat, window=len(before) // 2)
    assert abs(taus.tau_variance) < 0.9


@pytest.mark.parametrize("rate", [0.01, 0.1])
def test_noiseless_fold_tips_late_by_the_airy_delay(rate):
    # x' = rate t + x^2 (bifurcation at t = 0 when r0 = 0-) is a Riccati equation: x = -u'/u with
    # u'' + rate t u = 0, an Airy function. Started on the branch, x blows up at
    # t = a1 rate^(-1/3) after the bifurcation, with -a1 = -2.33811 the first zero of Ai.
    # Threshold 1e3 is reached 1/1e3 before the blow-up and Euler adds O(dt) = 1e-4: 2e-3 allows both.
    r0 = -1.0
    delay = 2.338107410 * rate ** (-1 / 3)
    f = tp.fold_drift(round(-r0 / rate + 2 * delay), 1e-4, rate=rate, noise=0.0, r0=r0, threshold=1e3)
    assert f.tipping_time == pytest.approx(f.bifurcation_time + delay, abs=2e-3)
    # far from the fold the path tracks the stable branch -sqrt(-r), lagging by O(rate)
    i = int(0.2 * f.bifurcation_time / 1e-4)
    assert f.x[i] == pytest.approx(-math.sqrt(-f.r[i]), abs=rate)


def test_tipping_errors_and_determinism():
    a = tp.fold_drift(10.0, 0.01, rate=0.1, noise=0.2, seed=7)
    b = tp.fold_drift(10.0, 0.01, rate=0.1, noise=0.2, seed=7)
    np.testing.assert_array_equal(a.x, b.x)
    with pytest.raises(ValueError, match="r0"):
        tp.fold_drift(10.0, 0.01, rate=0.1, noise=0.2, r0=0.5)
    with pytest.raises(ValueError, match="dt"):
        tp.fold_drift(10.0, 1.0, rate=0.1, noise=0.2)
    with pytest.raises(ValueError, match="window"):
        tp.early_warning(np.arange(20.0), window=50)
    with pytest.raises(ValueError, match="detrend"):
        tp.early_warning(np.arange(200.0), window=50, detrend="loess")
    with pytest.raises(ValueError, match="constant"):
        tp.early_warning(np.ones(200), window=50, detrend="none")
    with pytest.raises(ValueError, match="finite"):
        tp.early_warning([1.0, np.nan] * 50, window=20)
    np.testing.assert_array_equal(tp.ou_process(1.0, 1.0, 10, 0.1, seed=1), tp.ou_process(1.0, 1.0, 10, 0.1, seed=1))


# --------------------------------------------------------------------------
# seasonal populations
# --------------------------------------------------------------------------
def test_scalar_floquet_threshold_is_the_time_weighted_balance():
    r_fav, r_unfav = 2.0, 3.0
    for s in (0.1, 0.4, 0.7):
        assert ep.floquet_exponent([[r_fav]], [[-r_unfav]], s, 2.5) == pytest.approx(r_fav * (1 - s) - r_unfav * s,
                                                                                    abs=1e-12)
    from scipy.optimize import brentq

    root = brentq(lambda s: ep.floquet_exponent([[r_fav]], [[-r_unfav]], s, 1.0), 0, 1, xtol=1e-14)
    assert root == pytest.approx(r_fav / (r_fav + r_unfav), abs=1e-12)


def test_seasonal_threshold_brackets_the_simulated_persistence():
    # The linear (Floquet) threshold must separate persistence from extinction of the
    # nonlinear model: simulate just below and just above it (one grid step of 0.02 apart).
    s_star = ep.critical_unfavourable_fraction()
    assert 0.05 < s_star < 0.95
    below = ep.seasonal_population(None, s_star - 0.02, 120)
    above = ep.seasonal_population(None, s_star + 0.02, 120)
    assert below.A[-1] > 0.05 and above.A[-1] < 1e-6
    # below the threshold the solution converges to one positive periodic solution
    ends = below.A[np.isclose(below.t % 1.0, 0.0, atol=1e-9) & (below.t > 0)]
    assert abs(ends[-1] - ends[-2]) < 1e-3 * ends[-1]
    other = ep.seasonal_population(None, s_star - 0.02, 120, y0=(5.0, 0.1))
    assert other.A[-1] == pytest.approx(below.A[-1], rel=1e-3)


def test_threshold_moves_the_right_way_with_the_seasons():
    base = ep.critical_unfavourable_fraction()
    assert ep.critical_unfavourable_fraction({"winter_adult_death": 6.0}) < base
    assert ep.critical_unfavourable_fraction({"birth": 24.0}) > base
    assert ep.critical_unfavourable_fraction({"birth": 0.0}) == 0.0  # no births: extinct in any climate
    # the competition term is nonlinear: it leaves the threshold unchanged
    assert ep.critical_unfavourable_fraction({"competition": 5.0}) == pytest.approx(base, abs=1e-12)
    with pytest.raises(ValueError, match="keys"):
        ep.critical_unfavourable_fraction({"rain": 1.0})
    with pytest.raises(ValueError, match="unfavourable_fraction"):
        ep.seasonal_population(None, 1.5, 3)
    with pytest.raises(ValueError, match="square"):
        ep.floquet_exponent([[1.0, 0.0]], [[1.0]], 0.5, 1.0)


# --------------------------------------------------------------------------
# meningitis
# --------------------------------------------------------------------------
def random_meningitis_params(g):
    keys = list(ep.MENINGITIS_DEFAULTS)
    p = {k: float(g.uniform(0.02, 2.0)) for k in keys}
    p["phi"] = float(g.uniform(0, 1))
    p["epsilon"] = float(g.uniform(0, 1.5))
    return p


def test_meningitis_conserves_the_population_without_deaths_and_counts_them_with():
    y0 = [99_000.0, 800.0, 150.0, 50.0, 0.0]
    r = ep.meningitis({"d1": 0.0, "d2": 0.0}, y0, 100.0)
    np.testing.assert_allclose(r.y.sum(axis=0), 100_000.0, rtol=1e-8)
    r = ep.meningitis(None, y0, 100.0)
    assert np.all(np.diff(r.deaths) >= -1e-6) and r.deaths[-1] > 0
    assert np.all(r.y >= -1e-6)


def test_meningitis_thresholds_are_the_next_generation_spectral_radius():
    g = np.random.default_rng(0)
    for _ in range(200):
        p = random_meningitis_params(g)
        th = ep.meningitis_thresholds(p)
        F, V = ep.meningitis_linearization(p)
        assert th["R0"] == pytest.approx(np.max(np.abs(np.linalg.eigvals(F @ np.linalg.inv(V)))), rel=1e-10)
        # the early growth rate (largest eigenvalue of F - V) has the sign of R0 - 1
        growth = np.max(np.linalg.eigvals(F - V).real)
        assert np.sign(growth) == np.sign(th["R0"] - 1) or abs(th["R0"] - 1) < 1e-9
        # phi interpolates linearly between the carrier and the stage-I thresholds
        assert th["R0"] == pytest.approx((1 - p["phi"]) * th["carrier"] + p["phi"] * th["infective"], rel=1e-12)


@pytest.mark.parametrize("eta", [0.5, 1.2])
def test_simulated_early_growth_follows_the_threshold(eta):
    # start with a few infected in the proportions of the dominant mode of F - V, in a large population
    p = {"eta": eta}
    F, V = ep.meningitis_linearization(p)
    vals, vecs = np.linalg.eig(F - V)
    mode = np.abs(vecs[:, np.argmax(vals.real)].real)
    y0 = np.concatenate([[1e7], 10 * mode / mode.sum(), [0.0]])
    r = ep.meningitis(p, y0, 20.0, points=21)
    infected = r.y[1:4].sum(axis=0)
    R0 = ep.meningitis_thresholds(p)["R0"]
    assert (infected[-1] > infected[0]) == (R0 > 1)
    rate = np.log(infected[10] / infected[0]) / 10.0
    assert rate == pytest.approx(np.max(vals.real), abs=0.01)


def test_meningitis_errors():
    with pytest.raises(ValueError, match="phi"):
        ep.meningitis({"phi": 1.5}, [1, 0, 0, 0, 0], 1.0)
    with pytest.raises(ValueError, match="keys"):
        ep.meningitis_thresholds({"beta": 1.0})
    with pytest.raises(ValueError, match="y0"):
        ep.meningitis(None, [1.0, 0.0], 1.0)
    with pytest.raises(ValueError, match="way out"):
        ep.meningitis_thresholds({"rho2": 0.0, "d2": 0.0})


def test_double_well_samples_its_boltzmann_density():
    # constant r: the stationary density is exp(-2 V / sigma^2); compare <x> and <x^2> with quadrature.
    # sigma = 0.8 makes the path flicker between the wells (hundreds of crossings), so the time
    # average converges; the error is measured from 8 independent batches.
    from scipy.integrate import quad

    sigma, r = 0.8, 0.1

    def V(x):
        return x**4 / 4 - x**2 / 2 - r * x

    Z = quad(lambda x: np.exp(-2 * V(x) / sigma**2), -4, 4)[0]
    m1 = quad(lambda x: x * np.exp(-2 * V(x) / sigma**2), -4, 4)[0] / Z
    m2 = quad(lambda x: x * x * np.exp(-2 * V(x) / sigma**2), -4, 4)[0] / Z
    path = tp.double_well(8000.0, 0.005, r0=r, noise=sigma, seed=3).x[2000:]
    batches = np.array_split(path, 8)
    for moment, exact in ((1, m1), (2, m2)):
        values = np.array([np.mean(b**moment) for b in batches])
        # Euler-Maruyama's O(dt) bias in the moments is ~0.005 here
        assert abs(values.mean() - exact) < 4 * values.std(ddof=1) / np.sqrt(8) + 0.01


def test_double_well_fold_is_crossed_after_the_fold_point():
    f = tp.double_well(200.0, 0.01, r0=0.0, rate=0.005, noise=0.0)
    r_at = f.r[int(f.first_transition / 0.01)]
    assert r_at > tp.DOUBLE_WELL_FOLD  # no noise: the lower well must have vanished first
    assert r_at - tp.DOUBLE_WELL_FOLD < 0.1  # and slow drift crosses soon after (delay ~ rate^(1/3) scaling)
    with pytest.raises(ValueError, match="noise"):
        tp.double_well(10.0, 0.01, noise=-1.0)


def test_rate_induced_tipping_needs_amplitude_above_two_and_a_fast_ramp():
    # In the moving frame y = x + lambda: y' = y^2 - 1 + lambda' <= lambda' while -1 <= y <= 1, so
    # y <= -1 + A and an amplitude A < 2 can never carry y past the unstable point +1.
    for rate in (0.3, 3.0, 30.0):
        assert math.isnan(tp.rate_ramp(40.0, 0.001, rate=rate, amplitude=1.9).tipping_time)
    # with A = 3, tipping is a matter of rate: a threshold rate separates tracking from tipping
    tipped = [not math.isnan(tp.rate_ramp(40.0, 0.001, rate=r, amplitude=3.0).tipping_time)
              for r in (0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)]
    assert tipped[0] is False and tipped[-1] is True
    assert tipped == sorted(tipped)  # monotone in the rate: one critical rate
    slow = tp.rate_ramp(40.0, 0.001, rate=0.5, amplitude=3.0)
    assert slow.x[-1] == pytest.approx(-slow.shift[-1] - 1, abs=1e-6)  # tracked the moving equilibrium
