"""Tipping points and their early-warning signals.

Tipping conventions
-------------------
The fold (saddle-node) normal form with a slowly drifting parameter and
additive noise is

    dx = (r(t) + x^2) dt + sigma dW,   r(t) = r0 + rate t,   r0 < 0.

For r < 0 it has a stable equilibrium x = -sqrt(-r) and an unstable one
x = +sqrt(-r); they meet and vanish at r = 0, after which x escapes to
+infinity. Near the stable branch the linearized relaxation rate is
k = 2 sqrt(-r), which goes to zero at the fold: this is critical slowing
down. For a linear (Ornstein-Uhlenbeck) relaxation dx = -k x dt + sigma dW
sampled every dt, the lag-1 autocorrelation is exp(-k dt) and the
stationary variance sigma^2 / (2k), so both early-warning indicators rise
as k -> 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.ndimage import gaussian_filter1d
from scipy.signal import lfilter
from scipy.stats import kendalltau

from ._validation import check_choice, check_int, check_real, check_real_array, check_work
from ._xoshiro import normal
from .random import kernel_state, resolve_seed, rng, seeded

MAX_STEPS = 100_000_000
#: The detrending options of :func:`early_warning`.
DETRENDING = ("gaussian", "linear", "none")


def ou_process(k, sigma, n, dt, *, x0=None, seed=None):
    """An Ornstein-Uhlenbeck path dx = -k x dt + sigma dW sampled exactly every dt.

    x_{i+1} = a x_i + s xi_i with a = exp(-k dt) and s = sigma sqrt((1 - a^2) / (2k)):
    no discretization error. Default x0: a draw from the stationary law.

    Returns
    -------
    ndarray, shape (n,) (a SeededArray recording ``seed``)
    """
    k = check_real("k", k, low=0.0, low_open=True)
    sigma = check_real("sigma", sigma, low=0.0)
    n = check_int("n", n, low=1, high=MAX_STEPS)
    dt = check_real("dt", dt, low=0.0, low_open=True)
    seed = resolve_seed(seed)
    g = rng(seed)
    a = math.exp(-k * dt)
    s = sigma * math.sqrt((1 - a * a) / (2 * k))
    noise = s * g.standard_normal(n)
    noise[0] = (sigma / math.sqrt(2 * k) * g.standard_normal()) if x0 is None else check_real("x0", x0)
    # x_i = a x_{i-1} + noise_i is a linear filter: scipy's lfilter runs it in compiled code
    return seeded(lfilter([1.0], [1.0, -a], noise), seed)


@njit(cache=True)
def _fold(r0, rate, sigma, x, dt, steps, threshold, state, out):
    amp = sigma * math.sqrt(dt)
    for i in range(steps + 1):
        out[i] = x
        if x >= threshold:
            out[i + 1:] = np.nan
            return i
        if i == steps:
            break
        r = r0 + rate * i * dt
        x += (r + x * x) * dt + amp * normal(state)
    return -1


@dataclass(frozen=True)
class FoldResult:
    """Outcome of :func:`fold_drift`.

    Attributes
    ----------
    t, x, r : ndarray
        Times, the state (NaN after tipping) and the drifting parameter.
    tipping_time : float
        First time x reached ``threshold`` (NaN if it never did).
    bifurcation_time : float
        When r(t) crosses 0, -r0 / rate (inf if rate = 0).
    seed : int
    """

    t: np.ndarray
    x: np.ndarray
    r: np.ndarray
    tipping_time: float
    bifurcation_time: float
    seed: int


def _time_grid(name, t_max, dt, dt_max):
    """(t_max, dt, steps) of a fixed-step integration, checked; dt at most min(t_max, dt_max)."""
    t_max = check_real("t_max", t_max, low=0.0, low_open=True)
    dt = check_real("dt", dt, low=0.0, low_open=True, high=min(t_max, dt_max))
    steps = int(round(t_max / dt))
    check_work(f"{name} (steps)", float(steps), MAX_STEPS)
    return t_max, dt, steps


def fold_drift(t_max, dt, *, rate, noise, r0=-1.0, x0=None, threshold=1.0, seed=None):
    """The noisy fold normal form with a drifting parameter (see the module conventions).

    Euler-Maruyama with step dt (additive noise: strong order 1). The state
    starts on the stable branch -sqrt(-r0) unless ``x0`` is given. Tipping
    is the first time x reaches ``threshold`` (by default 1, well past the
    unstable branch once r is near 0); the path is NaN afterwards.

    Parameters
    ----------
    t_max, dt : float
    rate : float >= 0
        dr/dt; the bifurcation is crossed at t = -r0 / rate.
    noise : float >= 0
        sigma.
    r0 : float < 0
    x0 : float, optional
    threshold : float > 0
    seed : int, optional

    Returns
    -------
    FoldResult
    """
    t_max, dt, steps = _time_grid("fold_drift", t_max, dt, 0.1)
    rate = check_real("rate", rate, low=0.0)
    sigma = check_real("noise", noise, low=0.0)
    r0 = check_real("r0", r0, high=0.0, high_open=True)
    threshold = check_real("threshold", threshold, low=0.0, low_open=True)
    x = -math.sqrt(-r0) if x0 is None else check_real("x0", x0, high=threshold, high_open=True)
    seed = resolve_seed(seed)
    out = np.empty(steps + 1)
    hit = _fold(r0, rate, sigma, x, dt, steps, threshold, kernel_state(seed), out)
    t = np.arange(steps + 1) * dt
    return FoldResult(t=t, x=out, r=r0 + rate * t, tipping_time=float(t[hit]) if hit >= 0 else float("nan"),
                      bifurcation_time=-r0 / rate if rate > 0 else float("inf"), seed=seed)


@dataclass(frozen=True)
class EarlyWarning:
    """Outcome of :func:`early_warning`.

    Attributes
    ----------
    end : ndarray of int
        Index (in the series) of the last sample of each window.
    variance, autocorrelation : ndarray
        Rolling variance and lag-1 autocorrelation of the residuals.
    tau_variance, tau_autocorrelation : float
        Kendall's tau of each indicator against time (+1: always rising).
    residuals : ndarray
        The detrended series.
    """

    end: np.ndarray
    variance: np.ndarray
    autocorrelation: np.ndarray
    tau_variance: float
    tau_autocorrelation: float
    residuals: np.ndarray


def early_warning(series, *, window, detrend="gaussian", bandwidth=None):
    """Rolling variance and lag-1 autocorrelation of a detrended series, with their trends.

    Parameters
    ----------
    series : array_like, 1-D, finite
        Equally spaced samples, up to (not past) the transition.
    window : int
        Samples per rolling window, at least 10 and at most the length of the series.
    detrend : {"gaussian", "linear", "none"}
        "gaussian" subtracts a Gaussian-kernel smoothing of standard deviation
        ``bandwidth`` samples (default: window / 2); "linear" a straight-line fit to the whole series.
    bandwidth : float, optional

    Returns
    -------
    EarlyWarning
    """
    x = check_real_array("series", series, ndim=1)
    window = check_int("window", window, low=10, high=x.size)
    check_choice("detrend", detrend, DETRENDING)
    if detrend == "gaussian":
        bw = window / 2 if bandwidth is None else check_real("bandwidth", bandwidth, low=0.0, low_open=True)
        resid = x - gaussian_filter1d(x, bw, mode="nearest")
    elif detrend == "linear":
        n = np.arange(x.size)
        resid = x - np.polyval(np.polyfit(n, x, 1), n)
    else:
        resid = x - x.mean()
    # rolling sums by cumulative sums: O(n) for every window at once
    c1 = np.concatenate([[0.0], np.cumsum(resid)])
    c2 = np.concatenate([[0.0], np.cumsum(resid * resid)])
    lagged = resid[1:] * resid[:-1]
    c12 = np.concatenate([[0.0], np.cumsum(lagged)])
    starts = np.arange(x.size - window + 1)
    ends = starts + window
    m = (c1[ends] - c1[starts]) / window
    var = (c2[ends] - c2[starts]) / window - m * m
    # lag-1 pairs inside the window: (i, i+1) for i = start .. end - 2
    a_sum = c1[ends - 1] - c1[starts]  # x_i, i = start .. end-2
    b_sum = c1[ends] - c1[starts + 1]  # x_{i+1}
    a2 = c2[ends - 1] - c2[starts]
    b2 = c2[ends] - c2[starts + 1]
    ab = c12[ends - 1] - c12[starts]
    p = window - 1
    cov = ab / p - (a_sum / p) * (b_sum / p)
    denom = np.sqrt(np.maximum(a2 / p - (a_sum / p) ** 2, 0) * np.maximum(b2 / p - (b_sum / p) ** 2, 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        ac = np.where(denom > 0, cov / denom, np.nan)
    if not np.any(var > 0):
        raise ValueError("series is constant after detrending: the indicators are undefined")
    tau_v = kendalltau(starts, var).statistic if starts.size > 1 else float("nan")
    finite = np.isfinite(ac)
    tau_a = kendalltau(starts[finite], ac[finite]).statistic if finite.sum() > 1 else float("nan")
    return EarlyWarning(end=ends - 1, variance=var, autocorrelation=ac, tau_variance=float(tau_v),
                        tau_autocorrelation=float(tau_a), residuals=resid)


#: r at which the lower state of the double well disappears (a fold): 2 / (3 sqrt 3).
DOUBLE_WELL_FOLD = 2.0 / (3.0 * math.sqrt(3.0))


@njit(cache=True)
def _double_well(r0, rate, sigma, x, dt, steps, state, out):
    amp = sigma * math.sqrt(dt)
    for i in range(steps + 1):
        out[i] = x
        if i == steps:
            break
        r = r0 + rate * i * dt
        x += (x - x * x * x + r) * dt + amp * normal(state)


@dataclass(frozen=True)
class DoubleWellResult:
    """Outcome of :func:`double_well`: the path x and the parameter r at times t.

    ``first_transition`` is the first time x exceeds +1/sqrt(3) (past the
    barrier top, towards the upper well), NaN if it never does.
    """

    t: np.ndarray
    x: np.ndarray
    r: np.ndarray
    first_transition: float
    seed: int


def double_well(t_max, dt, *, r0=0.0, rate=0.0, noise, x0=-1.0, seed=None):
    """The bistable system dx = (x - x^3 + r(t)) dt + sigma dW, r(t) = r0 + rate t.

    The potential V = x^4/4 - x^2/2 - r x has two wells for
    abs(r) < 2/(3 sqrt 3) (:data:`DOUBLE_WELL_FOLD`). Noise alone can carry
    x over the barrier (noise-induced tipping, and flickering back and forth
    when the barrier is low); a drifting r removes the lower well at the fold
    (bifurcation-induced tipping, preceded by critical slowing down). The
    stationary density for constant r is proportional to exp(-2 V / sigma^2).
    Euler-Maruyama with step dt.

    Returns
    -------
    DoubleWellResult
    """
    t_max, dt, steps = _time_grid("double_well", t_max, dt, 0.05)
    r0 = check_real("r0", r0)
    rate = check_real("rate", rate)
    sigma = check_real("noise", noise, low=0.0)
    x = check_real("x0", x0, low=-10.0, high=10.0)
    seed = resolve_seed(seed)
    out = np.empty(steps + 1)
    _double_well(r0, rate, sigma, x, dt, steps, kernel_state(seed), out)
    t = np.arange(steps + 1) * dt
    above = np.nonzero(out > 1 / math.sqrt(3))[0]
    first = float(t[above[0]]) if above.size and x < 1 / math.sqrt(3) else float("nan")
    return DoubleWellResult(t=t, x=out, r=r0 + rate * t, first_transition=first, seed=seed)


@njit(cache=True)
def _ramp(amplitude, rate, sigma, x, t0, dt, steps, threshold, state, out):
    amp = sigma * math.sqrt(dt)
    for i in range(steps + 1):
        out[i] = x
        lam = 0.5 * amplitude * (1.0 + math.tanh(rate * (t0 + i * dt)))
        if x + lam >= threshold:
            out[i + 1:] = np.nan
            return i
        if i == steps:
            break
        y = x + lam
        x += (y * y - 1.0) * dt + amp * normal(state)
    return -1


@dataclass(frozen=True)
class RampResult:
    """Outcome of :func:`rate_ramp`: the path x (NaN after tipping) and the shift lambda at times t."""

    t: np.ndarray
    x: np.ndarray
    shift: np.ndarray
    tipping_time: float
    seed: int


def rate_ramp(t_max, dt, *, rate, amplitude=3.0, noise=0.0, threshold=2.0, seed=None):
    """Rate-induced tipping: dx = ((x + lambda(t))^2 - 1) dt + sigma dW, lambda(t) = A (1 + tanh(rate t)) / 2.

    For every frozen lambda the state x = -lambda - 1 is a stable
    equilibrium, so no bifurcation ever happens; but the equilibrium moves,
    and if lambda changes too fast the state cannot follow and escapes. In
    the moving frame y = x + lambda, y' = y^2 - 1 + lambda'(t): tipping is
    y reaching ``threshold`` (past the unstable point y = +1 of the frozen
    system). An instantaneous jump moves y by the amplitude A, from -1 to
    A - 1, so tipping needs A > 2; beyond that, it needs a fast enough rate.
    Time runs from -t_max/2 to t_max/2, starting on the equilibrium.

    Returns
    -------
    RampResult
    """
    t_max, dt, steps = _time_grid("rate_ramp", t_max, dt, 0.05)
    rate = check_real("rate", rate, low=0.0)
    amplitude = check_real("amplitude", amplitude)
    sigma = check_real("noise", noise, low=0.0)
    threshold = check_real("threshold", threshold, low=1.0, low_open=True)
    seed = resolve_seed(seed)
    t0 = -t_max / 2
    lam0 = 0.5 * amplitude * (1 + math.tanh(rate * t0))
    out = np.empty(steps + 1)
    hit = _ramp(amplitude, rate, sigma, -lam0 - 1.0, t0, dt, steps, threshold, kernel_state(seed), out)
    t = t0 + np.arange(steps + 1) * dt
    shift = 0.5 * amplitude * (1 + np.tanh(rate * t))
    return RampResult(t=t, x=out, shift=shift, tipping_time=float(t[hit]) if hit >= 0 else float("nan"), seed=seed)
