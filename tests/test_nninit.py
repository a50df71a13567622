"""Random networks at initialization: mean-field maps, NNGP kernels, finite width and signature kernels."""

import math

import numpy as np
import pytest
from scipy.integrate import dblquad, quad
from scipy.special import i0, j0

from emergence import nninit as nn

TWO_INPUTS = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0]]) * math.sqrt(3)  # q_in = 1 per feature, c = 0.6


def _batch_kurtosis(samples, batches=20):
    """Excess kurtosis with a standard error from the spread over independent batches."""
    parts = np.array_split(samples, batches)
    kappas = [np.mean(p**4) / np.mean(p**2) ** 2 - 3 for p in parts]
    return np.mean(kappas), np.std(kappas, ddof=1) / math.sqrt(batches)


# --------------------------------------------------------------------------
# mean-field maps
# --------------------------------------------------------------------------
def test_relu_at_sigma_w_squared_two_preserves_length():
    q = np.array([1e-3, 0.5, 1.0, 7.0, 300.0])
    np.testing.assert_allclose(nn.length_map(q, activation="relu", sigma_w=math.sqrt(2)), q, rtol=1e-12)
    assert nn.fixed_point(activation="relu", sigma_w=math.sqrt(2), q_start=3.0) == 3.0
    assert nn.fixed_point(activation="relu", sigma_w=1.0, sigma_b=0.5) == pytest.approx(0.5)  # 0.25 / (1 - 1/2)
    assert nn.fixed_point(activation="relu", sigma_w=1.5) == math.inf


def test_tanh_edge_of_chaos_at_sigma_w_one():
    assert nn.fixed_point(activation="tanh", sigma_w=1.0) == 0.0
    assert nn.chi1(0.0, activation="tanh", sigma_w=1.0) == pytest.approx(1.0, abs=1e-14)
    # just above sigma_w = 1 a nonzero fixed point appears, where chi_1 > 1 (chaotic)
    q_star = nn.fixed_point(activation="tanh", sigma_w=1.2)
    assert q_star > 0.1
    assert nn.length_map(q_star, activation="tanh", sigma_w=1.2) == pytest.approx(q_star, rel=1e-10)
    assert nn.chi1(q_star, activation="tanh", sigma_w=1.2) > 1
    assert nn.chi1(0.0, activation="tanh", sigma_w=0.9) < 1


def test_relu_correlation_map_is_the_arc_cosine_kernel():
    c = np.linspace(-1, 1, 41)
    theta = np.arccos(c)
    for q, sw, sb in ((1.0, math.sqrt(2), 0.0), (0.3, 1.1, 0.2), (4.0, 1.6, 0.7)):
        cov = sw**2 * q / (2 * math.pi) * (np.sin(theta) + (math.pi - theta) * c) + sb**2
        expected = cov / (sw**2 * q / 2 + sb**2)
        np.testing.assert_allclose(nn.correlation_map(c, q, activation="relu", sigma_w=sw, sigma_b=sb),
                                   expected, atol=1e-10)


def test_quadrature_and_closed_forms_against_adaptive_integration():
    # the tanh maps (Gauss-Hermite) and the erf closed forms, against scipy's adaptive quadrature
    q, c, sw, sb = 0.8, 0.35, 1.4, 0.3
    density = 1 / math.sqrt(2 * math.pi)

    def square(phi):
        return quad(lambda z: phi(math.sqrt(q) * z) ** 2 * density * math.exp(-z * z / 2), -12, 12, epsabs=1e-13)[0]

    def product(phi):
        def f(z2, z1):
            u = math.sqrt(q) * z1
            v = math.sqrt(q) * (c * z1 + math.sqrt(1 - c**2) * z2)
            return phi(u) * phi(v) * density**2 * math.exp(-(z1**2 + z2**2) / 2)

        return dblquad(f, -9, 9, -9, 9, epsabs=1e-12)[0]

    for name, phi in (("tanh", math.tanh), ("erf", math.erf)):
        q_next = sw**2 * square(phi) + sb**2
        assert nn.length_map(q, activation=name, sigma_w=sw, sigma_b=sb) == pytest.approx(q_next, rel=1e-10)
        expected = (sw**2 * product(phi) + sb**2) / q_next
        assert nn.correlation_map(c, q, activation=name, sigma_w=sw, sigma_b=sb) == pytest.approx(expected, abs=1e-9)
        slope = quad(lambda z, p=phi: ((p(math.sqrt(q) * z + 1e-6) - p(math.sqrt(q) * z - 1e-6)) / 2e-6) ** 2
                     * density * math.exp(-z * z / 2), -12, 12)[0]
        assert nn.chi1(q, activation=name, sigma_w=sw) == pytest.approx(sw**2 * slope, rel=1e-7)


def test_depth_scales_diverge_at_the_edge_of_chaos_and_describe_the_approach():
    # tanh, sigma_b = 0.05: xi_c grows without bound as sigma_w approaches the chi_1 = 1 line from either side
    sides = [nn.depth_scales(activation="tanh", sigma_w=s, sigma_b=0.05) for s in (0.9, 1.05, 1.5)]
    assert sides[0].chi1 < 1 < sides[2].chi1 and sides[0].c_star == 1.0 and sides[2].c_star < 1
    from scipy.optimize import brentq

    edge = brentq(lambda s: nn.depth_scales(activation="tanh", sigma_w=s, sigma_b=0.05).chi1 - 1, 0.9, 1.5)
    xis = [nn.depth_scales(activation="tanh", sigma_w=edge * (1 + e), sigma_b=0.05).xi_c
           for e in (-0.1, -0.01, 0.01, 0.1)]
    assert xis[1] > 5 * xis[0] and xis[2] > 5 * xis[3]
    # iterating the correlation map: c^l - c* shrinks by chi_c per layer deep down
    s = nn.depth_scales(activation="tanh", sigma_w=1.5, sigma_b=0.3)
    c = 0.9
    gaps = []
    for _ in range(250):
        c = nn.correlation_map(c, s.q_star, activation="tanh", sigma_w=1.5, sigma_b=0.3)
        gaps.append(c - s.c_star)
    assert gaps[-1] / gaps[-2] == pytest.approx(s.chi_c, rel=1e-3)


# --------------------------------------------------------------------------
# wide networks against the maps and the NNGP kernel
# --------------------------------------------------------------------------
def test_wide_networks_follow_the_length_and_correlation_maps():
    # tanh in the chaotic phase; 6 networks of width 2000. The per-network kernel fluctuates by
    # ~ sqrt(2 l / n) relative; the mean over networks is compared within 4 of its standard
    # error plus an O(l / n) allowance for the finite-width bias of the mean.
    sw, sb, width, depth = 1.5, 0.3, 2000, 12
    K = nn.sampled_kernels(TWO_INPUTS, depth, width, 6, activation="tanh", sigma_w=sw, sigma_b=sb, seed=5)
    q = sw**2 * 1.0 + sb**2
    c = (sw**2 * 0.6 + sb**2) / q
    q_theory, c_theory = [q], [c]
    for _ in range(depth - 1):
        c = nn.correlation_map(c, q, activation="tanh", sigma_w=sw, sigma_b=sb)
        q = nn.length_map(q, activation="tanh", sigma_w=sw, sigma_b=sb)
        q_theory.append(q)
        c_theory.append(c)
    q_emp = K[:, :, 0, 0]
    c_emp = K[:, :, 0, 1] / np.sqrt(K[:, :, 0, 0] * K[:, :, 1, 1])
    for layer in (1, 5, 11):
        for emp, theory in ((q_emp, q_theory), (c_emp, c_theory)):
            mean, se = emp[:, layer].mean(), emp[:, layer].std(ddof=1) / math.sqrt(emp.shape[0])
            assert abs(mean - theory[layer]) < 4 * se + 2 * (layer + 1) / width * abs(theory[layer])
    # the same numbers through nngp_kernel
    kernel = nn.nngp_kernel(TWO_INPUTS, depth, activation="tanh", sigma_w=sw, sigma_b=sb)
    np.testing.assert_allclose(kernel[:, 0, 0], q_theory, rtol=1e-10)
    np.testing.assert_allclose(kernel[:, 0, 1] / kernel[:, 0, 0], c_theory, rtol=1e-9)


@pytest.mark.parametrize("weights", ["orthogonal", "sparse", "low-rank"])
def test_structured_weights_give_the_same_gaussian_process(weights):
    # [115]: pseudo-iid weights share the NNGP kernel. Width 600, 8 networks, ReLU at depth 4;
    # the comparison is within 4 standard errors of the mean plus 1 % for finite-width bias.
    x = np.random.default_rng(0).standard_normal((3, 5))
    K = nn.sampled_kernels(x, 4, 600, 8, activation="relu", sigma_w=1.3, sigma_b=0.1, weights=weights,
                           density=0.2, seed=2)
    theory = nn.nngp_kernel(x, 4, activation="relu", sigma_w=1.3, sigma_b=0.1)[-1]
    mean, se = K[:, -1].mean(0), K[:, -1].std(0, ddof=1) / math.sqrt(8)
    assert np.all(np.abs(mean - theory) < 4 * se + 0.01 * np.abs(theory))


def test_orthogonal_weights_are_orthogonal():
    for n_out, n_in in ((50, 50), (80, 30), (30, 80)):
        w = nn.weight_matrix(n_out, n_in, weights="orthogonal", sigma_w=1.7, seed=3)
        gram = w.T @ w if n_out >= n_in else w @ w.T
        scale = 1.7**2 * max(n_out, n_in) / n_in
        np.testing.assert_allclose(gram / scale, np.eye(min(n_out, n_in)), atol=1e-12)
    low = nn.weight_matrix(60, 60, weights="low-rank", rank=7, seed=1)
    assert np.linalg.matrix_rank(low) == 7
    sparse = nn.weight_matrix(400, 400, weights="sparse", density=0.05, seed=1)
    assert abs(np.mean(sparse != 0) - 0.05) < 4 * math.sqrt(0.05 * 0.95 / 160_000)
    # every family has entry variance sigma_w^2 / n_in (checked through the row norms)
    for kind in nn.WEIGHTS:
        w = nn.weight_matrix(300, 300, weights=kind, sigma_w=2.0, seed=4)
        assert np.mean(np.sum(w**2, axis=1)) == pytest.approx(4.0, rel=0.1)


def test_residual_branch_scalings():
    # 1/sqrt(L): a nontrivial limit, matched by wide networks; 1/L: the kernel tends to the input's
    x = TWO_INPUTS
    sqrt_kernel = nn.nngp_kernel(x, 64, activation="relu", sigma_w=1.0, residual="1/sqrt(L)")[-1]
    input_kernel = x @ x.T / x.shape[1]
    assert sqrt_kernel[0, 0] > 1.5 * input_kernel[0, 0]
    # the depth limit of the 1/sqrt(L) kernel: q' = q (1 + 1/(2L)) per layer, so q_L -> q e^(1/2)
    assert sqrt_kernel[0, 0] == pytest.approx(input_kernel[0, 0] * (1 + 1 / 128) ** 63, rel=1e-12)
    flat = [nn.nngp_kernel(x, L, activation="relu", residual="1/L")[-1] for L in (10, 100, 1000)]
    gaps = [abs(k[0, 0] - input_kernel[0, 0]) for k in flat]
    assert gaps[2] < gaps[1] / 5 < gaps[0] / 25
    K = nn.sampled_kernels(x, 64, 300, 8, activation="relu", residual="1/sqrt(L)", seed=9)[:, -1]
    se = K.std(0, ddof=1) / math.sqrt(8)
    assert np.all(np.abs(K.mean(0) - sqrt_kernel) < 4 * se + 0.02 * np.abs(sqrt_kernel))


def test_gp_regression_is_the_exact_posterior():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (12, 1))
    Xs = np.linspace(-2, 2, 7)[:, None]
    both = np.vstack([X, Xs])
    K = nn.nngp_kernel(both, 3, activation="relu", sigma_w=1.4, sigma_b=0.5)[-1]
    y = np.sin(2 * X[:, 0])
    post = nn.gp_regression(K[:12, :12], K[12:, :12], y, noise=0.01, K_test_diag=np.diag(K)[12:])
    A = K[:12, :12] + 0.01 * np.eye(12)
    np.testing.assert_allclose(post.mean, K[12:, :12] @ np.linalg.solve(A, y), rtol=1e-9)
    np.testing.assert_allclose(post.variance, np.diag(K[12:, 12:] - K[12:, :12] @ np.linalg.solve(A, K[:12, 12:])),
                               atol=1e-10)
    # noiseless regression interpolates the training data
    fit = nn.gp_regression(K[:12, :12], K[:12, :12], y, noise=0.0)
    np.testing.assert_allclose(fit.mean, y, atol=1e-6)


# --------------------------------------------------------------------------
# finite width: [33]
# --------------------------------------------------------------------------
@pytest.mark.parametrize(("activation", "width", "networks"),
                         [("relu", 16, 400_000), ("relu", 64, 800_000), ("relu", 256, 600_000),
                          ("tanh", 16, 800_000)])
def test_excess_kurtosis_falls_as_one_over_width(activation, width, networks):
    f = nn.output_samples(width, networks, activation=activation, sigma_w=1.0, seed=width)
    kappa, se = _batch_kurtosis(f)
    theory = nn.excess_kurtosis(width, activation=activation, sigma_w=1.0)
    if activation == "relu":
        assert theory == pytest.approx(15 / width, rel=1e-10)  # Var(relu^2) / E[relu^2]^2 = (3/2 - 1/4) / (1/4)
    assert abs(kappa - theory) < 4 * se
    assert theory > 6 * se  # the correction itself is resolved: a Gaussian would fail this test


def test_edgeworth_density_fits_better_than_the_gaussian():
    # width 32, a million networks, 60 bins. The Gaussian misfit grows as N kappa^2 ~ N / n^2, the
    # Edgeworth one only as N / n^4 (the next terms of the expansion); at n = 32 the Edgeworth
    # density removes over 93 % of the Gaussian's excess chi-square.
    f = nn.output_samples(32, 1_000_000, activation="relu", seed=1)
    edges = np.linspace(-3, 3, 61)
    counts = np.histogram(f, edges)[0]
    centres = (edges[1:] + edges[:-1]) / 2
    width = edges[1] - edges[0]
    edgeworth = nn.edgeworth_density(centres, 32, activation="relu") * width * f.size
    gauss = nn.edgeworth_density(centres, 10**9, activation="relu") * width * f.size
    chi2 = [np.sum((counts - m) ** 2 / m) for m in (edgeworth, gauss)]
    assert chi2[0] < chi2[1] / 15
    grid = np.linspace(-12, 12, 20001)
    assert np.trapezoid(nn.edgeworth_density(grid, 8, activation="relu"), grid) == pytest.approx(1.0, abs=1e-8)


# --------------------------------------------------------------------------
# signature kernels: [110]
# --------------------------------------------------------------------------
def test_signature_kernel_of_straight_segments():
    pairs = (([0.6, 0.5], [0.9, -0.2]), ([1.0, 1.0], [1.0, 0.0]), ([1.2, -0.3], [-1.0, 0.4]), ([0.1, 0.0], [0.0, 3.0]))
    for dx, dy in pairs:
        a = float(np.dot(dx, dy))
        x = np.array([[0.0, 0.0], dx])
        y = np.array([[2.0, -1.0], np.add([2.0, -1.0], dy)])  # the kernel sees only increments
        exact = i0(2 * math.sqrt(a)) if a >= 0 else j0(2 * math.sqrt(-a))
        assert nn.signature_kernel(x, y) == pytest.approx(exact, abs=1e-6)


def test_signature_kernel_symmetric_positive_and_reparametrization_invariant():
    rng = np.random.default_rng(4)
    paths = [np.cumsum(rng.normal(0, 0.3, (8, 2)), axis=0) for _ in range(6)]
    gram = np.array([[nn.signature_kernel(p, r, refinement=16) for r in paths] for p in paths])
    np.testing.assert_allclose(gram, gram.T, rtol=1e-12)
    assert np.linalg.eigvalsh(gram).min() > -1e-9
    # a vertex inserted halfway along a segment does not change the path, nor the kernel
    p = paths[0]
    split = np.insert(p, 3, (p[2] + p[3]) / 2, axis=0)
    assert nn.signature_kernel(split, paths[1]) == pytest.approx(nn.signature_kernel(p, paths[1]), abs=1e-6)


def test_controlled_resnet_converges_to_the_signature_kernel():
    # straight segments. With M Euler layers the infinite-width limit is
    # sum_m C(M, m)^2 (rho / M^2)^m (nested pairings of the layer matrices), which tends to
    # I0(2 sqrt(rho)) as M grows. 48 networks of width 300 match it within 4 standard errors
    # plus 3/n relative for the non-planar (finite-width) corrections to the mean, which measure
    # about 1 % at width 200.
    paths = np.array([[[0.0, 0.0], [0.8, 0.3]], [[0.0, 0.0], [0.5, -0.6]], [[0.0, 0.0], [1.0, 0.9]]])
    M, width, networks = 16, 300, 48
    K = np.array([f @ f.T / width for f in (nn.controlled_resnet(paths, width, substeps=M, seed=s)
                                            for s in range(networks))])
    increments = paths[:, 1] - paths[:, 0]
    rho = increments @ increments.T
    discrete = sum(math.comb(M, m) ** 2 * (rho / M**2) ** m for m in range(M + 1))
    se = K.std(0, ddof=1) / math.sqrt(networks)
    assert np.all(np.abs(K.mean(0) - discrete) < 4 * se + 3 / width * np.abs(discrete))
    exact = np.where(rho >= 0, i0(2 * np.sqrt(np.abs(rho))), j0(2 * np.sqrt(np.abs(rho))))
    assert np.all(np.abs(discrete - exact) < 0.06 * exact)
    finer = sum(math.comb(256, m) ** 2 * (rho / 256**2) ** m for m in range(257))
    assert np.all(np.abs(finer - exact) < np.abs(discrete - exact) / 10)  # the depth limit is the PDE's


# --------------------------------------------------------------------------
# errors and determinism
# --------------------------------------------------------------------------
def test_determinism():
    a = nn.forward(TWO_INPUTS, 5, 50, weights="orthogonal", seed=3)
    b = nn.forward(TWO_INPUTS, 5, 50, weights="orthogonal", seed=3)
    np.testing.assert_array_equal(a.preactivations, b.preactivations)
    c = nn.forward(TWO_INPUTS, 5, 50, weights="orthogonal")
    np.testing.assert_array_equal(nn.forward(TWO_INPUTS, 5, 50, weights="orthogonal", seed=c.seed).preactivations,
                                  c.preactivations)
    np.testing.assert_array_equal(nn.output_samples(16, 1000, seed=2), nn.output_samples(16, 1000, seed=2))
    np.testing.assert_array_equal(nn.controlled_resnet(np.zeros((1, 3, 2)) + np.arange(3)[None, :, None], 20, seed=1),
                                  nn.controlled_resnet(np.zeros((1, 3, 2)) + np.arange(3)[None, :, None], 20, seed=1))
    assert not np.array_equal(nn.output_samples(16, 1000, seed=2), nn.output_samples(16, 1000, seed=3))


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: nn.length_map(1.0, activation="sigmoid"), ValueError, "activation"),
    (lambda: nn.length_map(-1.0), ValueError, "q"),
    (lambda: nn.length_map(1.0, sigma_w=0.0), ValueError, "sigma_w"),
    (lambda: nn.correlation_map(1.5, 1.0), ValueError, "c"),
    (lambda: nn.correlation_map(0.5, 0.0), ValueError, "q"),
    (lambda: nn.chi1(1.0, sigma_b=-1.0), ValueError, "sigma_b"),
    (lambda: nn.forward(TWO_INPUTS, 0, 10), ValueError, "depth"),
    (lambda: nn.forward(TWO_INPUTS, 3, 10.5), TypeError, "width"),
    (lambda: nn.forward(TWO_INPUTS, 3, 10, weights="uniform"), ValueError, "weights"),
    (lambda: nn.forward(TWO_INPUTS, 3, 10, residual="1/L^2"), ValueError, "residual"),
    (lambda: nn.forward([[np.nan, 1.0]], 3, 10), ValueError, "x"),
    (lambda: nn.forward(TWO_INPUTS, 5000, 5000), ValueError, "exceed|elementary"),
    (lambda: nn.weight_matrix(10, 10, weights="sparse", density=0.0), ValueError, "density"),
    (lambda: nn.weight_matrix(10, 10, weights="low-rank", rank=11), ValueError, "rank"),
    (lambda: nn.nngp_kernel(np.ones(3), 2), ValueError, "X"),
    (lambda: nn.gp_regression(np.eye(3), np.ones((2, 2)), np.ones(3), noise=0.1), ValueError, "K_cross"),
    (lambda: nn.gp_regression(-np.eye(3), np.ones((2, 3)), np.ones(3), noise=0.1), ValueError, "positive definite"),
    (lambda: nn.output_samples(0, 10), ValueError, "width"),
    (lambda: nn.excess_kurtosis(16, q_in=0.0), ValueError, "q_in"),
    (lambda: nn.signature_kernel(np.zeros((1, 2)), np.zeros((3, 2))), ValueError, "x"),
    (lambda: nn.signature_kernel(np.zeros((3, 2)), np.zeros((3, 3))), ValueError, "dimension"),
    (lambda: nn.signature_kernel(np.zeros((3, 2)), np.zeros((3, 2)), refinement=0), ValueError, "refinement"),
    (lambda: nn.controlled_resnet(np.zeros((2, 1, 2)), 10), ValueError, "points"),
    (lambda: nn.sampled_kernels(TWO_INPUTS, 3, 10, 0), ValueError, "networks"),
])
def test_errors_name_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call()
