"""Checks of emergence.spinglass: couplings, parallel tempering against exact
enumeration and the SK paramagnet, the random energy model and Lee-Yang zeros."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from emergence import spinglass as sg
from emergence import stats


def test_sk_couplings_have_the_stated_law():
    N = 400
    J = sg.sk_couplings(N, seed=1)
    assert J.seed == 1 and np.array_equal(J, J.T) and np.all(np.diag(J) == 0)
    off = J[np.triu_indices(N, 1)]
    # 79 800 independent N(0, 1/N) entries: the variance is within 4 standard
    # errors sqrt(2/n)/N of 1/N, and the mean within 4/sqrt(n N).
    assert abs(off.var() * N - 1) < 4 * math.sqrt(2 / off.size)
    assert abs(off.mean()) < 4 / math.sqrt(off.size * N)
    biased = sg.sk_couplings(N, J0=1.5, seed=1)[np.triu_indices(N, 1)]
    assert abs(biased.mean() * N - 1.5) < 4 / math.sqrt(off.size / N)


def test_ea_couplings_are_a_periodic_square_lattice():
    L = 6
    J = sg.ea_couplings(L, kind="pm", seed=2)
    assert sp.issparse(J) and J.shape == (L * L, L * L) and J.seed == 2
    assert abs(J - J.T).max() == 0 and np.all(J.diagonal() == 0)
    assert np.all(np.diff(J.indptr) == 4) and set(np.unique(J.data)) <= {-1.0, 1.0}
    site = 2 * L + 3
    assert set(J[site].indices) == {2 * L + 2, 2 * L + 4, L + 3, 3 * L + 3}
    ferro = sg.ea_couplings(L, kind="ferro")
    assert sg.energy(ferro, np.ones(L * L)) == -2.0  # two bonds a spin


def test_enumeration_matches_direct_energies():
    J = sg.sk_couplings(9, seed=3)
    s = sg.state_spins(9).astype(float)
    direct = -0.5 * np.einsum("ki,ij,kj->k", s, J, s)
    np.testing.assert_allclose(sg.state_energies(J), direct, atol=1e-12)
    np.testing.assert_allclose(sg.energy(J, s) * 9, direct, atol=1e-12)
    # bit i of the state number is spin i
    assert list(s[0b101, :3]) == [1, -1, 1]


@pytest.mark.parametrize("couplings", [lambda: sg.sk_couplings(10, seed=4), lambda: sg.ea_couplings(3, seed=5)],
                         ids=["SK dense", "EA sparse"])
def test_tempering_averages_match_exact_enumeration(couplings):
    J = couplings()
    T = np.array([0.6, 1.0, 1.6, 2.5])
    exact = sg.exact_averages(J, T)
    run = sg.parallel_tempering(J, T, 60_000, seed=6)
    keep = slice(5_000, None)
    series = {"energy": run.energy[keep], "abs_magnetization": np.abs(run.magnetization[keep]),
              "overlap_squared": run.overlap[keep] ** 2}
    for name, values in series.items():
        for k in range(T.size):
            mean, error = stats.mean_and_error(values[:, k])
            # autocorrelation-corrected errors; 4.5 sigma over 24 checks is a
            # false alarm well below 1e-3
            assert abs(mean - getattr(exact, name)[k]) < 4.5 * error + 1e-9, (name, T[k], mean, error)


def test_swap_acceptance_is_the_exact_exchange_probability():
    J = sg.sk_couplings(6, seed=7)
    T = np.array([0.4, 0.7, 1.2])
    E = sg.state_energies(J)
    sweeps = 100_000
    run = sg.parallel_tempering(J, T, sweeps, seed=8)
    for k in range(T.size - 1):
        b1, b2 = 1 / T[k], 1 / T[k + 1]
        p1 = np.exp(-b1 * (E - E.min()))
        p2 = np.exp(-b2 * (E - E.min()))
        accept = np.minimum(1, np.exp((b1 - b2) * (E[:, None] - E[None, :])))
        expected = (p1 / p1.sum()) @ accept @ (p2 / p2.sum())
        # 2e5 correlated Bernoulli trials: a binomial error of ~1e-3, inflated
        # by autocorrelation; 0.01 is several standard errors
        assert abs(run.swap_acceptance[k] - expected) < 0.01, (k, run.swap_acceptance[k], expected)


def test_sk_energy_above_tc_is_the_annealed_value():
    N, T, samples = 64, np.array([1.5, 2.0, 3.0]), 12
    means = []
    for s in range(samples):
        run = sg.parallel_tempering(sg.sk_couplings(N, seed=100 + s), T, 3_000, seed=s)
        means.append(run.energy[500:].mean(axis=0))
    means = np.array(means)
    mean, error = means.mean(axis=0), means.std(axis=0, ddof=1) / math.sqrt(samples)
    beta = 1 / T
    # Quenched and annealed energies differ by beta^3 / (2 N (1 - beta^2)) per
    # spin at large N (Aizenman-Lebowitz-Ruelle); allow that plus 4 standard
    # errors of the disorder average.
    allowance = 4 * error + beta**3 / (2 * N * (1 - beta**2))
    assert np.all(np.abs(mean - sg.paramagnetic_energy(T, N)) < allowance), (mean, sg.paramagnetic_energy(T, N))
    # and it is not the T < 1 answer: the same test at the wrong law fails
    assert np.all(np.abs(mean - sg.paramagnetic_energy(T / 1.2, N)) > allowance)


def test_random_energy_model_free_energy_and_freezing():
    assert sg.REM_T_C == pytest.approx(0.60056, abs=5e-6)
    T = np.array([0.4, 1.0, 2.0])
    limit = sg.rem_free_energy(T)
    for N, samples in ((12, 16), (16, 16), (20, 8)):
        f = np.array([sg.free_energy(sg.rem_levels(N, seed=s), T, N) for s in range(samples)])
        mean, error = f.mean(axis=0), f.std(axis=0, ddof=1) / math.sqrt(samples)
        # Above T_c the free energy self-averages onto the limit.
        assert np.all(np.abs(mean[1:] - limit[1:]) < 4 * error[1:] + 2e-3), (N, mean, limit)
        # Below T_c the model is frozen into its lowest levels: f_N <= E_min / N,
        # and the lowest of 2^N Gaussians of variance N/2 lies, on average,
        # (ln(4 pi N ln 2) - 2 gamma) / (4 N sqrt(ln 2)) above -sqrt(ln 2)
        # (extreme-value statistics). So the gap to the limit is positive and
        # shrinks like ln N / N.
        ground_gap = (math.log(4 * math.pi * N * math.log(2)) - 2 * np.euler_gamma) / (4 * N * math.sqrt(math.log(2)))
        gap = mean[0] - limit[0]
        assert 0 < gap < ground_gap + 3 * error[0], (N, gap, ground_gap)


def test_ferromagnetic_lee_yang_zeros_lie_on_the_unit_circle():
    for J, T in ((sg.ea_couplings(4, kind="ferro"), 1.0), (sg.ea_couplings(4, kind="ferro"), 3.0),
                 (np.abs(sg.sk_couplings(12, seed=9)), 0.7)):
        zeros = sg.lee_yang_zeros(J, T)
        assert zeros.size == J.shape[0]
        np.testing.assert_allclose(np.abs(zeros), 1.0, atol=1e-8)
    # frustration moves them off it
    zeros = sg.lee_yang_zeros(sg.ea_couplings(4, kind="pm", seed=3), 1.0)
    assert np.abs(np.abs(zeros) - 1).max() > 0.1


def test_configurational_field_dense_and_sparse_agree():
    J = sg.ea_couplings(5, kind="gaussian", seed=10)
    s = np.random.default_rng(0).choice([-1, 1], size=(3, 25))
    np.testing.assert_allclose(sg.configurational_field(J, s), s @ J.toarray(), atol=1e-12)
    np.testing.assert_allclose(sg.configurational_field(J.toarray(), s[0]), J.toarray() @ s[0], atol=1e-12)


def test_reproducible():
    J = sg.sk_couplings(20, seed=11)
    a = sg.parallel_tempering(J, [0.5, 1.0], 50, seed=12)
    b = sg.parallel_tempering(J, [0.5, 1.0], 50, seed=12)
    np.testing.assert_array_equal(a.energy, b.energy)
    np.testing.assert_array_equal(a.states, b.states)
    np.testing.assert_array_equal(sg.sk_couplings(20, seed=11), J)
    np.testing.assert_array_equal(sg.rem_levels(5, seed=1), sg.rem_levels(5, seed=1))
    assert isinstance(sg.parallel_tempering(J, [1.0], 2).seed, int)


ASYMMETRIC = np.triu(np.ones((4, 4)), 1)
DIAGONAL = np.eye(4)


@pytest.mark.parametrize("call, name", [
    (lambda: sg.sk_couplings(1), "N"),
    (lambda: sg.sk_couplings(10, J0=float("nan")), "J0"),
    (lambda: sg.ea_couplings(2), "L"),
    (lambda: sg.ea_couplings(4, kind="bimodal"), "kind"),
    (lambda: sg.parallel_tempering(ASYMMETRIC, [1.0], 10), "symmetric"),
    (lambda: sg.parallel_tempering(DIAGONAL, [1.0], 10), "diagonal"),
    (lambda: sg.parallel_tempering(np.zeros((3, 4)), [1.0], 10), "square"),
    (lambda: sg.parallel_tempering(np.zeros((4, 4)), [0.0, 1.0], 10), "temperatures"),
    (lambda: sg.parallel_tempering(np.zeros((4, 4)), [1.0, float("nan")], 10), "temperatures"),
    (lambda: sg.parallel_tempering(np.zeros((4, 4)), [2.0, 1.0], 10), "temperatures"),
    (lambda: sg.parallel_tempering(np.zeros((4, 4)), [1.0], 0), "sweeps"),
    (lambda: sg.parallel_tempering(np.zeros((4, 4)), [1.0], 10, start="down"), "start"),
    (lambda: sg.parallel_tempering(sg.sk_couplings(2000, seed=0), np.linspace(0.5, 2, 20), 10_000),
     "parallel_tempering"),
    (lambda: sg.parallel_tempering(sp.csr_matrix(ASYMMETRIC), [1.0], 10), "symmetric"),
    (lambda: sg.state_energies(np.zeros((23, 23))), "N <= 22"),
    (lambda: sg.exact_averages(np.zeros((17, 17)), [1.0]), "N <= 16"),
    (lambda: sg.lee_yang_zeros(np.zeros((4, 4)), -1.0), "T"),
    (lambda: sg.configurational_field(np.zeros((4, 4)), [1, 1, 1]), "spins"),
    (lambda: sg.configurational_field(np.zeros((4, 4)), [1, 0, 1, 1]), "spins"),
    (lambda: sg.rem_levels(30), "N"),
    (lambda: sg.rem_free_energy(0.0), "T"),
    (lambda: sg.free_energy([1.0, 2.0], [1.0], 0), "N"),
])
def test_bad_arguments(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()


def test_frustrated_plaquettes_bound_the_ground_state():
    # Each plaquette's sign is a product of four independent +-1 bonds, so
    # about half are frustrated (on a torus their product is +1, one
    # constraint among L^2): within 4 binomial standard errors of 1/2.
    J = sg.ea_couplings(32, seed=13)
    frustrated = (sg.plaquette_frustration(J) < 0).mean()
    assert abs(frustrated - 0.5) < 4 * 0.5 / 32
    assert np.prod(sg.plaquette_frustration(J).astype(int)) == 1
    # A frustrated plaquette breaks at least one bond, and a bond borders two
    # plaquettes: E_0 >= -2N + (number frustrated). Check against enumeration.
    for seed in range(5):
        J = sg.ea_couplings(4, seed=seed)
        n_frustrated = int((sg.plaquette_frustration(J) < 0).sum())
        assert sg.state_energies(J).min() >= -2 * 16 + n_frustrated
    assert np.all(sg.plaquette_frustration(sg.ea_couplings(5, kind="ferro")) == 1)


def test_field_polynomial_is_the_partition_function_in_a_field():
    J, T, N = sg.ea_couplings(3, seed=5), 1.3, 9
    E, M = sg.state_energies(J), sg.state_spins(N).sum(axis=1)
    coeff = sg.field_polynomial(J, T)
    ratios = []
    for h in (0.3, -0.7, 0.2 + 0.5j):
        direct = np.sum(np.exp(-(E - E.min()) / T + h * M / T))
        ratios.append(direct / (np.polyval(coeff[::-1], np.exp(-2 * h / T)) * np.exp(h * N / T)))
    # the polynomial is Z up to one constant factor, whatever the (complex) field
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-10)
    np.testing.assert_allclose(coeff, coeff[::-1], rtol=1e-10)  # spin-flip symmetry: z -> 1/z
