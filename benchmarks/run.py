"""`make bench`: kernel speed against numpy references, explorer latency, chapter time
(alone and beside a CPU hog), and the phases of the last `make test`.

Every comparison is measured side by side in one run, alternating the two
implementations, and reported as a ratio, because these machines are noisy.
Timings are never pass/fail tests.
"""

import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from references import (  # noqa: E402
    numpy_checkerboard_sweeps,
    numpy_empirical_score,
    numpy_glauber_sweeps,
    numpy_gmm_score,
    numpy_goursat,
    numpy_hmc_gaussian,
    numpy_ipr,
    numpy_ks_etdrk4,
    numpy_kuramoto_rk4,
    numpy_lorenz96_rk4,
    numpy_logistic_bifurcation,
    numpy_mass_transfer,
    numpy_mala_gaussian,
    numpy_ridge_readout,
    numpy_rolling_indicators,
    numpy_sandpile_drive,
    numpy_sgd_eigenbasis,
    numpy_sk_metropolis_sweeps,
    numpy_spacing_ratios,
    numpy_u1_trajectories,
    numpy_state_energies,
    numpy_survival,
    python_sample_entropy,
    python_sir_final_sizes,
)

from emergence import (  # noqa: E402
    automata,
    chaos,
    diffusion,
    epidemics,
    explore,
    hopfield,
    ising,
    map_networks,
    maps,
    nninit,
    oscillators,
    rmt,
    sampling,
    sandpile,
    scaling,
    spinglass,
    stats,
    tipping,
    walks,
)
from emergence.warmup import warm_up  # noqa: E402

import under_load  # noqa: E402


def compile_c_reference(name="metropolis"):
    """Compile benchmarks/c/<name>.c with gcc -O3 -march=native; None without gcc."""
    import ctypes
    import shutil
    import subprocess
    import tempfile

    if not shutil.which("gcc"):
        return None
    out = Path(tempfile.mkdtemp()) / f"lib{name}.so"
    subprocess.run(["gcc", "-O3", "-march=native", "-shared", "-fPIC", "-o", str(out),
                    str(HERE / "c" / f"{name}.c"), "-lm"], check=True)
    return ctypes.CDLL(str(out))


def metropolis_table():
    from emergence.random import kernel_state

    import ctypes

    c_lib = compile_c_reference()
    if c_lib is not None:
        c_lib.sweeps.restype = ctypes.c_long
        c_lib.sweeps.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_double, ctypes.c_int, ctypes.c_void_p]
    print("\nMetropolis, ns per attempted spin update at T = T_c (best of 5, the three run alternately)")
    print(f"{'L':>6} {'numba':>8} {'C -O3':>8} {'numpy':>8} {'numpy/numba':>12} {'C/numba':>8}")
    rng = np.random.default_rng(0)
    for L in (64, 256, 1024):
        n_fast = max(4, 4_000_000 // L**2)
        n_numpy = max(1, 400_000 // L**2)
        spins = np.where(rng.random((L, L)) < 0.5, 1, -1).astype(np.int8)
        t_numba, t_numpy, t_c = [], [], []
        for _ in range(5):
            t = time.perf_counter()
            ising.simulate(L, ising.T_C, n_fast, seed=1, spins=spins)
            t_numba.append((time.perf_counter() - t) / (n_fast * L * L))
            t = time.perf_counter()
            numpy_checkerboard_sweeps(spins.copy(), ising.T_C, n_numpy, rng)
            t_numpy.append((time.perf_counter() - t) / (n_numpy * L * L))
            if c_lib is not None:
                work, state = spins.copy(), kernel_state(1)
                t = time.perf_counter()
                c_lib.sweeps(work.ctypes.data, L, 1.0 / ising.T_C, n_fast, state.ctypes.data)
                t_c.append((time.perf_counter() - t) / (n_fast * L * L))
        a, b = min(t_numba) * 1e9, min(t_numpy) * 1e9
        c = min(t_c) * 1e9 if t_c else float("nan")
        print(f"{L:>6} {a:>8.2f} {c:>8.2f} {b:>8.2f} {b / a:>11.1f}x {c / a:>7.2f}x")
    if c_lib is None:
        print("  (gcc not found: C column skipped)")


def wolff_table():
    print("\nWolff at T_c: flipped spins per second, and cost per flipped spin vs a Metropolis update")
    print(f"{'L':>6} {'Mflips/s':>10} {'ns/flip':>10} {'<|C|>/N':>10}")
    for L in (64, 256):
        steps = max(20, 2_000_000 // L**2)
        t = time.perf_counter()
        run = ising.simulate(L, ising.T_C, steps, method="wolff", seed=2)
        dt = time.perf_counter() - t
        print(f"{L:>6} {run.flips.sum() / dt / 1e6:>10.1f} {dt / run.flips.sum() * 1e9:>10.2f} "
              f"{run.mean_cluster_size / L**2:>10.3f}")


def glauber_table():
    """Hopfield/dense Glauber sweeps: numba kernel vs hand-written C (p = 2) vs numpy, side by side."""
    import ctypes

    from emergence.random import kernel_state

    c_lib = compile_c_reference("glauber")
    n, P, T = 1000, 100, 0.3
    xi = hopfield.random_patterns(n, P, seed=3)
    probe = hopfield.corrupt(xi[0], 0.1, seed=4)
    print(f"\nGlauber sweep, N = {n}, P = {P}, T = {T}: ns per update (N per sweep), best of 5, run alternately")
    print(f"{'p':>3} {'numba':>9} {'C -O3':>9} {'numpy':>9} {'numpy/numba':>12} {'C/numba':>8}")
    for p in (2, 3):
        sweeps_fast, sweeps_numpy = 400, 2
        t_numba, t_numpy, t_c = [], [], []
        for _ in range(5):
            t = time.perf_counter()
            hopfield.retrieve(xi, probe, T=T, p=p, sweeps=sweeps_fast, seed=5)
            t_numba.append((time.perf_counter() - t) / (sweeps_fast * n))
            t = time.perf_counter()
            numpy_glauber_sweeps(xi, probe.astype(np.float64), p, T, sweeps_numpy, np.random.default_rng(6))
            t_numpy.append((time.perf_counter() - t) / (sweeps_numpy * n))
            if c_lib is not None and p == 2:
                xi_t = np.ascontiguousarray(xi.T)
                state = probe.copy()
                M = xi.astype(np.int64) @ state.astype(np.int64)
                norm2 = np.count_nonzero(xi_t, axis=1).astype(np.int64)
                order, rng_state = np.empty(n, np.int64), kernel_state(5)
                args = [a.ctypes.data for a in (xi_t,)] + [n, P] + [a.ctypes.data for a in (state, M, norm2)]
                c_lib.glauber_sweeps.restype = ctypes.c_long
                c_lib.glauber_sweeps.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p,
                                                 ctypes.c_void_p, ctypes.c_void_p, ctypes.c_double, ctypes.c_int,
                                                 ctypes.c_void_p, ctypes.c_void_p]
                t = time.perf_counter()
                c_lib.glauber_sweeps(*args, 1.0 / T, sweeps_fast, rng_state.ctypes.data, order.ctypes.data)
                t_c.append((time.perf_counter() - t) / (sweeps_fast * n))
        a, b = min(t_numba) * 1e9, min(t_numpy) * 1e9
        c = min(t_c) * 1e9 if t_c else float("nan")
        print(f"{p:>3} {a:>9.1f} {c:>9.1f} {b:>9.1f} {b / a:>11.0f}x {c / a:>7.2f}x")
    print("  (C reference for p = 2 only" + ("" if c_lib is not None else "; gcc not found") + ")")


def sampling_table():
    """HMC and MALA on Gaussians and the U(1) HMC trajectory: numba kernels against numpy, run alternately."""
    rng = np.random.default_rng(0)
    print("\nHMC and MALA on an isotropic Gaussian: microseconds per trajectory (HMC, 10 leapfrog steps) or step")
    print(f"{'method':>7} {'d':>6} {'numba':>9} {'numpy':>9} {'numpy/numba':>12}")
    for d in (2, 100, 1000):
        fast, slow = max(200, 200_000 // d), max(20, 20_000 // d)
        for method in ("hmc", "mala"):
            t_numba, t_numpy = [], []
            for _ in range(3):
                t = time.perf_counter()
                sampling.run("gaussian", method, fast, step=0.1, n_leapfrog=10, d=d, seed=1)
                t_numba.append((time.perf_counter() - t) / fast)
                t = time.perf_counter()
                if method == "hmc":
                    numpy_hmc_gaussian(np.zeros(d), 0.1, 10, slow, rng)
                else:
                    numpy_mala_gaussian(np.zeros(d), 0.1, slow, rng)
                t_numpy.append((time.perf_counter() - t) / slow)
            a, b = min(t_numba) * 1e6, min(t_numpy) * 1e6
            print(f"{method:>7} {d:>6} {a:>9.2f} {b:>9.2f} {b / a:>11.0f}x")
    print("\nU(1) gauge HMC, ms per trajectory of 10 leapfrog steps, beta = 2")
    print(f"{'L':>6} {'numba':>9} {'numpy':>9} {'numpy/numba':>12}")
    for L in (16, 64):
        t_numba, t_numpy = [], []
        for _ in range(3):
            t = time.perf_counter()
            sampling.u1_gauge(L, 2.0, 50, step=0.1, n_leapfrog=10, seed=1)
            t_numba.append((time.perf_counter() - t) / 50)
            t = time.perf_counter()
            numpy_u1_trajectories(np.zeros((2, L, L)), 2.0, 0.1, 10, 10, rng)
            t_numpy.append((time.perf_counter() - t) / 10)
        a, b = min(t_numba) * 1e3, min(t_numpy) * 1e3
        print(f"{L:>6} {a:>9.3f} {b:>9.3f} {b / a:>11.1f}x")


def walks_table():
    """Survival walkers and the mass-transfer sweep: numba kernels against vectorised numpy, run alternately."""
    rng = np.random.default_rng(0)
    print("\nFirst passage of Gaussian walkers, ns per walker-step (each walk stops at its first x <= 0), best of 3")
    print(f"{'walkers':>8} {'n':>6} {'numba':>9} {'numpy':>9} {'numpy/numba':>12}")
    for walkers, n in ((100_000, 1000), (1_000_000, 100)):
        steps = walkers * walks.sparre_andersen(n)[:-1].sum()  # walker-steps actually taken
        t_numba, t_numpy = [], []
        for _ in range(3):
            t = time.perf_counter()
            walks.survival_probability(n, walkers=walkers, seed=1)
            t_numba.append((time.perf_counter() - t) / steps)
            t = time.perf_counter()
            numpy_survival(n, walkers, rng)
            t_numpy.append((time.perf_counter() - t) / steps)
        a, b = min(t_numba) * 1e9, min(t_numpy) * 1e9
        print(f"{walkers:>8} {n:>6} {a:>9.2f} {b:>9.2f} {b / a:>11.1f}x")
    print("\nRandom advection on a ring, ns per site and step, best of 3")
    print(f"{'L':>8} {'D':>5} {'numba':>9} {'numpy':>9} {'numpy/numba':>12}")
    for L, D in ((4096, 0.0), (65_536, 0.0), (65_536, 0.2)):
        steps = 2_000_000 // L * 10
        t_numba, t_numpy = [], []
        for _ in range(3):
            t = time.perf_counter()
            walks.mass_transfer(L, steps, diffusion=D, seed=1)
            t_numba.append((time.perf_counter() - t) / (L * steps))
            t = time.perf_counter()
            numpy_mass_transfer(np.zeros(L), steps, D, 1.0, rng)
            t_numpy.append((time.perf_counter() - t) / (L * steps))
        a, b = min(t_numba) * 1e9, min(t_numpy) * 1e9
        print(f"{L:>8} {D:>5g} {a:>9.2f} {b:>9.2f} {b / a:>11.1f}x")


def chaos_table():
    """Lorenz-96 RK4 steps, KS ETDRK4 steps and the reservoir readout, each against its numpy reference."""
    print("\nLorenz-96 RK4, microseconds per step, best of 3")
    print(f"{'N':>6} {'numba':>9} {'numpy':>9} {'numpy/numba':>12}")
    for N in (40, 1000):
        steps = 200_000 // N
        x0 = chaos.default_state("lorenz96", params={"N": N}, seed=0)
        fast, slow = [], []
        for _ in range(3):
            t = time.perf_counter()
            chaos.integrate("lorenz96", x0, steps * 0.01, 0.01, params={"N": N}, record_every=steps)
            fast.append((time.perf_counter() - t) / steps)
            t = time.perf_counter()
            numpy_lorenz96_rk4(np.asarray(x0), 8.0, 0.01, steps)
            slow.append((time.perf_counter() - t) / steps)
        a, b = min(fast) * 1e6, min(slow) * 1e6
        print(f"{N:>6} {a:>9.2f} {b:>9.2f} {b / a:>11.1f}x")
    print("\nKuramoto-Sivashinsky ETDRK4, microseconds per step (library: real FFTs; reference: complex FFTs, as usually written)")
    print(f"{'modes':>6} {'library':>9} {'numpy':>9} {'numpy/library':>14}")
    for n in (64, 256):
        L = 22.0 * n / 64
        u0 = np.cos(2 * np.pi * np.arange(n) / n) * 0.1
        fast, slow = [], []
        for _ in range(3):
            t = time.perf_counter()
            chaos.kuramoto_sivashinsky(L, n, 100.0, 0.25, u0=u0, record_every=400)
            fast.append((time.perf_counter() - t) / 400)
            t = time.perf_counter()
            numpy_ks_etdrk4(u0, L, 0.25, 400)
            slow.append((time.perf_counter() - t) / 400)
        a, b = min(fast) * 1e6, min(slow) * 1e6
        print(f"{n:>6} {a:>9.1f} {b:>9.1f} {b / a:>13.1f}x")
    series = chaos.integrate("lorenz63", [1.0, 1.0, 20.0], 100.0, 0.01, record_every=2).x
    fit, solve, reference = [], [], []
    for _ in range(3):
        model = chaos.ReservoirForecaster(seed=0)
        t = time.perf_counter()
        model.fit(series)
        fit.append(time.perf_counter() - t)
        u = (series - model.mean_) / model.scale_
        states = model._drive(u[:-1], np.zeros(model.size))[model.washout:]
        t = time.perf_counter()
        phi = np.hstack([np.ones((states.shape[0], 1)), states, states**2])
        gram = phi.T @ phi + model.ridge * phi.shape[0] * np.eye(phi.shape[1])
        np.linalg.solve(gram, phi.T @ u[model.washout + 1:])
        solve.append(time.perf_counter() - t)
        t = time.perf_counter()
        numpy_ridge_readout(states, u[model.washout + 1:], model.ridge)
        reference.append(time.perf_counter() - t)
    print(f"\nReservoir fit (300 units, {series.shape[0]} samples): {min(fit) * 1e3:.0f} ms in all; readout by "
          f"normal equations {min(solve) * 1e3:.0f} ms, by least squares (numpy lstsq) {min(reference) * 1e3:.0f} ms: "
          f"{min(reference) / min(solve):.1f}x")


def random_networks_table():
    """A random MLP's forward pass (BLAS matrix products, peak memory) and the signature-kernel PDE solver."""
    import tracemalloc

    from emergence.threads import usable_cpus

    x = np.random.default_rng(0).standard_normal((64, 100))
    depth, width = 50, 1000
    total, draws, products = [], [], []
    for _ in range(3):
        t = time.perf_counter()
        nninit.forward(x, depth, width, seed=1)
        total.append(time.perf_counter() - t)
        gen = np.random.default_rng(1)
        t = time.perf_counter()
        weights = [gen.standard_normal((width, width)) for _ in range(5)]
        draws.append((time.perf_counter() - t) * depth / 5)
        h = np.tanh(gen.standard_normal((64, width)))
        t = time.perf_counter()
        for w in weights:
            h @ w.T
        products.append((time.perf_counter() - t) * depth / 5)
    tracemalloc.start()
    nninit.forward(x, depth, width, seed=1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    flops = 2 * 64 * width * width * depth
    print(f"\nRandom MLP forward pass, width {width}, depth {depth}, batch 64 ({usable_cpus()} usable CPUs; "
          f"numpy {np.__version__}): {min(total) * 1e3:.0f} ms in all, of which drawing the Gaussian weights "
          f"~{min(draws) * 1e3:.0f} ms and the BLAS matrix products ~{min(products) * 1e3:.0f} ms "
          f"({flops / min(products) / 1e9:.1f} GFLOP/s); peak memory {peak / 1e6:.0f} MB (the stored "
          f"pre-activations are {depth * 64 * width * 8 / 1e6:.0f} MB, one weight matrix {width * width * 8 / 1e6:.0f} MB)")
    inner = np.random.default_rng(2).normal(0, 0.3, (20, 20))
    fast, slow = [], []
    for _ in range(3):
        t = time.perf_counter()
        nninit._goursat(inner, 16)
        fast.append(time.perf_counter() - t)
        t = time.perf_counter()
        numpy_goursat(inner, 16)
        slow.append(time.perf_counter() - t)
    cells = (20 * 16) ** 2
    print(f"Signature-kernel Goursat solver, {cells} cells (20 x 20 segments, refinement 16), ns per cell: numba "
          f"{min(fast) / cells * 1e9:.1f}, numpy anti-diagonals {min(slow) / cells * 1e9:.1f}: "
          f"{min(slow) / min(fast):.0f}x")


def diffusion_table():
    """Exact mixture and empirical scores against numpy, and a full sampler run against the issue's budget."""
    from emergence.diffusion import _kernel_posterior, _mixture

    rng = np.random.default_rng(0)
    print("\nDiffusion scores, 10^4 particles in 2-D, ns per particle, best of 3")
    print(f"{'score':>32} {'numba':>9} {'numpy':>9} {'numpy/numba':>12}")
    x = rng.standard_normal((10_000, 2))
    for K in (3, 16):
        means = rng.standard_normal((K, 2))
        covs = np.array([np.eye(2) * 0.3] * K)
        prec = np.linalg.inv(covs)
        half_logdet = 0.5 * np.linalg.slogdet(covs)[1]
        log_w = np.full(K, -np.log(K))
        out, logp = np.empty_like(x), np.empty(x.shape[0])
        fast = _best(lambda: _mixture(x, log_w, means, prec, half_logdet, out, logp, False), 3)
        slow = _best(lambda: numpy_gmm_score(x, log_w, means, prec, half_logdet), 3)
        print(f"{f'Gaussian mixture, K = {K}':>32} {fast / x.shape[0] * 1e9:>9.1f} {slow / x.shape[0] * 1e9:>9.1f} "
              f"{slow / fast:>11.1f}x")
    data = rng.standard_normal((1000, 2))
    mean, cov_dir = np.empty_like(x), np.empty_like(x)
    fast = _best(lambda: _kernel_posterior(x, data, 0.9, 0.3, 0.0, np.zeros(2), False, mean, cov_dir), 3)
    slow = _best(lambda: numpy_empirical_score(x, data, 0.9, 0.3), 3)
    print(f"{'empirical, M = 1000 points':>32} {fast / x.shape[0] * 1e9:>9.1f} {slow / x.shape[0] * 1e9:>9.1f} "
          f"{slow / fast:>11.1f}x")
    weights, mix_means = np.array([0.5, 0.3, 0.2]), np.array([[-1.5, 0.0], [1.0, 1.2], [1.0, -1.2]])
    mix_covs = np.array([np.eye(2) * 0.2] * 3)
    vp = diffusion.schedule("vp")
    score = lambda y, t: diffusion.gmm_score(y, t, weights, mix_means, mix_covs, schedule=vp)  # noqa: E731
    for sampler in ("reverse-sde", "pf-ode"):
        seconds = _best(lambda: diffusion.sample(score, 10_000, dim=2, sampler=sampler, steps=500, schedule=vp,
                                                 seed=1), 3)
        print(f"{sampler} sampler, 10^4 particles x 500 steps, exact 3-component score: {seconds:.2f} s "
              f"({seconds / 5e6 * 1e9:.0f} ns per particle-step; the budget is 1 s)")


def scaling_table():
    """One-pass SGD on power-law features against a numpy loop, the closed-form loss theory, and a phase sweep."""
    problem = scaling.power_law_problem(1024, alpha=1.0, beta=0.7, seed=1)
    print("\nOne-pass SGD on power-law random features, ns per feature update (batch 1), best of 3")
    print(f"{'N':>6} {'numba':>9} {'numpy':>9} {'numpy/numba':>12}")
    for n in (64, 512):
        model = problem.model(n)
        lr = 0.3 * scaling.stability_limit(model)
        steps = 4_000_000 // n
        fast, slow = [], []
        for _ in range(3):
            t = time.perf_counter()
            scaling.train_sgd(problem, n, steps, lr=lr, seed=1)
            fast.append((time.perf_counter() - t) / (steps * n))
            t = time.perf_counter()
            numpy_sgd_eigenbasis(model.k, model.theta_star, model.residual_variance**0.5, lr, 1, steps // 10,
                                 np.random.default_rng(1))
            slow.append((time.perf_counter() - t) / (steps // 10 * n))
        a, b = min(fast) * 1e9, min(slow) * 1e9
        print(f"{n:>6} {a:>9.1f} {b:>9.1f} {b / a:>11.1f}x")
    from emergence.scaling import _expected_sgd_loss

    model = problem.model(512)
    lr = 0.3 * scaling.stability_limit(model)
    marks = np.array([0, 10_000, 100_000, 1_000_000])
    t = time.perf_counter()
    scaling.loss_theory(problem, 512, 1_000_000, lr=lr, points=60)
    closed = time.perf_counter() - t
    out = np.empty(marks.size)
    t = time.perf_counter()
    _expected_sgd_loss(model.k, model.theta_star**2, model.residual_variance, lr, 1, marks, out, True)
    stepwise = time.perf_counter() - t
    print(f"Expected loss curve, N = 512, 10^6 steps: closed form (eigenvectors of the recursion) "
          f"{closed * 1e3:.0f} ms, step by step (numba) {stepwise * 1e3:.0f} ms: {stepwise / closed:.0f}x")
    t = time.perf_counter()
    scaling.compute_optimal_phases((0.35, 0.7, 1.0, 1.4), (0.3, 0.6, 0.9, 1.2), seed=5)
    print(f"Phase-plane sweep of the chapter (4 x 4 (alpha, beta), 5 model sizes each): {time.perf_counter() - t:.1f} s")


def epidemics_table():
    """Gillespie SIR events and rolling early-warning statistics against plain Python / numpy references."""
    rng = np.random.default_rng(0)
    fast, slow = [], []
    for _ in range(3):
        t = time.perf_counter()
        sizes = epidemics.final_size_samples(2.0, N=2000, runs=400, seed=1)
        fast.append((time.perf_counter() - t) / (2 * sizes.sum()))  # each infected: one infection, one recovery
        t = time.perf_counter()
        ref = python_sir_final_sizes(2.0, 2000, 40, rng)
        slow.append((time.perf_counter() - t) / (2 * ref.sum()))
    print(f"\nGillespie SIR (jump chain), ns per event: numba {min(fast) * 1e9:.1f}, plain Python "
          f"{min(slow) * 1e9:.0f}: {min(slow) / min(fast):.0f}x")
    x = tipping.ou_process(1.0, 1.0, 20_000, 0.1, seed=2)
    fast, slow = [], []
    for _ in range(3):
        t = time.perf_counter()
        tipping.early_warning(x, window=1000, detrend="none")
        fast.append(time.perf_counter() - t)
        t = time.perf_counter()
        numpy_rolling_indicators(x, 1000)
        slow.append(time.perf_counter() - t)
    print(f"Rolling variance and lag-1 autocorrelation, 20 000 samples, window 1000: cumulative sums "
          f"{min(fast) * 1e3:.1f} ms, a numpy call per window {min(slow) * 1e3:.0f} ms: {min(slow) / min(fast):.0f}x")


def spinglass_table():
    """SK Metropolis sweeps (dense O(N) field updates) and Gray-code enumeration, against numpy."""
    print("\nSK Metropolis, ns per attempted spin update (two replicas, one temperature), best of 5, run alternately")
    print(f"{'N':>6} {'T':>5} {'numba':>9} {'numpy':>9} {'numpy/numba':>12}")
    for n in (128, 512):
        J = spinglass.sk_couplings(n, seed=1)
        for T in (0.4, 2.0):
            fast, slow = max(20, 2_000_000 // n**2 * 10), 2
            t_numba, t_numpy = [], []
            for _ in range(5):
                t = time.perf_counter()
                spinglass.parallel_tempering(J, [T], fast, seed=2)
                t_numba.append((time.perf_counter() - t) / (fast * 2 * n))
                spins = np.random.default_rng(3).choice([-1.0, 1.0], n)
                t = time.perf_counter()
                numpy_sk_metropolis_sweeps(J, spins, T, slow, np.random.default_rng(4))
                t_numpy.append((time.perf_counter() - t) / (slow * n))
            a, b = min(t_numba) * 1e9, min(t_numpy) * 1e9
            print(f"{n:>6} {T:>5} {a:>9.1f} {b:>9.1f} {b / a:>11.0f}x")
    print("\nExact enumeration (Gray code, O(N) a state) vs numpy blocks (O(N^2) a state on BLAS): states per second")
    print(f"{'N':>6} {'numba':>12} {'numpy':>12} {'numba/numpy':>12}")
    for n in (16, 20):
        J = spinglass.sk_couplings(n, seed=5)
        a = _best(lambda: spinglass.state_energies(J))
        b = _best(lambda: numpy_state_energies(J), repeats=3)
        print(f"{n:>6} {2**n / a:>12.3g} {2**n / b:>12.3g} {b / a:>11.1f}x")


def sandpile_table():
    """Topplings per second: the stack kernel against numpy parallel toppling, on the same stationary piles."""
    print("\nSandpile (BTW, open boundaries), stationary state: million topplings per second, best of 3")
    print(f"{'L':>6} {'numba':>9} {'numpy':>9} {'numba/numpy':>12}")
    for L in (64, 256):
        start = sandpile.drive(L, 3 * L * L, seed=1).heights
        n_fast, n_numpy = (20_000, 300) if L == 64 else (2_000, 20)
        rates_numba, rates_numpy = [], []
        for rep in range(3):
            t = time.perf_counter()
            run = sandpile.drive(L, n_fast, heights=start, seed=2 + rep)
            rates_numba.append(run.sizes.sum() / (time.perf_counter() - t) / 1e6)
            sites = np.random.default_rng(rep).integers(0, L, size=(n_numpy, 2))
            work = start.copy()
            t = time.perf_counter()
            topplings = numpy_sandpile_drive(work, sites)
            rates_numpy.append(topplings / (time.perf_counter() - t) / 1e6)
        a, b = max(rates_numba), max(rates_numpy)
        print(f"{L:>6} {a:>9.1f} {b:>9.2f} {a / b:>11.0f}x")


def automata_table():
    print("\nCellular automata: nanoseconds per elementary update")
    t = time.perf_counter()
    automata.coffee(64, 2000, times=[2000], seed=1)
    print(f"  coffee (interacting, L = 64): {(time.perf_counter() - t) / (2000 * 64 * 64) * 1e9:.1f} ns per move")
    t = time.perf_counter()
    automata.domany_kinzel(0.6447, 0.874, 10_000, 1000, seed=1)
    print(f"  Domany-Kinzel (L = 10^4): {(time.perf_counter() - t) / (1000 * 10_000) * 1e9:.1f} ns per site update")


def maps_table():
    """Bifurcation scan and sample entropy, each against its numpy reference, side by side."""
    values = np.linspace(2.5, 4.0, 2000)
    best = {"numba": [], "numpy": []}
    for _ in range(3):
        t = time.perf_counter()
        maps.bifurcation("logistic", {"r": 3.0}, "r", values, transient=1000, keep=500)
        best["numba"].append(time.perf_counter() - t)
        t = time.perf_counter()
        numpy_logistic_bifurcation(values, 1000, 500)
        best["numpy"].append(time.perf_counter() - t)
    points = values.size * 1500
    a, b = points / min(best["numba"]) / 1e6, points / min(best["numpy"]) / 1e6
    print("\nLogistic bifurcation scan (2000 values x 1500 iterations): million map iterations per second")
    print(f"  numba {a:.0f}, numpy (vectorized over values) {b:.0f}: {a / b:.1f}x")
    x = np.random.default_rng(0).normal(size=10_000)
    t = time.perf_counter()
    stats.sample_entropy(x, 2, 0.2)
    fast = time.perf_counter() - t
    t = time.perf_counter()
    python_sample_entropy(x, 2, 0.2)
    slow = time.perf_counter() - t
    print(f"Sample entropy, n = 10^4, m = 2: numba {fast * 1e3:.0f} ms, numpy {slow * 1e3:.0f} ms: {slow / fast:.1f}x")


def kuramoto_table():
    omega = oscillators.lorentzian_frequencies(10_000, 0.5)
    theta0 = np.random.default_rng(0).uniform(0, 2 * np.pi, omega.size)
    fast, slow = [], []
    for _ in range(3):
        t = time.perf_counter()
        oscillators.kuramoto(omega, 1.5, 10.0, 0.05, theta0=theta0, seed=0)
        fast.append((time.perf_counter() - t) / 200)
        t = time.perf_counter()
        numpy_kuramoto_rk4(theta0, omega, 1.5, 0.05, 20)
        slow.append((time.perf_counter() - t) / 20)
    print(f"Kuramoto RK4 step, N = 10^4: numba {min(fast) * 1e3:.2f} ms, numpy {min(slow) * 1e3:.2f} ms: "
          f"{min(slow) / min(fast):.1f}x")


def run_chapter(path):
    """Execute a chapter's code (jupytext) and return (seconds, explorers declared)."""
    import jupytext
    import matplotlib

    matplotlib.use("Agg")
    declared = []
    original = explore.Explorer.__init__

    def recording_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        declared.append(self)

    explore.Explorer.__init__ = recording_init
    try:
        notebook = jupytext.read(path)
        code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
        t = time.perf_counter()
        exec(compile(code, str(path), "exec"), {"__name__": "__chapter__"})
        seconds = time.perf_counter() - t
    finally:
        explore.Explorer.__init__ = original
        import matplotlib.pyplot as plt

        plt.close("all")
    return seconds, declared


def explorer_latency(explorers, updates=30):
    print("\nLive explorer update latency (compute + redraw), ms; budget p95 < 100 ms")
    print(f"{'explorer':<48} {'p50':>8} {'p95':>8}")
    for ex in explorers:
        live = ex.live()
        combos = list(ex.grid())
        times = []
        for i in range(updates):
            params = combos[(i * 7) % len(combos)]
            t = time.perf_counter()
            live.update(**params)
            times.append((time.perf_counter() - t) * 1e3)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"{ex.title[:48]:<48} {statistics.median(times):>8.1f} {p95:>8.1f}")


def build_execution_times():
    """Execution time of each chapter in the last book build, from the jupyter-cache records."""
    cache_dir = ROOT / "_build" / ".jupyter_cache"
    if not cache_dir.exists():
        return {}
    from jupyter_cache import get_cache

    return {Path(r.uri).name: r.data.get("execution_seconds") for r in get_cache(str(cache_dir)).list_cache_records()}


def _best(fn, repeats=5):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def rmt_table():
    import tracemalloc

    print("\nRandom matrices")
    for label, fn in (("beta_hermite eigenvalues, N = 10^4 (tridiagonal)", lambda: rmt.beta_hermite(10_000, 2.0, seed=0)),
                      ("dense GOE N = 1000: sample + eigvalsh", lambda: np.linalg.eigvalsh(rmt.goe(1000, seed=0))),
                      ("dense GOE N = 1000: sample + eigh (vectors)", lambda: np.linalg.eigh(rmt.goe(1000, seed=0)))):
        seconds = _best(fn, 3)
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  {label}: {seconds * 1e3:.0f} ms, peak memory {peak / 1e6:.1f} MB")
    levels = np.random.default_rng(0).standard_normal(1_000_000)
    fast, slow = [], []
    for _ in range(5):  # alternate the two, side by side
        fast.append(_best(lambda: rmt.spacing_ratios(levels), 1))
        slow.append(_best(lambda: numpy_spacing_ratios(levels), 1))
    print(f"  spacing ratios, 10^6 levels (sort included): numba {min(fast) * 1e3:.1f} ms, numpy "
          f"{min(slow) * 1e3:.1f} ms: {min(slow) / min(fast):.1f}x")
    ordered = np.sort(levels)
    out = np.empty(ordered.size - 2)
    fast, slow = [], []
    for _ in range(5):
        fast.append(_best(lambda: rmt._ratios(ordered, out), 1))
        slow.append(_best(lambda: numpy_spacing_ratios(ordered), 1))  # its sort of sorted data is included
    print(f"  ... on sorted levels (the sort dominates above): numba kernel {min(fast) * 1e3:.1f} ms, numpy "
          f"{min(slow) * 1e3:.1f} ms: {min(slow) / min(fast):.1f}x")
    vectors = np.linalg.eigh(rmt.goe(1000, seed=1))[1]
    fast, slow = [], []
    for _ in range(5):
        fast.append(_best(lambda: rmt.ipr(vectors), 1))
        slow.append(_best(lambda: numpy_ipr(vectors), 1))
    print(f"  IPR of 1000 eigenvectors (N = 1000): numba {min(fast) * 1e3:.2f} ms, numpy {min(slow) * 1e3:.2f} ms: "
          f"{min(slow) / min(fast):.1f}x")
    t = _best(lambda: rmt.wavepacket_spreading(1000, 2.0, 100, 0.05, record_every=100, seed=0), 3)
    print(f"  Crank-Nicolson wavepacket: {t / (2000 * 1000) * 1e9:.1f} ns per site and step")


def map_network_table():
    C = map_networks.ring_star(99, star=0.01, ring=0.1, radius=5)
    params = {"a": 0.89, "b": 0.18, "c": 0.28, "k": 0.03}
    t = _best(lambda: map_networks.simulate("chialvo", params, C, 1000, transient=0, seed=0), 3)
    t1 = _best(lambda: map_networks.simulate("chialvo", params, C, 1000, transient=0, lyapunov=1, seed=0), 3)
    print(f"\nRing-star network of 100 Chialvo neurons (dense coupling): {t / 1000 * 1e6:.0f} us per iteration, "
          f"{t1 / 1000 * 1e6:.0f} us with the largest Lyapunov exponent")


def kernel_tables():
    metropolis_table()
    wolff_table()
    glauber_table()
    sandpile_table()
    spinglass_table()
    sampling_table()
    walks_table()
    chaos_table()
    epidemics_table()
    random_networks_table()
    scaling_table()
    diffusion_table()
    automata_table()
    maps_table()
    kuramoto_table()
    map_network_table()
    rmt_table()


def explorer_tables():
    in_build = build_execution_times()
    print("\nChapter execution time, budget 60 s: here (plain Python, kernels compiled) and in the last book build")
    for path in sorted((ROOT / "chapters").glob("*.md")):
        seconds, explorers = run_chapter(path)
        built = in_build.get(path.name)
        built = f"{built:.1f} s" if built else "not built yet (make book)"
        print(f"  {path.name}: {seconds:.1f} s here; {built} in the build (static explorer frames included)")
        explorer_latency(explorers)


def test_phases():
    from timings import summary

    times = ROOT / "_build" / "test-times.tsv"
    if times.exists():
        print("\n" + summary(times))
    else:
        print("\nNo `make test` phases recorded yet (run make test)")


SECTIONS = {"kernels": kernel_tables, "explorers": explorer_tables, "load": lambda: under_load.chapter_table(),
            "phases": test_phases}


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description="Emergence benchmarks")
    parser.add_argument("sections", nargs="*", help=f"any of {', '.join(SECTIONS)} (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    warm_up()
    for name in args.sections or SECTIONS:
        SECTIONS[name]()


if __name__ == "__main__":
    main()
