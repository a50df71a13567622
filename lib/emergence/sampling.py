"""Sampling: Metropolis, Langevin and Hamiltonian Monte Carlo, compact U(1) lattice
gauge theory, and master equations.

Sampling conventions
--------------------
* A target density pi(x) on R^d is named by a string and a dict of parameters
  (:data:`TARGETS`). Every target is a product over the d coordinates of one
  one-dimensional density, so its marginals are known exactly.
* ``step`` is the proposal scale for random-walk Metropolis (x' = x + step xi),
  the time step h for Langevin (x' = x + h grad log pi + sqrt(2h) xi) and the
  leapfrog step epsilon for HMC (unit mass, H = -log pi(x) + p.p / 2).
* U(1) gauge fields are link angles ``theta[mu, x, y]`` on an L x L torus,
  mu = 0 along x and 1 along y, with the Wilson action
  S = beta sum_P (1 - cos theta_P).
* A rate matrix Q has non-negative off-diagonal rates Q[i, j] (from i to j) and
  rows summing to zero; probabilities evolve as dp/dt = p Q.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy import integrate, linalg
from scipy.special import ive

from ._validation import check_bool, check_choice, check_int, check_real, check_real_array, check_work
from ._xoshiro import normal, uniform
from .random import kernel_state, resolve_seed

METHODS = ("rwm", "ula", "mala", "hmc")
#: name -> (code, parameter names with defaults)
TARGETS = {
    "gaussian": (0, {"scale": 1.0}),
    "double-well": (1, {"barrier": 2.0}),
    "mixture": (2, {"weights": (0.5, 0.5), "means": (-2.0, 2.0), "scales": (0.5, 0.5)}),
}
#: Gradient evaluations (or density evaluations) of about ten seconds.
MAX_EVALUATIONS = 2e8
MAX_D = 10_000


# --------------------------------------------------------------------------
# targets: a product of one-dimensional densities
# --------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _mixture_terms(params, x):
    """(log of the largest component, sum of components and of their x-derivatives, both relative to it)."""
    k = int(params[0])
    top = -np.inf
    for j in range(k):
        w, m, s = params[1 + j], params[1 + k + j], params[1 + 2 * k + j]
        if w > 0:
            top = max(top, math.log(w / s) - 0.5 * ((x - m) / s) ** 2)
    total = 0.0
    slope = 0.0
    for j in range(k):
        w, m, s = params[1 + j], params[1 + k + j], params[1 + 2 * k + j]
        if w > 0:
            g = math.exp(math.log(w / s) - 0.5 * ((x - m) / s) ** 2 - top)
            total += g
            slope -= g * (x - m) / (s * s)
    return top, total, slope


@njit(cache=True, inline="always")
def _log_density_1d(code, params, x):
    if code == 0:
        return -0.5 * (x / params[0]) ** 2
    if code == 1:
        return -params[0] * (x * x - 1.0) ** 2
    top, total, _ = _mixture_terms(params, x)
    return top + math.log(total)


@njit(cache=True, inline="always")
def _grad_1d(code, params, x):
    if code == 0:
        return -x / params[0] ** 2
    if code == 1:
        return -4.0 * params[0] * x * (x * x - 1.0)
    _, total, slope = _mixture_terms(params, x)
    return slope / total


@njit(cache=True)
def _log_density(code, params, x):
    total = 0.0
    for i in range(x.shape[0]):
        total += _log_density_1d(code, params, x[i])
    return total


@njit(cache=True)
def _gradient(code, params, x, out):
    for i in range(x.shape[0]):
        out[i] = _grad_1d(code, params, x[i])


# --------------------------------------------------------------------------
# the four samplers
# --------------------------------------------------------------------------
@njit(cache=True)
def _run(code, params, method, x, step, n_leapfrog, n_steps, state, samples, delta_h):
    d = x.shape[0]
    grad = np.empty(d)
    prop = np.empty(d)
    grad_prop = np.empty(d)
    p = np.empty(d)
    logp = _log_density(code, params, x)
    _gradient(code, params, x, grad)
    accepted = 0
    for t in range(n_steps):
        if method == 0:  # random-walk Metropolis
            for i in range(d):
                prop[i] = x[i] + step * normal(state)
            logp_prop = _log_density(code, params, prop)
            if math.log(1.0 - uniform(state)) < logp_prop - logp:
                x[:] = prop
                logp = logp_prop
                accepted += 1
        elif method == 1:  # unadjusted Langevin: every move is taken
            noise = math.sqrt(2.0 * step)
            for i in range(d):
                x[i] += step * grad[i] + noise * normal(state)
                if not math.isfinite(x[i]):
                    return -(t + 1)  # diverged: the caller reports the step
            _gradient(code, params, x, grad)
            accepted += 1
        elif method == 2:  # Metropolis-adjusted Langevin
            noise = math.sqrt(2.0 * step)
            for i in range(d):
                prop[i] = x[i] + step * grad[i] + noise * normal(state)
            logp_prop = _log_density(code, params, prop)
            _gradient(code, params, prop, grad_prop)
            # log q(x | x') - log q(x' | x), q(b | a) = N(b; a + h grad(a), 2h)
            log_q = 0.0
            for i in range(d):
                back = x[i] - prop[i] - step * grad_prop[i]
                forth = prop[i] - x[i] - step * grad[i]
                log_q -= (back * back - forth * forth) / (4.0 * step)
            if math.log(1.0 - uniform(state)) < logp_prop - logp + log_q:
                x[:] = prop
                grad[:] = grad_prop
                logp = logp_prop
                accepted += 1
        else:  # Hamiltonian Monte Carlo, leapfrog with unit mass
            kinetic = 0.0
            for i in range(d):
                p[i] = normal(state)
                kinetic += 0.5 * p[i] * p[i]
            prop[:] = x
            grad_prop[:] = grad
            for i in range(d):
                p[i] += 0.5 * step * grad_prop[i]
            for s in range(n_leapfrog):
                for i in range(d):
                    prop[i] += step * p[i]
                _gradient(code, params, prop, grad_prop)
                scale = step if s < n_leapfrog - 1 else 0.5 * step
                for i in range(d):
                    p[i] += scale * grad_prop[i]
            kinetic_prop = 0.0
            for i in range(d):
                kinetic_prop += 0.5 * p[i] * p[i]
            logp_prop = _log_density(code, params, prop)
            dh = (kinetic_prop - logp_prop) - (kinetic - logp)
            delta_h[t] = dh
            if dh <= 0.0 or uniform(state) < math.exp(-dh):
                x[:] = prop
                grad[:] = grad_prop
                logp = logp_prop
                accepted += 1
        samples[t] = x
    return accepted


@dataclass(frozen=True)
class SamplingResult:
    """Output of :func:`run`: ``samples[t]`` is the state after step t (shape n_steps x d).

    ``delta_h`` holds the energy error H(end) - H(start) of each HMC
    trajectory (empty for the other methods); ``accept_rate`` is 1 for ULA,
    which accepts every move. ``diverged_at`` is the step at which ULA left
    every finite value (only with ``on_divergence="stop"``; ``samples`` then
    ends just before it), else None.
    """

    samples: np.ndarray
    accept_rate: float
    delta_h: np.ndarray
    seed: int
    target: str
    method: str
    step: float
    diverged_at: int | None = None


def _target_params(target, params):
    target = check_choice("target", target, tuple(TARGETS))
    code, defaults = TARGETS[target]
    params = {} if params is None else dict(params)
    unknown = set(params) - set(defaults)
    if unknown:
        raise ValueError(f"params for target {target!r} take {sorted(defaults)}, got unknown {sorted(unknown)}")
    merged = {**defaults, **params}
    if target == "gaussian":
        return code, np.array([check_real("params['scale']", merged["scale"], low=0.0, low_open=True)])
    if target == "double-well":
        return code, np.array([check_real("params['barrier']", merged["barrier"], low=0.0, low_open=True,
                                          high=1e3)])
    w = check_real_array("params['weights']", merged["weights"], ndim=1, low=0.0)
    m = check_real_array("params['means']", merged["means"], ndim=1)
    s = check_real_array("params['scales']", merged["scales"], ndim=1, low=0.0, low_open=True)
    if not (w.size == m.size == s.size) or w.size > 16:
        raise ValueError(f"params weights, means and scales must have one equal length <= 16, "
                         f"got {w.size}, {m.size}, {s.size}")
    if w.sum() <= 0:
        raise ValueError("params['weights'] must not all be zero")
    return code, np.concatenate([[w.size], w / w.sum(), m, s])


def log_density(target, x, *, params=None):
    """Unnormalized log pi(x) of a target, for points x of shape (..., d)."""
    code, p = _target_params(target, params)
    x = check_real_array("x", np.atleast_1d(x))
    flat = x.reshape(-1, x.shape[-1])
    out = np.array([_log_density(code, p, row) for row in flat])
    return out.reshape(x.shape[:-1]) if x.ndim > 1 else float(out[0])


def marginal_density(target, x, *, params=None):
    """Normalized density of one coordinate of the target at the points ``x`` (numerical normalization)."""
    code, p = _target_params(target, params)
    x = check_real_array("x", np.atleast_1d(x))
    f = np.vectorize(lambda v: math.exp(_log_density(code, p, np.array([v]))))
    norm = integrate.quad(lambda v: f(v), -np.inf, np.inf, limit=200)[0]
    return f(x) / norm


def run(target, method, n_steps, *, step, d=1, n_leapfrog=10, x0=None, params=None, seed=None,
        on_divergence="raise"):
    """Sample a target density with random-walk Metropolis, ULA, MALA or HMC.

    Parameters
    ----------
    target : {"gaussian", "double-well", "mixture"}
        The density of each coordinate: N(0, scale^2); exp(-barrier (x^2 - 1)^2);
        sum_k weights_k N(means_k, scales_k^2). See :data:`TARGETS` for defaults.
    method : {"rwm", "ula", "mala", "hmc"}
    n_steps : int >= 1
        Steps (HMC: trajectories) to record.
    step : float > 0
        Proposal scale (RWM), time step h (ULA, MALA) or leapfrog step (HMC).
    d : int in [1, 10000]
        Dimension.
    n_leapfrog : int in [1, 1000]
        Leapfrog steps per HMC trajectory.
    x0 : array_like of shape (d,) or float, optional
        Start; default the origin (for the double well, 1 in every coordinate).
    params : dict, optional
        Target parameters.
    seed : int or None
    on_divergence : {"raise", "stop"}
        ULA is not stable for every step (with a gradient growing faster than
        linearly, like the double well's, it eventually explodes). "raise"
        (default) raises ValueError when the chain leaves the finite numbers;
        "stop" returns the samples up to that step with ``diverged_at`` set.

    Returns
    -------
    SamplingResult
    """
    code, p = _target_params(target, params)
    on_divergence = check_choice("on_divergence", on_divergence, ("raise", "stop"))
    method = check_choice("method", method, METHODS)
    n_steps = check_int("n_steps", n_steps, low=1, high=50_000_000)
    step = check_real("step", step, low=0.0, low_open=True, high=1e3)
    d = check_int("d", d, low=1, high=MAX_D)
    n_leapfrog = check_int("n_leapfrog", n_leapfrog, low=1, high=1000)
    if x0 is None:
        x = np.ones(d) if target == "double-well" else np.zeros(d)
    else:
        x = check_real_array("x0", np.broadcast_to(np.asarray(x0, dtype=float), (d,)) if np.ndim(x0) == 0 else x0,
                             ndim=1)
        if x.size != d:
            raise ValueError(f"x0 must have d = {d} entries, got {x.size}")
        x = x.copy()
    per_step = n_leapfrog if method == "hmc" else 1
    check_work(f"run ({method}: n_steps * d * gradient evaluations)", float(n_steps) * d * per_step, MAX_EVALUATIONS)
    if float(n_steps) * d * 8 > 800e6:
        raise ValueError(f"n_steps * d = {n_steps * d:.3g} samples exceed 800 MB; record fewer steps")
    seed = resolve_seed(seed)
    samples = np.empty((n_steps, d))
    delta_h = np.zeros(n_steps if method == "hmc" else 0)
    accepted = _run(code, p, METHODS.index(method), x, step, n_leapfrog, n_steps, kernel_state(seed), samples,
                    delta_h if method == "hmc" else np.zeros(1))
    if accepted < 0 and on_divergence == "stop":
        t = -accepted - 1
        return SamplingResult(samples=samples[:t], accept_rate=1.0, delta_h=delta_h, seed=seed, target=target,
                              method=method, step=step, diverged_at=t + 1)
    if accepted < 0:
        raise ValueError(f"ULA diverged after {-accepted} steps: step = {step} is beyond the stability limit of "
                         f"the discretized dynamics for this target (roughly step * max|(log pi)''| < 2); "
                         f"use a smaller step, or MALA, whose rejections keep it finite")
    return SamplingResult(samples=samples, accept_rate=accepted / n_steps, delta_h=delta_h, seed=seed,
                          target=target, method=method, step=step)


def ula_gaussian_variance(scale, step):
    """Stationary variance of ULA on N(0, scale^2): scale^2 / (1 - h / (2 scale^2)), for h < 2 scale^2.

    The chain x' = (1 - h/s^2) x + sqrt(2h) xi is linear, so its stationary law
    is Gaussian with this variance exactly; the bias is of order h.
    """
    s = check_real("scale", scale, low=0.0, low_open=True)
    h = check_real("step", step, low=0.0, low_open=True)
    if h >= 2 * s * s:
        raise ValueError(f"step must be below 2 scale^2 = {2 * s * s} for a stationary law, got {h}")
    return s * s / (1.0 - h / (2.0 * s * s))


def gaussian_w2(mean1, cov1, mean2, cov2):
    """2-Wasserstein distance between two Gaussians (the Bures formula).

    W2^2 = (m1 - m2).(m1 - m2) + tr(C1 + C2 - 2 (C2^(1/2) C1 C2^(1/2))^(1/2)).
    """
    m1 = check_real_array("mean1", np.atleast_1d(mean1), ndim=1)
    m2 = check_real_array("mean2", np.atleast_1d(mean2), ndim=1)
    c1 = check_real_array("cov1", np.atleast_2d(cov1), ndim=2)
    c2 = check_real_array("cov2", np.atleast_2d(cov2), ndim=2)
    if not (c1.shape == c2.shape == (m1.size, m1.size)) or m1.size != m2.size:
        raise ValueError(f"means and covariances must match: got {m1.shape}, {c1.shape}, {m2.shape}, {c2.shape}")
    root2 = linalg.sqrtm(c2)
    cross = linalg.sqrtm(root2 @ c1 @ root2)
    value = np.sum((m1 - m2) ** 2) + np.trace(c1 + c2 - 2 * np.real(cross))
    return float(math.sqrt(max(value, 0.0)))


# --------------------------------------------------------------------------
# compact U(1) lattice gauge theory in two dimensions
# --------------------------------------------------------------------------
@njit(cache=True)
def _plaquettes(theta, out):
    L = theta.shape[1]
    for x in range(L):
        xp = x + 1 if x < L - 1 else 0
        for y in range(L):
            yp = y + 1 if y < L - 1 else 0
            out[x, y] = theta[0, x, y] + theta[1, xp, y] - theta[0, x, yp] - theta[1, x, y]


@njit(cache=True)
def _action(theta, beta, plaq):
    _plaquettes(theta, plaq)
    s = 0.0
    for x in range(plaq.shape[0]):
        for y in range(plaq.shape[1]):
            s += 1.0 - math.cos(plaq[x, y])
    return beta * s


@njit(cache=True)
def _force(theta, beta, plaq, force):
    """dS/dtheta for every link (``plaq`` is overwritten with sin theta_P)."""
    L = theta.shape[1]
    _plaquettes(theta, plaq)
    for x in range(L):
        for y in range(L):
            plaq[x, y] = math.sin(plaq[x, y])
    for x in range(L):
        xm = x - 1 if x > 0 else L - 1
        for y in range(L):
            ym = y - 1 if y > 0 else L - 1
            # theta_0(x, y) enters P(x, y) with + and P(x, y - 1) with -
            force[0, x, y] = beta * (plaq[x, y] - plaq[x, ym])
            # theta_1(x, y) enters P(x, y) with - and P(x - 1, y) with +
            force[1, x, y] = beta * (plaq[xm, y] - plaq[x, y])


@njit(cache=True)
def _charge(plaq):
    total = 0.0
    for x in range(plaq.shape[0]):
        for y in range(plaq.shape[1]):
            a = plaq[x, y]
            total += a - 2.0 * math.pi * math.floor((a + math.pi) / (2.0 * math.pi))
    return round(total / (2.0 * math.pi))


@njit(cache=True)
def _instanton(L, q, ox, oy, out):
    """A charge-q configuration with every plaquette angle 2 pi q / L^2, origin moved to (ox, oy)."""
    V = L * L
    for x in range(L):
        for y in range(L):
            xs = (x - ox) % L
            ys = (y - oy) % L
            out[1, x, y] = 2.0 * math.pi * q * xs / V
            out[0, x, y] = -2.0 * math.pi * q * ys / L if xs == L - 1 else 0.0


@njit(cache=True)
def _u1_hmc(theta, beta, step, n_leapfrog, n_traj, instanton, state, plaquette_out, charge_out, counts):
    L = theta.shape[1]
    plaq = np.empty((L, L))
    force = np.empty_like(theta)
    p = np.empty_like(theta)
    trial = np.empty_like(theta)
    bump = np.empty_like(theta)
    s_old = _action(theta, beta, plaq)
    for t in range(n_traj):
        kinetic = 0.0
        for m in range(2):
            for x in range(L):
                for y in range(L):
                    p[m, x, y] = normal(state)
                    kinetic += 0.5 * p[m, x, y] ** 2
        trial[:] = theta
        _force(trial, beta, plaq, force)
        for s in range(n_leapfrog):
            for m in range(2):
                for x in range(L):
                    for y in range(L):
                        p[m, x, y] -= (0.5 if s == 0 else 1.0) * step * force[m, x, y]
                        trial[m, x, y] += step * p[m, x, y]
            _force(trial, beta, plaq, force)
        kinetic_new = 0.0
        for m in range(2):
            for x in range(L):
                for y in range(L):
                    p[m, x, y] -= 0.5 * step * force[m, x, y]
                    kinetic_new += 0.5 * p[m, x, y] ** 2
        s_new = _action(trial, beta, plaq)
        dh = kinetic_new + s_new - kinetic - s_old
        if dh <= 0.0 or uniform(state) < math.exp(-dh):
            theta[:] = trial
            s_old = s_new
            counts[0] += 1
        if instanton:
            # propose adding a unit (anti-)instanton: symmetric, so Metropolis in the action
            q = 1 if uniform(state) < 0.5 else -1
            _instanton(L, q, int(uniform(state) * L), int(uniform(state) * L), bump)
            trial[:] = theta
            trial += bump
            s_new = _action(trial, beta, plaq)
            if s_new <= s_old or uniform(state) < math.exp(s_old - s_new):
                theta[:] = trial
                s_old = s_new
                counts[1] += 1
        _plaquettes(theta, plaq)
        c = 0.0
        for x in range(L):
            for y in range(L):
                c += math.cos(plaq[x, y])
        plaquette_out[t] = c / (L * L)
        charge_out[t] = _charge(plaq)


@dataclass(frozen=True)
class GaugeResult:
    """Output of :func:`u1_gauge`, one entry per HMC trajectory.

    ``plaquette`` is the mean cos theta_P, ``charge`` the integer topological
    charge Q = (1/2pi) sum_P theta_P (each angle wrapped into [-pi, pi));
    ``theta`` the final link angles (2, L, L); ``accept_rate`` of the HMC
    trajectories and ``instanton_rate`` of the instanton moves (0 if off).
    """

    plaquette: np.ndarray
    charge: np.ndarray
    theta: np.ndarray
    accept_rate: float
    instanton_rate: float
    beta: float
    seed: int


def u1_gauge(L, beta, n_traj, *, step, n_leapfrog, instanton_moves=False, theta0=None, seed=None):
    """HMC for compact U(1) gauge theory on an L x L torus (Wilson action).

    Each trajectory draws Gaussian momenta for the 2 L^2 link angles, runs
    ``n_leapfrog`` leapfrog steps of size ``step`` and accepts with
    min(1, exp(-Delta H)). With ``instanton_moves=True`` every trajectory is
    followed by a Metropolis proposal to add a unit instanton or anti-instanton
    (a configuration whose every plaquette angle is +-2 pi / L^2), which changes
    the topological charge by one at the cost of a single action evaluation.

    Parameters
    ----------
    L : int in [2, 512]
    beta : float in (0, 100]
    n_traj : int >= 1
    step : float > 0
    n_leapfrog : int in [1, 1000]
    instanton_moves : bool
    theta0 : array_like, shape (2, L, L), optional
        Start (default: the cold configuration, all angles 0).
    seed : int or None

    Returns
    -------
    GaugeResult
    """
    L = check_int("L", L, low=2, high=512)
    beta = check_real("beta", beta, low=0.0, low_open=True, high=100.0)
    n_traj = check_int("n_traj", n_traj, low=1, high=10_000_000)
    step = check_real("step", step, low=0.0, low_open=True, high=10.0)
    n_leapfrog = check_int("n_leapfrog", n_leapfrog, low=1, high=1000)
    instanton_moves = check_bool("instanton_moves", instanton_moves)
    if theta0 is None:
        theta = np.zeros((2, L, L))
    else:
        theta = check_real_array("theta0", theta0, ndim=3)
        if theta.shape != (2, L, L):
            raise ValueError(f"theta0 must have shape (2, {L}, {L}), got {theta.shape}")
        theta = theta.copy()
    check_work("u1_gauge (n_traj * n_leapfrog * 2 L^2 link updates)", float(n_traj) * n_leapfrog * 2 * L * L,
               MAX_EVALUATIONS)
    seed = resolve_seed(seed)
    plaquette = np.empty(n_traj)
    charge = np.empty(n_traj, np.int64)
    counts = np.zeros(2, np.int64)
    _u1_hmc(theta, beta, step, n_leapfrog, n_traj, bool(instanton_moves), kernel_state(seed), plaquette, charge,
            counts)
    return GaugeResult(plaquette=plaquette, charge=charge, theta=theta, accept_rate=counts[0] / n_traj,
                       instanton_rate=counts[1] / n_traj if instanton_moves else 0.0, beta=beta, seed=seed)


def plaquette_angles(theta):
    """Plaquette angles theta_P(x, y) of a gauge field (2, L, L), wrapped into [-pi, pi)."""
    t = check_real_array("theta", theta, ndim=3)
    if t.shape[0] != 2 or t.shape[1] != t.shape[2]:
        raise ValueError(f"theta must have shape (2, L, L), got {t.shape}")
    out = np.empty(t.shape[1:])
    _plaquettes(t, out)
    return out - 2 * np.pi * np.floor((out + np.pi) / (2 * np.pi))


def u1_plaquette_exact(beta, L=None):
    """Exact <cos theta_P> of 2-D compact U(1) gauge theory (Wilson action).

    In infinite volume the plaquettes are independent: I_1(beta) / I_0(beta).
    On an L x L torus the character expansion gives
    sum_n I_n^(V-1) (I_(n-1) + I_(n+1)) / 2 / sum_n I_n^V with V = L^2.
    """
    beta = check_real("beta", beta, low=0.0, low_open=True, high=1e3)
    if L is None:
        return float(ive(1, beta) / ive(0, beta))
    V = check_int("L", L, low=2) ** 2
    n = np.arange(-60, 61)
    # scaled Bessel functions (the common factor e^beta cancels); logs avoid overflow of I_n^V
    log_i = np.log(ive(n, beta))
    weights = np.exp((V - 1) * (log_i - log_i.max()))
    ratio = (ive(n - 1, beta) + ive(n + 1, beta)) / (2 * ive(n, beta))
    full = weights * np.exp(log_i - log_i.max())
    return float(np.sum(full * ratio) / np.sum(full))


def u1_topological_susceptibility(beta):
    """Infinite-volume chi_t = <Q^2> / V of 2-D U(1) (Wilson action), by quadrature.

    The plaquettes are independent with density proportional to exp(beta cos phi)
    on [-pi, pi), and each contributes phi / 2pi to the charge, so
    chi_t = <phi^2> / (4 pi^2).
    """
    beta = check_real("beta", beta, low=0.0, low_open=True, high=1e3)
    weight = lambda phi: math.exp(beta * (math.cos(phi) - 1.0))  # noqa: E731
    num = integrate.quad(lambda phi: phi * phi * weight(phi), -math.pi, math.pi, limit=200)[0]
    den = integrate.quad(weight, -math.pi, math.pi, limit=200)[0]
    return num / den / (4 * math.pi**2)


# --------------------------------------------------------------------------
# master equations
# --------------------------------------------------------------------------
def check_rate_matrix(Q):
    """Return Q as a float array after checking that it is a rate matrix (square, off-diagonal >= 0, rows sum to 0)."""
    Q = check_real_array("Q", Q, ndim=2)
    n = Q.shape[0]
    if Q.shape != (n, n) or n < 2:
        raise ValueError(f"Q must be a square matrix of at least 2 states, got shape {Q.shape}")
    if n > 2000:
        raise ValueError(f"Q must have at most 2000 states, got {n}")
    off = Q - np.diag(np.diag(Q))
    if np.any(off < 0):
        raise ValueError("Q must have non-negative off-diagonal rates")
    scale = max(1.0, np.abs(Q).max())
    if np.any(np.abs(Q.sum(axis=1)) > 1e-10 * scale * n):
        raise ValueError("Q must have rows summing to zero (Q[i, i] = -sum of the other rates in row i)")
    return Q


def stationary_distribution(Q):
    """The stationary distribution p (p Q = 0, sum p = 1) of an irreducible rate matrix."""
    Q = check_rate_matrix(Q)
    kernel = linalg.null_space(Q.T)
    if kernel.shape[1] != 1:
        raise ValueError(f"Q must be irreducible (one stationary distribution); its null space has dimension "
                         f"{kernel.shape[1]}")
    p = kernel[:, 0]
    return p / p.sum()


def probability_currents(Q, p=None):
    """Net probability currents J[i, j] = p_i Q[i, j] - p_j Q[j, i] (antisymmetric; zero in equilibrium)."""
    Q = check_rate_matrix(Q)
    p = stationary_distribution(Q) if p is None else check_real_array("p", p, ndim=1, low=0.0)
    flow = p[:, None] * Q
    J = flow - flow.T
    np.fill_diagonal(J, 0.0)
    return J


def cycle_affinity(Q, cycle):
    """ln of the product of forward over backward rates around a cycle of states (0 for every cycle iff reversible)."""
    Q = check_rate_matrix(Q)
    cycle = [check_int("cycle", c, low=0, high=Q.shape[0] - 1) for c in cycle]
    if len(cycle) < 3:
        raise ValueError(f"cycle must visit at least 3 states, got {cycle}")
    total = 0.0
    for a, b in zip(cycle, cycle[1:] + cycle[:1]):
        if Q[a, b] <= 0 or Q[b, a] <= 0:
            raise ValueError(f"cycle uses the transition {a} -> {b}, which needs positive rates both ways")
        total += math.log(Q[a, b] / Q[b, a])
    return total


def detailed_balance(Q, *, rtol=1e-9):
    """Whether an irreducible rate matrix is reversible: p_i Q[i, j] = p_j Q[j, i] for all pairs.

    This is equivalent to Kolmogorov's criterion (every cycle has zero
    affinity) and is exact up to ``rtol`` of the largest flow.
    """
    Q = check_rate_matrix(Q)
    rtol = check_real("rtol", rtol, low=0.0, high=1.0)
    p = stationary_distribution(Q)
    flow = p[:, None] * Q
    np.fill_diagonal(flow, 0.0)
    return bool(np.abs(flow - flow.T).max() <= rtol * max(flow.max(), 1e-300))


def effective_energies(Q):
    """The steady state written as a generalized Boltzmann law: E_i = -ln p_i (up to a constant, with T = 1)."""
    p = stationary_distribution(Q)
    return -np.log(p) + np.log(p.max())


# --------------------------------------------------------------------------
# Ito chains: SGD on least squares
# --------------------------------------------------------------------------
@njit(cache=True)
def _sgd(a, b, lr, batch, x, n_steps, state, out):
    n = a.shape[0]
    for t in range(n_steps):
        g = 0.0
        for _ in range(batch):
            i = int(uniform(state) * n)
            g += a[i] * (a[i] * x - b[i])
        x -= lr * g / batch
        out[t] = x
    return x


def _check_regression(a, b, lr, batch):
    a = check_real_array("a", a, ndim=1)
    b = check_real_array("b", b, ndim=1)
    if a.size != b.size or a.size < 2:
        raise ValueError(f"a and b must have one equal length >= 2, got {a.size} and {b.size}")
    lr = check_real("lr", lr, low=0.0, low_open=True)
    batch = check_int("batch", batch, low=1, high=100_000)
    return a, b, lr, batch


def sgd_linear(a, b, lr, batch, n_steps, *, x0=0.0, seed=None):
    """SGD on the one-parameter least-squares loss L(x) = (1/2n) sum_i (a_i x - b_i)^2.

    Each step averages the gradients a_i (a_i x - b_i) of ``batch`` examples
    drawn uniformly with replacement and moves x by ``-lr`` times that
    average. Returns the iterates, shape (n_steps,), recording ``seed``.
    """
    from .random import seeded

    a, b, lr, batch = _check_regression(a, b, lr, batch)
    n_steps = check_int("n_steps", n_steps, low=1, high=50_000_000)
    x0 = check_real("x0", x0)
    check_work("sgd_linear (n_steps * batch)", float(n_steps) * batch, MAX_EVALUATIONS)
    seed = resolve_seed(seed)
    out = np.empty(n_steps)
    _sgd(a, b, lr, batch, x0, n_steps, kernel_state(seed), out)
    return seeded(out, seed)


def _regression_moments(a, b):
    u, v = a * a, a * b
    return u.mean(), v.mean(), u.var(), v.var(), np.mean((u - u.mean()) * (v - v.mean()))


def sgd_stationary_moments(a, b, lr, batch):
    """Exact stationary mean and variance of :func:`sgd_linear`.

    The iteration x' = A x + c is linear with independent random (A, c) each
    step, A = 1 - lr mean(a^2), c = lr mean(a b) over the batch, so its first
    two moments close: m = E c / (1 - E A) and
    E x^2 = (E c^2 + 2 E[A c] m) / (1 - E A^2).
    """
    a, b, lr, batch = _check_regression(a, b, lr, batch)
    mu_u, mu_v, var_u, var_v, cov_uv = _regression_moments(a, b)
    EA = 1 - lr * mu_u
    EA2 = EA**2 + lr**2 * var_u / batch
    if EA2 >= 1:
        raise ValueError(f"lr = {lr} is too large: the second moment of SGD diverges (E A^2 = {EA2:.3g} >= 1)")
    Ec = lr * mu_v
    Ec2 = lr**2 * (mu_v**2 + var_v / batch)
    EAc = lr * mu_v * EA - lr**2 * cov_uv / batch
    mean = Ec / (1 - EA)
    second = (Ec2 + 2 * EAc * mean) / (1 - EA2)
    return float(mean), float(second - mean**2)


def sgd_sde_density(a, b, lr, batch, x):
    """Stationary density of the SDE approximating SGD, at the points ``x``.

    dx = -L'(x) dt + sqrt(lr Sigma(x) / batch) dW with time t = steps * lr and
    Sigma(x) the variance over examples of the gradient a_i (a_i x - b_i), a
    quadratic in x: the noise grows away from the minimum, and the stationary
    density p(x) ~ exp(int 2 f / D) / D has power-law tails.
    """
    a, b, lr, batch = _check_regression(a, b, lr, batch)
    x = check_real_array("x", np.atleast_1d(x), ndim=1)
    mu_u, mu_v, var_u, var_v, cov_uv = _regression_moments(a, b)

    def diffusion(y):
        return lr / batch * (var_u * y * y - 2 * cov_uv * y + var_v) + 1e-300

    def log_unnormalized(y):
        x_min = mu_v / mu_u
        integral = integrate.quad(lambda s: 2 * (mu_v - mu_u * s) / diffusion(s), x_min, y, limit=200)[0]
        return integral - math.log(diffusion(y))

    centre = mu_v / mu_u
    width = math.sqrt(lr * (var_u * centre**2 - 2 * cov_uv * centre + var_v) / (2 * batch * mu_u)) + 1e-12
    grid = np.linspace(centre - 40 * width, centre + 40 * width, 2001)
    logs = np.array([log_unnormalized(y) for y in grid])
    norm = integrate.trapezoid(np.exp(logs - logs.max()), grid)
    return np.array([math.exp(log_unnormalized(y) - logs.max()) / norm for y in x])


# --------------------------------------------------------------------------
# an energy-based model trained with Langevin negatives
# --------------------------------------------------------------------------
def polynomial_features(x, degree):
    """Monomials x1^i x2^j with 1 <= i + j <= degree of 2-D points (n, 2), and their gradients (n, F, 2)."""
    x = check_real_array("x", x, ndim=2)
    if x.shape[1] != 2:
        raise ValueError(f"x must have shape (n, 2), got {x.shape}")
    degree = check_int("degree", degree, low=1, high=10)
    powers = [(i, k - i) for k in range(1, degree + 1) for i in range(k + 1)]
    x1, x2 = x[:, 0:1], x[:, 1:2]
    feats = np.hstack([x1**i * x2**j for i, j in powers])
    grad1 = np.hstack([i * x1 ** max(i - 1, 0) * x2**j for i, j in powers])
    grad2 = np.hstack([j * x1**i * x2 ** max(j - 1, 0) for i, j in powers])
    return feats, np.stack([grad1, grad2], axis=2)


@dataclass(frozen=True)
class EnergyModel:
    """Result of :func:`train_energy_model`: E(x) = theta . phi(x) with polynomial features.

    ``theta_history`` has one row per iteration; ``negatives`` are the final
    Langevin chains (samples of the model); ``moment_gap`` is the largest
    absolute difference of <phi>_data and <phi>_model per iteration, which
    training drives down.
    """

    theta: np.ndarray
    theta_history: np.ndarray
    negatives: np.ndarray
    moment_gap: np.ndarray
    degree: int
    confinement: float
    seed: int

    def energy(self, x):
        """E(x) = theta . phi(x) + confinement (x.x)^2 at points of shape (n, 2)."""
        x = np.atleast_2d(x)
        return polynomial_features(x, self.degree)[0] @ self.theta + self.confinement * np.sum(x**2, axis=1) ** 2


def train_energy_model(data, *, degree=4, n_iter=300, lr=0.05, n_chains=500, langevin_steps=20, step=0.01,
                       confinement=0.01, seed=None):
    """Maximum likelihood for a 2-D energy-based model, with model samples from Langevin dynamics.

    The log-likelihood gradient is <phi>_model - <phi>_data for E = theta . phi;
    the model average comes from ``n_chains`` persistent ULA chains run
    ``langevin_steps`` steps of size ``step`` per iteration (persistent
    contrastive divergence). A fixed term ``confinement`` (x.x)^2 keeps the
    density normalizable while theta is still poor.
    """
    from .random import rng

    data = check_real_array("data", data, ndim=2)
    if data.shape[1] != 2 or data.shape[0] < 10:
        raise ValueError(f"data must have shape (n >= 10, 2), got {data.shape}")
    n_iter = check_int("n_iter", n_iter, low=1, high=100_000)
    lr = check_real("lr", lr, low=0.0, low_open=True, high=10.0)
    n_chains = check_int("n_chains", n_chains, low=2, high=100_000)
    langevin_steps = check_int("langevin_steps", langevin_steps, low=1, high=10_000)
    step = check_real("step", step, low=0.0, low_open=True, high=1.0)
    confinement = check_real("confinement", confinement, low=0.0)
    check_work("train_energy_model (n_iter * n_chains * langevin_steps)", float(n_iter) * n_chains * langevin_steps,
               MAX_EVALUATIONS / 10)
    seed = resolve_seed(seed)
    generator = rng(seed)
    data_moments = polynomial_features(data, degree)[0].mean(axis=0)
    theta = np.zeros(data_moments.size)
    chains = data[generator.integers(0, data.shape[0], n_chains)].copy()
    history, gaps = [], []
    for _ in range(n_iter):
        for _ in range(langevin_steps):
            _, grads = polynomial_features(chains, degree)
            force = -np.einsum("nfd,f->nd", grads, theta) - 4 * confinement * chains * np.sum(chains**2, axis=1, keepdims=True)
            chains = chains + step * force + math.sqrt(2 * step) * generator.standard_normal(chains.shape)
        model_moments = polynomial_features(chains, degree)[0].mean(axis=0)
        gap = model_moments - data_moments
        theta = theta + lr * gap  # ascend the log-likelihood: d/dtheta = <phi>_model - <phi>_data
        history.append(theta.copy())
        gaps.append(np.abs(gap).max())
    return EnergyModel(theta=theta, theta_history=np.array(history), negatives=chains, moment_gap=np.array(gaps),
                       degree=degree, confinement=confinement, seed=seed)
