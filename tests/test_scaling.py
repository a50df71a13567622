"""Scaling laws: SGD on power-law random features against exact theory, model collapse, and fits."""

import math

import numpy as np
import pytest

from emergence import scaling as sc


@pytest.fixture(scope="module")
def problem():
    return sc.power_law_problem(400, alpha=1.0, beta=0.7, seed=1)


# --------------------------------------------------------------------------
# the random-feature problem and SGD
# --------------------------------------------------------------------------
def test_feature_model_is_the_exact_regression_in_feature_space(problem):
    # theta* and the capacity floor against a direct least-squares solve in the original coordinates
    n = 50
    W = problem.features[:, :n] / math.sqrt(n)
    D = problem.spectrum
    K = W.T @ (D[:, None] * W)
    theta = np.linalg.solve(K, W.T @ (D * problem.target))
    floor = 0.5 * (np.sum(D * problem.target**2) - theta @ K @ theta)
    model = problem.model(n)
    assert model.capacity_floor == pytest.approx(floor, rel=1e-8)
    np.testing.assert_allclose(np.sort(model.k), np.linalg.eigvalsh(K), rtol=1e-10, atol=1e-14)
    # more features can only lower the floor; all d features (an invertible W) remove it
    floors = [problem.model(n).capacity_floor for n in (10, 50, 200, 400)]
    assert all(np.diff(floors) < 0) and floors[-1] < 1e-8 * floors[0]


@pytest.mark.parametrize(("alpha", "beta", "n", "batch", "lr"),
                         [(1.0, 0.7, 60, 1, 0.15), (0.8, 0.3, 80, 4, 0.3), (1.5, 1.2, 30, 1, 0.2)])
def test_sgd_matches_the_expected_loss_recursion(alpha, beta, n, batch, lr):
    # 200 independent SGD runs; their mean loss is compared with loss_theory at every recorded
    # step within 4 standard errors of the mean, the errors taken from the runs themselves. The
    # learning rates are about 30 % of the stability limit: nearer to it a run's loss has heavy
    # tails (rare spikes), and a sample standard error from 200 runs would understate them.
    problem = sc.power_law_problem(300, alpha=alpha, beta=beta, seed=2)
    theory = sc.loss_theory(problem, n, 3000, lr=lr, batch=batch, points=30)
    runs = np.array([sc.train_sgd(problem, n, 3000, lr=lr, batch=batch, points=30, seed=s).loss
                     for s in range(200)])
    np.testing.assert_array_equal(theory.steps, sc.train_sgd(problem, n, 3000, lr=lr, batch=batch, points=30,
                                                              seed=0).steps)
    mean, se = runs.mean(0), runs.std(0, ddof=1) / math.sqrt(200)
    assert np.all(np.abs(mean - theory.loss)[1:] < 4 * se[1:])
    assert theory.loss[0] == pytest.approx(problem.model(n).target_variance / 2)
    assert theory.loss[-1] < 0.1 * theory.loss[0]
    # without the noise terms the recursion is gradient descent on the population loss: never higher
    quiet = sc.loss_theory(problem, n, 3000, lr=lr, batch=batch, points=30, noise=False)
    assert np.all(quiet.loss <= theory.loss + 1e-15)


def test_sampling_in_the_eigenbasis_is_the_original_model():
    # the same SGD with samples drawn as x ~ N(0, diag(j^-2 alpha)) and z = W^T x: the loss
    # statistics agree with the eigenbasis sampler (both within 4 SE of the theory)
    problem = sc.power_law_problem(80, alpha=1.0, beta=0.6, seed=3)
    n, steps, lr = 20, 400, 0.15
    W = problem.features[:, :n] / math.sqrt(n)
    model = problem.model(n)
    rng = np.random.default_rng(0)
    finals = []
    for _ in range(200):
        theta = np.zeros(n)
        for _ in range(steps):
            x = rng.standard_normal(80) * np.sqrt(problem.spectrum)
            z = W.T @ x
            theta -= lr * z * (z @ theta - x @ problem.target)
        v = theta - np.linalg.solve(W.T @ (problem.spectrum[:, None] * W), W.T @ (problem.spectrum * problem.target))
        finals.append(0.5 * (v @ (W.T @ (problem.spectrum[:, None] * W)) @ v + model.residual_variance))
    theory = sc.loss_theory(problem, n, steps, lr=lr).loss[-1]
    assert abs(np.mean(finals) - theory) < 4 * np.std(finals) / math.sqrt(200)


def test_closed_form_theory_equals_the_step_by_step_recursion(problem):
    from emergence.scaling import _expected_sgd_loss

    for batch, noise in ((1, True), (8, True), (1, False)):
        model = problem.model(50)
        curve = sc.loss_theory(problem, 50, 5000, lr=0.3, batch=batch, noise=noise)
        out = np.empty(curve.steps.size)
        _expected_sgd_loss(model.k, model.theta_star**2, model.residual_variance, 0.3, batch, curve.steps, out, noise)
        np.testing.assert_allclose(curve.loss, out, rtol=1e-9)


def test_stability_limit_separates_bounded_from_growing_loss(problem):
    model = problem.model(40)
    for batch in (1, 8):
        limit = sc.stability_limit(model, batch)
        inside = sc.loss_theory(problem, 40, 20000, lr=0.98 * limit, batch=batch, points=20).loss
        assert inside[-1] < inside[0]
    # just above the limit the expected loss recursion grows without bound
    from emergence.scaling import _expected_sgd_loss

    limit = sc.stability_limit(model, 1)
    out = np.empty(2)
    _expected_sgd_loss(model.k, model.theta_star**2, model.residual_variance, 1.02 * limit, 1,
                       np.array([0, 200_000]), out, True)
    assert out[1] > 10 * out[0]


def test_compute_optimal_frontier_is_the_lower_envelope(problem):
    sizes = [20, 40, 80, 160]
    curves = [sc.loss_theory(problem, n, 20000, lr=0.4) for n in sizes]
    frontier = sc.compute_optimal_frontier(curves, sizes, 1.0)
    grid = np.log(frontier.flops)
    table = np.full((len(sizes), grid.size), np.inf)
    for i, c in enumerate(curves):
        x = np.log(c.flops[1:])
        inside = (grid >= x[0]) & (grid <= x[-1])
        table[i, inside] = np.interp(grid[inside], x, np.log(c.loss[1:]))
    np.testing.assert_allclose(np.log(frontier.loss), table.min(axis=0), atol=1e-12)
    np.testing.assert_array_equal(frontier.best_params, np.array(sizes)[table.argmin(axis=0)])
    assert np.all(np.diff(frontier.best_params[frontier.best_params > 0]) >= 0)  # bigger models win at more compute
    assert 0 < frontier.params_exponent < 1 and frontier.loss_exponent > 0


def test_phase_sweep_finds_capacity_limits_for_hard_targets():
    # a hard target (2 beta < 1) with a slowly decaying spectrum is limited by capacity; an easy
    # target with fast decay by the optimization of its weak directions; and easy targets have
    # the steeper frontier. (Single cells near a boundary can change class with d or the draw.)
    sweep = sc.compute_optimal_phases((0.7, 1.4), (0.3, 1.2), sizes=(16, 32, 64, 128), d=512, steps=100_000, seed=1)
    assert sweep.dominant[0, 0] == "capacity" and sweep.dominant[1, 1] == "optimization"
    assert np.all(sweep.loss_exponent[1] > sweep.loss_exponent[0])
    with pytest.raises(ValueError, match="2 \\(alpha \\+ beta\\)"):
        sc.compute_optimal_phases((0.2,), (0.2,))


def test_ridge_loss_limits(problem):
    # many samples: ridge reaches the capacity floor of the model (variance-limited corrections ~ N / D)
    model = problem.model(20)
    losses = [sc.ridge_loss(problem, 20, D, seed=s) for s, D in enumerate((200, 2000, 20000))]
    excess = [loss - model.capacity_floor for loss in losses]
    assert excess[2] < excess[1] < excess[0]
    # ordinary least squares in N dimensions: E[excess] = sigma^2 N / (2 (D - N - 1))
    runs = [sc.ridge_loss(problem, 20, 200, ridge=1e-10, seed=100 + s) - model.capacity_floor for s in range(300)]
    expected = model.residual_variance * 20 / (2 * (200 - 20 - 1))
    assert abs(np.mean(runs) - expected) < 4 * np.std(runs) / math.sqrt(300)


# --------------------------------------------------------------------------
# model collapse
# --------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "d"), [(50, 10), (200, 100)])
def test_ols_risk_against_monte_carlo(n, d):
    rng = np.random.default_rng(n)
    w = rng.standard_normal(d)
    risks = []
    for _ in range(3000):
        X = rng.standard_normal((n, d))
        y = X @ w + 0.5 * rng.standard_normal(n)
        risks.append(np.sum((np.linalg.solve(X.T @ X, X.T @ y) - w) ** 2))
    assert abs(np.mean(risks) - sc.ols_risk(n, d, 0.5)) < 4 * np.std(risks) / math.sqrt(3000)


def test_recursive_regression_risk_grows_linearly():
    # 400 repetitions of 10 generations; the mean risk is fitted by a line through the origin of
    # (g + 1). Its slope is compared with sigma^2 d / (n - d - 1) within 4 standard errors.
    n, d, sigma = 60, 10, 1.0
    runs = np.array([sc.recursive_ols(n, d, sigma, 9, seed=s).risk for s in range(400)])
    g1 = np.arange(1, 11)
    mean, se = runs.mean(0), runs.std(0, ddof=1) / 20
    slope = np.sum(mean * g1) / np.sum(g1**2)
    per_run = runs @ g1 / np.sum(g1**2)
    assert abs(slope - sc.ols_risk(n, d, sigma)) < 4 * per_run.std(ddof=1) / 20
    assert np.all(np.abs(mean - sc.recursive_ols(n, d, sigma, 9, seed=0).theory) < 4 * se)
    # fresh data bounds the growth: the risk levels off near risk0 / (1 - (1 - f)^2)
    fresh = np.array([sc.recursive_ols(400, d, sigma, 30, fresh_fraction=0.5, seed=s).risk for s in range(100)])
    limit = sc.ols_risk(400, d, sigma) / (1 - 0.25)
    assert abs(fresh[:, -10:].mean() - limit) < 0.1 * limit


def test_zipf_tail_cut_bends_the_learning_curve():
    T = np.array([100, 1000, 10_000, 100_000])
    clean = sc.zipf_tail_cut(T, exponent=1.0, n_items=50_000, seed=1)
    cut = sc.zipf_tail_cut(T, exponent=1.0, cutoff=100, n_items=50_000, seed=1)
    # the measured error (200 training sets per size) has the exact expectation, within 4 SE
    for T_check in (100, 10_000):
        for cutoff in (None, 100):
            runs = sc.zipf_tail_cut([T_check] * 200, exponent=1.0, cutoff=cutoff, n_items=50_000, seed=T_check)
            assert abs(runs.error.mean() - runs.theory[0]) < 4 * runs.error.std(ddof=1) / math.sqrt(200)
    # without the cut the slope is -exponent / (1 + exponent) = -1/2; with it the curve flattens
    slope = np.polyfit(np.log(T), np.log(clean.theory), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.05)
    p = np.arange(1, 50_001, dtype=float) ** -2.0
    lost = p[100:].sum() / p.sum()  # the plateau: every kept item has been seen
    assert cut.theory[-1] == pytest.approx(lost, rel=0.01)


# --------------------------------------------------------------------------
# fitting scaling laws
# --------------------------------------------------------------------------
def test_power_fits_recover_exponents_with_nominal_coverage():
    # 200 synthetic data sets, y = 3 x^-0.5 with 5 % log-normal noise at 12 sizes; the 90 %
    # bootstrap interval of the exponent covers 0.5 in a fraction within 4 binomial SE of 0.9
    # (the percentile bootstrap of 12 points is a little narrow: an allowance of 0.05).
    x = np.geomspace(1e3, 1e6, 12)
    rng = np.random.default_rng(0)
    covered, estimates = [], []
    for k in range(200):
        y = 3 * x**-0.5 * np.exp(0.05 * rng.standard_normal(12))
        fit = sc.fit_scaling_law(x, y, form="power", loss="linear", bootstrap=200, seed=k)
        low, high = fit.interval("alpha")
        covered.append(low <= 0.5 <= high)
        estimates.append(fit.params["alpha"])
    assert abs(np.mean(estimates) - 0.5) < 4 * np.std(estimates) / math.sqrt(200)
    assert abs(np.mean(covered) - 0.9) < 4 * math.sqrt(0.09 / 200) + 0.05


def test_robust_fits_of_the_richer_forms():
    rng = np.random.default_rng(1)
    x = np.geomspace(1e6, 1e10, 14)
    y = 1.8 + 300 * x**-0.3 * np.exp(0.01 * rng.standard_normal(14))
    y[5] *= 1.5  # one bad run: the robust loss keeps it from dragging the fit
    fit = sc.fit_scaling_law(x, y, form="power+constant", bootstrap=30, seed=2)
    assert fit.params["alpha"] == pytest.approx(0.3, abs=0.03)
    assert fit.params["E"] == pytest.approx(1.8, abs=0.1)
    true = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
    N, D = np.meshgrid(np.geomspace(1e7, 1e10, 5), np.geomspace(1e8, 1e11, 5))
    X = np.column_stack([N.ravel(), D.ravel()])
    Y = (true["E"] + true["A"] * X[:, 0] ** -true["alpha"] + true["B"] * X[:, 1] ** -true["beta"]) \
        * np.exp(0.005 * rng.standard_normal(25))
    chin = sc.fit_scaling_law(X, Y, form="chinchilla", bootstrap=10, seed=3)
    assert chin.params["alpha"] == pytest.approx(0.34, abs=0.04)
    assert chin.params["beta"] == pytest.approx(0.28, abs=0.04)
    np.testing.assert_allclose(chin(X), Y, rtol=0.02)
    low, high = chin.band(X[:3])
    assert np.all(low <= high)


def test_chinchilla_optimum_first_order_conditions():
    p = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
    for C in (1e18, 1e21, 1e24):
        N, D = sc.chinchilla_optimum(C, p)
        assert 6 * N * D == pytest.approx(C, rel=1e-10)
        # dL/dN along N D = C/6 vanishes: alpha A N^-alpha = beta B D^-beta
        assert p["alpha"] * p["A"] * N ** -p["alpha"] == pytest.approx(p["beta"] * p["B"] * D ** -p["beta"], rel=1e-10)

        def loss(n):
            return p["A"] * n ** -p["alpha"] + p["B"] * (C / 6 / n) ** -p["beta"]

        assert loss(N) < min(loss(N * 1.01), loss(N / 1.01))
    N1, _ = sc.chinchilla_optimum(1e20, p)
    N2, _ = sc.chinchilla_optimum(1e22, p)
    assert math.log(N2 / N1) / math.log(100) == pytest.approx(0.28 / 0.62, rel=1e-10)


# --------------------------------------------------------------------------
# lottery tickets
# --------------------------------------------------------------------------
def test_relu_training_gradient_and_progress():
    fit = sc.train_relu_network(8, steps=3000, lr=0.01, seed=4)
    assert fit.loss[-1] < 0.01 * fit.loss[0]
    x = np.linspace(-1, 1, 128)
    assert 0.5 * np.mean((fit(x) - x**2) ** 2) == pytest.approx(fit.loss[-1], rel=0.05)
    # the kernel's gradient against finite differences of its own loss, one Adam step at lr -> 0
    from emergence.scaling import _train_relu

    rng = np.random.default_rng(0)
    w, b, a = rng.standard_normal(5), rng.uniform(-1, 1, 5), rng.standard_normal(5)
    xs = np.linspace(-1, 1, 32)

    def loss(w, b, a, c):
        f = c + np.sum(a * np.maximum(np.outer(xs, w) + b, 0), axis=1)
        return 0.5 * np.mean((f - xs**2) ** 2)

    base = loss(w, b, a, 0.0)
    out = np.empty(1)
    theta = np.concatenate([w, b, a, [0.0]])
    _train_relu(theta, xs, xs**2, 1, 1e-6, out)
    assert out[0] == pytest.approx(base, rel=1e-12)
    # Adam's first step moves each parameter by lr * sign(gradient): compare signs with finite differences
    eps = 1e-7
    for i in range(5):
        w2 = w.copy()
        w2[i] += eps
        g = (loss(w2, b, a, 0.0) - base) / eps
        if abs(g) > 1e-6:
            assert np.sign(w[i] - theta[i]) == np.sign(g)


# --------------------------------------------------------------------------
# errors and determinism
# --------------------------------------------------------------------------
def test_determinism(problem):
    a = sc.train_sgd(problem, 30, 200, lr=0.5, seed=5)
    b = sc.train_sgd(problem, 30, 200, lr=0.5, seed=5)
    np.testing.assert_array_equal(a.loss, b.loss)
    c = sc.train_sgd(problem, 30, 200, lr=0.5)
    np.testing.assert_array_equal(sc.train_sgd(problem, 30, 200, lr=0.5, seed=c.seed).loss, c.loss)
    np.testing.assert_array_equal(sc.recursive_ols(30, 5, 1.0, 3, seed=1).risk, sc.recursive_ols(30, 5, 1.0, 3, seed=1).risk)
    p1 = sc.power_law_problem(50, alpha=1.0, beta=0.5, seed=3)
    p2 = sc.power_law_problem(50, alpha=1.0, beta=0.5, seed=3)
    np.testing.assert_array_equal(p1.features, p2.features)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda p: sc.power_law_problem(1, alpha=1.0, beta=0.5), ValueError, "d"),
    (lambda p: sc.power_law_problem(10, alpha=0.0, beta=0.5), ValueError, "alpha"),
    (lambda p: sc.power_law_problem(10, alpha=1.0, beta="x"), TypeError, "beta"),
    (lambda p: sc.train_sgd(p, 0, 10, lr=0.1), ValueError, "n_params"),
    (lambda p: sc.train_sgd(p, 500, 10, lr=0.1), ValueError, "n_params"),
    (lambda p: sc.train_sgd(p, 10, 10, lr=50.0), ValueError, "lr"),
    (lambda p: sc.train_sgd("problem", 10, 10, lr=0.1), TypeError, "PowerLawProblem"),
    (lambda p: sc.loss_theory(p, 10, 0, lr=0.1), ValueError, "steps"),
    (lambda p: sc.train_sgd(p, 400, 10**8, lr=0.1), ValueError, "elementary"),
    (lambda p: sc.ols_risk(10, 9, 1.0), ValueError, "n must exceed"),
    (lambda p: sc.recursive_ols(50, 10, 1.0, 3, fresh_fraction=1.5), ValueError, "fresh_fraction"),
    (lambda p: sc.zipf_tail_cut([10.5]), ValueError, "whole"),
    (lambda p: sc.zipf_tail_cut([10], cutoff=0), ValueError, "cutoff"),
    (lambda p: sc.fit_scaling_law([1, 2, 3, 4], [1, 2, 3, 4], form="cubic"), ValueError, "form"),
    (lambda p: sc.fit_scaling_law([1, 2, 3], [1, 1, 1]), ValueError, "points"),
    (lambda p: sc.fit_scaling_law([1, 2, 3, 4, 5], [1, 1, -1, 1, 1]), ValueError, "y"),
    (lambda p: sc.fit_scaling_law(np.ones((6, 3)), np.ones(6), form="chinchilla"), ValueError, "shape"),
    (lambda p: sc.chinchilla_optimum(1e20, {"A": 1.0}), TypeError, "keys"),
    (lambda p: sc.chinchilla_optimum(-1.0, {"A": 1, "B": 1, "alpha": 0.3, "beta": 0.3}), ValueError, "C"),
    (lambda p: sc.compute_optimal_frontier([], [1], 1.0), ValueError, "same length"),
    (lambda p: sc.train_relu_network(0), ValueError, "width"),
])
def test_errors_name_the_parameter(problem, call, error, match):
    with pytest.raises(error, match=match):
        call(problem)
