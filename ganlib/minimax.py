"""The minimax game of chapter 4, worked out on the real line.

Goodfellow et al. (2014): V(D, G) = E_{x ~ p_data}[log D(x)] + E_{x ~ p_g}[log(1 - D(x))]; for a
fixed generator the best discriminator is D*(x) = p_data(x) / (p_data(x) + p_g(x)), and max_D V =
-log 4 + 2 JS(p_data || p_g). Every piece is a number here for two 1-D Gaussians ``(mean, std)``,
integrated on a fine, evenly spaced grid (natural logarithms). Densities are divided as
logarithms, so far-apart Gaussians (whose densities underflow between them) stay finite."""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers

from ganlib.checks import check_array, check_number, check_positive_int
from ganlib.config import set_seed

#: Samples drawn from each distribution, and epochs, to train the 1-D discriminator: the full
#: run's and quick mode's; its batch size and Adam's learning rate.
N_FULL, N_QUICK = 20_000, 4_000
EPOCHS_FULL, EPOCHS_QUICK = 20, 10
BATCH_SIZE, LEARNING_RATE = 256, 1e-2
#: Grid points for the numerical integrals, and how many standard deviations it reaches beyond each mean.
GRID_POINTS, GRID_WIDTH = 20_001, 12.0
#: value_function clips D to [EPSILON, 1 - EPSILON], as Keras's binary cross-entropy does.
EPSILON = 1e-7

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _check_gaussian(name: str, pair) -> tuple[float, float]:
    """Return ``pair`` as ``(mean, std)`` floats, or raise a ValueError naming ``name``."""
    if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
        raise ValueError(f"{name} must be a pair (mean, std) of numbers, got {pair!r}")
    return check_number(f"{name}'s mean", pair[0]), check_number(f"{name}'s std", pair[1], "positive")


def _check_x(x) -> tuple[np.ndarray, bool]:
    """Return ``x`` as a float64 1-D array and whether it was a single number."""
    array = check_array("x", x, dtype="float64")
    if array.ndim > 1:
        raise ValueError(f"x must be a number or a 1-D array of numbers, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("x contains NaN or infinite values")
    return np.atleast_1d(array), array.ndim == 0


def _log_pdf(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    return -0.5 * ((x - mean) / std) ** 2 - math.log(std) - _LOG_SQRT_2PI


def gaussian_pdf(x, mean: float = 0.0, std: float = 1.0):
    """The density of the Gaussian ``(mean, std)`` at ``x``: a float for a number, an array for an array."""
    x, scalar = _check_x(x)
    density = np.exp(_log_pdf(x, check_number("mean", mean), check_number("std", std, "positive")))
    return float(density[0]) if scalar else density


def optimal_discriminator(x, p, q):
    """The best discriminator for fixed data ``p`` and generator ``q``: p(x) / (p(x) + q(x)), as
    the logistic function of log p(x) - log q(x), defined even where both densities underflow."""
    x, scalar = _check_x(x)
    p, q = _check_gaussian("p", p), _check_gaussian("q", q)
    t = _log_pdf(x, *p) - _log_pdf(x, *q)
    # The logistic function, written so that exp never overflows for any finite t.
    e = np.exp(-np.abs(t))
    d_star = np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return float(d_star[0]) if scalar else d_star


def integration_grid(p, q, n: int = GRID_POINTS, width: float = GRID_WIDTH) -> np.ndarray:
    """The ``n`` evenly spaced points, to ``width`` standard deviations beyond both distributions,
    on which this module integrates (a step at most a tenth of the narrower Gaussian's std)."""
    p, q = _check_gaussian("p", p), _check_gaussian("q", q)
    n = check_positive_int("n", n)
    width = check_number("width", width, "positive")
    if n < 3:
        raise ValueError(f"n must be at least 3 grid points, got {n}")
    low = min(p[0] - width * p[1], q[0] - width * q[1])
    high = max(p[0] + width * p[1], q[0] + width * q[1])
    step = (high - low) / (n - 1)
    if step > 0.1 * min(p[1], q[1]):
        needed = math.ceil((high - low) / (0.1 * min(p[1], q[1]))) + 1
        raise ValueError(f"n={n} grid points are too few for these distributions: the step {step:.3g} must "
                         f"be at most a tenth of the smaller std; use n >= {needed}")
    return np.linspace(low, high, n)


def _integrate(values: np.ndarray, x: np.ndarray) -> float:
    """The trapezoidal rule on an evenly spaced grid."""
    return float((x[1] - x[0]) * (values[1:-1].sum() + 0.5 * (values[0] + values[-1])))


def _on_grid(p, q, n: int):
    """Check ``p`` and ``q``; return the grid ``x`` and log p(x), log q(x) on it."""
    p, q = _check_gaussian("p", p), _check_gaussian("q", q)
    x = integration_grid(p, q, n)
    return x, _log_pdf(x, *p), _log_pdf(x, *q)


def _weighted_log(density: np.ndarray, log_values: np.ndarray) -> np.ndarray:
    """density * log_values, taking 0 * log 0 = 0 (densities below the smallest normal double
    count as zero, so a value underflowing to 0 where the density is negligible does no harm)."""
    out = np.zeros_like(density)
    present = density > np.finfo(density.dtype).tiny
    with np.errstate(divide="ignore", invalid="ignore"):
        out[present] = density[present] * log_values[present]
    return out


def _log_ratios(log_p: np.ndarray, log_q: np.ndarray, log_m: np.ndarray) -> np.ndarray:
    """p log(p / m) + q log(q / m), the integrand of the divergences."""
    return _weighted_log(np.exp(log_p), log_p - log_m) + _weighted_log(np.exp(log_q), log_q - log_m)


def _discriminator_values(d, x: np.ndarray) -> np.ndarray:
    if not callable(d):
        raise ValueError(f"d must be a callable that maps an array of x to D(x), got {d!r}")
    values = np.asarray(d(x), dtype="float64")
    if values.shape == (len(x), 1):
        values = values[:, 0]
    if values.shape != x.shape:
        raise ValueError(f"d must return one value per point: shape ({len(x)},) or ({len(x)}, 1), "
                         f"got {values.shape}")
    if not np.all((values >= 0) & (values <= 1)):
        raise ValueError("d must return probabilities in [0, 1] (got values outside or NaN)")
    return values


def value_function(d, p, q, n: int = GRID_POINTS, epsilon: float = EPSILON) -> float:
    """V(D, G) = E_p[log D(x)] + E_q[log(1 - D(x))] on ``n`` points, ``d`` mapping x to D(x) (e.g.
    :func:`model_as_function`), D clipped to [epsilon, 1 - epsilon]: a float32 sigmoid saturates to exactly 0
    or 1 far out in the tails, which would make V = -inf (``epsilon=0``: the exact integral)."""
    x, log_p, log_q = _on_grid(p, q, n)
    epsilon = check_number("epsilon", epsilon)
    if not 0 <= epsilon < 0.5:
        raise ValueError(f"epsilon must be in [0, 0.5), got {epsilon!r}")
    values = np.clip(_discriminator_values(d, x), epsilon, 1.0 - epsilon)
    with np.errstate(divide="ignore"):
        integrand = (_weighted_log(np.exp(log_p), np.log(values))
                     + _weighted_log(np.exp(log_q), np.log1p(-values)))
    return _integrate(integrand, x)


def optimal_value(p, q, n: int = GRID_POINTS) -> float:
    """C(G) = max_D V(D, G) = -log 4 + 2 JS(p || q): the value function at D*, computed in log
    space, so it is finite even for far-apart Gaussians."""
    x, log_p, log_q = _on_grid(p, q, n)
    return _integrate(_log_ratios(log_p, log_q, np.logaddexp(log_p, log_q)), x)


def kl_divergence(p, q, n: int = GRID_POINTS) -> float:
    """KL(p || q) = E_p[log p(x) - log q(x)] in nats, by numerical integration (the tests check it
    against the closed form log(s_q / s_p) + (s_p^2 + (m_p - m_q)^2) / (2 s_q^2) - 1/2)."""
    x, log_p, log_q = _on_grid(p, q, n)
    return _integrate(_weighted_log(np.exp(log_p), log_p - log_q), x)


def js_divergence(p, q, n: int = GRID_POINTS) -> float:
    """JS(p || q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2, in nats: 0 when p = q,
    approaching log 2 as the two stop overlapping."""
    x, log_p, log_q = _on_grid(p, q, n)
    log_m = np.logaddexp(log_p, log_q) - math.log(2.0)
    return 0.5 * _integrate(_log_ratios(log_p, log_q, log_m), x)


def wasserstein_1(p, q, n: int = GRID_POINTS) -> float:
    """W1(p, q), the earth mover's distance, on the real line: the area between the two
    cumulative distribution functions, integral |F_p(x) - F_q(x)| dx. For two Gaussians of the
    same std it is the distance between their means, however far apart (chapter 6)."""
    p, q = _check_gaussian("p", p), _check_gaussian("q", q)
    x = integration_grid(p, q, n)
    cdf = [0.5 * (1.0 + np.vectorize(math.erf)((x - mean) / (std * math.sqrt(2.0)))) for mean, std in (p, q)]
    return _integrate(np.abs(cdf[0] - cdf[1]), x)


def discriminator_1d(hidden: int = 32, name: str = "discriminator_1d"):
    """A small discriminator on the real line: the probability that x came from the data."""
    hidden = check_positive_int("hidden", hidden)
    return keras.Sequential([
        keras.Input(shape=(1,)),
        layers.Dense(hidden, activation="relu", name="hidden_1"),
        layers.Dense(hidden, activation="relu", name="hidden_2"),
        layers.Dense(1, activation="sigmoid", name="p_real"),
    ], name=name)


def train_discriminator_1d(p, q, n: int = N_FULL, epochs: int = EPOCHS_FULL, batch_size: int = BATCH_SIZE,
                           learning_rate: float = LEARNING_RATE, seed: int = 0):
    """Train :func:`discriminator_1d` with ``model.fit`` to tell ``n`` samples of ``p`` (label 1)
    from ``n`` of ``q`` (label 0); returns ``(model, history)``. Binary cross-entropy on a balanced
    set is -V(D, G) / 2 estimated from samples, so the trained model approximates D*."""
    p, q = _check_gaussian("p", p), _check_gaussian("q", q)
    n, epochs, batch_size = (check_positive_int(name, value) for name, value in
                             (("n", n), ("epochs", epochs), ("batch_size", batch_size)))
    learning_rate = check_number("learning_rate", learning_rate, "positive")
    set_seed(seed)
    rng = np.random.default_rng(seed)
    x = np.concatenate([p[0] + p[1] * rng.standard_normal(n), q[0] + q[1] * rng.standard_normal(n)])
    y = np.concatenate([np.ones(n), np.zeros(n)])
    order = rng.permutation(2 * n)
    x, y = x[order].astype("float32")[:, None], y[order].astype("float32")[:, None]
    model = discriminator_1d()
    # The learning rate decays along a cosine to 0, so the last epochs settle instead of jitter.
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, epochs * math.ceil(2 * n / batch_size))
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=keras.losses.BinaryCrossentropy())
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0)
    return model, history


def model_as_function(model, batch_size: int = 8192):
    """Wrap a Keras model with input shape ``(1,)`` as a NumPy function (1-D array -> 1-D array),
    the ``d`` of :func:`value_function` and :func:`discriminator_error`."""
    batch_size = check_positive_int("batch_size", batch_size)

    def d(x):
        x, _ = _check_x(x)
        out = model.predict(x.astype("float32")[:, None], batch_size=batch_size, verbose=0)
        return np.asarray(out, dtype="float64").reshape(len(x))

    return d


def discriminator_error(d, p, q, min_density: float = 0.05, n: int = 2001) -> tuple[float, float]:
    """Maximum and mean of |d - D*| over ``n`` evenly spaced points to 6 standard deviations beyond
    both distributions, where p(x) + q(x) >= min_density: where both densities are tiny there are
    no data, and any discriminator is as good as any other."""
    p, q = _check_gaussian("p", p), _check_gaussian("q", q)
    min_density = check_number("min_density", min_density, "positive")
    n = check_positive_int("n", n)
    x = np.linspace(min(p[0] - 6 * p[1], q[0] - 6 * q[1]), max(p[0] + 6 * p[1], q[0] + 6 * q[1]), n)
    region = np.exp(_log_pdf(x, *p)) + np.exp(_log_pdf(x, *q)) >= min_density
    if not np.any(region):
        raise ValueError(f"min_density={min_density} leaves no x where p(x) + q(x) reaches it")
    x = x[region]
    gap = np.abs(_discriminator_values(d, x) - optimal_discriminator(x, p, q))
    return float(gap.max()), float(gap.mean())
