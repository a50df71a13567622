"""Plain-numpy reference implementations that the benchmarks race the kernels against.

They compute the same thing as the kernels (same update rule, same acceptance
probabilities), vectorized as well as numpy allows, so the ratio measures what
the compiled kernels buy.
"""

import numpy as np


def numpy_checkerboard_sweeps(spins, T, sweeps, rng):
    """Metropolis checkerboard sweeps of the periodic Ising model, vectorized per sublattice."""
    L = spins.shape[0]
    ii, jj = np.indices((L, L))
    masks = [((ii + jj) % 2) == c for c in (0, 1)]
    beta = 1.0 / T
    for _ in range(sweeps):
        for mask in masks:
            nb = (np.roll(spins, 1, 0) + np.roll(spins, -1, 0) + np.roll(spins, 1, 1) + np.roll(spins, -1, 1))
            de = 2.0 * spins * nb
            flip = mask & (rng.random((L, L)) < np.exp(-beta * de))
            spins[flip] *= -1
    return spins


def numpy_glauber_sweeps(patterns, state, p, T, sweeps, rng):
    """Asynchronous Glauber sweeps of the p-body Hebbian network, vectorized over patterns.

    The updates are sequential (each depends on the last), so numpy can only
    vectorize the O(P) work of one update: the energy change of the flip from
    the running overlaps M = N m, exactly as the kernel defines it.
    """
    n = patterns.shape[1]
    xi_t = patterns.T.astype(np.float64)
    M = patterns.astype(np.float64) @ state
    for _ in range(sweeps):
        for i in rng.permutation(n):
            d = -2.0 * state[i] * xi_t[i]
            dE = -np.sum((M + d) ** p - M**p) / (p * float(n) ** (p - 1))
            if rng.random() < 1.0 / (1.0 + np.exp(dE / T)):
                M += d
                state[i] = -state[i]
    return state


def numpy_sandpile_drive(heights, sites):
    """Add a grain at each (row, col) in ``sites`` and relax by parallel toppling of all unstable sites.

    By the Abelian property parallel toppling reaches the same stable pile
    with the same toppling counts as the kernel's one-site-at-a-time stack.
    Returns the total number of topplings.
    """
    h = np.pad(heights.astype(np.int64), 1)  # a frame of sink sites, emptied after every round
    total = 0
    for r, c in sites:
        h[r + 1, c + 1] += 1
        while True:
            unstable = h >= 4
            unstable[0, :] = unstable[-1, :] = unstable[:, 0] = unstable[:, -1] = False
            count = int(unstable.sum())
            if not count:
                break
            total += count
            u = unstable.astype(np.int64)
            h -= 4 * u
            h[1:, :] += u[:-1, :]
            h[:-1, :] += u[1:, :]
            h[:, 1:] += u[:, :-1]
            h[:, :-1] += u[:, 1:]
            h[0, :] = h[-1, :] = h[:, 0] = h[:, -1] = 0
    heights[:] = h[1:-1, 1:-1]
    return total


def numpy_logistic_bifurcation(values, transient, keep, x0=0.3):
    """The logistic map iterated for all parameter values at once (vectorized over values)."""
    r = np.asarray(values, dtype=float)
    x = np.full(r.shape, x0)
    for _ in range(transient):
        x = r * x * (1 - x)
    out = np.empty((r.size, keep))
    for t in range(keep):
        x = r * x * (1 - x)
        out[:, t] = x
    return out


def python_sample_entropy(x, m, r):
    """Sample entropy with numpy doing the comparisons of one template against all later ones."""
    n = len(x) - m
    windows = np.lib.stride_tricks.sliding_window_view(x, m + 1)[:n]
    a = b = 0
    for i in range(n - 1):
        dist = np.max(np.abs(windows[i + 1:, :m] - windows[i, :m]), axis=1)
        close = dist <= r
        b += int(close.sum())
        a += int((close & (np.abs(windows[i + 1:, m] - windows[i, m]) <= r)).sum())
    return -np.log(a / b)


def numpy_kuramoto_rk4(theta, omega, K, dt, steps):
    """Fourth-order Runge-Kutta steps of the mean-field Kuramoto model, vectorized over oscillators."""
    def velocity(th):
        z = np.exp(1j * th).mean()
        return omega + K * (z.imag * np.cos(th) - z.real * np.sin(th))

    for _ in range(steps):
        k1 = velocity(theta)
        k2 = velocity(theta + 0.5 * dt * k1)
        k3 = velocity(theta + 0.5 * dt * k2)
        k4 = velocity(theta + dt * k3)
        theta = theta + dt * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return theta


def numpy_spacing_ratios(levels):
    """Mean spacing ratio, vectorized numpy (sort, diff, min/max)."""
    s = np.diff(np.sort(levels))
    return np.mean(np.minimum(s[1:], s[:-1]) / np.maximum(s[1:], s[:-1]))


def numpy_ipr(vectors):
    """Inverse participation ratios of the columns, vectorized numpy."""
    return np.sum(np.abs(vectors) ** 4, axis=0)


def numpy_sk_metropolis_sweeps(J, spins, T, sweeps, rng):
    """Metropolis sweeps in site order with the local fields kept up to date by numpy row updates."""
    field = J @ spins
    beta = 1.0 / T
    n = spins.size
    for _ in range(sweeps):
        u = rng.random(n)
        for i in range(n):
            cost = 2.0 * spins[i] * field[i]
            if cost <= 0.0 or u[i] < np.exp(-beta * cost):
                spins[i] = -spins[i]
                field += 2.0 * spins[i] * J[i]
    return spins


def numpy_state_energies(J, chunk=1 << 14):
    """Energy of every state by blocks of the +-1 matrix: (S J) * S summed, O(N^2) a state on BLAS."""
    n = J.shape[0]
    out = np.empty(2**n)
    powers = np.arange(n)
    for start in range(0, 2**n, chunk):
        states = np.arange(start, min(start + chunk, 2**n))
        s = 2.0 * ((states[:, None] >> powers) & 1) - 1.0
        out[start:start + states.size] = -0.5 * np.einsum("ki,ki->k", s @ J, s)
    return out


def numpy_hmc_gaussian(x, step, n_leapfrog, n_traj, rng, scale=1.0):
    """HMC on an isotropic Gaussian with numpy vector operations per leapfrog step."""
    def grad(y):
        return -y / scale**2

    def logp(y):
        return -0.5 * np.sum(y * y) / scale**2

    for _ in range(n_traj):
        p = rng.standard_normal(x.size)
        h0 = 0.5 * p @ p - logp(x)
        y = x.copy()
        p = p + 0.5 * step * grad(y)
        for s in range(n_leapfrog):
            y = y + step * p
            p = p + (step if s < n_leapfrog - 1 else 0.5 * step) * grad(y)
        if rng.random() < np.exp(h0 - (0.5 * p @ p - logp(y))):
            x = y
    return x


def numpy_mala_gaussian(x, step, n_steps, rng, scale=1.0):
    """MALA on an isotropic Gaussian with numpy vector operations per step."""
    def grad(y):
        return -y / scale**2

    def logp(y):
        return -0.5 * np.sum(y * y) / scale**2

    for _ in range(n_steps):
        y = x + step * grad(x) + np.sqrt(2 * step) * rng.standard_normal(x.size)
        back = x - y - step * grad(y)
        forth = y - x - step * grad(x)
        if np.log(rng.random()) < logp(y) - logp(x) - (back @ back - forth @ forth) / (4 * step):
            x = y
    return x


def numpy_u1_trajectories(theta, beta, step, n_leapfrog, n_traj, rng):
    """HMC trajectories of 2-D U(1) gauge theory with np.roll plaquettes and forces."""
    def plaquettes(t):
        return t[0] + np.roll(t[1], -1, axis=0) - np.roll(t[0], -1, axis=1) - t[1]

    def force(t):
        s = np.sin(plaquettes(t))
        return beta * np.stack([s - np.roll(s, 1, axis=1), np.roll(s, 1, axis=0) - s])

    def action(t):
        return beta * np.sum(1 - np.cos(plaquettes(t)))

    for _ in range(n_traj):
        p = rng.standard_normal(theta.shape)
        h0 = 0.5 * np.sum(p * p) + action(theta)
        t = theta.copy()
        p = p - 0.5 * step * force(t)
        for s in range(n_leapfrog):
            t = t + step * p
            p = p - (step if s < n_leapfrog - 1 else 0.5 * step) * force(t)
        if rng.random() < np.exp(h0 - 0.5 * np.sum(p * p) - action(t)):
            theta = t
    return theta


def numpy_survival(n, walkers, rng):
    """Survival of Gaussian walkers, vectorised over the walkers still alive."""
    x = np.zeros(walkers)
    counts = np.zeros(n + 1, dtype=np.int64)
    counts[0] = walkers
    for k in range(1, n + 1):
        x = x + rng.standard_normal(x.size)
        x = x[x > 0]
        counts[k] = x.size
        if x.size == 0:
            break
    return counts / walkers


def numpy_mass_transfer(m, steps, diffusion, injection, rng):
    """One sweep per step: every site sends 1 - D of its mass to a random neighbour and D/2 to each."""
    L = m.size
    sites = np.arange(L)
    for _ in range(steps):
        target = (sites + np.where(rng.random(L) < 0.5, 1, -1)) % L
        new = np.bincount(target, weights=(1 - diffusion) * m, minlength=L)
        if diffusion:
            new += 0.5 * diffusion * (np.roll(m, 1) + np.roll(m, -1))
        m = new + injection
    return m


def numpy_lorenz96_rk4(x, F, dt, steps):
    """Classical RK4 for Lorenz-96, the right-hand side vectorized with np.roll."""
    def f(x):
        return (np.roll(x, -1) - np.roll(x, 2)) * np.roll(x, 1) - x + F

    x = x.copy()
    for _ in range(steps):
        k1 = f(x)
        k2 = f(x + 0.5 * dt * k1)
        k3 = f(x + 0.5 * dt * k2)
        k4 = f(x + dt * k3)
        x += dt * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return x


def numpy_ks_etdrk4(u, L, dt, steps, contour_points=16):
    """Kassam and Trefethen's ETDRK4 for KS as usually written: complex FFTs of numpy.fft, all modes kept."""
    n = u.size
    k = np.fft.fftfreq(n, 1.0 / n)
    q = 2 * np.pi / L * k
    lin = q**2 - q**4
    E, E2 = np.exp(dt * lin), np.exp(dt * lin / 2)
    r = np.exp(1j * np.pi * (np.arange(1, contour_points + 1) - 0.5) / contour_points)
    LR = dt * lin[:, None] + r[None, :]
    Q = dt * np.real(np.mean((np.exp(LR / 2) - 1) / LR, axis=1))
    f1 = dt * np.real(np.mean((-4 - LR + np.exp(LR) * (4 - 3 * LR + LR**2)) / LR**3, axis=1))
    f2 = dt * np.real(np.mean((2 + LR + np.exp(LR) * (-2 + LR)) / LR**3, axis=1))
    f3 = dt * np.real(np.mean((-4 - 3 * LR - LR**2 + np.exp(LR) * (4 - LR)) / LR**3, axis=1))
    g = -0.5j * q
    v = np.fft.fft(u)
    for _ in range(steps):
        Nv = g * np.fft.fft(np.real(np.fft.ifft(v)) ** 2)
        a = E2 * v + Q * Nv
        Na = g * np.fft.fft(np.real(np.fft.ifft(a)) ** 2)
        b = E2 * v + Q * Na
        Nb = g * np.fft.fft(np.real(np.fft.ifft(b)) ** 2)
        c = E2 * a + Q * (2 * Nb - Nv)
        Nc = g * np.fft.fft(np.real(np.fft.ifft(c)) ** 2)
        v = E * v + Nv * f1 + 2 * (Na + Nb) * f2 + Nc * f3
    return np.real(np.fft.ifft(v))


def numpy_ridge_readout(states, targets, ridge):
    """The ridge readout by least squares on the data stacked with sqrt(ridge n) I (no normal equations)."""
    phi = np.hstack([np.ones((states.shape[0], 1)), states, states**2])
    m = phi.shape[1]
    A = np.vstack([phi, np.sqrt(ridge * phi.shape[0]) * np.eye(m)])
    B = np.vstack([targets, np.zeros((m, targets.shape[1]))])
    return np.linalg.lstsq(A, B, rcond=None)[0].T


def python_sir_final_sizes(R0, N, runs, rng):
    """The SIR jump chain in plain Python (one event per loop), as the kernel runs it."""
    out = np.empty(runs, np.int64)
    for r in range(runs):
        S, I = N - 1, 1
        while I > 0:
            if rng.random() * (R0 * S + N) < R0 * S:
                S -= 1
                I += 1
            else:
                I -= 1
        out[r] = N - S
    return out


def numpy_rolling_indicators(x, window):
    """Variance and lag-1 autocorrelation of every window, one numpy call per window."""
    n = x.size - window + 1
    var, ac = np.empty(n), np.empty(n)
    for i in range(n):
        w = x[i:i + window]
        var[i] = w.var()
        ac[i] = np.corrcoef(w[:-1], w[1:])[0, 1]
    return var, ac


def numpy_goursat(inner, refinement):
    """The signature-kernel grid scheme vectorized over anti-diagonals (cells on one are independent)."""
    m, n = inner.shape
    rows, cols = m * refinement + 1, n * refinement + 1
    a = np.repeat(np.repeat(inner, refinement, axis=0), refinement, axis=1) / refinement**2
    grow, shrink = 1 + a / 2 + a**2 / 12, 1 - a**2 / 12
    K = np.ones((rows, cols))
    for d in range(2, rows + cols - 1):
        s = np.arange(max(1, d - cols + 1), min(rows - 1, d - 1) + 1)
        t = d - s
        K[s, t] = (K[s, t - 1] + K[s - 1, t]) * grow[s - 1, t - 1] - K[s - 1, t - 1] * shrink[s - 1, t - 1]
    return K[-1, -1]


def numpy_sgd_eigenbasis(k, theta_star, noise_sd, lr, batch, steps, rng):
    """One-pass SGD in the eigenbasis of K as a numpy loop over steps (vectorized over features and batch)."""
    root = np.sqrt(k)
    v = -theta_star.copy()
    for _ in range(steps):
        draws = rng.standard_normal((batch, k.size + 1))
        z = draws[:, :-1] * root
        r = z @ v - noise_sd * draws[:, -1]
        v -= lr / batch * (r @ z)
    return 0.5 * (np.sum(k * v**2) + noise_sd**2)


def numpy_gmm_score(x, log_w, means, prec, half_logdet):
    """Score of a Gaussian mixture, vectorized over particles and components (n x K x d arrays)."""
    diff = x[:, None, :] - means[None]  # (n, K, d)
    grad = -np.einsum("kab,nkb->nka", prec, diff)
    logr = log_w - half_logdet + 0.5 * np.einsum("nka,nka->nk", grad, diff)
    logr -= logr.max(axis=1, keepdims=True)
    r = np.exp(logr)
    return np.einsum("nk,nka->na", r, grad) / r.sum(axis=1, keepdims=True)


def numpy_empirical_score(x, data, alpha, sigma):
    """Score of the noised empirical distribution of data: a softmax over squared distances."""
    sq = (np.sum(x * x, axis=1)[:, None] - 2 * alpha * x @ data.T + alpha**2 * np.sum(data * data, axis=1)[None])
    logr = -0.5 * sq / sigma**2
    logr -= logr.max(axis=1, keepdims=True)
    r = np.exp(logr)
    return (alpha * (r @ data) / r.sum(axis=1, keepdims=True) - x) / sigma**2
