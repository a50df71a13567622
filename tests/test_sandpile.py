"""Physics checks of emergence.sandpile against Dhar's exact results and the exact height probabilities.

Tolerances are 4 standard errors from the spread of independent-ish samples
(snapshots L^2 grains apart), so a correct kernel fails with probability about
6e-5 per comparison.
"""

import itertools

import numpy as np
import pytest

from emergence import sandpile

Z = 4.0


def stationary(L, seed):
    """A pile driven well into its stationary (recurrent) state."""
    return sandpile.drive(L, 4 * L * L, seed=seed).heights


def test_grains_are_conserved():
    start = stationary(16, 1)
    run = sandpile.drive(16, 5000, heights=start, seed=2)
    assert int(start.sum()) + 5000 == int(run.heights.sum()) + int(run.lost.sum())
    assert run.heights.min() >= 0 and run.heights.max() <= 3
    assert np.all(run.areas <= run.sizes) and np.all((run.sizes == 0) == (run.areas == 0))
    # Only avalanches that topple a boundary site lose grains.
    assert np.all(run.lost[run.sizes == 0] == 0)
    assert run.topplings.sum() == run.sizes.sum()
    assert run.activity.sum() == run.areas.sum()
    big = int(np.argmax(run.sizes))  # replaying one grain gives its avalanche
    footprint = run.footprint(big, start)
    assert footprint.sum() == run.sizes[big] and np.count_nonzero(footprint) == run.areas[big]


def test_recurrent_configurations_are_counted_by_det_delta():
    assert sandpile.recurrent_count_exact(2) == 192
    assert sandpile.recurrent_count_exact(3) == 100352
    for L, expected in ((2, 192), (3, 100352)):
        configs = np.array(list(itertools.product(range(4), repeat=L * L)), dtype=np.int8).reshape(-1, L, L)
        assert sandpile.is_recurrent(configs).sum() == expected


def test_driven_pile_is_recurrent_and_empty_pile_is_not():
    assert sandpile.is_recurrent(stationary(12, 4))
    assert not sandpile.is_recurrent(np.zeros((12, 12), int))
    assert sandpile.is_recurrent(np.full((12, 12), 3))


def test_abelian_property():
    gen = np.random.default_rng(5)
    base = stationary(10, 6).astype(np.int64)
    sites = gen.integers(0, 10, size=(30, 2))
    one_by_one = base.copy()
    total = np.zeros((10, 10), np.int64)
    for r, c in sites[gen.permutation(30)]:
        one_by_one[r, c] += 1
        relaxed = sandpile.relax(one_by_one)
        one_by_one, total = relaxed.heights.astype(np.int64), total + relaxed.topplings
    at_once = base.copy()
    np.add.at(at_once, (sites[:, 0], sites[:, 1]), 1)
    relaxed = sandpile.relax(at_once)
    np.testing.assert_array_equal(relaxed.heights, one_by_one)
    np.testing.assert_array_equal(relaxed.topplings, total)


def test_mean_avalanche_size_matches_dhar():
    L = 16
    run = sandpile.drive(L, 200_000, heights=stationary(L, 7), seed=8)
    # Avalanche sizes are nearly independent from grain to grain in the
    # stationary state; batch means guard against what correlation remains.
    batches = run.sizes.reshape(50, -1).mean(axis=1)
    err = batches.std(ddof=1) / np.sqrt(50)
    assert abs(batches.mean() - sandpile.mean_avalanche_size_exact(L)) < Z * err


def test_topplings_per_site_match_the_inverse_laplacian():
    L = 8
    run = sandpile.drive(L, 200_000, heights=stationary(L, 9), seed=10)
    expected = sandpile.toppling_profile(L) * 200_000
    observed = run.topplings
    # Counts over 200 000 grains: a relative error of a few per cent, set by
    # the spread of avalanche sizes; compare the whole profile to 5%.
    np.testing.assert_allclose(observed, expected, rtol=0.05)


def test_bulk_height_probabilities():
    assert sandpile.BULK_HEIGHT_PROBABILITIES.sum() == pytest.approx(1.0, abs=1e-14)
    assert sandpile.BULK_HEIGHT_PROBABILITIES @ np.arange(4) == pytest.approx(17 / 8, abs=1e-14)
    np.testing.assert_allclose(sandpile.BULK_HEIGHT_PROBABILITIES, [0.0736, 0.1739, 0.3063, 0.4462], atol=5e-5)
    L, h, fractions = 64, stationary(64, 11), []
    for k in range(60):
        h = sandpile.drive(L, L * L, heights=h, seed=200 + k).heights
        fractions.append(sandpile.height_distribution(h[16:48, 16:48]))
    fractions = np.array(fractions)
    mean, err = fractions.mean(axis=0), fractions.std(axis=0, ddof=1) / np.sqrt(len(fractions))
    # The centre of an L = 64 pile is 16 sites from the boundary, where the
    # boundary's effect on the heights is well below these errors (~1e-3).
    assert np.all(np.abs(mean - sandpile.BULK_HEIGHT_PROBABILITIES) < Z * err), (mean, err)
    heights = fractions @ np.arange(4)
    assert abs(heights.mean() - 17 / 8) < Z * heights.std(ddof=1) / np.sqrt(len(heights))


def test_exact_mean_avalanche_size_is_the_laplacian_sum():
    L = 3
    G = np.linalg.inv(sandpile.toppling_laplacian(L).toarray())
    assert sandpile.mean_avalanche_size_exact(L) == pytest.approx(G.sum() / 9, rel=1e-12)
    np.testing.assert_allclose(sandpile.toppling_profile(L).ravel(), G.sum(axis=0) / 9, rtol=1e-12)


def test_toppling_profile_tends_to_the_torsion_function():
    # The walls sit at distance L + 1 apart, so the centre of the L x L
    # profile is (L + 1)^2 / L^2 times the unit square's torsion maximum
    # 0.0736713 (series solution), up to O(1/L^2).
    L = 127
    centre = sandpile.toppling_profile(L)[L // 2, L // 2]
    assert centre * L**2 / (L + 1) ** 2 == pytest.approx(0.0736713, abs=2e-5)


def test_same_seed_same_pile():
    a = sandpile.drive(20, 3000, seed=12)
    b = sandpile.drive(20, 3000, seed=12)
    np.testing.assert_array_equal(a.heights, b.heights)
    np.testing.assert_array_equal(a.sizes, b.sizes)
    c = sandpile.drive(20, 3000)
    np.testing.assert_array_equal(c.sizes, sandpile.drive(20, 3000, seed=c.seed).sizes)


@pytest.mark.parametrize("call, name", [
    (lambda: sandpile.drive(1, 10), "L"),
    (lambda: sandpile.drive(5000, 10), "L"),
    (lambda: sandpile.drive(8, -1), "grains"),
    (lambda: sandpile.drive(8, 2.5), "grains"),
    (lambda: sandpile.drive(8, 10, heights=np.full((8, 8), 4)), "heights"),
    (lambda: sandpile.drive(8, 10, heights=np.zeros((7, 7), int)), "heights"),
    (lambda: sandpile.drive(8, 10, heights="x"), "heights"),
    (lambda: sandpile.drive(2048, 50_000_000), "drive"),
    (lambda: sandpile.is_recurrent(np.full((3, 3), -1)), "heights"),
    (lambda: sandpile.is_recurrent(np.zeros(3)), "heights"),
    (lambda: sandpile.relax(np.full((3, 3), -1)), "heights"),
    (lambda: sandpile.recurrent_count_exact(6), "L"),
])
def test_bad_arguments(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()
