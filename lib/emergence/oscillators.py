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
