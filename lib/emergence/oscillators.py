"""Coupled phase oscillators: the Kuramoto model, with and without noise.

Oscillator conventions
----------------------
N phases theta_i with natural frequencies omega_i obey

    d theta_i / dt = omega_i + (K / N) sum_j sin(theta_j - theta_i) + sqrt(2 D) xi_i(t),

with xi_i independent white noises. The complex order parameter is
r e^{i psi} = (1/N) sum_j e^{i theta_j}, so the coupling term is
K r sin(psi - theta_i) and costs O(N) per step. Time is in the units of
1/omega; frequencies are angular (radians per unit time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ._validation import check_int, check_real, check_real_array, check_work
from ._xoshiro import normal
from .random import kernel_state, resolve_seed, rng

MAX_OSCILLATORS = 10_000_000
#: About 20 ns an oscillator and step (four sin/cos pairs): some ten seconds of work.
MAX_UPDATES = 5e8


@njit(cache=True)
def _mean_field(theta, c, s):
    x = 0.0
    y = 0.0
    for i in range(theta.shape[0]):
        c[i] = math.cos(theta[i])
        s[i] = math.sin(theta[i])
        x += c[i]
        y += s[i]
    n = theta.shape[0]
    return x / n, y / n


@njit(cache=True)
def _velocity(theta, omega, K, out, c, s):
    """d theta / dt = omega + K (Y cos theta - X sin theta), with X + iY the order parameter."""
    x, y = _mean_field(theta, c, s)
    for i in range(theta.shape[0]):
        out[i] = omega[i] + K * (y * c[i] - x * s[i])
    return x, y


@njit(cache=True)
def _integrate(theta, omega, K, D, dt, steps, every, rng_state, r_out, psi_out):
    n = theta.shape[0]
    k1 = np.empty(n)
    k2 = np.empty(n)
    k3 = np.empty(n)
    k4 = np.empty(n)
    tmp = np.empty(n)
    c = np.empty(n)
    s = np.empty(n)
    amplitude = math.sqrt(2.0 * D * dt)
    for t in range(steps + 1):
        if t % every == 0:
            x, y = _mean_field(theta, c, s)
            r_out[t // every] = math.sqrt(x * x + y * y)
            psi_out[t // every] = math.atan2(y, x)
        if t == steps:
            break
        if D == 0.0:  # classical fourth-order Runge-Kutta
            _velocity(theta, omega, K, k1, c, s)
            for i in range(n):
                tmp[i] = theta[i] + 0.5 * dt * k1[i]
            _velocity(tmp, omega, K, k2, c, s)
            for i in range(n):
                tmp[i] = theta[i] + 0.5 * dt * k2[i]
            _velocity(tmp, omega, K, k3, c, s)
            for i in range(n):
                tmp[i] = theta[i] + dt * k3[i]
            _velocity(tmp, omega, K, k4, c, s)
            for i in range(n):
                theta[i] += dt * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0
        else:  # Euler-Maruyama (additive noise)
            _velocity(theta, omega, K, k1, c, s)
            for i in range(n):
                theta[i] += dt * k1[i] + amplitude * normal(rng_state)


@dataclass(frozen=True)
class KuramotoResult:
    """Outcome of :func:`kuramoto`.

    Attributes
    ----------
    t : ndarray
        Recording times.
    r, psi : ndarray
        Order parameter modulus and phase at those times.
    theta : ndarray, shape (N,)
        Final phases, in [0, 2 pi).
    seed : int
    """

    t: np.ndarray
    r: np.ndarray
    psi: np.ndarray
    theta: np.ndarray
    seed: int


def kuramoto(omega, K, t_max, dt, *, noise=0.0, theta0=None, record_every=1, seed=None):
    """Integrate the (noisy) Kuramoto model.

    Parameters
    ----------
    omega : array_like, shape (N,)
        Natural frequencies.
    K : float >= 0
        Coupling strength.
    t_max : float > 0
        Duration.
    dt : float > 0
        Time step: fourth-order Runge-Kutta without noise, Euler-Maruyama
        with noise.
    noise : float >= 0
        Noise strength D (phase diffusion constant of an uncoupled oscillator).
    theta0 : array_like, shape (N,), optional
        Initial phases; default independent uniform phases drawn from ``seed``.
    record_every : int
        Record r and psi every this many steps.
    seed : int or None

    Returns
    -------
    KuramotoResult
    """
    om = check_real_array("omega", omega, ndim=1)
    n = om.size
    if n > MAX_OSCILLATORS:
        raise ValueError(f"omega has {n} oscillators, more than {MAX_OSCILLATORS}")
    K = check_real("K", K, low=0.0, high=1e6)
    t_max = check_real("t_max", t_max, low=0.0, low_open=True, high=1e9)
    dt = check_real("dt", dt, low=0.0, low_open=True, high=t_max)
    D = check_real("noise", noise, low=0.0, high=1e6)
    every = check_int("record_every", record_every, low=1)
    steps = int(round(t_max / dt))
    check_work("kuramoto (N * steps * stages)", float(n) * steps * (4 if D == 0 else 1), MAX_UPDATES)
    seed = resolve_seed(seed)
    if theta0 is None:
        theta = rng(seed).uniform(0, 2 * np.pi, n)
    else:
        theta = check_real_array("theta0", theta0, ndim=1).copy()
        if theta.size != n:
            raise ValueError(f"theta0 must have one phase per oscillator ({n}), got {theta.size}")
    records = steps // every + 1
    r_out = np.empty(records)
    psi_out = np.empty(records)
    _integrate(theta, om, K, D, dt, steps, every, kernel_state(seed, stream=1), r_out, psi_out)
    return KuramotoResult(t=np.arange(records) * every * dt, r=r_out, psi=psi_out,
                          theta=np.mod(theta, 2 * np.pi), seed=seed)


def lorentzian_frequencies(N, gamma, *, center=0.0):
    """N deterministic frequencies at the quantiles (j - 1/2)/N of a Lorentzian of half-width gamma.

    omega_j = center + gamma tan(pi ((j - 1/2)/N - 1/2)), j = 1..N: a
    noise-free sample of g(omega) = (gamma / pi) / ((omega - center)^2 + gamma^2).
    """
    N = check_int("N", N, low=1, high=MAX_OSCILLATORS)
    gamma = check_real("gamma", gamma, low=0.0, low_open=True)
    center = check_real("center", center)
    q = (np.arange(1, N + 1) - 0.5) / N
    return center + gamma * np.tan(np.pi * (q - 0.5))


def critical_coupling(gamma, noise=0.0):
    """K_c = 2 / (pi g(0)) = 2 gamma for a Lorentzian of half-width gamma; noise D adds to the width: 2 (gamma + D)."""
    gamma = check_real("gamma", gamma, low=0.0)
    noise = check_real("noise", noise, low=0.0)
    return 2.0 * (gamma + noise)


def lorentzian_order_parameter(K, gamma, noise=0.0):
    """Stationary r = sqrt(1 - K_c / K) above K_c = 2 (gamma + D), 0 below.

    Exact for the noiseless Lorentzian (Kuramoto's self-consistency, or the
    Ott-Antonsen reduction dr/dt = -gamma r + (K/2) r (1 - r^2)); with noise D
    it is the same reduction with gamma replaced by gamma + D, which is an
    approximation (the Ott-Antonsen manifold is not exactly invariant with noise).
    """
    K = check_real_array("K", K, low=0.0)
    kc = critical_coupling(gamma, noise)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(K > kc, np.sqrt(np.clip(1 - kc / K, 0, None)), 0.0)
    return float(out) if np.ndim(K) == 0 else out


def reduced_order_parameter(t, K, gamma, r0, noise=0.0):
    """r(t) of the Ott-Antonsen reduced equation dr/dt = -(gamma + D) r + (K/2) r (1 - r^2).

    For Lorentzian frequencies without noise the reduction is exact for
    N -> infinity when the phases start on the Ott-Antonsen manifold (e.g.
    :func:`wrapped_cauchy_phases`, independent of the frequencies). With noise
    D the same equation with gamma + D in place of gamma is a closure: it gets
    the onset K_c = 2 (gamma + D) right and is approximate above it. Solved in
    closed form: s = r^2 obeys the logistic equation ds/dt = a s - K s^2 with
    a = K - 2 (gamma + D).

    Parameters
    ----------
    t : array_like of float >= 0
    K : float >= 0
    gamma : float > 0
    r0 : float, 0 < r0 <= 1
        Order parameter at t = 0.
    noise : float >= 0

    Returns
    -------
    ndarray, same shape as t
    """
    t = check_real_array("t", t, low=0.0)
    K = check_real("K", K, low=0.0, high=1e6)
    gamma = check_real("gamma", gamma, low=0.0, low_open=True)
    r0 = check_real("r0", r0, low=0.0, high=1.0, low_open=True)
    noise = check_real("noise", noise, low=0.0)
    a = K - 2 * (gamma + noise)
    s0 = r0 * r0
    if a == 0.0:
        s = s0 / (1 + K * s0 * t)
    else:
        # s0 a / (s0 K + (a - s0 K) e^{-a t}), arranged to avoid overflow for either sign of a
        decay = np.exp(-abs(a) * t)
        s = (s0 * a / (s0 * K + (a - s0 * K) * decay) if a > 0
             else s0 * a * decay / (s0 * K * decay + (a - s0 * K)))
    return np.sqrt(s)


def wrapped_cauchy_phases(N, r0, *, seed=None):
    """N phases at the quantiles of a wrapped Cauchy density with order parameter r0, in random order.

    The wrapped Cauchy (Poisson kernel) density is the Ott-Antonsen manifold's
    phase distribution, so oscillators started from it (independently of their
    frequencies) follow :func:`reduced_order_parameter` when N is large.
    r0 = 0 gives equally spaced phases.
    """
    N = check_int("N", N, low=1, high=MAX_OSCILLATORS)
    r0 = check_real("r0", r0, low=0.0, high=1.0, high_open=True)
    q = (np.arange(1, N + 1) - 0.5) / N
    theta = 2 * np.arctan((1 - r0) / (1 + r0) * np.tan(np.pi * (q - 0.5)))
    return rng(resolve_seed(seed)).permutation(theta)


def _stationary_harmonic(omega, Kr, D, modes):
    """<cos theta> in the stationary state of d theta = (omega - Kr sin theta) dt + sqrt(2D) dW.

    The Fourier modes p_n = <e^{-i n theta}> of the stationary density obey
    (D n + i omega) p_n = (Kr / 2)(p_{n-1} - p_{n+1}), so the ratios
    q_n = p_n / p_{n-1} satisfy q_n = (Kr/2) / (D n + i omega + (Kr/2) q_{n+1}):
    a continued fraction, evaluated from n = modes down with q = 0 beyond.
    """
    q = np.zeros_like(omega, dtype=complex)
    for n in range(modes, 0, -1):
        q = (Kr / 2) / (D * n + 1j * omega + (Kr / 2) * q)
    return q.real


def stationary_order_parameter(K, gamma, noise, *, nodes=400, modes=None):
    """Exact (N -> infinity) stationary r of the noisy Kuramoto model with Lorentzian frequencies.

    Each oscillator, in the mean field K r, has the stationary phase density of
    a Fokker-Planck equation, solved exactly by a continued fraction over its
    Fourier modes; r is the fixed point of r = integral g(omega) <cos theta>_omega
    d omega (its nonzero root, found by Brent's method; 0 below
    K_c = 2 (gamma + D)). Compare :func:`lorentzian_order_parameter`, the
    Ott-Antonsen closure, which is exact only at D = 0.

    With gamma = 0 (identical oscillators) this is the mean-field XY model at
    temperature T = D with J = K: r = I_1(K r / T) / I_0(K r / T), ordered
    below T_c = K / 2.

    Parameters
    ----------
    K : float >= 0
    gamma : float >= 0
    noise : float > 0
        D (for D = 0 use :func:`lorentzian_order_parameter`, which is exact).
    nodes : int
        Gauss-Legendre nodes over the frequency quantile u, omega = gamma tan(pi u).
    modes : int, optional
        Fourier modes in the continued fraction; default enough for Kr / D.

    Returns
    -------
    float
    """
    K = check_real("K", K, low=0.0, high=1e4)
    gamma = check_real("gamma", gamma, low=0.0, high=1e4)
    D = check_real("noise", noise, low=1e-3 * max(gamma, 1.0), high=1e4)
    nodes = check_int("nodes", nodes, low=20, high=100_000)
    modes = int(20 + 4 * K / D) if modes is None else check_int("modes", modes, low=1, high=100_000)
    if K <= critical_coupling(gamma, D):
        return 0.0
    if gamma == 0.0:
        omega, w = np.zeros(1), np.ones(1)
    else:
        u, w = np.polynomial.legendre.leggauss(nodes)
        omega = gamma * np.tan(0.5 * np.pi * u * (1 - 1e-12))
        w = w / 2  # the weights of g(omega) d omega = du on u in (-1/2, 1/2)

    def excess(r):  # self-consistency residual, positive below the fixed point
        return w @ _stationary_harmonic(omega, K * r, D, modes) - r

    from scipy.optimize import brentq

    # Bracket the largest root from above (excess(1) < 0 always), halving r.
    hi = 1.0
    while hi > 1e-6:
        lo = hi / 2
        if excess(lo) > 0:
            return float(brentq(excess, lo, hi, xtol=1e-13))
        hi = lo
    return 0.0
