"""Chapter 4: the optimal discriminator, the value function and the Jensen-Shannon identity."""

import math

import numpy as np
import pytest

from ganlib import minimax

LOG4 = math.log(4.0)
LN2 = math.log(2.0)
# The chapter's example: the data and a generator that has not yet found it.
P, Q = (2.0, 1.0), (-1.0, 1.5)
PAIRS = [((0.0, 1.0), (0.0, 1.0)), ((0.0, 1.0), (1.0, 1.0)), (P, Q), ((3.0, 0.5), (0.0, 2.0))]


def kl_closed_form(p, q):
    (mp, sp), (mq, sq) = p, q
    return math.log(sq / sp) + (sp**2 + (mp - mq) ** 2) / (2 * sq**2) - 0.5


def d_star(p, q):
    return lambda x: minimax.optimal_discriminator(x, p, q)


# --- densities and D* ------------------------------------------------------------------------


def test_gaussian_pdf_known_values_and_mass():
    assert minimax.gaussian_pdf(0.0) == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-12)
    expected = math.exp(-1 / 8) / (2 * math.sqrt(2 * math.pi))
    assert minimax.gaussian_pdf(1.0, mean=0.0, std=2.0) == pytest.approx(expected, rel=1e-12)
    assert isinstance(minimax.gaussian_pdf(0.5), float)
    x = np.linspace(-20, 20, 40_001)
    density = minimax.gaussian_pdf(x, mean=1.0, std=3.0)
    assert density.shape == x.shape
    assert np.sum(density) * (x[1] - x[0]) == pytest.approx(1.0, abs=1e-6)


def test_optimal_discriminator_is_one_half_at_the_midpoint_of_equal_std_gaussians():
    assert minimax.optimal_discriminator(1.5, (0.0, 1.0), (3.0, 1.0)) == pytest.approx(0.5)
    assert minimax.optimal_discriminator(-4.0, (-7.0, 2.0), (-1.0, 2.0)) == pytest.approx(0.5)


def test_optimal_discriminator_is_one_half_everywhere_when_p_equals_q():
    x = np.linspace(-30, 30, 101)
    np.testing.assert_allclose(minimax.optimal_discriminator(x, (1.0, 2.0), (1.0, 2.0)), 0.5)


def test_optimal_discriminator_known_values():
    # log p(0) - log q(0) = 0 - (-2) = 2 for p = N(0, 1), q = N(2, 1).
    assert minimax.optimal_discriminator(0.0, (0.0, 1.0), (2.0, 1.0)) == pytest.approx(
        1 / (1 + math.exp(-2)), rel=1e-12
    )
    # At the shared mean of N(0, 1) and N(0, 2) the densities are in the ratio 2 : 1.
    assert minimax.optimal_discriminator(0.0, (0.0, 1.0), (0.0, 2.0)) == pytest.approx(2 / 3)
    x = np.linspace(-4, 6, 51)
    p_x, q_x = minimax.gaussian_pdf(x, *P), minimax.gaussian_pdf(x, *Q)
    expected = p_x / (p_x + q_x)
    np.testing.assert_allclose(minimax.optimal_discriminator(x, P, Q), expected, rtol=1e-12)


def test_optimal_discriminator_stays_defined_where_both_densities_underflow():
    x = np.array([0.0, 50.0, 100.0])
    d = minimax.optimal_discriminator(x, (0.0, 1.0), (100.0, 1.0))
    assert np.all(np.isfinite(d))
    np.testing.assert_allclose(d, [1.0, 0.5, 0.0], atol=1e-12)


# --- divergences -----------------------------------------------------------------------------


@pytest.mark.parametrize("p, q", PAIRS + [((5.0, 0.3), (-2.0, 4.0))])
def test_kl_divergence_matches_the_closed_form(p, q):
    assert minimax.kl_divergence(p, q) == pytest.approx(kl_closed_form(p, q), abs=1e-6)


def test_js_of_a_distribution_with_itself_is_zero():
    assert abs(minimax.js_divergence((0.0, 1.0), (0.0, 1.0))) < 1e-12
    assert abs(minimax.js_divergence((-3.0, 0.2), (-3.0, 0.2))) < 1e-12


def test_js_of_far_apart_gaussians_approaches_ln2():
    assert minimax.js_divergence((0.0, 1.0), (100.0, 1.0)) == pytest.approx(LN2, abs=1e-9)
    assert minimax.js_divergence((0.0, 1.0), (3.0, 1.0)) < LN2 - 0.05


def test_js_is_symmetric_bounded_and_grows_with_distance():
    values = [minimax.js_divergence((0.0, 1.0), (m, 1.0)) for m in (0.5, 1.0, 2.0, 4.0, 8.0)]
    assert all(0 < v < LN2 for v in values)
    assert values == sorted(values) and values[-1] - values[0] > 0.5
    assert minimax.js_divergence(P, Q) == pytest.approx(minimax.js_divergence(Q, P), abs=1e-12)


def test_js_agrees_with_a_monte_carlo_estimate():
    # An independent estimate: JS = (E_p[log(2p / (p+q))] + E_q[log(2q / (p+q))]) / 2.
    rng = np.random.default_rng(0)
    xp = P[0] + P[1] * rng.standard_normal(400_000)
    xq = Q[0] + Q[1] * rng.standard_normal(400_000)
    d_p, d_q = minimax.optimal_discriminator(xp, P, Q), minimax.optimal_discriminator(xq, P, Q)
    estimate = 0.5 * (np.mean(np.log(2 * d_p)) + np.mean(np.log(2 * (1 - d_q))))
    assert minimax.js_divergence(P, Q) == pytest.approx(estimate, abs=5e-3)


# --- the value function ----------------------------------------------------------------------


@pytest.mark.parametrize("p, q", PAIRS + [((0.0, 1.0), (30.0, 1.0))])
def test_max_value_is_minus_log4_plus_twice_js(p, q):
    expected = -LOG4 + 2 * minimax.js_divergence(p, q)
    assert minimax.value_function(d_star(p, q), p, q) == pytest.approx(expected, abs=1e-3)
    assert minimax.optimal_value(p, q) == pytest.approx(expected, abs=1e-3)


def test_value_at_equilibrium_is_minus_log4():
    p = (1.0, 2.0)
    assert minimax.value_function(d_star(p, p), p, p) == pytest.approx(-LOG4, abs=1e-9)
    # D = 1/2 everywhere scores -log 4 against any generator: it has learned nothing.
    half = lambda x: np.full_like(x, 0.5)  # noqa: E731
    assert minimax.value_function(half, P, Q) == pytest.approx(-LOG4, abs=1e-9)


def test_optimal_discriminator_beats_other_discriminators():
    best = minimax.value_function(d_star(P, Q), P, Q)
    others = {
        "one half": lambda x: np.full_like(x, 0.5),
        "D* for the wrong generator": d_star(P, (0.0, 1.5)),
        "D* nudged up": lambda x: np.clip(minimax.optimal_discriminator(x, P, Q) + 0.05, 0, 1),
        "a logistic curve": lambda x: 1 / (1 + np.exp(-(x - 0.5))),
    }
    for name, d in others.items():
        assert minimax.value_function(d, P, Q) < best - 1e-3, name


def test_value_function_accepts_column_output_and_clips_saturated_values():
    column = lambda x: minimax.optimal_discriminator(x, P, Q)[:, None]  # noqa: E731
    assert minimax.value_function(column, P, Q) == pytest.approx(minimax.optimal_value(P, Q))
    # A D that says "fake" with certainty where the data live: -inf exactly, finite when clipped.
    never = lambda x: np.zeros_like(x)  # noqa: E731
    assert minimax.value_function(never, P, Q, epsilon=0.0) == -math.inf
    clipped = minimax.value_function(never, P, Q)
    assert math.isfinite(clipped) and clipped == pytest.approx(math.log(minimax.EPSILON), rel=1e-6)


# --- a trained Keras discriminator -----------------------------------------------------------


def test_trained_discriminator_approximates_d_star():
    # The quick budget (about 3 s on one CPU). Tolerance: mean |D - D*| < 0.05 and max < 0.15
    # where p(x) + q(x) >= 0.05; the trained runs measured give about 0.006 and 0.04.
    model, history = minimax.train_discriminator_1d(
        P, Q, n=minimax.N_QUICK, epochs=minimax.EPOCHS_QUICK, seed=0
    )
    assert len(history.history["loss"]) == minimax.EPOCHS_QUICK
    d = minimax.model_as_function(model)
    max_abs, mean_abs = minimax.discriminator_error(d, P, Q)
    assert mean_abs < 0.05 and max_abs < 0.15, (max_abs, mean_abs)
    assert minimax.value_function(d, P, Q) == pytest.approx(minimax.optimal_value(P, Q), abs=0.02)
    # The same measure fails an untrained network, so passing it means something.
    untrained = minimax.model_as_function(minimax.discriminator_1d())
    assert minimax.discriminator_error(untrained, P, Q)[1] > 0.05


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("std", [0.0, -1.0, math.nan, math.inf, "1"])
def test_non_positive_std_is_rejected(std):
    with pytest.raises(ValueError, match="std"):
        minimax.gaussian_pdf(0.0, 0.0, std)
    with pytest.raises(ValueError, match="q's std"):
        minimax.optimal_discriminator(0.0, (0.0, 1.0), (0.0, std))
    with pytest.raises(ValueError, match="p's std"):
        minimax.js_divergence((0.0, std), (0.0, 1.0))


@pytest.mark.parametrize("pair", [(0.0,), (0.0, 1.0, 2.0), "ab", 3.0, None])
def test_a_gaussian_must_be_a_mean_std_pair(pair):
    for fn in (minimax.js_divergence, minimax.kl_divergence, minimax.optimal_value):
        with pytest.raises(ValueError, match=r"p must be a pair \(mean, std\)"):
            fn(pair, (0.0, 1.0))
    with pytest.raises(ValueError, match="q must be a pair"):
        minimax.value_function(d_star(P, Q), P, pair)


@pytest.mark.parametrize("mean", [math.nan, math.inf, True, "0"])
def test_mean_must_be_a_finite_number(mean):
    with pytest.raises(ValueError, match="mean"):
        minimax.gaussian_pdf(0.0, mean, 1.0)
    with pytest.raises(ValueError, match="p's mean"):
        minimax.optimal_discriminator(0.0, (mean, 1.0), (0.0, 1.0))


@pytest.mark.parametrize("x", [np.zeros((3, 2)), [[1.0]], [0.0, math.nan], [math.inf], "abc"])
def test_x_must_be_a_number_or_a_1d_array(x):
    with pytest.raises(ValueError, match="x"):
        minimax.optimal_discriminator(x, P, Q)
    with pytest.raises(ValueError, match="x"):
        minimax.gaussian_pdf(x)


@pytest.mark.parametrize("n", [0, -5, 2.5, True, 2])
def test_grid_size_must_be_a_positive_integer_of_at_least_three(n):
    for fn in (minimax.js_divergence, minimax.kl_divergence, minimax.optimal_value):
        with pytest.raises(ValueError, match="n"):
            fn(P, Q, n=n)
    with pytest.raises(ValueError, match="n"):
        minimax.value_function(d_star(P, Q), P, Q, n=n)


def test_a_grid_too_coarse_for_a_narrow_gaussian_is_rejected():
    with pytest.raises(ValueError, match="too few"):
        minimax.js_divergence((0.0, 0.01), (100.0, 1.0), n=1001)
    with pytest.raises(ValueError, match="too few"):
        minimax.integration_grid(P, Q, n=50)
    assert minimax.integration_grid(P, Q, n=1001).shape == (1001,)


def test_value_function_rejects_bad_discriminators():
    with pytest.raises(ValueError, match="d must be a callable"):
        minimax.value_function(0.5, P, Q)
    with pytest.raises(ValueError, match="one value per point"):
        minimax.value_function(lambda x: np.zeros((len(x), 2)), P, Q)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        minimax.value_function(lambda x: np.full_like(x, 1.5), P, Q)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        minimax.value_function(lambda x: np.full_like(x, math.nan), P, Q)
    with pytest.raises(ValueError, match="epsilon"):
        minimax.value_function(d_star(P, Q), P, Q, epsilon=0.5)
    with pytest.raises(ValueError, match="epsilon"):
        minimax.value_function(d_star(P, Q), P, Q, epsilon=-1e-7)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"n": 0}, "n"),
        ({"n": -10}, "n"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1.5}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": -1e-3}, "learning_rate"),
        ({"seed": -1}, "seed"),
        ({"q": (0.0, 0.0)}, "q's std"),
    ],
)
def test_train_discriminator_1d_rejects_bad_arguments(kwargs, name):
    args = {"p": P, "q": Q, "n": 10, "epochs": 1, **kwargs}
    with pytest.raises(ValueError, match=name):
        minimax.train_discriminator_1d(**args)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="hidden"):
        minimax.discriminator_1d(hidden=0)
    with pytest.raises(ValueError, match="batch_size"):
        minimax.model_as_function(None, batch_size=0)
    with pytest.raises(ValueError, match="min_density"):
        minimax.discriminator_error(d_star(P, Q), P, Q, min_density=0.0)
    with pytest.raises(ValueError, match="leaves no x"):
        minimax.discriminator_error(d_star(P, Q), P, Q, min_density=5.0)
    with pytest.raises(ValueError, match="width"):
        minimax.integration_grid(P, Q, width=-1.0)


def test_wasserstein_1_keeps_growing_where_js_is_stuck_at_ln2():
    """Same std: W1 is the distance between the means, at any distance, while JS saturates; for
    different stds it is the closed form's E|X - Y| under the monotone coupling."""
    for delta in (0.5, 4.0, 8.0, 30.0):
        assert minimax.wasserstein_1((0.0, 1.0), (delta, 1.0)) == pytest.approx(delta, rel=1e-4)
    assert minimax.js_divergence((0.0, 1.0), (8.0, 1.0)) == pytest.approx(LN2, abs=0.01)
    # Same mean, stds 1 and 3: F_p - F_q changes sign at 0; W1 = (3 - 1) * E|Z| = 2 * sqrt(2 / pi).
    assert minimax.wasserstein_1((0.0, 1.0), (0.0, 3.0)) == pytest.approx(2 * (2 / np.pi) ** 0.5, rel=1e-4)
    with pytest.raises(ValueError, match="q"):
        minimax.wasserstein_1((0.0, 1.0), (0.0, -1.0))
