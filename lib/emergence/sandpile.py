"""The Bak-Tang-Wiesenfeld Abelian sandpile on an L x L square lattice with open boundaries.

Sandpile conventions
--------------------
* Heights h_i are stored as integers 0..3 in an (L, L) array (``int8``); a
  site is unstable when h_i >= 4 (threshold 4, the number of neighbours).
* An unstable site *topples*: it loses 4 grains and each of its 4 neighbours
  gains one. A neighbour outside the lattice is the *sink*: that grain is lost
  through the open boundary, which is what lets every avalanche end.
* Driving: each grain is added at a uniformly random site, and the pile is
  relaxed completely (an *avalanche*) before the next grain.
* The toppling Laplacian Delta has Delta_ii = 4 and Delta_ij = -1 for
  neighbours. Dhar's results: the expected number of topplings at j caused by
  a grain added at i is (Delta^-1)_ij, and the number of recurrent (stationary)
  configurations is det Delta.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.sparse import diags, identity, kron
from scipy.sparse.linalg import spsolve

from ._validation import check_int, check_work
from ._xoshiro import below
from .random import kernel_state, resolve_seed

THRESHOLD = 4
MAX_L = 2048
MAX_GRAINS = 50_000_000
#: About 5-10 ns a toppling: some ten seconds of work.
MAX_TOPPLINGS = 2e9

#: Exact bulk height probabilities P(h = 0, 1, 2, 3) of the stationary pile on
#: the infinite square lattice; their mean is 17/8.
BULK_HEIGHT_PROBABILITIES = np.array([
    2 / np.pi**2 - 4 / np.pi**3,
    1 / 4 - 1 / (2 * np.pi) - 3 / np.pi**2 + 12 / np.pi**3,
    3 / 8 + 1 / np.pi - 12 / np.pi**3,
    3 / 8 - 1 / (2 * np.pi) + 1 / np.pi**2 + 4 / np.pi**3,
])


# --------------------------------------------------------------------------
# kernels (heights flattened, site k = L * row + column)
# --------------------------------------------------------------------------
@njit(cache=True)
def _relax(h, L, stack, n_stack, topplings, last_toppled, activity, avalanche):
    """Topple until stable, starting from the unstable sites on the stack.

    A site is pushed when it reaches the threshold, and again after a toppling
    that leaves it unstable, so it is never on the stack twice. Returns
    (topplings, distinct sites toppled, grains lost) of this avalanche.
    """
    size = 0
    area = 0
    lost = 0
    while n_stack > 0:
        n_stack -= 1
        k = stack[n_stack]
        h[k] -= THRESHOLD
        size += 1
        topplings[k] += 1
        if last_toppled[k] != avalanche:
            last_toppled[k] = avalanche
            activity[k] += 1
            area += 1
        r = k // L
        c = k - r * L
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            rr = r + dr
            cc = c + dc
            if rr < 0 or rr >= L or cc < 0 or cc >= L:
                lost += 1
                continue
            j = rr * L + cc
            h[j] += 1
            if h[j] == THRESHOLD:
                stack[n_stack] = j
                n_stack += 1
        if h[k] >= THRESHOLD:
            stack[n_stack] = k
            n_stack += 1
    return size, area, lost


@njit(cache=True)
def _drive(h, L, grains, rng_state, sites, sizes, areas, lost, topplings, activity):
    n = L * L
    stack = np.empty(n, np.int64)
    last_toppled = np.full(n, -1, np.int64)
    for g in range(grains):
        k = below(rng_state, n)
        sites[g] = k
        h[k] += 1
        if h[k] >= THRESHOLD:
            stack[0] = k
            sizes[g], areas[g], lost[g] = _relax(h, L, stack, 1, topplings, last_toppled, activity, g)


@njit(cache=True)
def _stabilize(h, L, topplings):
    n = L * L
    stack = np.empty(n, np.int64)
    n_stack = 0
    for k in range(n):
        if h[k] >= THRESHOLD:
            stack[n_stack] = k
            n_stack += 1
    _relax(h, L, stack, n_stack, topplings, np.full(n, -1, np.int64), np.zeros(n, np.int64), 0)


@njit(cache=True)
def _burning_test(configs, L):
    """Dhar's test: add one grain per boundary edge; recurrent iff every site then topples exactly once."""
    n = L * L
    out = np.empty(configs.shape[0], np.bool_)
    stack = np.empty(n, np.int64)
    topplings = np.zeros(n, np.int64)
    last_toppled = np.full(n, -1, np.int64)
    activity = np.zeros(n, np.int64)
    h = np.empty(n, np.int64)
    for m in range(configs.shape[0]):
        n_stack = 0
        for k in range(n):
            r = k // L
            c = k - r * L
            edges = (r == 0) + (r == L - 1) + (c == 0) + (c == L - 1)
            h[k] = configs[m, k] + edges
            topplings[k] = 0
            if h[k] >= THRESHOLD:
                stack[n_stack] = k
                n_stack += 1
        _relax(h, L, stack, n_stack, topplings, last_toppled, activity, m)
        ok = True
        for k in range(n):
            if topplings[k] != 1:
                ok = False
                break
        out[m] = ok
    return out


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class SandpileResult:
    """Outcome of :func:`drive`.

    Attributes
    ----------
    heights : ndarray of int8, shape (L, L)
        Final (stable) heights, 0..3.
    sites : ndarray of int64, shape (grains,)
        Where each grain landed, as the flat index L * row + column.
    sizes : ndarray of int64, shape (grains,)
        Topplings caused by each grain (0 if it caused no avalanche).
    areas : ndarray of int64, shape (grains,)
        Distinct sites toppled by each grain.
    lost : ndarray of int64, shape (grains,)
        Grains that left through the boundary during each avalanche.
    activity : ndarray of int64, shape (L, L)
        For each site, the number of avalanches in which it toppled.
    topplings : ndarray of int64, shape (L, L)
        For each site, its total number of topplings.
    seed : int
    """

    heights: np.ndarray
    sites: np.ndarray
    sizes: np.ndarray
    areas: np.ndarray
    lost: np.ndarray
    activity: np.ndarray
    topplings: np.ndarray
    seed: int

    @property
    def L(self):
        return self.heights.shape[0]

    def footprint(self, grain, start):
        """Topplings per site (L, L) of the avalanche caused by grain number ``grain``.

        ``start`` must be the heights this run started from (None for an empty
        pile); the pile is replayed up to that grain.
        """
        grain = check_int("grain", grain, low=0, high=self.sizes.size - 1)
        before = drive(self.L, grain, heights=start, seed=self.seed).heights.astype(np.int64)
        before.flat[self.sites[grain]] += 1
        return relax(before).topplings


def drive(L, grains, *, heights=None, seed=None):
    """Add ``grains`` grains one at a time at random sites, relaxing after each.

    Parameters
    ----------
    L : int in [2, 2048]
        Linear size; the lattice has open boundaries on all four sides.
    grains : int >= 0
        Number of grains to add.
    heights : array_like of int, shape (L, L), optional
        Stable starting heights (0..3); an empty pile by default. Not modified.
    seed : int or None
        Seeds the sites where grains land.

    Returns
    -------
    SandpileResult
        Grains are conserved exactly:
        ``initial.sum() + grains == heights.sum() + lost.sum()``.
    """
    L = check_int("L", L, low=2, high=MAX_L)
    grains = check_int("grains", grains, low=0, high=MAX_GRAINS)
    if heights is not None and np.ndim(heights) != 2:
        raise ValueError(f"heights must be one ({L}, {L}) configuration, got shape {np.shape(heights)}")
    h = np.zeros(L * L, np.int64) if heights is None else check_heights(heights, L).ravel().astype(np.int64)
    # In the stationary state a grain causes (1/N) sum (Delta^-1)_ij < 0.055 L^2 topplings on average.
    check_work("drive (grains * 0.055 L^2 topplings)", grains * 0.055 * L * L, MAX_TOPPLINGS)
    seed = resolve_seed(seed)
    sites = np.zeros(grains, np.int64)
    sizes = np.zeros(grains, np.int64)
    areas = np.zeros(grains, np.int64)
    lost = np.zeros(grains, np.int64)
    topplings = np.zeros(L * L, np.int64)
    activity = np.zeros(L * L, np.int64)
    _drive(h, L, grains, kernel_state(seed), sites, sizes, areas, lost, topplings, activity)
    return SandpileResult(heights=h.reshape(L, L).astype(np.int8), sites=sites, sizes=sizes, areas=areas, lost=lost,
                          activity=activity.reshape(L, L), topplings=topplings.reshape(L, L), seed=seed)


@dataclass(frozen=True)
class Relaxation:
    """Outcome of :func:`relax`: the stable ``heights`` and each site's number of ``topplings``."""

    heights: np.ndarray
    topplings: np.ndarray


def relax(heights):
    """Topple until every site is stable, from any configuration of non-negative heights.

    By the Abelian property the result does not depend on the order of the
    topplings, so adding grains one by one or all at once ends in the same
    stable configuration with the same number of topplings at every site.

    Parameters
    ----------
    heights : array_like of int >= 0, shape (L, L)
        May contain unstable sites (h >= 4); at most 10^6 grains per site.

    Returns
    -------
    Relaxation
    """
    arr = np.asarray(heights)
    if isinstance(heights, (str, bytes)) or arr.dtype.kind not in "iu":
        raise TypeError(f"heights must be an array of non-negative integers, got {heights!r:.60}")
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] < 1:
        raise ValueError(f"heights must be a square 2-D array, got shape {arr.shape}")
    if arr.min() < 0 or arr.max() > 1_000_000:
        raise ValueError(f"heights must be in [0, 1000000], got values from {arr.min()} to {arr.max()}")
    L = check_int("L (side of heights)", arr.shape[0], low=1, high=MAX_L)
    check_work("relax (grains * L^2 / 4 topplings)", float(arr.sum()) * L * L / 4, MAX_TOPPLINGS)
    h = arr.ravel().astype(np.int64)
    topplings = np.zeros(L * L, np.int64)
    _stabilize(h, L, topplings)
    return Relaxation(heights=h.reshape(L, L).astype(np.int8), topplings=topplings.reshape(L, L))


def is_recurrent(heights):
    """Dhar's burning test: is this stable configuration recurrent (visited by the driven pile forever)?

    Adding one grain for every boundary edge of each site and relaxing makes
    every site topple exactly once, and returns the configuration unchanged,
    exactly when the configuration is recurrent.

    Parameters
    ----------
    heights : array_like of int, shape (L, L) or (K, L, L)
        One stable configuration (heights 0..3) or K of them.

    Returns
    -------
    bool or ndarray of bool, shape (K,)
    """
    checked = check_heights(heights, None)
    L = checked.shape[-1]
    out = _burning_test(checked.reshape(-1, L * L).astype(np.int64), L)
    return out if checked.ndim == 3 else bool(out[0])


def toppling_laplacian(L):
    """The toppling matrix Delta (N x N sparse, N = L^2): 4 on the diagonal, -1 between neighbours."""
    L = check_int("L", L, low=1, high=MAX_L)
    path = diags([-np.ones(L - 1), -np.ones(L - 1)], [-1, 1], shape=(L, L))
    eye = identity(L)
    return (4 * kron(eye, eye) + kron(path, eye) + kron(eye, path)).tocsc()


def toppling_profile(L):
    """Mean topplings of each site per grain added at a uniformly random site (stationary state).

    Dhar: a grain added at i causes on average (Delta^-1)_ij topplings at j,
    so site j topples (1/N) sum_i (Delta^-1)_ij times per grain. Equivalently,
    over N = L^2 grains site j topples sum_i (Delta^-1)_ij times, which is the
    mean number of steps a random walk from j takes to leave the table. The
    profile vanishes at the walls and peaks at the centre, where it tends to
    0.0737 (the torsion function of the unit square) as L grows.

    Returns
    -------
    ndarray, shape (L, L)
    """
    L = check_int("L", L, low=1, high=MAX_L)
    return spsolve(toppling_laplacian(L), np.ones(L * L)).reshape(L, L) / (L * L)


def mean_avalanche_size_exact(L):
    """Mean number of topplings per added grain in the stationary state: (1/N) sum_ij (Delta^-1)_ij.

    This is the sum over sites of :func:`toppling_profile`.
    """
    return float(toppling_profile(L).sum())


def recurrent_count_exact(L):
    """The number of recurrent configurations, det Delta (exact integer for L <= 5)."""
    L = check_int("L", L, low=1, high=5)
    sign, logdet = np.linalg.slogdet(toppling_laplacian(L).toarray())
    return int(round(sign * np.exp(logdet)))


def height_distribution(heights):
    """Fraction of sites with height 0, 1, 2, 3."""
    h = check_heights(heights, None)
    if h.ndim != 2:
        raise ValueError(f"heights must be one (L, L) configuration, got shape {h.shape}")
    return np.bincount(h.ravel(), minlength=4) / h.size


def check_heights(heights, L):
    """Stable configurations: integer heights 0..3 in an (L, L) array, or a stack (K, L, L) of them.

    ``L`` fixes the side if given. Returns an int8 array of the same shape.
    """
    if isinstance(heights, (str, bytes)) or heights is None:
        raise TypeError(f"heights must be an array of integers 0..3, got {heights!r}")
    arr = np.asarray(heights)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"heights must be an array of integers 0..3, got dtype {arr.dtype}")
    if arr.ndim not in (2, 3) or arr.shape[-1] != arr.shape[-2]:
        raise ValueError(f"heights must have shape (L, L) or (K, L, L), got shape {arr.shape}")
    if L is not None and arr.shape[-2:] != (L, L):
        raise ValueError(f"heights must have shape ({L}, {L}), got {arr.shape[-2:]}")
    if arr.size and (arr.min() < 0 or arr.max() > THRESHOLD - 1):
        raise ValueError(f"heights must be stable, in [0, {THRESHOLD - 1}], got values from {arr.min()} to {arr.max()}")
    return arr.astype(np.int8)
