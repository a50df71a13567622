"""Score-based diffusion: schedules, exact scores, samplers, guidance, Feynman-Kac correctors, PFGM++."""

import math

import numpy as np
import pytest

from emergence import diffusion as df
from emergence.diffusion import _pfgm_velocity

VP = df.schedule("vp")
VE = df.schedule("ve")
MU = np.array([1.0, -0.5])
SIGMA = np.array([[0.5, 0.2], [0.2, 0.3]])
WEIGHTS = np.array([0.3, 0.7])
MEANS = np.array([[-2.0, 0.0], [1.5, 1.0]])
COVS = np.array([0.2 * np.eye(2), [[0.3, 0.1], [0.1, 0.2]]])


def _gaussian(sch, mean=MU, cov=SIGMA):
    return lambda x, t: df.gaussian_score(x, t, mean, cov, schedule=sch)


def _noised(sch, t, mean=MU, cov=SIGMA):
    a, s = float(sch.alpha(t)), float(sch.sigma(t))
    return a * mean, a * a * cov + s * s * np.eye(mean.size)


def _standard_errors(cov, n):
    """Standard errors of a sample mean and of sample covariance entries, for Gaussian data."""
    var = np.diag(cov)
    return np.sqrt(var / n), np.sqrt((np.outer(var, var) + cov**2) / n)


# --------------------------------------------------------------------------
# schedules and scores
# --------------------------------------------------------------------------
@pytest.mark.parametrize("sch", [VP, VE, df.schedule("vp", beta_min=0.5, beta_max=5.0)])
def test_schedule_maps_solve_the_forward_sde(sch):
    # x_t = alpha x_0 + sigma z solves dx = f x dt + g dW when d log alpha / dt = f and
    # d sigma^2 / dt = 2 f sigma^2 + g^2; checked by central differences (error ~ 1e-9)
    t, h = np.linspace(0.05, 0.95, 7), 1e-5
    dlog_alpha = (np.log(sch.alpha(t + h)) - np.log(sch.alpha(t - h))) / (2 * h)
    dvar = (sch.sigma(t + h) ** 2 - sch.sigma(t - h) ** 2) / (2 * h)
    np.testing.assert_allclose(dlog_alpha, sch.f(t), atol=1e-6)
    np.testing.assert_allclose(dvar, 2 * sch.f(t) * sch.sigma(t) ** 2 + sch.g2(t), rtol=1e-6)
    assert float(sch.sigma(0.0)) == 0.0 and float(sch.alpha(0.0)) == 1.0
    grid = sch.time_grid(40, 1.0, 1e-3)
    assert grid[0] == 1.0 and grid[-1] == 1e-3 and np.all(np.diff(grid) < 0)
    np.testing.assert_allclose(np.diff(np.log(sch.sigma(grid) / sch.alpha(grid))), -np.ptp(
        np.log(sch.sigma(grid) / sch.alpha(grid))) / 40, rtol=1e-3)


@pytest.mark.parametrize("sch", [VP, VE])
@pytest.mark.parametrize("t", [1e-3, 0.3, 0.9])
def test_gmm_score_is_the_gradient_of_the_log_density(sch, t):
    x = np.random.default_rng(0).standard_normal((20, 2)) * 2
    score = df.gmm_score(x, t, WEIGHTS, MEANS, COVS, schedule=sch)
    eps = 1e-6 * max(1.0, float(sch.sigma(t)))
    fd = np.empty_like(x)
    for a in range(2):
        e = np.zeros(2)
        e[a] = eps
        fd[:, a] = (df.gmm_log_density(x + e, t, WEIGHTS, MEANS, COVS, schedule=sch)
                    - df.gmm_log_density(x - e, t, WEIGHTS, MEANS, COVS, schedule=sch)) / (2 * eps)
    np.testing.assert_allclose(score, fd, atol=1e-6 * max(1.0, float(np.abs(score).max())))


def test_gmm_density_is_normalized_and_the_mixture_of_its_components():
    # 1-D: the trapezoidal integral of exp(log p_t) over +-12 sd is 1 to 1e-10
    x = np.linspace(-14, 14, 20001)[:, None]
    p = np.exp(df.gmm_log_density(x, 0.2, [0.25, 0.75], [[-1.0], [2.0]], [[[0.3]], [[0.1]]], schedule=VP))
    assert np.trapezoid(p, x[:, 0]) == pytest.approx(1.0, abs=1e-10)


def test_gaussian_empirical_and_kernel_scores_are_special_mixtures():
    rng = np.random.default_rng(1)
    x, data = rng.standard_normal((15, 2)), rng.standard_normal((6, 2))
    for sch, t in ((VP, 0.2), (VE, 0.5)):
        np.testing.assert_allclose(df.gaussian_score(x, t, MU, SIGMA, schedule=sch),
                                   df.gmm_score(x, t, [1.0], MU[None], SIGMA[None], schedule=sch), atol=1e-12)
        point_masses = np.zeros((6, 2, 2))
        np.testing.assert_allclose(df.empirical_score(x, t, data, schedule=sch),
                                   df.gmm_score(x, t, np.ones(6), data, point_masses, schedule=sch), atol=1e-10)
        np.testing.assert_allclose(df.empirical_score(x, t, data, schedule=sch, bandwidth=0.3),
                                   df.gmm_score(x, t, np.ones(6), data, point_masses + 0.09 * np.eye(2),
                                                schedule=sch), atol=1e-10)


def test_posterior_covariance_is_the_derivative_of_the_denoiser():
    # Tweedie's second-order identity: d E[x0 | x] / dx = (alpha / sigma^2) Cov[x0 | x]. The event score
    # uses Cov @ u; here it is checked against central differences of the posterior mean.
    rng = np.random.default_rng(2)
    data, x = rng.standard_normal((30, 3)), rng.standard_normal((5, 3))
    u = np.array([0.0, 0.6, 0.8])
    t, h = 0.15, 0.2
    a, s = float(VP.alpha(t)), float(VP.sigma(t))
    eps = 1e-6
    fd = (df.posterior_mean(x + eps * u, t, data, schedule=VP, bandwidth=h)
          - df.posterior_mean(x - eps * u, t, data, schedule=VP, bandwidth=h)) / (2 * eps)
    _, _, _, _, cov_u = df._posterior(x, t, data, VP, h, u)
    np.testing.assert_allclose(fd, (a / s**2) * cov_u, atol=1e-7)


def test_event_score_reduces_to_the_score_for_a_certain_event():
    rng = np.random.default_rng(3)
    data, x = rng.standard_normal((20, 2)), rng.standard_normal((8, 2))
    base = df.empirical_score(x, 0.3, data, schedule=VP, bandwidth=0.2)
    sure = df.event_score(x, 0.3, data, schedule=VP, bandwidth=0.2, direction=[1.0, 0.0], threshold=-50.0)
    np.testing.assert_allclose(sure, base, atol=1e-12)
    # a demanding event pushes every particle up along the direction
    push = df.event_score(x, 0.3, data, schedule=VP, bandwidth=0.2, direction=[1.0, 0.0], threshold=2.0) - base
    assert np.all(push[:, 0] > 0)


# --------------------------------------------------------------------------
# samplers on Gaussian data
# --------------------------------------------------------------------------
@pytest.mark.parametrize("sampler", df.SAMPLERS)
def test_samplers_match_their_exact_discrete_moments(sampler):
    # With Gaussian data every step is affine plus noise: affine_moments gives the sampler's exact output
    # moments at this step count (bias included). 60 000 particles: 4 standard errors.
    sch, n = VP, 60_000
    score = _gaussian(sch)
    m, P = df.affine_moments(score, np.zeros(2), np.eye(2), sampler=sampler, steps=40, schedule=sch)
    out = df.sample(score, n, dim=2, sampler=sampler, steps=40, schedule=sch, seed=5).x
    se_m, se_P = _standard_errors(P, n)
    assert np.all(np.abs(out.mean(0) - m) < 4 * se_m)
    assert np.all(np.abs(np.cov(out.T) - P) < 4 * se_P)


@pytest.mark.parametrize("sch", [VP, VE])
def test_reverse_sde_and_pf_ode_return_the_data_gaussian(sch):
    # Gaussian data N(mu, Sigma): the samples' mean and covariance equal those of p_{t_end} within
    # 4 standard errors plus the discretization bias, which affine_moments measures exactly
    n, steps = 60_000, 200
    score = _gaussian(sch)
    target_m, target_P = _noised(sch, 1e-3)
    start_m, start_P = _noised(sch, 1.0)  # the exact p_1, so that no prior mismatch enters
    for sampler in ("reverse-sde", "pf-ode"):
        m, P = df.affine_moments(score, start_m, start_P, sampler=sampler, steps=steps, schedule=sch)
        bias_m, bias_P = np.abs(m - target_m), np.abs(P - target_P)
        assert bias_P.max() < 0.02 * target_P.max()  # measured 1.5 % for Euler-Maruyama at 200 steps
        x0 = start_m + np.random.default_rng(6).standard_normal((n, 2)) @ np.linalg.cholesky(start_P).T
        out = df.sample(score, n, dim=2, sampler=sampler, steps=steps, schedule=sch, x_init=x0, seed=6).x
        se_m, se_P = _standard_errors(target_P, n)
        assert np.all(np.abs(out.mean(0) - target_m) < 4 * se_m + bias_m)
        assert np.all(np.abs(np.cov(out.T) - target_P) < 4 * se_P + bias_P)


@pytest.mark.parametrize("sampler, order", [("reverse-sde", 1), ("ddim", 1), ("pf-ode", 2)])
def test_discretization_bias_falls_with_the_order_of_the_sampler(sampler, order):
    # Euler-Maruyama and DDIM: the bias halves when the step halves; Heun: it falls by four
    score = _gaussian(VP)
    start_m, start_P = _noised(VP, 1.0)
    target_m, target_P = _noised(VP, 1e-3)
    bias = []
    for steps in (100, 200, 400):
        m, P = df.affine_moments(score, start_m, start_P, sampler=sampler, steps=steps, schedule=VP)
        bias.append(np.abs(np.concatenate([m - target_m, (P - target_P).ravel()])).max())
    ratios = np.array(bias[:-1]) / np.array(bias[1:])
    np.testing.assert_allclose(ratios, 2.0**order, rtol=0.05)


def test_gmm_samples_match_the_mixture():
    # the exact GMM score, 1000 reverse-SDE steps, 40 000 particles: mean, covariance and the weight of the
    # left component within 4 SE plus 0.01, the bias measured for this step count on Gaussian data (< 0.005)
    n = 40_000
    score = lambda x, t: df.gmm_score(x, t, WEIGHTS, MEANS, COVS, schedule=VP)  # noqa: E731
    out = df.sample(score, n, dim=2, steps=1000, schedule=VP, seed=7).x
    _, means, covs = df.diffused_gmm(1e-3, WEIGHTS, MEANS, COVS, schedule=VP)
    mean = WEIGHTS @ means
    cov = np.einsum("k,kij->ij", WEIGHTS, covs) + np.einsum("k,ki,kj->ij", WEIGHTS, means, means) - np.outer(mean, mean)
    se_m, se_P = _standard_errors(cov, n)
    assert np.all(np.abs(out.mean(0) - mean) < 4 * se_m + 0.01)
    assert np.all(np.abs(np.cov(out.T) - cov) < 4 * se_P + 0.01)
    left = np.mean(out[:, 0] < -0.25)  # the components are 8 sd apart along x
    assert abs(left - WEIGHTS[0]) < 4 * math.sqrt(0.21 / n) + 0.01


@pytest.mark.parametrize("t_end", [1e-4, 1e-2])
def test_empirical_score_reproduces_the_training_points(t_end):
    # memorization: at the end each particle is a training point plus noise of size sigma(t_end), so the
    # RMS distance to the nearest training point is sigma sqrt(d) (points 0.5 apart or more, d = 2);
    # 4000 particles give it to about 1 %, the DDIM steps (exact for point masses) add nothing
    data = np.stack(np.meshgrid(np.arange(4.0), np.arange(4.0)), -1).reshape(-1, 2) * 0.5 - 0.75
    score = lambda x, t: df.empirical_score(x, t, data, schedule=VP)  # noqa: E731
    out = df.sample(score, 4000, dim=2, sampler="ddim", steps=200, schedule=VP, t_end=t_end, seed=8).x
    nearest = np.min(np.linalg.norm(out[:, None] - float(VP.alpha(t_end)) * data, axis=2), axis=1)
    rms = math.sqrt(np.mean(nearest**2))
    assert rms == pytest.approx(float(VP.sigma(t_end)) * math.sqrt(2), rel=0.05)
    # every training point is reproduced, with about its share 1/16
    counts = np.bincount(np.argmin(np.linalg.norm(out[:, None] - data, axis=2), axis=1), minlength=16)
    assert counts.min() > 4000 / 16 - 4 * math.sqrt(4000 / 16)


# --------------------------------------------------------------------------
# classifier-free guidance on Gaussians
# --------------------------------------------------------------------------
def test_cfg_gaussian_ddim_limit_has_the_closed_form():
    # 1-D VE, both Gaussians centred: the probability-flow ODE is linear, with the solution
    # x(sigma) proportional to Phi(sigma) = (c^2 + sigma^2)^(gamma/2) (u^2 + sigma^2)^((1 - gamma)/2)
    ve = df.schedule("ve", sigma_max=50.0)
    c2, u2 = 1.0, 4.0
    for w in (0.0, 1.0, 3.0):
        gamma = 1 + w
        _, var = df.cfg_gaussian([0.0], [[c2]], [0.0], [[u2]], w, schedule=ve, sampler="pf-ode", t_end=1e-3)

        def phi(s2):
            return (c2 + s2) ** (gamma / 2) * (u2 + s2) ** ((1 - gamma) / 2)
        s_max2, s_end2 = float(ve.sigma(1.0)) ** 2, float(ve.sigma(1e-3)) ** 2
        assert var[0, 0] == pytest.approx(s_max2 * phi(s_end2) ** 2 / phi(s_max2) ** 2, rel=1e-7)
    # it is not the gamma-powered density (here gamma = 2: 0.25 against 0.571)
    _, tilted = df.tilted_gaussian([0.0], [[c2]], [0.0], [[u2]], 2.0)
    assert tilted[0, 0] == pytest.approx(1 / (2 / c2 - 1 / u2))
    assert abs(var[0, 0] - tilted[0, 0]) > 0.05


def test_cfg_covariance_matches_sampling_and_differs_between_ddpm_and_ddim():
    mean_c, cov_c = np.array([1.0, 0.0]), np.array([[0.3, 0.1], [0.1, 0.4]])
    mean_u, cov_u = np.array([0.0, 0.0]), np.array([[1.5, 0.0], [0.0, 1.0]])
    w, n, steps = 1.0, 60_000, 400
    cond, uncond = _gaussian(VP, mean_c, cov_c), _gaussian(VP, mean_u, cov_u)
    guided = df.cfg_score(cond, uncond, w)
    limits = {}
    for sampler, limit in (("ddim", "pf-ode"), ("reverse-sde", "reverse-sde")):
        m, P = df.cfg_gaussian(mean_c, cov_c, mean_u, cov_u, w, schedule=VP, sampler=limit)
        limits[sampler] = P
        # the discrete sampler converges to the ODE/SDE limit: its bias is measured by affine_moments
        dm, dP = df.affine_moments(guided, np.zeros(2), np.eye(2), sampler=sampler, steps=steps, schedule=VP)
        assert np.abs(dP - P).max() < 0.03 * np.abs(P).max()  # measured 1.5 % (DDIM), 0.9 % (reverse SDE)
        out = df.sample(guided, n, dim=2, sampler=sampler, steps=steps, schedule=VP, seed=9).x
        se_m, se_P = _standard_errors(P, n)
        assert np.all(np.abs(out.mean(0) - m) < 4 * se_m + np.abs(dm - m))
        assert np.all(np.abs(np.cov(out.T) - P) < 4 * se_P + np.abs(dP - P))
    _, tilted = df.tilted_gaussian(mean_c, cov_c, mean_u, cov_u, 1 + w)
    # the limits differ from each other and from the powered density by 0.04 or more, 20 SE or more
    assert np.abs(limits["ddim"] - limits["reverse-sde"]).max() > 0.04
    for P in limits.values():
        assert np.abs(P - tilted).max() > 0.04


def test_cfg_with_ddpm_is_a_ddim_predictor_with_a_powered_langevin_corrector():
    # SDE limit: a reverse-SDE step with the guided score (gamma) equals a DDIM step with the conditional
    # score followed by Langevin on the (2 gamma - 1)-powered score. The two discrete samplers' output
    # moments approach each other (and the reverse-SDE limit) as the step shrinks.
    mean_c, cov_c = np.array([0.5]), np.array([[0.2]])
    mean_u, cov_u = np.array([0.0]), np.array([[1.0]])
    w = 1.5
    cond, uncond = _gaussian(VP, mean_c, cov_c), _gaussian(VP, mean_u, cov_u)
    _, limit = df.cfg_gaussian(mean_c, cov_c, mean_u, cov_u, w, schedule=VP, sampler="reverse-sde")
    gaps = []
    for steps in (100, 200, 400):
        _, ddpm = df.affine_moments(df.cfg_score(cond, uncond, w), np.zeros(1), np.eye(1), steps=steps,
                                    schedule=VP)
        _, pc = df.affine_moments(cond, np.zeros(1), np.eye(1), sampler="predictor-corrector", steps=steps,
                                  schedule=VP, guidance=df.cfg_score(cond, uncond, 2 * w))
        gaps.append(abs(pc[0, 0] - ddpm[0, 0]))
        assert abs(pc[0, 0] - limit[0, 0]) < 0.05 * limit[0, 0]
    np.testing.assert_allclose(np.array(gaps[:-1]) / np.array(gaps[1:]), 2.0, rtol=0.15)


# --------------------------------------------------------------------------
# Feynman-Kac correctors
# --------------------------------------------------------------------------
def _weighted_moments(r):
    w = r.weights
    mean = w @ r.x
    return mean, (r.x - mean).T @ ((r.x - mean) * w[:, None])


@pytest.mark.parametrize("beta", [0.5, 2.0])
def test_fk_annealing_samples_the_tempered_gaussian(beta):
    # p = N(0, v) in 1-D: p^beta is N(0, c / beta) with c = the variance of p_{t_end}. Naive score scaling
    # gets the variance wrong by far more than its error; the FK weights fix it to within 4 standard errors of
    # the weighted variance over 6 independent runs of 10 000 particles and 600 steps
    v, d = 0.5, 1
    score = _gaussian(VP, np.zeros(d), v * np.eye(d))
    c = float(VP.alpha(1e-3)) ** 2 * v + float(VP.sigma(1e-3)) ** 2
    runs = [df.fk_correct([score], 10_000, exponents=[beta], dim=d, steps=600, schedule=VP, seed=s)
            for s in range(6)]
    variances = np.array([_weighted_moments(r)[1][0, 0] for r in runs])
    se = variances.std(ddof=1) / math.sqrt(variances.size)
    assert abs(variances.mean() - c / beta) < 4 * se + 0.005 * c / beta
    naive = df.sample(lambda x, t: beta * score(x, t), 10_000, dim=d, steps=600, schedule=VP, seed=0).x.var()
    assert abs(naive - c / beta) > 0.2 * c / beta
    # the normalizer of p^beta: (2 pi c)^((1 - beta)/2) beta^(-1/2), the beta^(-d/2) law, from the same runs
    exact = 0.5 * (1 - beta) * math.log(2 * math.pi * c) - 0.5 * math.log(beta)
    logs = np.array([r.log_normalizer for r in runs])
    assert abs(logs.mean() - exact) < 4 * logs.std(ddof=1) / math.sqrt(logs.size) + 0.02


def test_fk_product_of_experts_matches_the_exact_product():
    # two Gaussian experts: the product is Gaussian with precision Lambda_1 + Lambda_2
    m1, c1 = np.array([1.0, 0.0]), np.eye(2)
    m2, c2 = np.array([-1.0, 0.5]), np.array([[0.5, 0.1], [0.1, 0.6]])
    prec = np.linalg.inv(c1) + np.linalg.inv(c2)
    cov = np.linalg.inv(prec)
    mean = cov @ (np.linalg.solve(c1, m1) + np.linalg.solve(c2, m2))
    experts = [_gaussian(VP, m1, c1), _gaussian(VP, m2, c2)]
    runs = [df.fk_correct(experts, 10_000, exponents=[1, 1], dim=2, steps=400, schedule=VP, seed=s)
            for s in range(5)]
    moments = [_weighted_moments(r) for r in runs]
    means = np.array([m for m, _ in moments])
    covs = np.array([P for _, P in moments])
    assert np.all(np.abs(means.mean(0) - mean) < 4 * means.std(0, ddof=1) / math.sqrt(5) + 0.01)
    assert np.all(np.abs(covs.mean(0) - cov) < 4 * covs.std(0, ddof=1) / math.sqrt(5) + 0.01)
    naive = df.sample(lambda x, t: experts[0](x, t) + experts[1](x, t), 10_000, dim=2, steps=400, schedule=VP,
                      seed=0).x
    assert np.abs(np.cov(naive.T) - cov).max() > 0.05


def test_fk_without_resampling_keeps_weights_and_counts_no_resamples():
    score = _gaussian(VP, np.zeros(1), np.eye(1))
    r = df.fk_correct([score], 500, exponents=[1.0], dim=1, steps=50, schedule=VP, ess_threshold=0.0, seed=1)
    # exponent 1: the target is p itself, the weights stay uniform and the normalizer is 1
    assert r.resamples == 0
    np.testing.assert_allclose(r.weights, 1 / 500, rtol=1e-12)
    assert r.log_normalizer == pytest.approx(0.0, abs=1e-12)


# --------------------------------------------------------------------------
# PFGM++
# --------------------------------------------------------------------------
@pytest.mark.parametrize("D", [3.0, 8.0, 64.0])
def test_pfgm_prior_radius_follows_the_perturbation_kernel(D):
    # |x|^2 / r^2 is beta-prime(d/2, D/2): mean (d/2) / (D/2 - 1); 100 000 draws give it to 1 % for D >= 8
    u = np.random.default_rng(10).random(100_000)
    radius = df.pfgm_prior_radius(u, 1.0, D, 2)
    ratio = radius**2 / D  # r^2 = sigma^2 D with sigma = 1
    if D > 4:
        values = ratio / (1.0 / (D / 2 - 1))
        assert values.mean() == pytest.approx(1.0, abs=4 * values.std() / math.sqrt(u.size))
    # the median is exact: the beta-prime median at u = 1/2
    assert np.median(ratio) == pytest.approx(float(np.quantile(ratio, 0.5)))
    assert df.pfgm_prior_radius([0.5], 1.0, D, 2)[0] ** 2 / D == pytest.approx(
        float(np.median(ratio)), rel=0.02)


def test_pfgm_field_at_infinite_d_is_the_ve_probability_flow():
    # D -> inf: dx / d log sigma = -sigma^2 s(x, sigma) with the empirical score
    rng = np.random.default_rng(11)
    data, x = rng.standard_normal((25, 2)), rng.standard_normal((10, 2)) * 2
    t = 0.6
    sigma = float(VE.sigma(t))
    out = np.empty_like(x)
    _pfgm_velocity(x, data, sigma, math.inf, out)
    np.testing.assert_allclose(out, -sigma**2 * df.empirical_score(x, t, data, schedule=VE), atol=1e-12)
    # and finite D approaches it as 1/D
    gaps = []
    for D in (250.0, 1000.0, 4000.0):
        finite = np.empty_like(x)
        _pfgm_velocity(x, data, sigma, D, finite)
        gaps.append(np.abs(finite - out).max())
    np.testing.assert_allclose(np.array(gaps[:-1]) / np.array(gaps[1:]), 4.0, rtol=0.1)


def test_pfgm_samples_approach_diffusion_as_d_grows():
    # coupled priors (same seed): the distance between PFGM++ samples and the D = inf (diffusion) samples
    # falls as 1/D at large D
    data = df.gmm_sample(200, [0.5, 0.5], [[-1.0, 0.0], [1.0, 0.0]], np.array([0.05 * np.eye(2)] * 2), seed=0)
    ref = df.pfgm_sample(data, math.inf, 400, steps=40, sigma_end=0.05, seed=4).x
    rms = [math.sqrt(np.mean(np.sum((df.pfgm_sample(data, D, 400, steps=40, sigma_end=0.05, seed=4).x - ref) ** 2,
                                    axis=1))) for D in (64.0, 256.0, 1024.0)]
    assert rms[0] > rms[1] > rms[2]
    np.testing.assert_allclose(rms[1] / rms[2], 4.0, rtol=0.25)


# --------------------------------------------------------------------------
# serial reproduction
# --------------------------------------------------------------------------
@pytest.mark.parametrize("noise", df.NOISES)
def test_serial_reproduction_converges_to_the_prior_for_every_noise_family(noise):
    # the chain is a Gibbs sampler of prior(x) p(y | x): after 60 generations the 4000 independent chains
    # are prior draws. Checked: the mass below 0 (exact 0.3 + 0.7 Phi(-1.875)) and the mean, 4 SE each
    w, m, s = np.array([0.3, 0.7]), np.array([-2.0, 1.5]), np.array([0.5, 0.8])
    out = df.serial_reproduction(w, m, s, 4000, 60, noise=noise, scale=1.0, x0=1.5, seed=12)[-1]
    from scipy.stats import norm
    below = 0.3 * norm.cdf(2.0 / 0.5) + 0.7 * norm.cdf(-1.5 / 0.8)
    assert abs(np.mean(out < 0) - below) < 4 * math.sqrt(below * (1 - below) / out.size)
    var = w @ (s**2 + m**2) - (w @ m) ** 2
    assert abs(out.mean() - w @ m) < 4 * math.sqrt(var / out.size)


# --------------------------------------------------------------------------
# errors and determinism
# --------------------------------------------------------------------------
SCORE = _gaussian(VP)


@pytest.mark.parametrize("call, error, match", [
    (lambda: df.schedule("vpp"), ValueError, "kind"),
    (lambda: df.schedule("vp", beta_min=0.0), ValueError, "beta_min"),
    (lambda: df.schedule("vp", beta_min=5.0, beta_max=1.0), ValueError, "beta_max"),
    (lambda: df.schedule("ve", sigma_min=2.0, sigma_max=1.0), ValueError, "sigma_max"),
    (lambda: df.gmm_score(np.zeros((2, 3)), 0.5, WEIGHTS, MEANS, COVS, schedule=VP), ValueError, "columns"),
    (lambda: df.gmm_score(np.zeros((2, 2)), 0.0, WEIGHTS, MEANS, COVS, schedule=VP), ValueError, "t must"),
    (lambda: df.gmm_score(np.zeros((2, 2)), 0.5, [1.0], MEANS, COVS, schedule=VP), ValueError, "weights"),
    (lambda: df.gmm_score(np.zeros((2, 2)), 0.5, WEIGHTS, MEANS, -COVS, schedule=VP), ValueError, "semi-definite"),
    (lambda: df.gmm_score(np.zeros((2, 2)), 0.5, WEIGHTS, MEANS, COVS, schedule="vp"), TypeError, "Schedule"),
    (lambda: df.gmm_score([[np.nan, 0.0]], 0.5, WEIGHTS, MEANS, COVS, schedule=VP), ValueError, "finite"),
    (lambda: df.empirical_score(np.zeros((2, 2)), 0.5, np.zeros((3, 2)), schedule=VP, bandwidth=-1.0),
     ValueError, "bandwidth"),
    (lambda: df.event_score(np.zeros((2, 2)), 0.5, np.zeros((3, 2)), schedule=VP, bandwidth=0.1,
                            direction=[0.0, 0.0], threshold=1.0), ValueError, "direction"),
    (lambda: df.event_score(np.zeros((2, 2)), 0.5, np.zeros((3, 2)), schedule=VP, bandwidth=0.1,
                            direction=[1.0, 0.0, 0.0], threshold=1.0), ValueError, "direction"),
    (lambda: df.sample("score", 10, dim=2, schedule=VP), TypeError, "score"),
    (lambda: df.sample(SCORE, 10, dim=2, sampler="euler", schedule=VP), ValueError, "sampler"),
    (lambda: df.sample(lambda x, t: x[:, :1], 10, dim=2, schedule=VP), ValueError, "shape of x"),
    (lambda: df.sample(lambda x, t: np.full_like(x, np.nan), 10, dim=2, schedule=VP), ValueError, "non-finite"),
    (lambda: df.sample(SCORE, 10, dim=2, steps=0, schedule=VP), ValueError, "steps"),
    (lambda: df.sample(SCORE, 10, dim=2, schedule=VP, t_end=1.5), ValueError, "t_end"),
    (lambda: df.sample(SCORE, 10, dim=2, schedule=VP, t_start=0.5), ValueError, "x_init"),
    (lambda: df.sample(SCORE, 10, dim=2, schedule=VP, x_init=np.zeros((9, 2))), ValueError, "x_init"),
    (lambda: df.sample(SCORE, 10, dim=2, schedule=VP, guidance=SCORE), ValueError, "guidance"),
    (lambda: df.sample(SCORE, 10**6, dim=16, steps=100_000, schedule=VP), ValueError, "limit"),
    (lambda: df.sample(SCORE, 10, dim=2.0, schedule=VP), TypeError, "dim"),
    (lambda: df.cfg_score(SCORE, None, 1.0), TypeError, "uncond_score"),
    (lambda: df.cfg_score(SCORE, SCORE, -2.0), ValueError, "w must"),
    (lambda: df.tilted_gaussian([0.0], [[1.0]], [0.0], [[0.5]], 3.0), ValueError, "normalizable"),
    (lambda: df.cfg_gaussian([0.0], [[-1.0]], [0.0], [[1.0]], 1.0, schedule=VP), ValueError, "positive definite"),
    (lambda: df.cfg_gaussian([0.0], [[1.0]], [0.0], [[1.0]], 1.0, schedule=VP, sampler="ddim"), ValueError,
     "sampler"),
    (lambda: df.fk_correct([SCORE], 10, exponents=[1.0, 2.0], dim=2, schedule=VP), ValueError, "exponents"),
    (lambda: df.fk_correct([SCORE], 10, exponents=[0.0], dim=2, schedule=VP), ValueError, "exponents"),
    (lambda: df.fk_correct([SCORE], 10, exponents=[1.0], dim=2, schedule=VP, ess_threshold=2.0), ValueError,
     "ess_threshold"),
    (lambda: df.pfgm_sample(np.zeros((5, 2)), 0.5, 10), ValueError, "D must"),
    (lambda: df.pfgm_sample(np.zeros((5, 2)), "inf", 10), TypeError, "D must"),
    (lambda: df.pfgm_sample(np.zeros((5, 2)), 4.0, 10, sigma_end=20.0), ValueError, "sigma_end"),
    (lambda: df.serial_reproduction([1.0], [0.0], [0.0], 10, 5), ValueError, "sds"),
    (lambda: df.serial_reproduction([1.0], [0.0], [1.0], 10, 5, noise="cauchy"), ValueError, "noise"),
    (lambda: df.serial_reproduction([1.0, 1.0], [0.0], [1.0], 10, 5), ValueError, "same length"),
])
def test_errors_name_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_same_seed_same_output():
    data = np.random.default_rng(0).standard_normal((10, 2))
    calls = [
        lambda s: df.sample(SCORE, 50, dim=2, steps=20, schedule=VP, seed=s).x,
        lambda s: df.sample(SCORE, 50, dim=2, sampler="predictor-corrector", steps=20, schedule=VE, seed=s).x,
        lambda s: df.fk_correct([SCORE], 50, exponents=[2.0], dim=2, steps=20, schedule=VP, seed=s).x,
        lambda s: df.pfgm_sample(data, 4.0, 50, steps=10, field_noise=0.1, seed=s).x,
        lambda s: df.serial_reproduction([1.0], [0.0], [1.0], 50, 5, noise="laplace", seed=s),
        lambda s: df.gmm_sample(50, WEIGHTS, MEANS, COVS, seed=s),
    ]
    for call in calls:
        np.testing.assert_array_equal(call(3), call(3))
        assert not np.array_equal(call(3), call(4))
    assert df.sample(SCORE, 5, dim=2, steps=3, schedule=VP, seed=None).seed >= 0
