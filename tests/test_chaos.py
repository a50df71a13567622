"""Chaotic flows, Kuramoto-Sivashinsky, shell models and forecasters against exact and literature results."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emergence import chaos as ch
from emergence import maps


def lorenz_series(t_max=220.0, seed=0):
    """Lorenz-63 sampled every 0.02 after a transient of 20."""
    tr = ch.integrate("lorenz63", ch.default_state("lorenz63", seed=seed), 20 + t_max, 0.01, record_every=2)
    return tr.x[1000:]


# --------------------------------------------------------------------------
# flows
# --------------------------------------------------------------------------
def test_lorenz63_spectrum_against_the_literature_and_the_exact_sum():
    # lambda_1 = 0.9056 (Sprott's value). Averaging over T = 1000 Lyapunov-time-ish units
    # leaves a statistical error of about 0.005 (finite-time exponents fluctuate by ~0.15
    # over unit windows, decorrelating in ~1), so 0.02 is four standard errors.
    r = ch.lyapunov_spectrum("lorenz63", t_max=1000, dt=0.01, transient=50, seed=1)
    assert abs(r.exponents[0] - ch.LORENZ63_LAMBDA1) < 0.02
    assert abs(r.exponents[1]) < 0.01  # the flow direction
    # div f = -(sigma + 1 + beta) everywhere, so the exponents sum to it exactly; RK4's
    # error in the tangent propagator's determinant is O(dt^4) per unit time.
    assert abs(r.exponents.sum() + (10 + 1 + 8 / 3)) < 1e-3
    assert abs(r.kaplan_yorke_dimension - 2.06) < 0.01
    # the running estimate converges to the final one
    assert np.allclose(r.running[-1], r.exponents)
    assert abs(r.running[-1, 0] - r.running[len(r.t) // 2, 0]) < 0.03


def test_lorenz96_lambda1_near_the_literature_value():
    # Literature: lambda_1 ~ 1.69 for N = 40, F = 8 (quoted values spread over 1.68-1.74).
    # Four independent runs of T = 250 give a mean whose standard error we estimate
    # from their spread; accept the literature value within four of those, or 0.05 at least
    # (the literature spread).
    runs = [ch.lyapunov_spectrum("lorenz96", t_max=250, dt=0.01, transient=20, seed=s, n_exponents=1,
                                 orthonormalize_every=5).exponents[0] for s in range(4)]
    mean, se = np.mean(runs), np.std(runs, ddof=1) / 2
    assert se < 0.05
    assert abs(mean - 1.69) < max(4 * se, 0.05)


@pytest.mark.parametrize("system,params,divergence", [
    ("lorenz96", {"N": 8, "F": 8.0}, -8.0),
    ("lorenz96-2scale", {"K": 4, "J": 3, "c": 4.0, "b": 4.0}, -(4 + 4 * 12)),
])
def test_lorenz96_exponents_sum_to_the_constant_divergence(system, params, divergence):
    r = ch.lyapunov_spectrum(system, params=params, t_max=100, dt=0.005, transient=10, seed=0)
    assert abs(r.exponents.sum() - divergence) < 1e-3 * abs(divergence)
    assert r.exponents[0] > 0.1


def test_rossler_exponents():
    # literature lambda_1 = 0.071-0.075 at a = b = 0.2, c = 5.7; the middle one is zero
    r = ch.lyapunov_spectrum("rossler", t_max=3000, dt=0.02, transient=100, seed=1)
    assert 0.06 < r.exponents[0] < 0.085
    assert abs(r.exponents[1]) < 0.005


@pytest.mark.parametrize("system", sorted(ch.SYSTEMS))
def test_jacobian_and_parameter_derivatives_against_finite_differences(system):
    params = {"N": 6} if system == "lorenz96" else ({"K": 4, "J": 3} if system == "lorenz96-2scale" else {})
    kind, p, d, dim, _ = ch._system(system, params)
    g = np.random.default_rng(3)
    x = 3 * g.standard_normal(dim)
    v = g.standard_normal(dim)
    out, fp, fm = np.empty(dim), np.empty(dim), np.empty(dim)
    ch._jvp(kind, p, d, x, v, out)
    h = 1e-6
    ch._rhs(kind, p, d, x + h * v, fp)
    ch._rhs(kind, p, d, x - h * v, fm)
    np.testing.assert_allclose(out, (fp - fm) / (2 * h), rtol=1e-6, atol=1e-6)
    for index in range(p.size):
        ch._dparam(kind, p, d, x, index, out)
        dp = np.zeros_like(p)
        dp[index] = h
        ch._rhs(kind, p + dp, d, x, fp)
        ch._rhs(kind, p - dp, d, x, fm)
        np.testing.assert_allclose(out, (fp - fm) / (2 * h), rtol=1e-6, atol=1e-6)


def test_parameter_sensitivity_against_finite_differences():
    x0 = ch.integrate("lorenz63", [1.0, 1.0, 1.0], 10, 0.01).x[-1]
    s = ch.parameter_sensitivity("lorenz63", x0, 2.0, 0.001, wrt="rho")
    h = 1e-6
    up = ch.integrate("lorenz63", x0, 2.0, 0.001, params={"rho": 28 + h}).x
    down = ch.integrate("lorenz63", x0, 2.0, 0.001, params={"rho": 28 - h}).x
    np.testing.assert_allclose(s.dx_dp, (up - down) / (2 * h), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(s.x, ch.integrate("lorenz63", x0, 2.0, 0.001).x)


def test_map_sensitivity_against_finite_differences():
    x0 = np.random.default_rng(0).random(4)
    s = maps.parameter_sensitivity("logistic", {"r": 3.9}, x0, 15, wrt="r")
    h = 1e-7
    for i, x in enumerate(x0):
        fd = (maps.iterate("logistic", {"r": 3.9 + h}, x, 15) - maps.iterate("logistic", {"r": 3.9 - h}, x, 15)) / (2 * h)
        np.testing.assert_allclose(s[:, i, 0], fd[:, 0], rtol=1e-5, atol=1e-6)
    for name in ("henon", "chialvo", "rulkov"):
        params = {"henon": {"a": 1.4, "b": 0.3}, "chialvo": {"a": 0.89, "b": 0.6, "c": 0.28, "k": 0.03},
                  "rulkov": {"alpha": 4.5, "mu": 0.001, "sigma": -1.0}}[name]
        for wrt in params:
            s = maps.parameter_sensitivity(name, params, [[0.1, 0.2]], 8, wrt=wrt)
            plus = maps.iterate(name, {**params, wrt: params[wrt] + h}, [0.1, 0.2], 8)
            minus = maps.iterate(name, {**params, wrt: params[wrt] - h}, [0.1, 0.2], 8)
            np.testing.assert_allclose(s[:, 0], (plus - minus) / (2 * h), rtol=1e-4, atol=1e-5)


def test_rk4_is_fourth_order():
    x0 = [1.0, 2.0, 20.0]
    ref = ch.integrate("lorenz63", x0, 0.5, 1e-5).x[-1]
    e1 = np.linalg.norm(ch.integrate("lorenz63", x0, 0.5, 0.01).x[-1] - ref)
    e2 = np.linalg.norm(ch.integrate("lorenz63", x0, 0.5, 0.005).x[-1] - ref)
    assert 14 < e1 / e2 < 18  # 2^4 = 16 (a second-order scheme gives 4)


def test_escape_is_reported_not_silent():
    with pytest.warns(RuntimeWarning, match="escaped"):
        tr = ch.integrate("lorenz63", [1.0, 1.0, 1.0], 20, 0.5)
    assert tr.escaped and np.isnan(tr.x[-1]).all() and tr.t_escape <= 20
    with pytest.raises(ValueError, match="escaped"):
        ch.lyapunov_spectrum("lorenz63", t_max=20, dt=0.5, transient=0, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not ch.integrate("lorenz63", [1.0, 1.0, 1.0], 20, 0.01).escaped


def test_kaplan_yorke_dimension():
    assert ch.kaplan_yorke_dimension([0.9, 0.0, -14.6]) == pytest.approx(2 + 0.9 / 14.6)
    assert ch.kaplan_yorke_dimension([-1.0, -2.0]) == 0.0
    assert ch.kaplan_yorke_dimension([1.0, 0.5]) == 2.0
    with pytest.raises(ValueError, match="sorted"):
        ch.kaplan_yorke_dimension([-1.0, 1.0])


# --------------------------------------------------------------------------
# Kuramoto-Sivashinsky
# --------------------------------------------------------------------------
@pytest.mark.parametrize("L", [22.0, 35.0])
def test_ks_linear_growth_rates_and_unstable_count(L):
    n = 64
    x = L * np.arange(n) / n
    measured = []
    for k in range(1, 8):
        q = 2 * np.pi * k / L
        # long enough to measure, short enough that decaying modes stay far above round-off
        t = max(0.1, round(min(8.0, 10 / abs(q**2 - q**4)), 1))
        res = ch.kuramoto_sivashinsky(L, n, t, 0.1, u0=1e-7 * np.cos(q * x))
        a0, a1 = (abs(np.fft.rfft(res.u[i])[k]) for i in (0, -1))
        rate = math.log(a1 / a0) / t
        assert rate == pytest.approx(q**2 - q**4, rel=0.01, abs=1e-4)
        measured.append(rate)
    assert sum(r > 0 for r in measured) == ch.ks_unstable_modes(L) == math.floor(L / (2 * math.pi))


def test_ks_conserves_the_mean_and_stays_bounded_in_chaos():
    L, n = 60.0, 96
    x = L * np.arange(n) / n
    u0 = 0.7 + 0.1 * np.cos(2 * np.pi * x / L) + 0.05 * np.sin(6 * np.pi * x / L)
    res = ch.kuramoto_sivashinsky(L, n, 200.0, 0.25, u0=u0, record_every=40)
    np.testing.assert_allclose(res.u.mean(axis=1), 0.7, atol=1e-12)
    # saturated spatio-temporal chaos: order-one amplitude, never blowing up
    assert 0.5 < np.std(res.u[-1]) < 3.0


def test_ks_determinism_and_errors():
    a = ch.kuramoto_sivashinsky(22.0, 32, 5.0, 0.25, seed=4)
    b = ch.kuramoto_sivashinsky(22.0, 32, 5.0, 0.25, seed=4)
    np.testing.assert_array_equal(a.u, b.u)
    assert abs(a.u[0].mean()) < 1e-14
    with pytest.raises(ValueError, match="even"):
        ch.kuramoto_sivashinsky(22.0, 33, 5.0, 0.25)
    with pytest.raises(ValueError, match="u0"):
        ch.kuramoto_sivashinsky(22.0, 32, 5.0, 0.25, u0=np.zeros(10))
    with pytest.raises(ValueError, match="dt"):
        ch.kuramoto_sivashinsky(22.0, 32, 5.0, 0.0)
    with pytest.raises(ValueError, match="whole number"):
        ch.kuramoto_sivashinsky(22.0, 32, 5.1, 0.25)


# --------------------------------------------------------------------------
# shell models
# --------------------------------------------------------------------------
def test_shell_nonlinearities_conserve_energy():
    g = np.random.default_rng(0)
    k = 2.0 ** np.arange(10)
    for model in (0, 1):
        u = g.standard_normal(10) + (1j * g.standard_normal(10) if model == 0 else 0)
        out = np.empty(10, complex)
        ch._shell_nonlinear(model, k, u.astype(complex), out)
        assert abs(np.sum((np.conj(u) * out).real)) < 1e-10 * np.sum(np.abs(u) ** 2) * k[-1]
    r = ch.shell_model(8, 1.0, 1e-3, nu=1e-3, forcing=[0.1], model="dyadic", seed=0)
    np.testing.assert_allclose(r.flux[:, -1], 0.0, atol=1e-12)  # nothing leaves the last shell


@pytest.fixture(scope="module")
def sabra_run():
    return ch.shell_model(20, 150, 2e-4, nu=1e-6, forcing=[0.005 + 0.005j], record_every=50, seed=1)


def test_sabra_energy_balance_and_cascade(sabra_run):
    r = sabra_run
    keep = r.t > 20
    injection = r.injection[keep].mean()
    # stationary: injection = dissipation + dE/dt, and dE/dt averages to ~0 over 130 turnovers
    assert r.dissipation[keep].mean() == pytest.approx(injection, rel=0.05)
    # in the inertial range the whole injection flows through each shell
    flux = r.flux[keep].mean(axis=0) / injection
    assert np.all(flux[2:9] > 0.85) and flux[-1] == pytest.approx(0.0, abs=1e-6)


def test_sabra_zeta3_is_one(sabra_run):
    # The flux relation makes S_3 ~ k^{-1} exactly in the inertial range; the fit over the
    # shells chosen by the flux (not by hand) has standard error ~0.02, so 0.1 is generous
    # but tight enough to reject K41's zeta_2 = 2/3 or zeta_4 = 4/3 in its place.
    z = ch.scaling_exponents(sabra_run, [2, 3, 4], transient=20)
    assert abs(z.zeta[1] - 1.0) < 0.1
    assert z.zeta[0] < 0.8 and z.zeta[2] > 1.2
    assert len(z.shells) >= 5


def test_stochastic_dyadic_injection_equals_dissipation():
    # White noise of amplitude sigma on shell 0 injects sigma^2/2 per unit time on average (Ito).
    # The time average of the dissipation fluctuates; its standard error is measured by batch
    # means over 10 batches, and the balance must hold within 4 of them (and within 10 %).
    sigma = 0.1
    r = ch.shell_model(14, 3000, 2e-3, nu=1e-4, forcing=0.0, noise=sigma, model="dyadic", record_every=20, seed=2)
    keep = r.t > 100
    assert np.all(r.injection == pytest.approx(sigma**2 / 2))
    batches = np.array_split(r.dissipation[keep], 10)
    means = np.array([b.mean() for b in batches])
    se = means.std(ddof=1) / np.sqrt(10)
    assert abs(means.mean() - sigma**2 / 2) < max(4 * se, 1e-4)
    assert abs(means.mean() / (sigma**2 / 2) - 1) < 0.1
    assert np.isrealobj(r.u)


def test_shell_model_determinism_and_errors():
    a = ch.shell_model(8, 1.0, 1e-3, nu=1e-3, forcing=[0.1], noise=0.05, seed=7)
    b = ch.shell_model(8, 1.0, 1e-3, nu=1e-3, forcing=[0.1], noise=0.05, seed=7)
    np.testing.assert_array_equal(a.u, b.u)
    c = ch.shell_model(8, 1.0, 1e-3, nu=1e-3, forcing=[0.1], noise=0.05, seed=8)
    assert not np.array_equal(a.u, c.u)
    with pytest.raises(ValueError, match="model"):
        ch.shell_model(8, 1.0, 1e-3, nu=1e-3, forcing=[0.1], model="goy")
    with pytest.raises(ValueError, match="nothing drives"):
        ch.shell_model(8, 1.0, 1e-3, nu=1e-3, forcing=0.0)
    with pytest.raises(ValueError, match="real"):
        ch.shell_model(8, 1.0, 1e-3, nu=1e-3, forcing=[1j], model="dyadic")
    with pytest.raises(ValueError, match="nu"):
        ch.shell_model(8, 1.0, 1e-3, nu=0.0, forcing=[0.1])
    with pytest.raises(ValueError, match="blew up"):
        ch.shell_model(12, 10.0, 0.5, nu=1e-3, forcing=[1.0])


# --------------------------------------------------------------------------
# forecasters
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lorenz():
    return lorenz_series()


def test_plrnn_gradient_against_finite_differences(lorenz):
    fc = ch.PLRNNForecaster(hidden=7, alpha=0.3, sequence=6, seed=0)
    x = (lorenz[:200] - lorenz[:200].mean(0)) / lorenz[:200].std(0)
    theta = fc.initial_parameters(3) + 0.3 * np.random.default_rng(1).standard_normal(2 * 3 * 8 + 7)
    starts = np.array([0, 17, 101])
    loss, grad = fc.loss_and_gradient(theta, x, starts)
    h = 1e-6
    fd = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        fd[i] = (fc.loss_and_gradient(theta + e, x, starts)[0] - fc.loss_and_gradient(theta - e, x, starts)[0]) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-8)
    assert loss > 0


def test_plrnn_lyapunov_of_a_linear_model_is_log_of_its_largest_eigenvalue():
    fc = ch.PLRNNForecaster(hidden=4, seed=0, iterations=1).fit(np.random.default_rng(0).standard_normal((100, 2)))
    theta = np.zeros_like(fc.theta_)
    theta[:2] = [0.5, -0.8]  # A; W1 = 0 makes the map linear
    fc.theta_ = theta
    # the start vector (1, 1)/sqrt 2 costs ln(1/sqrt 2) once, i.e. 3.5e-6 over 1e5 steps
    assert fc.largest_lyapunov(np.ones((1, 2)), 100_000) == pytest.approx(math.log(0.8), abs=1e-5)


def test_forecasters_beat_persistence_on_lorenz_and_learn_its_exponent(lorenz):
    train, test = lorenz[:6000], lorenz[6000:]
    scale = lorenz.std(axis=0)
    starts = range(300, 4000, 370)
    results = {}
    for name, fc in (("analog", ch.AnalogForecaster()), ("reservoir", ch.ReservoirForecaster(seed=1)),
                     ("plrnn", ch.PLRNNForecaster(seed=1))):
        fc.fit(train)
        v = [ch.valid_prediction_time(test[s + 1:s + 301], fc.forecast(test[s - 200:s + 1], 300),
                                      ch.LORENZ63_LAMBDA1, threshold=0.4, dt=0.02, scale=scale) for s in starts]
        persistence = [ch.valid_prediction_time(test[s + 1:s + 301], np.repeat(test[s:s + 1], 300, 0),
                                                ch.LORENZ63_LAMBDA1, threshold=0.4, dt=0.02, scale=scale)
                       for s in starts]
        results[name] = np.median(v)
        # every learned forecaster must stay valid longer than "tomorrow = today"
        assert np.median(v) > 2 * np.median(persistence) and np.median(v) > 0.5, (name, v)
    # the learned dynamics is chaotic with about the true exponent (per step of 0.02)
    lam_res = ch.ReservoirForecaster(seed=1).fit(train).largest_lyapunov(test[:300], 5000) / 0.02
    assert 0.6 < lam_res < 1.2


def test_reservoir_tangent_map_against_finite_differences(lorenz):
    fc = ch.ReservoirForecaster(size=40, leak=0.7, seed=2).fit(lorenz[:1000])
    g = np.random.default_rng(5)
    r, v = 0.5 * g.standard_normal(40), g.standard_normal(40)
    h = 1e-6
    fd = (fc._closed_loop(r + h * v) - fc._closed_loop(r - h * v)) / (2 * h)
    np.testing.assert_allclose(fc._closed_loop_tangent(r, v), fd, rtol=1e-6, atol=1e-8)


def test_analog_forecaster_replays_its_training_data(lorenz):
    fc = ch.AnalogForecaster(neighbours=1).fit(lorenz[:1000])
    np.testing.assert_allclose(fc.forecast(lorenz[500:501], 1)[0], lorenz[501], rtol=1e-12)


def test_valid_prediction_time_and_forecaster_errors(lorenz):
    truth = np.zeros((10, 2))
    forecast = np.zeros((10, 2))
    forecast[4:] = 1.0
    # rows are times dt, 2 dt, ...: the error first exceeds 0.5 at row 4, i.e. after 4 steps
    assert ch.valid_prediction_time(truth, forecast, 0.5, threshold=0.5, dt=0.1, scale=[1, 1]) == pytest.approx(0.2)
    assert ch.valid_prediction_time(truth, truth, 1.0, threshold=0.5, dt=0.1, scale=[1, 1]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shape"):
        ch.valid_prediction_time(truth, forecast[:5], 1.0, threshold=0.5, dt=0.1)
    with pytest.raises(ValueError, match="lyapunov_exponent"):
        ch.valid_prediction_time(truth, forecast, 0.0, threshold=0.5, dt=0.1)
    for cls in ch.FORECASTERS.values():
        with pytest.raises(ValueError, match="fit"):
            cls().forecast(lorenz[:300], 5)
    fc = ch.AnalogForecaster().fit(lorenz[:300])
    with pytest.raises(ValueError, match="3 variables"):
        fc.forecast(np.zeros((3, 2)), 5)
    with pytest.raises(TypeError, match="steps"):
        fc.forecast(lorenz[:3], 2.5)
    with pytest.raises(ValueError, match="constant"):
        ch.AnalogForecaster().fit(np.ones((50, 2)))
    with pytest.raises(ValueError, match="spectral_radius"):
        ch.ReservoirForecaster(spectral_radius=-1)
    with pytest.raises(ValueError, match="alpha"):
        ch.PLRNNForecaster(alpha=1.5)


def test_trained_forecasters_are_deterministic(lorenz):
    for cls in (ch.ReservoirForecaster, ch.PLRNNForecaster):
        a = cls(seed=3).fit(lorenz[:1500]).forecast(lorenz[1500:1800], 50)
        b = cls(seed=3).fit(lorenz[:1500]).forecast(lorenz[1500:1800], 50)
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------
# toy climate and validation
# --------------------------------------------------------------------------
def test_two_scale_climate_responds_to_forcing_and_is_reproducible():
    base = ch.two_scale_climate({"F": 10.0}, t_max=10.0, seed=1)
    again = ch.two_scale_climate({"F": 10.0}, t_max=10.0, seed=1)
    assert base == again
    stronger = ch.two_scale_climate({"F": 14.0}, t_max=10.0, seed=1)
    assert stronger["mean X"] > base["mean X"] and stronger["var X"] > base["var X"]
    uncoupled = ch.two_scale_climate({"F": 10.0, "h": 0.0}, t_max=10.0, seed=1)
    assert uncoupled["mean coupling"] == 0.0
    assert set(base) == set(ch.CLIMATE_METRICS)
    np.testing.assert_allclose(ch.implausibility([1.0, 2.0], [1.5, 2.0], [0.25, 1.0]), [1.0, 0.0])


def test_flow_argument_errors():
    with pytest.raises(ValueError, match="system"):
        ch.integrate("lorenz", [1, 1, 1], 1.0, 0.01)
    with pytest.raises(ValueError, match="keys"):
        ch.integrate("lorenz63", [1, 1, 1], 1.0, 0.01, params={"r": 28})
    with pytest.raises(TypeError, match="rho"):
        ch.integrate("lorenz63", [1, 1, 1], 1.0, 0.01, params={"rho": "28"})
    with pytest.raises(ValueError, match="3 components"):
        ch.integrate("lorenz63", [1, 1], 1.0, 0.01)
    with pytest.raises(ValueError, match="40 components"):
        ch.integrate("lorenz96", np.ones(3), 1.0, 0.01)
    with pytest.raises(ValueError, match="finite"):
        ch.integrate("lorenz63", [1, np.nan, 1], 1.0, 0.01)
    with pytest.raises(ValueError, match="dt"):
        ch.integrate("lorenz63", [1, 1, 1], 1.0, -0.01)
    with pytest.raises(ValueError, match="limit"):
        ch.integrate("lorenz96", np.ones(40), 1e6, 0.001)
    with pytest.raises(ValueError, match="N"):
        ch.integrate("lorenz96", np.ones(2), 1.0, 0.01, params={"N": 2})
    with pytest.raises(ValueError, match="n_exponents"):
        ch.lyapunov_spectrum("lorenz63", t_max=1.0, dt=0.01, transient=0, n_exponents=4)
    with pytest.raises(ValueError, match="wrt"):
        ch.parameter_sensitivity("lorenz63", [1, 1, 1], 1.0, 0.01, wrt="F")
    with pytest.raises(ValueError, match="wrt"):
        maps.parameter_sensitivity("logistic", {"r": 3.9}, [0.2], 5, wrt="a")


def test_default_state_and_spectrum_reproducible():
    a = ch.lyapunov_spectrum("lorenz63", t_max=5, dt=0.01, transient=1, seed=5)
    b = ch.lyapunov_spectrum("lorenz63", t_max=5, dt=0.01, transient=1, seed=a.seed)
    np.testing.assert_array_equal(a.running, b.running)
    s = ch.default_state("lorenz96", seed=9)
    assert s.seed == 9 and s.shape == (40,)


@pytest.mark.filterwarnings("ignore:lorenz96. the state escaped:RuntimeWarning")
@settings(max_examples=40, deadline=None)
@given(value=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10), st.text(max_size=3),
                       st.none(), st.booleans()))
def test_any_bad_scalar_gets_a_clean_error_never_a_crash(value):
    """Whatever a reader types for dt, t_max, F, L or nu, the answer is a result or a TypeError/ValueError."""
    calls = [lambda v: ch.integrate("lorenz63", [1, 1, 1], 0.1, v),
             lambda v: ch.integrate("lorenz63", [1, 1, 1], v, 0.01),
             lambda v: ch.integrate("lorenz96", np.ones(4), 0.1, 0.01, params={"N": 4, "F": v}),
             lambda v: ch.kuramoto_sivashinsky(v, 16, 0.5, 0.25, seed=0),
             lambda v: ch.shell_model(6, 0.01, 0.001, nu=v, forcing=[0.1], seed=0),
             lambda v: ch.lyapunov_spectrum("rossler", t_max=0.1, dt=0.01, transient=v, seed=0)]
    for call in calls:
        try:
            out = call(value)
        except (TypeError, ValueError):
            continue
        if getattr(out, "escaped", False):
            continue  # a huge F: the escape is reported (and warned about), which is the contract
        arrays = [getattr(out, name) for name in ("x", "u", "exponents") if hasattr(out, name)]
        assert all(np.isfinite(a).all() for a in arrays)
