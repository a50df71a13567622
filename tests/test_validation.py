"""Bad input gets a clear ValueError/TypeError naming the parameter, never a crash or a hang."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emergence import ising

FAST = settings(max_examples=60, deadline=None)
not_an_int = st.one_of(st.floats(allow_nan=True), st.text(max_size=3), st.none(), st.booleans(),
                       st.lists(st.integers(), max_size=2))
not_positive_finite = st.one_of(st.floats(max_value=0.0), st.just(math.nan), st.just(math.inf), st.just(-math.inf))


def raises_naming(name, call):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert name in str(info.value), f"message {info.value!r} does not name {name!r}"


@FAST
@given(L=not_an_int)
def test_L_must_be_an_integer(L):
    raises_naming("L", lambda: ising.simulate(L, 2.0, 1, seed=0))


@FAST
@given(L=st.one_of(st.integers(max_value=1), st.integers(min_value=4097, max_value=10**12)))
def test_L_out_of_range(L):
    raises_naming("L", lambda: ising.simulate(L, 2.0, 1, seed=0))


@FAST
@given(L=st.integers(min_value=1, max_value=200).map(lambda k: 2 * k + 1))
def test_odd_L_rejected_for_checkerboard(L):
    raises_naming("L", lambda: ising.simulate(L, 2.0, 1, seed=0))


@FAST
@given(T=not_positive_finite)
def test_T_must_be_positive_and_finite(T):
    raises_naming("T", lambda: ising.simulate(8, T, 1, seed=0))


@FAST
@given(T=st.one_of(st.text(max_size=3), st.none(), st.complex_numbers()))
def test_T_must_be_real(T):
    raises_naming("T", lambda: ising.simulate(8, T, 1, seed=0))


@FAST
@given(sweeps=st.one_of(st.integers(max_value=-1), st.floats(), st.text(max_size=2)))
def test_sweeps_must_be_non_negative_integer(sweeps):
    raises_naming("sweeps", lambda: ising.simulate(8, 2.0, sweeps, seed=0))


@FAST
@given(seed=st.one_of(st.integers(max_value=-1), st.integers(min_value=2**63), st.floats(), st.text(max_size=2)))
def test_seed_validated(seed):
    raises_naming("seed", lambda: ising.simulate(8, 2.0, 1, seed=seed))


def test_work_that_would_take_minutes_is_refused_at_once():
    raises_naming("sweeps", lambda: ising.simulate(4096, 2.0, 1_000_000, seed=0))
    raises_naming("n", lambda: ising.sample_configurations(4096, 2.0, 10**6, seed=0))


def test_other_arguments():
    raises_naming("method", lambda: ising.simulate(8, 2.0, 1, method="glauber"))
    raises_naming("h", lambda: ising.simulate(8, 2.0, 1, method="wolff", h=0.1))
    raises_naming("h", lambda: ising.simulate(8, 2.0, 1, h=math.nan))
    raises_naming("burn_in", lambda: ising.simulate(8, 2.0, 1, burn_in=-1))
    raises_naming("spins", lambda: ising.simulate(8, 2.0, 1, spins=np.zeros((8, 8))))
    raises_naming("spins", lambda: ising.simulate(8, 2.0, 1, spins=np.ones((6, 6))))
    raises_naming("T", lambda: ising.simulate(8, [2.0, 1.0], 3))
    raises_naming("b", lambda: ising.block_spin(np.ones((8, 8)), 3))
    raises_naming("b", lambda: ising.block_spin(np.ones((8, 8)), 1))
    raises_naming("L", lambda: ising.exact_thermodynamics(5, 2.0))
    raises_naming("T", lambda: ising.onsager_energy(-1.0))
    raises_naming("T", lambda: ising.onsager_magnetization(np.nan))
    raises_naming("m", lambda: ising.binder_cumulant(np.zeros(10)))
    raises_naming("n", lambda: ising.sample_configurations(8, 2.0, 0))


def test_wolff_accepts_odd_L():
    assert ising.simulate(9, 2.0, 3, method="wolff", seed=0).spins.shape == (9, 9)


@pytest.mark.parametrize("T", [1e-3, 0.01, 0.1, 1.0, ising.T_C, 3.0, 1e3, 1e6])
def test_exact_results_are_finite_over_the_whole_range(T):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warnings either
        values = [ising.onsager_energy(T), ising.onsager_magnetization(T)]
        if T != ising.T_C:
            values.append(ising.onsager_specific_heat(T))
    assert np.all(np.isfinite(values))
    raises_naming("T", lambda: ising.onsager_energy(1e7))


# --------------------------------------------------------------------------
# emergence.hopfield
# --------------------------------------------------------------------------
from emergence import hopfield  # noqa: E402

XI = hopfield.random_patterns(20, 3, seed=0)


@FAST
@given(N=st.one_of(not_an_int, st.integers(max_value=0), st.integers(min_value=1_000_001, max_value=10**12)))
def test_random_patterns_N(N):
    raises_naming("N", lambda: hopfield.random_patterns(N, 3, seed=0))


@FAST
@given(d=st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1.0), st.just(math.nan)))
def test_random_patterns_dilution(d):
    raises_naming("dilution", lambda: hopfield.random_patterns(10, 3, dilution=d, seed=0))


def test_random_patterns_refuses_huge_requests():
    raises_naming("N * P", lambda: hopfield.random_patterns(1_000_000, 1_000, seed=0))


@FAST
@given(T=st.one_of(st.floats(max_value=-1e-9), st.just(math.nan), st.just(math.inf), st.text(max_size=2)))
def test_retrieve_T(T):
    raises_naming("T", lambda: hopfield.retrieve(XI, XI[0], T=T, seed=0))


@FAST
@given(p=st.one_of(not_an_int, st.integers(max_value=1), st.integers(min_value=9, max_value=10**6)))
def test_retrieve_p(p):
    raises_naming("p", lambda: hopfield.retrieve(XI, XI[0], p=p, seed=0))


@FAST
@given(sweeps=st.one_of(not_an_int, st.integers(max_value=0)))
def test_retrieve_sweeps(sweeps):
    raises_naming("sweeps", lambda: hopfield.retrieve(XI, XI[0], sweeps=sweeps, seed=0))


@pytest.mark.parametrize("probe", [np.ones(19), np.zeros(20), np.full(20, 2), "abc", None, np.ones((2, 20))])
def test_retrieve_probe(probe):
    raises_naming("probe", lambda: hopfield.retrieve(XI, probe, seed=0))


@pytest.mark.parametrize("patterns", [np.ones(20), np.full((3, 20), 2, dtype=int), [[np.nan, 1.0]], "x",
                                      np.zeros((0, 20)), np.ones((2, 3), dtype=bool)])
def test_patterns_rejected(patterns):
    raises_naming("patterns", lambda: hopfield.retrieve(patterns, np.ones(20), seed=0))


def test_retrieve_refuses_minutes_of_work():
    big = np.ones((2000, 2000), np.int8)
    raises_naming("retrieve", lambda: hopfield.retrieve(big, np.ones(2000), sweeps=10_000, seed=0))


def test_temperature_schedule_length():
    raises_naming("T", lambda: hopfield.retrieve(XI, XI[0], T=[0.1, 0.2], sweeps=3, seed=0))


@pytest.mark.parametrize("call, name", [
    (lambda: hopfield.noisy_examples(XI, 0, 0.5), "M"),
    (lambda: hopfield.noisy_examples(XI, 3, 1.5), "r"),
    (lambda: hopfield.learned_patterns(np.ones((3, 20)), supervised=True), "examples"),
    (lambda: hopfield.archetype_overlap_theory(3, -0.1), "r"),
    (lambda: hopfield.retrieval_overlap_theory(-0.1), "alpha"),
    (lambda: hopfield.retrieval_overlap_theory(0.1, T=-1), "T"),
    (lambda: hopfield.low_load_overlap(math.nan), "T"),
    (lambda: hopfield.multitasking_overlaps(1.0, 3), "dilution"),
    (lambda: hopfield.glyph_patterns("A B"), "text"),
    (lambda: hopfield.glyph_patterns("A", size=4), "size"),
    (lambda: hopfield.corrupt(XI[0], 2.0), "flip_fraction"),
    (lambda: hopfield.overlaps(XI, np.ones(7)), "state"),
    (lambda: hopfield.critical_pattern_count(2), "N"),
    (lambda: hopfield.retrieval_fraction(20, 3, trials=0), "trials"),
])
def test_hopfield_bad_arguments(call, name):
    raises_naming(name, call)


# --------------------------------------------------------------------------
# emergence.sandpile and emergence.automata
# --------------------------------------------------------------------------
from emergence import automata, sandpile  # noqa: E402


@FAST
@given(L=st.one_of(not_an_int, st.integers(max_value=1), st.integers(min_value=2049, max_value=10**9)))
def test_sandpile_L(L):
    raises_naming("L", lambda: sandpile.drive(L, 10, seed=0))


@FAST
@given(grains=st.one_of(not_an_int, st.integers(max_value=-1), st.integers(min_value=50_000_001, max_value=10**12)))
def test_sandpile_grains(grains):
    raises_naming("grains", lambda: sandpile.drive(8, grains, seed=0))


@FAST
@given(value=st.one_of(st.integers(min_value=-10**6, max_value=-1), st.integers(min_value=4, max_value=1000)))
def test_sandpile_heights_must_be_stable(value):
    heights = np.zeros((6, 6), int)
    heights[2, 3] = value
    raises_naming("heights", lambda: sandpile.drive(6, 1, heights=heights, seed=0))


@FAST
@given(p=st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1.000001), st.just(math.nan), st.text(max_size=2)))
def test_domany_kinzel_probabilities(p):
    raises_naming("p1", lambda: automata.domany_kinzel(p, 0.5, 10, 5, seed=0))
    raises_naming("p2", lambda: automata.domany_kinzel(0.5, p, 10, 5, seed=0))


@FAST
@given(L=st.one_of(not_an_int, st.integers(max_value=3), st.integers(min_value=2, max_value=500).map(lambda k: 2 * k + 1)))
def test_coffee_L(L):
    raises_naming("L", lambda: automata.coffee(L, 5, seed=0))


# --- random matrices and map-neuron networks --------------------------------
from emergence import map_networks, rmt  # noqa: E402


@FAST
@given(N=st.one_of(not_an_int, st.integers(max_value=0), st.integers(min_value=6001, max_value=10**12)))
def test_dense_ensemble_size(N):
    for make in (rmt.goe, rmt.gue, rmt.ginibre):
        raises_naming("N", lambda: make(N, seed=0))


@FAST
@given(beta=not_positive_finite)
def test_beta_hermite_beta(beta):
    raises_naming("beta", lambda: rmt.beta_hermite(10, beta, seed=0))


@FAST
@given(gamma=st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=10.001), st.just(math.nan)))
def test_rosenzweig_porter_gamma(gamma):
    raises_naming("gamma", lambda: rmt.rosenzweig_porter(10, gamma, seed=0))


@FAST
@given(levels=st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=2))
def test_spacing_ratios_need_three_finite_levels(levels):
    raises_naming("eigenvalues", lambda: rmt.spacing_ratios(levels))


@FAST
@given(n_ring=st.one_of(not_an_int, st.integers(max_value=2)))
def test_ring_star_size(n_ring):
    raises_naming("n_ring", lambda: map_networks.ring_star(n_ring, star=0.1, ring=0.1))


@FAST
@given(star=st.one_of(st.just(math.nan), st.just(math.inf), st.text(max_size=2), st.none()))
def test_ring_star_strength(star):
    raises_naming("star", lambda: map_networks.ring_star(4, star=star, ring=0.1))


# --- spin glasses --------------------------------------------------------------
from emergence import spinglass  # noqa: E402

SK = spinglass.sk_couplings(8, seed=0)


@FAST
@given(T=st.one_of(not_positive_finite, st.text(max_size=2)))
def test_tempering_temperatures(T):
    raises_naming("temperatures", lambda: spinglass.parallel_tempering(SK, [0.5, T], 5, seed=0))


@FAST
@given(data=st.data())
def test_tempering_rejects_bad_couplings(data):
    n = data.draw(st.integers(min_value=2, max_value=10))
    J = np.array(data.draw(st.lists(st.floats(-2, 2), min_size=n * n, max_size=n * n))).reshape(n, n)
    kind = data.draw(st.sampled_from(["asymmetric", "diagonal", "nan"]))
    if kind == "asymmetric":
        J = np.triu(J, 1)
        J[0, 1] = 1.0  # so that J != J.T
    elif kind == "diagonal":
        J = (J + J.T) / 2
        J[n - 1, n - 1] = 0.5
    else:
        J = (J + J.T) / 2
        np.fill_diagonal(J, 0)
        J[0, 1] = J[1, 0] = math.nan
    raises_naming("J", lambda: spinglass.parallel_tempering(J, [1.0], 2, seed=0))


@FAST
@given(N=st.one_of(not_an_int, st.integers(max_value=1), st.integers(min_value=20_001, max_value=10**9)))
def test_sk_size(N):
    raises_naming("N", lambda: spinglass.sk_couplings(N, seed=0))


@FAST
@given(n=st.integers(min_value=23, max_value=64))
def test_enumeration_refuses_large_systems(n):
    raises_naming("N <= 22", lambda: spinglass.state_energies(np.zeros((n, n))))
