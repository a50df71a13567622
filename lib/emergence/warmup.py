"""Compile every numba kernel once (``python -m emergence.warmup``).

Kernels are cached on disk (``cache=True``), so after this the first call in a
new session loads machine code instead of compiling. Binder's ``postBuild``
runs it; ``make lab`` and ``make test`` too. From the command line the model
families compile side by side, one process per usable CPU.
"""

import numpy as np

from . import automata, chaos, diffusion, epidemics, hopfield, ising, map_networks, maps, nninit, oscillators, rmt, sampling, sandpile, scaling, spinglass, stats, tipping, walks


def _ising():
    ising.simulate(4, 2.0, 2, seed=0)
    ising.simulate(4, 2.0, 2, method="wolff", seed=0)
    ising.sample_configurations(4, 2.0, 2, seed=0)
    ising.block_spin(np.ones((4, 4)), 2)
    ising.energy_per_spin(np.ones((4, 4)))


def _hopfield():
    binary = hopfield.random_patterns(8, 3, seed=0)
    real = binary + 0.5
    for patterns in (binary, real):
        for p in (2, 3):
            hopfield.retrieve(patterns, np.ones(8), p=p, sweeps=2, seed=0)
            hopfield.retrieve(patterns, np.ones(8), p=p, T=[0.5, 0.0], sweeps=2, seed=0)
            hopfield.flip_energies(patterns, np.ones(8), p=p)


def _sandpiles_and_automata():
    pile = sandpile.drive(4, 50, seed=0)
    sandpile.is_recurrent(pile.heights)
    sandpile.relax(pile.heights.astype(np.int64) + 4)
    automata.coffee(4, 2, seed=0)
    automata.coffee(4, 2, interacting=False, seed=0)
    automata.domany_kinzel(0.5, 0.5, 8, 2, seed=0)


def _maps_and_oscillators():
    for name in maps.MAPS:
        params = {k: 0.5 for k in maps.MAPS[name][2]}
        start = [0.3, 0.1][: maps.MAPS[name][1]]
        maps.iterate(name, params, start, 3)
        maps.lyapunov(name, params, n=3, transient=1, x0=start)
        maps.bifurcation(name, params, maps.MAPS[name][2][0], [0.5, 0.6], transient=1, keep=2, x0=start)
    stats.sample_entropy(np.tile([0.0, 1.0], 5), 2, 0.5)
    for noise in (0.0, 0.1):
        oscillators.kuramoto(np.zeros(4), 1.0, 0.2, 0.1, noise=noise, seed=0)
    map_networks.simulate(["chialvo", "rulkov"], [{"a": 0.89, "b": 0.18, "c": 0.28, "k": 0.03},
                                                  {"alpha": 4.5, "mu": 0.001, "sigma": -1.0}],
                          map_networks.chain(2, 0.1), 3, transient=1, lyapunov=2, seed=0)


def _random_matrices():
    rmt.spacing_ratios([0.0, 1.0, 3.0])
    rmt.ipr(np.eye(2))
    rmt.ipr(np.eye(2) + 0j)
    rmt.localization_length(1.0, n=100, seed=0)
    rmt.wavepacket_spreading(4, 1.0, 0.1, 0.05, record_every=1, seed=0)


def _spin_glasses():
    for J in (spinglass.sk_couplings(4, seed=0), spinglass.ea_couplings(3, seed=0)):
        spinglass.parallel_tempering(J, [0.5, 1.0], 2, seed=0)
    spinglass.state_energies(spinglass.sk_couplings(3, seed=0))


def _sampling():
    for method in sampling.METHODS:
        for target in sampling.TARGETS:
            sampling.run(target, method, 2, step=0.1, n_leapfrog=2, seed=0)
    for moves in (False, True):
        sampling.u1_gauge(4, 1.0, 2, step=0.1, n_leapfrog=2, instanton_moves=moves, seed=0)


def _walks():
    for jumps in walks.JUMPS:
        walks.random_walk(2, jumps=jumps, seed=0)
        walks.survival_probability(2, jumps=jumps, walkers=2, seed=0)
    walks.ou_persistence(1.0, 1.0, dt=0.1, samples=100, seed=0)
    for kernel in walks.COAGULATION_KERNELS:
        walks.coagulation_particles(4, [0.5], 2, kernel=kernel, seed=0)
    walks.mass_transfer(4, 2, seed=0)
    walks.mass_transfer(4, 2, diffusion=0.5, record_every=1, seed=0)
    walks.stochastic_acceleration(10, escape=5.0, dt=1e-3, seed=0)
    walks.stochastic_acceleration(10, escape=5.0, q=1.5, loss=0.01, p_max=10, dt=1e-3, seed=0)


def _chaos():
    small = {"lorenz96": {"N": 4}, "lorenz96-2scale": {"K": 4, "J": 2}}
    for system, (_, names, _, _) in chaos.SYSTEMS.items():
        params = small.get(system, {})
        x0 = chaos.default_state(system, params=params, seed=0)
        chaos.integrate(system, x0, 0.02, 0.01, params=params)
        chaos.lyapunov_spectrum(system, params=params, t_max=0.02, dt=0.01, transient=0.01, seed=0)
        chaos.parameter_sensitivity(system, x0, 0.02, 0.01, wrt=names[0], params=params)
    for model in chaos.SHELL_MODELS:
        chaos.shell_model(4, 0.02, 0.01, nu=0.1, forcing=[0.1], noise=0.1, model=model, seed=0)
    series = np.sin(np.linspace(0, 20, 200))[:, None] * [1.0, 0.5] + [0.0, 1.0]
    fc = chaos.PLRNNForecaster(hidden=2, sequence=2, batch=1, iterations=1, seed=0).fit(series)
    fc.forecast(series[:2], 2)
    fc.largest_lyapunov(series[:2], 2)
    maps.parameter_sensitivity("logistic", {"r": 3.9}, [0.2], 2, wrt="r")


def _epidemics_and_tipping():
    epidemics.sir(2.0, 1.0, 1.0, N=10, stochastic=True, seed=0)
    epidemics.sir(2.0, 1.0, 1.0, N=10, stochastic=True, dt=0.5, seed=0)
    epidemics.final_size_samples(2.0, N=10, runs=2, seed=0)
    epidemics.seasonal_population(None, 0.5, 1, steps_per_period=4)
    tipping.fold_drift(0.1, 0.01, rate=0.1, noise=0.1, seed=0)
    tipping.double_well(0.1, 0.01, noise=0.1, seed=0)
    tipping.rate_ramp(0.1, 0.01, rate=1.0, seed=0)


def _random_networks():
    nninit.signature_kernel([[0.0, 0.0], [1.0, 0.5]], [[0.0, 0.0], [0.5, 1.0]], refinement=1)


def _scaling():
    problem = scaling.power_law_problem(8, alpha=1.0, beta=0.5, seed=0)
    scaling.train_sgd(problem, 2, 2, lr=0.1, seed=0)
    scaling.train_relu_network(2, steps=2, seed=0)
    scaling._expected_sgd_loss(np.ones(2), np.ones(2), 0.1, 0.1, 1, np.array([0, 1]), np.empty(2), True)


def _diffusion():
    vp = diffusion.schedule("vp")
    x = np.zeros((2, 2))
    diffusion.gmm_score(x, 0.5, [1.0], [[0.0, 0.0]], [np.eye(2)], schedule=vp)
    diffusion.event_score(x, 0.5, np.ones((3, 2)), schedule=vp, bandwidth=0.1, direction=[1.0, 0.0], threshold=0.0)
    diffusion.pfgm_sample(np.ones((3, 2)), 4.0, 2, steps=1, seed=0)
    diffusion.pfgm_sample(np.ones((3, 2)), np.inf, 2, steps=1, seed=0)


# The slowest to compile first, so that the processes finish together.
FAMILIES = (_hopfield, _ising, _sandpiles_and_automata, _maps_and_oscillators, _random_matrices,
            _spin_glasses, _sampling, _walks, _chaos, _epidemics_and_tipping, _random_networks, _scaling,
            _diffusion)


def _run(index):
    FAMILIES[index]()


def warm_up(workers=1):
    """Call each kernel on a tiny input, in this process or in ``workers`` processes side by side."""
    if workers <= 1:
        for family in FAMILIES:
            family()
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_run, range(len(FAMILIES))))


if __name__ == "__main__":
    from .threads import usable_cpus

    warm_up(usable_cpus())
    print("emergence: numba kernels compiled and cached")
