"""Score-based diffusion models in low dimensions, with exact scores.

Noising and its reversal
------------------------
Data x_0 in R^d is noised by a linear SDE dx = f(t) x dt + g(t) dW on
t in [0, 1]. Its marginal given x_0 is Gaussian,

    x_t = alpha(t) x_0 + sigma(t) z,    z ~ N(0, I),

so the noised density p_t is the data density scaled by alpha and blurred by
sigma. Two families (:func:`schedule`):

* ``"vp"`` (variance preserving, an Ornstein-Uhlenbeck process): beta(t) =
  beta_min + t (beta_max - beta_min), f = -beta/2, g^2 = beta,
  alpha = exp(-B/2) with B = integral of beta, sigma^2 = 1 - alpha^2;
* ``"ve"`` (variance exploding): f = 0, alpha = 1, sigma(t)^2 =
  sigma_min^2 ((sigma_max / sigma_min)^(2t) - 1), g^2 = d sigma^2 / dt.

The reverse-time SDE dx = [f x - g^2 s] dt + g dW (Anderson's theorem) and
the probability-flow ODE dx/dt = f x - g^2 s / 2 have the marginals p_t when
s = grad log p_t is the exact score. Samplers run from t = 1, starting from
the prior N(0, I) (VP) or N(0, sigma(1)^2 I) (VE), down to a small t_end,
and so sample p_{t_end}: the data blurred by sigma(t_end).

Scores are vectorized callables ``score(x, t)`` on an (n, d) array and a
scalar time. The library's scores (:func:`gmm_score`, :func:`empirical_score`,
:func:`gaussian_score`) are exact for their distributions, so every error a
sampler shows is the sampler's own.

Guidance convention
-------------------
Classifier-free guidance with weight w uses (1 + w) s_cond - w s_uncond, the
score of the gamma-powered density p(x|c)^gamma p(x)^(1 - gamma) with
gamma = 1 + w at each noise level (:func:`cfg_score`).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.integrate import solve_ivp
from scipy.special import log_ndtr
from scipy.stats import betaprime, chi2

from ._validation import check_choice, check_int, check_real, check_real_array, check_work
from .random import resolve_seed

SAMPLERS = ("reverse-sde", "pf-ode", "ddim", "predictor-corrector")
SCHEDULES = ("vp", "ve")
NOISES = ("gaussian", "uniform", "laplace")
MAX_WORK = 5e9  # particle-steps times score components: about ten seconds
# kernel terms below exp(-36) of the largest (2e-16, machine precision) are skipped
NEGLIGIBLE = -36.0


# --------------------------------------------------------------------------
# noise schedules
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Schedule:
    """A noise schedule (:func:`schedule`); its methods accept scalar or array times in [0, 1].

    Attributes
    ----------
    kind : {"vp", "ve"}
    beta_min, beta_max : float
        VP rates (unused for VE).
    sigma_min, sigma_max : float
        VE noise scales (unused for VP).
    """

    kind: str
    beta_min: float
    beta_max: float
    sigma_min: float
    sigma_max: float

    def _integral(self, t):
        return self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t * t

    def alpha(self, t):
        """Mean scale alpha(t): x_t = alpha x_0 + sigma z."""
        t = np.asarray(t, dtype=float)
        if self.kind == "vp":
            return np.exp(-0.5 * self._integral(t))
        return np.ones_like(t)

    def sigma(self, t):
        """Noise scale sigma(t)."""
        t = np.asarray(t, dtype=float)
        if self.kind == "vp":
            return np.sqrt(-np.expm1(-self._integral(t)))
        ratio = self.sigma_max / self.sigma_min
        return self.sigma_min * np.sqrt(np.expm1(2 * t * math.log(ratio)))

    def f(self, t):
        """Drift coefficient: the forward drift is f(t) x."""
        t = np.asarray(t, dtype=float)
        if self.kind == "vp":
            return -0.5 * (self.beta_min + t * (self.beta_max - self.beta_min))
        return np.zeros_like(t)

    def g2(self, t):
        """Squared diffusion coefficient g(t)^2."""
        t = np.asarray(t, dtype=float)
        if self.kind == "vp":
            return self.beta_min + t * (self.beta_max - self.beta_min)
        log_ratio = math.log(self.sigma_max / self.sigma_min)
        return 2 * log_ratio * self.sigma_min**2 * np.exp(2 * t * log_ratio)

    def time_grid(self, steps, t_start=1.0, t_end=1e-3):
        """Decreasing times t_start = t_0 > ... > t_steps = t_end, evenly spaced in log(sigma / alpha).

        Even steps in the log signal-to-noise ratio put many steps at small t,
        where the score of concentrated data is stiff; a grid even in t would
        make the last Euler steps overshoot.
        """
        dense = np.geomspace(t_end, t_start, 4000)
        lam = np.log(self.sigma(dense) / self.alpha(dense))
        targets = np.linspace(lam[-1], lam[0], steps + 1)
        times = np.interp(targets, lam, dense)
        times[0], times[-1] = t_start, t_end
        return times

    @property
    def prior_std(self):
        """Standard deviation of the Gaussian the samplers start from at t = 1."""
        return 1.0 if self.kind == "vp" else float(self.sigma(1.0))


def schedule(kind="vp", *, beta_min=0.1, beta_max=20.0, sigma_min=0.01, sigma_max=10.0):
    """A VP (Ornstein-Uhlenbeck) or VE noise schedule on t in [0, 1].

    Parameters
    ----------
    kind : {"vp", "ve"}
    beta_min, beta_max : float
        VP: linear rate beta(t) = beta_min + t (beta_max - beta_min), with
        0 < beta_min <= beta_max <= 100. The defaults leave alpha(1) = 0.0066,
        so the noised data at t = 1 is the prior N(0, I) to within 0.7 %.
    sigma_min, sigma_max : float
        VE: geometric noise scales, 0 < sigma_min < sigma_max <= 1e4. sigma_max
        should be several times the spread of the data.

    Returns
    -------
    Schedule
    """
    check_choice("kind", kind, SCHEDULES)
    beta_min = check_real("beta_min", beta_min, low=0.0, high=100.0, low_open=True)
    beta_max = check_real("beta_max", beta_max, low=beta_min, high=100.0)
    sigma_min = check_real("sigma_min", sigma_min, low=0.0, high=1e4, low_open=True)
    sigma_max = check_real("sigma_max", sigma_max, low=sigma_min, high=1e4, low_open=True)
    return Schedule(kind, beta_min, beta_max, sigma_min, sigma_max)


def _check_schedule(sch):
    if not isinstance(sch, Schedule):
        raise TypeError(f"schedule must be a Schedule from diffusion.schedule(), got {sch!r}")
    return sch


def _check_time(t, name="t"):
    return check_real(name, t, low=0.0, high=1.0, low_open=True)


# --------------------------------------------------------------------------
# Gaussian mixtures and their exact scores
# --------------------------------------------------------------------------
@njit(cache=True)
def _softmax_average(logw, rows, out, i):
    """out[i] = sum_j e^(logw_j) rows_j / sum_j e^(logw_j), computed stably.

    Returns (m, S) with sum_j e^(logw_j) = e^m S. Terms below e^NEGLIGIBLE times the largest are skipped.
    """
    best = -np.inf
    for j in range(logw.size):
        if logw[j] > best:
            best = logw[j]
    d = out.shape[1]
    for a in range(d):
        out[i, a] = 0.0
    total = 0.0
    for j in range(logw.size):
        if logw[j] - best < NEGLIGIBLE:
            continue
        r = math.exp(logw[j] - best)
        total += r
        for a in range(d):
            out[i, a] += r * rows[j, a]
    for a in range(d):
        out[i, a] /= total
    return best, total


@njit(cache=True)
def _mixture(x, log_w, means, prec, half_logdet, score, logp, want_logp):
    """Score (and, if want_logp, log-density) of a Gaussian mixture with given precisions, one particle at a time."""
    n, d = x.shape
    K = means.shape[0]
    logr = np.empty(K)
    g = np.empty((K, d))
    for i in range(n):
        for k in range(K):
            q = 0.0
            for a in range(d):
                acc = 0.0
                for b in range(d):
                    acc += prec[k, a, b] * (x[i, b] - means[k, b])
                g[k, a] = -acc
                q += acc * (x[i, a] - means[k, a])
            logr[k] = log_w[k] - half_logdet[k] - 0.5 * q
        best, total = _softmax_average(logr, g, score, i)
        if want_logp:
            logp[i] = best + math.log(total) - 0.5 * d * math.log(2 * math.pi)


def _check_mixture(weights, means, covs):
    means = check_real_array("means", means, ndim=2)
    K, d = means.shape
    if d > 16:
        raise ValueError(f"means must have at most 16 columns (dimensions), got {d}")
    weights = check_real_array("weights", weights, ndim=1, low=0.0)
    if weights.size != K:
        raise ValueError(f"weights must have one entry per row of means ({K}), got {weights.size}")
    if weights.sum() <= 0:
        raise ValueError("weights must not all be zero")
    covs = check_real_array("covs", covs, ndim=3)
    if covs.shape != (K, d, d):
        raise ValueError(f"covs must have shape {(K, d, d)} (one d x d covariance per component), got {covs.shape}")
    if not np.allclose(covs, np.swapaxes(covs, 1, 2), atol=1e-12):
        raise ValueError("covs must be symmetric")
    if np.any(np.linalg.eigvalsh(covs)[:, 0] < 0):
        raise ValueError("covs must be positive semi-definite")
    return weights / weights.sum(), means, covs


def _check_points(x, d, name="x"):
    x = check_real_array(name, x, ndim=2)
    if x.shape[1] != d:
        raise ValueError(f"{name} must have {d} columns (the data dimension), got shape {x.shape}")
    return np.ascontiguousarray(x)


def diffused_gmm(t, weights, means, covs, *, schedule):
    """The Gaussian mixture p_t: each component N(alpha mu_k, alpha^2 C_k + sigma^2 I).

    Parameters
    ----------
    t : float in [0, 1]
    weights : array_like (K,)
        Mixture weights (normalized here).
    means : array_like (K, d)
    covs : array_like (K, d, d)
        Component covariances, symmetric positive semi-definite.
    schedule : Schedule

    Returns
    -------
    (weights, means, covs) of p_t.
    """
    sch = _check_schedule(schedule)
    t = check_real("t", t, low=0.0, high=1.0)
    weights, means, covs = _check_mixture(weights, means, covs)
    a, s = float(sch.alpha(t)), float(sch.sigma(t))
    return weights, a * means, a * a * covs + s * s * np.eye(means.shape[1])


def _mixture_terms(x, weights, means, covs, want_logp):
    chol = np.linalg.cholesky(covs)  # raises for a singular component: the caller adds noise first
    prec = np.linalg.inv(covs)
    half_logdet = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    score = np.empty_like(x)
    logp = np.empty(x.shape[0] if want_logp else 0)
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    _mixture(x, log_w, np.ascontiguousarray(means), np.ascontiguousarray(prec), half_logdet, score, logp, want_logp)
    return score, logp


def _diffused_terms(x, t, weights, means, covs, schedule, want_logp):
    sch = _check_schedule(schedule)
    t = _check_time(t)
    weights, means, covs = diffused_gmm(t, weights, means, covs, schedule=sch)
    x = _check_points(x, means.shape[1])
    check_work("gmm_score (points * components * d^2)", float(x.shape[0]) * means.shape[0] * means.shape[1] ** 2,
               MAX_WORK)
    return _mixture_terms(x, weights, means, covs, want_logp)


def gmm_score(x, t, weights, means, covs, *, schedule):
    """Exact score grad log p_t(x) of a Gaussian mixture noised to time t.

    Parameters
    ----------
    x : array_like (n, d)
    t : float in (0, 1]
    weights, means, covs
        The data mixture (see :func:`diffused_gmm`).
    schedule : Schedule

    Returns
    -------
    ndarray (n, d)
    """
    return _diffused_terms(x, t, weights, means, covs, schedule, False)[0]


def gmm_log_density(x, t, weights, means, covs, *, schedule):
    """log p_t(x) of a Gaussian mixture noised to time t (normalized); arguments as :func:`gmm_score`."""
    return _diffused_terms(x, t, weights, means, covs, schedule, True)[1]


def gmm_sample(n, weights, means, covs, *, seed=None):
    """n independent draws from a Gaussian mixture (weights normalized here); returns ndarray (n, d)."""
    n = check_int("n", n, low=1, high=10**7)
    weights, means, covs = _check_mixture(weights, means, covs)
    rng = np.random.default_rng(resolve_seed(seed))
    labels = rng.choice(weights.size, size=n, p=weights)
    roots = np.linalg.cholesky(covs + 1e-300 * np.eye(means.shape[1]))
    z = rng.standard_normal((n, means.shape[1]))
    return means[labels] + np.einsum("nij,nj->ni", roots[labels], z)


def gaussian_score(x, t, mean, cov, *, schedule):
    """Score of the Gaussian N(mean, cov) noised to time t: -(alpha^2 cov + sigma^2 I)^(-1) (x - alpha mean).

    Used with the data's mean and covariance it is the Gaussian (linear)
    approximation of a score. Arguments as :func:`gmm_score`, with mean (d,) and cov (d, d).
    """
    sch = _check_schedule(schedule)
    t = _check_time(t)
    mean = check_real_array("mean", mean, ndim=1)
    cov = check_real_array("cov", cov, ndim=2)
    d = mean.size
    if cov.shape != (d, d):
        raise ValueError(f"cov must have shape {(d, d)}, got {cov.shape}")
    x = _check_points(x, d)
    a, s = float(sch.alpha(t)), float(sch.sigma(t))
    c = a * a * cov + s * s * np.eye(d)
    return -np.linalg.solve(c, (x - a * mean).T).T


# --------------------------------------------------------------------------
# the empirical (kernel) score and its posterior moments
# --------------------------------------------------------------------------
@njit(cache=True)
def _kernel_posterior(x, data, alpha, sigma, h, direction, want_cov, mean, cov_dir):
    """Posterior mean of x_0 given x_t, and (if want_cov) Cov[x_0 | x_t] @ direction, for a Gaussian kernel
    density of data.

    Component j is N(y_j, h^2 I); given it, x_0 | x_t is Gaussian with mean
    mu_j = (1 - alpha k) y_j + k x, k = alpha h^2 / c, c = alpha^2 h^2 + sigma^2, and covariance
    h^2 sigma^2 / c. Both moments follow from the weighted moments of the y_j.
    """
    n, d = x.shape
    M = data.shape[0]
    c = alpha * alpha * h * h + sigma * sigma
    k = alpha * h * h / c
    keep = 1.0 - alpha * k
    within = h * h * sigma * sigma / c
    logr = np.empty(M)
    ybar = np.empty((1, d))
    yproj = np.empty(d)
    for i in range(n):
        for j in range(M):
            q = 0.0
            for a in range(d):
                diff = x[i, a] - alpha * data[j, a]
                q += diff * diff
            logr[j] = -0.5 * q / c
        best, total = _softmax_average(logr, data, ybar, 0)
        for a in range(d):
            mean[i, a] = keep * ybar[0, a] + k * x[i, a]
        if want_cov:
            proj_mean = 0.0
            yproj[:] = 0.0
            for j in range(M):
                p = math.exp(logr[j] - best) / total
                proj = 0.0
                for a in range(d):
                    proj += data[j, a] * direction[a]
                proj_mean += p * proj
                for a in range(d):
                    yproj[a] += p * data[j, a] * proj
            for a in range(d):
                cov_dir[i, a] = keep * keep * (yproj[a] - ybar[0, a] * proj_mean) + within * direction[a]


def _posterior(x, t, data, schedule, bandwidth, direction=None):
    sch = _check_schedule(schedule)
    t = _check_time(t)
    data = check_real_array("data", data, ndim=2)
    M, d = data.shape
    x = _check_points(x, d)
    h = check_real("bandwidth", bandwidth, low=0.0)
    check_work("empirical_score (points * data points * d)", float(x.shape[0]) * M * d, MAX_WORK)
    a, s = float(sch.alpha(t)), float(sch.sigma(t))
    mean = np.empty_like(x)
    cov_dir = np.empty_like(x) if direction is not None else np.empty((0, d))
    u = np.zeros(d) if direction is None else direction
    _kernel_posterior(x, np.ascontiguousarray(data), a, s, h, u, direction is not None, mean, cov_dir)
    return x, a, s, mean, cov_dir


def empirical_score(x, t, data, *, schedule, bandwidth=0.0):
    """Exact score of the training set's empirical distribution, noised to time t.

    With ``bandwidth`` h > 0 it is the score of the kernel density estimate
    (1/M) sum_i N(y_i, h^2 I) instead. Computed through Tweedie's formula,
    s = (alpha E[x_0 | x_t] - x_t) / sigma^2.

    Parameters
    ----------
    x : array_like (n, d)
    t : float in (0, 1]
    data : array_like (M, d)
        Training points y_i.
    schedule : Schedule
    bandwidth : float >= 0

    Returns
    -------
    ndarray (n, d)
        At small t it points at the nearest training point: sampling with it
        reproduces the training set (memorization).
    """
    x, a, s, mean, _ = _posterior(x, t, data, schedule, bandwidth)
    return (a * mean - x) / (s * s)


def posterior_mean(x, t, data, *, schedule, bandwidth=0.0):
    """Tweedie's denoiser E[x_0 | x_t] for the empirical (or kernel) distribution of ``data``; arguments as
    :func:`empirical_score`."""
    return _posterior(x, t, data, schedule, bandwidth)[3]


def event_score(x, t, data, *, schedule, bandwidth, direction, threshold):
    """Approximate score of the kernel model conditioned on the event <direction, x_0> > threshold.

    The conditional score is s_t(x) + grad log P(E | x_t). P(E | x_t) is
    approximated by Phi((m - a) / v^(1/2)) with m and v the exact posterior
    mean and variance of <u, x_0> given x_t (a Gaussian posterior matched in
    two moments). Its gradient uses grad m = (alpha / sigma^2) Cov[x_0 | x_t] u
    (Tweedie's second-order identity) and holds v fixed. As t -> 0 the
    posterior narrows and the approximation tends to the exact conditional.

    Parameters
    ----------
    x, t, data, schedule, bandwidth
        As :func:`empirical_score`; ``bandwidth`` must be > 0.
    direction : array_like (d,)
        Unit vector u (normalized here).
    threshold : float

    Returns
    -------
    ndarray (n, d)
    """
    u = check_real_array("direction", direction, ndim=1)
    norm = float(np.linalg.norm(u))
    if norm == 0:
        raise ValueError("direction must not be the zero vector")
    u = u / norm
    threshold = check_real("threshold", threshold)
    check_real("bandwidth", bandwidth, low=0.0, low_open=True)
    if np.ndim(data) != 2 or np.shape(data)[1] != u.size:
        raise ValueError(f"direction must have one entry per column of data, got {u.size} entries")
    x, a, s, mean, cov_dir = _posterior(x, t, data, schedule, bandwidth, u)
    m = mean @ u
    v = np.maximum(cov_dir @ u, 1e-300)
    z = (m - threshold) / np.sqrt(v)
    ratio = np.exp(-0.5 * z * z - 0.5 * math.log(2 * math.pi) - log_ndtr(z))  # phi(z) / Phi(z), stable
    grad_m = (a / (s * s)) * cov_dir
    return (a * mean - x) / (s * s) + (ratio / np.sqrt(v))[:, None] * grad_m


# --------------------------------------------------------------------------
# samplers
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Samples:
    """Output of :func:`sample`.

    Attributes
    ----------
    x : ndarray (n, d)
        Final particles, at time ``times[-1]``.
    times : ndarray (steps + 1,)
        The decreasing time grid.
    path : ndarray (steps + 1, record, d)
        Trajectories of the first ``record`` particles (empty if none).
    seed : int
    """

    x: np.ndarray
    times: np.ndarray
    path: np.ndarray
    seed: int


def _moves(sampler, score, guidance, sch, t, s, corrector_steps):
    """One step from t down to s as a list of (deterministic map, variance of the isotropic noise added after it).

    Every map is affine in x when the score is, which :func:`affine_moments` uses.
    """
    h = t - s
    f_t, g2_t, f_s, g2_s = float(sch.f(t)), float(sch.g2(t)), float(sch.f(s)), float(sch.g2(s))
    if sampler == "reverse-sde":
        return [(lambda x: x - h * (f_t * x - g2_t * score(x, t)), g2_t * h)]
    if sampler == "pf-ode":
        def heun(x):
            v = f_t * x - 0.5 * g2_t * score(x, t)
            x1 = x - h * v
            return x - 0.5 * h * (v + f_s * x1 - 0.5 * g2_s * score(x1, s))
        return [(heun, 0.0)]
    a_t, s_t, a_s, s_s = float(sch.alpha(t)), float(sch.sigma(t)), float(sch.alpha(s)), float(sch.sigma(s))

    def ddim(x):
        x0 = (x + s_t * s_t * score(x, t)) / a_t
        return a_s * x0 + (s_s / s_t) * (x - a_t * x0)
    if sampler == "ddim":
        return [(ddim, 0.0)]
    # predictor-corrector: DDIM, then Langevin steps at time s whose total step g^2 h / 2 makes the pair
    # a reverse-SDE step in the limit of small h
    eps = 0.5 * g2_s * h / corrector_steps
    target = score if guidance is None else guidance
    return [(ddim, 0.0)] + [(lambda x: x + eps * target(x, s), 2 * eps)] * corrector_steps


def _check_sampling(score, sampler, steps, schedule, guidance, t_start, t_end, corrector_steps):
    if not callable(score):
        raise TypeError(f"score must be a callable score(x, t), got {score!r}")
    if guidance is not None and not callable(guidance):
        raise TypeError(f"guidance must be None or a callable score(x, t), got {guidance!r}")
    check_choice("sampler", sampler, SAMPLERS)
    if guidance is not None and sampler != "predictor-corrector":
        raise ValueError("guidance (the corrector's score) applies only to sampler='predictor-corrector'")
    steps = check_int("steps", steps, low=1, high=100_000)
    sch = _check_schedule(schedule)
    t_start = check_real("t_start", t_start, low=0.0, high=1.0, low_open=True)
    t_end = check_real("t_end", t_end, low=0.0, high=t_start, low_open=True, high_open=True)
    corrector_steps = check_int("corrector_steps", corrector_steps, low=1, high=100)
    return steps, sch, sch.time_grid(steps, t_start, t_end), corrector_steps


def _check_score_output(score, x, t, name="score"):
    """A score must map (m, d) particles to an (m, d) array of finite numbers; checked on two particles."""
    probe = np.asarray(score(x[:2], t))
    if probe.shape != x[:2].shape:
        raise ValueError(f"{name}(x, t) must return an array of the shape of x, {x[:2].shape} for two particles, "
                         f"got shape {probe.shape}")
    if not np.all(np.isfinite(probe)):
        raise ValueError(f"{name}(x, t) returned non-finite values at t = {t:g}")


def sample(score, n, *, dim, sampler="reverse-sde", steps=500, schedule, guidance=None, t_start=1.0, t_end=1e-3,
           x_init=None, corrector_steps=1, record=0, seed=None):
    """Generate particles by running a sampler from t_start down to t_end.

    Parameters
    ----------
    score : callable
        ``score(x, t)`` -> (n, d) array, vectorized over the rows of x.
    n : int
        Number of particles, 1 to 10^6.
    dim : int
        Data dimension d, 1 to 16.
    sampler : {"reverse-sde", "pf-ode", "ddim", "predictor-corrector"}
        * ``"reverse-sde"``: Euler-Maruyama on the reverse SDE (DDPM's continuous limit), error O(h);
        * ``"pf-ode"``: Heun's method on the probability-flow ODE, error O(h^2);
        * ``"ddim"``: deterministic DDIM, x_s = alpha_s x0 + (sigma_s / sigma_t)(x_t - alpha_t x0) with
          Tweedie's x0 = (x_t + sigma_t^2 s) / alpha_t; it is exact for a point mass;
        * ``"predictor-corrector"``: a DDIM step, then ``corrector_steps`` Langevin steps on ``guidance``
          (default: ``score``) of total size g^2 h / 2.
    steps : int
        Number of steps, evenly spaced in log(sigma / alpha) (:meth:`Schedule.time_grid`).
    schedule : Schedule
    guidance : callable, optional
        The corrector's score (predictor-corrector only). With the
        conditional score as ``score`` and the (2 gamma - 1)-powered score
        here it is the predictor-corrector reading of classifier-free guidance.
    t_start, t_end : float
        1 >= t_start > t_end > 0. Starting below 1 needs ``x_init``.
    x_init : array_like (n, d), optional
        Starting particles (default: draws from the schedule's prior).
    corrector_steps : int
    record : int
        Keep the trajectories of the first ``record`` particles.
    seed : int or None

    Returns
    -------
    Samples
    """
    steps, sch, times, corrector_steps = _check_sampling(score, sampler, steps, schedule, guidance, t_start, t_end,
                                                         corrector_steps)
    n = check_int("n", n, low=1, high=10**6)
    d = check_int("dim", dim, low=1, high=16)
    record = check_int("record", record, low=0, high=n)
    check_work("sample (particles * steps * dim)", float(n) * steps * d * corrector_steps, MAX_WORK / 10)
    seed = resolve_seed(seed)
    rng = np.random.default_rng(seed)
    if x_init is None:
        if t_start < 1.0:
            raise ValueError("starting below t = 1 needs x_init (the prior is the t = 1 distribution)")
        x = sch.prior_std * rng.standard_normal((n, d))
    else:
        x = _check_points(x_init, d, "x_init").copy()
        if x.shape[0] != n:
            raise ValueError(f"x_init must have n = {n} rows, got {x.shape[0]}")
    _check_score_output(score, x, times[0])
    if guidance is not None:
        _check_score_output(guidance, x, times[0], "guidance")
    path = np.empty((steps + 1, record, d))
    path[0] = x[:record]
    for k in range(steps):
        for move, variance in _moves(sampler, score, guidance, sch, times[k], times[k + 1], corrector_steps):
            x = move(x)
            if variance > 0:
                x = x + math.sqrt(variance) * rng.standard_normal((n, d))
        path[k + 1] = x[:record]
    if not np.all(np.isfinite(x)):
        raise FloatingPointError("the sampler diverged (non-finite particles); use more steps")
    return Samples(x=x, times=times, path=path, seed=seed)


def affine_moments(score, mean, cov, *, sampler="reverse-sde", steps=500, schedule, guidance=None, t_start=1.0,
                   t_end=1e-3, corrector_steps=1):
    """Exact mean and covariance of a sampler's output when the score is affine in x (Gaussian data).

    Each sampler step is then an affine map plus Gaussian noise, so a
    Gaussian start stays Gaussian: the moments are pushed through the very
    step functions :func:`sample` uses, with no sampling noise. The result
    is the sampler's distribution at finite step size, including its
    discretization bias.

    Parameters
    ----------
    score : callable
        An affine score, e.g. :func:`gaussian_score` or :func:`cfg_score` of two of them.
    mean : array_like (d,)
    cov : array_like (d, d)
        Moments of the starting particles (the prior: zero and prior_std^2 I).
    sampler, steps, schedule, guidance, t_start, t_end, corrector_steps
        As :func:`sample`.

    Returns
    -------
    (mean, cov) : ndarray (d,), ndarray (d, d)
    """
    steps, sch, times, corrector_steps = _check_sampling(score, sampler, steps, schedule, guidance, t_start, t_end,
                                                         corrector_steps)
    m = check_real_array("mean", mean, ndim=1)
    P = check_real_array("cov", cov, ndim=2)
    d = m.size
    if P.shape != (d, d):
        raise ValueError(f"cov must have shape {(d, d)}, got {P.shape}")
    eye = np.eye(d)
    for k in range(steps):
        for move, variance in _moves(sampler, score, guidance, sch, times[k], times[k + 1], corrector_steps):
            image = move(np.vstack([m, m + eye]))
            A = (image[1:] - image[0]).T  # columns: images of the unit vectors, exact for an affine map
            m = image[0]
            P = A @ P @ A.T + variance * eye
    return m, 0.5 * (P + P.T)


# --------------------------------------------------------------------------
# classifier-free guidance on Gaussians
# --------------------------------------------------------------------------
def cfg_score(cond_score, uncond_score, w):
    """Classifier-free guidance: the score (1 + w) s_cond - w s_uncond.

    Parameters
    ----------
    cond_score, uncond_score : callable
        Scores ``score(x, t)``.
    w : float
        Guidance weight, -1 <= w <= 100; w = 0 is the conditional score. At
        each noise level this is the score of p_t(x|c)^(1+w) p_t(x)^(-w).

    Returns
    -------
    callable
    """
    for name, fn in (("cond_score", cond_score), ("uncond_score", uncond_score)):
        if not callable(fn):
            raise TypeError(f"{name} must be a callable score(x, t), got {fn!r}")
    w = check_real("w", w, low=-1.0, high=100.0)

    def guided(x, t):
        return (1 + w) * cond_score(x, t) - w * uncond_score(x, t)
    return guided


def _check_gaussian(name, mean, cov):
    mean = check_real_array(f"{name} mean", mean, ndim=1)
    cov = check_real_array(f"{name} cov", cov, ndim=2)
    if cov.shape != (mean.size, mean.size):
        raise ValueError(f"{name} cov must have shape {(mean.size, mean.size)}, got {cov.shape}")
    if np.any(np.linalg.eigvalsh(0.5 * (cov + cov.T)) <= 0):
        raise ValueError(f"{name} cov must be positive definite")
    return mean, cov


def tilted_gaussian(mean_c, cov_c, mean_u, cov_u, gamma):
    """Mean and covariance of p(x|c)^gamma p(x)^(1 - gamma) for Gaussian p(x|c) and p(x).

    Raises ``ValueError`` when gamma Cov_c^-1 + (1 - gamma) Cov_u^-1 is not
    positive definite (the power is then not normalizable).
    """
    mean_c, cov_c = _check_gaussian("conditional", mean_c, cov_c)
    mean_u, cov_u = _check_gaussian("unconditional", mean_u, cov_u)
    gamma = check_real("gamma", gamma, low=-100.0, high=100.0)
    pc, pu = np.linalg.inv(cov_c), np.linalg.inv(cov_u)
    prec = gamma * pc + (1 - gamma) * pu
    if np.any(np.linalg.eigvalsh(0.5 * (prec + prec.T)) <= 0):
        raise ValueError(f"gamma = {gamma}: the powered density is not normalizable (precision not positive)")
    cov = np.linalg.inv(prec)
    return cov @ (gamma * pc @ mean_c + (1 - gamma) * pu @ mean_u), cov


def cfg_gaussian(mean_c, cov_c, mean_u, cov_u, w, *, schedule, sampler="pf-ode", t_end=1e-3):
    """Output distribution of classifier-free guidance on Gaussian data, in the limit of small steps.

    With Gaussian p(x|c) and p(x) the guided score is affine in x, so the
    output is Gaussian. Its mean and covariance solve linear moment ODEs from
    the prior at t = 1 down to t_end (scipy's DOP853, rtol 1e-10).

    Parameters
    ----------
    mean_c, cov_c, mean_u, cov_u
        The conditional and unconditional data Gaussians.
    w : float
        Guidance weight (gamma = 1 + w), as :func:`cfg_score`.
    schedule : Schedule
    sampler : {"pf-ode", "reverse-sde"}
        DDIM's limit is the probability-flow ODE; DDPM's is the reverse SDE.
    t_end : float

    Returns
    -------
    (mean, cov)
        Neither sampler gives :func:`tilted_gaussian` with gamma = 1 + w.
    """
    mean_c, cov_c = _check_gaussian("conditional", mean_c, cov_c)
    mean_u, cov_u = _check_gaussian("unconditional", mean_u, cov_u)
    d = mean_c.size
    if mean_u.size != d:
        raise ValueError(f"the two Gaussians must have the same dimension, got {d} and {mean_u.size}")
    w = check_real("w", w, low=-1.0, high=100.0)
    sch = _check_schedule(schedule)
    check_choice("sampler", sampler, ("pf-ode", "reverse-sde"))
    t_end = check_real("t_end", t_end, low=0.0, high=1.0, low_open=True, high_open=True)
    kappa, noise = (0.5, 0.0) if sampler == "pf-ode" else (1.0, 1.0)
    eye = np.eye(d)

    def rhs(t, y):
        a, s = float(sch.alpha(t)), float(sch.sigma(t))
        pc = np.linalg.inv(a * a * cov_c + s * s * eye)
        pu = np.linalg.inv(a * a * cov_u + s * s * eye)
        A = (1 + w) * pc - w * pu  # score = -A x + b
        b = a * ((1 + w) * pc @ mean_c - w * pu @ mean_u)
        f, g2 = float(sch.f(t)), float(sch.g2(t))
        J = f * eye + kappa * g2 * A
        m, P = y[:d], y[d:].reshape(d, d)
        return np.concatenate([J @ m - kappa * g2 * b, (J @ P + P @ J.T - noise * g2 * eye).ravel()])

    y0 = np.concatenate([np.zeros(d), (sch.prior_std**2 * eye).ravel()])
    sol = solve_ivp(rhs, (1.0, t_end), y0, method="DOP853", rtol=1e-10, atol=1e-12)
    y = sol.y[:, -1]
    P = y[d:].reshape(d, d)
    return y[:d], 0.5 * (P + P.T)


# --------------------------------------------------------------------------
# Feynman-Kac correctors
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class FKResult:
    """Output of :func:`fk_correct`.

    Attributes
    ----------
    x : ndarray (n, d)
        Final particles.
    weights : ndarray (n,)
        Normalized importance weights of the final particles (uniform right after a resampling).
    ess : ndarray (steps + 1,)
        Effective sample size fraction before each resampling decision.
    log_normalizer : float
        Estimate of log of the integral of prod_i p_i^(a_i) at t_end.
    resamples : int
    seed : int
    """

    x: np.ndarray
    weights: np.ndarray
    ess: np.ndarray
    log_normalizer: float
    resamples: int
    seed: int


def _systematic(weights, rng):
    positions = (rng.random() + np.arange(weights.size)) / weights.size
    return np.minimum(np.searchsorted(np.cumsum(weights), positions), weights.size - 1)


def fk_correct(scores, n, *, exponents, dim, steps=500, schedule, ess_threshold=0.5, t_end=1e-3, seed=None):
    """Sample prod_i p_i^(a_i) with Feynman-Kac corrector weights and SMC resampling.

    The particles follow the reverse SDE with the mixed score S = sum_i a_i s_i
    (naive score mixing). That alone samples the wrong distribution, because
    prod_i p_{i,t}^(a_i) is not the noised version of the target. Each
    particle therefore carries a log-weight that grows by G h per step,

        G = (A - 1) d f(t) + (g^2 / 2) (S.S - sum_i a_i s_i.s_i),   A = sum_i a_i,

    from the Feynman-Kac formula for the sequence pi_t = prod_i p_{i,t}^(a_i)
    (annealing p^beta: one score with a = beta; a product of experts: a = (1, 1)).
    The particles start from pi_1 = q^A, q the Gaussian prior, which is exact
    insofar as p_{i,1} is the prior. When the effective sample size
    falls below ``ess_threshold * n`` the particles are resampled
    (systematic), and the average weight enters the normalizer estimate.

    Parameters
    ----------
    scores : sequence of callable
        Scores s_i(x, t) of the noised p_i.
    n : int
    exponents : sequence of float
        a_i > 0, one per score, with A = sum a_i <= 20.
    dim, steps, schedule, t_end, seed
        As :func:`sample`.
    ess_threshold : float in [0, 1]
        0 never resamples (plain importance weights).

    Returns
    -------
    FKResult
    """
    if callable(scores):
        scores = [scores]
    scores = list(scores)
    if not scores or not all(callable(s) for s in scores):
        raise TypeError("scores must be a non-empty sequence of callables score(x, t)")
    a = check_real_array("exponents", exponents, ndim=1, low=0.0, low_open=True)
    if a.size != len(scores):
        raise ValueError(f"exponents must have one entry per score ({len(scores)}), got {a.size}")
    total = float(a.sum())
    if total > 20:
        raise ValueError(f"the exponents must sum to at most 20, got {total}")
    n = check_int("n", n, low=2, high=10**6)
    d = check_int("dim", dim, low=1, high=16)
    steps = check_int("steps", steps, low=1, high=100_000)
    sch = _check_schedule(schedule)
    ess_threshold = check_real("ess_threshold", ess_threshold, low=0.0, high=1.0)
    t_end = check_real("t_end", t_end, low=0.0, high=1.0, low_open=True, high_open=True)
    check_work("fk_correct (particles * steps * dim * scores)", float(n) * steps * d * len(scores), MAX_WORK / 10)
    seed = resolve_seed(seed)
    rng = np.random.default_rng(seed)
    q = sch.prior_std
    # pi_1 = prior^A is the Gaussian N(0, q^2 / A), with integral (2 pi q^2)^(d (1 - A)/2) A^(-d/2): drawn exactly
    x = q / math.sqrt(total) * rng.standard_normal((n, d))
    logw = np.zeros(n)
    log_z, resamples = 0.5 * d * (1 - total) * math.log(2 * math.pi * q * q) - 0.5 * d * math.log(total), 0
    times = sch.time_grid(steps, 1.0, t_end)
    ess = np.empty(steps + 1)

    def rate(x, t):
        """Mixed score and weight rate G at (x, t)."""
        each = [s(x, t) for s in scores]
        S = sum(ai * si for ai, si in zip(a, each))
        G = (total - 1) * d * float(sch.f(t)) + 0.5 * float(sch.g2(t)) * (
            np.sum(S * S, axis=1) - sum(ai * np.sum(si * si, axis=1) for ai, si in zip(a, each)))
        return S, G

    S, G = rate(x, 1.0)
    for k in range(steps + 1):
        if k > 0:  # trapezoidal rule for the weights: second half of the previous step
            S, G = rate(x, times[k])
            logw = logw + 0.5 * (times[k - 1] - times[k]) * G
        shift = logw.max()
        w = np.exp(logw - shift)
        ess[k] = w.sum() ** 2 / np.sum(w * w) / n
        if k == steps:
            break
        if ess[k] < ess_threshold:
            log_z += shift + math.log(w.mean())
            keep = _systematic(w / w.sum(), rng)
            x, S, G = x[keep], S[keep], G[keep]
            logw = np.zeros(n)
            resamples += 1
        t, h = times[k], times[k] - times[k + 1]
        f, g2 = float(sch.f(t)), float(sch.g2(t))
        logw = logw + 0.5 * h * G
        x = x - h * (f * x - g2 * S) + math.sqrt(g2 * h) * rng.standard_normal((n, d))
    log_z += shift + math.log(w.mean())
    if not np.all(np.isfinite(x)):
        raise FloatingPointError("the sampler diverged (non-finite particles); use more steps")
    return FKResult(x=x, weights=w / w.sum(), ess=ess, log_normalizer=log_z, resamples=resamples, seed=seed)


# --------------------------------------------------------------------------
# PFGM++: D extra dimensions
# --------------------------------------------------------------------------
@njit(cache=True)
def _pfgm_velocity(x, data, sigma, D, out):
    """dx/d(log sigma) = x - sum_j w_j y_j / sum_j w_j for the empirical field of data, with r = sigma sqrt(D).

    w_j = (|x - y_j|^2 + r^2)^(-(N + D)/2), or exp(-|x - y_j|^2 / (2 sigma^2)) for D = inf.
    """
    n, d = x.shape
    M = data.shape[0]
    logw = np.empty(M)
    for i in range(n):
        for j in range(M):
            q = 0.0
            for a in range(d):
                diff = x[i, a] - data[j, a]
                q += diff * diff
            if math.isinf(D):
                logw[j] = -0.5 * q / (sigma * sigma)
            else:
                logw[j] = -0.5 * (d + D) * math.log1p(q / (sigma * sigma * D))
        _softmax_average(logw, data, out, i)
        for a in range(d):
            out[i, a] = x[i, a] - out[i, a]


def _check_extra_dimensions(D):
    if isinstance(D, (bool, np.bool_)) or not isinstance(D, numbers.Real):
        raise TypeError(f"D must be a real number >= 1 or math.inf, got {D!r}")
    if D == math.inf:
        return math.inf
    return check_real("D", D, low=1.0)


def pfgm_prior_radius(u, sigma, D, d):
    """Radii of the PFGM++ prior at noise level sigma (r = sigma sqrt(D)) from uniforms u, by inversion.

    The prior density in R^d is proportional to (R^2 + r^2)^(-(d + D)/2), R the
    norm of x, so R^2 / r^2 has the beta-prime distribution (d/2, D/2). For
    D = inf it is the Gaussian N(0, sigma^2 I): R^2 / sigma^2 is chi-squared with d degrees.
    Drawing through the same uniforms couples the priors of different D.
    """
    u = check_real_array("u", u, low=0.0, high=1.0)
    sigma = check_real("sigma", sigma, low=0.0, low_open=True)
    d = check_int("d", d, low=1, high=16)
    D = _check_extra_dimensions(D)
    if math.isinf(D):
        return sigma * np.sqrt(chi2.ppf(u, d))
    return sigma * math.sqrt(D) * np.sqrt(betaprime.ppf(u, d / 2, D / 2))


@dataclass(frozen=True)
class PFGMSamples:
    """Output of :func:`pfgm_sample`: final particles ``x`` (n, d), their starting points ``x_init``, ``seed``."""

    x: np.ndarray
    x_init: np.ndarray
    seed: int


def pfgm_sample(data, D, n, *, steps=100, sigma_max=10.0, sigma_end=0.01, field_noise=0.0, seed=None):
    """PFGM++ sampling with the exact electric field of a training set in d + D dimensions.

    The data y_j sit at the origin of D extra dimensions; r is the norm of the
    extra coordinates. Following the field from r_max down to r_end moves x by

        dx/dr = sum_j w_j (x - y_j) / (r sum_j w_j),   w_j = (R_j^2 + r^2)^(-(d + D)/2),

    with R_j the distance from x to y_j.

    With r = sigma sqrt(D) this is, for every D, an ODE in sigma; as D -> inf
    the weights become Gaussian and it is the VE probability-flow ODE with
    the empirical score (pass ``D=math.inf``). Heun steps are uniform in log sigma.

    Parameters
    ----------
    data : array_like (M, d)
        Training points; their spread should be well below ``sigma_max``.
    D : float >= 1 or math.inf
    n : int
    steps : int
    sigma_max, sigma_end : float
        Start and end noise levels, sigma_max > sigma_end > 0.
    field_noise : float >= 0
        Relative modelling error: each velocity evaluation is multiplied by
        (1 + field_noise * xi), xi ~ N(0, 1) per particle and coordinate.
    seed : int or None
        The same seed gives the same uniforms and directions for every D
        (coupled priors).

    Returns
    -------
    PFGMSamples
    """
    data = np.ascontiguousarray(check_real_array("data", data, ndim=2))
    M, d = data.shape
    if d > 16:
        raise ValueError(f"data must have at most 16 columns, got {d}")
    D = _check_extra_dimensions(D)
    n = check_int("n", n, low=1, high=10**6)
    steps = check_int("steps", steps, low=1, high=100_000)
    sigma_max = check_real("sigma_max", sigma_max, low=0.0, high=1e4, low_open=True)
    sigma_end = check_real("sigma_end", sigma_end, low=0.0, high=sigma_max, low_open=True, high_open=True)
    field_noise = check_real("field_noise", field_noise, low=0.0, high=10.0)
    check_work("pfgm_sample (particles * steps * data points * d)", 2.0 * n * steps * M * d, MAX_WORK)
    seed = resolve_seed(seed)
    rng = np.random.default_rng(seed)
    direction = rng.standard_normal((n, d))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    u = rng.random(n)
    x = pfgm_prior_radius(u, sigma_max, D, d)[:, None] * direction
    x_init = x.copy()
    noise = np.random.default_rng([seed, 1])
    v1, v2 = np.empty_like(x), np.empty_like(x)
    logs = np.linspace(math.log(sigma_max), math.log(sigma_end), steps + 1)

    def velocity(y, sigma, out):
        _pfgm_velocity(y, data, sigma, float(D), out)
        if field_noise:
            out *= 1 + field_noise * noise.standard_normal(out.shape)
        return out

    for k in range(steps):
        h = logs[k + 1] - logs[k]
        velocity(x, math.exp(logs[k]), v1)
        x1 = x + h * v1
        velocity(x1, math.exp(logs[k + 1]), v2)
        x = x + 0.5 * h * (v1 + v2)
    return PFGMSamples(x=x, x_init=x_init, seed=seed)


# --------------------------------------------------------------------------
# serial reproduction
# --------------------------------------------------------------------------
def _noise_density(kind, e, scale):
    """Unnormalized density of the noise e (standard deviation ``scale``)."""
    if kind == "gaussian":
        return np.exp(-0.5 * (e / scale) ** 2)
    if kind == "uniform":
        return (np.abs(e) <= math.sqrt(3.0) * scale).astype(float)
    return np.exp(-math.sqrt(2.0) * np.abs(e) / scale)


def _draw_noise(kind, scale, size, rng):
    if kind == "gaussian":
        return scale * rng.standard_normal(size)
    if kind == "uniform":
        return math.sqrt(3.0) * scale * rng.uniform(-1.0, 1.0, size)
    return scale / math.sqrt(2.0) * rng.laplace(size=size)


def serial_reproduction(weights, means, sds, n, generations, *, noise="gaussian", scale=1.0, x0=0.0, seed=None):
    """Iterated noisy copying with a Bayesian reproducer, in one dimension.

    Each generation, a stimulus x is perceived with additive noise (y = x + e,
    e of standard deviation ``scale`` from the chosen family), and the next
    stimulus is drawn from the posterior p(x | y), proportional to
    prior(x) p_e(y - x), with a Gaussian-mixture prior. The chain is a Gibbs
    sampler of the joint p(x) p(y | x), so for every noise family its
    stationary distribution is the prior; the noise scale sets how fast it
    gets there. Posterior draws are exact, by rejection from the noise density
    around y; the rare chains deep in the prior's tails fall back to inverse
    sampling on a grid of 4001 points spanning +- 8 noise scales.

    Parameters
    ----------
    weights, means, sds : array_like (K,)
        The prior's mixture weights (normalized here), means and standard deviations.
    n : int
        Number of independent chains.
    generations : int
    noise : {"gaussian", "uniform", "laplace"}
    scale : float > 0
        Noise standard deviation.
    x0 : float
        The first stimulus, shared by every chain.
    seed : int or None

    Returns
    -------
    ndarray (generations + 1, n)
        The stimuli of every generation.
    """
    weights = check_real_array("weights", weights, ndim=1, low=0.0)
    means = check_real_array("means", means, ndim=1)
    sds = check_real_array("sds", sds, ndim=1, low=0.0, low_open=True)
    if not weights.size == means.size == sds.size:
        raise ValueError("weights, means and sds must have the same length")
    if weights.sum() <= 0:
        raise ValueError("weights must not all be zero")
    n = check_int("n", n, low=1, high=100_000)
    generations = check_int("generations", generations, low=1, high=10_000)
    check_choice("noise", noise, NOISES)
    scale = check_real("scale", scale, low=0.0, low_open=True)
    x0 = check_real("x0", x0)
    check_work("serial_reproduction (chains * generations * components)", float(n) * generations * weights.size,
               1e8)
    rng = np.random.default_rng(resolve_seed(seed))
    weights = weights / weights.sum()

    def prior(x):
        return sum(wk / sk * np.exp(-0.5 * ((x - mk) / sk) ** 2) for wk, mk, sk in zip(weights, means, sds))

    bound = float(np.sum(weights / sds))  # prior(x) <= bound everywhere
    out = np.empty((generations + 1, n))
    out[0] = x0
    x = np.full(n, x0)
    for k in range(generations):
        y = x + _draw_noise(noise, scale, n, rng)
        # exact posterior draws by rejection: propose x = y - e with e from the (symmetric) noise
        # family, accept with probability prior(x) / bound
        pending = np.arange(n)
        for _ in range(50):
            proposal = y[pending] - _draw_noise(noise, scale, pending.size, rng)
            accept = rng.random(pending.size) * bound < prior(proposal)
            x[pending[accept]] = proposal[accept]
            pending = pending[~accept]
            if pending.size == 0:
                break
        if pending.size:  # the few chains far out in the prior's tails: inverse CDF on a fine grid
            grid = y[pending, None] - np.linspace(-8 * scale, 8 * scale, 4001)
            cdf = np.cumsum(prior(grid) * _noise_density(noise, y[pending, None] - grid, scale), axis=1)
            pick = np.sum(cdf < rng.random(pending.size)[:, None] * cdf[:, -1:], axis=1)
            x[pending] = grid[np.arange(pending.size), np.minimum(pick, grid.shape[1] - 1)]
        out[k + 1] = x
    return out
