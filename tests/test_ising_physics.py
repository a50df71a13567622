"""Physics checks of emergence.ising against exact results.

Tolerances are 4 standard errors (autocorrelation-corrected), so a correct
kernel fails with probability about 6e-5 per comparison, while a wrong
acceptance rule or energy convention shifts results by many sigma.
"""

import numpy as np
import pytest

from emergence import ising, stats

Z = 4.0


def batch_error(values, statistic, batches=20):
    """Standard error of ``statistic`` from independent-ish batches of a long series."""
    parts = np.array_split(np.asarray(values), batches)
    est = np.array([statistic(p) for p in parts])
    return est.std(ddof=1) / np.sqrt(batches)


def test_critical_temperature():
    assert ising.T_C == pytest.approx(2.0 / np.log(1.0 + np.sqrt(2.0)), rel=1e-15)
    assert ising.T_C == pytest.approx(2.269185314213022, rel=1e-12)


def test_onsager_closed_forms():
    # e(T_C) = -sqrt 2; m vanishes at and above T_C; low-T expansions.
    assert ising.onsager_energy(ising.T_C) == pytest.approx(-np.sqrt(2.0), rel=1e-12)
    assert ising.onsager_magnetization(ising.T_C) == 0.0
    assert ising.onsager_magnetization(3.0) == 0.0
    T = 0.5  # leading low-T terms: e = -2 + 8 exp(-8/T), m = 1 - 2 exp(-8/T)
    assert ising.onsager_energy(T) == pytest.approx(-2 + 8 * np.exp(-8 / T), abs=1e-9)
    assert ising.onsager_magnetization(T) == pytest.approx(1 - 2 * np.exp(-8 / T), abs=1e-9)
    # High-T expansion e = -2 tanh(1/T) + O(T^-3).
    assert ising.onsager_energy(50.0) == pytest.approx(-2 * np.tanh(1 / 50.0), rel=1e-3)


def test_specific_heat_is_derivative_of_energy():
    T = np.array([1.5, 2.0, 2.2, 2.4, 3.0, 4.0])
    d = 1e-5
    numeric = (ising.onsager_energy(T + d) - ising.onsager_energy(T - d)) / (2 * d)
    np.testing.assert_allclose(ising.onsager_specific_heat(T), numeric, rtol=1e-6)


@pytest.mark.parametrize("T", [1.6, 1.9, 2.1])
def test_magnetization_below_tc_matches_onsager(T):
    run = ising.simulate(64, T, 3000, method="wolff", burn_in=200, seed=7, spins=np.ones((64, 64)))
    m, err = stats.mean_and_error(np.abs(run.magnetization))
    # L = 64 is many correlation lengths at these T: finite-size shifts are below 1e-4.
    assert abs(m - ising.onsager_magnetization(T)) < Z * err + 1e-4


@pytest.mark.parametrize("T", [1.8, 3.0, 3.5])
def test_energy_matches_onsager_above_and_below(T):
    run = ising.simulate(64, T, 4000, burn_in=500, seed=8, spins=np.ones((64, 64)))
    e, err = stats.mean_and_error(run.energy)
    assert abs(e - ising.onsager_energy(T)) < Z * err + 1e-4


@pytest.mark.parametrize("T", [1.5, 2.5, 4.0])
@pytest.mark.parametrize("method", ["metropolis", "wolff"])
def test_small_lattice_matches_exact_enumeration(T, method):
    exact = ising.exact_thermodynamics(4, T)
    run = ising.simulate(4, T, 60_000, method=method, burn_in=1000, seed=9)
    e, e_err = stats.mean_and_error(run.energy)
    m, m_err = stats.mean_and_error(np.abs(run.magnetization))
    assert abs(e - exact.energy[0]) < Z * e_err
    assert abs(m - exact.abs_magnetization[0]) < Z * m_err
    c = 16 * run.energy.var() / T**2
    c_err = batch_error(run.energy, lambda x: 16 * x.var() / T**2)
    assert abs(c - exact.specific_heat[0]) < Z * c_err


def test_exact_enumeration_counts_and_ground_state():
    E, M, g = ising.density_of_states(4)
    assert g.sum() == 2**16
    assert E.min() == -32 and g[E == -32].sum() == 2
    exact = ising.exact_thermodynamics(2, [1e-3, 1e3])
    # 2 x 2 periodic lattice: each bond is doubled, ground state energy -8 / 4 = -2 per spin.
    assert exact.energy[0] == pytest.approx(-2.0)
    assert exact.energy[1] == pytest.approx(0.0, abs=1e-2)


def test_metropolis_and_wolff_agree():
    T, L = 2.4, 16
    a = ising.simulate(L, T, 40_000, burn_in=1000, seed=10)
    b = ising.simulate(L, T, 20_000, method="wolff", burn_in=500, seed=11)
    for obs in (lambda r: r.energy, lambda r: r.magnetization**2):
        ma, ea = stats.mean_and_error(obs(a))
        mb, eb = stats.mean_and_error(obs(b))
        assert abs(ma - mb) < Z * np.hypot(ea, eb)


def test_wolff_improved_estimator():
    run = ising.simulate(32, 2.5, 20_000, method="wolff", burn_in=500, seed=12)
    chi, err = stats.mean_and_error(32 * 32 * run.magnetization**2)
    assert abs(run.mean_cluster_size - chi) < Z * err


@pytest.mark.parametrize("method,h", [("metropolis", 0.0), ("metropolis", 0.37), ("wolff", 0.0)])
def test_energy_bookkeeping_matches_recomputation(method, h):
    run = ising.simulate(32, 2.3, 50, method=method, h=h, seed=13)
    assert run.energy[-1] == pytest.approx(ising.energy_per_spin(run.spins, h), abs=1e-12)
    assert run.magnetization[-1] == pytest.approx(run.spins.mean(), abs=1e-15)


def test_field_polarizes():
    up = ising.simulate(16, 3.0, 2000, h=0.5, burn_in=200, seed=14)
    down = ising.simulate(16, 3.0, 2000, h=-0.5, burn_in=200, seed=14)
    assert up.magnetization.mean() > 0.3 and down.magnetization.mean() < -0.3


def test_temperature_schedule_is_recorded():
    schedule = np.linspace(3.0, 1.0, 100)
    run = ising.simulate(32, schedule, 100, seed=15)
    np.testing.assert_array_equal(run.T, schedule)


def test_binder_cumulant_limits():
    rng = np.random.default_rng(0)
    assert ising.binder_cumulant(rng.normal(size=200_000)) == pytest.approx(0.0, abs=0.02)
    assert ising.binder_cumulant(np.array([0.9, -0.9, 0.9])) == pytest.approx(2 / 3)


@pytest.mark.parametrize("L", [16, 32])
def test_binder_cumulant_at_tc_is_universal(L):
    # U_L(T_C) -> U* = 0.61069 (periodic square lattice); the correction at these
    # sizes is below 0.002, well under the 4-sigma statistical tolerance plus that.
    m = ising.simulate(L, ising.T_C, 40_000, method="wolff", burn_in=500, seed=L).magnetization
    err = batch_error(m, ising.binder_cumulant)
    assert abs(ising.binder_cumulant(m) - 0.61069) < Z * err + 0.002


def test_binder_crossing_near_tc():
    # U_L(T) grows with L below T_C and shrinks above it.
    below = [ising.binder_cumulant(ising.simulate(L, 2.15, 6000, method="wolff", burn_in=200, seed=L).magnetization)
             for L in (8, 32)]
    above = [ising.binder_cumulant(ising.simulate(L, 2.45, 6000, method="wolff", burn_in=200, seed=L).magnetization)
             for L in (8, 32)]
    assert below[1] > below[0] and above[1] < above[0]


def test_block_spin_majority_and_ties():
    spins = np.array([[1, 1, -1, -1], [1, -1, -1, -1], [1, -1, 1, 1], [-1, 1, 1, -1]])
    # blocks: top-left sum 2 -> +1; top-right -4 -> -1; bottom-left 0 -> tie -> spins[2, 0] = +1;
    # bottom-right 2 -> +1.
    np.testing.assert_array_equal(ising.block_spin(spins, 2), [[1, -1], [1, 1]])
    assert ising.block_spin(np.ones((9, 9)), 3).shape == (3, 3)


def test_bond_energies_sum_to_energy():
    run = ising.simulate(16, 2.5, 10, seed=16)
    assert ising.bond_energies(run.spins).sum() / 256 == pytest.approx(ising.energy_per_spin(run.spins))
    assert ising.domain_wall_density(np.ones((8, 8))) == 0.0


def test_sample_configurations_are_equilibrium():
    configs = ising.sample_configurations(16, 3.0, 4000, spacing=1, seed=17)
    e = np.array([ising.energy_per_spin(c) for c in configs])
    exact_like = ising.simulate(16, 3.0, 20_000, method="wolff", burn_in=200, seed=18).energy
    m1, e1 = stats.mean_and_error(e)
    m2, e2 = stats.mean_and_error(exact_like)
    assert abs(m1 - m2) < Z * np.hypot(e1, e2)


@pytest.mark.parametrize("L", [2, 3, 4])
@pytest.mark.parametrize("T", [0.8, 2.0, ising.T_C, 3.0, 6.0])
def test_kaufman_matches_enumeration(L, T):
    E, M, g = ising.density_of_states(L)
    exact = np.log(np.sum(g * np.exp(-E / T)))
    assert ising.kaufman_log_partition(L, T) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("T", [1.5, ising.T_C, 3.5])
def test_kaufman_derivatives_match_enumeration(T):
    exact = ising.exact_thermodynamics(4, T)
    assert ising.kaufman_energy(4, T) == pytest.approx(exact.energy[0], rel=1e-8)
    assert ising.kaufman_specific_heat(4, T) == pytest.approx(exact.specific_heat[0], rel=1e-5)


def test_kaufman_specific_heat_grows_like_log_L_at_tc():
    # Ferdinand-Fisher: c_L(T_C) = (8 K_C^2 / pi) ln L + const + O(ln L / L).
    c = [ising.kaufman_specific_heat(L, ising.T_C) for L in (256, 512)]
    assert (c[1] - c[0]) / np.log(2) == pytest.approx(8 / (np.pi * ising.T_C**2), rel=0.01)


def test_kaufman_energy_tends_to_onsager():
    for T in (1.8, 3.0):
        assert ising.kaufman_energy(256, T) == pytest.approx(ising.onsager_energy(T), abs=1e-7)
    # At T_C the finite-size correction is of order 1/L.
    gaps = [abs(ising.kaufman_energy(L, ising.T_C) + np.sqrt(2)) for L in (16, 32, 64)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[1] / gaps[2] == pytest.approx(2.0, rel=0.1)


@pytest.mark.parametrize("L", [16, 48])
def test_energy_at_tc_matches_kaufman(L):
    run = ising.simulate(L, ising.T_C, 20_000, method="wolff", burn_in=200, seed=19 + L)
    e, err = stats.mean_and_error(run.energy)
    assert abs(e - ising.kaufman_energy(L, ising.T_C)) < Z * err
