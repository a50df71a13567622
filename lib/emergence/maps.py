"""Discrete-time maps: logistic, Henon, and the Chialvo and Rulkov neuron maps.

Map conventions
---------------
Every map is x_{t+1} = F(x_t) with a state of one or two numbers and named
parameters (a dict), as in the standard papers:

* ``"logistic"``, state (x,): x' = r x (1 - x); parameter ``r``.
* ``"henon"``, state (x, y): x' = 1 - a x^2 + y, y' = b x; parameters ``a``, ``b``
  (the classic chaotic attractor at a = 1.4, b = 0.3).
* ``"chialvo"``, state (x, y), x the membrane potential and y the recovery
  variable: x' = x^2 exp(y - x) + k, y' = a y - b x + c; parameters ``a``,
  ``b``, ``c``, ``k`` (Chialvo's neuron map).
* ``"rulkov"``, state (x, y), x the fast (membrane) and y the slow variable,
  in Rulkov's chaotic map: x' = alpha / (1 + x^2) + y, y' = y - mu (x - sigma);
  parameters ``alpha``, ``mu``, ``sigma``. (Papers differ in the sign
  convention of sigma and in writing mu as eta; this module uses the form
  above, with mu small, e.g. 0.001, so y is slow.)

Lyapunov exponents are in units of 1 / iteration (natural logarithm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ._validation import check_int, check_real, check_real_array, check_work

#: name -> (map id, state dimension, parameter names in kernel order)
MAPS = {
    "logistic": (0, 1, ("r",)),
    "henon": (1, 2, ("a", "b")),
    "chialvo": (2, 2, ("a", "b", "c", "k")),
    "rulkov": (3, 2, ("alpha", "mu", "sigma")),
}
MAX_ITERATIONS = 200_000_000
#: States beyond this are taken as escaped to infinity.
ESCAPE = 1e12


@njit(cache=True, inline="always")
def _step(kind, p, x, y):
    if kind == 0:
        return p[0] * x * (1.0 - x), 0.0
    if kind == 1:
        return 1.0 - p[0] * x * x + y, p[1] * x
    if kind == 2:
        return x * x * math.exp(y - x) + p[3], p[0] * y - p[1] * x + p[2]
    return p[0] / (1.0 + x * x) + y, y - p[1] * (x - p[2])


@njit(cache=True, inline="always")
def _jacobian(kind, p, x, y):
    """(dx'/dx, dx'/dy, dy'/dx, dy'/dy)."""
    if kind == 0:
        return p[0] * (1.0 - 2.0 * x), 0.0, 0.0, 0.0
    if kind == 1:
        return -2.0 * p[0] * x, 1.0, p[1], 0.0
    if kind == 2:
        e = math.exp(y - x)
        return (2.0 * x - x * x) * e, x * x * e, -p[1], p[0]
    d = 1.0 + x * x
    return -2.0 * p[0] * x / (d * d), 1.0, -p[1], 1.0


@njit(cache=True, inline="always")
def _parameter_derivative(kind, p, index, x, y):
    """(dx'/dp, dy'/dp) for parameter number ``index`` (kernel order)."""
    if kind == 0:
        return x * (1.0 - x), 0.0
    if kind == 1:
        return (-x * x, 0.0) if index == 0 else (0.0, x)
    if kind == 2:
        if index == 3:
            return 1.0, 0.0
        return 0.0, (y if index == 0 else (-x if index == 1 else 1.0))
    if index == 0:
        return 1.0 / (1.0 + x * x), 0.0
    return 0.0, (-(x - p[2]) if index == 1 else p[1])


@njit(cache=True)
def _sensitivity(kind, p, index, x0, y0, n, out):
    """d(x_t, y_t)/dp for many starts at once: out[t, start, :], forward mode."""
    for s in range(x0.shape[0]):
        x, y = x0[s], y0[s]
        sx, sy = 0.0, 0.0
        for t in range(n):
            out[t, s, 0] = sx
            out[t, s, 1] = sy
            a, b, c, d = _jacobian(kind, p, x, y)
            px, py = _parameter_derivative(kind, p, index, x, y)
            sx, sy = a * sx + b * sy + px, c * sx + d * sy + py
            x, y = _step(kind, p, x, y)
            if not (abs(x) < ESCAPE and abs(y) < ESCAPE):
                out[t + 1:, s, :] = np.nan
                break


@njit(cache=True)
def _iterate(kind, p, x, y, n, out):
    for t in range(n):
        out[t, 0] = x
        out[t, 1] = y
        x, y = _step(kind, p, x, y)
        if not (abs(x) < ESCAPE and abs(y) < ESCAPE):
            out[t + 1:, :] = np.inf
            return


@njit(cache=True)
def _lyapunov(kind, dim, p, x, y, n, transient):
    """Benettin's method: evolve an orthonormal frame with the Jacobian, re-orthonormalize (Gram-Schmidt)."""
    for _ in range(transient):
        x, y = _step(kind, p, x, y)
    # frame vectors u = (u1, u2), v = (v1, v2)
    u1, u2, v1, v2 = 1.0, 0.0, 0.0, 1.0
    s1 = 0.0
    s2 = 0.0
    for _ in range(n):
        a, b, c, d = _jacobian(kind, p, x, y)
        x, y = _step(kind, p, x, y)
        if not (abs(x) < ESCAPE and abs(y) < ESCAPE):
            return np.inf, np.nan
        if dim == 1:
            s1 += math.log(abs(a)) if a != 0.0 else -745.0
            continue
        w1, w2 = a * u1 + b * u2, c * u1 + d * u2
        z1, z2 = a * v1 + b * v2, c * v1 + d * v2
        norm = math.sqrt(w1 * w1 + w2 * w2)
        if norm == 0.0:  # the tangent map collapsed (e.g. onto a superstable point)
            return -np.inf, -np.inf
        u1, u2 = w1 / norm, w2 / norm
        s1 += math.log(norm)
        proj = z1 * u1 + z2 * u2
        z1 -= proj * u1
        z2 -= proj * u2
        norm2 = math.sqrt(z1 * z1 + z2 * z2)
        if norm2 == 0.0:
            return s1 / n, -np.inf
        v1, v2 = z1 / norm2, z2 / norm2
        s2 += math.log(norm2)
    return s1 / n, s2 / n


@njit(cache=True)
def _bifurcation(kind, p, index, values, x0, y0, transient, keep, out):
    """Orbits for all values; four orbits advance together, so that their
    independent chains of dependent arithmetic overlap in the processor."""
    lanes = 4
    params = np.empty((lanes, p.shape[0]))
    xs = np.empty(lanes)
    ys = np.empty(lanes)
    for start in range(0, values.shape[0], lanes):
        width = min(lanes, values.shape[0] - start)
        for j in range(lanes):
            params[j] = p
            params[j, index] = values[start + min(j, width - 1)]
            xs[j] = x0
            ys[j] = y0
        for t in range(transient + keep):
            for j in range(lanes):
                xs[j], ys[j] = _step(kind, params[j], xs[j], ys[j])
            if t >= transient:
                for j in range(width):
                    out[start + j, t - transient] = xs[j] if abs(xs[j]) < ESCAPE else np.nan


def _prepare(name, params, x0):
    """Validate (name, params, x0); x0 None means the default start (0.3, 0.1)."""
    if not isinstance(name, str) or name not in MAPS:
        raise ValueError(f"name must be one of {sorted(MAPS)}, got {name!r}")
    kind, dim, names = MAPS[name]
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict with keys {list(names)}, got {params!r}")
    if set(params) != set(names):
        raise ValueError(f"params for {name!r} must have exactly the keys {list(names)}, got {sorted(params)}")
    p = np.array([check_real(f"params[{k!r}]", params[k]) for k in names])
    x = check_real_array("x0", [0.3, 0.1][:dim] if x0 is None else x0)
    if dim == 1 and x.ndim == 0:
        x = x.reshape(1)  # a one-dimensional map starts naturally from a number
    if x.ndim != 1 or x.size != dim:
        expected = "a number or 1 number in a sequence" if dim == 1 else f"a sequence of {dim} numbers"
        raise ValueError(f"x0 must be {expected} for the {name!r} map, got shape {x.shape}")
    return kind, dim, p, float(x[0]), float(x[1]) if dim == 2 else 0.0


def iterate(name, params, x0, n):
    """Iterate a map n times from x0.

    Parameters
    ----------
    name : {"logistic", "henon", "chialvo", "rulkov"}
    params : dict
        The map's parameters by name (see the module conventions).
    x0 : float or array_like, shape (dim,)
        Initial state (a number is enough for a one-dimensional map).
    n : int >= 1
        Number of states returned (x0 included).

    Returns
    -------
    ndarray, shape (n, dim)
        The orbit; after an escape to infinity the remaining rows are ``inf``.
    """
    kind, dim, p, x, y = _prepare(name, params, x0)
    n = check_int("n", n, low=1, high=MAX_ITERATIONS // 10)
    out = np.empty((n, 2))
    _iterate(kind, p, x, y, n, out)
    return out[:, :dim]


def lyapunov(name, params, *, n=100_000, transient=1000, x0=None):
    """The Lyapunov spectrum of a map, one exponent per dimension, largest first.

    The tangent dynamics is propagated with the exact Jacobian and
    re-orthonormalized at every step (Benettin et al.'s method), and the
    exponents are the time averages of the log stretching factors.

    Parameters
    ----------
    name, params
        As in :func:`iterate`.
    n : int
        Iterations averaged over.
    transient : int
        Iterations discarded first, so that the orbit is on its attractor.
    x0 : float or array_like, optional
        Initial state, as in :func:`iterate`; default 0.3 (and 0.1 for the second coordinate).

    Returns
    -------
    ndarray, shape (dim,)
        ``inf`` if the orbit escapes to infinity, ``-inf`` if the tangent
        dynamics collapses to zero (an orbit landing exactly on a critical point).
    """
    kind, dim, p, x, y = _prepare(name, params, x0)
    n = check_int("n", n, low=1, high=MAX_ITERATIONS)
    transient = check_int("transient", transient, low=0, high=MAX_ITERATIONS)
    check_work("lyapunov (n + transient iterations)", float(n + transient), MAX_ITERATIONS)
    s1, s2 = _lyapunov(kind, dim, p, x, y, n, transient)
    return np.array([s1, s2][:dim])


def parameter_sensitivity(name, params, x0, n, *, wrt):
    """The derivative of the orbit with respect to one parameter, from many starts.

    s_{t+1} = J(x_t) s_t + dF/dp (x_t), s_0 = 0: forward-mode differentiation
    of the unrolled map, which is what backpropagation through t iterations
    computes. On a chaotic orbit it grows like e^{lambda_1 t}.

    Parameters
    ----------
    name, params
        As in :func:`iterate`.
    x0 : array_like, shape (starts,) for one-dimensional maps or (starts, 2)
        Initial states.
    n : int >= 1
        Number of derivatives returned per start (s_0 = 0 included).
    wrt : str
        The parameter.

    Returns
    -------
    ndarray, shape (n, starts, dim)
        NaN after an orbit escapes to infinity.
    """
    kind, dim, p, _, _ = _prepare(name, params, None)
    names = MAPS[name][2]
    if wrt not in names:
        raise ValueError(f"wrt must be one of {list(names)}, got {wrt!r}")
    x = check_real_array("x0", x0)
    if x.ndim == 1 and dim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != dim:
        raise ValueError(f"x0 must have shape (starts,{' 2' if dim == 2 else ''}) for the {name!r} map, got {x.shape}")
    n = check_int("n", n, low=1, high=MAX_ITERATIONS)
    check_work("parameter_sensitivity (starts * n)", float(x.shape[0]) * n, MAX_ITERATIONS / 4)
    ys = x[:, 1].copy() if dim == 2 else np.zeros(x.shape[0])
    out = np.empty((n, x.shape[0], 2))
    _sensitivity(kind, p, names.index(wrt), x[:, 0].copy(), ys, n, out)
    return out[:, :, :dim]


@dataclass(frozen=True)
class Bifurcation:
    """Data of a bifurcation diagram: ``x[k]`` holds the ``keep`` states visited at ``values[k]``."""

    parameter: str
    values: np.ndarray
    x: np.ndarray

    def points(self):
        """(parameter values, x) flattened, ready for a scatter plot; escaped orbits left out."""
        v = np.repeat(self.values, self.x.shape[1])
        x = self.x.ravel()
        keep = np.isfinite(x)
        return v[keep], x[keep]


def bifurcation(name, params, vary, values, *, transient=1000, keep=200, x0=None):
    """The long-time states of the first coordinate as one parameter varies.

    Parameters
    ----------
    name, params
        As in :func:`iterate`; ``params[vary]`` is replaced by each value.
    vary : str
        The parameter varied.
    values : array_like, 1-D
    transient, keep : int
        Iterations discarded, then recorded, at each value (each starts from x0).
    x0 : array_like, optional

    Returns
    -------
    Bifurcation
    """
    kind, dim, p, x, y = _prepare(name, params, x0)
    names = MAPS[name][2]
    if vary not in names:
        raise ValueError(f"vary must be one of {list(names)}, got {vary!r}")
    vals = check_real_array("values", values, ndim=1)
    transient = check_int("transient", transient, low=0, high=MAX_ITERATIONS)
    keep = check_int("keep", keep, low=1, high=100_000)
    check_work("bifurcation (values * (transient + keep))", float(vals.size) * (transient + keep), MAX_ITERATIONS)
    out = np.empty((vals.size, keep))
    _bifurcation(kind, p.copy(), names.index(vary), vals, x, y, transient, keep, out)
    return Bifurcation(parameter=vary, values=vals, x=out)


def logistic_superstable(count):
    """The superstable parameters R_0 < R_1 < ... of the logistic map's period-doubling cascade.

    At R_n the point x = 1/2 lies on a cycle of period 2^n. R_0 = 2, and each
    R_n is found by Newton's method on f_r^(2^n)(1/2) = 1/2 (with the
    derivative in r carried along), started from the extrapolation
    R_{n-1} + (R_{n-1} - R_{n-2}) / 4.669. The ratios
    (R_{n-1} - R_{n-2}) / (R_n - R_{n-1}) converge to Feigenbaum's delta.
    """
    count = check_int("count", count, low=1, high=14)
    R = [2.0, 1.0 + math.sqrt(5.0)]
    while len(R) < count:
        n = len(R)
        r = R[-1] + (R[-1] - R[-2]) / 4.669
        for _ in range(100):
            x, dx = 0.5, 0.0
            for _ in range(2**n):
                x, dx = r * x * (1 - x), x * (1 - x) + r * (1 - 2 * x) * dx
            step = (x - 0.5) / dx
            r -= step
            if abs(step) < 1e-15:
                break
        R.append(r)
    return np.array(R[:count])
