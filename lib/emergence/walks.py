"""Random walks, first passage, persistence, aggregation, random advection and
stochastic acceleration.

Walk conventions
----------------
* A walk starts at x_0 = 0 and adds independent jumps. The jump laws
  (:data:`JUMPS`) with a variance are scaled to variance 1, so that
  <x_n^2> = n (diffusion constant D = 1/2 per step): ``"gaussian"`` N(0, 1),
  ``"uniform"`` on [-sqrt 3, sqrt 3], ``"laplace"`` with density
  exp(-sqrt(2) abs(x)) / sqrt(2), ``"lattice"`` +-1 with probability 1/2. The
  ``"cauchy"`` jump has density 1 / (pi (1 + x^2)) and no variance.
* "Survival to step k" means x_1, ..., x_k > 0 *strictly*. For continuous
  jumps ties have probability zero; for the lattice walk a walker standing on
  0 has not stayed positive.
* Times of continuous processes are in the units of their rate parameters;
  a stationary Gaussian process has unit variance and correlation rho(t).
* Coagulation and exchange concentrations are per unit volume, starting from
  monomers at c_1(0) = 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy import integrate, optimize, sparse
from scipy.sparse import linalg as sparse_linalg
from scipy.special import gammaln

from ._validation import check_bool, check_choice, check_int, check_real, check_real_array, check_work
from ._xoshiro import below, normal, uniform
from .random import kernel_state, resolve_seed, rng, seeded
from .stats import linear_fit

#: name -> kernel code
JUMPS = {"gaussian": 0, "uniform": 1, "laplace": 2, "cauchy": 3, "lattice": 4}
#: Elementary updates of about ten seconds.
MAX_WORK = 3e9
#: Values kept in memory by one call (about 200 MB of float64).
MAX_VALUES = 25_000_000
COAGULATION_KERNELS = ("constant", "additive")


# --------------------------------------------------------------------------
# walks and first passage
# --------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _jump(code, s, spare):
    """One jump; ``spare`` (float64[2]: flag, value) keeps the polar method's second Gaussian for the next call."""
    if code == 0:
        if spare[0] == 1.0:
            spare[0] = 0.0
            return spare[1]
        # Marsaglia's polar method: two Gaussians for one logarithm and one square root, no trigonometry
        while True:
            u = 2.0 * uniform(s) - 1.0
            v = 2.0 * uniform(s) - 1.0
            r2 = u * u + v * v
            if 0.0 < r2 < 1.0:
                break
        factor = math.sqrt(-2.0 * math.log(r2) / r2)
        spare[0] = 1.0
        spare[1] = v * factor
        return u * factor
    if code == 1:
        return math.sqrt(3.0) * (2.0 * uniform(s) - 1.0)
    if code == 2:
        size = -math.log(1.0 - uniform(s)) / math.sqrt(2.0)
        return size if uniform(s) < 0.5 else -size
    if code == 3:
        return math.tan(math.pi * (uniform(s) - 0.5))
    return 1.0 if uniform(s) < 0.5 else -1.0


@njit(cache=True)
def _paths(code, n, walkers, state, out):
    spare = np.zeros(2)
    for w in range(walkers):
        x = 0.0
        out[w, 0] = 0.0
        for k in range(1, n + 1):
            x += _jump(code, state, spare)
            out[w, k] = x


@njit(cache=True)
def _survivors(code, n, walkers, state, counts):
    """counts[k] += number of walkers with x_1..x_k > 0; each walk stops at its first x <= 0."""
    spare = np.zeros(2)
    for _ in range(walkers):
        x = 0.0
        counts[0] += 1
        for k in range(1, n + 1):
            x += _jump(code, state, spare)
            if x <= 0.0:
                break
            counts[k] += 1


def _check_jumps(jumps):
    return JUMPS[check_choice("jumps", jumps, JUMPS)]


def random_walk(n, *, walkers=1, jumps="gaussian", seed=None):
    """Positions of independent random walks started at 0.

    Parameters
    ----------
    n : int
        Number of steps, 1 to 10**7.
    walkers : int
        Number of independent walks.
    jumps : str
        Jump law, one of :data:`JUMPS` (unit variance except ``"cauchy"``).
    seed : int or None

    Returns
    -------
    SeededArray, shape (walkers, n + 1)
        ``x[w, k]`` is walker w's position after k steps; ``x[:, 0] = 0``.
    """
    n = check_int("n", n, low=1, high=10**7)
    walkers = check_int("walkers", walkers, low=1, high=10**7)
    code = _check_jumps(jumps)
    if walkers * (n + 1) > MAX_VALUES:
        raise ValueError(f"walkers * (n + 1) = {walkers * (n + 1)} positions exceed the memory limit {MAX_VALUES}")
    seed = resolve_seed(seed)
    out = np.empty((walkers, n + 1))
    _paths(code, n, walkers, kernel_state(seed), out)
    return seeded(out, seed)


def survival_probability(n, *, jumps="gaussian", walkers=100_000, seed=None):
    """Fraction of walkers that stayed strictly positive, S(k) = P(x_1 > 0, ..., x_k > 0).

    Each walk is followed only until its first step to x <= 0, so the cost is
    about ``walkers * sqrt(n)`` jumps, not ``walkers * n``.

    Parameters
    ----------
    n : int
        Largest number of steps, 1 to 10**8.
    jumps : str
        One of :data:`JUMPS`. For ``"lattice"`` a walker that returns to 0
        counts as not positive (the strict convention); its survival is
        :func:`lattice_survival`, about 1/sqrt 2 of the continuous one.
    walkers : int
    seed : int or None

    Returns
    -------
    SeededArray, shape (n + 1,)
        S(0) = 1, S(1), ..., S(n). Its statistical error is
        sqrt(S (1 - S) / walkers).
    """
    n = check_int("n", n, low=1, high=10**8)
    walkers = check_int("walkers", walkers, low=1, high=10**9)
    code = _check_jumps(jumps)
    check_work("survival_probability (walkers * sqrt(n))", walkers * (1.0 + 1.2 * math.sqrt(n)), MAX_WORK)
    seed = resolve_seed(seed)
    counts = np.zeros(n + 1, dtype=np.int64)
    _survivors(code, n, walkers, kernel_state(seed), counts)
    return seeded(counts / walkers, seed)


def sparre_andersen(n):
    """The universal survival C(2k, k) / 4^k, k = 0..n, of every continuous symmetric walk.

    Sparre Andersen's theorem: for independent jumps with a continuous symmetric
    law, P(x_1 > 0, ..., x_k > 0) does not depend on the law. For large k it is
    1 / sqrt(pi k).

    Returns
    -------
    ndarray, shape (n + 1,)
    """
    n = check_int("n", n, low=0, high=10**8)
    k = np.arange(1, n + 1)
    return np.concatenate([[1.0], np.cumprod((2 * k - 1) / (2 * k))])


def lattice_survival(n):
    """Exact survival of the simple +-1 walk with the strict convention: S(k) = u(floor(k/2)) / 2 for k >= 1.

    ``u`` is :func:`sparre_andersen`. The walk spends even times on even
    sites, so S(2m - 1) = S(2m - 2); asymptotically S(k) ~ 1/sqrt(2 pi k),
    a factor 1/sqrt 2 below the continuous law.
    """
    n = check_int("n", n, low=0, high=10**8)
    u = sparre_andersen(n // 2)
    out = 0.5 * u[np.arange(n + 1) // 2]
    out[0] = 1.0
    return out


def positive_steps_distribution(n):
    """Exact law of the number of positive positions among x_1..x_n of a continuous symmetric walk.

    P(N_n = j) = u_j u_{n-j} with u_j = C(2j, j) / 4^j (Sparre Andersen). For
    large n, N_n / n follows the arcsine law (:func:`arcsine_density`).

    Returns
    -------
    ndarray, shape (n + 1,)
        Probabilities of j = 0..n positive steps; they sum to 1.
    """
    n = check_int("n", n, low=1, high=10**7)
    u = sparre_andersen(n)
    return u * u[::-1]


def arcsine_density(f):
    """The arcsine density 1 / (pi sqrt(f (1 - f))) of the fraction of time spent positive."""
    f = check_real_array("f", f, low=0.0, high=1.0)
    with np.errstate(divide="ignore"):
        return 1.0 / (np.pi * np.sqrt(f * (1.0 - f)))


# --------------------------------------------------------------------------
# persistence of stationary Gaussian processes
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class PersistenceResult:
    """Persistence of a stationary Gaussian process.

    Attributes
    ----------
    t : ndarray
        Window lengths.
    survival : ndarray
        P(no zero crossing in a window of length t); for :func:`ou_persistence`
        the window starts at a time where the process is positive.
    error : ndarray
        Standard error of ``survival`` (from independent batches).
    theta, theta_error : float
        Persistence exponent, survival ~ exp(-theta t), fitted on the last
        60 % of ``t``, and its jackknife standard error over independent
        batches (10 for the OU process, one per path otherwise).
    intervals : ndarray
        Lengths of the complete excursions above zero (smooth processes only;
        empty for the OU process, whose zeros accumulate).
    seed : int
    """

    t: np.ndarray
    survival: np.ndarray
    error: np.ndarray
    theta: float
    theta_error: float
    intervals: np.ndarray
    seed: int


def _fit_theta(t, curves):
    """theta from the slope of log survival over the last 60 % of t, with a jackknife error over the batches."""
    window = t >= t[0] + 0.4 * (t[-1] - t[0])

    def theta(survival):
        ok = window & (survival > 0)
        if ok.sum() < 3:
            raise ValueError("too few surviving samples to fit the persistence exponent; "
                             "use more samples or a shorter t_max")
        return -linear_fit(t[ok], np.log(survival[ok])).slope

    n = len(curves)
    left_out = np.array([theta((curves.sum(axis=0) - c) / (n - 1)) for c in curves])
    error = math.sqrt((n - 1) / n * np.sum((left_out - left_out.mean()) ** 2))
    return float(theta(curves.mean(axis=0))), float(error)


@njit(cache=True)
def _ou_survival(a, bridge, n, samples, state, out):
    """Add each sample's probability of no zero crossing up to every step to out (exact bridge weights)."""
    noise = math.sqrt(1.0 - a * a)
    for _ in range(samples):
        x = abs(normal(state))
        w = 1.0
        out[0] += 1.0
        for k in range(1, n + 1):
            y = a * x + noise * normal(state)
            if y <= 0.0:
                break
            w *= 1.0 - math.exp(-x * y / bridge)
            out[k] += w
            x = y


def ou_persistence(rate, t_max, *, dt, samples, seed=None):
    """Persistence of the stationary Ornstein-Uhlenbeck process, correlation exp(-rate t).

    The process is sampled exactly at steps dt (x' = a x + sqrt(1 - a^2) xi,
    a = exp(-rate dt)), starting from its stationary law conditioned on x > 0.
    Between two positive samples x, y the path may still have touched zero;
    the OU process is a time-changed Brownian motion, whose bridge crosses
    zero with probability exp(-x y / sinh(rate dt)) exactly. Each sample's
    survival is the product of the complementary probabilities, so the
    estimate has no time-step bias. The exact answer is
    :func:`ou_persistence_exact`, and theta = ``rate``.

    Parameters
    ----------
    rate : float
        Decay rate lambda > 0 of the correlation.
    t_max : float
        Longest window, at most 40 / rate (the survival is then 1e-17).
    dt : float
        Sampling step, 0 < dt <= t_max / 10.
    samples : int
        Number of independent paths (at least 100).
    seed : int or None
    """
    rate = check_real("rate", rate, low=0.0, low_open=True)
    t_max = check_real("t_max", t_max, low=0.0, high=40.0 / rate, low_open=True)
    dt = check_real("dt", dt, low=0.0, high=t_max / 10, low_open=True)
    samples = check_int("samples", samples, low=100, high=10**9)
    n = int(round(t_max / dt))
    check_work("ou_persistence (samples * steps survived)", samples * min(n, 2.0 / (rate * dt)), MAX_WORK)
    seed = resolve_seed(seed)
    batches = 10
    sums = np.zeros((batches, n + 1))
    state = kernel_state(seed)
    a, bridge = math.exp(-rate * dt), math.sinh(rate * dt)
    for b in range(batches):
        _ou_survival(a, bridge, n, samples // batches + (b < samples % batches), state, sums[b])
    per_batch = sums / sums[:, :1]
    survival = sums.sum(axis=0) / sums[:, 0].sum()
    t = dt * np.arange(n + 1)
    theta, theta_error = _fit_theta(t, per_batch)
    error = per_batch.std(axis=0, ddof=1) / math.sqrt(batches)
    return PersistenceResult(t, survival, error, theta, theta_error, np.empty(0), seed)


def ou_persistence_exact(rate, t):
    """P(no zero of the stationary OU process in [0, t], given x(0) > 0) = (2/pi) arcsin(exp(-rate t)).

    It follows from Brownian motion's arcsine law for the zeros, through
    x(t) = exp(-rate t) B(exp(2 rate t)).
    """
    rate = check_real("rate", rate, low=0.0, low_open=True)
    t = check_real_array("t", t, low=0.0)
    return 2.0 / np.pi * np.arcsin(np.exp(-rate * t))


def diffusion_correlation(T, d=1):
    """Correlation sech(T/2)^(d/2) of the diffusion equation's field at one point, in log-time T.

    A field started from white noise and evolved by the d-dimensional diffusion
    equation is, at a fixed point and in the variable T = ln t, a stationary
    Gaussian process with this correlation. Its persistence exponent is about
    0.1207 for d = 1 and 0.1875 for d = 2 (simulations of Majumdar, Sire, Bray
    and Cornell).
    """
    T = check_real_array("T", T)
    d = check_int("d", d, low=1, high=100)
    a = np.exp(-np.abs(T) / 2)
    return (2 * a / (1 + a * a)) ** (d / 2)  # sech, without overflow


def _correlation_values(correlation, t):
    if not callable(correlation):
        raise TypeError(f"correlation must be a callable rho(t), got {type(correlation).__name__}")
    rho = np.asarray(correlation(t), dtype=float)
    if rho.shape != t.shape or not np.all(np.isfinite(rho)):
        raise ValueError("correlation(t) must return finite values of the same shape as t")
    if abs(rho[0] - 1.0) > 1e-9 or np.any(np.abs(rho) > 1.0 + 1e-9):
        raise ValueError("correlation must have rho(0) = 1 and |rho(t)| <= 1 (a unit-variance process)")
    return rho


def _circulant_paths(rho, paths, generator):
    """Stationary Gaussian sequences with covariance rho[0..n-1] by circulant embedding (pairs per FFT)."""
    n = rho.size
    first_row = np.concatenate([rho, rho[-2:0:-1]])
    eigen = np.fft.fft(first_row).real
    if eigen.min() < -1e-6 * eigen.max():
        raise ValueError("the correlation is not positive definite on this grid (circulant embedding failed); "
                         "make t_max or the path length longer than the correlation time")
    scale = np.sqrt(np.clip(eigen, 0.0, None) / eigen.size)
    out = []
    for _ in range((paths + 1) // 2):
        z = np.fft.fft(scale * (generator.standard_normal(eigen.size) + 1j * generator.standard_normal(eigen.size)))
        out.extend([z.real[:n], z.imag[:n]])
    return out[:paths]


def _excursions(x, dt):
    """Lengths of the complete excursions above and below zero, zeros placed by linear interpolation."""
    sign = x > 0
    k = np.flatnonzero(sign[1:] != sign[:-1])
    zeros = dt * (k + x[k] / (x[k] - x[k + 1]))
    lengths = np.diff(zeros)
    above = sign[k[:-1] + 1]
    return lengths[above], lengths[~above]


def gaussian_persistence(correlation, t_max, *, dt, length, paths, seed=None):
    """Persistence and excursion lengths of a smooth stationary Gaussian process, from long sampled paths.

    Paths of ``length`` time units are drawn exactly on a grid of step ``dt``
    by circulant embedding (FFT). Zeros are located by linear interpolation.
    From the complete intervals tau_i between zeros, the probability that a
    window of length t placed at a random time contains no zero is
    sum_i max(tau_i - t, 0) / sum_i tau_i.

    A smooth process has a finite density of zeros, so for dt much smaller
    than the mean interval pairs of zeros inside one step are rare; a rough
    process (OU) is not suitable: use :func:`ou_persistence`.

    Parameters
    ----------
    correlation : callable
        Vectorised rho(t), rho(0) = 1.
    t_max : float
        Longest window.
    dt : float
        Grid step, at most t_max / 10.
    length : float
        Length of each path, at least 20 t_max.
    paths : int
        Number of independent paths (at least 4; split into batches for errors).
    seed : int or None
    """
    t_max = check_real("t_max", t_max, low=0.0, low_open=True)
    dt = check_real("dt", dt, low=0.0, high=t_max / 10, low_open=True)
    length = check_real("length", length, low=20 * t_max)
    paths = check_int("paths", paths, low=4, high=10**5)
    n = int(round(length / dt))
    if n > 2**24:
        raise ValueError(f"length / dt = {n} grid points per path exceed the limit 2**24")
    check_work("gaussian_persistence (paths * grid points)", 20.0 * paths * n, MAX_WORK)
    rho = _correlation_values(correlation, dt * np.arange(n))
    seed = resolve_seed(seed)
    generator = rng(seed)
    t = np.linspace(0.0, t_max, 201)
    batches, above_all = [], []
    for x in _circulant_paths(rho, paths, generator):
        above, below_ = _excursions(x, dt)
        above_all.append(above)
        tau = np.concatenate([above, below_])
        batches.append(np.array([np.clip(tau - s, 0.0, None).sum() for s in t]) / tau.sum())
    batches = np.array(batches)
    theta, theta_error = _fit_theta(t, batches)
    error = batches.std(axis=0, ddof=1) / math.sqrt(paths)
    return PersistenceResult(t, batches.mean(axis=0), error, theta, theta_error, np.concatenate(above_all), seed)


def _clipped(correlation, t):
    return 2.0 / np.pi * np.arcsin(np.clip(correlation(t), -1.0, 1.0))


def _time_scale(correlation):
    """A time where rho has dropped to about 1/2, found by doubling: the scale for derivatives and integrals."""
    s = 1e-6
    while s < 1e6 and correlation(np.array([s]))[0] > 0.5:
        s *= 2
    return s


def rice_mean_interval(correlation):
    """Mean interval between zeros, pi / sqrt(-rho''(0)) (Rice's formula); 0 for a rough process.

    ``rho''(0)`` is taken by a finite difference at 1e-3 of the correlation
    time. A process with rho(t) = 1 - a abs(t) + ... (OU) has infinitely many zeros
    in any interval, and this returns 0.
    """
    _correlation_values(correlation, np.array([0.0, 1.0]))
    s = _time_scale(correlation)
    h = 1e-3 * s
    curv = [2.0 * (1.0 - correlation(np.array([x]))[0]) / x**2 for x in (h, h / 2)]
    if curv[1] > 1.5 * curv[0]:  # 1 - rho ~ |t|: the curvature estimate doubles when h halves
        return 0.0
    return float(np.pi / math.sqrt(curv[1]))


def iia_persistence(correlation):
    """The independent-interval approximation's persistence exponent theta for a correlation rho(t).

    The sign of the process is replaced by a switching process with
    independent intervals whose clipped correlation A(t) = (2/pi) arcsin rho(t)
    and mean interval (:func:`rice_mean_interval`) match. theta is the root of

        1 - (theta <tau> / 2) (1 + theta int_0^inf exp(theta t) A(t) dt) = 0 .

    For a rough process (<tau> = 0) it is the decay rate of A(t), which for
    the Markovian OU process, rho = exp(-lambda t), is lambda: there the IIA
    is exact. ``rho`` must decay at least exponentially.
    """
    mean = rice_mean_interval(correlation)
    s = _time_scale(correlation)
    far = np.array([20.0 * s, 40.0 * s, 80.0 * s])
    tail = np.abs(correlation(far))
    rates = np.log(tail[:-1] / tail[1:]) / np.diff(far) if np.all(tail > 1e-250) else np.array([1.0, np.inf])
    # an exponential tail has one decay rate on both stretches; a faster (Gaussian) tail has none
    decay = float(rates[1]) if abs(rates[1] - rates[0]) < 0.05 * rates[1] else math.inf
    if mean == 0.0:
        if not math.isfinite(decay):
            raise ValueError("a rough correlation (rho = 1 - a|t| + ...) needs an exponential tail for the IIA")
        return decay

    end = 60.0 * s
    grid = np.linspace(0.0, end, 60_001)
    clipped = _clipped(correlation, grid)

    def laplace(theta):
        value = integrate.simpson(np.exp(theta * grid) * clipped, x=grid)
        if math.isfinite(decay):  # the exponential tail beyond `end`, integrated exactly
            value += math.exp(theta * end) * clipped[-1] / (decay - theta)
        return value

    def equation(theta):
        return 1.0 - 0.5 * theta * mean * (1.0 + theta * laplace(theta))

    if math.isfinite(decay):
        high = decay * (1.0 - 1e-3)
        while equation(high) > 0:  # laplace diverges at the decay rate: approach it until the sign changes
            high = decay - (decay - high) / 10
            if decay - high < 1e-12 * decay:
                raise ValueError("no IIA root below the decay rate of the correlation")
    else:
        high = 1.0 / s
        while equation(high) > 0:
            high *= 2
            if high > 1e6 / s:
                raise ValueError("no IIA root found")
    return float(optimize.brentq(equation, 1e-9 * high, high, xtol=1e-12 * high))


def iia_interval_moments(correlation):
    """Mean and variance of the interval between zeros in the IIA: (<tau>, 2 <tau> int_0^inf A(t) dt).

    They follow from the small-s expansion of the IIA's interval Laplace
    transform; for independent exponential intervals the variance is <tau>^2.
    """
    mean = rice_mean_interval(correlation)
    grid = np.linspace(0.0, 200.0 * _time_scale(correlation), 200_001)
    area = integrate.simpson(_clipped(correlation, grid), x=grid)
    return mean, float(2.0 * mean * area)


# --------------------------------------------------------------------------
# aggregation: Smoluchowski coagulation and exchange-driven growth
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class ClusterResult:
    """Cluster concentrations ``c[i, k - first]`` of size k at time ``t[i]``, sizes ``k``."""

    t: np.ndarray
    k: np.ndarray
    c: np.ndarray

    @property
    def mass(self):
        """Total mass sum_k k c_k at each time."""
        return self.c @ self.k

    @property
    def number(self):
        """Total number of clusters sum_k c_k at each time."""
        return self.c.sum(axis=1)


@dataclass(frozen=True)
class ParticleClusterResult(ClusterResult):
    """A :class:`ClusterResult` averaged over runs, with each run's concentrations ``c_runs`` and the ``seed``."""

    c_runs: np.ndarray
    seed: int


def _check_times(t):
    t = np.atleast_1d(check_real_array("t", t, low=0.0))
    if t.ndim != 1 or np.any(np.diff(t) < 0):
        raise ValueError("t must be a non-decreasing 1-D array of times")
    return t


def _coagulation_rhs(kernel, k_max):
    """Right-hand side of the truncated Smoluchowski equation; merges beyond k_max have rate zero."""
    k = np.arange(1, k_max + 1, dtype=float)

    def partners(weights):
        # sum over j <= k_max - k of weights_j, for each size k
        return np.concatenate([np.cumsum(weights)[-2::-1], [0.0]])

    def rhs(_, c):
        gain = np.zeros(k_max)
        gain[1:] = 0.5 * np.convolve(c, c)[: k_max - 1]
        if kernel == "constant":
            return gain - c * partners(c)
        # K = i + j: the gain is (k/2) sum_{i+j=k} c_i c_j; the loss c_k (k sum c_j + sum j c_j)
        return k * gain - c * (k * partners(c) + partners(k * c))

    return rhs


def coagulation(t, k_max, *, kernel="constant"):
    """Smoluchowski coagulation from monomers, truncated at clusters of size k_max.

    dc_k/dt = (1/2) sum_{i+j=k} K_ij c_i c_j - c_k sum_j K_kj c_j, with
    c_k(0) = delta_{k1}. Merges that would make a cluster larger than k_max
    are switched off, which keeps the truncated system's mass exactly 1 (the
    finite-dimensional truncation through which the infinite system's
    solutions are constructed). Choose k_max so that c_{k_max} is negligible.

    Parameters
    ----------
    t : float or array_like
        Non-negative, non-decreasing output times.
    k_max : int
        Largest cluster size, 2 to 3000.
    kernel : str
        ``"constant"`` (K = 1) or ``"additive"`` (K = i + j).

    Returns
    -------
    ClusterResult
        Sizes k = 1..k_max.
    """
    t = _check_times(t)
    k_max = check_int("k_max", k_max, low=2, high=3000)
    check_choice("kernel", kernel, COAGULATION_KERNELS)
    c0 = np.zeros(k_max)
    c0[0] = 1.0
    sol = integrate.solve_ivp(_coagulation_rhs(kernel, k_max), (0.0, float(t[-1])), c0, t_eval=t,
                              method="DOP853", rtol=1e-11, atol=1e-15)
    if not sol.success:
        raise RuntimeError(f"coagulation: the ODE solver failed ({sol.message})")
    return ClusterResult(t, np.arange(1, k_max + 1), sol.y.T.copy())


def coagulation_exact(t, k, *, kernel="constant"):
    """Exact Smoluchowski concentrations from monomers (infinite system).

    * constant, K = 1: c_k = (1 + t/2)^-2 (t / (2 + t))^(k - 1);
    * additive, K = i + j: c_k = k^(k-1)/k! e^-t (1 - e^-t)^(k-1) exp(-k (1 - e^-t)).

    ``t`` and ``k`` broadcast against each other.
    """
    t = check_real_array("t", t, low=0.0)
    k = np.asarray(k)
    if not np.issubdtype(k.dtype, np.integer) or np.any(k < 1):
        raise ValueError("k must be integers >= 1")
    check_choice("kernel", kernel, COAGULATION_KERNELS)
    if kernel == "constant":
        return (1 + t / 2) ** -2 * (t / (2 + t)) ** (k - 1)
    g = -np.expm1(-t)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_c = (k - 1) * np.log(k) - gammaln(k + 1) - t + (k - 1) * np.log(g) - k * g
    return np.where(k == 1, np.exp(-t - g), np.where(g > 0, np.exp(log_c), 0.0))


@njit(cache=True)
def _coagulate_particles(sizes, additive, times, volume, state, counts, k_max):
    n = sizes.size
    time = 0.0
    i_out = 0
    mass = sizes.sum()
    biggest = sizes.max()
    while i_out < times.size:
        if n > 1:
            if additive:
                rate = (n - 1) * mass / volume
            else:
                rate = 0.5 * n * (n - 1) / volume
            time += -math.log(1.0 - uniform(state)) / rate
        else:
            time = math.inf
        while i_out < times.size and times[i_out] < time:
            for j in range(n):
                if sizes[j] <= k_max:
                    counts[i_out, sizes[j] - 1] += 1
            i_out += 1
        if i_out == times.size:
            break
        if additive:
            # pair {a, b} with probability (s_a + s_b) / ((n - 1) M): a by size (rejection), b uniform among the rest
            while True:
                a = below(state, n)
                if uniform(state) * biggest < sizes[a]:
                    break
        else:
            a = below(state, n)
        b = below(state, n - 1)
        if b >= a:
            b += 1
        sizes[a] += sizes[b]
        biggest = max(biggest, sizes[a])
        sizes[b] = sizes[n - 1]
        n -= 1


def coagulation_particles(n_particles, t, k_max, *, kernel="constant", runs=1, seed=None):
    """Gillespie simulation of coagulation of ``n_particles`` monomers in volume V = n_particles.

    Each pair of clusters merges at rate K_ij / V, so the concentrations
    count_k / V follow the Smoluchowski equation (:func:`coagulation`) as
    n_particles -> infinity, with corrections of order 1 / n_particles.

    Parameters
    ----------
    n_particles : int
        Number of monomers, 2 to 10**7.
    t : array_like
        Non-decreasing output times.
    k_max : int
        Largest size recorded.
    kernel : str
        ``"constant"`` or ``"additive"``.
    runs : int
        Independent runs, averaged; ``c_runs`` in the result keeps each.
    seed : int or None

    Returns
    -------
    ParticleClusterResult
        The mean over runs, each run's ``c_runs`` (runs, times, k_max) and ``seed``.
    """
    n_particles = check_int("n_particles", n_particles, low=2, high=10**7)
    t = _check_times(t)
    k_max = check_int("k_max", k_max, low=1, high=n_particles)
    check_choice("kernel", kernel, COAGULATION_KERNELS)
    runs = check_int("runs", runs, low=1, high=10**5)
    check_work("coagulation_particles (runs * n_particles)", 20.0 * runs * n_particles, MAX_WORK)
    seed = resolve_seed(seed)
    state = kernel_state(seed)
    counts = np.zeros((runs, t.size, k_max))
    for r in range(runs):
        _coagulate_particles(np.ones(n_particles, dtype=np.int64), kernel == "additive", t, float(n_particles),
                             state, counts[r], k_max)
    c_runs = counts / n_particles
    return ParticleClusterResult(t, np.arange(1, k_max + 1), c_runs.mean(axis=0), c_runs, seed)


def exchange_growth(t, k_max, *, isolated=False):
    """Exchange-driven growth with a constant kernel, from monomers, truncated at size k_max.

    A unit of mass hops from any cluster of size i >= 1 to any other cluster at
    rate 1 per pair. In the *isolated* model, clusters emptied by a hop stay as
    size-0 clusters that can receive again, so both cluster number and mass are
    conserved; the system relaxes to c_k = 2^-(k+1), k >= 0. In the
    *non-isolated* model empty clusters disappear: only mass is conserved, and
    the clusters grow without end, with typical size ~ t^(1/3) and number
    ~ t^(-1/3) (:func:`exchange_growth_scaling`). Clusters of size k_max do not
    receive, which keeps the truncated mass exact.

    Returns
    -------
    ClusterResult
        Sizes k = 0..k_max if ``isolated`` else 1..k_max.
    """
    t = _check_times(t)
    k_max = check_int("k_max", k_max, low=2, high=20_000)
    isolated = check_bool("isolated", isolated)
    first = 0 if isolated else 1

    def rhs(_, c):
        donors = c[1 - first:].sum()       # clusters of size >= 1
        receivers = c.sum() - c[-1]       # every cluster but the full ones
        out = -(receivers * c)             # donations
        if isolated:
            out[0] = 0.0                   # empty clusters do not donate
        out[:-1] -= donors * c[:-1]        # receptions
        out[:-1] += receivers * c[1:]      # a cluster of size k+1 donates and becomes size k
        out[1:] += donors * c[:-1]         # a cluster of size k-1 receives
        return out

    c0 = np.zeros(k_max + 1 - first)
    c0[1 - first] = 1.0
    sol = integrate.solve_ivp(rhs, (0.0, float(t[-1])), c0, t_eval=t, method="LSODA", rtol=1e-10, atol=1e-14)
    if not sol.success:
        raise RuntimeError(f"exchange_growth: the ODE solver failed ({sol.message})")
    return ClusterResult(t, np.arange(first, k_max + 1), sol.y.T.copy())


def exchange_growth_scaling(t, k):
    """Large-time scaling form of non-isolated constant-kernel exchange growth.

    Each cluster's size does a symmetric random walk at rate N(t) (the number
    of clusters) up and down, absorbed at 0. In the continuum limit, with
    tau = int N dt, c(k, t) = k exp(-k^2 / (4 tau)) / (2 sqrt(pi) tau^(3/2))
    and tau = (3 t / (2 sqrt pi))^(2/3): sizes grow as t^(1/3).
    """
    t = check_real_array("t", t, low=0.0, low_open=True)
    k = check_real_array("k", k, low=0.0)
    tau = (1.5 * t / math.sqrt(math.pi)) ** (2.0 / 3.0)
    return k * np.exp(-k**2 / (4 * tau)) / (2 * math.sqrt(math.pi) * tau**1.5)


# --------------------------------------------------------------------------
# random advection and diffusion of mass on a ring
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class MassTransferResult:
    """The field of :func:`mass_transfer`: ``mass`` at the end, ``history`` (records, L) every ``record_every`` steps."""

    mass: np.ndarray
    history: np.ndarray
    seed: int


@njit(cache=True)
def _mass_transfer(m, steps, diffusion, injection, record_every, history, state):
    L = m.size
    new = np.empty(L)
    rec = 0
    bits, left = 0, 0
    for step in range(1, steps + 1):
        new[:] = 0.0
        for i in range(L):
            if left == 0:  # 32 random directions from one draw
                bits = int(uniform(state) * 4294967296.0)
                left = 32
            down = i - 1 if i > 0 else L - 1
            up = i + 1 if i < L - 1 else 0
            target = up if bits & 1 else down
            bits >>= 1
            left -= 1
            if diffusion == 0.0:
                new[target] += m[i]
            else:
                new[target] += (1.0 - diffusion) * m[i]
                new[up] += 0.5 * diffusion * m[i]
                new[down] += 0.5 * diffusion * m[i]
        for i in range(L):
            m[i] = new[i] + injection
        if record_every > 0 and step % record_every == 0:
            history[rec] = m
            rec += 1


def mass_transfer(L, steps, *, diffusion=0.0, injection=1.0, initial=None, record_every=0, seed=None):
    """Random advection and diffusion of a mass field on a ring of L sites.

    Each step every site i sends the fraction 1 - D of its mass to one
    neighbour chosen at random (random advection: masses that meet merge) and
    D/2 to each neighbour (diffusion, deterministic); then ``injection`` is
    added to every site. D = 0 with injection is Takayasu's aggregation
    model, whose stationary mass distribution has the tail P(m) ~ m^(-4/3)
    up to a cut-off growing as steps^(3/2); D = 1 is pure diffusion and keeps
    a uniform field uniform. Without injection the total mass is conserved
    (exactly for integer masses and D = 0, to rounding otherwise).

    Parameters
    ----------
    L : int
        Sites, 3 to 10**7.
    steps : int
        Time steps.
    diffusion : float
        D in [0, 1].
    injection : float
        Mass added to every site each step, >= 0.
    initial : array_like, optional
        Non-negative initial masses (default all zero).
    record_every : int
        Keep the field every this many steps (0: only the end).
    seed : int or None
    """
    L = check_int("L", L, low=3, high=10**7)
    steps = check_int("steps", steps, low=0)
    diffusion = check_real("diffusion", diffusion, low=0.0, high=1.0)
    injection = check_real("injection", injection, low=0.0)
    record_every = check_int("record_every", record_every, low=0)
    check_work("mass_transfer (L * steps)", 4.0 * L * steps, MAX_WORK)
    if initial is None:
        m = np.zeros(L)
    else:
        m = check_real_array("initial", initial, ndim=1, low=0.0).copy()
        if m.size != L:
            raise ValueError(f"initial must have L = {L} values, got {m.size}")
    records = steps // record_every if record_every else 0
    if records * L > MAX_VALUES:
        raise ValueError(f"record_every = {record_every} keeps {records * L} values, more than {MAX_VALUES}")
    history = np.empty((records, L))
    seed = resolve_seed(seed)
    _mass_transfer(m, steps, diffusion, injection, record_every, history, kernel_state(seed))
    return MassTransferResult(m, history, seed)


# --------------------------------------------------------------------------
# stochastic (second-order Fermi) acceleration
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class AccelerationResult:
    """Steady-state spectrum of :func:`stochastic_acceleration`.

    ``p`` are the geometric bin centres; ``spectrum`` is N(p), the number of
    particles per unit momentum in the steady state for an injection of one
    particle per unit time at p0; ``error`` its standard error;
    ``escaped`` the fraction of particles that escaped before ``t_max``.
    """

    p: np.ndarray
    edges: np.ndarray
    spectrum: np.ndarray
    error: np.ndarray
    escaped: float
    seed: int


@njit(cache=True)
def _accelerate(particles, x0, x_min, x_max, acceleration, escape, loss, q, dt, t_max, n_bins, state, occupancy):
    width = (x_max - x_min) / n_bins
    escaped = 0
    for i in range(particles):
        life = -math.log(1.0 - uniform(state)) / escape
        if life < t_max:
            escaped += 1
        else:
            life = t_max
        x = x0
        t = 0.0
        while t < life:
            occupancy[i % occupancy.shape[0], int((x - x_min) / width)] += min(dt, life - t)
            t += dt
            scale = 1.0 if q == 2.0 else math.exp((q - 2.0) * x)
            drift = (q + 1.0) * acceleration * scale
            if loss > 0.0:
                drift -= loss * math.exp(x)
            x += drift * dt + math.sqrt(2.0 * acceleration * scale * dt) * normal(state)
            # reflecting walls: no flux leaves the turbulent range
            if x >= x_max:
                x = 2.0 * x_max - x
            if x < x_min:
                x = 2.0 * x_min - x
            x = min(max(x, x_min), x_max - 1e-9 * width)
    return escaped


def _check_acceleration(acceleration, escape, loss, q, p0, p_min, p_max):
    acceleration = check_real("acceleration", acceleration, low=0.0, low_open=True)
    escape = check_real("escape", escape, low=0.0, low_open=True)
    loss = check_real("loss", loss, low=0.0)
    q = check_real("q", q, low=1.0, high=3.0)
    p_min = check_real("p_min", p_min, low=0.0, low_open=True)
    p_max = check_real("p_max", p_max, low=p_min * 10)
    p0 = check_real("p0", p0, low=p_min, high=p_max, low_open=True, high_open=True)
    return acceleration, escape, loss, q, p0, p_min, p_max


def stochastic_acceleration(particles, *, acceleration=1.0, escape=1.0, loss=0.0, q=2.0, p0=1.0, p_min=0.1,
                            p_max=1e4, dt=1e-3, t_max=None, bins=60, seed=None):
    """Monte Carlo of second-order Fermi acceleration with continuous losses and escape.

    Particles injected at p0 diffuse in momentum with D(p) = D0 p^q
    (isotropic, three-dimensional: the Fokker-Planck equation for N(p) is
    dN/dt = d/dp [D dN/dp - (2D/p) N] + d/dp [b p^2 N] - N / T_esc), lose
    momentum continuously at the rate dp/dt = -b p^2 (synchrotron-like), escape
    at the rate 1/T_esc, and reflect at p_min and p_max (the turbulence exists
    only in this range: no flux leaves it). The time each particle spends in
    each bin before escaping, summed, is the steady-state spectrum for a
    steady injection. Steps are Euler-Maruyama in x = ln p.

    Parameters
    ----------
    particles : int
    acceleration : float
        D0 (momentum diffusion coefficient D = D0 p^q), > 0.
    escape : float
        Escape rate 1 / T_esc, > 0.
    loss : float
        Loss coefficient b >= 0.
    q : float
        Momentum dependence of D, in [1, 3] (2: hard-sphere scattering).
    p0, p_min, p_max : float
        Injection momentum and the reflecting walls (p_max >= 10 p_min).
    dt : float
        Time step (small against 1 / (D0 p^(q-2)), 1 / (b p_max) and T_esc).
    t_max : float, optional
        Longest life followed (default 30 / escape, after which e^-30 remain).
    bins : int
        Logarithmic bins between p_min and p_max.
    seed : int or None
    """
    particles = check_int("particles", particles, low=10, high=10**8)
    acceleration, escape, loss, q, p0, p_min, p_max = _check_acceleration(acceleration, escape, loss, q, p0, p_min,
                                                                          p_max)
    t_max = 30.0 / escape if t_max is None else check_real("t_max", t_max, low=0.0, low_open=True)
    dt = check_real("dt", dt, low=0.0, high=0.1 / escape, low_open=True)
    bins = check_int("bins", bins, low=2, high=10_000)
    stiffest = max(acceleration * max(p_min ** (q - 2), p_max ** (q - 2)), loss * p_max)
    if stiffest * dt > 0.05:
        raise ValueError(f"dt = {dt} is too large: dt * max(D0 p^(q-2), b p_max) = {stiffest * dt:.3g} must stay "
                         "below 0.05 for the Euler-Maruyama steps to be accurate")
    check_work("stochastic_acceleration (particles * mean lifetime / dt)", particles * min(t_max, 1.0 / escape) / dt,
               MAX_WORK / 10)
    seed = resolve_seed(seed)
    x_min, x_max = math.log(p_min), math.log(p_max)
    batches = 10
    occupancy = np.zeros((batches, bins))
    escaped = _accelerate(particles, math.log(p0), x_min, x_max, acceleration, escape, loss, q, dt, t_max, bins,
                          kernel_state(seed), occupancy)
    edges = np.exp(np.linspace(x_min, x_max, bins + 1))
    in_batch = particles // batches + (np.arange(batches) < particles % batches)
    per_batch = occupancy / (np.diff(edges) * in_batch[:, None])
    return AccelerationResult(np.sqrt(edges[1:] * edges[:-1]), edges, per_batch.mean(axis=0),
                              per_batch.std(axis=0, ddof=1) / math.sqrt(batches), escaped / particles, seed)


def acceleration_steady_state(p, *, acceleration=1.0, escape=1.0, loss=0.0, q=2.0, p0=1.0, p_min=0.1, p_max=1e4,
                              points=4000):
    """Steady-state spectrum N(p) of :func:`stochastic_acceleration`, from its Fokker-Planck equation.

    The steady equation in x = ln p with zero flux at both walls and a unit
    source at p0 is solved by conservative finite volumes on ``points``
    cells (second-order accurate), then N(p) = n(x) / p is interpolated at
    ``p``. Normalization: one particle injected per unit time.
    """
    acceleration, escape, loss, q, p0, p_min, p_max = _check_acceleration(acceleration, escape, loss, q, p0, p_min,
                                                                          p_max)
    p = check_real_array("p", p, low=p_min, high=p_max)
    points = check_int("points", points, low=50, high=10**6)
    x_min, x_max = math.log(p_min), math.log(p_max)
    h = (x_max - x_min) / points
    centres = x_min + h * (np.arange(points) + 0.5)
    faces = x_min + h * np.arange(1, points)
    # flux at a face: J = a n - d(D n)/dx with a = drift, D = diffusion of x (Ito); central differences
    drift = (q + 1.0) * acceleration * np.exp((q - 2.0) * faces) - loss * np.exp(faces)
    diff_c = acceleration * np.exp((q - 2.0) * centres)
    # J_f = drift_f (n_L + n_R)/2 - (D_R n_R - D_L n_L)/h
    left = 0.5 * drift + diff_c[:-1] / h     # coefficient of n_L in J_f
    right = 0.5 * drift - diff_c[1:] / h     # coefficient of n_R in J_f
    main = np.full(points, -escape * h)
    main[:-1] -= left
    main[1:] += right
    lower = left                              # row f+1 gains J_f: coefficient of n_f
    upper = -right                            # row f loses J_f: coefficient of n_{f+1}
    A = sparse.diags([main, lower, upper], [0, -1, 1], format="csc")
    source = np.zeros(points)
    source[min(int((math.log(p0) - x_min) / h), points - 1)] = -1.0
    n = sparse_linalg.spsolve(A, source)
    return np.interp(np.log(p), centres, n) / p


def acceleration_index(acceleration, escape):
    """Power-law index s of N(p) ~ p^-s above p0 for D = D0 p^2, no losses and no walls.

    s = -1/2 + sqrt(9/4 + 1 / (D0 T_esc)): fast escape steepens the spectrum,
    slow escape tends to N ~ p^-1 (f(p) ~ p^-3).
    """
    acceleration = check_real("acceleration", acceleration, low=0.0, low_open=True)
    escape = check_real("escape", escape, low=0.0, low_open=True)
    return -0.5 + math.sqrt(2.25 + escape / acceleration)
