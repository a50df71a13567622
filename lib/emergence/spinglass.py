"""Spin glasses: the Sherrington-Kirkpatrick and Edwards-Anderson models, the
random energy model, parallel tempering, exact enumeration and Lee-Yang zeros.

Spin-glass conventions
----------------------
* Spins s_i = +-1 (``int8``); couplings are a symmetric matrix J with a zero
  diagonal, and the energy is H = -sum_{i<j} J_ij s_i s_j = -(1/2) s.J.s,
  with k_B = 1. Energies are reported **per spin** (divided by N) unless a
  name says otherwise.
* Sherrington-Kirkpatrick (SK): all pairs coupled, J_ij ~ N(J0/N, 1/N), so
  that T_c = 1 for J0 = 0.
* Edwards-Anderson (EA): an L x L periodic square lattice with +-1 or
  Gaussian bonds, stored as a ``scipy.sparse`` CSR matrix (N = L^2, four
  neighbours a site). Every function taking ``J`` accepts a dense array or
  such a sparse matrix; sparse couplings use a kernel that visits only the
  neighbours.
* The overlap of two configurations is q = (1/N) sum_i s_i^a s_i^b.
* Configurations are numbered by their bits: in state k, spin i is +1 when
  bit i of k is set and -1 otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy.special import logsumexp

from ._validation import check_choice, check_int, check_real, check_real_array, check_work
from ._xoshiro import uniform
from .random import kernel_state, resolve_seed, rng, seeded

#: Freezing temperature of the random energy model, 1 / (2 sqrt(ln 2)).
REM_T_C = 1.0 / (2.0 * math.sqrt(math.log(2.0)))
#: Ground-state energy per spin of the SK model as N -> infinity (Parisi's solution).
SK_GROUND_STATE = -0.7633
MAX_N = 100_000
#: 2^22 states (32 MB of energies) is the largest system enumerated.
MAX_ENUMERATED = 22
#: Two-point correlations by enumeration cost 2^N N^2.
MAX_CORRELATED = 16
#: Work units of parallel tempering: a single-spin update costs about 30 ns
#: (mostly its exponential), and a dense field update about N / 100 more.
#: This is about ten seconds of work.
MAX_UPDATE_UNITS = 3e8
MAX_TEMPERATURES = 128


# --------------------------------------------------------------------------
# couplings
# --------------------------------------------------------------------------
def sk_couplings(N, *, J0=0.0, seed=None):
    """Couplings of the Sherrington-Kirkpatrick model.

    Parameters
    ----------
    N : int in [2, 20000]
        Number of spins.
    J0 : float, optional
        Ferromagnetic bias: the off-diagonal entries are N(J0/N, 1/N).
        J0 = 0 is the pure spin glass.
    seed : int or None

    Returns
    -------
    ndarray, shape (N, N)
        Symmetric float64 matrix with a zero diagonal, recording ``seed``.
    """
    N = check_int("N", N, low=2, high=20_000)
    J0 = check_real("J0", J0, low=-1e3, high=1e3)
    seed = resolve_seed(seed)
    upper = np.triu(rng(seed).normal(J0 / N, 1.0 / math.sqrt(N), size=(N, N)), k=1)
    return seeded(upper + upper.T, seed)


def ea_couplings(L, *, kind="pm", seed=None):
    """Couplings of the 2-D Edwards-Anderson model on an L x L periodic lattice.

    Parameters
    ----------
    L : int in [3, 1024]
        Side; site (r, c) is spin number r * L + c.
    kind : {"pm", "gaussian", "ferro"}
        Bonds +-1 with equal probability, standard normal, or all +1 (the
        ferromagnetic Ising model, as a reference).
    seed : int or None

    Returns
    -------
    scipy.sparse.csr_matrix, shape (L^2, L^2)
        Symmetric, zero diagonal; ``.seed`` records the seed.
    """
    L = check_int("L", L, low=3, high=1024)
    kind = check_choice("kind", kind, ("pm", "gaussian", "ferro"))
    seed = resolve_seed(seed)
    n = L * L
    site = np.arange(n)
    right = (site // L) * L + (site % L + 1) % L
    down = (site + L) % n
    rows = np.concatenate([site, site])
    cols = np.concatenate([right, down])
    generator = rng(seed)
    if kind == "pm":
        bonds = generator.choice([-1.0, 1.0], size=2 * n)
    elif kind == "gaussian":
        bonds = generator.normal(size=2 * n)
    else:
        bonds = np.ones(2 * n)
    upper = sp.coo_matrix((bonds, (rows, cols)), shape=(n, n))
    J = (upper + upper.T).tocsr()
    J.sort_indices()
    J.seed = seed
    return J


def plaquette_frustration(J):
    """Sign of the product of the four bonds around each plaquette of an L x L lattice.

    A plaquette whose product is negative is *frustrated*: no configuration
    satisfies all four of its bonds, so at least one is broken in every state.

    Parameters
    ----------
    J : couplings of :func:`ea_couplings` (sparse or dense), N = L^2

    Returns
    -------
    ndarray of int8, shape (L, L)
        Entry (r, c) is for the plaquette with top-left corner (r, c): +1
        unfrustrated, -1 frustrated.
    """
    dense, *_, N = _check_couplings(J)
    L = math.isqrt(N)
    if L * L != N or L < 3:
        raise ValueError(f"J must couple an L x L lattice (N a square >= 9), got N = {N}")
    matrix = sp.csr_matrix(J) if dense is None else sp.csr_matrix(dense)
    r, c = np.divmod(np.arange(N), L)
    right = r * L + (c + 1) % L
    down = ((r + 1) % L) * L + c
    diagonal = ((r + 1) % L) * L + (c + 1) % L

    def bond(a, b):
        return np.asarray(matrix[a, b]).ravel()

    product = bond(np.arange(N), right) * bond(right, diagonal) * bond(down, diagonal) * bond(np.arange(N), down)
    if np.any(product == 0):
        raise ValueError("J is missing a bond of the square lattice")
    return np.where(product < 0, -1, 1).astype(np.int8).reshape(L, L)


def _check_couplings(J, *, max_n=MAX_N):
    """Return (dense, indptr, indices, data, N) for a validated coupling matrix."""
    if sp.issparse(J):
        J = sp.csr_matrix(J, dtype=np.float64)
        N = J.shape[0]
        if J.shape[0] != J.shape[1]:
            raise ValueError(f"J must be square, got shape {J.shape}")
        if not np.all(np.isfinite(J.data)):
            raise ValueError("J must contain only finite values")
        if np.any(J.diagonal() != 0):
            raise ValueError("J must have a zero diagonal (no self-coupling)")
        if abs(J - J.T).max() > 1e-12 * max(1.0, abs(J).max()):
            raise ValueError("J must be symmetric")
        J.sort_indices()
        dense = None
        indptr, indices, data = J.indptr.astype(np.int64), J.indices.astype(np.int64), J.data
    else:
        dense = check_real_array("J", J, ndim=2)
        N = dense.shape[0]
        if dense.shape[0] != dense.shape[1]:
            raise ValueError(f"J must be square, got shape {dense.shape}")
        if np.any(np.diag(dense) != 0):
            raise ValueError("J must have a zero diagonal (no self-coupling)")
        if not np.allclose(dense, dense.T, rtol=0, atol=1e-12 * max(1.0, np.abs(dense).max())):
            raise ValueError("J must be symmetric")
        dense = np.ascontiguousarray(dense)
        indptr = indices = np.zeros(1, np.int64)
        data = np.zeros(1)
    if N < 2 or N > max_n:
        raise ValueError(f"J must describe between 2 and {max_n} spins, got {N}")
    return dense, indptr, indices, data, N


def _as_spins(name, spins, N):
    arr = np.asarray(spins)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be an array of +1/-1 spins, got dtype {arr.dtype}")
    if arr.ndim < 1 or arr.shape[-1] != N:
        raise ValueError(f"{name} must have last axis of length N = {N}, got shape {arr.shape}")
    if not np.all((arr == 1) | (arr == -1)):
        raise ValueError(f"{name} must contain only +1 and -1")
    return arr.astype(np.float64)


def configurational_field(J, spins):
    """Local fields h_i = sum_j J_ij s_j felt by each spin of a configuration.

    The paper *Single replica spin-glass phase detection using field variation
    and machine learning* calls them the spontaneous configurational field;
    their mean and spread over the spins of one configuration tell the
    ferromagnetic, paramagnetic and spin-glass phases apart.

    Parameters
    ----------
    J : ndarray or scipy.sparse matrix, shape (N, N)
    spins : array_like of +-1, shape (..., N)

    Returns
    -------
    ndarray, shape of ``spins``
    """
    dense, *_, N = _check_couplings(J)
    s = _as_spins("spins", spins, N)
    matrix = J if dense is None else dense
    return np.asarray((matrix @ s.reshape(-1, N).T).T).reshape(s.shape)


def energy(J, spins):
    """Energy per spin, H / N = -(1/2N) s.J.s, of one or several configurations (shape (..., N))."""
    dense, *_, N = _check_couplings(J)
    s = _as_spins("spins", spins, N)
    return -0.5 * np.sum(s * configurational_field(J, s), axis=-1) / N


# --------------------------------------------------------------------------
# parallel tempering
# --------------------------------------------------------------------------
@njit(cache=True)
def _sweep_dense(spins, field, beta, J, state):
    """One Metropolis sweep in site order, keeping every local field current; returns the energy change."""
    N = spins.shape[0]
    change = 0.0
    for i in range(N):
        cost = 2.0 * spins[i] * field[i]
        if cost <= 0.0 or uniform(state) < math.exp(-beta * cost):
            spins[i] = -spins[i]
            change += cost
            twice = 2.0 * spins[i]
            for j in range(N):
                field[j] += twice * J[i, j]
    return change


@njit(cache=True)
def _sweep_sparse(spins, beta, indptr, indices, data, state):
    """One Metropolis sweep in site order, each field summed over the site's few neighbours."""
    change = 0.0
    for i in range(spins.shape[0]):
        h = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            h += data[k] * spins[indices[k]]
        cost = 2.0 * spins[i] * h
        if cost <= 0.0 or uniform(state) < math.exp(-beta * cost):
            spins[i] = -spins[i]
            change += cost
    return change


@njit(cache=True)
def _tempering(spins, field, energies, betas, dense, indptr, indices, data, sweeps, state,
               energy_out, overlap_out, magnetization_out, swaps):
    """Metropolis sweeps on every (replica, slot) and exchanges between neighbouring temperatures.

    ``slot[r, k]`` is the configuration of replica r at temperature k, so an
    exchange swaps two indices instead of two configurations.
    """
    n_rep, n_T, N = spins.shape
    slot = np.empty((n_rep, n_T), np.int64)
    for r in range(n_rep):
        for k in range(n_T):
            slot[r, k] = k
    for t in range(sweeps):
        for r in range(n_rep):
            for k in range(n_T):
                c = slot[r, k]
                if dense.shape[0] > 1:
                    energies[r, c] += _sweep_dense(spins[r, c], field[r, c], betas[k], dense, state)
                else:
                    energies[r, c] += _sweep_sparse(spins[r, c], betas[k], indptr, indices, data, state)
        for r in range(n_rep):
            for k in range(n_T - 1):
                a = slot[r, k]
                b = slot[r, k + 1]
                x = (betas[k] - betas[k + 1]) * (energies[r, a] - energies[r, b])
                if x >= 0.0 or uniform(state) < math.exp(x):
                    slot[r, k] = b
                    slot[r, k + 1] = a
                    swaps[k] += 1
        for k in range(n_T):
            a = slot[0, k]
            b = slot[1, k]
            q = 0.0
            m = 0.0
            for i in range(N):
                q += spins[0, a, i] * spins[1, b, i]
                m += spins[0, a, i]
            energy_out[t, k] = energies[0, a] / N
            overlap_out[t, k] = q / N
            magnetization_out[t, k] = m / N
    return slot


@dataclass(frozen=True)
class TemperingResult:
    """Time series of :func:`parallel_tempering`, one column per temperature.

    ``energy`` and ``magnetization`` are per spin, for replica 1; ``overlap``
    is q between replicas 1 and 2; ``states[r, k]`` is replica r's final
    configuration at temperature k; ``swap_acceptance[k]`` is the fraction of
    accepted exchanges between temperatures k and k + 1 (both replicas).
    """

    temperatures: np.ndarray
    energy: np.ndarray
    overlap: np.ndarray
    magnetization: np.ndarray
    states: np.ndarray
    swap_acceptance: np.ndarray
    seed: int


def _check_temperatures(temperatures):
    T = check_real_array("temperatures", np.atleast_1d(temperatures), ndim=1, low=0.0, low_open=True)
    if T.size > MAX_TEMPERATURES:
        raise ValueError(f"temperatures must hold at most {MAX_TEMPERATURES} values, got {T.size}")
    return T


def parallel_tempering(J, temperatures, sweeps, *, seed=None, start=None):
    """Two replicas at each temperature, Metropolis sweeps and replica exchange.

    Each sweep visits every spin of every configuration once, in site order,
    with the Metropolis rule; then, for each replica set separately,
    neighbouring temperatures k, k + 1 (k = 0, 1, ...) exchange their
    configurations with probability min(1, exp[(beta_k - beta_{k+1})(E_k - E_{k+1})]).
    Both moves leave the product of Boltzmann distributions invariant. A dense
    J keeps every local field up to date (O(N) per accepted flip); a sparse J
    recomputes the field of the visited spin from its few neighbours.

    Parameters
    ----------
    J : ndarray or scipy.sparse matrix, shape (N, N)
        Symmetric couplings with a zero diagonal.
    temperatures : array_like
        Strictly increasing, positive; at most 128.
    sweeps : int >= 1
        Sweeps to run and record (discard a burn-in from the series yourself).
    seed : int or None
    start : {"random", "up"} or None
        Initial configurations: independent random (default) or all +1.

    Returns
    -------
    TemperingResult
    """
    dense, indptr, indices, data, N = _check_couplings(J)
    T = _check_temperatures(temperatures)
    if np.any(np.diff(T) <= 0):
        raise ValueError("temperatures must be strictly increasing (exchanges pair neighbours)")
    sweeps = check_int("sweeps", sweeps, low=1, high=10_000_000)
    start = check_choice("start", "random" if start is None else start, ("random", "up"))
    per_update = 1.0 + (N / 100 if dense is not None else 0.0)
    check_work("parallel_tempering (sweeps * 2 * n_T * N single-spin updates, dense ones weighted 1 + N/100)",
               float(sweeps) * 2 * T.size * N * per_update, MAX_UPDATE_UNITS)
    seed = resolve_seed(seed)
    if start == "up":
        spins = np.ones((2, T.size, N))
    else:
        spins = rng(seed).choice([-1.0, 1.0], size=(2, T.size, N))
    matrix = J if dense is None else dense
    field = np.asarray(matrix @ spins.reshape(-1, N).T).T.reshape(spins.shape).copy()
    energies = -0.5 * np.sum(spins * field, axis=-1)
    if dense is None:
        field = np.zeros((2, T.size, 1))
        dense = np.zeros((1, 1))
    energy_out = np.empty((sweeps, T.size))
    overlap_out = np.empty((sweeps, T.size))
    magnetization_out = np.empty((sweeps, T.size))
    swaps = np.zeros(max(T.size - 1, 1), np.int64)
    slot = _tempering(spins, field, energies, 1.0 / T, dense, indptr, indices, data, sweeps,
                      kernel_state(seed), energy_out, overlap_out, magnetization_out, swaps)
    states = np.stack([spins[r, slot[r]] for r in range(2)]).astype(np.int8)
    return TemperingResult(temperatures=T, energy=energy_out, overlap=overlap_out,
                           magnetization=magnetization_out, states=states,
                           swap_acceptance=swaps[: T.size - 1] / (2.0 * sweeps), seed=seed)


def paramagnetic_energy(T, N=None):
    """Mean energy per spin of the SK model above T_c = 1: -(1 - 1/N) / (2T).

    For T > 1 the annealed average (over couplings and spins together) is
    exact; the 1/N counts N(N-1)/2 pairs. ``N=None`` gives the N -> infinity
    limit -1 / (2T).
    """
    T = check_real_array("T", np.atleast_1d(T), low=0.0, low_open=True)
    factor = 1.0 if N is None else 1.0 - 1.0 / check_int("N", N, low=2)
    out = -factor / (2.0 * T)
    return out if np.ndim(out) and out.size > 1 else float(out[0])


# --------------------------------------------------------------------------
# exact enumeration
# --------------------------------------------------------------------------
@njit(cache=True)
def _gray_energies(dense, out):
    """Energy of every state, walking a Gray code so that each step flips one spin (O(N) a state)."""
    N = dense.shape[0]
    spins = -np.ones(N)
    field = np.zeros(N)
    for i in range(N):
        for j in range(N):
            field[i] += dense[i, j] * spins[j]
    e = 0.0
    for i in range(N):
        e -= 0.5 * spins[i] * field[i]
    out[0] = e
    code = 0
    for k in range(1, out.shape[0]):
        i = 0
        while not (k >> i) & 1:  # the Gray code flips the lowest set bit of k
            i += 1
        e += 2.0 * spins[i] * field[i]
        spins[i] = -spins[i]
        for j in range(N):
            field[j] += 2.0 * spins[i] * dense[j, i]
        code ^= 1 << i
        out[code] = e


def _check_enumerable(J, limit):
    dense, *_, N = _check_couplings(J, max_n=64)
    if N > limit:
        raise ValueError(f"exact enumeration needs N <= {limit} spins (2^N states), got N = {N}")
    return (J.toarray() if dense is None else dense), N


def state_energies(J):
    """Total energy H of every configuration, by exact enumeration.

    Parameters
    ----------
    J : ndarray or scipy.sparse matrix, shape (N, N), N <= 22

    Returns
    -------
    ndarray, shape (2^N,)
        ``out[k]`` is the energy (not per spin) of the state whose spin i is
        +1 exactly when bit i of k is set.
    """
    dense, N = _check_enumerable(J, MAX_ENUMERATED)
    out = np.empty(2**N)
    _gray_energies(np.ascontiguousarray(dense, dtype=np.float64), out)
    return out


def state_spins(N):
    """The +-1 configurations of :func:`state_energies`, shape (2^N, N), int8 (N <= 16)."""
    N = check_int("N", N, low=1, high=MAX_CORRELATED)
    bits = (np.arange(2**N)[:, None] >> np.arange(N)) & 1
    return (2 * bits - 1).astype(np.int8)


def free_energy(energies, T, N):
    """Free energy per spin, -(T/N) ln sum_k exp(-E_k / T), of a list of levels.

    Parameters
    ----------
    energies : array_like
        Total energies, e.g. from :func:`state_energies` or :func:`rem_levels`.
    T : float or array_like of float > 0
    N : int
        Spins, for the per-spin normalization.
    """
    E = check_real_array("energies", energies, ndim=1)
    T = check_real_array("T", np.atleast_1d(T), ndim=1, low=0.0, low_open=True)
    N = check_int("N", N, low=1)
    out = np.array([-t * logsumexp(-E / t) / N for t in T])
    return out if np.ndim(out) and out.size > 1 else float(out[0])


@dataclass(frozen=True)
class ExactAverages:
    """Boltzmann averages by enumeration, one entry per temperature.

    ``energy`` and ``abs_magnetization`` are per spin; ``overlap_squared`` is
    <q^2> between two independent replicas, (1/N^2) sum_ij <s_i s_j>^2.
    """

    temperatures: np.ndarray
    energy: np.ndarray
    abs_magnetization: np.ndarray
    overlap_squared: np.ndarray


def exact_averages(J, temperatures):
    """Energy, absolute magnetization and <q^2> at each temperature, summing over all 2^N states (N <= 16)."""
    dense, N = _check_enumerable(J, MAX_CORRELATED)
    T = _check_temperatures(temperatures)
    E = state_energies(dense)
    s = state_spins(N).astype(np.float64)
    abs_m = np.abs(s.sum(axis=1)) / N
    out = {"energy": [], "abs_magnetization": [], "overlap_squared": []}
    for t in T:
        w = np.exp(-(E - E.min()) / t)
        w /= w.sum()
        correlation = s.T @ (s * w[:, None])
        out["energy"].append(w @ E / N)
        out["abs_magnetization"].append(w @ abs_m)
        out["overlap_squared"].append(np.sum(correlation**2) / N**2)
    return ExactAverages(temperatures=T, **{k: np.array(v) for k, v in out.items()})


# --------------------------------------------------------------------------
# the random energy model
# --------------------------------------------------------------------------
def rem_levels(N, *, seed=None):
    """The 2^N energy levels of one random energy model: independent N(0, N/2) (N <= 24).

    Returns
    -------
    ndarray, shape (2^N,)
        Total energies, recording ``seed``.
    """
    N = check_int("N", N, low=1, high=24)
    seed = resolve_seed(seed)
    return seeded(rng(seed).normal(0.0, math.sqrt(N / 2.0), size=2**N), seed)


def rem_free_energy(T):
    """Free energy per spin of the random energy model as N -> infinity.

    f = -T ln 2 - 1/(4T) above ``REM_T_C`` = 1/(2 sqrt(ln 2)); below it the
    model freezes into its lowest levels and f = -sqrt(ln 2).
    """
    T = check_real_array("T", np.atleast_1d(T), low=0.0, low_open=True)
    out = np.where(T > REM_T_C, -T * math.log(2.0) - 1.0 / (4.0 * T), -math.sqrt(math.log(2.0)))
    return out if out.size > 1 else float(out[0])


# --------------------------------------------------------------------------
# Lee-Yang zeros
# --------------------------------------------------------------------------
def field_polynomial(J, T):
    """Coefficients c_k of Z(z) / (scale) = sum_k c_k z^k, with z = exp(-2h/T), k = number of down spins.

    In a field h, H -> H - h sum_i s_i, and exp(h M / T) = exp(h N / T) z^k
    for a state with k spins down. The coefficients are rescaled so that the
    largest is 1 (the zeros do not change).
    """
    dense, N = _check_enumerable(J, MAX_ENUMERATED)
    T = check_real("T", T, low=0.0, low_open=True)
    down = _down_counts(N)
    order = np.argsort(down, kind="stable")
    starts = np.searchsorted(down[order], np.arange(N + 1))
    w = -state_energies(dense)[order] / T
    # log of each group's sum of Boltzmann weights, shifted by the group's largest term
    top = np.maximum.reduceat(w, starts)
    log_coeff = top + np.log(np.add.reduceat(np.exp(w - np.repeat(top, np.diff(np.append(starts, w.size)))), starts))
    return np.exp(log_coeff - log_coeff.max())


def _down_counts(N):
    counts = np.zeros(2**N, np.int64)
    for i in range(N):
        counts += (np.arange(2**N) >> i) & 1
    return N - counts


def lee_yang_zeros(J, T):
    """Complex zeros of the partition function in z = exp(-2h/T), by exact enumeration.

    For ferromagnetic couplings (J_ij >= 0) the Lee-Yang circle theorem puts
    every zero on the unit circle; frustrated couplings move them off it.

    Parameters
    ----------
    J : ndarray or scipy.sparse matrix, shape (N, N), N <= 22
    T : float > 0

    Returns
    -------
    ndarray of complex, shape (N,)
        Sorted by argument.
    """
    coeff = field_polynomial(J, T)
    zeros = np.polynomial.polynomial.polyroots(coeff)
    return zeros[np.argsort(np.angle(zeros))]
