"""Checks of chapter 9's BiGAN and generated-data experiments, run by tests/test_generated.py on
TensorFlow (in-process) and on JAX (in a subprocess: a Keras backend is fixed per process)."""

import numpy as np

import keras

from ganlib import bigan, config
from ganlib.models import compact_dcgan_generator


def check_encoder_shape_and_pairs():
    E = bigan.bigan_encoder(latent_dim=16)
    assert E.input_shape == (None, 28, 28, 1) and E.output_shape == (None, 16)
    D = bigan.bigan_discriminator(latent_dim=16)
    assert [tuple(t.shape) for t in D.inputs] == [(None, 28, 28, 1), (None, 16)]
    assert D.output_shape == (None, 1)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (4, 28, 28, 1)).astype("float32")
    z = rng.standard_normal((4, 16)).astype("float32")
    p = keras.ops.convert_to_numpy(D([x, z]))
    # D's verdict depends on both halves of the pair.
    p_code = keras.ops.convert_to_numpy(D([x, z[::-1].copy()]))
    p_image = keras.ops.convert_to_numpy(D([x[::-1].copy(), z]))
    assert np.abs(p - p_code).max() > 1e-6 and np.abs(p - p_image).max() > 1e-6
    gan = bigan.BiGAN(compact_dcgan_generator(16), E, D)
    codes = gan.encode(x[..., 0])  # (n, 28, 28) is accepted too
    assert codes.shape == (4, 16) and gan.reconstruct(x).shape == (4, 28, 28, 1)


def check_one_epoch_moves_all_three():
    """One epoch on 128 digits: finite losses, and G, E and D all learn (E only learns if D
    judges it through the (x, E(x)) pairs)."""
    from ganlib.data import load_mnist

    mnist = load_mnist("small")
    gan = bigan.build_bigan(config.bigan_config(quick=True, latent_dim=16))
    nets = (gan.generator, gan.encoder, gan.discriminator)
    before = [[w.copy() for w in net.get_weights()] for net in nets]
    history = gan.fit(mnist.x_train[:128], batch_size=64, epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values()), history
    assert history["tp"][-1] + history["fn"][-1] == 128  # D judged each real pair once
    for net, old in zip(nets, before):
        moved = [np.abs(a - b).max() > 0 for a, b in zip(net.get_weights(), old)]
        assert sum(moved) > len(moved) // 2, net.name
    # The averaged encoder follows the live one (it started as its copy), but lags behind it.
    live, ema = gan.encoder.get_weights(), gan.ema_encoder.get_weights()
    start = before[1]
    assert any(np.abs(e - s).max() > 0 for e, s in zip(ema, start))
    assert any(np.abs(e - w).max() > 1e-6 for e, w in zip(ema, live))
    x = mnist.x_test[:8]
    assert np.abs(gan.encode(x) - gan.encode(x, use_ema=False)).max() > 1e-6


def check_d_judges_real_with_codes_and_fakes_with_noise():
    """Spy on D's steps (run eagerly): the real pairs are (x, E(x)) for training digits x, the
    fake pairs (G(z), z); a mix-up (say, real digits with fresh noise) fails here."""
    from ganlib.data import load_mnist

    x_train = load_mnist("small").x_train[:64]
    gan = bigan.build_bigan(config.bigan_config(quick=True, latent_dim=16))
    gan.compile(keras.optimizers.Adam(2e-4), keras.optimizers.Adam(2e-4), run_eagerly=True)
    seen = []
    d_loss = gan.d_loss

    def spy(x, z, label):
        if id(gan.discriminator) in (gan._live.bound or {}):  # D's own steps, not G and E's
            # What E and G make of this batch right now (training mode: batch statistics).
            codes = keras.ops.convert_to_numpy(gan.run(gan.encoder, x))
            drawn = keras.ops.convert_to_numpy(gan.run(gan.generator, z))
            seen.append((label, keras.ops.convert_to_numpy(x), keras.ops.convert_to_numpy(z),
                         codes, drawn))
        return d_loss(x, z, label)

    gan.d_loss = spy
    gan.fit(x_train, batch_size=64, epochs=1, verbose=0, shuffle=False)
    assert [label for label, *_ in seen] == [1.0, 0.0]
    _, x_real, z_real, codes, _ = seen[0]
    np.testing.assert_allclose(x_real, x_train, atol=1e-6)
    np.testing.assert_allclose(z_real, codes, atol=1e-4)
    _, x_fake, z_fake, _, drawn = seen[1]
    np.testing.assert_allclose(x_fake, drawn, atol=1e-4)


def run_all():
    check_encoder_shape_and_pairs()
    check_d_judges_real_with_codes_and_fakes_with_noise()
    check_one_epoch_moves_all_three()
