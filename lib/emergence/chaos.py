"""Chaotic flows, spatio-temporal chaos, turbulence toys and forecasters of chaos.

Flow conventions
----------------
A flow is dx/dt = f(x; params), integrated with the classical fourth-order
Runge-Kutta scheme at a fixed step ``dt``. Time is in the model's own units,
Lyapunov exponents in 1 / (model time unit), natural logarithm. The systems
and their parameters (defaults in brackets):

* ``"lorenz63"``: x' = sigma (y - x), y' = x (rho - z) - y, z' = x y - beta z
  [sigma = 10, rho = 28, beta = 8/3]. The divergence of f is the constant
  -(sigma + 1 + beta), so the Lyapunov exponents sum to exactly that.
* ``"rossler"``: x' = -y - z, y' = x + a y, z' = b + z (x - c) [a = b = 0.2, c = 5.7].
* ``"lorenz96"``: X_k' = (X_{k+1} - X_{k-2}) X_{k-1} - X_k + F on a ring of N
  sites [N = 40, F = 8].
* ``"lorenz96-2scale"``: K slow variables X_k, each coupled to J fast ones; the
  K J fast variables Y_m (m = k J + j) form one ring [K = 36, J = 10, F = 10,
  h = 1, b = 10, c = 10]:

      X_k' = (X_{k+1} - X_{k-2}) X_{k-1} - X_k + F - (h c / b) sum_j Y_{kJ+j},
      Y_m' = c b Y_{m+1} (Y_{m-1} - Y_{m+2}) - c Y_m + (h c / b) X_{m // J}.

  The state is (X_0..X_{K-1}, Y_0..Y_{KJ-1}). The fast variables are c times
  faster and b times smaller than the slow ones; h is the coupling strength.

A state whose size passes :data:`ESCAPE` (or becomes NaN) has escaped to
infinity, almost always because ``dt`` is too large: :func:`integrate` reports
it in its result and with a ``RuntimeWarning``, and the other functions refuse
with a ``ValueError``.

Kuramoto-Sivashinsky convention
-------------------------------
u_t = -u u_x - u_xx - u_xxxx on [0, L) with periodic boundaries. A Fourier
mode e^{iqx} with q = 2 pi k / L grows at the rate q^2 - q^4, so exactly the
modes with 0 < q < 1 are linearly unstable: floor(L / 2 pi) of them when
L / 2 pi is not an integer. The spatial mean of u is conserved.

Shell-model conventions
-----------------------
Shell n = 0..N-1 carries one velocity u_n at wavenumber k_n = 2^n. The
energy is E = (1/2) sum abs(u_n)^2 and the viscous dissipation rate
nu sum k_n^2 abs(u_n)^2. Two models:

* ``"sabra"`` (complex u_n): u_n' = i (k_{n+1} u_{n+2} u*_{n+1}
  - (1/2) k_n u_{n+1} u*_{n-1} + (1/2) k_{n-1} u_{n-1} u_{n-2}) - nu k_n^2 u_n + f_n;
* ``"dyadic"`` (real u_n): u_n' = k_n u_{n-1}^2 - k_{n+1} u_n u_{n+1} - nu k_n^2 u_n + f_n.

Shells outside 0..N-1 are zero. Both nonlinear terms conserve E, so energy
only enters through the forcing and leaves through viscosity; the flux Pi_n
is the rate at which the nonlinear term moves energy from shells 0..n to the
shells above n.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from numba import njit
from scipy.spatial import cKDTree

from ._optim import adam_step
from ._validation import check_bool, check_choice, check_int, check_params, check_real, check_real_array, check_work
from ._xoshiro import normal
from .random import kernel_state, resolve_seed, rng, seeded
from .stats import linear_fit

#: name -> (kind, parameter names in kernel order, integer size names, defaults)
SYSTEMS = {
    "lorenz63": (0, ("sigma", "rho", "beta"), (), {"sigma": 10.0, "rho": 28.0, "beta": 8.0 / 3.0}),
    "rossler": (1, ("a", "b", "c"), (), {"a": 0.2, "b": 0.2, "c": 5.7}),
    "lorenz96": (2, ("F",), ("N",), {"N": 40, "F": 8.0}),
    "lorenz96-2scale": (3, ("F", "h", "b", "c"), ("K", "J"),
                        {"K": 36, "J": 10, "F": 10.0, "h": 1.0, "b": 10.0, "c": 10.0}),
}
#: States larger than this (in any component) have escaped to infinity.
ESCAPE = 1e8
#: About ten seconds of work: state components times RK4 steps.
MAX_WORK = 2e9
MAX_DIMENSION = 10_000
MAX_RECORDED = 50_000_000
#: The literature value of Lorenz-63's largest exponent at (10, 28, 8/3), per time unit.
LORENZ63_LAMBDA1 = 0.9056


# --------------------------------------------------------------------------
# flows: right-hand sides, Jacobian-vector products, parameter derivatives
# --------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _ring(i, n):
    """i modulo n for i in [-2, n + 1], without an integer division (Lorenz-96's ring neighbours)."""
    if i < 0:
        return i + n
    if i >= n:
        return i - n
    return i


@njit(cache=True)
def _rhs(kind, p, d, x, out):
    if kind == 0:
        out[0] = p[0] * (x[1] - x[0])
        out[1] = x[0] * (p[1] - x[2]) - x[1]
        out[2] = x[0] * x[1] - p[2] * x[2]
    elif kind == 1:
        out[0] = -x[1] - x[2]
        out[1] = x[0] + p[0] * x[1]
        out[2] = p[1] + x[2] * (x[0] - p[2])
    elif kind == 2:
        n = d[0]
        for k in range(n):
            out[k] = (x[_ring(k + 1, n)] - x[_ring(k - 2, n)]) * x[_ring(k - 1, n)] - x[k] + p[0]
    else:
        K, J = d[0], d[1]
        F, h, b, c = p[0], p[1], p[2], p[3]
        m = K * J
        g = h * c / b
        for k in range(K):
            s = 0.0
            for j in range(J):
                s += x[K + k * J + j]
            out[k] = (x[_ring(k + 1, K)] - x[_ring(k - 2, K)]) * x[_ring(k - 1, K)] - x[k] + F - g * s
        y = x[K:]
        for i in range(m):
            advection = y[_ring(i + 1, m)] * (y[_ring(i - 1, m)] - y[_ring(i + 2, m)])
            out[K + i] = c * b * advection - c * y[i] + g * x[i // J]


@njit(cache=True)
def _jvp(kind, p, d, x, v, out):
    """out = J(x) v, with J the exact Jacobian of f."""
    if kind == 0:
        out[0] = p[0] * (v[1] - v[0])
        out[1] = (p[1] - x[2]) * v[0] - v[1] - x[0] * v[2]
        out[2] = x[1] * v[0] + x[0] * v[1] - p[2] * v[2]
    elif kind == 1:
        out[0] = -v[1] - v[2]
        out[1] = v[0] + p[0] * v[1]
        out[2] = x[2] * v[0] + (x[0] - p[2]) * v[2]
    elif kind == 2:
        n = d[0]
        for k in range(n):
            km1 = _ring(k - 1, n)
            out[k] = ((v[_ring(k + 1, n)] - v[_ring(k - 2, n)]) * x[km1]
                      + (x[_ring(k + 1, n)] - x[_ring(k - 2, n)]) * v[km1] - v[k])
    else:
        K, J = d[0], d[1]
        h, b, c = p[1], p[2], p[3]
        m = K * J
        g = h * c / b
        for k in range(K):
            s = 0.0
            for j in range(J):
                s += v[K + k * J + j]
            km1 = _ring(k - 1, K)
            out[k] = ((v[_ring(k + 1, K)] - v[_ring(k - 2, K)]) * x[km1]
                      + (x[_ring(k + 1, K)] - x[_ring(k - 2, K)]) * v[km1] - v[k] - g * s)
        y = x[K:]
        w = v[K:]
        for i in range(m):
            ip1, im1, ip2 = _ring(i + 1, m), _ring(i - 1, m), _ring(i + 2, m)
            out[K + i] = (c * b * (w[ip1] * (y[im1] - y[ip2]) + y[ip1] * (w[im1] - w[ip2]))
                          - c * w[i] + g * v[i // J])


@njit(cache=True)
def _dparam(kind, p, d, x, index, out):
    """out = df/dp_index at x (exact)."""
    out[:] = 0.0
    if kind == 0:
        if index == 0:
            out[0] = x[1] - x[0]
        elif index == 1:
            out[1] = x[0]
        else:
            out[2] = -x[2]
    elif kind == 1:
        if index == 0:
            out[1] = x[1]
        elif index == 1:
            out[2] = 1.0
        else:
            out[2] = -x[2]
    elif kind == 2:
        out[:] = 1.0
    else:
        K, J = d[0], d[1]
        h, b, c = p[1], p[2], p[3]
        m = K * J
        y = x[K:]
        if index == 0:
            out[:K] = 1.0
            return
        # derivative of g = h c / b, and of the fast self-terms, with respect to h, b or c
        dg = c / b if index == 1 else (-h * c / (b * b) if index == 2 else h / b)
        for k in range(K):
            s = 0.0
            for j in range(J):
                s += y[k * J + j]
            out[k] = -dg * s
        for i in range(m):
            adv = y[_ring(i + 1, m)] * (y[_ring(i - 1, m)] - y[_ring(i + 2, m)])
            val = dg * x[i // J]
            if index == 2:
                val += c * adv
            elif index == 3:
                val += b * adv - y[i]
            out[K + i] = val


@njit(cache=True)
def _escaped(x):
    for v in x:
        if not abs(v) < ESCAPE:
            return True
    return False


@njit(cache=True)
def _rk4_stages(kind, p, d, x, dt, k1, k2, k3, k4, x2, x3, x4):
    """One RK4 step of the state; keeps the stage states x2..x4 for the tangent dynamics."""
    _rhs(kind, p, d, x, k1)
    x2[:] = x + 0.5 * dt * k1
    _rhs(kind, p, d, x2, k2)
    x3[:] = x + 0.5 * dt * k2
    _rhs(kind, p, d, x3, k3)
    x4[:] = x + dt * k3
    _rhs(kind, p, d, x4, k4)


@njit(cache=True)
def _integrate(kind, p, d, x, dt, steps, every, out):
    """Returns the index of the first record after an escape, or -1."""
    n = x.shape[0]
    k1, k2, k3, k4 = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    x2, x3, x4 = np.empty(n), np.empty(n), np.empty(n)
    for t in range(steps + 1):
        if t % every == 0:
            out[t // every] = x
        if t == steps:
            break
        _rk4_stages(kind, p, d, x, dt, k1, k2, k3, k4, x2, x3, x4)
        for i in range(n):
            x[i] += dt * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0
        if _escaped(x):
            return t // every + 1
    return -1


@njit(cache=True)
def _tangent_step(kind, p, d, x, v, dt, x2, x3, x4, w, j1, j2, j3, j4):
    """RK4 step of v' = J(x(t)) v with the stage states of the state's RK4 step."""
    _jvp(kind, p, d, x, v, j1)
    w[:] = v + 0.5 * dt * j1
    _jvp(kind, p, d, x2, w, j2)
    w[:] = v + 0.5 * dt * j2
    _jvp(kind, p, d, x3, w, j3)
    w[:] = v + dt * j3
    _jvp(kind, p, d, x4, w, j4)
    v += dt * (j1 + 2.0 * j2 + 2.0 * j3 + j4) / 6.0


@njit(cache=True)
def _lyapunov(kind, p, d, x, dt, steps, transient, m, every, record, running):
    """Benettin's method: m tangent vectors advanced by RK4 with the exact
    Jacobian, re-orthonormalized (modified Gram-Schmidt, i.e. QR) every
    ``every`` steps; the exponents are the averaged logs of R's diagonal.
    Returns False if the orbit escaped."""
    n = x.shape[0]
    k1, k2, k3, k4 = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    x2, x3, x4 = np.empty(n), np.empty(n), np.empty(n)
    w, j1, j2, j3, j4 = np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    for _ in range(transient):
        _rk4_stages(kind, p, d, x, dt, k1, k2, k3, k4, x2, x3, x4)
        x += dt * (k1 + 2.0 * k2 + 2.0 * k3 + k4) / 6.0
        if _escaped(x):
            return False
    Q = np.zeros((m, n))
    for i in range(m):
        Q[i, i] = 1.0
    sums = np.zeros(m)
    for t in range(1, steps + 1):
        _rk4_stages(kind, p, d, x, dt, k1, k2, k3, k4, x2, x3, x4)
        for i in range(m):
            _tangent_step(kind, p, d, x, Q[i], dt, x2, x3, x4, w, j1, j2, j3, j4)
        x += dt * (k1 + 2.0 * k2 + 2.0 * k3 + k4) / 6.0
        if _escaped(x):
            return False
        if t % every == 0 or t == steps:
            for i in range(m):
                for j in range(i):
                    proj = np.dot(Q[i], Q[j])
                    Q[i] -= proj * Q[j]
                norm = math.sqrt(np.dot(Q[i], Q[i]))
                sums[i] += math.log(norm)
                Q[i] /= norm
        if t % record == 0:
            running[t // record - 1] = sums / (t * dt)
    return True


@njit(cache=True)
def _sensitivity(kind, p, d, x, dt, steps, every, index, out_x, out_s):
    """x(t) and s(t) = dx(t)/dp_index, s(0) = 0, by RK4 on the augmented system
    s' = J(x) s + df/dp. Returns False if the orbit escaped."""
    n = x.shape[0]
    k1, k2, k3, k4 = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    x2, x3, x4 = np.empty(n), np.empty(n), np.empty(n)
    w, j1, j2, j3, j4 = np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    q1, q2, q3, q4 = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    s = np.zeros(n)
    for t in range(steps + 1):
        if t % every == 0:
            out_x[t // every] = x
            out_s[t // every] = s
        if t == steps:
            break
        _rk4_stages(kind, p, d, x, dt, k1, k2, k3, k4, x2, x3, x4)
        _dparam(kind, p, d, x, index, q1)
        _jvp(kind, p, d, x, s, j1)
        j1 += q1
        w[:] = s + 0.5 * dt * j1
        _dparam(kind, p, d, x2, index, q2)
        _jvp(kind, p, d, x2, w, j2)
        j2 += q2
        w[:] = s + 0.5 * dt * j2
        _dparam(kind, p, d, x3, index, q3)
        _jvp(kind, p, d, x3, w, j3)
        j3 += q3
        w[:] = s + dt * j3
        _dparam(kind, p, d, x4, index, q4)
        _jvp(kind, p, d, x4, w, j4)
        j4 += q4
        s += dt * (j1 + 2.0 * j2 + 2.0 * j3 + j4) / 6.0
        x += dt * (k1 + 2.0 * k2 + 2.0 * k3 + k4) / 6.0
        if _escaped(x):
            return False
    return True


def _system(system, params):
    """Validated (kind, float parameters, integer sizes, state dimension, full parameter dict)."""
    if not isinstance(system, str) or system not in SYSTEMS:
        raise ValueError(f"system must be one of {sorted(SYSTEMS)}, got {system!r}")
    kind, real_names, size_names, defaults = SYSTEMS[system]
    full = check_params(params, defaults)
    p = np.array([check_real(f"params[{k!r}]", full[k]) for k in real_names])
    sizes = [check_int(f"params[{k!r}]", full[k], low=4 if k in ("N", "K") else 1, high=MAX_DIMENSION)
             for k in size_names]
    if system == "lorenz96-2scale":
        for k in ("b", "c"):
            check_real(f"params[{k!r}]", full[k], low=0.0, low_open=True)
        if sizes[0] * (sizes[1] + 1) > MAX_DIMENSION or sizes[0] * sizes[1] < 4:
            raise ValueError(f"params K (J + 1) must be in [4, {MAX_DIMENSION}], got K = {sizes[0]}, J = {sizes[1]}")
    d = np.array(sizes + [0, 0], dtype=np.int64)[:2]
    dim = 3 if kind < 2 else (sizes[0] if kind == 2 else sizes[0] * (sizes[1] + 1))
    return kind, p, d, dim, full


def _state(name, x0, dim, system):
    x = check_real_array(name, x0, ndim=1)
    if x.size != dim:
        raise ValueError(f"{name} must have {dim} components for {system!r} with these params, got {x.size}")
    if np.max(np.abs(x)) >= ESCAPE:
        raise ValueError(f"{name} must have components below {ESCAPE:g} in size")
    return x.copy()


def _steps(t_max, dt, *, name="t_max"):
    t_max = check_real(name, t_max, low=0.0, low_open=True)
    dt = check_real("dt", dt, low=0.0, low_open=True, high=1.0)
    steps = int(round(t_max / dt))
    if steps < 1 or abs(steps * dt - t_max) > 1e-9 * max(t_max, 1.0):
        raise ValueError(f"{name} must be a positive whole number of steps dt = {dt:g}, got {name} = {t_max:g}")
    return steps, dt


def default_state(system, *, params=None, seed=None):
    """A starting state near each system's attractor, slightly randomized by ``seed``.

    Lorenz-63 and Rossler start near (1, 1, 1) and (1, 1, 0); Lorenz-96 at
    X_k = F with the first site nudged; the two-scale model at X_k = F,
    Y_m = 0, with random perturbations of size 0.01. Integrate through a
    transient before measuring anything.

    Returns
    -------
    ndarray (a :class:`emergence.random.SeededArray` recording ``seed``)
    """
    kind, p, d, dim, full = _system(system, params)
    seed = resolve_seed(seed)
    noise = 0.01 * rng(seed).standard_normal(dim)
    if kind == 0:
        base = np.array([1.0, 1.0, 1.0])
    elif kind == 1:
        base = np.array([1.0, 1.0, 0.0])
    elif kind == 2:
        base = np.full(dim, full["F"])
        base[0] += 0.5
    else:
        base = np.zeros(dim)
        base[: d[0]] = full["F"]
        base[0] += 0.5
    return seeded(base + noise, seed)


@dataclass(frozen=True)
class Trajectory:
    """Outcome of :func:`integrate`.

    Attributes
    ----------
    t : ndarray, shape (records,)
    x : ndarray, shape (records, dimension)
        States; rows after an escape to infinity are NaN.
    escaped : bool
    t_escape : float
        First recording time after the escape (NaN if none).
    """

    t: np.ndarray
    x: np.ndarray
    escaped: bool
    t_escape: float


def integrate(system, x0, t_max, dt, *, params=None, record_every=1):
    """Integrate a flow with fixed-step fourth-order Runge-Kutta.

    Parameters
    ----------
    system : {"lorenz63", "rossler", "lorenz96", "lorenz96-2scale"}
    x0 : array_like, shape (dimension,)
        Initial state (see :func:`default_state`).
    t_max : float > 0
        Duration, a whole number of steps.
    dt : float in (0, 1]
    params : dict, optional
        Parameters by name; missing ones take the defaults of the module conventions.
    record_every : int
        Record the state every this many steps.

    Returns
    -------
    Trajectory
        If the state escapes to infinity (usually: dt too large), the
        remaining rows are NaN, ``escaped`` is True and a ``RuntimeWarning`` says so.
    """
    kind, p, d, dim, _ = _system(system, params)
    x = _state("x0", x0, dim, system)
    steps, dt = _steps(t_max, dt)
    every = check_int("record_every", record_every, low=1, high=steps)
    check_work("integrate (steps * dimension)", float(steps) * dim, MAX_WORK)
    records = steps // every + 1
    check_work("integrate (recorded numbers)", float(records) * dim, MAX_RECORDED)
    out = np.empty((records, dim))
    first_bad = _integrate(kind, p, d, x, dt, steps, every, out)
    t = np.arange(records) * every * dt
    if first_bad >= 0:
        out[first_bad:] = np.nan
        t_escape = float(t[first_bad]) if first_bad < records else float(steps * dt)
        warnings.warn(f"{system}: the state escaped to infinity near t = {t_escape:g}; "
                      f"try a smaller dt (now {dt:g}) or other params", RuntimeWarning, stacklevel=2)
        return Trajectory(t=t, x=out, escaped=True, t_escape=t_escape)
    return Trajectory(t=t, x=out, escaped=False, t_escape=float("nan"))


@dataclass(frozen=True)
class LyapunovSpectrum:
    """Outcome of :func:`lyapunov_spectrum`.

    Attributes
    ----------
    exponents : ndarray
        Largest first, per unit time.
    t : ndarray
        Times (after the transient) of the running estimates.
    running : ndarray, shape (len(t), len(exponents))
        Running estimates: the averages up to each time in ``t``.
    seed : int
    """

    exponents: np.ndarray
    t: np.ndarray
    running: np.ndarray
    seed: int

    @property
    def kaplan_yorke_dimension(self):
        """D_KY = j + (lambda_1 + ... + lambda_j) / abs(lambda_{j+1}), with j the largest
        index whose partial sum is non-negative (the full count if no exponent is left)."""
        return kaplan_yorke_dimension(self.exponents)


def kaplan_yorke_dimension(exponents):
    """The Kaplan-Yorke (Lyapunov) dimension of a spectrum sorted largest first."""
    lam = check_real_array("exponents", exponents, ndim=1)
    if np.any(np.diff(lam) > 0):
        raise ValueError("exponents must be sorted largest first")
    partial = np.cumsum(lam)
    if partial[0] < 0:
        return 0.0
    j = int(np.max(np.nonzero(partial >= 0)[0])) + 1
    if j == lam.size:
        return float(j)
    return j + partial[j - 1] / abs(lam[j])


def lyapunov_spectrum(system, *, params=None, t_max, dt, transient, x0=None, seed=None, n_exponents=None,
                      orthonormalize_every=1, records=200):
    """The leading Lyapunov exponents of a flow, by Benettin's method with QR.

    The state and ``n_exponents`` tangent vectors are advanced together by
    RK4, the tangent vectors with the exact Jacobian, and re-orthonormalized
    every ``orthonormalize_every`` steps. The logarithms of the stretching
    factors, averaged over ``t_max``, are the exponents. Their sum is the
    time average of the divergence of f (for all exponents), which Lorenz-63
    makes constant.

    Parameters
    ----------
    system, params
        As in :func:`integrate`.
    t_max : float
        Averaging time after the transient.
    dt : float
    transient : float >= 0
        Time integrated first, to reach the attractor.
    x0 : array_like, optional
        Initial state; default :func:`default_state` with ``seed``.
    seed : int, optional
        Only used for the default initial state.
    n_exponents : int, optional
        How many exponents (default: all).
    orthonormalize_every : int
        Steps between re-orthonormalizations (keep the growth e^{lambda_1 dt every} modest).
    records : int
        Number of running estimates kept (at most one a step).

    Returns
    -------
    LyapunovSpectrum
    """
    kind, p, d, dim, full = _system(system, params)
    seed = resolve_seed(seed)
    x = default_state(system, params=params, seed=seed) if x0 is None else _state("x0", x0, dim, system)
    x = np.array(x, dtype=float)
    steps, dt = _steps(t_max, dt)
    transient = check_real("transient", transient, low=0.0)
    n_transient = int(round(transient / dt))
    m = dim if n_exponents is None else check_int("n_exponents", n_exponents, low=1, high=dim)
    every = check_int("orthonormalize_every", orthonormalize_every, low=1, high=1000)
    records = min(check_int("records", records, low=1, high=10**6), steps)
    check_work("lyapunov_spectrum ((transient + steps * (n_exponents + 1)) * dimension)",
               float(n_transient + steps * (4 * m + 1)) * dim, MAX_WORK)
    record = steps // records
    running = np.empty((steps // record, m))
    ok = _lyapunov(kind, p, d, x, dt, steps, n_transient, m, every, record, running)
    if not ok:
        raise ValueError(f"{system}: the orbit escaped to infinity; use a smaller dt (now {dt:g}) or other params")
    t = np.arange(1, running.shape[0] + 1) * record * dt
    order = np.argsort(-running[-1])
    return LyapunovSpectrum(exponents=running[-1][order].copy(), t=t, running=running[:, order], seed=seed)


@dataclass(frozen=True)
class Sensitivity:
    """Outcome of :func:`parameter_sensitivity`: states ``x`` and derivatives ``dx_dp`` at times ``t``."""

    t: np.ndarray
    x: np.ndarray
    dx_dp: np.ndarray
    parameter: str


def parameter_sensitivity(system, x0, t_max, dt, *, wrt, params=None, record_every=1):
    """The derivative of the trajectory with respect to one parameter (forward mode).

    s(t) = dx(t)/dp solves s' = J(x) s + df/dp with s(0) = 0; it is integrated
    by RK4 alongside x, with exact Jacobian and parameter derivatives. This is
    what backpropagation through an unrolled simulation computes; for a
    chaotic flow it grows like e^{lambda_1 t}.

    Parameters
    ----------
    system, x0, t_max, dt, params, record_every
        As in :func:`integrate`.
    wrt : str
        The parameter (one of the real parameters of ``system``).

    Returns
    -------
    Sensitivity
    """
    kind, p, d, dim, _ = _system(system, params)
    names = SYSTEMS[system][1]
    if wrt not in names:
        raise ValueError(f"wrt must be one of {list(names)} for {system!r}, got {wrt!r}")
    x = _state("x0", x0, dim, system)
    steps, dt = _steps(t_max, dt)
    every = check_int("record_every", record_every, low=1, high=steps)
    check_work("parameter_sensitivity (steps * dimension)", 3.0 * steps * dim, MAX_WORK)
    records = steps // every + 1
    check_work("parameter_sensitivity (recorded numbers)", 2.0 * records * dim, MAX_RECORDED)
    out_x = np.empty((records, dim))
    out_s = np.empty((records, dim))
    if not _sensitivity(kind, p, d, x, dt, steps, every, names.index(wrt), out_x, out_s):
        raise ValueError(f"{system}: the orbit escaped to infinity; use a smaller dt (now {dt:g}) or other params")
    return Sensitivity(t=np.arange(records) * every * dt, x=out_x, dx_dp=out_s, parameter=wrt)


# --------------------------------------------------------------------------
# Kuramoto-Sivashinsky by ETDRK4
# --------------------------------------------------------------------------
def ks_growth_rate(q):
    """Linear growth rate q^2 - q^4 of the Fourier mode e^{iqx} of the KS equation."""
    q = np.asarray(q, dtype=float)
    return q**2 - q**4


def ks_unstable_modes(L):
    """Number of linearly unstable KS modes k >= 1 (those with q = 2 pi k / L < 1) on a domain of length L."""
    L = check_real("L", L, low=0.0, low_open=True)
    return int(math.ceil(L / (2 * math.pi)) - 1)


def _etdrk4_coefficients(lin, h, contour_points=32):
    """Kassam and Trefethen's ETDRK4 coefficients, by averaging over a circle
    of radius 1 around each h*lin (which avoids the cancellation of the
    phi-functions near 0)."""
    r = np.exp(1j * np.pi * (np.arange(1, contour_points + 1) - 0.5) / contour_points)
    LR = h * lin[:, None] + r[None, :]
    E = np.exp(h * lin)
    E2 = np.exp(h * lin / 2)
    Q = h * np.real(np.mean((np.exp(LR / 2) - 1) / LR, axis=1))
    f1 = h * np.real(np.mean((-4 - LR + np.exp(LR) * (4 - 3 * LR + LR**2)) / LR**3, axis=1))
    f2 = h * np.real(np.mean((2 + LR + np.exp(LR) * (-2 + LR)) / LR**3, axis=1))
    f3 = h * np.real(np.mean((-4 - 3 * LR - LR**2 + np.exp(LR) * (4 - LR)) / LR**3, axis=1))
    return E, E2, Q, f1, f2, f3


@dataclass(frozen=True)
class KSResult:
    """Outcome of :func:`kuramoto_sivashinsky`: ``u[i]`` is the field on the grid ``x`` at time ``t[i]``."""

    t: np.ndarray
    x: np.ndarray
    u: np.ndarray
    L: float
    seed: int

    @property
    def n_unstable(self):
        return ks_unstable_modes(self.L)


def kuramoto_sivashinsky(L, n_modes, t_max, dt, *, u0=None, record_every=1, seed=None):
    """Integrate u_t = -u u_x - u_xx - u_xxxx on a periodic domain of length L.

    Pseudo-spectral in space (``n_modes`` grid points, i.e. Fourier modes
    up to n_modes/2) and fourth-order exponential time differencing in time
    (ETDRK4, Cox and Matthews' scheme with Kassam and Trefethen's
    coefficients): the stiff linear part is integrated exactly, so a small
    single mode grows at exactly q^2 - q^4.

    Parameters
    ----------
    L : float in [1, 2000]
        Domain length (below 2 pi no mode is unstable; below 1 the solver refuses, as every mode is damped at rate > 1500).
    n_modes : int, even, 8..4096
    t_max, dt : float
        dt <= 1; t_max a whole number of steps.
    u0 : array_like, shape (n_modes,), optional
        Initial field on the grid x_j = j L / n_modes. Default: a random
        smooth field (modes abs(k) <= 8 with Gaussian amplitudes, r.m.s. 0.1, zero mean).
    record_every : int
    seed : int, optional
        Only used for the default u0.

    Returns
    -------
    KSResult
    """
    L = check_real("L", L, low=1.0, high=2000.0)
    n = check_int("n_modes", n_modes, low=8, high=4096)
    if n % 2:
        raise ValueError(f"n_modes must be even, got {n}")
    steps, dt = _steps(t_max, dt)
    every = check_int("record_every", record_every, low=1, high=steps)
    check_work("kuramoto_sivashinsky (steps * n_modes)", float(steps) * n * 20, MAX_WORK)
    seed = resolve_seed(seed)
    x = L * np.arange(n) / n
    if u0 is None:
        g = rng(seed)
        spectrum = np.zeros(n // 2 + 1, complex)
        kmax = min(8, n // 2 - 1)
        spectrum[1:kmax + 1] = g.standard_normal(kmax) + 1j * g.standard_normal(kmax)
        u = np.fft.irfft(spectrum, n)
        u *= 0.1 / np.sqrt(np.mean(u**2))
    else:
        u = check_real_array("u0", u0, ndim=1)
        if u.size != n:
            raise ValueError(f"u0 must have n_modes = {n} values, got {u.size}")
    q = 2 * np.pi / L * np.arange(n // 2 + 1)
    lin = q**2 - q**4
    E, E2, Q, f1, f2, f3 = _etdrk4_coefficients(lin, dt)
    g_nl = -0.5j * q  # N(v) = -(1/2) d/dx (u^2), in Fourier space
    g_nl[-1] = 0.0  # the Nyquist mode's derivative is not real-representable: keep it out

    def nonlinear(vh):
        return g_nl * np.fft.rfft(np.fft.irfft(vh, n) ** 2)

    v = np.fft.rfft(u)
    records = steps // every + 1
    check_work("kuramoto_sivashinsky (recorded numbers)", float(records) * n, MAX_RECORDED)
    out = np.empty((records, n))
    out[0] = u
    for step in range(1, steps + 1):
        Nv = nonlinear(v)
        a = E2 * v + Q * Nv
        Na = nonlinear(a)
        b = E2 * v + Q * Na
        Nb = nonlinear(b)
        c = E2 * a + Q * (2 * Nb - Nv)
        Nc = nonlinear(c)
        v = E * v + Nv * f1 + 2 * (Na + Nb) * f2 + Nc * f3
        if step % every == 0:
            out[step // every] = np.fft.irfft(v, n)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"the KS field blew up: use a smaller dt (now {dt:g}) or more modes (now {n})")
    return KSResult(t=np.arange(records) * every * dt, x=x, u=out, L=L, seed=seed)


# --------------------------------------------------------------------------
# shell models
# --------------------------------------------------------------------------
#: The shell models of :func:`shell_model`.
SHELL_MODELS = ("sabra", "dyadic")


@njit(cache=True)
def _shell_nonlinear(model, k, u, out):
    n = u.shape[0]
    for i in range(n):
        if model == 0:
            s = 0j
            if i + 2 < n:
                s += k[i + 1] * u[i + 2] * np.conj(u[i + 1])
            if i + 1 < n and i >= 1:
                s -= 0.5 * k[i] * u[i + 1] * np.conj(u[i - 1])
            if i >= 2:
                s += 0.5 * k[i - 1] * u[i - 1] * u[i - 2]
            out[i] = 1j * s
        else:
            s = 0j
            if i >= 1:
                s += k[i] * u[i - 1] * u[i - 1]
            if i + 1 < n:
                s -= k[i + 1] * u[i] * u[i + 1]
            out[i] = s


@njit(cache=True)
def _shell_run(model, k, nu, force, sigma, n_forced, u, dt, steps, every, state,
               out_u, out_inj, out_diss, out_flux):
    n = u.shape[0]
    E = np.exp(-nu * k * k * dt / 2)
    a = np.empty(n, np.complex128)
    b = np.empty(n, np.complex128)
    c = np.empty(n, np.complex128)
    dd = np.empty(n, np.complex128)
    tmp = np.empty(n, np.complex128)
    nl = np.empty(n, np.complex128)
    noise_injection = 0.5 * sigma * sigma * n_forced
    amp = sigma * math.sqrt(dt)
    for t in range(steps + 1):
        if t % every == 0:
            r = t // every
            out_u[r] = u
            inj = noise_injection
            diss = 0.0
            for i in range(n):
                inj += (force[i] * np.conj(u[i])).real
                diss += nu * k[i] * k[i] * (u[i].real ** 2 + u[i].imag ** 2)
            out_inj[r] = inj
            out_diss[r] = diss
            _shell_nonlinear(model, k, u, nl)
            acc = 0.0
            for i in range(n):
                acc -= (np.conj(u[i]) * nl[i]).real
                out_flux[r, i] = acc
        if t == steps:
            break
        # integrating-factor RK4: viscosity exactly, nonlinearity and forcing by RK4
        _shell_nonlinear(model, k, u, nl)
        for i in range(n):
            a[i] = dt * (nl[i] + force[i])
            tmp[i] = E[i] * (u[i] + 0.5 * a[i])
        _shell_nonlinear(model, k, tmp, nl)
        for i in range(n):
            b[i] = dt * (nl[i] + force[i])
            tmp[i] = E[i] * u[i] + 0.5 * b[i]
        _shell_nonlinear(model, k, tmp, nl)
        for i in range(n):
            c[i] = dt * (nl[i] + force[i])
            tmp[i] = E[i] * E[i] * u[i] + E[i] * c[i]
        _shell_nonlinear(model, k, tmp, nl)
        for i in range(n):
            dd[i] = dt * (nl[i] + force[i])
            u[i] = E[i] * E[i] * u[i] + (E[i] * E[i] * a[i] + 2.0 * E[i] * (b[i] + c[i]) + dd[i]) / 6.0
        if sigma > 0.0:
            for i in range(n_forced):
                if model == 0:  # complex noise with E|dW|^2 = dt
                    u[i] += amp * (normal(state) + 1j * normal(state)) / math.sqrt(2.0)
                else:
                    u[i] += amp * normal(state)
        for i in range(n):
            if not (abs(u[i]) < ESCAPE):
                return False
    return True


@dataclass(frozen=True)
class ShellResult:
    """Outcome of :func:`shell_model`.

    Attributes
    ----------
    t : ndarray, shape (records,)
    k : ndarray, shape (n_shells,)
        Shell wavenumbers 2^n.
    u : ndarray, shape (records, n_shells)
        Shell velocities (complex for Sabra, real for the dyadic model).
    injection, dissipation : ndarray, shape (records,)
        Energy injection rate Re sum f_n u_n* (plus the mean Ito injection
        of the noise, n_forced sigma^2 / 2) and dissipation rate
        nu sum k_n^2 abs(u_n)^2.
    flux : ndarray, shape (records, n_shells)
        Pi_n: the rate at which the nonlinearity moves energy out of shells 0..n.
    seed : int
    """

    t: np.ndarray
    k: np.ndarray
    u: np.ndarray
    injection: np.ndarray
    dissipation: np.ndarray
    flux: np.ndarray
    seed: int

    @property
    def energy(self):
        """E(t) = (1/2) sum abs(u_n)^2."""
        return 0.5 * np.sum(np.abs(self.u) ** 2, axis=1)


def shell_model(n_shells, t_max, dt, *, nu, forcing, noise=0.0, model="sabra", u0=None, record_every=1, seed=None):
    """Integrate a shell model of turbulence (see the module's shell-model conventions).

    Time stepping: the viscous term exactly (integrating factor), the
    nonlinear and forcing terms by RK4, and the white noise (if any) by
    Euler-Maruyama, added on the forced shells after each step.

    Parameters
    ----------
    n_shells : int, 4..40
    t_max, dt : float
    nu : float > 0
        Viscosity.
    forcing : complex or sequence of complex
        Constant force f_n on the first len(forcing) shells (real parts only for "dyadic").
    noise : float >= 0
        Amplitude sigma of independent white noises on the same shells
        (complex for Sabra, with E abs(sigma dW)^2 = sigma^2 dt); each injects
        energy at the mean rate sigma^2 / 2.
    model : {"sabra", "dyadic"}
    u0 : array_like, optional
        Initial velocities; default small random ones (size 1e-3 k_n^{-1/3}) from ``seed``.
    record_every : int
    seed : int, optional

    Returns
    -------
    ShellResult
    """
    n = check_int("n_shells", n_shells, low=4, high=40)
    steps, dt = _steps(t_max, dt)
    nu = check_real("nu", nu, low=0.0, low_open=True)
    noise = check_real("noise", noise, low=0.0)
    check_choice("model", model, SHELL_MODELS)
    mid = 0 if model == "sabra" else 1
    every = check_int("record_every", record_every, low=1, high=steps)
    check_work("shell_model (steps * n_shells)", float(steps) * n * 8, MAX_WORK)
    records = steps // every + 1
    check_work("shell_model (recorded numbers)", float(records) * n * 3, MAX_RECORDED)
    f = np.atleast_1d(np.asarray(forcing))
    if f.dtype == object or not np.issubdtype(f.dtype, np.number) or f.ndim != 1:
        raise TypeError(f"forcing must be a number or a 1-D sequence of numbers, got {forcing!r}")
    if f.size > n or not np.all(np.isfinite(f)):
        raise ValueError(f"forcing must have at most n_shells = {n} finite values, got {f.size}")
    if mid == 1 and np.any(np.imag(f) != 0):
        raise ValueError("forcing must be real for the dyadic model")
    force = np.zeros(n, np.complex128)
    force[: f.size] = f
    if not np.any(force) and noise == 0:
        raise ValueError("forcing and noise are both zero: nothing drives the cascade")
    k = 2.0 ** np.arange(n)
    seed = resolve_seed(seed)
    if u0 is None:
        g = rng(seed)
        u = 1e-3 * k ** (-1 / 3) * np.exp(2j * np.pi * g.random(n)) if mid == 0 else 1e-3 * k ** (-1 / 3)
        u = np.asarray(u, np.complex128)
    else:
        u = np.asarray(u0)
        if u.shape != (n,) or not np.all(np.isfinite(u)):
            raise ValueError(f"u0 must be {n} finite numbers, got shape {u.shape}")
        if mid == 1 and np.any(np.imag(u) != 0):
            raise ValueError("u0 must be real for the dyadic model")
        u = u.astype(np.complex128)
    out_u = np.empty((records, n), np.complex128)
    out_inj = np.empty(records)
    out_diss = np.empty(records)
    out_flux = np.empty((records, n))
    ok = _shell_run(mid, k, nu, force, noise, f.size, u, dt, steps, every, kernel_state(seed),
                    out_u, out_inj, out_diss, out_flux)
    if not ok:
        raise ValueError(f"the shell velocities blew up: use a smaller dt (now {dt:g})")
    uu = out_u if mid == 0 else out_u.real.copy()
    return ShellResult(t=np.arange(records) * every * dt, k=k, u=uu, injection=out_inj, dissipation=out_diss,
                       flux=out_flux, seed=seed)


def structure_functions(u, orders, *, triads=False):
    """Shell structure functions, time averages over the rows of ``u``.

    Plain: S_p(n) = < abs(u_n)^p >, shape (len(orders), n_shells). With
    ``triads=True``: S_p(n) = < abs(u_{n-1} u_n u_{n+1})^{p/3} > for n = 1..N-2,
    shape (len(orders), n_shells - 2). The triad form has the same scaling
    and removes the period-three wiggle that the Sabra model's three-shell
    interactions put in the plain one.
    """
    u = np.asarray(u)
    if u.ndim != 2 or u.size == 0 or u.shape[1] < 3 or not np.all(np.isfinite(u)):
        raise ValueError(f"u must be a finite 2-D array (records, shells >= 3), got shape {u.shape}")
    p = check_real_array("orders", orders, ndim=1, low=0.0, low_open=True)
    a = np.abs(u)
    if check_bool("triads", triads):
        return np.array([np.mean((a[:, :-2] * a[:, 1:-1] * a[:, 2:]) ** (q / 3), axis=0) for q in p])
    return np.array([np.mean(a**q, axis=0) for q in p])


@dataclass(frozen=True)
class ScalingExponents:
    """Structure-function exponents zeta_p, S_p ~ k^{-zeta_p}, fitted over the inertial shells ``shells``."""

    orders: np.ndarray
    zeta: np.ndarray
    error: np.ndarray
    shells: np.ndarray


def scaling_exponents(result, orders, *, transient, fraction=0.9):
    """zeta_p from a stationary :func:`shell_model` run.

    The inertial range is chosen from the run itself: the shells n >= 2 (above
    the forcing) through which the mean flux carries at least ``fraction`` of
    the mean injection, i.e. where neither forcing nor viscosity acts. The
    triad structure functions (:func:`structure_functions`) are fitted there
    by least squares in log-log; ``error`` is the fit's standard error.

    Parameters
    ----------
    result : ShellResult
    orders : array_like
    transient : float
        Records before this time are discarded.
    fraction : float in (0, 1)
    """
    if not isinstance(result, ShellResult):
        raise TypeError(f"result must be a ShellResult, got {type(result).__name__}")
    transient = check_real("transient", transient, low=0.0)
    fraction = check_real("fraction", fraction, low=0.0, high=1.0, low_open=True, high_open=True)
    keep = result.t >= transient
    if keep.sum() < 10:
        raise ValueError(f"transient leaves {keep.sum()} records; at least 10 are needed")
    eps = result.injection[keep].mean()
    flux = result.flux[keep].mean(axis=0) / eps
    n = np.arange(result.k.size)
    shells = n[(flux >= fraction) & (n >= 2) & (n <= result.k.size - 2)]
    if shells.size < 3:
        raise ValueError(f"only {shells.size} shells carry the flux: too few for a fit (more shells or less viscosity)")
    S = structure_functions(result.u[keep], orders, triads=True)
    logk = np.log(result.k[shells])
    fits = [linear_fit(logk, np.log(s[shells - 1])) for s in S]
    return ScalingExponents(orders=np.asarray(orders, float), zeta=np.array([-f.slope for f in fits]),
                            error=np.array([f.slope_error for f in fits]), shells=shells)


# --------------------------------------------------------------------------
# forecasters: fit(train_series), then forecast(initial_window, steps)
# --------------------------------------------------------------------------
def _series(name, value, *, dim=None, min_length=2):
    x = check_real_array(name, value)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{name} must be a (time, variables) array, got shape {x.shape}")
    if x.shape[0] < min_length:
        raise ValueError(f"{name} must have at least {min_length} time steps, got {x.shape[0]}")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"{name} must have {dim} variables (as the training series), got {x.shape[1]}")
    return x


class _Forecaster:
    """Shared bookkeeping: standardization with the training mean and scale."""

    _fitted = False

    def _standardize_fit(self, train):
        self.mean_ = train.mean(axis=0)
        self.scale_ = train.std(axis=0)
        if np.any(self.scale_ == 0):
            raise ValueError("train_series has a constant variable; nothing to learn from it")
        return (train - self.mean_) / self.scale_

    def _check_forecast(self, initial_window, steps, min_length=1):
        if not self._fitted:
            raise ValueError(f"{type(self).__name__}: call fit(train_series) before forecast")
        w = _series("initial_window", initial_window, dim=self.mean_.size, min_length=min_length)
        steps = check_int("steps", steps, low=1, high=10_000_000)
        return (w - self.mean_) / self.scale_, steps


class AnalogForecaster(_Forecaster):
    """Lorenz's method of analogues: follow what the training data did next from the nearest states.

    Each step finds the ``neighbours`` training states nearest to the current
    state (in standardized units) and adds their next increments, weighted by
    inverse distance. It needs no training, only memory, and works when the
    training set covers the attractor densely: in a few dimensions.
    """

    def __init__(self, *, neighbours=4):
        self.neighbours = check_int("neighbours", neighbours, low=1, high=1000)

    def fit(self, train_series):
        x = self._standardize_fit(_series("train_series", train_series, min_length=self.neighbours + 1))
        self.tree_ = cKDTree(x[:-1])
        self.increments_ = np.diff(x, axis=0)
        self._fitted = True
        return self

    def forecast(self, initial_window, steps):
        """The next ``steps`` states after the last row of ``initial_window``; shape (steps, variables)."""
        w, steps = self._check_forecast(initial_window, steps)
        state = w[-1].copy()
        out = np.empty((steps, state.size))
        for i in range(steps):
            dist, idx = self.tree_.query(state, k=self.neighbours)
            weights = 1.0 / np.maximum(np.atleast_1d(dist), 1e-12)
            state = state + weights @ self.increments_[np.atleast_1d(idx)] / weights.sum()
            out[i] = state
        return out * self.scale_ + self.mean_


class ReservoirForecaster(_Forecaster):
    """An echo-state network: a fixed random recurrent network with a trained linear readout.

    The reservoir r (``size`` units) is driven by the standardized input u:
    r' = (1 - leak) r + leak tanh(W r + W_in u + bias), with W sparse random
    (``degree`` links a unit) scaled to spectral radius ``spectral_radius``.
    The readout maps features (1, r, r^2) to the next input by ridge
    regression (``ridge``), fitted after a ``washout``. Forecasting feeds the
    readout's output back as the next input.
    """

    def __init__(self, *, size=300, spectral_radius=0.9, degree=3, input_scale=0.5, leak=1.0, ridge=1e-6,
                 washout=100, seed=None):
        self.size = check_int("size", size, low=2, high=5000)
        self.spectral_radius = check_real("spectral_radius", spectral_radius, low=0.0, high=5.0)
        self.degree = check_int("degree", degree, low=1, high=self.size)
        self.input_scale = check_real("input_scale", input_scale, low=0.0, high=100.0)
        self.leak = check_real("leak", leak, low=0.0, low_open=True, high=1.0)
        self.ridge = check_real("ridge", ridge, low=0.0, low_open=True)
        self.washout = check_int("washout", washout, low=0, high=1_000_000)
        self.seed = resolve_seed(seed)

    def _build(self, dim):
        g = rng(self.seed)
        W = np.zeros((self.size, self.size))
        for i in range(self.size):
            W[i, g.choice(self.size, self.degree, replace=False)] = g.uniform(-1, 1, self.degree)
        radius = np.max(np.abs(np.linalg.eigvals(W)))
        self.W_ = W * (self.spectral_radius / radius) if radius > 0 else W
        self.W_in_ = self.input_scale * g.uniform(-1, 1, (self.size, dim))
        self.bias_ = 0.1 * g.uniform(-1, 1, self.size)

    def _step(self, r, u):
        return (1 - self.leak) * r + self.leak * np.tanh(self.W_ @ r + self.W_in_ @ u + self.bias_)

    @staticmethod
    def _features(r):
        return np.concatenate(([1.0], r, r * r))

    def _drive(self, u_series, r):
        states = np.empty((u_series.shape[0], self.size))
        for t, u in enumerate(u_series):
            r = self._step(r, u)
            states[t] = r
        return states

    def fit(self, train_series):
        x = _series("train_series", train_series, min_length=self.washout + 2)
        u = self._standardize_fit(x)
        self._build(u.shape[1])
        states = self._drive(u[:-1], np.zeros(self.size))[self.washout:]
        phi = np.hstack([np.ones((states.shape[0], 1)), states, states**2])
        target = u[self.washout + 1:]
        gram = phi.T @ phi + self.ridge * phi.shape[0] * np.eye(phi.shape[1])
        self.W_out_ = scipy.linalg.solve(gram, phi.T @ target, assume_a="pos").T
        self._fitted = True
        return self

    def _synchronize(self, w):
        """Reservoir state after being driven by the window, and the window's last input."""
        r = self._drive(w[:-1], np.zeros(self.size))[-1] if w.shape[0] > 1 else np.zeros(self.size)
        return r, w[-1]

    def forecast(self, initial_window, steps):
        """The next ``steps`` states after ``initial_window`` (which synchronizes the
        reservoir: give it at least ``washout`` rows); shape (steps, variables)."""
        w, steps = self._check_forecast(initial_window, steps, min_length=2)
        r, u = self._synchronize(w)
        out = np.empty((steps, u.size))
        for i in range(steps):
            r = self._step(r, u)
            u = self.W_out_ @ self._features(r)
            out[i] = u
        return out * self.scale_ + self.mean_

    def largest_lyapunov(self, initial_window, steps):
        """lambda_1 of the closed-loop reservoir map, per step, along ``steps`` steps of its free run.

        Closed loop, the reservoir is the autonomous map
        r -> (1 - leak) r + leak tanh(W r + W_in W_out phi(r) + bias), with
        phi(r) = (1, r, r^2); one tangent vector is propagated with its exact
        Jacobian and renormalized every step.
        """
        w, steps = self._check_forecast(initial_window, steps, min_length=2)
        r, u = self._synchronize(w)
        r = self._step(r, u)
        v = rng(self.seed).standard_normal(self.size)
        v /= np.linalg.norm(v)
        total = 0.0
        for _ in range(steps):
            v = self._closed_loop_tangent(r, v)
            r = self._closed_loop(r)
            norm = np.linalg.norm(v)
            total += math.log(norm)
            v /= norm
        return total / steps

    def _closed_loop(self, r):
        """One step of the autonomous reservoir, its readout fed back as input."""
        return self._step(r, self.W_out_ @ self._features(r))

    def _closed_loop_tangent(self, r, v):
        """The exact Jacobian of :meth:`_closed_loop` at r, applied to v."""
        a = self.W_ @ r + self.W_in_ @ (self.W_out_ @ self._features(r)) + self.bias_
        du = self.W_out_[:, 1:1 + self.size] @ v + 2.0 * self.W_out_[:, 1 + self.size:] @ (r * v)
        return (1 - self.leak) * v + self.leak * (1 - np.tanh(a) ** 2) * (self.W_ @ v + self.W_in_ @ du)


# --------------------------------------------------------------------------
# piecewise-linear RNN with generalized teacher forcing
# --------------------------------------------------------------------------
@njit(cache=True)
def _plrnn_unpack(theta, M, H):
    A = theta[:M]
    W1 = theta[M:M + M * H].reshape((M, H))
    W2 = theta[M + M * H:M + 2 * M * H].reshape((H, M))
    h1 = theta[M + 2 * M * H:2 * M + 2 * M * H]
    h2 = theta[2 * M + 2 * M * H:2 * M + 2 * M * H + H]
    return A, W1, W2, h1, h2


@njit(cache=True)
def _plrnn_loss_grad(theta, M, H, X, starts, T, alpha, grad):
    """Mean squared one-step error of GTF rollouts of length T from each start, and its gradient.

    Rollout: z_0 = x_s; z~_t = (1 - alpha) z_t + alpha x_{s+t};
    z_{t+1} = A z~_t + W1 relu(W2 z~_t + h2) + h1; error z_{t+1} - x_{s+t+1}.
    Backpropagation through time, with dz~_t/dz_t = (1 - alpha) I.
    """
    A, W1, W2, h1, h2 = _plrnn_unpack(theta, M, H)
    gA, gW1, gW2, gh1, gh2 = _plrnn_unpack(grad, M, H)
    grad[:] = 0.0
    zt = np.empty((T, M))
    act = np.empty((T, H))
    err = np.empty((T, M))
    z = np.empty(M)
    g = np.empty(M)
    gz = np.empty(M)
    ga = np.empty(H)
    loss = 0.0
    norm = 1.0 / (starts.shape[0] * T * M)
    for b in range(starts.shape[0]):
        s = starts[b]
        z[:] = X[s]
        for t in range(T):
            for i in range(M):
                zt[t, i] = (1.0 - alpha) * z[i] + alpha * X[s + t, i]
            for j in range(H):
                a = h2[j]
                for i in range(M):
                    a += W2[j, i] * zt[t, i]
                act[t, j] = a
            for i in range(M):
                v = A[i] * zt[t, i] + h1[i]
                for j in range(H):
                    if act[t, j] > 0.0:
                        v += W1[i, j] * act[t, j]
                z[i] = v
                err[t, i] = v - X[s + t + 1, i]
                loss += err[t, i] ** 2
        g[:] = 0.0
        for t in range(T - 1, -1, -1):
            for i in range(M):
                gz[i] = g[i] + 2.0 * norm * err[t, i]
                gA[i] += gz[i] * zt[t, i]
                gh1[i] += gz[i]
            for j in range(H):
                if act[t, j] > 0.0:
                    s_ = 0.0
                    for i in range(M):
                        gW1[i, j] += gz[i] * act[t, j]
                        s_ += W1[i, j] * gz[i]
                    ga[j] = s_
                else:
                    ga[j] = 0.0
                gh2[j] += ga[j]
                for i in range(M):
                    gW2[j, i] += ga[j] * zt[t, i]
            for i in range(M):
                v = A[i] * gz[i]
                for j in range(H):
                    v += W2[j, i] * ga[j]
                g[i] = (1.0 - alpha) * v
    return loss * norm


@njit(cache=True)
def _plrnn_train(theta, M, H, X, starts, T, alpha, lr, iterations, batch):
    """Adam on the GTF loss; ``starts`` holds iterations * batch sequence starts."""
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    grad = np.empty_like(theta)
    losses = np.empty(iterations)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for it in range(iterations):
        losses[it] = _plrnn_loss_grad(theta, M, H, X, starts[it * batch:(it + 1) * batch], T, alpha, grad)
        adam_step(theta, grad, m, v, it + 1, lr, eps, b1, b2)
    return losses


@njit(cache=True)
def _plrnn_run(theta, M, H, z, steps, out):
    A, W1, W2, h1, h2 = _plrnn_unpack(theta, M, H)
    for t in range(steps):
        znew = A * z + h1 + W1 @ np.maximum(W2 @ z + h2, 0.0)
        z = znew
        out[t] = z


@njit(cache=True)
def _plrnn_lyapunov(theta, M, H, z, steps):
    """lambda_1 per step along the free run (the map is piecewise linear: its Jacobian is exact)."""
    A, W1, W2, h1, h2 = _plrnn_unpack(theta, M, H)
    v = np.ones(M) / math.sqrt(M)
    total = 0.0
    for _ in range(steps):
        a = W2 @ z + h2
        mask = (a > 0.0).astype(np.float64)
        v = A * v + W1 @ (mask * (W2 @ v))
        z = A * z + h1 + W1 @ np.maximum(a, 0.0)
        norm = math.sqrt(np.dot(v, v))
        if norm == 0.0:
            return -np.inf
        total += math.log(norm)
        v /= norm
    return total / steps


class PLRNNForecaster(_Forecaster):
    """A shallow piecewise-linear RNN trained by generalized teacher forcing.

    The latent state z has as many components as the data (the observation
    is the identity, as in the "shallow PLRNN" of the generalized teacher
    forcing paper):

        z_{t+1} = A z_t + W1 relu(W2 z_t + h2) + h1,

    with A diagonal and ``hidden`` ReLU units. Training minimizes the one-step
    squared error of rollouts of length ``sequence`` in which each state is
    pulled toward the data, z~_t = (1 - alpha) z_t + alpha x_t, before the
    next step. The gradient product along a rollout then carries the factor
    (1 - alpha)^T, which keeps gradients bounded on chaotic data (alpha = 0
    is free running, alpha = 1 one-step teacher forcing). Gradients are
    computed by backpropagation through time (explicit, checked against
    finite differences in the tests) and applied with Adam.
    """

    def __init__(self, *, hidden=50, alpha=0.2, sequence=30, batch=16, iterations=2000, learning_rate=2e-3,
                 seed=None):
        self.hidden = check_int("hidden", hidden, low=1, high=2000)
        self.alpha = check_real("alpha", alpha, low=0.0, high=1.0)
        self.sequence = check_int("sequence", sequence, low=1, high=10_000)
        self.batch = check_int("batch", batch, low=1, high=10_000)
        self.iterations = check_int("iterations", iterations, low=1, high=1_000_000)
        self.learning_rate = check_real("learning_rate", learning_rate, low=0.0, low_open=True, high=1.0)
        self.seed = resolve_seed(seed)

    def initial_parameters(self, dim):
        """Flat parameter vector (A, W1, W2, h1, h2) at initialization: A = 0.9, small random weights."""
        g = rng(self.seed)
        H = self.hidden
        A = np.full(dim, 0.9)
        W1 = g.normal(0, 0.1 / np.sqrt(H), (dim, H))
        W2 = g.normal(0, 1.0 / np.sqrt(dim), (H, dim))
        return np.concatenate([A, W1.ravel(), W2.ravel(), np.zeros(dim), g.normal(0, 0.1, H)])

    def loss_and_gradient(self, theta, series, starts):
        """GTF loss and its gradient for rollouts of length ``sequence`` from ``starts`` (standardized data)."""
        x = np.ascontiguousarray(_series("series", series, min_length=self.sequence + 1))
        theta = np.ascontiguousarray(check_real_array("theta", theta, ndim=1))
        if theta.size != 2 * x.shape[1] * (self.hidden + 1) + self.hidden:
            raise ValueError("theta has the wrong length for this model and data")
        starts = np.asarray(starts, dtype=np.int64)
        if starts.ndim != 1 or starts.size == 0 or starts.min() < 0 or starts.max() > x.shape[0] - self.sequence - 1:
            raise ValueError(f"starts must be indices in [0, {x.shape[0] - self.sequence - 1}]")
        grad = np.empty_like(theta)
        loss = _plrnn_loss_grad(theta, x.shape[1], self.hidden, x, starts, self.sequence, self.alpha, grad)
        return loss, grad

    def fit(self, train_series):
        x = np.ascontiguousarray(self._standardize_fit(
            _series("train_series", train_series, min_length=self.sequence + 2)))
        M = x.shape[1]
        check_work("PLRNN fit (iterations * batch * sequence * hidden * variables)",
                   float(self.iterations) * self.batch * self.sequence * self.hidden * M, 5e10)
        theta = self.initial_parameters(M)
        starts = np.random.default_rng([self.seed, 1]).integers(
            0, x.shape[0] - self.sequence - 1, self.iterations * self.batch + 1)[:-1]
        self.losses_ = _plrnn_train(theta, M, self.hidden, x, starts, self.sequence, self.alpha,
                                    self.learning_rate, self.iterations, self.batch)
        self.theta_ = theta
        self._fitted = True
        return self

    def forecast(self, initial_window, steps):
        """The next ``steps`` states after the last row of ``initial_window``; shape (steps, variables)."""
        w, steps = self._check_forecast(initial_window, steps)
        out = np.empty((steps, w.shape[1]))
        _plrnn_run(self.theta_, w.shape[1], self.hidden, w[-1].copy(), steps, out)
        return out * self.scale_ + self.mean_

    def largest_lyapunov(self, initial_window, steps):
        """lambda_1 of the learned map, per step, along ``steps`` steps of its free run."""
        w, steps = self._check_forecast(initial_window, steps)
        return float(_plrnn_lyapunov(self.theta_, w.shape[1], self.hidden, w[-1].copy(), steps))


#: The forecasters by name; each has ``fit(train_series)`` and ``forecast(initial_window, steps)``.
FORECASTERS = {"analog": AnalogForecaster, "reservoir": ReservoirForecaster, "plrnn": PLRNNForecaster}


def normalized_error(truth, forecast, *, scale):
    """sqrt(mean over variables of ((forecast - truth) / scale)^2) at each time."""
    y = _series("truth", truth)
    f = _series("forecast", forecast, dim=y.shape[1])
    if f.shape != y.shape:
        raise ValueError(f"truth and forecast must have the same shape, got {y.shape} and {f.shape}")
    s = check_real_array("scale", scale, low=0.0, low_open=True)
    return np.sqrt(np.mean(((f - y) / s) ** 2, axis=1))


def valid_prediction_time(truth, forecast, lyapunov_exponent, *, threshold, dt, scale=None):
    """How long a forecast stays close to the truth, in Lyapunov times.

    The valid prediction time is the first time at which the normalized error
    (:func:`normalized_error`) exceeds ``threshold``, times lambda_1. Row i
    of ``truth`` and ``forecast`` is the state at time (i + 1) dt after the
    forecast starts. A forecast that never crosses the threshold gets the
    full length.

    Parameters
    ----------
    truth, forecast : array_like, shape (steps, variables)
    lyapunov_exponent : float > 0
        lambda_1 of the true system, per unit time.
    threshold : float > 0
    dt : float > 0
        Time between rows.
    scale : array_like, optional
        Per-variable scale (standard deviation on the attractor). Default: the
        standard deviation of ``truth`` (pass the attractor's for short forecasts).
    """
    lam = check_real("lyapunov_exponent", lyapunov_exponent, low=0.0, low_open=True)
    threshold = check_real("threshold", threshold, low=0.0, low_open=True)
    dt = check_real("dt", dt, low=0.0, low_open=True)
    y = _series("truth", truth)
    if scale is None:
        scale = y.std(axis=0)
    err = normalized_error(y, forecast, scale=scale)
    above = np.nonzero(err > threshold)[0]
    steps = above[0] if above.size else err.size
    return float(steps * dt * lam)


# --------------------------------------------------------------------------
# the two-scale Lorenz-96 as a toy climate: statistics and history matching
# --------------------------------------------------------------------------
#: The statistics returned by :func:`two_scale_climate`.
CLIMATE_METRICS = ("mean X", "var X", "mean coupling", "cov X coupling")


def two_scale_climate(params, *, K=8, J=8, t_max=20.0, dt=0.005, transient=5.0, seed=None):
    """Long-run statistics ("climate") of the two-scale Lorenz-96 model.

    The coupling term of slow variable k is B_k = (h c / b) sum_j Y_{kJ+j},
    the tendency the fast variables impose on it. Returned, averaged over
    time and over k (all k are equivalent by symmetry): the mean and
    variance of X, the mean of B, and the covariance of X and B (a metric
    that exists only in the coupled model).

    Parameters
    ----------
    params : dict
        Any of F, h, b, c (defaults of the module conventions).
    K, J : int
    t_max, dt, transient : float
    seed : int, optional
        Randomizes the initial state.

    Returns
    -------
    dict
        {metric name: value} for the names in :data:`CLIMATE_METRICS`.
    """
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict, got {params!r}")
    full = {**params, "K": K, "J": J}
    kind, p, d, dim, full = _system("lorenz96-2scale", full)
    transient = check_real("transient", transient, low=0.0)
    steps, dt = _steps(t_max, dt)
    n_tr = int(round(transient / dt))
    x0 = np.asarray(default_state("lorenz96-2scale", params=full, seed=seed))
    check_work("two_scale_climate (steps * dimension)", float(steps + n_tr) * dim, MAX_WORK)
    if n_tr:
        buf = np.empty((2, dim))
        bad = _integrate(kind, p, d, x0, dt, n_tr, n_tr, buf)
        if bad >= 0:
            raise ValueError("the two-scale model escaped to infinity; use a smaller dt or other params")
    every = max(1, int(round(0.05 / dt)))
    every = min(every, steps)
    out = np.empty((steps // every + 1, dim))
    if _integrate(kind, p, d, x0, dt, steps, every, out) >= 0:
        raise ValueError("the two-scale model escaped to infinity; use a smaller dt or other params")
    X = out[:, :K]
    B = full["h"] * full["c"] / full["b"] * out[:, K:].reshape(-1, K, J).sum(axis=2)
    return {"mean X": float(X.mean()), "var X": float(X.var()), "mean coupling": float(B.mean()),
            "cov X coupling": float(np.mean((X - X.mean()) * (B - B.mean())))}


def implausibility(observed, simulated, variance):
    """History matching's implausibility abs(z - f(theta)) / sqrt(variance), elementwise.

    ``variance`` sums what makes the simulator and the observation differ
    even at the right parameters: observation error, internal variability
    of finite runs, and (with an emulator) emulator variance.
    """
    z = check_real_array("observed", observed)
    f = check_real_array("simulated", simulated)
    v = check_real_array("variance", variance, low=0.0, low_open=True)
    return np.abs(z - f) / np.sqrt(v)
