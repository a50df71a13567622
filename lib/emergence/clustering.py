"""Clustering tools shared by the chapters: data sets, k-means and the silhouette score.

Conventions: a data set X is an (n, d) float array, one point a row; labels
are integers 0..k-1, one per point; distances are Euclidean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist

from ._validation import check_choice, check_int, check_real_array
from .random import resolve_seed, rng

#: The silhouette needs all n^2 distances; 5000 points is 200 MB of float64.
MAX_SILHOUETTE_POINTS = 5000


def gaussian_blobs(n, centers, *, scales=0.5, seed=None):
    """n points drawn from Gaussian clusters, with the true labels.

    Parameters
    ----------
    n : int
        Total number of points, split as evenly as possible between clusters.
    centers : array_like, shape (k, d)
        Cluster centres.
    scales : float or array_like
        Standard deviation of each cluster: one number, one per cluster
        (shape (k,)), or one d x d matrix per cluster (shape (k, d, d)) that
        maps standard normal draws to the cluster's shape.
    seed : int or None

    Returns
    -------
    X : ndarray, shape (n, d)
    labels : ndarray of int, shape (n,)
    """
    centers = check_real_array("centers", centers, ndim=2)
    k, d = centers.shape
    n = check_int("n", n, low=k, high=10_000_000)
    sc = check_real_array("scales", scales)
    if sc.ndim == 0:
        maps = np.repeat(sc * np.eye(d)[None], k, axis=0)
    elif sc.shape == (k,):
        maps = sc[:, None, None] * np.eye(d)[None]
    elif sc.shape == (k, d, d):
        maps = sc
    else:
        raise ValueError(f"scales must be a number, shape ({k},) or shape ({k}, {d}, {d}), got shape {sc.shape}")
    gen = rng(resolve_seed(seed))
    labels = np.arange(n) % k
    z = gen.standard_normal((n, d))
    X = centers[labels] + np.einsum("nij,nj->ni", maps[labels], z)
    return X, labels


@dataclass(frozen=True)
class KMeansResult:
    """Centres (k, d), labels (n,) and the inertia ``sum_i |x_i - c_{label_i}|^2`` of the best restart."""

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    seed: int


def kmeans(X, k, *, restarts=10, init="k-means++", max_iter=300, seed=None):
    """Lloyd's k-means, keeping the best of several restarts.

    Parameters
    ----------
    X : array_like, shape (n, d)
    k : int
        Number of clusters, 1 <= k <= n.
    restarts : int
        Independent starts; the one with the lowest inertia is kept.
    init : {"k-means++", "random"}
        Initial centres: k-means++ seeding (Arthur and Vassilvitskii), or k
        distinct data points chosen uniformly, as in Lloyd's original method.
    max_iter : int
        Lloyd iterations per restart (stops earlier when labels stop changing).
    seed : int or None
    """
    X = check_real_array("X", X, ndim=2)
    k = check_int("k", k, low=1, high=X.shape[0])
    restarts = check_int("restarts", restarts, low=1, high=1000)
    max_iter = check_int("max_iter", max_iter, low=1, high=100_000)
    check_choice("init", init, ("k-means++", "random"))
    seed = resolve_seed(seed)
    gen = rng(seed)
    best = None
    for _ in range(restarts):
        if init == "random":
            centers = X[gen.choice(len(X), size=k, replace=False)].copy()
        else:
            centers = _kmeans_plus_plus(X, k, gen)
        labels = None
        for _ in range(max_iter):
            new = np.argmin(squared_distances(X, centers), axis=1)
            if labels is not None and np.array_equal(new, labels):
                break
            labels = new
            for j in range(k):
                members = X[labels == j]
                if len(members):  # an empty cluster keeps its centre
                    centers[j] = members.mean(axis=0)
        inertia = float(np.sum((X - centers[labels]) ** 2))
        if best is None or inertia < best.inertia:
            best = KMeansResult(centers=centers.copy(), labels=labels, inertia=inertia, seed=seed)
    return best


def _kmeans_plus_plus(X, k, gen):
    """Arthur and Vassilvitskii's seeding: each new centre drawn with probability ~ D(x)^2."""
    centers = [X[gen.integers(len(X))]]
    d2 = np.sum((X - centers[0]) ** 2, axis=1)
    for _ in range(1, k):
        total = d2.sum()
        idx = gen.integers(len(X)) if total == 0 else gen.choice(len(X), p=d2 / total)
        centers.append(X[idx])
        d2 = np.minimum(d2, np.sum((X - X[idx]) ** 2, axis=1))
    return np.array(centers, dtype=float)


def squared_distances(X, Y):
    """Matrix of squared Euclidean distances ``|x_i - y_j|^2``, shape (len(X), len(Y))."""
    d2 = np.sum(X**2, axis=1)[:, None] + np.sum(Y**2, axis=1)[None, :] - 2 * X @ Y.T
    return np.maximum(d2, 0.0)


def silhouette_score(X, labels):
    """Mean silhouette coefficient of a clustering (Rousseeuw 1987).

    For point i with a(i) its mean distance to the other members of its cluster
    and b(i) the smallest mean distance to the members of another cluster,
    s(i) = (b - a) / max(a, b), and s(i) = 0 for a point alone in its cluster.
    The score, in [-1, 1], is the mean of s(i); higher means tighter, better
    separated clusters.

    Parameters
    ----------
    X : array_like, shape (n, d), n <= 5000
    labels : array_like of int, shape (n,), with at least 2 distinct values
    """
    X = check_real_array("X", X, ndim=2)
    n = X.shape[0]
    if n > MAX_SILHOUETTE_POINTS:
        raise ValueError(f"X has {n} points; silhouette_score is limited to {MAX_SILHOUETTE_POINTS}")
    labels = np.asarray(labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be {n} integers, one per row of X, got {labels.dtype} shape {labels.shape}")
    values, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    if len(values) < 2:
        raise ValueError("labels must name at least 2 clusters for a silhouette")
    D = cdist(X, X)  # differences first: exact zeros on the diagonal
    onehot = np.eye(len(values))[inverse]
    sums = D @ onehot  # sum of distances from each point to each cluster
    own = counts[inverse]
    a = sums[np.arange(n), inverse] / np.maximum(own - 1, 1)
    others = sums / counts[None, :]
    others[np.arange(n), inverse] = np.inf
    b = others.min(axis=1)
    s = np.where(own > 1, (b - a) / np.maximum(a, b), 0.0)
    return float(s.mean())

