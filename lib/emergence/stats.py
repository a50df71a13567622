"""Statistics of Monte Carlo time series and simple fits, shared by all chapters.

Conventions: a time series is a 1-D array sampled at equal steps; times and
autocorrelation times are in units of those steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numba import njit
from scipy.stats import rankdata

from ._validation import check_int, check_real, check_real_array


def autocorrelation(x, max_lag=None):
    """Normalised autocorrelation function rho(t) of a time series, by FFT.

    Parameters
    ----------
    x : array_like, shape (n,)
        The series; at least 4 samples, not constant.
    max_lag : int, optional
        Largest lag returned (default ``n // 2``).

    Returns
    -------
    ndarray, shape (max_lag + 1,)
        rho(0) = 1, rho(t) = C(t) / C(0) with C the (biased) autocovariance.
    """
    x = check_real_array("x", x, ndim=1)
    n = x.size
    if n < 4:
        raise ValueError(f"x must have at least 4 samples, got {n}")
    max_lag = n // 2 if max_lag is None else check_int("max_lag", max_lag, low=0, high=n - 1)
    d = x - x.mean()
    var = np.dot(d, d)
    if var == 0:
        raise ValueError("x is constant: its autocorrelation is undefined")
    size = 1 << int(np.ceil(np.log2(2 * n)))
    f = np.fft.rfft(d, size)
    acov = np.fft.irfft(f * np.conj(f), size)[: max_lag + 1]
    return acov / var


@dataclass(frozen=True)
class AutocorrelationTime:
    """Integrated autocorrelation time and the summation window used."""

    tau: float
    window: int
    n: int

    @property
    def effective_samples(self):
        """Number of effectively independent samples, n / (2 tau)."""
        return self.n / (2.0 * self.tau)


def integrated_autocorrelation_time(x, *, c=6.0):
    """Integrated autocorrelation time with Sokal's automatic window.

    tau_int = 1/2 + sum_{t=1}^{W} rho(t), where W is the smallest window with
    W >= c * tau_int(W). With this convention the variance of the sample mean
    is 2 tau_int var(x) / n, and tau_int = 1/2 for uncorrelated data.

    Parameters
    ----------
    x : array_like, shape (n,)
        The series. It should be many times longer than tau_int.
    c : float
        Window constant, 4 to 10 in practice (default 6).
    """
    c = check_real("c", c, low=1.0, high=100.0)
    rho = autocorrelation(x)
    taus = 0.5 + np.cumsum(rho[1:])
    lags = np.arange(1, rho.size)
    ok = lags >= c * taus
    window = int(lags[np.argmax(ok)]) if ok.any() else int(lags[-1])
    return AutocorrelationTime(tau=float(taus[window - 1]), window=window, n=int(np.asarray(x).size))


def mean_and_error(x):
    """Sample mean and its standard error, corrected for autocorrelation.

    The error is sqrt(2 tau_int var(x) / n) with tau_int from
    :func:`integrated_autocorrelation_time`; for a constant series it is 0.

    Returns
    -------
    (float, float)
    """
    x = check_real_array("x", x, ndim=1)
    if x.size >= 4 and np.ptp(x) > 0:
        tau = integrated_autocorrelation_time(x).tau
    else:
        tau = 0.5
    return float(x.mean()), float(np.sqrt(2.0 * tau * x.var() / x.size))


@dataclass(frozen=True)
class LinearFit:
    """Least-squares straight line y = intercept + slope * x, with standard errors."""

    slope: float
    intercept: float
    slope_error: float
    intercept_error: float

    def __call__(self, x):
        return self.intercept + self.slope * np.asarray(x, dtype=float)


def linear_fit(x, y, sigma=None):
    """Weighted least-squares straight line through (x, y).

    Parameters
    ----------
    x, y : array_like, shape (n,), n >= 3
    sigma : array_like, optional
        Standard errors of y. When given, the parameter errors come from them;
        otherwise from the scatter of the residuals.
    """
    x = check_real_array("x", x, ndim=1)
    y = check_real_array("y", y, ndim=1)
    if x.size != y.size or x.size < 3:
        raise ValueError(f"x and y must have the same length >= 3, got {x.size} and {y.size}")
    if np.ptp(x) == 0:
        raise ValueError("x must not be constant")
    if sigma is None:
        w = np.ones_like(x)
    else:
        sigma = check_real_array("sigma", sigma, ndim=1, low=0.0, low_open=True)
        if sigma.size != x.size:
            raise ValueError(f"sigma must have length {x.size}, got {sigma.size}")
        w = 1.0 / sigma**2
    A = np.column_stack([np.ones_like(x), x])
    cov = np.linalg.inv(A.T @ (A * w[:, None]))
    intercept, slope = cov @ (A.T @ (w * y))
    if sigma is None:
        resid = y - (intercept + slope * x)
        cov = cov * (resid @ resid) / (x.size - 2)
    return LinearFit(float(slope), float(intercept), float(np.sqrt(cov[1, 1])), float(np.sqrt(cov[0, 0])))


def power_law_fit(x, y, sigma=None):
    """Fit y = A x**slope by a straight line in log-log coordinates.

    Returns a :class:`LinearFit` of log(y) against log(x): ``slope`` is the
    exponent, ``exp(intercept)`` the prefactor. ``sigma`` are errors of y.
    """
    x = check_real_array("x", x, ndim=1, low=0.0, low_open=True)
    y = check_real_array("y", y, ndim=1, low=0.0, low_open=True)
    s = None if sigma is None else check_real_array("sigma", sigma, ndim=1, low=0.0, low_open=True) / y
    return linear_fit(np.log(x), np.log(y), s)


def tail_exponent(values, *, low, high):
    """Exponent tau of a power-law density P(x) ~ x**-tau, from the empirical tail P(X >= x) ~ x**(1 - tau).

    The complementary cumulative distribution uses every sample (no bins) and
    is fitted by a straight line in log-log coordinates for low < x < high.
    Its points are strongly correlated, so the fit's own standard error is
    meaningless: take errors from independent samples.

    Parameters
    ----------
    values : array_like, 1-D
        Samples.
    low, high : float
        Fit window, 0 < low < high; it must hold at least 10 samples.

    Returns
    -------
    float
    """
    v = np.sort(check_real_array("values", values, ndim=1))
    low = check_real("low", low, low=0.0, low_open=True)
    high = check_real("high", high, low=low, low_open=True)
    tail = 1.0 - np.arange(v.size) / v.size
    window = (v > low) & (v < high)
    if window.sum() < 10:
        raise ValueError(f"the window ({low}, {high}) holds {window.sum()} samples; it needs at least 10")
    return 1.0 - power_law_fit(v[window], tail[window]).slope


def log_binned_density(values, *, bins_per_decade=6):
    """Probability density of positive values on logarithmically spaced bins.

    For heavy-tailed data (avalanche sizes, degrees) a log-log plot of this
    density shows a power law as a straight line, with about the same
    number of samples per bin across decades. Bin edges are rounded to
    integers when the values are integers, so that no bin is empty by
    construction.

    Parameters
    ----------
    values : array_like, 1-D
        Samples; zeros and negative values are left out.
    bins_per_decade : int

    Returns
    -------
    centres, density : ndarray
        Geometric bin centres and the density (count / bin width / number of
        positive samples), for the non-empty bins only.
    """
    v = check_real_array("values", values, ndim=1)
    bins_per_decade = check_int("bins_per_decade", bins_per_decade, low=1, high=100)
    v = v[v > 0]
    if v.size == 0:
        raise ValueError("values must contain at least one positive number")
    lo, hi = np.log10(v.min()), np.log10(v.max())
    edges = np.logspace(lo, hi + 1e-9, max(2, int(np.ceil((hi - lo) * bins_per_decade)) + 1))
    if np.all(v == np.round(v)):
        edges = np.unique(np.concatenate([[v.min() - 0.5], np.round(edges[1:-1]) + 0.5, [v.max() + 0.5]]))
    counts, edges = np.histogram(v, bins=edges)
    centres = np.sqrt(np.maximum(edges[1:], 1e-300) * np.maximum(edges[:-1], 1e-300))
    density = counts / np.diff(edges) / v.size
    keep = counts > 0
    return centres[keep], density[keep]


def zero_one_test(x, *, n_c=100):
    """Gottwald and Melbourne's 0-1 test for chaos: K near 1 for chaotic, near 0 for regular data.

    For each frequency c the series drives a planar walk,
    p_c(n) = sum_{j<=n} x_j cos(jc), q_c(n) = sum_{j<=n} x_j sin(jc). Its mean
    square displacement M_c(n) grows linearly in n for chaotic data and stays
    bounded for regular data. K_c is the correlation of n with
    D_c(n) = M_c(n) - <x>^2 (1 - cos nc) / (1 - cos c), for n up to N/10, and
    K is the median of K_c over frequencies c in (pi/5, 4pi/5), which
    discards the few resonant c. Here the c are a fixed, evenly spread
    (golden-ratio) sequence, so the result is deterministic.

    Parameters
    ----------
    x : array_like, 1-D, at least 100 samples
        The observable, sampled at equal times (not oversampled).
    n_c : int
        Number of frequencies.

    Returns
    -------
    float
    """
    x = check_real_array("x", x, ndim=1)
    if x.size < 100:
        raise ValueError(f"x must have at least 100 samples, got {x.size}")
    n_c = check_int("n_c", n_c, low=1, high=10_000)
    N = x.size
    n_cut = N // 10
    j = np.arange(1, N + 1)
    n = np.arange(1, n_cut + 1)
    golden = (np.sqrt(5) - 1) / 2
    cs = np.pi / 5 + (3 * np.pi / 5) * ((0.5 + golden * np.arange(n_c)) % 1.0)
    size = 1 << int(np.ceil(np.log2(2 * N)))
    mean_sq = np.mean(x) ** 2
    ks = np.empty(n_c)
    for i, c in enumerate(cs):
        z = np.cumsum(x * np.exp(1j * c * j))
        # sum_j |z_{j+n} - z_j|^2 = sum |z_{j+n}|^2 + sum |z_j|^2 - 2 Re sum z_{j+n} conj(z_j), by FFT
        power = np.abs(z) ** 2
        cum = np.concatenate([[0.0], np.cumsum(power)])
        f = np.fft.fft(z, size)
        cross = np.fft.ifft(np.abs(f) ** 2)[: n_cut + 1]  # sum_j z_{j+n} conj(z_j)
        counts = N - n
        head = cum[N] - cum[n]  # sum over j >= n of |z_j|^2
        tail = cum[N - n]  # sum over j < N - n of |z_j|^2
        msd = (head + tail - 2 * cross[n].real) / counts
        d = msd - mean_sq * (1 - np.cos(n * c)) / (1 - np.cos(c))
        ks[i] = np.corrcoef(n, d)[0, 1]
    return float(np.median(ks))


@njit(cache=True)
def _template_matches(x, m, r):
    """Pairs i < j of templates of length m and m + 1 within Chebyshev distance r (first N - m templates)."""
    n = x.shape[0] - m
    b = 0
    a = 0
    for i in range(n):
        for j in range(i + 1, n):
            ok = True
            for k in range(m):
                if abs(x[i + k] - x[j + k]) > r:
                    ok = False
                    break
            if ok:
                b += 1
                if abs(x[i + m] - x[j + m]) <= r:
                    a += 1
    return a, b


def sample_entropy(x, m=2, r=0.2):
    """Sample entropy SampEn(m, r) = -ln(A / B) of Richman and Moorman.

    B counts the pairs of distinct templates (windows of m consecutive
    samples, the first N - m of them) whose Chebyshev distance is at most r;
    A counts those pairs that still match when extended to m + 1 samples.
    Low values mean regular, predictable data.

    Parameters
    ----------
    x : array_like, 1-D
    m : int >= 1
        Template length.
    r : float > 0
        Tolerance, in the units of x (often 0.2 times the standard deviation).

    Returns
    -------
    float
        ``inf`` if no template pair extends (A = 0).
    """
    x = check_real_array("x", x, ndim=1)
    m = check_int("m", m, low=1, high=100)
    r = check_real("r", r, low=0.0, low_open=True)
    if x.size < m + 2:
        raise ValueError(f"x must have at least m + 2 = {m + 2} samples, got {x.size}")
    if x.size > 200_000:
        raise ValueError(f"x has {x.size} samples; sample_entropy (O(n^2)) is limited to 200000")
    a, b = _template_matches(x, m, r)
    if b == 0:
        raise ValueError("no template pairs match at length m: increase r")
    return float(np.inf) if a == 0 else float(-np.log(a / b))


def largest_principal_component(samples, *, chunk=4096):
    """Largest eigenvalue of the sample covariance matrix of a data set.

    Parameters
    ----------
    samples : array_like, shape (n_samples, n_features)
        One sample (for example a flattened image) per row; at least 2 rows.
        Integer arrays (e.g. int8 images) are converted to float in chunks,
        so large sets of small-integer images need little memory.
    chunk : int
        Rows converted at a time.

    Returns
    -------
    float
        The variance along the first principal axis.
    """
    from scipy.linalg import eigh

    x = np.asarray(samples)
    if x.dtype == object or not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
        raise TypeError(f"samples must be a real numeric array, got dtype {x.dtype}")
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError(f"samples must have shape (n_samples >= 2, n_features >= 1), got {x.shape}")
    chunk = check_int("chunk", chunk, low=1)
    n, d = x.shape
    total = np.zeros(d)
    gram = np.zeros((d, d))
    for start in range(0, n, chunk):
        block = x[start:start + chunk].astype(np.float64)
        if not np.all(np.isfinite(block)):
            raise ValueError("samples must contain only finite values")
        total += block.sum(axis=0)
        gram += block.T @ block
    mean = total / n
    cov = (gram - n * np.outer(mean, mean)) / (n - 1)
    return float(eigh(cov, eigvals_only=True, subset_by_index=[d - 1, d - 1])[0])


@dataclass(frozen=True)
class ROC:
    """A receiver operating characteristic: false- and true-positive rates at every threshold, and the area under it."""

    fpr: np.ndarray
    tpr: np.ndarray
    auc: float


def roc_curve(positive, negative):
    """The ROC of a score that should be larger for ``positive`` cases than for ``negative`` ones.

    Every distinct score is a threshold ("predict positive when score >= it").
    The area under the curve equals the probability that a random positive
    scores above a random negative, ties counting one half (the Mann-Whitney
    statistic divided by the number of pairs): 0.5 means no skill.

    Parameters
    ----------
    positive, negative : array_like, 1-D, finite, non-empty

    Returns
    -------
    ROC
    """
    pos = check_real_array("positive", positive, ndim=1)
    neg = check_real_array("negative", negative, ndim=1)
    thresholds = np.unique(np.concatenate([pos, neg]))[::-1]
    tpr = np.concatenate([[0.0], [(pos >= t).mean() for t in thresholds]])
    fpr = np.concatenate([[0.0], [(neg >= t).mean() for t in thresholds]])
    ranks = rankdata(np.concatenate([pos, neg]))
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2
    return ROC(fpr=fpr, tpr=tpr, auc=float(u / (pos.size * neg.size)))


def energy_distance(x, y):
    """Energy distance between two samples in R^d: sqrt(2 E D(X, Y) - E D(X, X') - E D(Y, Y')), D the Euclidean distance.

    The expectations are averages over all pairs, including each point with
    itself (V-statistics), so in one dimension it equals
    ``scipy.stats.energy_distance``. It is zero only for equal distributions.
    For two samples of the same distribution it is of order
    (E D(X, X') / n)^(1/2), the floor against which differences are read.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
    y : array_like, shape (m,) or (m, d)
        At most 20 000 points each (the pairwise distances are held in memory).

    Returns
    -------
    float
    """
    from scipy.spatial.distance import cdist

    x = check_real_array("x", x)
    y = check_real_array("y", y)
    x = x[:, None] if x.ndim == 1 else x
    y = y[:, None] if y.ndim == 1 else y
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must be (n, d) arrays with the same d, got shapes {x.shape} and {y.shape}")
    if max(x.shape[0], y.shape[0]) > 20_000:
        raise ValueError(f"energy_distance is limited to 20000 points per sample, got {x.shape[0]} and {y.shape[0]}")
    squared = 2 * cdist(x, y).mean() - cdist(x, x).mean() - cdist(y, y).mean()
    return float(np.sqrt(max(squared, 0.0)))
