"""Cellular automata: the coffee automaton, the Domany-Kinzel automaton and the parity rule.

Automaton conventions
---------------------
* Grids are ``uint8`` arrays; time is counted in *sweeps* for the stochastic
  automata (N = L^2 elementary moves each) and in synchronous steps for the
  deterministic ones.
* Compressed sizes, used as entropy and complexity estimates, are in bytes of
  ``zlib`` output at level 9 of the grid's bytes.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from numba import njit

from ._validation import check_bool, check_int, check_real, check_real_array, check_work
from ._xoshiro import below, uniform
from .random import kernel_state, resolve_seed

MAX_L = 4096
#: Levels of the row-majority adjustment in :func:`three_levels`.
FINE_LEVELS = 7
#: About 5 ns an elementary move: some ten seconds of work.
MAX_MOVES = 2e9


# --------------------------------------------------------------------------
# the coffee automaton
# --------------------------------------------------------------------------
@njit(cache=True)
def _coffee_interacting(grid, sweeps_between, rng_state, frames):
    """Each move picks a random site and a random neighbour and swaps their contents."""
    L = grid.shape[0]
    n = L * L
    for f in range(sweeps_between.shape[0]):
        for _ in range(sweeps_between[f] * n):
            k = below(rng_state, n)
            r = k // L
            c = k - r * L
            d = below(rng_state, 4)
            rr = r + (d == 0) - (d == 1)
            cc = c + (d == 2) - (d == 3)
            if 0 <= rr < L and 0 <= cc < L:
                t = grid[r, c]
                grid[r, c] = grid[rr, cc]
                grid[rr, cc] = t
        frames[f] = grid


@njit(cache=True)
def _coffee_free(rows, cols, L, sweeps_between, rng_state, frames):
    """Each cream particle hops to a random neighbouring cell each sweep (a move off the cup is refused)."""
    m = rows.shape[0]
    for f in range(sweeps_between.shape[0]):
        for _ in range(sweeps_between[f]):
            for p in range(m):
                d = below(rng_state, 4)
                rr = rows[p] + (d == 0) - (d == 1)
                cc = cols[p] + (d == 2) - (d == 3)
                if 0 <= rr < L and 0 <= cc < L:
                    rows[p] = rr
                    cols[p] = cc
        for p in range(m):
            frames[f, rows[p], cols[p]] += 1


@dataclass(frozen=True)
class CoffeeResult:
    """Frames of :func:`coffee`: ``frames[k]`` is the cup after ``times[k]`` sweeps.

    For the interacting automaton a cell holds 1 (cream) or 0 (coffee); for the
    non-interacting one it holds the number of cream particles in the cell.
    """

    frames: np.ndarray
    times: np.ndarray
    interacting: bool
    seed: int


def coffee(L, steps, *, interacting=True, times=None, seed=None):
    """The coffee automaton: cream poured on coffee in an L x L cup, mixing by random moves.

    The cup starts with cream (1) in the top half and coffee (0) in the bottom
    half. In the interacting automaton each elementary move swaps two
    neighbouring cells, so a cell holds one particle of either kind; in the
    non-interacting one each cream particle performs its own random walk and
    cells may hold several. A sweep is N = L^2 moves (interacting) or one hop
    of every cream particle (non-interacting). The walls are closed.

    Parameters
    ----------
    L : int, even, in [4, 4096]
    steps : int >= 0
        Sweeps to run.
    interacting : bool
    times : array_like of int, optional
        Sweeps at which to record frames, increasing, within [0, steps];
        default: 40 times spread evenly on a logarithmic scale.
    seed : int or None

    Returns
    -------
    CoffeeResult
    """
    L = check_int("L", L, low=4, high=MAX_L)
    if L % 2:
        raise ValueError(f"L must be even (half cream, half coffee), got {L}")
    steps = check_int("steps", steps, low=0, high=100_000_000)
    interacting = check_bool("interacting", interacting)
    if times is None:
        times = np.unique(np.concatenate([[0], np.geomspace(1, max(steps, 1), 39).astype(np.int64)]))
        times = times[times <= steps]
    else:
        times = check_real_array("times", times, ndim=1, low=0, high=steps)
        if np.any(times != np.round(times)) or np.any(np.diff(times) <= 0):
            raise ValueError("times must be increasing whole numbers of sweeps")
        times = times.astype(np.int64)
    check_work("coffee (steps * L^2 moves)", float(steps) * L * L, MAX_MOVES)
    if times.size * L * L > 200_000_000:
        raise ValueError(f"{times.size} frames of {L} x {L} exceed 200 MB; record fewer times")
    seed = resolve_seed(seed)
    between = np.diff(np.concatenate([[0], times]))
    frames = np.zeros((times.size, L, L), np.uint8 if interacting else np.uint16)
    if interacting:
        grid = np.zeros((L, L), np.uint8)
        grid[: L // 2] = 1
        _coffee_interacting(grid, between, kernel_state(seed), frames)
    else:
        rows, cols = np.divmod(np.arange(L * L // 2, dtype=np.int64), L)  # one particle per top-half cell
        _coffee_free(rows, cols, L, between, kernel_state(seed), frames)
    return CoffeeResult(frames=frames, times=times, interacting=bool(interacting), seed=seed)


def coarse_grain(grid, block):
    """Mean of ``grid`` over non-overlapping block x block squares (the side must be a multiple of block)."""
    g = check_real_array("grid", grid, ndim=2)
    block = check_int("block", block, low=1, high=max(g.shape))
    if g.shape[0] % block or g.shape[1] % block:
        raise ValueError(f"block must divide the grid's sides {g.shape}, got {block}")
    a, b = g.shape[0] // block, g.shape[1] // block
    return g.reshape(a, block, b, block).mean(axis=(1, 3))


def compressed_size(image):
    """Bytes of the zlib (level 9) compression of an integer image: a computable stand-in for its information."""
    arr = np.ascontiguousarray(np.asarray(image))
    if arr.dtype.kind not in "iub":
        raise TypeError(f"image must hold integers, got dtype {arr.dtype}")
    return len(zlib.compress(arr.astype(np.uint8 if arr.max(initial=0) < 256 else np.uint16).tobytes(), 9))


def coarse_entropy(grid, block=1):
    """Entropy estimate: compressed size of the grid averaged over block x block squares.

    The averages are kept at full resolution (block^2 + 1 levels for a 0/1
    grid), so this measures how much detail survives coarse-graining at the
    scale ``block``; use a small block (1 for the fine-grained state). It grows
    as the cup mixes.
    """
    g = coarse_grain(grid, block)
    levels = np.rint(g * block * block).astype(np.int64)
    return compressed_size(levels)


def three_levels(grid, window, *, thresholds=(1 / 3, 2 / 3), adjust_rows=False):
    """The grid smoothed by a window x window moving average, reduced to three levels 0, 1, 2.

    The levels read "mostly coffee", "mixed" and "mostly cream" (for a 0/1
    grid); the moving average keeps the full resolution and repeats edge cells
    at the walls. For a non-interacting cup, the values are particle densities.

    With ``adjust_rows=True`` the smoothed values are first cut into seven
    equal levels on [0, 1]; in each row, cells within one of those levels of
    the row's most common level are set to it, and the seven levels are then
    read as three by where their centres fall among ``thresholds``. This is
    modelled on the row-majority adjustment described in the coffee-automaton
    paper, meant to erase the ragged borders that noise draws along a threshold.
    """
    from scipy.ndimage import uniform_filter

    g = check_real_array("grid", grid, ndim=2)
    window = check_int("window", window, low=1, high=max(g.shape))
    lo, hi = (check_real("thresholds", t, low=0.0) for t in thresholds)
    if lo >= hi:
        raise ValueError(f"thresholds must be increasing, got {thresholds}")
    adjust_rows = check_bool("adjust_rows", adjust_rows)
    smooth = uniform_filter(g, size=window, mode="nearest")
    if not adjust_rows:
        return np.digitize(smooth, [lo, hi])
    fine = np.clip(np.floor(smooth * FINE_LEVELS), 0, FINE_LEVELS - 1).astype(np.int64)  # the filter can round 0 to -1e-17
    majority = np.array([np.bincount(row).argmax() for row in fine])[:, None]
    fine = np.where(np.abs(fine - majority) <= 1, majority, fine)
    return np.digitize((fine + 0.5) / FINE_LEVELS, [lo, hi])


def apparent_complexity(grid, window, *, thresholds=(1 / 3, 2 / 3), adjust_rows=False):
    """Apparent complexity: compressed size of the grid coarse-grained by :func:`three_levels`.

    It is small for the unmixed cup (two flat regions) and for the mixed cup
    (uniformly "mixed"), and large in between, when tendrils of cream reach into
    the coffee, or when noise makes the borders between levels ragged.
    """
    return compressed_size(three_levels(grid, window, thresholds=thresholds, adjust_rows=adjust_rows))


def coffee_mean_density(L, times, *, interacting=True):
    """Expected cream per cell in each row of the cup: the noise-free history of :func:`coffee`.

    Averaged over the randomness, both automata spread cream by the same
    one-dimensional diffusion across rows (the columns stay equivalent), with
    reflecting walls: rate 1/2 per sweep across each bond for the interacting
    cup (a master equation, solved with a matrix exponential), and one lazy
    step per sweep, up or down with probability 1/4 each, for the
    non-interacting one.

    Parameters
    ----------
    L : int, even, in [4, 4096]
    times : array_like of int
        Sweeps, each >= 0.
    interacting : bool

    Returns
    -------
    ndarray, shape (len(times), L)
        Row 0 is the top of the cup, where the cream starts.
    """
    from scipy.linalg import expm

    L = check_int("L", L, low=4, high=MAX_L)
    if L % 2:
        raise ValueError(f"L must be even (half cream, half coffee), got {L}")
    times = check_real_array("times", times, ndim=1, low=0, high=100_000_000)
    if np.any(times != np.round(times)):
        raise ValueError("times must be whole numbers of sweeps")
    interacting = check_bool("interacting", interacting)
    hop = np.eye(L, k=1) + np.eye(L, k=-1)
    laplacian = hop - np.diag(hop.sum(axis=1))
    start = (np.arange(L) < L // 2).astype(float)
    if interacting:
        density = np.array([expm(0.5 * t * laplacian) @ start for t in times])
    else:
        step = np.eye(L) + 0.25 * laplacian
        density = np.array([np.linalg.matrix_power(step, int(t)) @ start for t in times])
    return np.clip(density, 0.0, 1.0)  # round-off of order 1e-16 must not leave [0, 1]


def expected_border_flicker(row_density, window, *, interacting=True, thresholds=(1 / 3, 2 / 3)):
    """Expected number of cells whose :func:`three_levels` level is changed by noise alone.

    The noise-free cup has density ``row_density[r]`` in every cell of row r.
    A real cup fluctuates around it; where the smoothed noise-free density lies
    near a threshold, the fluctuation can carry a cell to the other side of it.
    Cells are treated as independent, with variance rho (1 - rho) for the
    interacting cup (one particle or none; exclusion makes neighbours slightly
    anticorrelated, so this is a mild overestimate) and rho for the
    non-interacting one (Poisson counts), and the window average as Gaussian,
    which fails only while the cream front is sharper than the window.

    Parameters
    ----------
    row_density : array_like, shape (L,)
        Mean cream per cell in each row, e.g. a row of :func:`coffee_mean_density`.
    window : int
        Side of the moving average, as in :func:`three_levels`.
    interacting : bool
    thresholds : pair of float

    Returns
    -------
    float
        Expected count of cells (of L^2) whose level differs from the noise-free level.
    """
    from scipy.ndimage import uniform_filter1d
    from scipy.stats import norm

    rho = check_real_array("row_density", row_density, ndim=1, low=0.0)
    L = rho.size
    window = check_int("window", window, low=1, high=L)
    lo, hi = (check_real("thresholds", t, low=0.0) for t in thresholds)
    interacting = check_bool("interacting", interacting)
    if interacting and rho.max() > 1:
        raise ValueError("row_density of the interacting cup must lie in [0, 1]")
    # weights[r, i]: share of row i in the moving average at row r, walls repeated as in three_levels
    weights = uniform_filter1d(np.eye(L), window, axis=0, mode="nearest")
    mean = weights @ rho
    cell_variance = rho * (1 - rho) if interacting else rho
    sd = np.sqrt(np.outer(weights**2 @ cell_variance, (weights**2).sum(axis=1)))
    with np.errstate(divide="ignore", invalid="ignore"):
        flips = sum(np.where(sd > 0, norm.sf(np.abs(mean - t)[:, None] / sd), 0.0) for t in (lo, hi))
    return float(flips.sum())


# --------------------------------------------------------------------------
# the Domany-Kinzel automaton
# --------------------------------------------------------------------------
@njit(cache=True)
def _domany_kinzel(row, p1, p2, steps, rng_state, out):
    L = row.shape[0]
    out[0] = row
    for t in range(1, steps + 1):
        prev = out[t - 1]
        for i in range(L):
            k = prev[i] + prev[(i + 1) % L]
            if k == 0:
                out[t, i] = 0
            else:
                out[t, i] = uniform(rng_state) < (p1 if k == 1 else p2)


def domany_kinzel(p1, p2, L, steps, *, initial="full", seed=None):
    """The Domany-Kinzel probabilistic cellular automaton in 1+1 dimensions.

    Site i is active at time t + 1 with probability 0 if neither of its two
    parents (sites i and i + 1 at time t, periodic) is active, ``p1`` if one
    is, and ``p2`` if both are. The inactive state is absorbing: below a
    critical line activity dies out, above it survives; the transition is in
    the directed-percolation class. Special lines: p2 = p1 (2 - p1) is bond
    directed percolation (p_c = 0.6447), p2 = p1 site directed percolation
    (p_c = 0.7055), p2 = 0 is Wolfram's rule 18 at p1 = 1.

    Parameters
    ----------
    p1, p2 : float in [0, 1]
    L : int in [2, 10^6]
    steps : int >= 0
    initial : {"full", "single"} or array_like of 0/1, shape (L,)
        All sites active, one active site in the middle, or a given row.
    seed : int or None

    Returns
    -------
    ndarray of uint8, shape (steps + 1, L)
        The space-time diagram, row t the state at time t.
    """
    p1 = check_real("p1", p1, low=0.0, high=1.0)
    p2 = check_real("p2", p2, low=0.0, high=1.0)
    L = check_int("L", L, low=2, high=1_000_000)
    steps = check_int("steps", steps, low=0, high=10_000_000)
    if (steps + 1) * L > 200_000_000:
        raise ValueError(f"a space-time diagram of {steps + 1} x {L} exceeds 200 MB; reduce L or steps")
    if isinstance(initial, str):
        if initial not in ("full", "single"):
            raise ValueError(f"initial must be 'full', 'single' or an array of 0/1, got {initial!r}")
        row = np.ones(L, np.uint8) if initial == "full" else np.zeros(L, np.uint8)
        row[L // 2] = 1
    else:
        row = np.asarray(initial)
        if row.shape != (L,) or not np.all((row == 0) | (row == 1)):
            raise ValueError(f"initial must be 'full', 'single' or {L} values 0/1")
        row = row.astype(np.uint8)
    seed = resolve_seed(seed)
    out = np.empty((steps + 1, L), np.uint8)
    _domany_kinzel(row, p1, p2, steps, kernel_state(seed), out)
    return out


# --------------------------------------------------------------------------
# the parity rule
# --------------------------------------------------------------------------
def parity_rule(pattern, steps, *, size=None):
    """Fredkin's parity rule on a periodic grid: each cell becomes the XOR of its four neighbours.

    The rule is linear over GF(2), so after 2^k steps the state is the XOR of
    four copies of the initial pattern shifted by 2^k in each direction: any
    pattern smaller than 2^k replicates itself exactly, four times.

    Parameters
    ----------
    pattern : array_like of 0/1, 2-D
        Placed at the centre of the grid.
    steps : int >= 0
    size : int, optional
        Side of the (square, periodic) grid; default large enough that copies
        made within ``steps`` do not wrap around.

    Returns
    -------
    ndarray of uint8, shape (steps + 1, size, size)
        The grid at every step.
    """
    pat = np.asarray(pattern)
    if pat.ndim != 2 or not np.all((pat == 0) | (pat == 1)):
        raise ValueError(f"pattern must be a 2-D array of 0/1, got shape {pat.shape}")
    steps = check_int("steps", steps, low=0, high=4096)
    need = max(pat.shape) + 2 * steps + 2
    size = need if size is None else check_int("size", size, low=max(pat.shape), high=4096)
    if (steps + 1) * size * size > 200_000_000:
        raise ValueError(f"{steps + 1} grids of {size} x {size} exceed 200 MB; reduce steps or size")
    grid = np.zeros((size, size), np.uint8)
    r0, c0 = (size - pat.shape[0]) // 2, (size - pat.shape[1]) // 2
    grid[r0: r0 + pat.shape[0], c0: c0 + pat.shape[1]] = pat
    out = np.empty((steps + 1, size, size), np.uint8)
    out[0] = grid
    for t in range(1, steps + 1):
        g = out[t - 1]
        out[t] = np.roll(g, 1, 0) ^ np.roll(g, -1, 0) ^ np.roll(g, 1, 1) ^ np.roll(g, -1, 1)
    return out
