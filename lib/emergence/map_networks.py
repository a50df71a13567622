"""Networks of map neurons (Chialvo and Rulkov) with diffusive couplings.

Network conventions
-------------------
Node i holds the state (x_i, y_i) of a Chialvo or a Rulkov neuron
(:mod:`emergence.maps` gives both maps and their parameters). Nodes interact
through their membrane potentials x by linear diffusive couplings:

    x_i' = f_i(x_i, y_i) + sum_j C_ij (x_j - x_i),    y_i' = g_i(x_i, y_i),

where (f_i, g_i) is node i's map and C is the coupling matrix (C_ij is the
strength with which node j pulls node i; the diagonal is ignored). Builders:

* :func:`ring_star`: node 0 is the centre, nodes 1..n_ring form a ring.
  The centre is pulled by every ring node with strength ``star``; each ring
  node is pulled by the centre with strength ``star`` and by its ring
  neighbours within ``radius`` with strength ``ring / (2 radius)``.
* :func:`chain`: an open chain, neighbours pulling each other with strength
  ``coupling`` (bidirectional).

Lyapunov exponents come from the exact Jacobian of the whole network,
in units of 1 / iteration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ._validation import check_int, check_real, check_real_array, check_work
from .maps import ESCAPE, MAPS, _jacobian, _step
from .random import resolve_seed, rng

NEURONS = ("chialvo", "rulkov")
MAX_NODES = 1000
#: About 1 ns per node pair and iteration (dense coupling): some seconds of work.
MAX_WORK = 5e9


# --------------------------------------------------------------------------
# coupling matrices
# --------------------------------------------------------------------------
def ring_star(n_ring, *, star, ring, radius=1):
    """Coupling matrix of a ring-star network: a centre (node 0) joined to every node of a ring.

    Parameters
    ----------
    n_ring : int >= 3
        Nodes on the ring (the smallest ring-star network has 3).
    star : float
        Strength of the links between the centre and each ring node.
    ring : float
        Total strength of a ring node's ring links, shared over its 2 radius neighbours.
    radius : int, 1 <= radius <= (n_ring - 1) // 2
        Ring neighbours on each side.

    Returns
    -------
    ndarray, shape (n_ring + 1, n_ring + 1)
    """
    n_ring = check_int("n_ring", n_ring, low=3, high=MAX_NODES - 1)
    star = check_real("star", star)
    ring = check_real("ring", ring)
    radius = check_int("radius", radius, low=1, high=(n_ring - 1) // 2)
    C = np.zeros((n_ring + 1, n_ring + 1))
    C[0, 1:] = star
    C[1:, 0] = star
    for i in range(n_ring):
        for d in range(1, radius + 1):
            for j in ((i + d) % n_ring, (i - d) % n_ring):
                C[1 + i, 1 + j] = ring / (2 * radius)
    return C


def chain(n, coupling):
    """Coupling matrix of an open chain of n nodes with bidirectional nearest-neighbour links."""
    n = check_int("n", n, low=2, high=MAX_NODES)
    coupling = check_real("coupling", coupling)
    C = np.zeros((n, n))
    idx = np.arange(n - 1)
    C[idx, idx + 1] = coupling
    C[idx + 1, idx] = coupling
    return C


# --------------------------------------------------------------------------
# kernel
# --------------------------------------------------------------------------
@njit(cache=True)
def _advance(kinds, P, C, x, y, nx, ny):
    n = x.shape[0]
    for i in range(n):
        pull = 0.0
        for j in range(n):
            if j != i:
                pull += C[i, j] * (x[j] - x[i])
        fx, gy = _step(kinds[i], P[i], x[i], y[i])
        nx[i] = fx + pull
        ny[i] = gy


@njit(cache=True)
def _run(kinds, P, C, x, y, transient, n, U, out_x, out_y, exponents):
    """Iterate the network; record n states after the transient and, with m > 0,
    the m largest Lyapunov exponents over those n iterations (Benettin's method,
    modified Gram-Schmidt) from the orthonormal tangent vectors in the rows of U
    (first N entries along x, last N along y). Returns False if the orbit escaped."""
    N = x.shape[0]
    m = U.shape[0]
    nx = np.empty(N)
    ny = np.empty(N)
    W = np.empty((m, 2 * N))
    sums = np.zeros(m)
    for t in range(transient + n):
        if t >= transient:
            out_x[t - transient] = x
            out_y[t - transient] = y
            for k in range(m):
                for i in range(N):
                    a, b, c, d = _jacobian(kinds[i], P[i], x[i], y[i])
                    pull = 0.0
                    for j in range(N):
                        if j != i:
                            pull += C[i, j] * (U[k, j] - U[k, i])
                    W[k, i] = a * U[k, i] + b * U[k, N + i] + pull
                    W[k, N + i] = c * U[k, i] + d * U[k, N + i]
            for k in range(m):
                for q in range(k):
                    proj = 0.0
                    for i in range(2 * N):
                        proj += W[k, i] * W[q, i]
                    for i in range(2 * N):
                        W[k, i] -= proj * W[q, i]
                norm = 0.0
                for i in range(2 * N):
                    norm += W[k, i] * W[k, i]
                norm = math.sqrt(norm)
                if norm == 0.0:  # the tangent dynamics collapsed onto a superstable orbit
                    sums[k] = -np.inf
                    norm = 1.0
                else:
                    sums[k] += math.log(norm)
                for i in range(2 * N):
                    W[k, i] /= norm
                    U[k, i] = W[k, i]
        _advance(kinds, P, C, x, y, nx, ny)
        for i in range(N):
            if not (abs(nx[i]) < ESCAPE and abs(ny[i]) < ESCAPE):
                return False
            x[i] = nx[i]
            y[i] = ny[i]
    for k in range(m):
        exponents[k] = sums[k] / n
    return True


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class NetworkOrbit:
    """An orbit of a map-neuron network: ``x[t, i]``, ``y[t, i]`` after the transient.

    ``lyapunov`` holds the largest exponents (as many as asked for, largest
    first) measured over the recorded iterations; it is empty if none were asked for.
    """

    x: np.ndarray
    y: np.ndarray
    lyapunov: np.ndarray
    seed: int


def _nodes(kinds, params, N):
    """Per-node kind names, kind ids and a padded parameter table."""
    kinds = [kinds] * N if isinstance(kinds, str) else list(kinds)
    params = [params] * N if isinstance(params, dict) else list(params)
    if len(kinds) != N or len(params) != N:
        raise ValueError(f"kinds and params must name one neuron each for the {N} nodes of coupling, "
                         f"got {len(kinds)} kinds and {len(params)} parameter sets")
    ids = np.empty(N, np.int64)
    P = np.zeros((N, 4))
    for i, (kind, p) in enumerate(zip(kinds, params)):
        if kind not in NEURONS:
            raise ValueError(f"kinds[{i}] must be one of {list(NEURONS)}, got {kind!r}")
        map_id, _, names = MAPS[kind]
        if not isinstance(p, dict) or set(p) != set(names):
            raise ValueError(f"params[{i}] for a {kind!r} neuron must be a dict with exactly the keys {list(names)}, "
                             f"got {p!r}")
        ids[i] = map_id
        P[i, : len(names)] = [check_real(f"params[{i}][{k!r}]", p[k]) for k in names]
    return kinds, ids, P


#: Boxes for random initial states, per neuron kind: ((x low, x high), (y low, y high)).
START_BOX = {"chialvo": ((0.0, 1.0), (0.0, 1.0)), "rulkov": ((-1.5, 0.5), (-3.5, -2.5))}


def simulate(kinds, params, coupling, n, *, transient=1000, lyapunov=0, x0=None, seed=None):
    """Iterate a network of map neurons.

    Parameters
    ----------
    kinds : str or sequence of str
        ``"chialvo"`` or ``"rulkov"`` for every node, or one kind for all.
    params : dict or sequence of dict
        Each node's map parameters (see :mod:`emergence.maps`), or one dict for all.
    coupling : array_like, shape (N, N)
        Diffusive coupling matrix (:func:`ring_star`, :func:`chain`, or your own).
    n : int >= 1
        Iterations recorded after the transient.
    transient : int >= 0
        Iterations discarded first.
    lyapunov : int, 0 <= lyapunov <= 2N
        How many of the largest Lyapunov exponents to measure over the n
        recorded iterations (from a random orthonormal frame; in the order of
        Benettin's method, which is largest first once the averages converge).
    x0 : array_like, shape (N, 2), optional
        Initial (x, y) of every node; by default uniform random in :data:`START_BOX`.
    seed : int, optional
        Seed for the random initial state and tangent frame.

    Returns
    -------
    NetworkOrbit
        If the orbit escapes to infinity, the rows from the escape on and the
        exponents are ``inf``.
    """
    C = check_real_array("coupling", coupling, ndim=2)
    N = C.shape[0]
    if C.shape != (N, N) or not 1 <= N <= MAX_NODES:
        raise ValueError(f"coupling must be a square matrix with 1 to {MAX_NODES} rows, got shape {C.shape}")
    names, ids, P = _nodes(kinds, params, N)
    n = check_int("n", n, low=1, high=10_000_000)
    transient = check_int("transient", transient, low=0, high=100_000_000)
    m = check_int("lyapunov", lyapunov, low=0, high=2 * N)
    check_work("simulate ((n + transient) N^2 + n m N^2)", float(n + transient) * N * N + float(n) * m * N * (N + 4 * m),
               MAX_WORK)
    seed = resolve_seed(seed)
    gen = rng(seed)
    # A generic (random) starting frame: unit vectors would stay inside one
    # node's block when the nodes are uncoupled, and miss the largest exponent.
    frame = np.linalg.qr(gen.standard_normal((2 * N, m)))[0].T.copy() if m else np.zeros((0, 2 * N))
    if x0 is None:
        start = np.array([[gen.uniform(*START_BOX[k][0]), gen.uniform(*START_BOX[k][1])] for k in names])
    else:
        start = check_real_array("x0", x0, ndim=2)
        if start.shape != (N, 2):
            raise ValueError(f"x0 must have shape ({N}, 2), got {start.shape}")
    x = start[:, 0].copy()
    y = start[:, 1].copy()
    out_x = np.full((n, N), np.inf)
    out_y = np.full((n, N), np.inf)
    exponents = np.full(m, np.inf)
    _run(ids, P, C, x, y, transient, n, frame, out_x, out_y, exponents)
    return NetworkOrbit(x=out_x, y=out_y, lyapunov=exponents, seed=seed)


def _finite_series(name, x):
    x = check_real_array(name, x, ndim=2)
    if x.shape[0] < 2:
        raise ValueError(f"{name} must hold at least 2 time steps (rows), got {x.shape[0]}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite (the orbit escaped?)")
    return x


def cross_correlation(x):
    """Mean Pearson correlation of the nodes' time series over all pairs of nodes.

    1 for complete synchrony, near 0 for independent nodes. A node that does
    not vary (a fixed point) has no correlation coefficient; a pair involving
    one counts as 1 if the two series are equal and 0 otherwise.

    Parameters
    ----------
    x : array_like, shape (T, N)
        Time series, one column per node (e.g. ``NetworkOrbit.x``); N >= 2.
    """
    x = _finite_series("x", x)
    N = x.shape[1]
    if N < 2:
        raise ValueError(f"x must have at least 2 columns (nodes), got {N}")
    dev = x - x.mean(axis=0)
    scale = np.sqrt((dev**2).mean(axis=0))
    varies = scale > 1e-12 * (1 + np.abs(x).max())
    total = 0.0
    for i in range(N):
        for j in range(i + 1, N):
            if varies[i] and varies[j]:
                total += (dev[:, i] * dev[:, j]).mean() / (scale[i] * scale[j])
            else:
                total += float(np.allclose(x[:, i], x[:, j], rtol=0, atol=1e-9))
    return total / (N * (N - 1) / 2)


def kuramoto_order(x, y):
    """Time-averaged Kuramoto order parameter of map neurons, with geometric phases.

    Node i's phase is the angle of (x_i - <x_i>, y_i - <y_i>) around its
    time-averaged state, and ``R(t) = |(1/N) sum_i exp(i theta_i(t))|``; the
    result is the mean of R over time. Nodes at rest get phase 0.

    Parameters
    ----------
    x, y : array_like, shape (T, N)
    """
    x = _finite_series("x", x)
    y = _finite_series("y", y)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    theta = np.arctan2(y - y.mean(axis=0), x - x.mean(axis=0))
    return float(np.abs(np.exp(1j * theta).mean(axis=1)).mean())
