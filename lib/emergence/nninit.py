"""Random neural networks at initialization: signal propagation, Gaussian processes and depth.

Initialization conventions
--------------------------
A depth-L multilayer perceptron maps a batch of inputs x (rows, d_in
features) to pre-activations h^1, ..., h^L of width n:

    h^1 = W^1 x + b^1,            W^1_ij ~ (0, sigma_w^2 / d_in),
    h^l = W^l phi(h^{l-1}) + b^l, W^l_ij ~ (0, sigma_w^2 / n),   b^l_i ~ N(0, sigma_b^2).

The weight variance is divided by the fan-in, so every weight family
(Gaussian, orthogonal, sparse, low-rank) gives each unit the same variance.
A residual network keeps the first layer as an embedding and adds the branch
to the stream: h^l = h^{l-1} + alpha (W^l phi(h^{l-1}) + b^l), with branch
scale alpha = 1/sqrt(L), 1/L or 1 (unscaled).

Mean-field maps
---------------
As n -> infinity every unit of layer l is Gaussian with the layer's kernel.
For two inputs of equal length q and correlation c, the next layer has

    q' = sigma_w^2 E[phi(u)^2] + sigma_b^2,                      (length map)
    c' = (sigma_w^2 E[phi(u) phi(v)] + sigma_b^2) / q',          (correlation map)

where (u, v) are centred Gaussians with variances q and covariance c q.
chi_1 = sigma_w^2 E[phi'(u)^2] is the slope of the correlation map at c = 1:
at the fixed point q*, chi_1 < 1 is the ordered phase (nearby inputs
converge), chi_1 > 1 the chaotic phase (they decorrelate), and chi_1 = 1 the
edge of chaos. Expectations are closed forms for ReLU (the arc-cosine
kernel), erf and the identity, and trapezoidal quadrature over the
Gaussian for tanh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import brentq
from scipy.special import erf

from ._validation import check_choice, check_int, check_real, check_real_array, check_work
from .random import resolve_seed

#: Activations with their closed forms or quadrature (see the module docstring).
ACTIVATIONS = ("tanh", "relu", "erf", "linear")
#: Weight families of :func:`forward`; all have entry variance sigma_w^2 / fan-in.
WEIGHTS = ("gaussian", "orthogonal", "sparse", "low-rank")
#: Residual branch scales of :func:`forward` and :func:`nngp_kernel` (None: a plain MLP).
RESIDUALS = (None, "1/sqrt(L)", "1/L", "1")

# Expectations over z ~ N(0, 1) use the trapezoidal rule on a uniform grid, which converges
# geometrically for integrands analytic in a strip: for tanh(sqrt(q) z) the strip has half-width
# pi / (2 sqrt(q)) and the error is about exp(-pi^2 / (h sqrt(q))). (Gauss-Hermite nodes spread
# too far for the steep tanh of large q.) One dimension: h = 0.01 on [-10, 10], below 1e-12 up
# to q = 400. Two dimensions: h = min(0.15, 0.4 / sqrt(q)) per dimension, error below 1e-10.
_Z = np.linspace(-10.0, 10.0, 2001)
_ZW = np.exp(-_Z**2 / 2)
_ZW /= _ZW.sum()  # the exact sum is 1 to e^-50: normalizing keeps constants exact
_Z_RANGE = 9.0
_NODES_PER_BATCH = 8_000_000  # kernel entries x grid points evaluated at once (64 MB per array)
MAX_ELEMENTS = 50_000_000  # stored pre-activations (400 MB)
MAX_WORK = 2e10  # multiply-adds, about ten seconds of BLAS


# --------------------------------------------------------------------------
# activations and Gaussian expectations
# --------------------------------------------------------------------------
def _phi(name, u, deriv=0):
    """The activation or its first or second derivative."""
    if name == "tanh":
        t = np.tanh(u)
        return (t, 1 - t**2, -2 * t * (1 - t**2))[deriv]
    if name == "relu":
        return (np.maximum(u, 0.0), (u > 0).astype(float), np.zeros_like(u))[deriv]
    if name == "erf":
        g = 2 / math.sqrt(math.pi) * np.exp(-(u**2))
        return (erf(u), g, -2 * u * g)[deriv]
    return (u, np.ones_like(u), np.zeros_like(u))[deriv]


def _expect_1d(f):
    """E[f(z)] over z ~ N(0, 1) for a vectorized f, broadcast over leading axes."""
    return f(_Z) @ _ZW


def _expect_square(activation, q, deriv=0):
    """E[phi^(deriv)(u)^2] with u ~ N(0, q), array q."""
    q = np.asarray(q, dtype=float)
    if activation == "relu":
        return q / 2 if deriv == 0 else np.full_like(q, 0.5 if deriv == 1 else 0.0)
    if activation == "linear":
        return q.copy() if deriv == 0 else np.full_like(q, 1.0 if deriv == 1 else 0.0)
    if activation == "erf" and deriv < 2:
        return 2 / math.pi * np.arcsin(2 * q / (1 + 2 * q)) if deriv == 0 else 4 / math.pi / np.sqrt(1 + 4 * q)
    root = np.sqrt(q)[..., None]
    return _expect_1d(lambda z: _phi(activation, root * z, deriv) ** 2)


def _expect_phi_phi2(activation, q):
    """E[phi(u) phi''(u)], u ~ N(0, q) (zero for ReLU and the identity)."""
    q = np.asarray(q, dtype=float)
    if activation in ("relu", "linear"):
        return np.zeros_like(q)
    root = np.sqrt(q)[..., None]
    return _expect_1d(lambda z: _phi(activation, root * z) * _phi(activation, root * z, 2))


def _expect_product(activation, q1, q2, k, deriv=0):
    """E[phi^(d)(u) phi^(d)(v)] for centred Gaussians with variances q1, q2 and covariance k."""
    q1, q2, k = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (q1, q2, k)))
    if activation == "linear":
        return k.copy() if deriv == 0 else np.ones_like(k)
    norm = np.sqrt(q1 * q2)
    if activation == "relu":
        with np.errstate(invalid="ignore", divide="ignore"):
            theta = np.arccos(np.clip(np.where(norm > 0, k / norm, 1.0), -1.0, 1.0))
        if deriv == 1:
            return (math.pi - theta) / (2 * math.pi)
        return norm / (2 * math.pi) * (np.sin(theta) + (math.pi - theta) * np.cos(theta))
    if activation == "erf":
        if deriv == 1:
            return 4 / math.pi / np.sqrt((1 + 2 * q1) * (1 + 2 * q2) - 4 * k**2)
        return 2 / math.pi * np.arcsin(2 * k / np.sqrt((1 + 2 * q1) * (1 + 2 * q2)))
    # tanh: u = sqrt(q1) z1, v = (k / sqrt(q1)) z1 + sqrt(q2 - k^2/q1) z2 on a product trapezoid grid
    flat = [a.ravel() for a in (q1, q2, k)]
    out = np.empty(flat[0].size)
    order = np.argsort(np.maximum(flat[0], flat[1]))  # batches of similar q share a grid spacing
    start = 0
    while start < out.size:
        q_top = max(flat[0][order[min(start + 255, out.size - 1)]], flat[1][order[min(start + 255, out.size - 1)]])
        h = min(0.15, 0.4 / math.sqrt(max(q_top, 1e-12)))
        z = np.arange(-_Z_RANGE, _Z_RANGE + h / 2, h)
        w = np.exp(-z**2 / 2)
        w /= w.sum()
        size = max(1, min(256, _NODES_PER_BATCH // z.size**2))
        idx = order[start:start + size]
        a, b, c = (x[idx, None, None] for x in flat)
        ra = np.sqrt(a)
        slope = np.where(ra > 0, c / np.where(ra > 0, ra, 1.0), 0.0)
        rest = np.sqrt(np.maximum(b - slope**2, 0.0))
        u = ra * z[:, None]
        v = slope * z[:, None] + rest * z[None, :]
        out[idx] = np.einsum("kij,i,j->k", _phi(activation, u, deriv) * _phi(activation, v, deriv), w, w)
        start += size
    return out.reshape(q1.shape)


def _check_map_args(activation, sigma_w, sigma_b):
    check_choice("activation", activation, ACTIVATIONS)
    sigma_w = check_real("sigma_w", sigma_w, low=0.0, high=100.0, low_open=True)
    sigma_b = check_real("sigma_b", sigma_b, low=0.0, high=100.0)
    return sigma_w, sigma_b


def _as_output(value, scalar):
    return float(value) if scalar else value


# --------------------------------------------------------------------------
# mean-field maps
# --------------------------------------------------------------------------
def length_map(q, *, activation="tanh", sigma_w=1.0, sigma_b=0.0):
    """One layer of the length map: q' = sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2.

    Parameters
    ----------
    q : float or array_like, >= 0
        Squared length per unit (the variance of each pre-activation) of the current layer.
    activation : {"tanh", "relu", "erf", "linear"}
    sigma_w, sigma_b : float
        Weight and bias scales (sigma_w > 0, sigma_b >= 0).

    Returns
    -------
    float or ndarray
        q of the next layer.
    """
    sigma_w, sigma_b = _check_map_args(activation, sigma_w, sigma_b)
    scalar = np.ndim(q) == 0
    q = check_real_array("q", np.atleast_1d(q), low=0.0)
    out = sigma_w**2 * _expect_square(activation, q) + sigma_b**2
    return _as_output(out[0] if scalar else out, scalar)


def correlation_map(c, q, *, activation="tanh", sigma_w=1.0, sigma_b=0.0):
    """One layer of the correlation map for two inputs of equal length q.

    c' = (sigma_w^2 E[phi(u) phi(v)] + sigma_b^2) / q', with Var u = Var v = q,
    Cov(u, v) = c q and q' = :func:`length_map` (q). At the fixed point q = q*
    this is the map C(c) of mean-field signal propagation.

    Parameters
    ----------
    c : float or array_like in [-1, 1]
    q : float, > 0
    activation, sigma_w, sigma_b : as for :func:`length_map`

    Returns
    -------
    float or ndarray
        The correlation of the next layer.
    """
    sigma_w, sigma_b = _check_map_args(activation, sigma_w, sigma_b)
    q = check_real("q", q, low=0.0, low_open=True)
    scalar = np.ndim(c) == 0
    c = check_real_array("c", np.atleast_1d(c), low=-1.0, high=1.0)
    # the same quadrature for both expectations, so that c = 1 maps exactly to 1
    q_next = sigma_w**2 * float(_expect_product(activation, q, q, q)) + sigma_b**2
    out = (sigma_w**2 * _expect_product(activation, q, q, c * q) + sigma_b**2) / q_next
    return _as_output(out[0] if scalar else out, scalar)


def chi1(q, *, activation="tanh", sigma_w=1.0, sigma_b=0.0):
    """chi_1 = sigma_w^2 E[phi'(sqrt(q) z)^2]: the slope of the correlation map at c = 1.

    Evaluated at the fixed point q*, chi_1 = 1 is the edge of chaos
    (``sigma_b`` enters only through q*, and is accepted for symmetry with
    the other maps).

    Returns
    -------
    float or ndarray
    """
    sigma_w, sigma_b = _check_map_args(activation, sigma_w, sigma_b)
    scalar = np.ndim(q) == 0
    q = check_real_array("q", np.atleast_1d(q), low=0.0)
    out = sigma_w**2 * _expect_square(activation, q, 1)
    return _as_output(out[0] if scalar else out, scalar)


def fixed_point(*, activation="tanh", sigma_w=1.0, sigma_b=0.0, q_start=1.0):
    """The stable fixed point q* of the length map (``inf`` when lengths grow without bound).

    Bounded activations (tanh, erf) always have one: the largest root of
    q = length_map(q), which is 0 when sigma_b = 0 and chi_1(0) <= 1.
    ReLU and the identity are linear in q: q* = sigma_b^2 / (1 - s) with
    s = sigma_w^2 / 2 (ReLU) or sigma_w^2 (identity) when s < 1, and every q
    is fixed when s = 1 and sigma_b = 0, in which case ``q_start`` is returned.
    """
    sigma_w, sigma_b = _check_map_args(activation, sigma_w, sigma_b)
    q_start = check_real("q_start", q_start, low=0.0, low_open=True)
    if activation in ("relu", "linear"):
        s = sigma_w**2 / 2 if activation == "relu" else sigma_w**2
        if math.isclose(s, 1.0, rel_tol=1e-12) and sigma_b == 0:
            return q_start
        return sigma_b**2 / (1 - s) if s < 1 else math.inf

    def excess(q):
        return sigma_w**2 * float(_expect_square(activation, np.array([q]))[0]) + sigma_b**2 - q

    top = sigma_w**2 + sigma_b**2 + 1.0  # bounded activations: E[phi^2] < 1
    if sigma_b == 0:
        if sigma_w**2 * float(_expect_square(activation, np.array([0.0]), 1)[0]) <= 1:
            return 0.0
        low = 1e-12
        while excess(low) <= 0:  # leave the unstable root at 0
            low *= 10
        return brentq(excess, low, top, xtol=1e-14, rtol=1e-13)
    return brentq(excess, 0.0, top, xtol=1e-14, rtol=1e-13)


@dataclass(frozen=True)
class DepthScales:
    """Fixed points and the depths over which signals are forgotten (:func:`depth_scales`).

    Attributes
    ----------
    q_star, c_star : float
        Fixed points of the length and correlation maps.
    chi1 : float
        Slope of the correlation map at c = 1 (phase: ordered < 1 < chaotic).
    chi_c : float
        Slope of the correlation map at c*: the correlation approaches c* as
        chi_c^l.
    xi_c, xi_q : float
        Correlation and length depth scales, -1 / ln(chi_c) and -1 / ln(chi_q)
        in layers (``inf`` where the slope is 1).
    """

    q_star: float
    c_star: float
    chi1: float
    chi_c: float
    xi_c: float
    xi_q: float


def _depth(slope):
    return math.inf if slope >= 1 - 1e-12 else -1.0 / math.log(slope)


def depth_scales(*, activation="tanh", sigma_w=1.0, sigma_b=0.0):
    """Fixed points (q*, c*) and the depth scales xi_c, xi_q of mean-field signal propagation.

    The slopes of the maps at their fixed points give exponential approaches
    c^l - c* ~ chi_c^l and q^l - q* ~ chi_q^l, with chi_c = sigma_w^2
    E[phi'(u) phi'(v)] at (q*, c*) and chi_q = sigma_w^2 (E[phi'^2] +
    E[phi phi'']) at q*. Both depth scales diverge at the edge of chaos.

    Returns
    -------
    DepthScales
    """
    sigma_w, sigma_b = _check_map_args(activation, sigma_w, sigma_b)
    q_star = fixed_point(activation=activation, sigma_w=sigma_w, sigma_b=sigma_b)
    if not math.isfinite(q_star):
        return DepthScales(math.inf, math.nan, math.inf, math.nan, math.nan, math.nan)
    q = np.array([q_star])
    slope1 = float(sigma_w**2 * _expect_square(activation, q, 1)[0])
    chi_q = float(sigma_w**2 * (_expect_square(activation, q, 1) + _expect_phi_phi2(activation, q))[0])
    c_star = 1.0
    if slope1 > 1 and q_star > 0:
        def excess(c):
            return correlation_map(c, q_star, activation=activation, sigma_w=sigma_w, sigma_b=sigma_b) - c

        # c = 1 is an unstable root here; the stable one is the last downward crossing below it
        # (just above the edge it lies within 1e-3 of 1, hence the logarithmic end of the grid)
        grid = np.concatenate([np.linspace(0.0, 0.95, 20), 1 - np.logspace(-1.4, -8, 24)])
        values = excess(grid)
        crossings = np.flatnonzero((values[:-1] > 0) & (values[1:] <= 0))
        if values[0] <= 1e-15:
            c_star = 0.0
        elif crossings.size:
            k = crossings[-1]
            c_star = brentq(excess, grid[k], grid[k + 1], xtol=1e-15)
    if q_star == 0:  # sigma_b = 0 and the origin is stable: every correlation is kept to leading order
        chi_c = slope1
    else:
        chi_c = float(sigma_w**2 * _expect_product(activation, q_star, q_star, c_star * q_star, 1))
    return DepthScales(q_star, c_star, slope1, chi_c, _depth(chi_c), _depth(chi_q))


# --------------------------------------------------------------------------
# random networks
# --------------------------------------------------------------------------
def _haar_orthogonal(gen, n):
    """An n x n orthogonal matrix from Haar measure (QR of a Gaussian with the signs of R fixed)."""
    q, r = np.linalg.qr(gen.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def weight_matrix(n_out, n_in, *, weights="gaussian", sigma_w=1.0, density=0.1, rank=None, seed=None):
    """One random weight matrix (n_out, n_in) with entry variance sigma_w^2 / n_in.

    Parameters
    ----------
    n_out, n_in : int
    weights : {"gaussian", "orthogonal", "sparse", "low-rank"}
        * gaussian: independent N(0, sigma_w^2 / n_in) entries;
        * orthogonal: Haar-random orthonormal rows or columns (whichever
          fits), scaled so that each output has variance sigma_w^2 abs(x)^2 / n_in;
        * sparse: each entry is nonzero with probability ``density``, then
          N(0, sigma_w^2 / (density n_in));
        * low-rank: U V with U (n_out, r) and V (r, n_in) Gaussian, of rank
          r = ``rank`` (default max(1, min(n_out, n_in) // 4)).
    sigma_w : float, > 0
    density : float in (0, 1]
    rank : int or None
    seed : int or None

    Returns
    -------
    ndarray (n_out, n_in)
    """
    n_out = check_int("n_out", n_out, low=1, high=20_000)
    n_in = check_int("n_in", n_in, low=1, high=20_000)
    check_choice("weights", weights, WEIGHTS)
    sigma_w = check_real("sigma_w", sigma_w, low=0.0, high=100.0, low_open=True)
    density = check_real("density", density, low=0.0, high=1.0, low_open=True)
    if rank is not None:
        rank = check_int("rank", rank, low=1, high=min(n_out, n_in))
    return _weight_matrix(np.random.default_rng(resolve_seed(seed)), n_out, n_in, weights, sigma_w, density, rank)


def _weight_matrix(gen, n_out, n_in, weights, sigma_w, density, rank):
    if weights == "gaussian":
        return gen.standard_normal((n_out, n_in)) * (sigma_w / math.sqrt(n_in))
    if weights == "orthogonal":
        q = _haar_orthogonal(gen, max(n_out, n_in))[:n_out, :n_in]
        return q * (sigma_w * math.sqrt(max(n_out, n_in) / n_in))
    if weights == "sparse":
        mask = gen.random((n_out, n_in)) < density
        return np.where(mask, gen.standard_normal((n_out, n_in)), 0.0) * (sigma_w / math.sqrt(density * n_in))
    r = rank if rank is not None else max(1, min(n_out, n_in) // 4)
    left = gen.standard_normal((n_out, r)) / math.sqrt(r)
    return left @ (gen.standard_normal((r, n_in)) * (sigma_w / math.sqrt(n_in)))


def _branch_scale(residual, depth):
    return {None: 1.0, "1/sqrt(L)": 1 / math.sqrt(depth), "1/L": 1 / depth, "1": 1.0}[residual]


@dataclass(frozen=True)
class Forward:
    """Pre-activations of every layer of one random network (:func:`forward`).

    Attributes
    ----------
    preactivations : ndarray (depth, batch, width)
        h^l for layer l = 1..depth at index l - 1.
    seed : int
    """

    preactivations: np.ndarray
    seed: int

    def kernels(self):
        """Empirical kernels K^l = h^l h^l^T / width, shape (depth, batch, batch)."""
        h = self.preactivations
        return np.einsum("lai,lbi->lab", h, h) / h.shape[2]


def _check_residual(residual):
    if residual not in RESIDUALS:
        raise ValueError(f"residual must be one of {list(RESIDUALS)}, got {residual!r}")
    return residual


def forward(x, depth, width, *, activation="tanh", sigma_w=1.0, sigma_b=0.0, weights="gaussian",
            residual=None, density=0.1, rank=None, seed=None):
    """Propagate a batch of inputs through one randomly initialized network.

    See the module docstring for the conventions. Every layer draws fresh
    weights from the family ``weights`` (:func:`weight_matrix`) and fresh
    biases; the batch shares the network.

    Parameters
    ----------
    x : array_like (batch, d_in) or (d_in,)
    depth : int in [1, 10000]
        Number of layers (the residual branch scale uses L = depth).
    width : int in [1, 20000]
    activation : {"tanh", "relu", "erf", "linear"}
    sigma_w, sigma_b : float
    weights : {"gaussian", "orthogonal", "sparse", "low-rank"}
    residual : None, "1/sqrt(L)", "1/L" or "1"
        None for a plain MLP; otherwise the branch scale of a residual network.
    density, rank : options of the sparse and low-rank families
    seed : int or None

    Returns
    -------
    Forward
    """
    x = check_real_array("x", x)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError(f"x must have shape (batch, d_in) or (d_in,), got {x.shape}")
    depth = check_int("depth", depth, low=1, high=10_000)
    width = check_int("width", width, low=1, high=20_000)
    check_choice("weights", weights, WEIGHTS)
    sigma_w, sigma_b = _check_map_args(activation, sigma_w, sigma_b)
    residual = _check_residual(residual)
    density = check_real("density", density, low=0.0, high=1.0, low_open=True)
    if rank is not None:
        rank = check_int("rank", rank, low=1, high=width)
    batch, d_in = x.shape
    if depth * batch * width > MAX_ELEMENTS:
        raise ValueError(f"depth * batch * width = {depth * batch * width} pre-activations exceed {MAX_ELEMENTS}; "
                         "reduce the depth, batch or width")
    check_work("forward", depth * width * (width + batch), MAX_WORK)
    seed = resolve_seed(seed)
    gen = np.random.default_rng(seed)
    alpha = _branch_scale(residual, depth)
    out = np.empty((depth, batch, width))
    # a sparse or low-rank input layer would cut a few input features off entirely
    first = weights if weights in ("gaussian", "orthogonal") else "gaussian"
    w = _weight_matrix(gen, width, d_in, first, sigma_w, density, rank)
    out[0] = x @ w.T + sigma_b * gen.standard_normal(width)
    for layer in range(1, depth):
        w = _weight_matrix(gen, width, width, weights, sigma_w, density, rank)
        branch = _phi(activation, out[layer - 1]) @ w.T + sigma_b * gen.standard_normal(width)
        out[layer] = branch if residual is None else out[layer - 1] + alpha * branch
    return Forward(out, seed)


def nngp_kernel(X, depth, *, activation="tanh", sigma_w=1.0, sigma_b=0.0, residual=None):
    """The infinite-width (NNGP) kernel of every layer, for the conventions of :func:`forward`.

    K^1 = sigma_w^2 X X^T / d_in + sigma_b^2, then
    K^{l+1} = sigma_w^2 E[phi(u) phi(v)] + sigma_b^2 (MLP) or
    K^{l+1} = K^l + alpha^2 (sigma_w^2 E[phi(u) phi(v)] + sigma_b^2) (residual),
    with (u, v) Gaussian of covariance K^l.

    Parameters
    ----------
    X : array_like (P, d_in)
    depth : int in [1, 10000]
    activation, sigma_w, sigma_b, residual : as for :func:`forward`

    Returns
    -------
    ndarray (depth, P, P)
    """
    X = check_real_array("X", X, ndim=2)
    depth = check_int("depth", depth, low=1, high=10_000)
    sigma_w, sigma_b = _check_map_args(activation, sigma_w, sigma_b)
    residual = _check_residual(residual)
    P = X.shape[0]
    # tanh: each kernel entry is a two-dimensional quadrature of up to about 15 000 points
    check_work("nngp_kernel", depth * P * P * (15_000 if activation == "tanh" else 1), 1e10)
    alpha2 = _branch_scale(residual, depth) ** 2
    out = np.empty((depth, P, P))
    out[0] = sigma_w**2 * (X @ X.T) / X.shape[1] + sigma_b**2
    iu = np.triu_indices(P)
    for layer in range(1, depth):
        k = out[layer - 1]
        d = np.diag(k)
        upper = sigma_w**2 * _expect_product(activation, d[iu[0]], d[iu[1]], k[iu]) + sigma_b**2
        step = np.empty((P, P))
        step[iu] = upper
        step.T[iu] = upper
        out[layer] = step if residual is None else k + alpha2 * step
    return out


@dataclass(frozen=True)
class GPPrediction:
    """Posterior of Gaussian-process regression (:func:`gp_regression`).

    Attributes
    ----------
    mean : ndarray (n_test,)
    variance : ndarray (n_test,) or None
        Posterior variance of the latent function (None unless ``K_test_diag`` was given).
    """

    mean: np.ndarray
    variance: np.ndarray | None


def gp_regression(K_train, K_cross, y, *, noise, K_test_diag=None):
    """Gaussian-process regression with a given kernel.

    mean = K_cross (K_train + noise I)^{-1} y and, if ``K_test_diag`` is given,
    variance = K_test_diag - diag(K_cross (K_train + noise I)^{-1} K_cross^T).
    With an empirical kernel of a finite network this is the posterior mean
    of a Bayesian (ridge-trained) readout; with :func:`nngp_kernel` it is the
    infinitely wide network.

    Parameters
    ----------
    K_train : array_like (n, n), symmetric positive semi-definite
    K_cross : array_like (m, n)
        Kernel between test and training inputs.
    y : array_like (n,)
    noise : float, >= 0
        Observation-noise variance added to the diagonal.
    K_test_diag : array_like (m,) or None

    Returns
    -------
    GPPrediction
    """
    K_train = check_real_array("K_train", K_train, ndim=2)
    K_cross = check_real_array("K_cross", K_cross, ndim=2)
    y = check_real_array("y", y, ndim=1)
    noise = check_real("noise", noise, low=0.0)
    n = K_train.shape[0]
    if K_train.shape != (n, n) or not np.allclose(K_train, K_train.T, rtol=1e-10, atol=1e-12):
        raise ValueError(f"K_train must be a symmetric square matrix, got shape {K_train.shape}")
    if K_cross.shape[1] != n or y.shape[0] != n:
        raise ValueError(f"K_cross must have shape (m, {n}) and y shape ({n},), got {K_cross.shape} and {y.shape}")
    try:
        factor = cho_factor(K_train + noise * np.eye(n), lower=True)
    except np.linalg.LinAlgError:
        raise ValueError("K_train + noise * I is not positive definite; increase noise") from None
    mean = K_cross @ cho_solve(factor, y)
    variance = None
    if K_test_diag is not None:
        K_test_diag = check_real_array("K_test_diag", K_test_diag, ndim=1)
        if K_test_diag.shape[0] != K_cross.shape[0]:
            raise ValueError(f"K_test_diag must have length {K_cross.shape[0]}, got {K_test_diag.shape[0]}")
        variance = np.maximum(K_test_diag - np.sum(K_cross * cho_solve(factor, K_cross.T).T, axis=1), 0.0)
    return GPPrediction(mean, variance)


# --------------------------------------------------------------------------
# finite width: the output distribution of one hidden layer
# --------------------------------------------------------------------------
def _output_moments(activation, q):
    """E[phi^2] (the output variance) and 3 Var(phi^2) / E[phi^2]^2 (n times the excess kurtosis), u ~ N(0, q)."""
    root = math.sqrt(q)
    e2 = float(_expect_1d(lambda z: _phi(activation, root * z) ** 2))
    e4 = float(_expect_1d(lambda z: _phi(activation, root * z) ** 4))
    return e2, 3 * (e4 - e2**2) / e2**2


def _check_hidden(activation, sigma_w, sigma_b, q_in):
    sigma_w, sigma_b = _check_map_args(activation, sigma_w, sigma_b)
    q_in = check_real("q_in", q_in, low=0.0, high=1e4, low_open=True)
    return sigma_w**2 * q_in + sigma_b**2


def excess_kurtosis(width, *, activation="tanh", sigma_w=1.0, sigma_b=0.0, q_in=1.0):
    """Excess kurtosis of a one-hidden-layer network's output over random initializations.

    For f = sum_j v_j phi(u_j) with independent Gaussian readout weights v_j ~
    N(0, 1/n) and hidden pre-activations u_j ~ N(0, q), q = sigma_w^2 q_in +
    sigma_b^2, f is Gaussian given the hidden layer with variance
    S = (1/n) sum phi(u_j)^2, so its excess kurtosis is exactly
    3 Var(S) / E[S]^2 = 3 Var(phi^2) / (n E[phi^2]^2).

    Parameters
    ----------
    width : int or array_like of int, >= 1
        Hidden width n.
    q_in : float, > 0
        Squared input length per feature, abs(x)^2 / d_in.

    Returns
    -------
    float or ndarray
    """
    q = _check_hidden(activation, sigma_w, sigma_b, q_in)
    scalar = np.ndim(width) == 0
    n = check_real_array("width", np.atleast_1d(width), low=1.0)
    out = _output_moments(activation, q)[1] / n
    return _as_output(out[0] if scalar else out, scalar)


def output_samples(width, networks, *, activation="tanh", sigma_w=1.0, sigma_b=0.0, q_in=1.0, seed=None):
    """Outputs of ``networks`` independent one-hidden-layer networks of width n at one input.

    Each network draws its hidden pre-activations u_j ~ N(0, sigma_w^2 q_in +
    sigma_b^2) (the exact law of W x + b at an input of squared length q_in
    per feature) and Gaussian readout weights v_j ~ N(0, 1/n); given the
    hidden layer the output is exactly N(0, S) with S = (1/n) sum phi(u_j)^2,
    which is how it is drawn (one normal per network instead of n).

    Parameters
    ----------
    width : int in [1, 100000]
    networks : int in [1, 10^8]
    activation, sigma_w, sigma_b, q_in : as for :func:`excess_kurtosis`
    seed : int or None

    Returns
    -------
    ndarray (networks,)
    """
    q = _check_hidden(activation, sigma_w, sigma_b, q_in)
    width = check_int("width", width, low=1, high=100_000)
    networks = check_int("networks", networks, low=1, high=100_000_000)
    check_work("output_samples", width * networks, 2e9)
    gen = np.random.default_rng(resolve_seed(seed))
    out = np.empty(networks)
    chunk = max(1, 2_000_000 // width)
    root = math.sqrt(q)
    for start in range(0, networks, chunk):
        m = min(chunk, networks - start)
        s = np.mean(_phi(activation, root * gen.standard_normal((m, width))) ** 2, axis=1)
        out[start:start + m] = np.sqrt(s) * gen.standard_normal(m)
    return out


def edgeworth_density(f, width, *, activation="tanh", sigma_w=1.0, sigma_b=0.0, q_in=1.0):
    """The output density to order 1/n: a Gaussian times 1 + (kappa / 24) He_4(f / s).

    s^2 = E[phi^2] is the infinite-width variance and kappa =
    :func:`excess_kurtosis`; He_4(x) = x^4 - 6 x^2 + 3 is the fourth
    (probabilists') Hermite polynomial. The odd corrections vanish because the
    readout is symmetric.

    Parameters
    ----------
    f : array_like
    width : int, >= 1

    Returns
    -------
    ndarray
    """
    q = _check_hidden(activation, sigma_w, sigma_b, q_in)
    width = check_int("width", width, low=1)
    f = check_real_array("f", f)
    e2, scaled_kurtosis = _output_moments(activation, q)
    kappa = scaled_kurtosis / width
    x = f / math.sqrt(e2)
    gauss = np.exp(-x**2 / 2) / math.sqrt(2 * math.pi * e2)
    return gauss * (1 + kappa / 24 * (x**4 - 6 * x**2 + 3))


# --------------------------------------------------------------------------
# controlled ResNets and the signature kernel
# --------------------------------------------------------------------------
@njit(cache=True)
def _goursat(inner, refinement):
    """Solve K_st = <x'(s), y'(t)> K with K = 1 on both axes, for piecewise-constant <x', y'>.

    Each segment pair (i, j) is split into refinement^2 cells with increment
    a = inner[i, j] / refinement^2 per cell. On a cell with constant a, the
    Riemann function I0(2 sqrt(a (s - sigma)(t - tau))) solves the equation
    exactly given the data on two sides; with those data interpolated linearly
    it gives K11 = K00 I0(2 sqrt(a)) + (K10 + K01 - 2 K00) I1(2 sqrt(a)) / sqrt(a),
    used here to second order in a:
    K11 = (K10 + K01)(1 + a/2 + a^2/12) - K00 (1 - a^2/12).
    """
    m, n = inner.shape
    rows, cols = m * refinement + 1, n * refinement + 1
    prev = np.ones(cols)
    cur = np.ones(cols)
    r2 = refinement * refinement
    for s in range(1, rows):
        i = (s - 1) // refinement
        cur[0] = 1.0
        for t in range(1, cols):
            a = inner[i, (t - 1) // refinement] / r2
            cur[t] = (cur[t - 1] + prev[t]) * (1.0 + a / 2.0 + a * a / 12.0) - prev[t - 1] * (1.0 - a * a / 12.0)
        for t in range(cols):
            prev[t] = cur[t]
    return prev[cols - 1]


def _check_path(name, path):
    path = check_real_array(name, path, ndim=2)
    if path.shape[0] < 2:
        raise ValueError(f"{name} must have at least 2 points (rows), got {path.shape[0]}")
    return path


def signature_kernel(x, y, *, refinement=64):
    """The signature kernel of two piecewise-linear paths, by solving its Goursat PDE.

    K(s, t) solves d^2 K / ds dt = <x'(s), y'(t)> K with K(0, t) = K(s, 0) = 1,
    and the kernel is K at the two ends. For two straight segments it is
    sum_k <dx, dy>^k / (k!)^2 = I0(2 sqrt(<dx, dy>)).

    Parameters
    ----------
    x, y : array_like (points, d)
        Paths as their vertices (rows), with the same dimension d.
    refinement : int in [1, 256]
        Cells per segment along each axis. The grid solution's error falls as
        refinement^-2; the solutions at ``refinement`` and twice it are
        combined by Richardson extrapolation, whose error falls as
        refinement^-3 (below 1e-6 for straight segments with abs(<dx, dy>) <= 2
        at the default).

    Returns
    -------
    float
    """
    x = _check_path("x", x)
    y = _check_path("y", y)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension, got {x.shape[1]} and {y.shape[1]}")
    refinement = check_int("refinement", refinement, low=1, high=256)
    check_work("signature_kernel", 5 * (x.shape[0] - 1) * (y.shape[0] - 1) * refinement**2, 1e9)
    inner = np.ascontiguousarray(np.diff(x, axis=0) @ np.diff(y, axis=0).T)
    coarse, fine = _goursat(inner, refinement), _goursat(inner, 2 * refinement)
    return float((4 * fine - coarse) / 3)


def controlled_resnet(paths, width, *, substeps=16, sigma_a=1.0, seed=None):
    """Final hidden states of a random linear controlled ResNet driven by each path.

    Z_0 ~ N(0, I) and matrices A_1..A_d with N(0, sigma_a^2 / width) entries
    are drawn once and shared by every layer and every path (the homogeneous
    case). Each path segment dx is cut into ``substeps`` layers
    Z <- Z + sum_i A_i Z dx_i / substeps: an Euler discretization of the
    neural controlled differential equation dZ = A(dx) Z. As width and
    substeps grow, <Z^x, Z^y> / width tends to the signature kernel of
    sigma_a x and sigma_a y.

    Parameters
    ----------
    paths : array_like (P, points, d)
        P paths with the same number of vertices.
    width : int in [1, 5000]
    substeps : int in [1, 1000]
    sigma_a : float, > 0
    seed : int or None

    Returns
    -------
    ndarray (P, width)
    """
    paths = check_real_array("paths", paths, ndim=3)
    P, points, d = paths.shape
    if points < 2:
        raise ValueError(f"paths must have at least 2 points, got {points}")
    width = check_int("width", width, low=1, high=5000)
    substeps = check_int("substeps", substeps, low=1, high=1000)
    sigma_a = check_real("sigma_a", sigma_a, low=0.0, high=100.0, low_open=True)
    check_work("controlled_resnet", (points - 1) * substeps * d * width * width * P, MAX_WORK)
    gen = np.random.default_rng(resolve_seed(seed))
    A = gen.standard_normal((d, width, width)) * (sigma_a / math.sqrt(width))
    Z = np.tile(gen.standard_normal(width), (P, 1))
    steps = np.diff(paths, axis=1) / substeps  # (P, points - 1, d)
    for k in range(points - 1):
        for _ in range(substeps):
            Z = Z + sum((Z * steps[:, k, i:i + 1]) @ A[i].T for i in range(d))
    return Z


def sampled_kernels(x, depth, width, networks, *, seed=None, **options):
    """Empirical kernels of every layer for ``networks`` independent random networks.

    Parameters
    ----------
    x : array_like (batch, d_in)
    depth, width : int
    networks : int in [1, 100000]
    seed : int or None
        Each network gets its own stream spawned from this seed.
    **options
        Passed to :func:`forward` (activation, sigma_w, sigma_b, weights,
        residual, density, rank).

    Returns
    -------
    ndarray (networks, depth, batch, batch)
        K^l = h^l h^l^T / width of each network.
    """
    networks = check_int("networks", networks, low=1, high=100_000)
    width = check_int("width", width, low=1, high=20_000)
    depth = check_int("depth", depth, low=1, high=10_000)
    check_work("sampled_kernels", networks * depth * width * width, MAX_WORK)
    seed = resolve_seed(seed)
    children = np.random.SeedSequence(seed).generate_state(networks, dtype=np.uint64) >> np.uint64(1)
    return np.stack([forward(x, depth, width, seed=int(s), **options).kernels() for s in children])
