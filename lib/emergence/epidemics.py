"""Compartmental epidemics: the SIR model, deterministic and stochastic, and its final size.

Epidemic conventions
--------------------
A closed population of N individuals is split into susceptible S, infected
I and removed R. Infection happens at the total rate beta S I / N (mass
action, frequency dependent), recovery at gamma I, so

    dS/dt = -beta S I / N,   dI/dt = beta S I / N - gamma I,   dR/dt = gamma I,

with the basic reproduction number R0 = beta / gamma. Time is in the units
of 1 / gamma when gamma = 1. The stochastic model is the continuous-time
Markov chain with the same rates, simulated exactly by Gillespie's
algorithm. The final size z is the fraction of the population ever
infected, as N -> infinity and with a vanishing initial infected fraction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.integrate import solve_ivp
from scipy.linalg import expm
from scipy.optimize import brentq
from scipy.special import lambertw

from ._validation import check_bool, check_int, check_params, check_real, check_real_array, check_work
from ._xoshiro import uniform
from .random import kernel_state, resolve_seed, seeded

MAX_POPULATION = 10_000_000
#: About ten seconds of Gillespie events (some 8 ns each).
MAX_EVENTS = 1e9


def final_size(R0):
    """The final epidemic size z solving z = 1 - exp(-R0 z).

    For R0 > 1 the positive root, z = 1 + W_0(-R0 e^{-R0}) / R0 with W_0
    the principal branch of Lambert's W; for R0 <= 1 the only root, 0.

    Parameters
    ----------
    R0 : float or array_like, >= 0

    Returns
    -------
    float or ndarray
    """
    scalar = np.ndim(R0) == 0
    r = check_real_array("R0", np.atleast_1d(R0), low=0.0)
    z = np.zeros_like(r)
    big = r > 1
    z[big] = 1 + lambertw(-r[big] * np.exp(-r[big]), 0).real / r[big]
    # one Newton step on f(z) = z - 1 + exp(-R0 z) removes the last rounding of W
    f = z[big] - 1 + np.exp(-r[big] * z[big])
    z[big] -= f / (1 - r[big] * np.exp(-r[big] * z[big]))
    return float(z[0]) if scalar else z


@dataclass(frozen=True)
class SIRResult:
    """Outcome of :func:`sir`: counts S, I, R at times t (fractions if you divide by N)."""

    t: np.ndarray
    S: np.ndarray
    I: np.ndarray  # noqa: E741 (the standard name of the compartment)
    R: np.ndarray
    N: int
    seed: int | None


@njit(cache=True)
def _gillespie(beta, gamma, N, S, I, t_max, grid, state, out_t, out_s, out_i):
    """Exact SIR events until t_max or extinction. With a time grid, the state at
    each grid time is recorded; without (grid empty), every event. Returns the records written."""
    t = 0.0
    k = 0
    n_grid = grid.shape[0]
    if n_grid == 0:
        out_t[0] = 0.0
        out_s[0] = S
        out_i[0] = I
        k = 1
    while I > 0:
        infection = beta * S * I / N
        total = infection + gamma * I
        t_next = t - math.log(1.0 - uniform(state)) / total
        if n_grid > 0:
            while k < n_grid and grid[k] < t_next and grid[k] <= t_max:
                out_t[k] = grid[k]
                out_s[k] = S
                out_i[k] = I
                k += 1
        if t_next > t_max:
            t = t_max
            break
        t = t_next
        if uniform(state) * total < infection:
            S -= 1
            I += 1
        else:
            I -= 1
        if n_grid == 0:
            out_t[k] = t
            out_s[k] = S
            out_i[k] = I
            k += 1
    if n_grid > 0:
        while k < n_grid:  # extinct (or past t_max): the state no longer changes
            out_t[k] = grid[k]
            out_s[k] = S
            out_i[k] = I
            k += 1
    return k


def sir(beta, gamma, t_max, *, N, I0=1, stochastic=False, dt=None, seed=None):
    """The SIR epidemic, as an ODE or as the exact stochastic process.

    Parameters
    ----------
    beta, gamma : float > 0
        Infection and recovery rates; R0 = beta / gamma.
    t_max : float > 0
    N : int
        Population size, 2..10^7.
    I0 : int
        Initially infected (the rest susceptible).
    stochastic : bool
        False: the ODE (solved to relative accuracy 1e-10). True: Gillespie's
        exact simulation.
    dt : float, optional
        Spacing of the recorded times. Default: t_max / 1000 for the ODE; for
        the stochastic model None records every event.
    seed : int, optional
        For the stochastic model.

    Returns
    -------
    SIRResult
    """
    beta = check_real("beta", beta, low=0.0, low_open=True)
    gamma = check_real("gamma", gamma, low=0.0, low_open=True)
    t_max = check_real("t_max", t_max, low=0.0, low_open=True)
    N = check_int("N", N, low=2, high=MAX_POPULATION)
    I0 = check_int("I0", I0, low=1, high=N)
    stochastic = check_bool("stochastic", stochastic)
    if dt is not None:
        dt = check_real("dt", dt, low=0.0, low_open=True, high=t_max)
        check_work("sir (recorded times)", t_max / dt, 1e7)
    if not stochastic:
        grid = np.linspace(0, t_max, 1001) if dt is None else np.arange(0, t_max + 0.5 * dt, dt)

        def rhs(_, y):
            s, i = y
            new = beta * s * i / N
            return [-new, new - gamma * i]

        sol = solve_ivp(rhs, (0, t_max), [N - I0, I0], t_eval=grid, rtol=1e-10, atol=1e-10 * N, method="LSODA")
        S, I = sol.y
        return SIRResult(t=sol.t, S=S, I=I, R=N - S - I, N=N, seed=None)
    seed = resolve_seed(seed)
    # the number of events is at most 2 N; beyond it, a grid keeps the output small
    check_work("sir (events, at most 2 N)", 2.0 * N, MAX_EVENTS)
    grid = np.empty(0) if dt is None else np.arange(0, t_max + 0.5 * dt, dt)
    size = 2 * N + 2 if dt is None else grid.size
    out_t, out_s, out_i = np.empty(size), np.empty(size, np.int64), np.empty(size, np.int64)
    k = _gillespie(beta, gamma, N, N - I0, I0, t_max, grid, kernel_state(seed), out_t, out_s, out_i)
    S, I = out_s[:k].copy(), out_i[:k].copy()
    return SIRResult(t=out_t[:k].copy(), S=S, I=I, R=N - S - I, N=N, seed=seed)


@njit(cache=True)
def _final_sizes(p_ratio, N, I0, runs, state, out):
    """Final sizes from the embedded jump chain: an event is an infection with
    probability beta S / (beta S + gamma N); times do not matter for the final size."""
    for r in range(runs):
        S = N - I0
        I = I0
        while I > 0:
            if uniform(state) * (p_ratio * S + N) < p_ratio * S:
                S -= 1
                I += 1
            else:
                I -= 1
        out[r] = N - S


def final_size_samples(R0, *, N, runs, I0=1, seed=None):
    """Total numbers ever infected (I0 included) in ``runs`` independent stochastic SIR epidemics.

    Exact: the final size depends only on the sequence of events, whose
    next member is an infection with probability R0 S / (R0 S + N), so
    event times are never drawn.

    Parameters
    ----------
    R0 : float > 0
    N : int
    runs : int
    I0 : int
    seed : int, optional

    Returns
    -------
    ndarray of int, shape (runs,) (a SeededArray recording ``seed``)
    """
    R0 = check_real("R0", R0, low=0.0, low_open=True)
    N = check_int("N", N, low=2, high=MAX_POPULATION)
    runs = check_int("runs", runs, low=1, high=10_000_000)
    I0 = check_int("I0", I0, low=1, high=N)
    check_work("final_size_samples (runs * 2 N events at most)", 2.0 * N * runs * min(1.0, R0), MAX_EVENTS)
    seed = resolve_seed(seed)
    out = np.empty(runs, np.int64)
    _final_sizes(R0, N, I0, runs, kernel_state(seed), out)
    return seeded(out, seed)


# --------------------------------------------------------------------------
# seasonal populations: juveniles and adults under two alternating seasons
# --------------------------------------------------------------------------
#: Parameters of :func:`seasonal_population` and their defaults (rates per unit time).
SEASONAL_DEFAULTS = {
    "period": 1.0,            # one year
    "birth": 12.0,            # favourable season: juveniles born per adult
    "maturation": 4.0,        # favourable season: juvenile -> adult rate
    "juvenile_death": 1.0,    # favourable season
    "adult_death": 1.0,       # favourable season
    "competition": 0.5,       # juvenile crowding: death rate competition * J (the concave term)
    "winter_juvenile_death": 2.0,  # unfavourable season (no births, no maturation)
    "winter_adult_death": 3.0,
}


def _seasonal_params(params):
    full = check_params(params, SEASONAL_DEFAULTS)
    for k, v in full.items():
        full[k] = check_real(f"params[{k!r}]", v, low=0.0, low_open=k == "period")
    return full


def seasonal_matrices(params=None):
    """The linearizations at zero (J, A) of the favourable and unfavourable seasons.

    Favourable: J' = b A - (m + mu_J) J - c J^2, A' = m J - mu_A A.
    Unfavourable: J' = -w_J J, A' = -w_A A (no births, no maturation).
    Both are cooperative (off-diagonal entries >= 0) and concave.

    Returns
    -------
    (ndarray, ndarray), each 2 x 2
    """
    p = _seasonal_params(params)
    fav = np.array([[-(p["maturation"] + p["juvenile_death"]), p["birth"]],
                    [p["maturation"], -p["adult_death"]]])
    unfav = np.diag([-p["winter_juvenile_death"], -p["winter_adult_death"]])
    return fav, unfav


def floquet_exponent(favourable, unfavourable, unfavourable_fraction, period):
    """The principal Floquet exponent of y' = M(t) y, M alternating between two constant matrices.

    Over one period the favourable matrix acts for (1 - s) T and the
    unfavourable one for s T, so the monodromy matrix is
    exp(U s T) exp(F (1 - s) T), and the exponent is ln(its spectral radius) / T.
    The zero solution is stable when it is negative. For 1 x 1 matrices
    (r_fav, -r_unfav) it is r_fav (1 - s) - r_unfav s, zero at s = r_fav / (r_fav + r_unfav).
    """
    F = np.atleast_2d(check_real_array("favourable", favourable))
    U = np.atleast_2d(check_real_array("unfavourable", unfavourable))
    if F.shape != U.shape or F.shape[0] != F.shape[1]:
        raise ValueError(f"favourable and unfavourable must be square matrices of one shape, got {F.shape}, {U.shape}")
    s = check_real("unfavourable_fraction", unfavourable_fraction, low=0.0, high=1.0)
    T = check_real("period", period, low=0.0, low_open=True)
    monodromy = expm(U * s * T) @ expm(F * (1 - s) * T)
    return float(np.log(np.max(np.abs(np.linalg.eigvals(monodromy)))) / T)


def critical_unfavourable_fraction(params=None):
    """The sharp seasonal threshold s*: the population persists for s < s* and dies out for s > s*.

    s* is where the principal Floquet exponent of the linearization at zero
    (:func:`floquet_exponent` with :func:`seasonal_matrices`) crosses zero;
    for cooperative systems with concave nonlinearities this linear threshold
    is also the threshold of the nonlinear model (the sharp seasonal
    threshold property). Returns 0 if the population dies out even without an
    unfavourable season and 1 if it survives a whole year of it.
    """
    p = _seasonal_params(params)
    F, U = seasonal_matrices(p)

    def exponent(s):
        return floquet_exponent(F, U, s, p["period"])

    if exponent(0.0) <= 0:
        return 0.0
    if exponent(1.0) >= 0:
        return 1.0
    return float(brentq(exponent, 0.0, 1.0, xtol=1e-13))


@dataclass(frozen=True)
class SeasonalResult:
    """Outcome of :func:`seasonal_population`: juveniles J and adults A at times t (in periods)."""

    t: np.ndarray
    J: np.ndarray
    A: np.ndarray
    unfavourable_fraction: float


@njit(cache=True)
def _seasonal_rhs(favourable, p, J, A):
    if favourable:
        return (p[0] * A - (p[1] + p[2]) * J - p[4] * J * J, p[1] * J - p[3] * A)
    return (-p[5] * J, -p[6] * A)


@njit(cache=True)
def _seasonal_run(p, J, A, periods, n_fav, n_unfav, h_fav, h_unfav, out):
    """Fixed-step RK4 through each season; out[k] = (J, A) at every step (seasons' ends included)."""
    k = 0
    out[k, 0] = J
    out[k, 1] = A
    for _ in range(periods):
        for favourable, n, h in ((True, n_fav, h_fav), (False, n_unfav, h_unfav)):
            for _ in range(n):
                a1, b1 = _seasonal_rhs(favourable, p, J, A)
                a2, b2 = _seasonal_rhs(favourable, p, J + 0.5 * h * a1, A + 0.5 * h * b1)
                a3, b3 = _seasonal_rhs(favourable, p, J + 0.5 * h * a2, A + 0.5 * h * b2)
                a4, b4 = _seasonal_rhs(favourable, p, J + h * a3, A + h * b3)
                J += h * (a1 + 2 * a2 + 2 * a3 + a4) / 6
                A += h * (b1 + 2 * b2 + 2 * b3 + b4) / 6
                k += 1
                out[k, 0] = J
                out[k, 1] = A


def seasonal_population(params, unfavourable_fraction, periods, *, y0=(1.0, 1.0), steps_per_period=400):
    """Juveniles and adults under alternating seasons: favourable first, then unfavourable, each period.

    Favourable season: J' = b A - (m + mu_J) J - c J^2, A' = m J - mu_A A;
    unfavourable season: J' = -w_J J, A' = -w_A A (see :func:`seasonal_matrices`).
    Integrated by fixed-step RK4, each season split into whole steps.

    Parameters
    ----------
    params : dict or None
        Keys of :data:`SEASONAL_DEFAULTS` (missing ones take the defaults).
    unfavourable_fraction : float in [0, 1]
        Fraction s of each period that is unfavourable.
    periods : int
    y0 : (J, A), non-negative
    steps_per_period : int
        RK4 steps per period (each season gets its share, at least one).

    Returns
    -------
    SeasonalResult
    """
    p = _seasonal_params(params)
    s = check_real("unfavourable_fraction", unfavourable_fraction, low=0.0, high=1.0)
    periods = check_int("periods", periods, low=1, high=100_000)
    n = check_int("steps_per_period", steps_per_period, low=4, high=100_000)
    check_work("seasonal_population (periods * steps)", float(periods) * n, 1e8)
    y = check_real_array("y0", y0, ndim=1, low=0.0)
    if y.size != 2:
        raise ValueError(f"y0 must be (J, A), got {y.size} values")
    T = p["period"]
    n_unfav = 0 if s == 0 else max(1, int(round(n * s)))
    n_fav = 0 if s == 1 else max(1, n - n_unfav)
    h_fav = (1 - s) * T / n_fav if n_fav else 0.0
    h_unfav = s * T / n_unfav if n_unfav else 0.0
    vector = np.array([p["birth"], p["maturation"], p["juvenile_death"], p["adult_death"], p["competition"],
                       p["winter_juvenile_death"], p["winter_adult_death"]])
    out = np.empty((periods * (n_fav + n_unfav) + 1, 2))
    _seasonal_run(vector, float(y[0]), float(y[1]), periods, n_fav, n_unfav, h_fav, h_unfav, out)
    one = np.concatenate([h_fav * np.arange(1, n_fav + 1), (1 - s) * T + h_unfav * np.arange(1, n_unfav + 1)])
    t = np.concatenate([[0.0], (np.arange(periods)[:, None] * T + one[None, :]).ravel()])
    return SeasonalResult(t=t / T, J=out[:, 0], A=out[:, 1], unfavourable_fraction=s)


# --------------------------------------------------------------------------
# meningitis: carriers, two infective stages, immunity and disease-induced death
# --------------------------------------------------------------------------
#: Parameters of :func:`meningitis` (rates per week) and their defaults.
MENINGITIS_DEFAULTS = {
    "eta": 1.2,         # transmission rate of an infective in stage I or II
    "epsilon": 0.5,     # odds of transmission by a carrier relative to an infective
    "phi": 0.1,         # fraction of new infections that go straight to stage I (the rest become carriers)
    "sigma": 0.05,      # carrier -> stage I (carrier conversion)
    "kappa": 0.5,       # carrier clearance, with immunity
    "alpha": 1.0,       # stage I -> stage II
    "rho1": 0.5,        # recovery with immunity from stage I
    "rho2": 0.7,        # recovery with immunity from stage II
    "d1": 0.05,         # disease-induced death in stage I
    "d2": 0.2,          # disease-induced death in stage II
}
#: The order of the compartments in :class:`MeningitisResult`.
MENINGITIS_COMPARTMENTS = ("S", "C", "I1", "I2", "R")


def _meningitis_params(params):
    full = check_params(params, MENINGITIS_DEFAULTS)
    for k, v in full.items():
        full[k] = check_real(f"params[{k!r}]", v, low=0.0, high=1.0 if k == "phi" else None)
    return full


def _meningitis_rhs(p):
    def rhs(_, y):
        S, C, I1, I2, R = y
        N = S + C + I1 + I2 + R
        force = p["eta"] * (p["epsilon"] * C + I1 + I2) / N
        new = force * S
        return [-new,
                (1 - p["phi"]) * new - (p["sigma"] + p["kappa"]) * C,
                p["phi"] * new + p["sigma"] * C - (p["alpha"] + p["rho1"] + p["d1"]) * I1,
                p["alpha"] * I1 - (p["rho2"] + p["d2"]) * I2,
                p["kappa"] * C + p["rho1"] * I1 + p["rho2"] * I2]
    return rhs


@dataclass(frozen=True)
class MeningitisResult:
    """Outcome of :func:`meningitis`: compartments (rows of ``y`` in the order S, C, I1, I2, R) at times t."""

    t: np.ndarray
    y: np.ndarray

    def __getitem__(self, name):
        return self.y[MENINGITIS_COMPARTMENTS.index(name)]

    @property
    def deaths(self):
        """Cumulative disease-induced deaths: the initial population minus the living."""
        return self.y[:, 0].sum() - self.y.sum(axis=0)


def meningitis(params, y0, t_max, *, points=1000):
    """A compartmental meningitis model with carriers, two infective stages, immunity and disease deaths.

    Our formulation of the model class of the paper "A study of a deterministic model for
    meningitis epidemic": susceptibles S are infected at the rate
    eta (epsilon C + I1 + I2) / N, with carriers C transmitting epsilon times as well as
    infectives. A fraction phi of new infections enters stage I directly, the rest become
    carriers. Carriers convert to stage I at rate sigma or clear with immunity at kappa;
    stage I progresses to stage II at alpha; both stages recover with immunity (rho1, rho2)
    or die of the disease (d1, d2), which removes them from the population N:

        S'  = -f S,                       f = eta (epsilon C + I1 + I2) / N
        C'  = (1 - phi) f S - (sigma + kappa) C
        I1' = phi f S + sigma C - (alpha + rho1 + d1) I1
        I2' = alpha I1 - (rho2 + d2) I2
        R'  = kappa C + rho1 I1 + rho2 I2

    Parameters
    ----------
    params : dict or None
        Keys of :data:`MENINGITIS_DEFAULTS`.
    y0 : array_like, (S, C, I1, I2, R), non-negative, not all zero
    t_max : float > 0
    points : int
        Recorded times, evenly spaced over [0, t_max].

    Returns
    -------
    MeningitisResult
    """
    p = _meningitis_params(params)
    y = check_real_array("y0", y0, ndim=1, low=0.0)
    if y.size != 5 or y.sum() == 0:
        raise ValueError(f"y0 must be 5 non-negative numbers (S, C, I1, I2, R), not all zero, got {y0!r}")
    t_max = check_real("t_max", t_max, low=0.0, low_open=True)
    points = check_int("points", points, low=2, high=1_000_000)
    t = np.linspace(0, t_max, points)
    sol = solve_ivp(_meningitis_rhs(p), (0, t_max), y, t_eval=t, rtol=1e-10, atol=1e-12 * y.sum(), method="LSODA")
    return MeningitisResult(t=sol.t, y=sol.y)


def meningitis_thresholds(params=None):
    """Reproduction numbers of the meningitis model at the disease-free state (next-generation matrix).

    With a_C = sigma + kappa, a_1 = alpha + rho1 + d1, a_2 = rho2 + d2 and
    the infectious output of one stage-I case counted through stage II,

        R_I = eta (1 + alpha / a_2) / a_1                    (a new stage-I infective),
        R_C = eta epsilon / a_C + (sigma / a_C) R_I           (a new carrier),
        R_0 = (1 - phi) R_C + phi R_I,

    the spectral radius of F V^-1 (F has rank one, as every new infection is
    distributed in the same proportions). The infection spreads from a few
    cases exactly when R_0 > 1. R_C and R_I are the thresholds for carriers
    and stage-I infectives: phi moves R_0 from R_C (phi = 0) to R_I (phi = 1).

    Returns
    -------
    dict with keys "R0", "carrier", "infective"
    """
    p = _meningitis_params(params)
    a_c = p["sigma"] + p["kappa"]
    a_1 = p["alpha"] + p["rho1"] + p["d1"]
    a_2 = p["rho2"] + p["d2"]
    if min(a_c, a_1, a_2) == 0:
        raise ValueError("every infected compartment needs a way out: sigma + kappa, alpha + rho1 + d1 and rho2 + d2 "
                         "must be positive")
    r_i = p["eta"] * (1 + p["alpha"] / a_2) / a_1
    r_c = p["eta"] * p["epsilon"] / a_c + p["sigma"] / a_c * r_i
    return {"R0": (1 - p["phi"]) * r_c + p["phi"] * r_i, "carrier": r_c, "infective": r_i}


def meningitis_linearization(params=None):
    """(F, V) of the infected compartments (C, I1, I2) at the disease-free state: new
    infections F and transitions V, so that the early growth rate is the largest eigenvalue of F - V."""
    p = _meningitis_params(params)
    row = p["eta"] * np.array([p["epsilon"], 1.0, 1.0])
    F = np.vstack([(1 - p["phi"]) * row, p["phi"] * row, np.zeros(3)])
    V = np.array([[p["sigma"] + p["kappa"], 0.0, 0.0],
                  [-p["sigma"], p["alpha"] + p["rho1"] + p["d1"], 0.0],
                  [0.0, -p["alpha"], p["rho2"] + p["d2"]]])
    return F, V
