"""Associative memories: the Hopfield network, dense Hebbian networks and their relatives.

Model and conventions
---------------------
* Neurons are Ising spins s_i = +-1, i = 1..N, stored as ``int8`` vectors.
* Patterns are stored as a P x N array, one pattern a row. Random patterns
  have entries +-1, or 0 with probability ``dilution`` (a blank entry).
  Patterns built from examples (supervised learning) are real-valued.
* The overlap with pattern mu is m_mu = (1/N) sum_i xi_i^mu s_i.
* The network with interaction order p has energy

      H(s) = -N sum_mu m_mu^p / p ,

  in units with k_B = 1, so temperatures T are in the units of H. p = 2 is the
  Hopfield network (couplings J_ij = (1/N) sum_mu xi_i^mu xi_j^mu, the
  self-couplings only adding a constant); p > 2 is the dense (p-body) Hebbian
  network. Energies are reported **per neuron**, e = H / N = -sum_mu m_mu^p / p.
* Dynamics is asynchronous Glauber dynamics: a *sweep* visits the N neurons
  once each, in a fresh random order, and flips neuron i with probability
  1 / (1 + exp(dH_i / T)), where dH_i is the exact energy change of the flip.
  At T = 0 a neuron flips exactly when dH_i < 0 (ties keep their state), so a
  sweep without a flip is a fixed point. The overlaps m_mu are kept up to date
  after every flip, so a flip costs O(P) and no N^p coupling tensor is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy import optimize, special, stats

from ._validation import check_bool, check_int, check_real, check_real_array, check_work
from ._xoshiro import below, uniform
from .random import kernel_state, resolve_seed, rng, seeded

MAX_ORDER = 8
MAX_NEURONS = 1_000_000
#: Entries of a pattern array (int8): 200 MB.
MAX_PATTERN_ENTRIES = 200_000_000
#: About one to three nanoseconds each: some ten seconds of work.
MAX_UPDATE_COST = 4e9


# --------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------
# M holds the unnormalised overlaps N m_mu; flipping neuron i (state s) adds
# d_mu = -2 s xi_i^mu to each, and changes the energy by
#     dH_i = -(1 / (p N^(p-1))) sum_mu [(M_mu + d_mu)^p - M_mu^p].
@njit(cache=True, inline="always")
def _power(x, p):
    y = 1.0
    for _ in range(p):
        y *= x
    return y


@njit(cache=True)
def _power_difference(a, d, p):
    """(a + d)^p - a^p = sum_{j<p} C(p, j) a^j d^(p-j), by Horner's rule in a.

    Expanded, nothing cancels when |a| >> |d| (a is up to N, d is +-2).
    """
    binom = float(p)  # C(p, p-1)
    dk = d
    total = binom * dk
    for j in range(p - 2, -1, -1):
        binom = binom * (j + 1) / (p - j)
        dk *= d
        total = total * a + binom * dk
    return total


@njit(cache=True, inline="always")
def _dot(xi_t, i, v):
    acc = v[0] - v[0]  # the accumulator takes v's type: exact integers for +-1/0 patterns
    for mu in range(v.shape[0]):
        acc += xi_t[i, mu] * v[mu]
    return acc


@njit(cache=True, fastmath={"reassoc", "contract"})
def _abs_dot(xi_t, i, v):
    acc = 0.0
    for mu in range(v.shape[0]):
        acc += abs(xi_t[i, mu]) * v[mu]
    return acc


@njit(cache=True)
def _dense_coefficients(M, p, mu, A, B):
    """For +-1/0 patterns d_mu = +-2 s xi, so the sum in dH_i is
    sum_mu |xi_i^mu| A_mu + s xi_i^mu B_mu: two dot products per update, with
    A and B refreshed only when M_mu changes."""
    a = float(M[mu])
    down, up = _power_difference(a, -2.0, p), _power_difference(a, 2.0, p)
    A[mu] = (down + up) / 2
    B[mu] = (down - up) / 2


@njit(cache=True, inline="always")
def _flip_energy(xi_t, norm2, M, A, B, ternary, i, s, p, n):
    """Energy change of flipping neuron i, which is in state s."""
    if p == 2:
        # The d_mu^2 = 4 xi^2 term is the self-coupling: dH_i = 2 s h_i with
        # the zero-diagonal field h_i = sum_{j != i} J_ij s_j.
        return 2.0 * (s * _dot(xi_t, i, M) - norm2[i]) / n
    if ternary:
        total = _abs_dot(xi_t, i, A) + s * _dot(xi_t, i, B)
    else:
        total = 0.0
        for mu in range(M.shape[0]):
            total += _power_difference(float(M[mu]), -2.0 * s * xi_t[i, mu], p)
    return -total / (p * _power(float(n), p - 1))


@njit(cache=True)
def _energy_per_neuron(M, p, n):
    e = 0.0
    for mu in range(M.shape[0]):
        e += _power(M[mu] / n, p)
    return -e / p


@njit(cache=True)
def _setup_dense(M, p, ternary):
    P = M.shape[0]
    A = np.zeros(P)
    B = np.zeros(P)
    if p > 2 and ternary:
        for mu in range(P):
            _dense_coefficients(M, p, mu, A, B)
    return A, B


@njit(cache=True, inline="always")
def _flip(xi_t, M, A, B, ternary, state, i, p):
    s = state[i]
    for mu in range(M.shape[0]):
        x = xi_t[i, mu]
        if x != 0:
            M[mu] -= 2 * s * x
            if p > 2 and ternary:
                _dense_coefficients(M, p, mu, A, B)
    state[i] = -s


@njit(cache=True)
def _glauber(xi_t, norm2, ternary, state, M, p, betas, sweeps, rng_state, overlaps, energy, flips):
    """Glauber sweeps at inverse temperatures betas[t] (inf: T = 0)."""
    if p == 2:  # a literal order lets the compiler drop the dense-network branches (~40% faster)
        _glauber_sweeps(xi_t, norm2, ternary, state, M, 2, betas, sweeps, rng_state, overlaps, energy, flips)
    else:
        _glauber_sweeps(xi_t, norm2, ternary, state, M, p, betas, sweeps, rng_state, overlaps, energy, flips)


@njit(cache=True, inline="always")
def _glauber_sweeps(xi_t, norm2, ternary, state, M, p, betas, sweeps, rng_state, overlaps, energy, flips):
    n, P = xi_t.shape
    A, B = _setup_dense(M, p, ternary)
    order = np.arange(n)
    cold_from = sweeps  # from this sweep on T = 0, so a sweep without flips is final
    while cold_from > 0 and math.isinf(betas[cold_from - 1]):
        cold_from -= 1
    for t in range(sweeps):
        for k in range(n - 1, 0, -1):  # Fisher-Yates: a fresh random order each sweep
            j = below(rng_state, k + 1)
            order[k], order[j] = order[j], order[k]
        count = 0
        beta = betas[t]
        zero_temperature = math.isinf(beta)
        for k in range(n):
            i = order[k]
            dE = _flip_energy(xi_t, norm2, M, A, B, ternary, i, state[i], p, n)
            if zero_temperature:
                flip = dE < 0.0
            else:
                flip = uniform(rng_state) < 1.0 / (1.0 + math.exp(beta * dE))
            if flip:
                _flip(xi_t, M, A, B, ternary, state, i, p)
                count += 1
        for mu in range(P):
            overlaps[t, mu] = M[mu] / n
        energy[t] = _energy_per_neuron(M, p, n)
        flips[t] = count
        if count == 0 and t >= cold_from:
            for u in range(t + 1, sweeps):
                overlaps[u] = overlaps[t]
                energy[u] = energy[t]
            return


@njit(cache=True)
def _all_flip_energies(xi_t, norm2, ternary, state, M, p):
    n = xi_t.shape[0]
    A, B = _setup_dense(M, p, ternary)
    out = np.empty(n)
    for i in range(n):
        out[i] = _flip_energy(xi_t, norm2, M, A, B, ternary, i, state[i], p, n)
    return out


# --------------------------------------------------------------------------
# patterns and couplings
# --------------------------------------------------------------------------
def random_patterns(N, P, *, dilution=0.0, seed=None):
    """P random patterns of N neurons.

    Parameters
    ----------
    N, P : int
        Number of neurons and of patterns.
    dilution : float in [0, 1)
        Probability that an entry is blank (0) instead of +-1.
    seed : int or None

    Returns
    -------
    SeededArray of int8, shape (P, N)
        Entries +1 and -1 with equal probability, or 0 with probability
        ``dilution``; its attribute ``seed`` is the seed used.
    """
    N = check_int("N", N, low=1, high=MAX_NEURONS)
    P = check_int("P", P, low=1)
    dilution = check_real("dilution", dilution, low=0.0, high=1.0, high_open=True)
    if N * P > MAX_PATTERN_ENTRIES:
        raise ValueError(f"N * P = {N * P} entries is more than the limit {MAX_PATTERN_ENTRIES}; reduce N or P")
    seed = resolve_seed(seed)
    gen = rng(seed)
    patterns = (2 * gen.integers(0, 2, size=(P, N), dtype=np.int8) - 1).astype(np.int8)
    if dilution > 0:
        patterns[gen.random((P, N)) < dilution] = 0
    return seeded(patterns, seed)


def hebbian_couplings(patterns):
    """Hebb's couplings J_ij = (1/N) sum_mu xi_i^mu xi_j^mu with a zero diagonal.

    Parameters
    ----------
    patterns : array_like, shape (P, N)

    Returns
    -------
    ndarray of float64, shape (N, N)
    """
    xi = _check_patterns(patterns).astype(np.float64)
    n = xi.shape[1]
    if n > 20_000:
        raise ValueError(f"patterns has N = {n} neurons; an N x N coupling matrix is limited to N <= 20000")
    J = xi.T @ xi / n
    np.fill_diagonal(J, 0.0)
    return J


def overlaps(patterns, state):
    """Overlaps m_mu = (1/N) sum_i xi_i^mu s_i.

    Parameters
    ----------
    patterns : array_like, shape (P, N)
    state : array_like, shape (N,) or (K, N)
        One state or K states.

    Returns
    -------
    ndarray, shape (P,) or (K, P)
    """
    xi = _check_patterns(patterns)
    s = _check_state(state, xi.shape[1], allow_batch=True)
    return (s.astype(np.float64) @ xi.T.astype(np.float64)) / xi.shape[1]


def flip_energies(patterns, state, *, p=2):
    """Energy change dH_i of flipping each neuron alone, in state ``state``.

    At T = 0 neuron i flips on its next update exactly when dH_i < 0, so
    ``np.mean(flip_energies(...) < 0)`` is the fraction of unstable neurons.
    For p = 2, dH_i = 2 s_i h_i with the zero-diagonal local field
    h_i = sum_j J_ij s_j.
    """
    xi_t, norm2, state, M, p = _prepare_network(patterns, state, p, "state")
    return _all_flip_energies(xi_t, norm2, xi_t.dtype == np.int8, state, M, p)


def one_step_update(patterns, state, *, p=2):
    """The state after one parallel T = 0 update: every neuron whose flip lowers the energy flips.

    Each neuron is updated from the same ``state`` (zero-diagonal fields, as
    in :func:`flip_energies`), so ``overlaps(patterns, one_step_update(...))``
    measures how stable ``state`` is: 1 - 2 x (fraction of unstable neurons)
    for a pattern of +-1 entries.

    Returns
    -------
    ndarray of int8, shape (N,)
    """
    unstable = flip_energies(patterns, state, p=p) < 0
    s = np.asarray(state, dtype=np.int8)
    return np.where(unstable, -s, s).astype(np.int8)


def glyph_patterns(text, size=32):
    """Patterns that look like something: the letters of ``text`` as size x size images.

    Each character is drawn in bold DejaVu Sans (the font shipped with
    matplotlib), scaled to fill the square, and sampled at the pixel centres:
    ink is +1 and background -1.

    Returns
    -------
    ndarray of int8, shape (len(text), size * size)
        One flattened image a row (reshape to (size, size) to draw it).
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    if not isinstance(text, str) or not text or not text.isprintable() or " " in text:
        raise ValueError(f"text must be a non-empty string of printable characters without spaces, got {text!r}")
    size = check_int("size", size, low=8, high=256)
    font = FontProperties(family="DejaVu Sans", weight="bold")
    centres = (np.arange(size) + 0.5) / size
    x, y = np.meshgrid(centres, 1.0 - centres)
    points = np.column_stack([x.ravel(), y.ravel()])
    rows = []
    for char in text:
        path = TextPath((0, 0), char, size=1.0, prop=font)
        lo, hi = path.vertices.min(axis=0), path.vertices.max(axis=0)
        scale = 0.84 / max(hi - lo)
        offset = 0.5 - scale * (lo + hi) / 2
        glyph = path.transformed(_affine(scale, offset))
        ink = glyph.contains_points(points)
        rows.append(np.where(ink, 1, -1).astype(np.int8))
    return np.array(rows)


def _affine(scale, offset):
    from matplotlib.transforms import Affine2D

    return Affine2D().scale(scale).translate(*offset)


# --------------------------------------------------------------------------
# dynamics
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class RetrievalResult:
    """Outcome of :func:`retrieve`.

    Attributes
    ----------
    state : ndarray of int8, shape (N,)
        Final state.
    overlaps : ndarray, shape (sweeps, P)
        Overlaps m_mu after each sweep.
    initial_overlaps : ndarray, shape (P,)
        Overlaps of the probe.
    energy : ndarray, shape (sweeps,)
        Energy per neuron, -sum_mu m_mu^p / p, after each sweep.
    flips : ndarray of int, shape (sweeps,)
        Neurons flipped in each sweep.
    T, p, seed
        Temperature (or per-sweep schedule), interaction order and the seed used.
    """

    state: np.ndarray
    overlaps: np.ndarray
    initial_overlaps: np.ndarray
    energy: np.ndarray
    flips: np.ndarray
    T: float | np.ndarray
    p: int
    seed: int

    @property
    def converged(self):
        """True if the last sweep flipped nothing (at T = 0: a fixed point)."""
        return bool(self.flips[-1] == 0)


def retrieve(patterns, probe, *, T=0.0, p=2, sweeps=20, seed=None):
    """Run asynchronous Glauber dynamics from ``probe`` on the network storing ``patterns``.

    The energy is H = -N sum_mu m_mu^p / p (see the module conventions): p = 2
    is the Hopfield network and p > 2 the dense Hebbian network. Each flip
    costs O(P) through running overlaps.

    Parameters
    ----------
    patterns : array_like, shape (P, N)
        Stored patterns: entries in {-1, 0, +1}, or real numbers.
    probe : array_like of +-1, shape (N,)
        Initial state.
    T : float >= 0, or array_like of shape (sweeps,)
        Temperature, or one temperature per sweep (an annealing schedule);
        0 gives deterministic descent (flip iff the energy drops).
    p : int in [2, 8]
        Interaction order.
    sweeps : int >= 1
        Number of sweeps (N single-neuron updates each).
    seed : int or None
        Seeds the random update order and, at T > 0, the flips.

    Returns
    -------
    RetrievalResult
    """
    sweeps = check_int("sweeps", sweeps, low=1, high=1_000_000)
    if np.ndim(T) == 0:
        T = check_real("T", T, low=0.0, high=1e6)
        temps = np.full(sweeps, T)
    else:
        temps = check_real_array("T", T, ndim=1, low=0.0, high=1e6)
        if temps.size != sweeps:
            raise ValueError(f"T must be a number or hold one temperature per sweep ({sweeps}), got {temps.size}")
        T = temps
    xi_t, norm2, state, M, p = _prepare_network(patterns, probe, p, "probe")
    n, P = xi_t.shape
    check_work("retrieve (sweeps * N * P)", float(sweeps) * n * P, MAX_UPDATE_COST)
    seed = resolve_seed(seed)
    initial = M / n
    out = np.empty((sweeps, P))
    energy = np.empty(sweeps)
    flips = np.zeros(sweeps, dtype=np.int64)
    with np.errstate(divide="ignore"):
        betas = 1.0 / temps
    _glauber(xi_t, norm2, xi_t.dtype == np.int8, state, M, p, betas, sweeps, kernel_state(seed), out, energy, flips)
    return RetrievalResult(state=state, overlaps=out, initial_overlaps=initial, energy=energy, flips=flips,
                           T=T, p=p, seed=seed)


def corrupt(state, flip_fraction, *, seed=None):
    """A copy of ``state`` with a random ``flip_fraction`` of its neurons flipped (exactly round(f N)).

    Returns a :class:`~emergence.random.SeededArray` (attribute ``seed``: the seed used).
    """
    s = _check_state(state, None)
    f = check_real("flip_fraction", flip_fraction, low=0.0, high=1.0)
    out = s.copy()
    k = int(round(f * s.size))
    seed = resolve_seed(seed)
    idx = rng(seed).choice(s.size, size=k, replace=False)
    out[idx] *= -1
    return seeded(out, seed)


def retrieval_fraction(N, P, *, p=2, trials=20, m_min=0.9, sweeps=30, seed=None):
    """Fraction of trials in which a stored pattern is retrieved.

    Each trial draws P random patterns of N neurons, starts the T = 0
    dynamics at pattern 0, and counts a success when the final overlap with it
    is at least ``m_min``.
    """
    N = check_int("N", N, low=2, high=MAX_NEURONS)
    P = check_int("P", P, low=1)
    trials = check_int("trials", trials, low=1, high=100_000)
    m_min = check_real("m_min", m_min, low=0.0, high=1.0)
    sweeps = check_int("sweeps", sweeps, low=1, high=1_000_000)
    check_work("retrieval_fraction (trials * sweeps * N * P)", float(trials) * sweeps * N * P, MAX_UPDATE_COST)
    seeds = np.random.SeedSequence(resolve_seed(seed)).generate_state(2 * trials, dtype=np.uint64) >> np.uint64(1)
    hits = 0
    for t in range(trials):
        xi = random_patterns(N, P, seed=int(seeds[2 * t]))
        res = retrieve(xi, xi[0], p=p, sweeps=sweeps, seed=int(seeds[2 * t + 1]))
        hits += res.overlaps[-1, 0] >= m_min
    return hits / trials


def critical_pattern_count(N, *, p=2, trials=20, m_min=0.9, sweeps=30, seed=None):
    """The largest number of patterns P at which a stored pattern is retrieved in at least half the trials.

    Found by bisection on P with :func:`retrieval_fraction` (the same seed at
    every P, so the fraction is a smoother function of P).

    Returns
    -------
    int
    """
    N = check_int("N", N, low=4, high=MAX_NEURONS)
    p = check_int("p", p, low=2, high=MAX_ORDER)
    seed = resolve_seed(seed)

    def ok(P):
        return retrieval_fraction(N, P, p=p, trials=trials, m_min=m_min, sweeps=sweeps, seed=seed) >= 0.5

    lo, hi = 1, 2
    while ok(hi):  # bracket: ok(lo), not ok(hi)
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


# --------------------------------------------------------------------------
# learning from examples
# --------------------------------------------------------------------------
def noisy_examples(archetypes, M, r, *, seed=None):
    """M noisy examples of each archetype, of quality r.

    Example a of archetype mu is eta_i^{mu a} = chi_i^{mu a} xi_i^mu with
    independent chi = +1 with probability (1 + r)/2 and -1 otherwise, so that
    its mean overlap with the archetype is r.

    Returns
    -------
    SeededArray of int8, shape (K, M, N)
        Its attribute ``seed`` is the seed used.
    """
    xi = _check_patterns(archetypes)
    M = check_int("M", M, low=1, high=100_000)
    r = check_real("r", r, low=0.0, high=1.0)
    K, n = xi.shape
    if K * M * n > MAX_PATTERN_ENTRIES:
        raise ValueError(f"K * M * N = {K * M * n} entries is more than the limit {MAX_PATTERN_ENTRIES}")
    seed = resolve_seed(seed)
    chi = np.where(rng(seed).random((K, M, n)) < (1 + r) / 2, 1, -1)
    return seeded((chi * xi[:, None, :]).astype(np.int8), seed)


def learned_patterns(examples, *, supervised):
    """The patterns a Hebbian network stores when it learns from examples.

    * ``supervised=True``: a teacher says which archetype each example shows,
      and the network stores the example mean of each archetype,
      (1/M) sum_a eta^{mu a} (K real-valued patterns).
    * ``supervised=False``: the network stores every example as a pattern of its own
      (K * M patterns).

    Parameters
    ----------
    examples : array_like, shape (K, M, N)
        As returned by :func:`noisy_examples`.
    """
    ex = np.asarray(examples)
    if ex.ndim != 3:
        raise ValueError(f"examples must have shape (K, M, N), got shape {ex.shape}")
    K, M, n = ex.shape
    flat = _check_patterns(ex.reshape(K * M, n), name="examples")
    if supervised:
        return flat.reshape(K, M, n).mean(axis=1)
    return flat


def archetype_overlap_theory(M, r):
    """Overlap with the archetype reached at T = 0 and low load from M examples of quality r.

    At low load the network settles where each neuron follows the majority of
    its M examples: s_i = xi_i sign(sum_a chi_i^a), whose overlap with the
    archetype is E[sign(S)] for S = sum_a chi^a, a sum of M independent +-1
    with mean r (a tie, S = 0, contributes 0). For large M this tends to
    erf(1 / sqrt(2 rho)) with rho = (1 - r^2) / (M r^2).
    """
    M = check_int("M", M, low=1, high=10**7)
    r = check_real("r", r, low=0.0, high=1.0)
    q = (1 + r) / 2
    k = np.arange(M + 1)  # number of +1's; S = 2k - M
    pmf = stats.binom.pmf(k, M, q)
    return float(np.sum(pmf * np.sign(2 * k - M)))


def archetype_stability_theory(M, r, alpha, *, supervised):
    """One-step overlap with the archetype at finite load, by signal to noise (p = 2, T = 0).

    The network learned K = alpha N archetypes from M examples of quality r
    each (:func:`noisy_examples`, :func:`learned_patterns`) and is put in
    archetype 1. Every neuron is updated once, in parallel
    (:func:`one_step_update`); the returned value is the overlap of the new
    state with the archetype, 1 - 2 x (fraction of neurons that flip).

    The field on neuron i, times xi_i, is a signal with mean r^2 (times M for
    unsupervised learning) plus two Gaussian noises, whose variances in units
    of the squared signal are

    * the dataset noise rho = (1 - r^2)/(M r^2): the M-example average of a
      pixel has mean r and variance (1 - r^2)/M;
    * the crosstalk of the other archetypes, alpha (1 + rho)^2 for the
      supervised network (it stores K example means, each of squared length
      r^2 + (1 - r^2)/M per neuron) and alpha (1 + rho (1 + 1/r^2)) for the
      unsupervised one (it stores all K M examples; examples of one archetype
      are correlated, with overlap r^2, so their crosstalk adds coherently).

    Hence m_1 = erf(1 / sqrt(2 (rho + alpha c))), with c the crosstalk
    factor. At alpha = 0 both are erf(1/sqrt(2 rho)), the low-load limit of
    :func:`archetype_overlap_theory`; at finite load the unsupervised network's
    extra noise, alpha rho (1 - r^2)(M - 1)/(M r^2), makes it the worse
    learner exactly when data are poor (small r) and plentiful (large M).

    Parameters
    ----------
    M : int >= 1
        Examples per archetype.
    r : float in (0, 1]
        Example quality (mean overlap of an example with its archetype).
    alpha : float >= 0
        Load K/N.
    supervised : bool

    Returns
    -------
    float in [0, 1]
    """
    M = check_int("M", M, low=1, high=10**7)
    r = check_real("r", r, low=0.0, high=1.0, low_open=True)
    alpha = check_real("alpha", alpha, low=0.0, high=10.0)
    supervised = check_bool("supervised", supervised)
    rho = (1 - r * r) / (M * r * r)
    crosstalk = (1 + rho) ** 2 if supervised else 1 + rho * (1 + 1 / (r * r))
    noise = rho + alpha * crosstalk
    return 1.0 if noise == 0 else math.erf(1 / math.sqrt(2 * noise))


# --------------------------------------------------------------------------
# modern (softmax) associative memory, and clustering with it
# --------------------------------------------------------------------------
# Continuous states x in R^d and K memories rho_mu. The energy
#     E(x) = -(1/beta) log sum_mu exp(-beta |x - rho_mu|^2 / 2)
# has gradient sum_mu w_mu (x - rho_mu) with w = softmax(-beta |x - rho|^2 / 2),
# and one step of the dynamics is x <- x - dt grad E(x).
def _softmax_weights(X, memories, beta):
    from .clustering import squared_distances

    s = -0.5 * beta * squared_distances(X, memories)
    s -= s.max(axis=1, keepdims=True)
    w = np.exp(s)
    return w / w.sum(axis=1, keepdims=True)


def memory_energy(X, memories, *, beta):
    """Energy E(x) of the softmax associative memory at each row of X (see :func:`settle`)."""
    from .clustering import squared_distances

    X, memories, beta = _check_memory_args(X, memories, beta)
    s = -0.5 * beta * squared_distances(X, memories)
    top = s.max(axis=1)
    return -(top + np.log(np.exp(s - top[:, None]).sum(axis=1))) / beta


def settle(X, memories, *, beta, steps=10, dt=1.0):
    """Run the softmax associative memory's dynamics from every row of X.

    Each step moves x towards the softmax-weighted mean of the memories,
    x <- (1 - dt) x + dt sum_mu w_mu(x) rho_mu, with
    ``w = softmax(-beta |x - rho_mu|^2 / 2)``. This is gradient descent on the
    energy ``E(x) = -(1/beta) log sum_mu exp(-beta |x - rho_mu|^2 / 2)``, and for
    0 < dt <= 1 the energy never increases (the step minimises a convex upper
    bound of E). As beta grows, x jumps to its nearest memory.

    Parameters
    ----------
    X : array_like, shape (n, d)
    memories : array_like, shape (K, d)
    beta : float > 0
        Inverse temperature (units of 1 / distance^2).
    steps : int >= 0
    dt : float in (0, 1]

    Returns
    -------
    ndarray, shape (n, d)
        The states after ``steps`` steps.
    """
    X, memories, beta = _check_memory_args(X, memories, beta)
    steps = check_int("steps", steps, low=0, high=10_000)
    dt = check_real("dt", dt, low=0.0, high=1.0, low_open=True)
    for _ in range(steps):
        X = (1 - dt) * X + dt * _softmax_weights(X, memories, beta) @ memories
    return X


def _settle_loss_and_gradient(X, memories, beta, steps, dt):
    """Loss ``mean_i |x_T(i) - x_i|^2`` and its gradient with respect to the memories (backpropagated by hand)."""
    n = X.shape[0]
    states, weights = [X], []
    for _ in range(steps):
        w = _softmax_weights(states[-1], memories, beta)
        weights.append(w)
        states.append((1 - dt) * states[-1] + dt * w @ memories)
    diff = states[-1] - X
    loss = float(np.sum(diff**2) / n)
    g = 2 * diff / n  # dL/dx_T
    grad = np.zeros_like(memories)
    for t in range(steps - 1, -1, -1):
        x, w = states[t], weights[t]
        a = g @ memories.T  # g . rho_mu
        c = w * (a - np.sum(w * a, axis=1, keepdims=True))  # w_mu (a_mu - <a>_w)
        grad += dt * (w.T @ g + beta * (c.T @ x - c.sum(axis=0)[:, None] * memories))
        g = (1 - dt) * g - dt * beta * (c.sum(axis=1)[:, None] * x - c @ memories)
    return loss, grad


@dataclass(frozen=True)
class MemoryClustering:
    """Result of :func:`cluster_with_memories`.

    Attributes
    ----------
    memories : ndarray, shape (k, d)
        The learned memories (cluster prototypes).
    labels : ndarray of int, shape (n,)
        For each point, the memory its settled state is closest to.
    loss : ndarray, shape (epochs,)
        The training loss ``mean_i |x_T(i) - x_i|^2`` at each epoch.
    seed : int
    """

    memories: np.ndarray
    labels: np.ndarray
    loss: np.ndarray
    seed: int


def cluster_with_memories(X, k, *, beta=1.0, steps=10, dt=0.5, epochs=200, learning_rate=0.05, seed=None):
    """Cluster data by training the memories of a softmax associative memory.

    The memories start at k data points chosen at random and are trained by
    Adam on the loss ``mean_i |x_T(i) - x_i|^2``, where x_T(i) is point i after
    ``steps`` steps of :func:`settle`: each point should settle close to where
    it started, so the memories move to where the data are, while the
    dynamics assigns every point softly to its attractor. Gradients are
    exact, backpropagated through the unrolled dynamics. This is the simplest
    (unmasked) form of the clustering loss of "End-to-end Differentiable
    Clustering with Associative Memories".

    Parameters
    ----------
    X : array_like, shape (n, d)
        Data (standardise the columns first if their scales differ).
    k : int
        Number of memories (clusters).
    beta, steps, dt
        As in :func:`settle`.
    epochs : int
        Full-batch Adam steps.
    learning_rate : float
        Adam step size, in the units of X.
    seed : int or None
        Seeds the initial memories.

    Returns
    -------
    MemoryClustering
    """
    X = check_real_array("X", X, ndim=2)
    k = check_int("k", k, low=1, high=X.shape[0])
    beta = check_real("beta", beta, low=0.0, high=1e6, low_open=True)
    steps = check_int("steps", steps, low=1, high=1000)
    dt = check_real("dt", dt, low=0.0, high=1.0, low_open=True)
    epochs = check_int("epochs", epochs, low=1, high=100_000)
    learning_rate = check_real("learning_rate", learning_rate, low=0.0, high=1e3, low_open=True)
    check_work("cluster_with_memories (epochs * steps * n * k * d)",
               float(epochs) * steps * X.shape[0] * k * X.shape[1], 2e10)
    seed = resolve_seed(seed)
    memories = X[rng(seed).choice(X.shape[0], size=k, replace=False)].copy()
    m1, m2 = np.zeros_like(memories), np.zeros_like(memories)
    b1, b2, eps = 0.9, 0.999, 1e-8
    losses = np.empty(epochs)
    for epoch in range(epochs):
        losses[epoch], grad = _settle_loss_and_gradient(X, memories, beta, steps, dt)
        m1 = b1 * m1 + (1 - b1) * grad
        m2 = b2 * m2 + (1 - b2) * grad**2
        step = (m1 / (1 - b1 ** (epoch + 1))) / (np.sqrt(m2 / (1 - b2 ** (epoch + 1))) + eps)
        memories = memories - learning_rate * step
    settled = settle(X, memories, beta=beta, steps=steps, dt=dt)
    labels = np.argmax(_softmax_weights(settled, memories, beta), axis=1)
    return MemoryClustering(memories=memories, labels=labels, loss=losses, seed=seed)


def _check_memory_args(X, memories, beta):
    X = check_real_array("X", X, ndim=2)
    memories = check_real_array("memories", memories, ndim=2)
    if memories.shape[1] != X.shape[1]:
        raise ValueError(f"memories must have {X.shape[1]} columns like X, got shape {memories.shape}")
    beta = check_real("beta", beta, low=0.0, high=1e6, low_open=True)
    if X.shape[0] * memories.shape[0] > 50_000_000:
        raise ValueError("X and memories are too large: n * K must be at most 5e7")
    return X, memories, beta


# --------------------------------------------------------------------------
# theory
# --------------------------------------------------------------------------
def _ags_excess(y):
    """erf(y)/y - (2/sqrt(pi)) exp(-y^2); the T = 0 RS equations read sqrt(2 alpha) = this."""
    return special.erf(y) / y - 2.0 / np.sqrt(np.pi) * np.exp(-y * y)


def _ags_peak():
    res = optimize.minimize_scalar(lambda y: -_ags_excess(y), bounds=(0.3, 3.0), method="bounded",
                                   options={"xatol": 1e-12})
    return float(res.x), float(_ags_excess(res.x))


def critical_capacity():
    """The Hopfield network's storage capacity alpha_c ~ 0.138 (replica-symmetric, T = 0).

    From Amit, Gutfreund and Sompolinsky's T = 0 equations (see
    :func:`retrieval_overlap_theory`): retrieval solutions exist while
    sqrt(2 alpha) <= max_y [erf(y)/y - (2/sqrt(pi)) exp(-y^2)].
    """
    _, peak = _ags_peak()
    return peak**2 / 2


def retrieval_overlap_theory(alpha, T=0.0):
    """Replica-symmetric retrieval overlap m(alpha, T) of the Hopfield network (Amit-Gutfreund-Sompolinsky).

    At T = 0, with y = m / sqrt(2 alpha r), the equations reduce to
    erf(y) = y (sqrt(2 alpha) + (2/sqrt(pi)) exp(-y^2)) and m = erf(y); the
    retrieval state is the largest root. At T > 0 the equations
    m = <tanh(beta(m + sqrt(alpha r) z))>_z, q = <tanh^2(...)>_z,
    r = q / (1 - beta(1 - q))^2 are iterated from m = q = 1 (Gauss-Hermite
    average over z ~ N(0, 1)).

    Parameters
    ----------
    alpha : float or array_like
        Load P/N, >= 0.
    T : float
        Temperature, >= 0.

    Returns
    -------
    float or ndarray
        The retrieval overlap, or 0 where no retrieval state exists.
    """
    T = check_real("T", T, low=0.0, high=1e6)
    a = check_real_array("alpha", alpha, low=0.0)
    if a.max() > 1e3:
        raise ValueError(f"alpha must be in [0, 1000], got values up to {a.max()}")
    if T == 0:
        y_peak, peak = _ags_peak()
        out = np.array([_ags_t0(x, y_peak, peak) for x in a.ravel()])
    else:
        out = np.array([_ags_finite_t(x, T) for x in a.ravel()])
    out = out.reshape(a.shape)
    return float(out) if np.ndim(alpha) == 0 else out


def _ags_t0(alpha, y_peak, peak):
    if alpha == 0:
        return 1.0
    target = np.sqrt(2 * alpha)
    if target > peak:
        return 0.0
    hi = y_peak
    while _ags_excess(hi) > target:
        hi *= 2
    y = optimize.brentq(lambda v: _ags_excess(v) - target, y_peak, hi, xtol=1e-14)
    return float(special.erf(y))


_GH_Z, _GH_W = np.polynomial.hermite_e.hermegauss(121)
_GH_W = _GH_W / _GH_W.sum()


def _ags_finite_t(alpha, T, iterations=3000):
    beta = 1.0 / T
    m, q = 1.0, 1.0
    for _ in range(iterations):
        chi = beta * (1 - q)
        if chi >= 1:
            return 0.0
        r = q / (1 - chi) ** 2
        t = np.tanh(beta * (m + np.sqrt(alpha * r) * _GH_Z))
        m_new, q_new = float(_GH_W @ t), float(_GH_W @ t**2)
        if abs(m_new - m) < 1e-12 and abs(q_new - q) < 1e-12:
            m = m_new
            break
        m, q = m_new, q_new
    return m if m > 1e-3 else 0.0


def retrieval_temperature(alpha):
    """T_M(alpha): the highest temperature at which the RS retrieval state exists at load alpha.

    T_M(0) = 1 and T_M reaches 0 at alpha_c; found by bisection on T with
    :func:`retrieval_overlap_theory`.
    """
    a = check_real("alpha", alpha, low=0.0, high=1.0)
    if a >= critical_capacity():
        return 0.0
    if a == 0:
        return 1.0
    lo, hi = 1e-3, 1.0
    for _ in range(16):  # to 1.5e-5 in T
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if retrieval_overlap_theory(a, mid) > 0 else (lo, mid)
    return lo


def spin_glass_temperature(alpha):
    """T_g = 1 + sqrt(alpha): below it the Hopfield network freezes into a spin glass (AGS)."""
    a = check_real_array("alpha", alpha, low=0.0)
    out = 1.0 + np.sqrt(a)
    return float(out) if np.ndim(alpha) == 0 else out


def low_load_overlap(T):
    """Overlap of a retrieval state at vanishing load: the largest root of m = tanh(m / T).

    Equal to 1 at T = 0 and 0 for T >= 1 (the Curie-Weiss transition at T_c = 1).
    """
    t = check_real_array("T", T, low=0.0)

    def solve(x):
        if x == 0:
            return 1.0
        if x >= 1 - 1e-12:
            return 0.0
        return optimize.brentq(lambda m: m - np.tanh(m / x), 1e-6, 1.0, xtol=1e-15)

    out = np.array([solve(x) for x in t.ravel()]).reshape(t.shape)
    return float(out) if np.ndim(T) == 0 else out


def unstable_fraction_theory(alpha, p=2):
    """Fraction of neurons that flip on their first update from a stored random pattern.

    The field on neuron i, times xi_i, is 1 plus crosstalk from the other
    patterns, approximately Gaussian with variance alpha (2p - 3)!! for
    P = alpha N^(p-1) patterns; the neuron flips when the crosstalk is below -1:
    Phi(-1 / sqrt(alpha (2p - 3)!!)).
    """
    a = check_real_array("alpha", alpha, low=0.0, low_open=True)
    p = check_int("p", p, low=2, high=MAX_ORDER)
    double_factorial = float(np.prod(np.arange(2 * p - 3, 0, -2)))
    out = stats.norm.cdf(-1.0 / np.sqrt(a * double_factorial))
    return float(out) if np.ndim(alpha) == 0 else out


def multitasking_overlaps(dilution, P):
    """The T = 0 hierarchy of overlaps with diluted patterns: m_k = (1 - d) d^(k - 1), k = 1..P.

    The network aligns with the strongest pattern wherever it is not blank, with
    the next one where the first is blank, and so on.
    """
    d = check_real("dilution", dilution, low=0.0, high=1.0, high_open=True)
    P = check_int("P", P, low=1, high=10_000)
    return (1 - d) * d ** np.arange(P)


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------
def _check_patterns(patterns, name="patterns"):
    """A 2-D pattern array: int8 if all entries are -1, 0 or +1, else float64."""
    if isinstance(patterns, (str, bytes)) or patterns is None:
        raise TypeError(f"{name} must be a 2-D array of numbers, got {patterns!r}")
    arr = np.asarray(patterns)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (P, N), got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must hold at least one pattern of at least one neuron, got shape {arr.shape}")
    if arr.dtype.kind in "iub":
        if arr.dtype.kind == "b" or np.any((arr < -1) | (arr > 1)):
            raise ValueError(f"integer {name} must have entries -1, 0 or +1")
        return arr.astype(np.int8)
    arr = check_real_array(name, arr, ndim=2)
    if np.all((arr == 1) | (arr == -1) | (arr == 0)):
        return arr.astype(np.int8)
    return arr


def _check_state(state, n, *, allow_batch=False, name="state"):
    if isinstance(state, (str, bytes)) or state is None:
        raise TypeError(f"{name} must be an array of +1/-1, got {state!r}")
    arr = np.asarray(state)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be an array of +1/-1, got dtype {arr.dtype}")
    if arr.ndim not in ((1, 2) if allow_batch else (1,)):
        raise ValueError(f"{name} must be a 1-D array of N = {n} neurons, got shape {arr.shape}")
    if n is not None and arr.shape[-1] != n:
        raise ValueError(f"{name} must have N = {n} neurons (one per pattern column), got {arr.shape[-1]}")
    if not np.all((arr == 1) | (arr == -1)):
        raise ValueError(f"{name} must contain only +1 and -1")
    return np.ascontiguousarray(arr, dtype=np.int8).copy()


def _prepare_network(patterns, state, p, state_name):
    xi = _check_patterns(patterns)
    p = check_int("p", p, low=2, high=MAX_ORDER)
    s = _check_state(state, xi.shape[1], name=state_name)
    xi_t = np.ascontiguousarray(xi.T)
    if xi.dtype == np.int8:
        M = xi.astype(np.int64) @ s.astype(np.int64)
        norm2 = np.count_nonzero(xi_t, axis=1).astype(np.int64)
    else:
        M = xi @ s.astype(np.float64)
        norm2 = np.einsum("ij,ij->i", xi_t, xi_t)
    return xi_t, norm2, s, M, p
