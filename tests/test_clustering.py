"""Checks of emergence.clustering and the softmax associative memory in emergence.hopfield."""

import numpy as np
import pytest

from emergence import clustering, hopfield


def silhouette_by_definition(X, labels):
    """Rousseeuw's definition, point by point with explicit loops."""
    n = len(X)
    s = []
    for i in range(n):
        same = [j for j in range(n) if labels[j] == labels[i] and j != i]
        if not same:
            s.append(0.0)
            continue
        a = np.mean([np.linalg.norm(X[i] - X[j]) for j in same])
        b = min(np.mean([np.linalg.norm(X[i] - X[j]) for j in range(n) if labels[j] == c])
                for c in set(labels) if c != labels[i])
        s.append((b - a) / max(a, b))
    return np.mean(s)


def test_silhouette_matches_definition():
    gen = np.random.default_rng(0)
    X = gen.normal(size=(40, 3))
    labels = gen.integers(0, 4, 40)
    labels[0] = 5  # a singleton cluster scores 0
    assert clustering.silhouette_score(X, labels) == pytest.approx(silhouette_by_definition(X, labels), abs=1e-12)


def test_silhouette_limits():
    X, truth = clustering.gaussian_blobs(200, [[0, 0], [100, 0]], scales=1.0, seed=1)
    assert clustering.silhouette_score(X, truth) > 0.95  # tight, far apart clusters
    assert clustering.silhouette_score(X, 1 - truth) == pytest.approx(clustering.silhouette_score(X, truth))
    gen = np.random.default_rng(2)
    assert abs(clustering.silhouette_score(X, gen.integers(0, 2, 200))) < 0.1  # arbitrary labels


def test_kmeans_recovers_separated_clusters_and_lowers_inertia():
    centers = np.array([[0, 0], [10, 0], [0, 10]])
    X, truth = clustering.gaussian_blobs(300, centers, scales=[0.5, 1.0, 0.7], seed=3)
    res = clustering.kmeans(X, 3, seed=4)
    # Each found cluster is one true cluster (labels are defined up to a permutation).
    pairs = {(a, b) for a, b in zip(res.labels, truth)}
    assert len(pairs) == 3
    np.testing.assert_allclose(np.sort(res.centers, axis=0), np.sort(centers, axis=0), atol=0.3)
    worse = clustering.kmeans(X, 3, restarts=1, init="random", max_iter=1, seed=5)
    assert res.inertia <= worse.inertia


def test_memory_dynamics_descends_the_energy():
    gen = np.random.default_rng(6)
    X, R = gen.normal(size=(50, 2)) * 3, gen.normal(size=(5, 2)) * 2
    for dt in (0.3, 1.0):
        x, e = X, [hopfield.memory_energy(X, R, beta=2.0)]
        for _ in range(20):
            x = hopfield.settle(x, R, beta=2.0, steps=1, dt=dt)
            e.append(hopfield.memory_energy(x, R, beta=2.0))
        assert np.all(np.diff(np.array(e), axis=0) <= 1e-12)


def test_memory_dynamics_jumps_to_the_nearest_memory_at_large_beta():
    gen = np.random.default_rng(7)
    X, R = gen.normal(size=(50, 2)), np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    out = hopfield.settle(X, R, beta=1e4, steps=1, dt=1.0)
    nearest = R[np.argmin(clustering.squared_distances(X, R), axis=1)]
    np.testing.assert_allclose(out, nearest, atol=1e-9)


def test_memory_training_gradient_is_exact():
    gen = np.random.default_rng(8)
    X, R = gen.normal(size=(30, 2)), gen.normal(size=(4, 2))
    loss, grad = hopfield._settle_loss_and_gradient(X, R, 1.3, 5, 0.6)
    h = 1e-6
    for i in range(4):
        for j in range(2):
            up, down = R.copy(), R.copy()
            up[i, j] += h
            down[i, j] -= h
            numeric = (hopfield._settle_loss_and_gradient(X, up, 1.3, 5, 0.6)[0]
                       - hopfield._settle_loss_and_gradient(X, down, 1.3, 5, 0.6)[0]) / (2 * h)
            assert grad[i, j] == pytest.approx(numeric, abs=1e-7)


def test_memory_clustering_finds_separated_clusters():
    centers = np.array([[0, 0], [6, 0], [0, 6]])
    X, truth = clustering.gaussian_blobs(300, centers, scales=0.5, seed=9)
    res = hopfield.cluster_with_memories(X, 3, beta=2.0, epochs=150, learning_rate=0.1, seed=10)
    assert res.loss[-1] < res.loss[0]
    assert len({(a, b) for a, b in zip(res.labels, truth)}) == 3
    np.testing.assert_allclose(np.sort(res.memories, axis=0), np.sort(centers, axis=0), atol=0.5)


@pytest.mark.parametrize("call, name", [
    (lambda: clustering.kmeans(np.ones((5, 2)), 6), "k"),
    (lambda: clustering.kmeans(np.ones((5, 2)), 2, init="best"), "init"),
    (lambda: clustering.silhouette_score(np.ones((5, 2)), np.zeros(5, int)), "labels"),
    (lambda: clustering.silhouette_score(np.ones((5, 2)), np.zeros(4, int)), "labels"),
    (lambda: clustering.gaussian_blobs(10, [[0, 0]], scales=np.ones(3)), "scales"),
    (lambda: hopfield.settle(np.ones((5, 2)), np.ones((3, 3)), beta=1.0), "memories"),
    (lambda: hopfield.settle(np.ones((5, 2)), np.ones((3, 2)), beta=0.0), "beta"),
    (lambda: hopfield.settle(np.ones((5, 2)), np.ones((3, 2)), beta=1.0, dt=1.5), "dt"),
    (lambda: hopfield.cluster_with_memories(np.ones((5, 2)), 2, epochs=0), "epochs"),
])
def test_bad_arguments(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()


def test_reproducible():
    X, _ = clustering.gaussian_blobs(100, [[0, 0], [3, 3]], seed=11)
    a = hopfield.cluster_with_memories(X, 2, epochs=20, seed=12)
    b = hopfield.cluster_with_memories(X, 2, epochs=20, seed=12)
    np.testing.assert_array_equal(a.memories, b.memories)
    np.testing.assert_array_equal(clustering.kmeans(X, 2, seed=13).labels, clustering.kmeans(X, 2, seed=13).labels)
