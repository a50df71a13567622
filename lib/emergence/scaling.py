"""Neural scaling laws from solvable models, model collapse, and fitting scaling laws to data.

The power-law random-feature problem
------------------------------------
Data x in R^d has independent Gaussian coordinates x_j ~ N(0, j^(-2 alpha))
(the data spectrum) and the target is y = <x, b> with b_j = j^(-beta) (the
target's coefficients), truncated at d. A model with N parameters predicts
<z, theta> from the random features z = W^T x, with W_ij ~ N(0, 1/N) drawn
once per problem (the first N columns of one matrix, so models of different
sizes share features). The population loss is

    L(theta) = (1/2) E[(<z, theta> - y)^2] = (1/2) (v^T K v + sigma_N^2),

where K = W^T diag(j^(-2 alpha)) W is the feature covariance, v = theta -
theta* the distance to the best N-feature predictor theta*, and sigma_N^2 / 2
the part of the target no N-feature model can represent (the capacity
floor). Because x is Gaussian, the features z and the residual y - <z,
theta*> are independent Gaussians; in the eigenbasis of K the features are
independent with variances k_i. The trainers use that exact representation,
which costs O(N) per sample instead of O(d N).

Compute is counted as one multiply-add per parameter per sample:
``flops_per_step = batch * n_params``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit
from scipy.optimize import brentq, least_squares

from ._optim import adam_step
from ._validation import check_choice, check_int, check_real, check_real_array, check_work
from .random import resolve_seed
from .stats import power_law_fit

MAX_DIMENSION = 4000
MAX_SGD_WORK = 2e9  # feature updates, about ten seconds


# --------------------------------------------------------------------------
# the power-law random-feature problem
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class PowerLawProblem:
    """A power-law random-feature problem (:func:`power_law_problem`).

    Attributes
    ----------
    d, alpha, beta, seed
    spectrum : ndarray (d,)
        Data variances j^(-2 alpha).
    target : ndarray (d,)
        Target coefficients j^(-beta).
    features : ndarray (d, d)
        Unscaled Gaussian feature matrix; a model of size N uses the first N
        columns divided by sqrt(N).
    """

    d: int
    alpha: float
    beta: float
    seed: int
    spectrum: np.ndarray
    target: np.ndarray
    features: np.ndarray
    _models: dict = field(default_factory=dict, repr=False, compare=False)

    def model(self, n_params):
        """The feature covariance of an N-parameter model, in its eigenbasis.

        Computed once per size (an SVD of a d x N matrix) and kept with the problem.

        Returns
        -------
        FeatureModel
        """
        n = check_int("n_params", n_params, low=1, high=self.d)
        if n not in self._models:
            self._models[n] = self._model(n)
        return self._models[n]

    def _model(self, n):
        # K = A^T A with A = D^(1/2) W; the SVD of A keeps the small eigenvalues of K accurate
        root = np.sqrt(self.spectrum)
        A = root[:, None] * self.features[:, :n] / math.sqrt(n)
        Q, s, Vt = np.linalg.svd(A, full_matrices=False)
        k = s**2
        rhs = root * self.target
        projected = Q.T @ rhs
        keep = s > s.max() * 1e-12
        theta = np.zeros(n)
        theta[keep] = projected[keep] / s[keep]
        total = float(rhs @ rhs)
        floor = float(np.sum((rhs - Q[:, keep] @ projected[keep]) ** 2))
        return FeatureModel(n, k, theta, floor, total)


@dataclass(frozen=True)
class FeatureModel:
    """An N-feature model of a :class:`PowerLawProblem` in the eigenbasis of its feature covariance.

    Attributes
    ----------
    n_params : int
    k : ndarray (N,)
        Eigenvalues of K.
    theta_star : ndarray (N,)
        The best predictor's coordinates in that eigenbasis.
    residual_variance : float
        sigma_N^2 = E[(y - <z, theta*>)^2]; the capacity floor of the loss is half of it.
    target_variance : float
        E[y^2]; the loss at theta = 0 is half of it.
    """

    n_params: int
    k: np.ndarray
    theta_star: np.ndarray
    residual_variance: float
    target_variance: float

    @property
    def capacity_floor(self):
        """The lowest loss an N-parameter model can reach, sigma_N^2 / 2."""
        return self.residual_variance / 2


def power_law_problem(d, *, alpha, beta, seed=None):
    """The solvable power-law random-feature problem of the module docstring.

    Parameters
    ----------
    d : int in [2, 4000]
        Data dimension (where the power laws are truncated); models have at most d parameters.
    alpha : float in (0, 4]
        Data spectrum exponent: Var x_j = j^(-2 alpha).
    beta : float in (-1, 4]
        Target exponent: b_j = j^(-beta). 2 (alpha + beta) > 1 keeps the
        target's variance finite as d grows.
    seed : int or None
        Seeds the feature matrix.

    Returns
    -------
    PowerLawProblem
    """
    d = check_int("d", d, low=2, high=MAX_DIMENSION)
    alpha = check_real("alpha", alpha, low=0.0, high=4.0, low_open=True)
    beta = check_real("beta", beta, low=-1.0, high=4.0, low_open=True)
    seed = resolve_seed(seed)
    j = np.arange(1, d + 1, dtype=float)
    features = np.random.default_rng(seed).standard_normal((d, d))
    return PowerLawProblem(d, alpha, beta, seed, j ** (-2 * alpha), j**-beta, features)


def _check_problem(problem):
    if not isinstance(problem, PowerLawProblem):
        raise TypeError(f"problem must be a PowerLawProblem (from power_law_problem), got {type(problem).__name__}")
    return problem


def stability_limit(model, batch=1):
    """The largest learning rate at which one-pass SGD's expected loss stays bounded.

    The second moments of :func:`loss_theory` evolve by a diagonal matrix plus
    the rank-one noise term (lr^2 / B) k k^T; its spectral radius is below 1
    exactly when lr < 2 B / ((B + 1) k_max) and
    (lr / B) sum_i k_i / (2 - lr k_i (1 + 1/B)) < 1.

    Parameters
    ----------
    model : FeatureModel
    batch : int, >= 1

    Returns
    -------
    float
    """
    if not isinstance(model, FeatureModel):
        raise TypeError(f"model must be a FeatureModel (from PowerLawProblem.model), got {type(model).__name__}")
    batch = check_int("batch", batch, low=1, high=10_000)
    k = model.k[model.k > 0]
    top = 2 * batch / ((batch + 1) * k.max())

    def excess(lr):
        return lr / batch * np.sum(k / (2 - lr * k * (1 + 1 / batch))) - 1

    return brentq(excess, 0.0, top * (1 - 1e-12), xtol=1e-14) if excess(top * (1 - 1e-12)) > 0 else top


def _check_training(model, steps, lr, batch):
    steps = check_int("steps", steps, low=1, high=10**8)
    batch = check_int("batch", batch, low=1, high=10_000)
    limit = stability_limit(model, batch)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    if lr >= limit:
        raise ValueError(f"lr must be in (0, {limit:.4g}), the mean-square stability limit of SGD on this model "
                         f"(see stability_limit), got {lr}")
    return steps, lr, batch


def _record_steps(steps, points):
    """About ``points`` log-spaced steps from 1 to ``steps`` (and 0), where the loss is recorded."""
    marks = np.unique(np.round(np.geomspace(1, steps, points)).astype(np.int64))
    return np.concatenate([[0], marks])


@dataclass(frozen=True)
class LossCurve:
    """Population loss along training.

    Attributes
    ----------
    steps : ndarray of int
        Steps after which the loss was recorded (0 = initialization).
    loss : ndarray
        Population loss L(theta_t), including the capacity floor.
    n_params, batch : int
    flops : ndarray
        Compute spent: steps * batch * n_params.
    seed : int or None
    """

    steps: np.ndarray
    loss: np.ndarray
    n_params: int
    batch: int
    flops: np.ndarray
    seed: int | None = None


@njit(cache=True)
def _sgd_block(v, root, noise_sd, lr, draws, first_step, marks, out, next_mark):
    """Advance SGD through the steps of one block of pre-drawn normals; record the loss at ``marks``.

    ``draws`` has shape (steps, batch, N + 1): per sample, N feature normals and one residual normal.
    Returns the index of the next mark to record.
    """
    n = v.size
    batch = draws.shape[1]
    grad = np.empty(n)
    for s in range(draws.shape[0]):
        for i in range(n):
            grad[i] = 0.0
        for b in range(batch):
            r = -noise_sd * draws[s, b, n]
            for i in range(n):
                r += root[i] * draws[s, b, i] * v[i]
            for i in range(n):
                grad[i] += r * root[i] * draws[s, b, i]
        for i in range(n):
            v[i] -= lr / batch * grad[i]
        step = first_step + s + 1
        while next_mark < marks.size and marks[next_mark] == step:
            loss = noise_sd * noise_sd
            for i in range(n):
                loss += root[i] * root[i] * v[i] * v[i]
            out[next_mark] = 0.5 * loss
            next_mark += 1
    return next_mark


def train_sgd(problem, n_params, steps, *, lr, batch=1, points=60, seed=None):
    """One-pass SGD from theta = 0 on an N-feature model of ``problem``; the population loss along the way.

    Every step draws ``batch`` fresh samples (one pass: no sample is reused)
    and moves theta by -lr times the mean gradient of (1/2)(<z, theta> - y)^2.
    Samples are drawn exactly in the eigenbasis of K (module docstring).

    Parameters
    ----------
    problem : PowerLawProblem
    n_params : int in [1, d]
    steps : int, >= 1
    lr : float
        Learning rate, below :func:`stability_limit`.
    batch : int, >= 1
    points : int
        About how many log-spaced steps to record the loss at.
    seed : int or None

    Returns
    -------
    LossCurve
    """
    model = _check_problem(problem).model(n_params)
    steps, lr, batch = _check_training(model, steps, lr, batch)
    points = check_int("points", points, low=2, high=10_000)
    check_work("train_sgd", steps * batch * model.n_params, MAX_SGD_WORK)
    seed = resolve_seed(seed)
    marks = _record_steps(steps, points)
    out = np.empty(marks.size)
    root = np.sqrt(model.k)
    noise_sd = math.sqrt(model.residual_variance)
    v = -model.theta_star.copy()  # theta starts at 0
    out[0] = 0.5 * (float(np.sum(model.k * v**2)) + model.residual_variance)
    gen = np.random.default_rng(seed)
    block = max(1, 2_000_000 // (batch * (model.n_params + 1)))  # normals drawn by numpy, 16 MB at a time
    next_mark = 1
    for first in range(0, steps, block):
        draws = gen.standard_normal((min(block, steps - first), batch, model.n_params + 1))
        next_mark = _sgd_block(v, root, noise_sd, lr, draws, first, marks, out, next_mark)
    return LossCurve(marks, out, model.n_params, batch, marks * batch * model.n_params, seed)


@njit(cache=True)
def _expected_sgd_loss(k, m0, noise_var, lr, batch, marks, out, with_noise):
    """The second-moment recursion of :func:`loss_theory`, one step at a time.

    :func:`loss_theory` jumps through it in closed form; this direct version is
    the reference that closed form is tested (and benchmarked) against.
    """
    m = m0.copy()
    step = 0
    for r in range(marks.size):
        while step < marks[r]:
            excess = noise_var
            for i in range(k.size):
                excess += k[i] * m[i]
            for i in range(k.size):
                shrink = 1.0 - lr * k[i]
                old = m[i]
                m[i] = shrink * shrink * old
                if with_noise:
                    m[i] += lr * lr / batch * (k[i] * k[i] * old + k[i] * excess)
            step += 1
        loss = noise_var
        for i in range(k.size):
            loss += k[i] * m[i]
        out[r] = 0.5 * loss


def _expected_loss_closed_form(k, m0, noise_var, lr, batch, marks, with_noise):
    """The same recursion as :func:`_expected_sgd_loss`, jumped to each mark through its eigenvectors.

    m_{t+1} = T m_t + c with T = diag((1 - lr k)^2 + (lr^2/B) k^2) + (lr^2/B) k k^T symmetric,
    so m_t = m_inf + V diag(lam^t) V^T (m_0 - m_inf): O(N^3) once, then O(N) per mark.
    """
    g2 = lr * lr / batch if with_noise else 0.0
    diag = (1 - lr * k) ** 2 + g2 * k**2
    T = np.diag(diag) + g2 * np.outer(k, k)
    lam, V = np.linalg.eigh(T)
    m_inf = np.linalg.solve(np.eye(k.size) - T, g2 * noise_var * k)
    weights = (V.T @ k) * (V.T @ (m0 - m_inf))
    base = 0.5 * (k @ m_inf + noise_var)
    with np.errstate(under="ignore"):
        powers = np.power.outer(np.clip(lam, 0.0, None), marks.astype(float))
    return base + 0.5 * weights @ powers


def loss_theory(problem, n_params, steps, *, lr, batch=1, points=60, noise=True):
    """The expected population loss of :func:`train_sgd`, averaged over the samples, exactly.

    For Gaussian features the second moments m_i = E[v_i^2] in the eigenbasis
    of K close on themselves under one-pass SGD:

        m_i <- (1 - lr k_i)^2 m_i + (lr^2 / B) (k_i^2 m_i + k_i (sum_j k_j m_j + sigma_N^2)),

    and L = (1/2)(sum_i k_i m_i + sigma_N^2). This is the discrete-time form
    of the Volterra equation for the risk used by *4+3 Phases of
    Compute-Optimal Neural Scaling Laws*. The approximation, relative to that
    paper, is the other way round: it is exact for the drawn features, with K
    diagonalized numerically, instead of replacing K's spectrum by its
    deterministic equivalent as N -> infinity. Fluctuations between feature
    draws are small for large N (self-averaging). The linear recursion is
    solved in closed form through the eigenvectors of its (symmetric) matrix,
    so the cost does not grow with ``steps``.

    Parameters
    ----------
    problem, n_params, steps, lr, batch, points : as for :func:`train_sgd`
    noise : bool
        False drops the lr^2 terms: the loss of gradient descent on the
        population loss with the same learning rate (no SGD noise).

    Returns
    -------
    LossCurve
    """
    model = _check_problem(problem).model(n_params)
    steps, lr, batch = _check_training(model, steps, lr, batch)
    points = check_int("points", points, low=2, high=10_000)
    marks = _record_steps(steps, points)
    loss = _expected_loss_closed_form(model.k, model.theta_star**2, model.residual_variance, lr, batch, marks,
                                      bool(noise))
    return LossCurve(marks, loss, model.n_params, batch, marks * batch * model.n_params)


def ridge_loss(problem, n_params, n_samples, *, ridge=1e-8, seed=None):
    """Population loss of ridge regression on ``n_samples`` fresh samples with an N-feature model.

    theta = argmin (1/2n) sum (<z, theta> - y)^2 + (ridge/2) <theta, theta>, solved
    exactly, with samples drawn in the eigenbasis of K as in :func:`train_sgd`.
    With few samples the loss is limited by the data (D), with few features
    by the model (N); the four regimes of *Explaining Neural Scaling Laws*.

    Parameters
    ----------
    problem : PowerLawProblem
    n_params : int in [1, d]
    n_samples : int in [1, 10^6]
    ridge : float, > 0
    seed : int or None

    Returns
    -------
    float
    """
    model = _check_problem(problem).model(n_params)
    n_samples = check_int("n_samples", n_samples, low=1, high=1_000_000)
    ridge = check_real("ridge", ridge, low=0.0, high=1e6, low_open=True)
    check_work("ridge_loss", n_samples * model.n_params**2, 1e10)
    gen = np.random.default_rng(resolve_seed(seed))
    Z = gen.standard_normal((n_samples, model.n_params)) * np.sqrt(model.k)
    residual = math.sqrt(model.residual_variance) * gen.standard_normal(n_samples)
    y = Z @ model.theta_star + residual
    theta = np.linalg.solve(Z.T @ Z / n_samples + ridge * np.eye(model.n_params), Z.T @ y / n_samples)
    v = theta - model.theta_star
    return 0.5 * (float(np.sum(model.k * v**2)) + model.residual_variance)


# --------------------------------------------------------------------------
# compute-optimal frontier
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Frontier:
    """The lower envelope of loss curves against compute (:func:`compute_optimal_frontier`).

    Attributes
    ----------
    flops : ndarray
        Log-spaced compute budgets, from the smallest to the largest compute of any curve.
    loss : ndarray
        Lowest loss reached at each budget by any model size.
    best_params : ndarray
        The model size reaching it.
    loss_exponent, params_exponent : float
        Fitted exponents of loss ~ flops^(-loss_exponent) over ``fit_range`` and
        N* ~ flops^params_exponent at the budgets in it where N* steps up.
    loss_exponent_error, params_exponent_error : float
    fit_range : tuple
        (low, high) compute range of the fits.
    """

    flops: np.ndarray
    loss: np.ndarray
    best_params: np.ndarray
    loss_exponent: float
    loss_exponent_error: float
    params_exponent: float
    params_exponent_error: float
    fit_range: tuple


def compute_optimal_frontier(losses, n_params_grid, flops_per_step, *, points=200, skip=0.0):
    """The compute-optimal frontier of a family of loss curves.

    Each model size's loss curve is interpolated in log-log coordinates on
    a common grid of compute budgets; the frontier is the lowest loss over
    model sizes at each budget. A power law is fitted to the frontier's loss
    over the budgets between the first and the last change of optimal size
    (where the envelope is set by the competition of model sizes, not by one
    curve's end), and one to the optimal size at the budgets where it steps
    up (at least three steps are needed; otherwise the exponent is NaN).

    Parameters
    ----------
    losses : sequence of LossCurve or of (steps, loss) pairs
        One curve per model size, steps >= 1 used.
    n_params_grid : array_like of int
        The model sizes, in the order of ``losses``.
    flops_per_step : float or array_like
        Compute per training step of each model (a scalar c means c * N).
    points : int
    skip : float in [0, 1)
        Fraction of the fit window (in log compute), from its low end, left
        out of the fits: small models are far from their asymptotic regime.

    Returns
    -------
    Frontier
    """
    skip = check_real("skip", skip, low=0.0, high=1.0, high_open=True)
    sizes = check_real_array("n_params_grid", n_params_grid, ndim=1, low=1.0)
    if len(losses) != sizes.size or sizes.size < 2:
        raise ValueError(f"losses and n_params_grid must have the same length >= 2, got {len(losses)} and {sizes.size}")
    per_step = np.asarray(flops_per_step, dtype=float)
    per_step = per_step * sizes if per_step.ndim == 0 else check_real_array("flops_per_step", per_step, ndim=1, low=0.0,
                                                                             low_open=True)
    if per_step.size != sizes.size:
        raise ValueError(f"flops_per_step must be a scalar or have length {sizes.size}")
    points = check_int("points", points, low=10, high=100_000)
    curves = []
    for c, f in zip(losses, per_step):
        steps, loss = (c.steps, c.loss) if isinstance(c, LossCurve) else map(np.asarray, c)
        keep = steps >= 1
        curves.append((np.log(steps[keep] * f), np.log(check_real_array("loss", loss[keep], low=0.0, low_open=True))))
    low = min(c[0][0] for c in curves)
    high = max(c[0][-1] for c in curves)
    grid = np.linspace(low, high, points)
    table = np.full((len(curves), points), np.inf)
    for i, (x, y) in enumerate(curves):
        inside = (grid >= x[0]) & (grid <= x[-1])
        table[i, inside] = np.interp(grid[inside], x, y)
    best = np.argmin(table, axis=0)
    envelope = table[best, np.arange(points)]
    changes = np.flatnonzero(np.diff(best) != 0)
    if changes.size >= 2:
        a, b = changes[0] + 1, changes[-1] + 1
    else:
        a, b = 0, points - 1
    a += int(skip * (b - a))
    window = slice(a, b + 1)
    flops = np.exp(grid)
    loss_fit = power_law_fit(flops[window], np.exp(envelope[window])) if b - a >= 3 else None
    # N* is a staircase: fit the budgets at which it steps up (where a larger model starts to win)
    steps_up = changes[changes + 1 >= a]
    size_fit = power_law_fit(flops[steps_up + 1], sizes[best[steps_up + 1]]) if steps_up.size >= 3 else None
    return Frontier(flops, np.exp(envelope), sizes[best],
                    -loss_fit.slope if loss_fit else math.nan, loss_fit.slope_error if loss_fit else math.nan,
                    size_fit.slope if size_fit else math.nan, size_fit.slope_error if size_fit else math.nan,
                    (float(flops[a]), float(flops[b])))


#: The terms of the loss whose competition sets the compute-optimal regime.
LOSS_TERMS = ("capacity", "optimization", "SGD noise")


@dataclass(frozen=True)
class PhaseSweep:
    """Compute-optimal exponents over a grid of (alpha, beta) (:func:`compute_optimal_phases`).

    Attributes
    ----------
    alphas, betas : ndarray
    loss_exponent, params_exponent : ndarray (len(betas), len(alphas))
        The frontier's exponents (:class:`Frontier`) at each grid point.
    dominant : ndarray of str (len(betas), len(alphas))
        The largest of ``LOSS_TERMS`` at the frontier's largest fitted budget:
        the capacity floor, the excess of noiseless gradient descent over it,
        or the extra loss from SGD noise.
    """

    alphas: np.ndarray
    betas: np.ndarray
    loss_exponent: np.ndarray
    params_exponent: np.ndarray
    dominant: np.ndarray


def compute_optimal_phases(alphas, betas, *, sizes=(16, 32, 64, 128, 256), d=768, steps=400_000, lr_fraction=0.5,
                           seed=None):
    """Sweep (alpha, beta): the exact compute-optimal frontier and the loss term that dominates it.

    For each grid point a :func:`power_law_problem` of dimension ``d`` is
    drawn, the expected loss curves of every model size are computed with
    :func:`loss_theory` at ``lr_fraction`` times the smallest
    :func:`stability_limit`, and their frontier is measured.

    Parameters
    ----------
    alphas, betas : array_like
        Grid values; every pair needs 2 (alpha + beta) > 1.
    sizes : sequence of int
        Model sizes, at most d.
    d, steps : int
    lr_fraction : float in (0, 1)
    seed : int or None
        The same feature matrix seed at every grid point.

    Returns
    -------
    PhaseSweep
    """
    alphas = check_real_array("alphas", alphas, ndim=1, low=0.0, low_open=True)
    betas = check_real_array("betas", betas, ndim=1, low=-1.0, low_open=True)
    if np.any(2 * (alphas[None, :] + betas[:, None]) <= 1):
        raise ValueError("every grid point needs 2 (alpha + beta) > 1 for a finite loss")
    sizes = [check_int("sizes", n, low=1, high=d) for n in sizes]
    if len(sizes) < 3:
        raise ValueError(f"sizes needs at least 3 model sizes, got {len(sizes)}")
    lr_fraction = check_real("lr_fraction", lr_fraction, low=0.0, high=1.0, low_open=True, high_open=True)
    seed = resolve_seed(seed)
    shape = (betas.size, alphas.size)
    eta, xi = np.full(shape, np.nan), np.full(shape, np.nan)
    dominant = np.empty(shape, dtype=object)
    for i, b in enumerate(betas):
        for j, a in enumerate(alphas):
            problem = power_law_problem(d, alpha=a, beta=b, seed=seed)
            lr = lr_fraction * min(stability_limit(problem.model(n)) for n in sizes)
            curves = [loss_theory(problem, n, steps, lr=lr, points=60) for n in sizes]
            front = compute_optimal_frontier(curves, sizes, 1.0)
            eta[i, j], xi[i, j] = front.loss_exponent, front.params_exponent
            top = np.searchsorted(front.flops, front.fit_range[1]) - 1
            n_star = int(front.best_params[top])
            t_star = max(1, int(front.flops[top] / n_star))
            full = loss_theory(problem, n_star, t_star, lr=lr, points=2).loss[-1]
            quiet = loss_theory(problem, n_star, t_star, lr=lr, points=2, noise=False).loss[-1]
            floor = problem.model(n_star).capacity_floor
            terms = (floor, quiet - floor, full - quiet)
            dominant[i, j] = LOSS_TERMS[int(np.argmax(terms))]
    return PhaseSweep(alphas, betas, eta, xi, dominant)


# --------------------------------------------------------------------------
# model collapse
# --------------------------------------------------------------------------
def ols_risk(n, d, sigma):
    """Expected excess test risk E[(w_hat - w)^T (w_hat - w)] of least squares with n isotropic Gaussian samples in d dimensions.

    With x ~ N(0, I_d) and label noise of variance sigma^2 it is
    sigma^2 d / (n - d - 1) (the mean of an inverse Wishart matrix), for n > d + 1.
    """
    n = check_int("n", n, low=1)
    d = check_int("d", d, low=1)
    sigma = check_real("sigma", sigma, low=0.0)
    if n <= d + 1:
        raise ValueError(f"n must exceed d + 1 = {d + 1} for a finite risk, got n = {n}")
    return sigma**2 * d / (n - d - 1)


@dataclass(frozen=True)
class CollapseResult:
    """Test risk across generations of recursive regression (:func:`recursive_ols`).

    Attributes
    ----------
    generation : ndarray of int
        0 is the model trained on real labels.
    risk : ndarray
        Excess test risk, the squared distance of w_g from w*, of each generation.
    theory : ndarray
        (g + 1) sigma^2 d / (n - d - 1) without fresh data; with a fresh
        fraction f, the large-n recursion E_g = (1 - f)^2 E_{g-1} + sigma^2 d / (n - d - 1).
    seed : int
    """

    generation: np.ndarray
    risk: np.ndarray
    theory: np.ndarray
    seed: int


def recursive_ols(n, d, sigma, generations, *, fresh_fraction=0.0, seed=None):
    """Least squares retrained, generation after generation, on labels made by the previous generation.

    Generation 0 fits n samples labelled by the true w* plus noise. Each
    later generation draws n new inputs, labels a fraction 1 - f of them
    with the previous model plus fresh noise and the rest (``fresh_fraction``
    f) with the truth plus noise, and refits. Errors of successive
    generations add up: without fresh data the risk grows linearly,
    (g + 1) sigma^2 d / (n - d - 1), the regression model collapse of
    *Model Collapse Demystified: The Case of Regression*.

    Parameters
    ----------
    n, d : int, n > d + 1
    sigma : float, >= 0
    generations : int in [0, 10000]
    fresh_fraction : float in [0, 1]
    seed : int or None

    Returns
    -------
    CollapseResult
    """
    risk0 = ols_risk(n, d, sigma)
    generations = check_int("generations", generations, low=0, high=10_000)
    f = check_real("fresh_fraction", fresh_fraction, low=0.0, high=1.0)
    check_work("recursive_ols", (generations + 1) * n * d * d, 1e10)
    seed = resolve_seed(seed)
    gen = np.random.default_rng(seed)
    w_true = gen.standard_normal(d) / math.sqrt(d)
    w = w_true
    risks = np.empty(generations + 1)
    n_fresh = int(round(f * n))
    for g in range(generations + 1):
        X = gen.standard_normal((n, d))
        teacher = np.tile(w, (n, 1)) if g else np.tile(w_true, (n, 1))
        if g:
            teacher[:n_fresh] = w_true
        y = np.sum(X * teacher, axis=1) + sigma * gen.standard_normal(n)
        w = np.linalg.lstsq(X, y, rcond=None)[0]
        risks[g] = float(np.sum((w - w_true) ** 2))
    theory = np.empty(generations + 1)
    theory[0] = risk0
    for g in range(1, generations + 1):
        theory[g] = (1 - n_fresh / n) ** 2 * theory[g - 1] + risk0
    return CollapseResult(np.arange(generations + 1), risks, theory, seed)


@dataclass(frozen=True)
class TailCut:
    """Learning curves of a memorizing learner on Zipf-distributed data (:func:`zipf_tail_cut`).

    Attributes
    ----------
    samples : ndarray of int
        Training-set sizes T.
    error : ndarray
        Measured test error: the true probability mass of items never seen in training.
    theory : ndarray
        sum_i p_i (1 - q_i)^T with p the true and q the training distribution.
    clean_theory : ndarray
        The same without the cut (q = p).
    seed : int
    """

    samples: np.ndarray
    error: np.ndarray
    theory: np.ndarray
    clean_theory: np.ndarray
    seed: int


def zipf_tail_cut(samples, *, exponent=1.0, cutoff=None, n_items=100_000, seed=None):
    """A memorizing learner on Zipf data whose training distribution lost its tail.

    Items i = 1..n_items have true probabilities p_i proportional to
    i^(-(1 + exponent)). Training data come from q: p truncated to the top
    ``cutoff`` items and renormalized, as when a generation of models is
    trained on the output of a previous model that no longer produces rare
    items (*A Tale of Tails: Model Collapse as a Change of Scaling Laws*). The
    learner knows exactly the items it has seen, so its test error is the
    true mass of unseen items. Without the cut it falls as T^(-exponent/(1 +
    exponent)); with it, the curve bends to a plateau at the lost mass.

    Parameters
    ----------
    samples : array_like of int
        Training-set sizes T (each drawn independently).
    exponent : float in (0, 10]
    cutoff : int or None
        Number of items kept in the training distribution (None: no cut).
    n_items : int in [10, 10^7]
    seed : int or None

    Returns
    -------
    TailCut
    """
    T = check_real_array("samples", samples, ndim=1, low=1.0)
    if np.any(T != np.round(T)):
        raise ValueError("samples must be whole numbers")
    exponent = check_real("exponent", exponent, low=0.0, high=10.0, low_open=True)
    n_items = check_int("n_items", n_items, low=10, high=10_000_000)
    cutoff = n_items if cutoff is None else check_int("cutoff", cutoff, low=1, high=n_items)
    check_work("zipf_tail_cut", float(T.sum()) + n_items * T.size, 1e9)
    seed = resolve_seed(seed)
    gen = np.random.default_rng(seed)
    p = np.arange(1, n_items + 1, dtype=float) ** -(1 + exponent)
    p /= p.sum()
    q = np.zeros_like(p)
    q[:cutoff] = p[:cutoff] / p[:cutoff].sum()
    error = np.empty(T.size)
    for i, t in enumerate(T.astype(np.int64)):
        seen = np.zeros(n_items, dtype=bool)
        seen[gen.choice(n_items, size=t, p=q)] = True
        error[i] = p[~seen].sum()
    theory = np.array([np.sum(p * (1 - q) ** t) for t in T])
    clean = np.array([np.sum(p * (1 - p) ** t) for t in T])
    return TailCut(T.astype(np.int64), error, theory, clean, seed)


# --------------------------------------------------------------------------
# fitting scaling laws
# --------------------------------------------------------------------------
#: The forms :func:`fit_scaling_law` fits, with their parameter names.
FORMS = {
    "power": ("A", "alpha"),                              # L = A x^-alpha
    "power+constant": ("E", "A", "alpha"),                # L = E + A x^-alpha
    "kaplan": ("N_c", "D_c", "alpha_N", "alpha_D"),       # L = ((N_c/N)^(alpha_N/alpha_D) + D_c/D)^alpha_D
    "chinchilla": ("E", "A", "B", "alpha", "beta"),       # L = E + A N^-alpha + B D^-beta
}
_LOG_PARAMS = {"A", "B", "N_c", "D_c"}  # positive scales, fitted as logarithms


def _law(form, p, x):
    """log L for the parameters in fitting coordinates (logarithms of the scales)."""
    if form == "power":
        return p[0] - p[1] * np.log(x)
    if form == "power+constant":
        return np.log(p[0] + np.exp(p[1] - p[2] * np.log(x)))
    N, D = x[:, 0], x[:, 1]
    if form == "kaplan":
        inner = np.exp((p[2] / p[3]) * (p[0] - np.log(N))) + np.exp(p[1] - np.log(D))
        return p[3] * np.log(inner)
    return np.log(p[0] + np.exp(p[1] - p[3] * np.log(N)) + np.exp(p[2] - p[4] * np.log(D)))


def _starts(form, x, y):
    top = math.log(float(np.max(y)))
    if form == "power":
        fit = power_law_fit(x, y)
        return [np.array([fit.intercept, -fit.slope])]
    if form == "power+constant":
        return [np.array([0.5 * float(np.min(y)), top, a]) for a in (0.2, 0.5, 1.0)]
    if form == "kaplan":
        return [np.array([math.log(np.median(x[:, 0])), math.log(np.median(x[:, 1])), a, b])
                for a in (0.1, 0.5) for b in (0.1, 0.5)]
    return [np.array([0.5 * float(np.min(y)), top, top, a, b]) for a in (0.2, 0.6) for b in (0.2, 0.6)]


def _bounds(form):
    lower = {"power": [-np.inf, -10], "power+constant": [0, -np.inf, 0], "kaplan": [-np.inf, -np.inf, 1e-3, 1e-3],
             "chinchilla": [0, -np.inf, -np.inf, 1e-3, 1e-3]}[form]
    upper = {"power": [np.inf, 10], "power+constant": [np.inf, np.inf, 10], "kaplan": [np.inf, np.inf, 10, 10],
             "chinchilla": [np.inf, np.inf, np.inf, 10, 10]}[form]
    return lower, upper


def _fit_once(form, x, logy, starts, loss):
    if form == "power" and loss == "linear":  # ordinary least squares on a line: closed form
        slope, intercept = np.polyfit(np.log(x), logy, 1)
        return np.array([intercept, -slope])
    best = None
    lower, upper = _bounds(form)
    for start in starts:
        start = np.clip(start, np.array(lower) + 1e-9, np.array(upper) - 1e-9)
        with np.errstate(all="ignore"):
            result = least_squares(lambda p: _law(form, p, x) - logy, start, bounds=(lower, upper), loss=loss,
                                   f_scale=0.05, max_nfev=2000)
        if best is None or result.cost < best.cost:
            best = result
    return best.x


@dataclass(frozen=True)
class ScalingFit:
    """A fitted scaling law with bootstrap uncertainties (:func:`fit_scaling_law`).

    Attributes
    ----------
    form : str
    params : dict
        Best-fit parameters by name (scales as themselves, not logarithms).
    errors : dict
        Bootstrap standard deviations of the parameters.
    bootstrap : ndarray (n_boot, n_params)
        The refits on resampled data, in the order of ``FORMS[form]``.
    seed : int
    """

    form: str
    params: dict
    errors: dict
    bootstrap: np.ndarray
    seed: int

    def __call__(self, x):
        """The fitted law at x (scalar inputs for one-variable forms, (n, 2) arrays of (N, D) otherwise)."""
        return np.exp(_law(self.form, _to_fit(self.form, [self.params[k] for k in FORMS[self.form]]),
                           _check_x(self.form, x)))

    def band(self, x, level=0.9):
        """The central ``level`` interval of the bootstrap refits' predictions at x: (low, high)."""
        level = check_real("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
        x = _check_x(self.form, x)
        curves = np.exp([_law(self.form, _to_fit(self.form, b), x) for b in self.bootstrap])
        return tuple(np.quantile(curves, [(1 - level) / 2, (1 + level) / 2], axis=0))

    def interval(self, name, level=0.9):
        """The bootstrap percentile interval of one parameter."""
        k = FORMS[self.form].index(name)
        return tuple(np.quantile(self.bootstrap[:, k], [(1 - level) / 2, (1 + level) / 2]))


def _to_fit(form, values):
    return np.array([math.log(v) if name in _LOG_PARAMS else v for name, v in zip(FORMS[form], values)])


def _from_fit(form, p):
    return np.array([math.exp(v) if name in _LOG_PARAMS else v for name, v in zip(FORMS[form], p)])


def _check_x(form, x):
    if form in ("kaplan", "chinchilla"):
        x = check_real_array("x", x, ndim=2, low=0.0, low_open=True)
        if x.shape[1] != 2:
            raise ValueError(f"x must have shape (n, 2) of (N, D) pairs for form {form!r}, got {x.shape}")
        return x
    return check_real_array("x", np.atleast_1d(x), ndim=1, low=0.0, low_open=True)


def fit_scaling_law(x, y, *, form="power", bootstrap=200, loss="soft_l1", seed=None):
    """Fit a scaling law to (x, y) by robust least squares on log y, with bootstrap errors.

    Parameters
    ----------
    x : array_like
        (n,) sizes for "power" and "power+constant"; (n, 2) pairs (N, D) for
        "kaplan" and "chinchilla".
    y : array_like (n,), > 0
        Losses.
    form : {"power", "power+constant", "kaplan", "chinchilla"}
        See ``FORMS``.
    bootstrap : int in [0, 10000]
        Refits on data resampled with replacement.
    loss : {"soft_l1", "huber", "linear"}
        The residual loss of scipy's ``least_squares``; "linear" is ordinary least squares.
    seed : int or None
        Seeds the bootstrap.

    Returns
    -------
    ScalingFit
    """
    if form not in FORMS:
        raise ValueError(f"form must be one of {list(FORMS)}, got {form!r}")
    x = _check_x(form, x)
    y = check_real_array("y", y, ndim=1, low=0.0, low_open=True)
    if y.size != x.shape[0]:
        raise ValueError(f"x and y must have the same number of points, got {x.shape[0]} and {y.size}")
    if y.size < len(FORMS[form]) + 2:
        raise ValueError(f"form {form!r} needs at least {len(FORMS[form]) + 2} points, got {y.size}")
    bootstrap = check_int("bootstrap", bootstrap, low=0, high=10_000)
    check_choice("loss", loss, ("soft_l1", "huber", "linear"))
    seed = resolve_seed(seed)
    logy = np.log(y)
    best = _fit_once(form, x, logy, _starts(form, x, y), loss)
    gen = np.random.default_rng(seed)
    boots = []
    for _ in range(bootstrap):
        idx = gen.integers(0, y.size, y.size)
        if np.unique(x[idx] if x.ndim == 1 else x[idx, 0]).size < 2:
            continue
        boots.append(_from_fit(form, _fit_once(form, x[idx], logy[idx], [best], loss)))
    boots = np.array(boots).reshape(-1, len(FORMS[form]))
    values = _from_fit(form, best)
    names = FORMS[form]
    errors = {k: float(np.std(boots[:, i], ddof=1)) if boots.shape[0] > 1 else math.nan for i, k in enumerate(names)}
    return ScalingFit(form, {k: float(v) for k, v in zip(names, values)}, errors, boots, seed)


def chinchilla_optimum(C, params):
    """The compute-optimal model size and data for L = E + A N^-alpha + B D^-beta at compute C = 6 N D.

    Minimizing A N^-alpha + B D^-beta on the curve N D = C/6 gives
    N* = G (C/6)^(beta/(alpha+beta)) with G = (alpha A / (beta B))^(1/(alpha+beta)),
    and D* = (C/6) / N*.

    Parameters
    ----------
    C : float or array_like, > 0
        Training compute in FLOPs.
    params : dict or ScalingFit
        With keys A, B, alpha, beta (E is not needed).

    Returns
    -------
    (N_opt, D_opt) : floats or ndarrays
    """
    if isinstance(params, ScalingFit):
        params = params.params
    if not isinstance(params, dict) or not {"A", "B", "alpha", "beta"} <= set(params):
        raise TypeError("params must be a dict (or ScalingFit) with keys A, B, alpha and beta")
    A = check_real("A", params["A"], low=0.0, low_open=True)
    B = check_real("B", params["B"], low=0.0, low_open=True)
    a = check_real("alpha", params["alpha"], low=0.0, low_open=True)
    b = check_real("beta", params["beta"], low=0.0, low_open=True)
    scalar = np.ndim(C) == 0
    C = check_real_array("C", np.atleast_1d(C), low=0.0, low_open=True)
    G = (a * A / (b * B)) ** (1 / (a + b))
    N = G * (C / 6) ** (b / (a + b))
    D = C / 6 / N
    return (float(N[0]), float(D[0])) if scalar else (N, D)


# --------------------------------------------------------------------------
# lottery tickets: small ReLU networks on y = x^2
# --------------------------------------------------------------------------
@njit(cache=True)
def _train_relu(theta, x, y, steps, lr, out_loss):
    """Full-batch Adam on (1/2) mean (f(x) - y)^2 for f(x) = c + sum_i a_i relu(w_i x + b_i).

    ``theta`` holds (w, b, a, c): 3 n + 1 numbers, updated in place.
    """
    n, p = (theta.size - 1) // 3, x.size
    m = np.zeros(theta.size)
    v = np.zeros(theta.size)
    grad = np.empty(theta.size)
    f = np.empty(p)
    for step in range(steps):
        for k in range(p):
            s = theta[3 * n]
            for i in range(n):
                h = theta[i] * x[k] + theta[n + i]
                if h > 0:
                    s += theta[2 * n + i] * h
            f[k] = s
        grad[:] = 0.0
        loss = 0.0
        for k in range(p):
            r = (f[k] - y[k]) / p
            loss += 0.5 * (f[k] - y[k]) ** 2 / p
            grad[3 * n] += r
            for i in range(n):
                h = theta[i] * x[k] + theta[n + i]
                if h > 0:
                    grad[i] += r * theta[2 * n + i] * x[k]
                    grad[n + i] += r * theta[2 * n + i]
                    grad[2 * n + i] += r * h
        out_loss[step] = loss
        adam_step(theta, grad, m, v, step + 1, lr, 1e-12)


@dataclass(frozen=True)
class ReluFit:
    """A one-hidden-layer ReLU network trained on y = x^2 (:func:`train_relu_network`).

    Attributes
    ----------
    width : int
    loss : ndarray (steps,)
        Training loss (1/2) mean (f - y)^2 at each step, on the training grid.
    test_mse : float
        Mean squared error on a fine grid of [-1, 1] after training.
    w, b, a : ndarray (width,)
        Hidden weights, biases and output weights; ``c`` the output bias.
    seed : int
    """

    width: int
    loss: np.ndarray
    test_mse: float
    w: np.ndarray
    b: np.ndarray
    a: np.ndarray
    c: float
    seed: int

    def __call__(self, x):
        x = np.asarray(x, dtype=float)
        return self.c + np.sum(self.a * np.maximum(np.multiply.outer(x, self.w) + self.b, 0.0), axis=-1)


def train_relu_network(width, *, steps=5000, lr=0.01, points=128, seed=None):
    """Train f(x) = c + sum_i a_i relu(w_i x + b_i) on y = x^2, x in [-1, 1], by full-batch Adam.

    The setting of *A Neural Scaling Law from Lottery Ticket Ensembling*. The
    hidden weights start as w ~ N(0, 1), b ~ U(-1, 1) and the output weights
    as a ~ N(0, 1/width), c = 0; the training set is ``points`` evenly spaced
    inputs.

    Parameters
    ----------
    width : int in [1, 4096]
    steps : int in [1, 10^6]
    lr : float in (0, 1]
    points : int in [4, 10^5]
    seed : int or None

    Returns
    -------
    ReluFit
    """
    width = check_int("width", width, low=1, high=4096)
    steps = check_int("steps", steps, low=1, high=1_000_000)
    lr = check_real("lr", lr, low=0.0, high=1.0, low_open=True)
    points = check_int("points", points, low=4, high=100_000)
    check_work("train_relu_network", width * points * steps, 2e10)
    seed = resolve_seed(seed)
    gen = np.random.default_rng(seed)
    theta = np.concatenate([gen.standard_normal(width), gen.uniform(-1, 1, width),
                            gen.standard_normal(width) / math.sqrt(width), [0.0]])
    x = np.linspace(-1, 1, points)
    loss = np.empty(steps)
    _train_relu(theta, x, x**2, steps, lr, loss)
    w, b, a, c = theta[:width], theta[width:2 * width], theta[2 * width:3 * width], float(theta[-1])
    fit = ReluFit(width, loss, math.nan, w, b, a, c, seed)
    fine = np.linspace(-1, 1, 4001)
    return ReluFit(width, loss, float(np.mean((fit(fine) - fine**2) ** 2)), w, b, a, c, seed)
