"""Checks of chapter 6's ProGAN pieces, run by tests/test_progan.py on TensorFlow (in-process)
and on JAX (in a subprocess: a Keras backend is fixed per process)."""

import math

import numpy as np

import keras

from ganlib import progan

CHANNELS = {4: 16, 8: 16, 16: 8, 32: 8}


def check_fade_in_at_alpha_zero_equals_the_smaller_networks():
    g_net = progan.GrowingGenerator(latent_dim=8, channels=CHANNELS, seed=3)
    d_net = progan.GrowingDiscriminator(channels=CHANNELS, seed=3)
    z = np.random.default_rng(0).standard_normal((8, 8)).astype("float32")
    x = np.random.default_rng(1).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    small_g, small_d = g_net.model(8), d_net.model(8)
    grown_g, grown_d = g_net.model(16, fading=True), d_net.model(16, fading=True)
    g_net.fade.alpha.assign(0.0)
    d_net.fade.alpha.assign(0.0)
    small = keras.ops.convert_to_numpy(small_g(z))
    grown = keras.ops.convert_to_numpy(grown_g(z))
    np.testing.assert_allclose(grown, small.repeat(2, axis=1).repeat(2, axis=2), atol=1e-5)
    pooled = x.reshape(8, 8, 2, 8, 2, 1).mean(axis=(2, 4))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(grown_d(x)),
                               keras.ops.convert_to_numpy(small_d(pooled)), atol=1e-4)
    # Shared layers, no copies: the grown networks hold the small ones' variables themselves.
    ids = {id(v) for v in grown_g.weights}
    assert all(id(v) in ids for v in small_g.weights)
    # alpha = 1: the new block's image, different from the upsampled small one.
    g_net.fade.alpha.assign(1.0)
    full = keras.ops.convert_to_numpy(grown_g(z))
    np.testing.assert_allclose(full, keras.ops.convert_to_numpy(g_net.model(16)(z)), atol=1e-5)
    assert np.abs(full - grown).max() > 1e-3


def check_equalized_layers():
    dense = progan.EqualizedDense(256, seed=1)
    x = np.random.default_rng(0).standard_normal((4, 400)).astype("float32")
    y = keras.ops.convert_to_numpy(dense(x))
    w = keras.ops.convert_to_numpy(dense.kernel)
    assert abs(w.std() - 1.0) < 0.02 and abs(w.mean()) < 0.02  # stored: N(0, 1)
    assert math.isclose(dense.scale, math.sqrt(2.0 / 400), rel_tol=1e-9)  # He's constant
    np.testing.assert_allclose(y, x @ (w * math.sqrt(2.0 / 400)), rtol=1e-4, atol=1e-4)
    conv = progan.EqualizedConv2D(32, 3, seed=2)
    img = np.random.default_rng(1).standard_normal((2, 6, 6, 16)).astype("float32")
    out = keras.ops.convert_to_numpy(conv(img))
    k = keras.ops.convert_to_numpy(conv.kernel)
    assert abs(k.std() - 1.0) < 0.05
    assert math.isclose(conv.scale, math.sqrt(2.0 / (3 * 3 * 16)), rel_tol=1e-9)
    # The centre pixel of a 'same' convolution, by hand.
    patch = img[:, 1:4, 1:4, :]
    by_hand = np.einsum("nijc,ijcf->nf", patch, k * conv.scale)
    np.testing.assert_allclose(out[:, 2, 2, :], by_hand, rtol=1e-4, atol=1e-4)


def check_pixel_norm():
    x = np.random.default_rng(0).standard_normal((3, 5, 5, 7)).astype("float32") * 9.0
    y = keras.ops.convert_to_numpy(progan.PixelNorm()(x))
    np.testing.assert_allclose((y ** 2).mean(axis=-1), 1.0, rtol=1e-4)


def check_gradient_penalty_matches_finite_differences():
    # A smooth critic (tanh, no kinks), so central differences are accurate.
    keras.utils.set_random_seed(4)
    critic = keras.Sequential([keras.Input((4, 4, 1)), progan.EqualizedConv2D(6, 3, seed=1),
                               keras.layers.Activation("tanh"), keras.layers.Flatten(),
                               progan.EqualizedDense(1, gain=3.0, seed=2)])
    rng = np.random.default_rng(2)
    real, fake = rng.uniform(-1, 1, (2, 3, 4, 4, 1)).astype("float32")
    eps = rng.uniform(0, 1, (3, 1, 1, 1)).astype("float32")
    x_hat = eps * real + (1 - eps) * fake
    grad = keras.ops.convert_to_numpy(progan.input_gradient(critic, keras.ops.convert_to_tensor(x_hat)))
    h = 1e-2
    numeric = np.zeros_like(x_hat)
    for index in np.ndindex(*x_hat.shape):
        up, down = x_hat.copy(), x_hat.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (float(np.sum(keras.ops.convert_to_numpy(critic(up))))
                          - float(np.sum(keras.ops.convert_to_numpy(critic(down))))) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-2, atol=1e-3)
    expected = np.mean((np.sqrt((numeric ** 2).sum(axis=(1, 2, 3))) - 1.0) ** 2)
    gp = float(keras.ops.convert_to_numpy(progan.gradient_penalty(critic, real, fake, eps)))
    assert abs(gp - expected) < 1e-2 * max(1.0, expected), (gp, expected)
    assert expected > 0.01  # the check is not trivially 0 = 0


def check_lazy_r1_regularizes_every_kth_round_weighted_k_times():
    """``r1_every=3`` over 6 rounds on frozen weights (learning rate 0, one batch repeated): R1 is
    computed at rounds 0 and 3 only, so the recorded penalty's mean is R1 / 3, and D's mean loss is
    the same as with R1 every round (weighted 3 times on a third of the rounds)."""
    from ganlib import config

    def fit(r1_every):
        cfg = config.progan_config(quick=True, loss="ns-r1", gp_weight=2.0, learning_rate=0.0,
                                   r1_every=r1_every, channels=(8, 8, 8, 8), latent_dim=8, batch_size=64)
        g_net = progan.GrowingGenerator(8, dict(zip(progan.RESOLUTIONS, cfg.channels)), seed=0)
        d_net = progan.GrowingDiscriminator(dict(zip(progan.RESOLUTIONS, cfg.channels)), seed=0)
        gan = progan._build_phase(cfg, g_net, d_net, 4, False, None, seed=0)
        real = np.tile(np.random.default_rng(0).uniform(-1, 1, (64, 4, 4, 1)).astype("float32"), (6, 1, 1, 1))
        return progan.timed_fit(gan, real, batch_size=64, epochs=1, shuffle=False, verbose=0)[0]

    every, lazy = fit(1), fit(3)
    assert every["gp"][0] > 0.01
    assert abs(lazy["gp"][0] - every["gp"][0] / 3) < 1e-4 * every["gp"][0], (lazy["gp"], every["gp"])
    assert abs(lazy["d_loss"][0] - every["d_loss"][0]) < 1e-4, (lazy["d_loss"], every["d_loss"])


def run_all():
    check_fade_in_at_alpha_zero_equals_the_smaller_networks()
    check_equalized_layers()
    check_pixel_norm()
    check_gradient_penalty_matches_finite_differences()
    check_lazy_r1_regularizes_every_kth_round_weighted_k_times()
