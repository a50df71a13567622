"""Random matrices: Gaussian, beta, Wishart and Ginibre ensembles, Rosenzweig-Porter and Anderson models.

Random-matrix conventions
-------------------------
* Wigner-type ensembles are scaled so that the spectrum fills [-2, 2] as
  N -> infinity: off-diagonal entries have variance 1/N (``goe``, ``gue``,
  ``beta_hermite``), and the density tends to :func:`semicircle_density`.
* ``wishart(p, n)`` is W = X X^T / n with X a p x n matrix of independent
  standard normals; its eigenvalues tend to :func:`marchenko_pastur_density`
  with ratio c = p / n.
* ``ginibre(N)`` has independent complex Gaussian entries with ``E|G_ij|^2 = 1/N``,
  so its eigenvalues fill the unit disk.
* ``rosenzweig_porter(N, gamma)``: diagonal entries N(0, 1), symmetric
  off-diagonal entries N(0, N^-gamma).
* ``anderson_1d(N, W)``: hopping 1 between neighbours of an open chain,
  on-site energies uniform in [-W/2, W/2].
* Eigenvectors are the columns of the arrays returned by numpy's ``eigh``.

Matrices are diagonalized by LAPACK (numpy, scipy); numba is used for the
statistics and for the time evolution, where it pays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ._validation import check_int, check_real, check_real_array
from .random import resolve_seed, rng

#: Dense ensembles are limited to this size (memory 8 N^2 bytes, O(N^3) work).
MAX_DENSE = 6000
#: Tridiagonal (beta-Hermite, Anderson) sizes.
MAX_TRIDIAGONAL = 10_000_000


# --------------------------------------------------------------------------
# ensembles
# --------------------------------------------------------------------------
def _dense_size(name, N, low=1):
    return check_int(name, N, low=low, high=MAX_DENSE)


def goe(N, *, seed=None):
    """A GOE matrix: real symmetric, off-diagonal variance 1/N, diagonal variance 2/N."""
    N = _dense_size("N", N)
    a = rng(resolve_seed(seed)).standard_normal((N, N))
    return (a + a.T) / math.sqrt(2 * N)


def _gue_stack(gen, count, N):
    """``count`` independent GUE matrices, shape (count, N, N)."""
    a = gen.standard_normal((count, N, N)) + 1j * gen.standard_normal((count, N, N))
    return (a + np.conj(np.swapaxes(a, 1, 2))) / (2 * math.sqrt(N))


def gue(N, *, seed=None):
    """A GUE matrix: complex Hermitian, ``E|H_ij|^2 = 1/N`` for every entry."""
    N = _dense_size("N", N)
    return _gue_stack(rng(resolve_seed(seed)), 1, N)[0]


def beta_hermite(N, beta, *, seed=None):
    """Eigenvalues of the beta-Hermite ensemble (Dumitriu-Edelman tridiagonal model), sorted.

    The tridiagonal matrix has diagonal N(0, 2) and off-diagonal chi
    variables with beta (N - 1), ..., beta degrees of freedom, over sqrt(2);
    its eigenvalues have the joint density of the beta-ensemble, a Coulomb
    (log-gas) at inverse temperature beta, for any beta > 0. They are scaled
    by 1/sqrt(beta N / 2) so that the density tends to the semicircle on
    [-2, 2]. Memory is O(N) (LAPACK's tridiagonal eigenvalue solver).

    Parameters
    ----------
    N : int >= 1
    beta : float > 0
        1, 2, 4 reproduce the GOE, GUE and GSE spectra.
    seed : int, optional

    Returns
    -------
    ndarray, shape (N,)
    """
    from scipy.linalg import eigvalsh_tridiagonal

    N = check_int("N", N, low=1, high=MAX_TRIDIAGONAL)
    beta = check_real("beta", beta, low=0.0, low_open=True, high=1e6)
    gen = rng(resolve_seed(seed))
    diagonal = gen.normal(0.0, math.sqrt(2.0), N)
    off = np.sqrt(gen.chisquare(beta * np.arange(N - 1, 0, -1))) if N > 1 else np.zeros(0)
    values = eigvalsh_tridiagonal(diagonal / math.sqrt(2), off / math.sqrt(2))
    return values / math.sqrt(beta * N / 2)


def wishart(p, n, *, seed=None):
    """A real Wishart matrix W = X X^T / n, X of shape (p, n) with standard normal entries."""
    p = _dense_size("p", p)
    n = check_int("n", n, low=1, high=10_000_000)
    if float(p) * n > 5e8:
        raise ValueError(f"p * n = {p * n} entries is too large (limit 5e8)")
    x = rng(resolve_seed(seed)).standard_normal((p, n))
    return x @ x.T / n


def ginibre(N, *, seed=None):
    """A complex Ginibre matrix: independent entries with ``E|G_ij|^2 = 1/N`` (eigenvalues fill the unit disk)."""
    N = _dense_size("N", N)
    gen = rng(resolve_seed(seed))
    return (gen.standard_normal((N, N)) + 1j * gen.standard_normal((N, N))) / math.sqrt(2 * N)


def rosenzweig_porter(N, gamma, *, seed=None):
    """The Rosenzweig-Porter matrix: diagonal N(0, 1) plus a GOE with off-diagonal variance N^-gamma.

    Eigenvectors are ergodic for gamma < 1, fractal for 1 < gamma < 2
    (occupying about N^(2 - gamma) sites) and localized for gamma > 2.
    """
    N = _dense_size("N", N, low=2)
    gamma = check_real("gamma", gamma, low=0.0, high=10.0)
    gen = rng(resolve_seed(seed))
    a = gen.standard_normal((N, N))
    h = (a + a.T) * (N ** (-gamma / 2) / math.sqrt(2))
    h[np.diag_indices(N)] = gen.standard_normal(N)
    return h


def anderson_1d(N, W, *, seed=None):
    """The 1-D Anderson Hamiltonian (dense): hopping 1, on-site energies uniform in [-W/2, W/2], open ends."""
    N = _dense_size("N", N, low=2)
    W = check_real("W", W, low=0.0, high=1e6)
    h = np.diag(rng(resolve_seed(seed)).uniform(-W / 2, W / 2, N))
    idx = np.arange(N - 1)
    h[idx, idx + 1] = h[idx + 1, idx] = 1.0
    return h


def spiked_goe(N, theta, *, seed=None):
    """A GOE matrix plus a rank-one signal: H = GOE + theta v v^T with v a random unit vector.

    Returns
    -------
    (H, v)
    """
    N = _dense_size("N", N, low=2)
    theta = check_real("theta", theta, low=0.0, high=1e6)
    seed = resolve_seed(seed)
    v = rng(seed + 1).standard_normal(N)
    v /= np.linalg.norm(v)
    return goe(N, seed=seed) + theta * np.outer(v, v), v


# --------------------------------------------------------------------------
# densities and exact results
# --------------------------------------------------------------------------
def semicircle_density(x):
    """Wigner's semicircle sqrt(4 - x^2) / (2 pi) on [-2, 2], zero outside."""
    x = np.asarray(check_real_array("x", x), dtype=float)
    out = np.sqrt(np.clip(4 - x * x, 0, None)) / (2 * np.pi)
    return float(out) if out.ndim == 0 else out


def marchenko_pastur_density(x, c):
    """The Marchenko-Pastur density of ``wishart`` eigenvalues, ratio c = p / n.

    sqrt((b - x)(x - a)) / (2 pi c x) on [a, b], a, b = (1 -+ sqrt c)^2. For
    c > 1 a fraction 1 - 1/c of the eigenvalues sits exactly at 0 (not
    included in this continuous part).
    """
    x = np.asarray(check_real_array("x", x), dtype=float)
    c = check_real("c", c, low=0.0, low_open=True, high=1e6)
    a, b = (1 - math.sqrt(c)) ** 2, (1 + math.sqrt(c)) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((x > a) & (x < b), np.sqrt(np.clip((b - x) * (x - a), 0, None)) / (2 * np.pi * c * x), 0.0)
    return float(out) if out.ndim == 0 else out


#: Mean spacing ratio <r> for uncorrelated (Poisson) levels: 2 ln 2 - 1 (exact).
POISSON_MEAN_RATIO = 2 * math.log(2) - 1
#: Large-N <r> of the GOE from the literature (Atas et al.).
GOE_MEAN_RATIO = 0.5307
#: Large-N <r> of the GUE from the literature (Atas et al.).
GUE_MEAN_RATIO = 0.5996


def wigner_surmise(s, beta=1):
    """The Wigner surmise for the nearest-neighbour spacing density (mean spacing 1), beta = 1 or 2."""
    s = np.asarray(check_real_array("s", s, low=0.0), dtype=float)
    if beta == 1:
        return np.pi / 2 * s * np.exp(-np.pi * s * s / 4)
    if beta == 2:
        return 32 / np.pi**2 * s * s * np.exp(-4 * s * s / np.pi)
    raise ValueError(f"beta must be 1 or 2, got {beta!r}")


def ratio_surmise(r, beta):
    """Surmise density of the spacing ratio r in (0, infinity), from 3x3 matrices (Atas et al.).

    P(r) = (r + r^2)^beta / (Z (1 + r + r^2)^(1 + 3 beta / 2)) for beta > 0,
    normalized numerically; beta = 0 means Poisson levels, P(r) = 1 / (1 + r)^2
    (exact). The density of min(r, 1/r) on [0, 1] is twice this. The surmise
    means of min(r, 1/r) are 0.5359 (beta = 1) and 0.6027 (beta = 2), a little
    above the large-N values :data:`GOE_MEAN_RATIO` and :data:`GUE_MEAN_RATIO`.
    """
    from scipy.integrate import quad

    r = np.asarray(check_real_array("r", r, low=0.0), dtype=float)
    beta = check_real("beta", beta, low=0.0, high=10.0)

    def shape(t):
        if beta == 0:
            return 1 / (1 + t) ** 2
        return (t + t * t) ** beta / (1 + t + t * t) ** (1 + 1.5 * beta)

    Z = quad(shape, 0, 1)[0] * 2  # the density is symmetric under r -> 1/r (with Jacobian)
    return shape(r) / Z


def bbp_outlier(theta):
    """Largest eigenvalue of ``spiked_goe`` as N -> infinity: theta + 1/theta above theta = 1, else the edge 2."""
    theta = np.asarray(check_real_array("theta", theta, low=0.0), dtype=float)
    with np.errstate(divide="ignore"):
        out = np.where(theta > 1, theta + 1 / np.where(theta > 0, theta, 1), 2.0)
    return float(out) if out.ndim == 0 else out


def bbp_overlap(theta):
    """Squared overlap ``|<u, v>|^2`` of the top eigenvector with the spike: 1 - 1/theta^2 above theta = 1, else 0."""
    theta = np.asarray(check_real_array("theta", theta, low=0.0), dtype=float)
    with np.errstate(divide="ignore"):
        out = np.where(theta > 1, 1 - 1 / np.where(theta > 0, theta, 1) ** 2, 0.0)
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------
@njit(cache=True)
def _ratios(levels, out):
    total = 0.0
    for i in range(out.shape[0]):
        a = levels[i + 1] - levels[i]
        b = levels[i + 2] - levels[i + 1]
        hi = max(a, b)
        out[i] = min(a, b) / hi if hi > 0 else 1.0
        total += out[i]
    return total / out.shape[0]


@dataclass(frozen=True)
class SpacingRatios:
    """Ratios r_n = min(s_n, s_{n+1}) / max(s_n, s_{n+1}) of consecutive level spacings, and their mean."""

    ratios: np.ndarray
    mean: float


def spacing_ratios(eigenvalues):
    """Consecutive-spacing ratios of a spectrum (sorted here); no unfolding is needed.

    Parameters
    ----------
    eigenvalues : array_like, 1-D, at least 3 finite values

    Returns
    -------
    SpacingRatios
        ``mean`` is <r>: 0.386 for Poisson levels, 0.531 (GOE) and 0.600 (GUE) at large N.
    """
    levels = np.sort(check_real_array("eigenvalues", eigenvalues, ndim=1))
    if levels.size < 3:
        raise ValueError(f"eigenvalues must hold at least 3 levels, got {levels.size}")
    out = np.empty(levels.size - 2)
    mean = _ratios(levels, out)
    return SpacingRatios(ratios=out, mean=float(mean))


@njit(cache=True)
def _ipr_real(v, out):
    n, m = v.shape
    out[:] = 0.0
    for i in range(n):  # row by row: contiguous memory
        for k in range(m):
            p = v[i, k] * v[i, k]
            out[k] += p * p


@njit(cache=True)
def _ipr_complex(v, out):
    n, m = v.shape
    out[:] = 0.0
    for i in range(n):
        for k in range(m):
            p = v[i, k].real ** 2 + v[i, k].imag ** 2
            out[k] += p * p


def ipr(eigenvectors):
    """Inverse participation ratio ``sum_i |psi_i|^4`` of each column (normalized eigenvectors).

    1/N for a vector spread evenly over N sites, 1 for a vector on one site.

    Parameters
    ----------
    eigenvectors : array_like, shape (N,) or (N, M)
        One vector, or vectors as columns (as ``numpy.linalg.eigh`` returns them).

    Returns
    -------
    float or ndarray, shape (M,)
    """
    v = np.asarray(eigenvectors)
    if v.dtype.kind not in "fciu":
        raise TypeError(f"eigenvectors must be real or complex numbers, got dtype {v.dtype}")
    if v.ndim not in (1, 2) or v.shape[0] == 0:
        raise ValueError(f"eigenvectors must be a non-empty vector or matrix, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError("eigenvectors must be finite")
    single = v.ndim == 1
    v2 = np.ascontiguousarray(v.reshape(v.shape[0], -1))
    out = np.empty(v2.shape[1])
    if v2.dtype.kind == "c":
        _ipr_complex(v2.astype(np.complex128, copy=False), out)
    else:
        _ipr_real(v2.astype(np.float64, copy=False), out)
    return float(out[0]) if single else out


@dataclass(frozen=True)
class FractalDimension:
    """Outcome of :func:`fractal_dimension`: <IPR>(N) ~ N^-D2.

    ``ipr`` and ``ipr_error`` are the typical IPR exp<ln IPR> at each size and
    its standard error (relative); ``D2`` and ``D2_error`` come from a
    weighted straight-line fit of ln IPR against ln N; ``local`` holds the
    slopes between successive sizes (finite-size drift).
    """

    gamma: float
    sizes: np.ndarray
    ipr: np.ndarray
    ipr_error: np.ndarray
    D2: float
    D2_error: float
    local: np.ndarray
    seed: int


def fractal_dimension(gamma, sizes, *, samples=10, window=0.5, seed=None):
    """Fractal dimension D2 of Rosenzweig-Porter eigenvectors from the scaling of their IPR with N.

    For each size, ``samples`` matrices are diagonalized and the eigenvectors
    whose eigenvalues lie in the middle ``window`` fraction of the spectrum
    (away from the edges) are kept; ln IPR is averaged over them (the typical
    IPR). D2 = -d ln IPR / d ln N: 1 for ergodic vectors, 2 - gamma in the
    fractal phase, 0 for localized ones.

    Parameters
    ----------
    gamma : float in [0, 10]
    sizes : sequence of int >= 8, at least 2 distinct
    samples : int >= 1
    window : float in (0, 1]
    seed : int, optional

    Returns
    -------
    FractalDimension
    """
    gamma = check_real("gamma", gamma, low=0.0, high=10.0)
    sizes = np.unique(np.array([check_int("sizes", n, low=8, high=MAX_DENSE) for n in np.atleast_1d(sizes)]))
    if sizes.size < 2:
        raise ValueError(f"sizes must hold at least 2 distinct sizes, got {sizes.tolist()}")
    samples = check_int("samples", samples, low=1, high=10_000)
    window = check_real("window", window, low=0.0, high=1.0, low_open=True)
    if float(np.sum(sizes.astype(float) ** 3)) * samples > 2e12:
        raise ValueError("sizes and samples ask for over 2e12 operations of diagonalization; use fewer")
    seed = resolve_seed(seed)
    means, errors = [], []
    for j, N in enumerate(sizes):
        logs = []
        for s in range(samples):
            values, vectors = np.linalg.eigh(rosenzweig_porter(int(N), gamma, seed=seed + 7919 * j + s))
            lo = int(N * (1 - window) / 2)
            keep = slice(lo, max(lo + 1, N - lo))
            logs.append(np.log(ipr(vectors[:, keep])).mean())
        logs = np.array(logs)
        means.append(logs.mean())
        errors.append(logs.std(ddof=1) / math.sqrt(samples) if samples > 1 else 0.0)
    means, errors = np.array(means), np.array(errors)
    x = np.log(sizes.astype(float))
    w = 1 / np.maximum(errors, 1e-6) ** 2
    X = np.column_stack([np.ones_like(x), x])
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    coef = cov @ X.T @ (w * means)
    local = -np.diff(means) / np.diff(x)
    return FractalDimension(gamma=gamma, sizes=sizes, ipr=np.exp(means), ipr_error=errors, D2=float(-coef[1]),
                            D2_error=float(math.sqrt(cov[1, 1])), local=local, seed=seed)


# --------------------------------------------------------------------------
# Anderson localization
# --------------------------------------------------------------------------
@njit(cache=True)
def _transfer_lyapunov(energies, E, out_growth):
    """Growth rate of psi_{n+1} = (E - eps_n) psi_n - psi_{n-1}, renormalized every step."""
    a = 1.0
    b = 0.0
    total = 0.0
    for n in range(energies.shape[0]):
        c = (E - energies[n]) * a - b
        b = a
        a = c
        norm = math.sqrt(a * a + b * b)
        total += math.log(norm)
        a /= norm
        b /= norm
    out_growth[0] = total / energies.shape[0]


def localization_length(W, E=0.0, *, n=1_000_000, seed=None):
    """Localization length xi(E) of the 1-D Anderson model from the transfer-matrix Lyapunov exponent.

    xi = 1 / gamma with gamma the growth rate of the transfer-matrix product
    along n sites. For weak disorder, xi = 24 (4 - E^2) / W^2 (away from the
    band centre and edges; 105 / W^2 at E = 0).
    """
    W = check_real("W", W, low=0.0, low_open=True, high=1e6)
    E = check_real("E", E, low=-1e6, high=1e6)
    n = check_int("n", n, low=100, high=100_000_000)
    eps = rng(resolve_seed(seed)).uniform(-W / 2, W / 2, n)
    out = np.empty(1)
    _transfer_lyapunov(eps, E, out)
    return 1.0 / out[0]


@njit(cache=True)
def _crank_nicolson(psi, landscape, speed, dt, steps, every, out_msd, out_density, x0):
    """Crank-Nicolson steps of i dpsi/dt = H(t) psi on an open tight-binding chain
    (hopping 1). The on-site energy of site i at time t is landscape[(i - shift) mod N]
    with shift = floor(speed t): the disorder slides through the chain. Each step
    solves a tridiagonal system (Thomas algorithm); the scheme is unitary."""
    N = psi.shape[0]
    rhs = np.empty(N, np.complex128)
    cprime = np.empty(N, np.complex128)
    dprime = np.empty(N, np.complex128)
    V = np.empty(N)
    half = 0.5j * dt
    for t in range(steps + 1):
        if t % every == 0:
            k = t // every
            msd = 0.0
            for i in range(N):
                p = psi[i].real ** 2 + psi[i].imag ** 2
                msd += p * (i - x0) ** 2
                out_density[k, i] = p
            out_msd[k] = msd
        if t == steps:
            break
        shift = int(math.floor(speed * (t + 0.5) * dt))
        for i in range(N):
            V[i] = landscape[(i - shift) % N]
        # (1 + i dt H / 2) psi_new = (1 - i dt H / 2) psi
        for i in range(N):
            s = V[i] * psi[i]
            if i > 0:
                s += psi[i - 1]
            if i < N - 1:
                s += psi[i + 1]
            rhs[i] = psi[i] - half * s
        for i in range(N):
            diag = 1.0 + half * V[i]
            if i == 0:
                cprime[i] = half / diag
                dprime[i] = rhs[i] / diag
            else:
                m = diag - half * cprime[i - 1]
                cprime[i] = half / m
                dprime[i] = (rhs[i] - half * dprime[i - 1]) / m
        psi[N - 1] = dprime[N - 1]
        for i in range(N - 2, -1, -1):
            psi[i] = dprime[i] - cprime[i] * psi[i + 1]


@dataclass(frozen=True)
class Wavepacket:
    """Outcome of :func:`wavepacket_spreading`: the mean squared displacement ``msd`` (sites^2)
    and the density ``|psi_i|^2`` (``density[k]`` at time ``t[k]``)."""

    t: np.ndarray
    msd: np.ndarray
    density: np.ndarray
    seed: int


#: About 10 ns a site and time step.
MAX_WAVEPACKET_WORK = 1e9


def wavepacket_spreading(N, W, t_max, dt=0.05, *, speed=0.0, record_every=20, seed=None):
    """Spread of a wavepacket started on the middle site of a disordered chain, with static or moving disorder.

    The chain has N sites, hopping 1 and on-site energies drawn uniformly in
    [-W/2, W/2]. With ``speed`` > 0 the whole disorder landscape slides
    along the chain by one site every 1/speed time units (periodically
    wrapped), a caricature of disorder carried by a lattice wave. Time is in
    units of hbar / hopping.

    Returns
    -------
    Wavepacket
        With static disorder the MSD saturates at about the squared
        localization length; moving disorder lets the packet escape.
    """
    N = check_int("N", N, low=3, high=1_000_000)
    W = check_real("W", W, low=0.0, high=1e6)
    t_max = check_real("t_max", t_max, low=0.0, low_open=True, high=1e7)
    dt = check_real("dt", dt, low=0.0, low_open=True, high=1.0)
    speed = check_real("speed", speed, low=0.0, high=1e3)
    every = check_int("record_every", record_every, low=1)
    steps = int(round(t_max / dt))
    if float(N) * steps > MAX_WAVEPACKET_WORK:
        raise ValueError(f"N * steps = {float(N) * steps:.2g} exceeds {MAX_WAVEPACKET_WORK:.0e}; use a shorter "
                         "time, a larger dt or a smaller chain")
    if steps // every + 1 > 100_000 or (steps // every + 1) * N > 5e7:
        raise ValueError("record_every is too small: the density record would be too large")
    seed = resolve_seed(seed)
    landscape = rng(seed).uniform(-W / 2, W / 2, N)
    psi = np.zeros(N, np.complex128)
    psi[N // 2] = 1.0
    records = steps // every + 1
    msd = np.empty(records)
    density = np.empty((records, N))
    _crank_nicolson(psi, landscape, speed, dt, steps, every, msd, density, N // 2)
    return Wavepacket(t=np.arange(records) * every * dt, msd=msd, density=density, seed=seed)


def quantum_rem(n, field, *, seed=None):
    """The quantum random energy model on n spins: a 2^n x 2^n real symmetric matrix (n <= 12).

    H = E(sigma) - field * sum_i sigma^x_i in the basis of the 2^n spin
    configurations: independent Gaussian energies E(sigma) of variance n/2
    (Derrida's REM, extensive energies E = n eps) on the diagonal, and -field
    between configurations that differ by one spin flip: a particle hopping
    on the n-dimensional hypercube with random site energies.
    """
    n = check_int("n", n, low=1, high=12)
    field = check_real("field", field, low=0.0, high=1e6)
    dim = 1 << n
    h = np.zeros((dim, dim))
    h[np.diag_indices(dim)] = rng(resolve_seed(seed)).normal(0.0, math.sqrt(n / 2), dim)
    states = np.arange(dim)
    for bit in range(n):
        h[states, states ^ (1 << bit)] = -field
    return h


# --------------------------------------------------------------------------
# open chaotic cavity
# --------------------------------------------------------------------------
def cavity_intensities(N, M, samples, *, energy=0.0, seed=None):
    """Intensities ``|psi_n|^2`` inside an open chaotic cavity without time-reversal symmetry, normalized to mean 1.

    The cavity is a GUE matrix H (spectrum [-2, 2]) coupled to M channels by
    an N x M matrix W with independent complex Gaussian entries of variance
    1/N (at energy 0 this is perfect coupling, pi rho(0) W_a^dagger W_a = 1).
    A wave fed into channel 1 at ``energy`` gives the stationary state
    psi = (E - H + i pi W W^dagger)^-1 W e_1; every site n of every sample
    contributes one intensity, and all are divided by their overall mean.
    (Not by each sample's own mean: the large intensities come from samples
    with a narrow resonance near E, which raises the whole sample.)

    Returns
    -------
    ndarray, shape (samples * N,)
    """
    N = check_int("N", N, low=2, high=2000)
    M = check_int("M", M, low=1, high=N)
    samples = check_int("samples", samples, low=1, high=1_000_000)
    energy = check_real("energy", energy, low=-2.0, high=2.0, low_open=True, high_open=True)
    if float(samples) * N**3 > 5e11:
        raise ValueError(f"samples * N^3 = {float(samples) * N**3:.2g} is too much work (limit 5e11)")
    gen = rng(resolve_seed(seed))
    out = []
    batch = max(1, min(samples, int(2e7 // (N * N))))
    done = 0
    while done < samples:
        b = min(batch, samples - done)
        H = _gue_stack(gen, b, N)
        Wc = (gen.standard_normal((b, N, M)) + 1j * gen.standard_normal((b, N, M))) / math.sqrt(2 * N)
        A = energy * np.eye(N) - H + 1j * np.pi * Wc @ np.conj(np.swapaxes(Wc, 1, 2))
        psi = np.linalg.solve(A, Wc[:, :, :1])[:, :, 0]
        I = np.abs(psi) ** 2
        out.append(I.ravel())
        done += b
    intensities = np.concatenate(out)
    return intensities / intensities.mean()
