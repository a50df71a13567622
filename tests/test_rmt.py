"""Checks of emergence.rmt against exact random-matrix results."""

import math

import numpy as np
import pytest
from scipy import stats as st

from emergence import rmt


def test_goe_semicircle_moments():
    # m2 = 1 and m4 = 2 (Catalan numbers) as N -> infinity; at N = 1000 the
    # finite-N corrections are O(1/N) and a sample's moments fluctuate by
    # O(1/N) too. Over 20 samples the standard errors are about 1e-3 (m2) and
    # 3e-3 (m4); tolerances are 4 standard errors plus the 1/N correction.
    m2, m4 = [], []
    for seed in range(20):
        ev = np.linalg.eigvalsh(rmt.goe(1000, seed=seed))
        m2.append(np.mean(ev**2))
        m4.append(np.mean(ev**4))
    assert abs(np.mean(m2) - 1) < 4 * np.std(m2, ddof=1) / math.sqrt(20) + 1e-3
    assert abs(np.mean(m4) - 2) < 4 * np.std(m4, ddof=1) / math.sqrt(20) + 5e-3


def test_marchenko_pastur_mean_and_variance():
    # Eigenvalues of W = X X^T / n: mean 1 and variance c = p / n exactly in
    # expectation (mean: E tr W / p = 1; variance: E tr W^2 / p - 1 = c + 1/n).
    p, n = 400, 1600
    means, variances = [], []
    for seed in range(20):
        ev = np.linalg.eigvalsh(rmt.wishart(p, n, seed=seed))
        means.append(ev.mean())
        variances.append(ev.var())
    assert abs(np.mean(means) - 1) < 4 * np.std(means, ddof=1) / math.sqrt(20)
    assert abs(np.mean(variances) - (0.25 + 1 / n)) < 4 * np.std(variances, ddof=1) / math.sqrt(20) + 1e-3
    x = np.linspace(0, 3, 30001)
    density = rmt.marchenko_pastur_density(x, 0.25)
    assert np.trapezoid(density, x) == pytest.approx(1, abs=1e-3)
    assert np.trapezoid(x * density, x) == pytest.approx(1, abs=1e-3)


@pytest.mark.parametrize("name, levels, expected", [
    ("Poisson", lambda seed: np.random.default_rng(seed).uniform(size=4000), rmt.POISSON_MEAN_RATIO),
    ("GOE", lambda seed: np.linalg.eigvalsh(rmt.goe(800, seed=seed))[200:600], rmt.GOE_MEAN_RATIO),
    ("GUE", lambda seed: np.linalg.eigvalsh(rmt.gue(800, seed=seed))[200:600], rmt.GUE_MEAN_RATIO),
])
def test_mean_spacing_ratio(name, levels, expected):
    # The large-N values (Atas et al.: 0.5307, 0.5996; Poisson exact 0.3863)
    # are tested, not the 3x3 surmise (0.5359, 0.6027), which differs by
    # 5e-3. Ratios have a standard deviation of about 0.26, so 12 samples of
    # 400-4000 ratios give a standard error near 4e-3 (from the data below);
    # the tolerance is 4 of them.
    means = [rmt.spacing_ratios(levels(seed)).mean for seed in range(12)]
    err = np.std(means, ddof=1) / math.sqrt(len(means))
    assert abs(np.mean(means) - expected) < 4 * err
    assert err < 0.01


def test_ratio_surmise_is_normalized_with_the_known_means():
    r = np.linspace(0, 1, 200_001)
    for beta, mean in ((0, 2 * math.log(2) - 1), (1, 4 - 2 * math.sqrt(3)), (2, 2 * math.sqrt(3) / math.pi - 0.5)):
        density = 2 * rmt.ratio_surmise(r, beta)
        assert np.trapezoid(density, r) == pytest.approx(1, abs=1e-6)
        assert np.trapezoid(r * density, r) == pytest.approx(mean, abs=1e-6)


def test_beta_hermite_matches_goe_in_distribution():
    # Same N, pooled eigenvalues from 30 samples each: a two-sample KS test
    # at the 1% level (it fails 1% of the time by chance for independent
    # seeds; these seeds are fixed).
    a = np.concatenate([rmt.beta_hermite(200, 1, seed=s) for s in range(30)])
    b = np.concatenate([np.linalg.eigvalsh(rmt.goe(200, seed=100 + s)) for s in range(30)])
    assert st.ks_2samp(a, b).pvalue > 0.01
    # and the level repulsion is the GOE's, not the GUE's
    ratios = np.mean([rmt.spacing_ratios(rmt.beta_hermite(2000, 1, seed=s)[500:1500]).mean for s in range(10)])
    assert abs(ratios - rmt.GOE_MEAN_RATIO) < 0.01


def test_beta_hermite_fills_the_semicircle_for_any_beta():
    for beta in (0.5, 2.0, 4.0):
        ev = rmt.beta_hermite(20_000, beta, seed=1)
        # m2 = 1 + O(1/N); one sample of 20000 levels fluctuates by ~1e-3.
        assert np.mean(ev**2) == pytest.approx(1, abs=0.01)
        assert np.abs(ev).max() < 2.1


def test_kostlan_ginibre_moduli_are_gamma_variables():
    # N |z|^2 over the eigenvalues of an N x N Ginibre matrix has the law of
    # {Gamma(k, 1), k = 1..N} (independent); pooled over samples its CDF is
    # the average of the N Gamma CDFs. KS test at the 1% level.
    N, samples = 40, 200
    values = np.concatenate([N * np.abs(np.linalg.eigvals(rmt.ginibre(N, seed=s))) ** 2 for s in range(samples)])
    k = np.arange(1, N + 1)

    def cdf(x):
        return st.gamma.cdf(np.asarray(x)[..., None], k).mean(axis=-1)

    assert st.kstest(values, cdf).pvalue > 0.01
    # A wrong law must fail: uniform on the disk (the N -> infinity density) has N|z|^2 ~ U(0, N).
    assert st.kstest(values, st.uniform(0, N).cdf).pvalue < 1e-6


def test_bbp_outlier_and_overlap():
    # Above theta = 1 the top eigenvalue tends to theta + 1/theta and the
    # squared overlap to 1 - 1/theta^2; both fluctuate by O(N^-1/2) from
    # sample to sample. Means over 10 samples at N = 800, within 4 standard
    # errors plus an O(1/N) allowance for the finite-N bias.
    for theta in (2.0, 3.0):
        tops, overlaps = [], []
        for seed in range(10):
            H, v = rmt.spiked_goe(800, theta, seed=seed)
            values, vectors = np.linalg.eigh(H)
            tops.append(values[-1])
            overlaps.append((vectors[:, -1] @ v) ** 2)
        for data, exact in ((tops, rmt.bbp_outlier(theta)), (overlaps, rmt.bbp_overlap(theta))):
            assert abs(np.mean(data) - exact) < 4 * np.std(data, ddof=1) / math.sqrt(10) + 0.01
    H, v = rmt.spiked_goe(800, 0.5, seed=5)  # below: stuck at the edge 2, overlap O(1/N)
    values, vectors = np.linalg.eigh(H)
    assert abs(values[-1] - 2) < 0.1 and (vectors[:, -1] @ v) ** 2 < 0.05


def test_ipr_limits():
    N = 64
    assert rmt.ipr(np.eye(N)) == pytest.approx(np.ones(N))
    assert rmt.ipr(np.full(N, 1 / math.sqrt(N))) == pytest.approx(1 / N)
    v = np.random.default_rng(0).standard_normal((N, 5)) + 1j * np.random.default_rng(1).standard_normal((N, 5))
    v /= np.linalg.norm(v, axis=0)
    np.testing.assert_allclose(rmt.ipr(v), np.sum(np.abs(v) ** 4, axis=0), rtol=1e-12)


def test_rosenzweig_porter_fractal_dimension():
    # D2 = 2 - gamma in the fractal phase; at N = 256-1024 the finite-size
    # drift is about -0.05 (the local slopes increase with N towards 0.5) and
    # the statistical error 0.03, so the tolerance is 0.12. The ergodic and
    # localized limits are checked more loosely.
    fd = rmt.fractal_dimension(1.5, [256, 512, 1024], samples=4, seed=1)
    assert abs(fd.D2 - 0.5) < 0.12
    assert abs(rmt.fractal_dimension(0.5, [128, 256, 512], samples=3, seed=2).D2 - 1) < 0.1
    assert rmt.fractal_dimension(2.5, [128, 256, 512], samples=3, seed=3).D2 < 0.15


def test_anderson_localization_length_weak_disorder():
    # Thouless' weak-disorder result xi = 24 (4 - E^2) / W^2 (O(W^2) relative
    # corrections). The transfer-matrix estimate over n sites has a relative
    # error of about sqrt(2 xi / n) = 1% here; the tolerance is 4%.
    xi = rmt.localization_length(1.0, 0.5, n=2_000_000, seed=1)
    assert xi == pytest.approx(24 * (4 - 0.25), rel=0.04)
    # At the band centre the Kappus-Wegner anomaly gives 105 / W^2 instead of 96 / W^2.
    assert rmt.localization_length(1.0, 0.0, n=2_000_000, seed=2) == pytest.approx(105, rel=0.04)


def test_wavepacket_is_unitary_and_localized_by_static_disorder():
    static = rmt.wavepacket_spreading(400, 2.0, 300, 0.05, seed=1)
    np.testing.assert_allclose(static.density.sum(axis=1), 1, atol=1e-9)
    # Without disorder the packet spreads ballistically: <x^2> = 2 t^2 exactly
    # (infinite chain; the walls are not reached by t = 100 on 400 sites).
    free = rmt.wavepacket_spreading(400, 0.0, 60, 0.01, record_every=100)
    assert free.msd[-1] == pytest.approx(2 * 60**2, rel=0.01)
    # Static disorder: the spread saturates (late growth small); moving disorder keeps spreading.
    assert static.msd[-1] < 1.3 * static.msd[len(static.msd) // 2]
    moving = rmt.wavepacket_spreading(400, 2.0, 300, 0.05, speed=0.2, seed=1)
    assert moving.msd[-1] > 3 * static.msd[-1]


def test_cavity_intensities_are_normalized_and_exponential_for_many_channels():
    # Many open channels: Rayleigh (exponential) law with mean 1; P(I > 4) = e^-4 = 0.018.
    I = rmt.cavity_intensities(60, 30, 300, seed=1)
    assert I.mean() == pytest.approx(1, abs=1e-9)
    assert np.mean(I > 4) == pytest.approx(math.exp(-4), abs=0.004)


def test_same_seed_same_matrix():
    for make in (rmt.goe, rmt.gue, rmt.ginibre):
        np.testing.assert_array_equal(make(30, seed=3), make(30, seed=3))
    np.testing.assert_array_equal(rmt.beta_hermite(50, 2.5, seed=3), rmt.beta_hermite(50, 2.5, seed=3))
    np.testing.assert_array_equal(rmt.rosenzweig_porter(30, 1.5, seed=3), rmt.rosenzweig_porter(30, 1.5, seed=3))
    assert not np.array_equal(rmt.goe(30, seed=3), rmt.goe(30, seed=4))


@pytest.mark.parametrize("call, name", [
    (lambda: rmt.goe(0), "N"),
    (lambda: rmt.goe(10**5), "N"),
    (lambda: rmt.gue(2.5), "N"),
    (lambda: rmt.beta_hermite(10, 0), "beta"),
    (lambda: rmt.wishart(10, 0), "n"),
    (lambda: rmt.rosenzweig_porter(10, -1), "gamma"),
    (lambda: rmt.anderson_1d(10, -1), "W"),
    (lambda: rmt.marchenko_pastur_density([1.0], 0), "c"),
    (lambda: rmt.spacing_ratios([1.0, 2.0]), "eigenvalues"),
    (lambda: rmt.spacing_ratios([1.0, np.nan, 2.0]), "eigenvalues"),
    (lambda: rmt.ipr(np.array([[np.inf]])), "eigenvectors"),
    (lambda: rmt.fractal_dimension(1.5, [64]), "sizes"),
    (lambda: rmt.localization_length(0), "W"),
    (lambda: rmt.wavepacket_spreading(100, 1.0, 1e6, 0.001), "N \\* steps"),
    (lambda: rmt.cavity_intensities(10, 20, 5), "M"),
    (lambda: rmt.wigner_surmise([1.0], beta=3), "beta"),
    (lambda: rmt.quantum_rem(13, 1.0), "n"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()


def test_quantum_rem_structure_and_limits():
    n = 8
    H = rmt.quantum_rem(n, 0.7, seed=1)
    np.testing.assert_array_equal(H, H.T)
    off = H - np.diag(np.diag(H))
    assert np.all(np.sum(off == -0.7, axis=1) == n) and np.count_nonzero(off) == n * 2**n  # hypercube
    # No field: the REM energies, variance n/2 (standard error sqrt(2/256) = 9% relative; 4 of them).
    energies = np.diag(rmt.quantum_rem(n, 0.0, seed=2))
    assert energies.var() == pytest.approx(n / 2, rel=4 * math.sqrt(2 / 2**n))
    # Strong field: -field sum sigma^x, eigenvalues -field (n - 2k) with multiplicity C(n, k), shifted by
    # O(sqrt(n) / field) relative to the field.
    field = 1e3
    levels = np.sort(np.linalg.eigvalsh(rmt.quantum_rem(n, field, seed=3))) / field
    exact = np.sort(np.repeat(-(n - 2.0 * np.arange(n + 1)), [math.comb(n, k) for k in range(n + 1)]))
    np.testing.assert_allclose(levels, exact, atol=0.01)
