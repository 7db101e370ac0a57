"""Checks of chapter 8's conditional GANs, run by tests/test_conditional.py on TensorFlow
(in-process) and on JAX (in a subprocess: a Keras backend is fixed per process)."""

import numpy as np

import keras

from ganlib import conditional, config


def _label_painter(latent_dim=4):
    """A generator whose digit is a flat image of value label / 10, whatever the noise: what it
    was asked for can be read off its output."""
    z = keras.Input((latent_dim,))
    y = keras.Input((), dtype="int32")
    embedding = keras.layers.Embedding(10, 1)
    e = embedding(y)
    h = keras.layers.Dense(28 * 28, use_bias=False, kernel_initializer="ones")(e)
    h = h + 0.0 * keras.ops.sum(z, axis=-1, keepdims=True)  # Keras 3.13 wants every input used
    out = keras.layers.Reshape((28, 28, 1))(h)
    model = keras.Model([z, y], out)
    embedding.embeddings.assign(np.arange(10, dtype="float32")[:, None] / 10)
    return model


def check_cgan_asked_for_k_receives_k():
    # The generator's embedding: asking for k looks up row k, for every k.
    G = conditional.conditional_generator(latent_dim=8)
    table = keras.ops.convert_to_numpy(G.get_layer("label_embedding").embeddings)
    lookup = keras.Model(G.inputs, G.get_layer("label_embedding").output)
    labels = np.array([3, 0, 9, 3, 7], "int32")
    got = keras.ops.convert_to_numpy(lookup([np.zeros((5, 8), "float32"), labels]))
    np.testing.assert_allclose(got, table[labels])
    # The discriminator's label plane: label k is row k laid out as a 28x28 channel.
    D = conditional.cgan_discriminator()
    plane_table = keras.ops.convert_to_numpy(D.get_layer("label_plane").embeddings)
    plane = keras.Model(D.inputs, D.get_layer("label_plane").output)
    got = keras.ops.convert_to_numpy(plane([np.zeros((5, 28, 28, 1), "float32"), labels]))
    np.testing.assert_allclose(got, plane_table[labels])
    # Different labels, same noise: different digits; same label: the same digit.
    z = np.random.default_rng(0).standard_normal((1, 8)).astype("float32").repeat(3, axis=0)
    out = keras.ops.convert_to_numpy(G([z, np.array([1, 1, 2], "int32")], training=False))
    np.testing.assert_allclose(out[0], out[1], atol=1e-6)
    assert np.abs(out[0] - out[2]).max() > 1e-4
    # generate() hands every label to the generator, in order, in chunks of 1000.
    gan = conditional.ConditionalGAN(_label_painter(), conditional.cgan_discriminator())
    wanted = np.tile(np.arange(10, dtype="int32"), 120)[::-1].copy()  # 1,200: two chunks
    images = gan.generate(wanted, seed=1)
    np.testing.assert_allclose(images[:, 5, 5, 0], wanted / 10, atol=1e-5)


def check_acgan_class_loss_falls_on_real_labels():
    from ganlib.data import load_mnist

    mnist = load_mnist("small")
    cfg = config.conditional_config("acgan", quick=True, epochs=4, n_train=512, metric_samples=0)
    run = conditional.train_conditional(cfg, seed=0, data=mnist, verbose=0)
    losses = run.history["class_loss"]
    assert len(losses) == 4 and all(np.isfinite(losses))
    # D's class head starts at chance (ln 10 = 2.30) and learns the real digits' labels.
    assert losses[0] > 1.0 and losses[-1] < 0.6 * losses[0], losses


def check_unet_keeps_the_size_and_the_known_pixels():
    for channels, paste in ((1, False), (2, True)):
        G = conditional.unet_generator(channels, paste=paste)
        assert G.input_shape == (None, 28, 28, channels) and G.output_shape == (None, 28, 28, 1)
        # Every skip joins two tensors of the same size: 14x14 (encoder features) and 28x28
        # (the input itself).
        joins = [layer for layer in G.layers if isinstance(layer, keras.layers.Concatenate)]
        sizes = sorted(tuple(layer.output.shape[1:3]) for layer in joins)
        assert sizes == [(14, 14), (28, 28)]
        assert all(len({tuple(t.shape[1:3]) for t in layer.input}) == 1 for layer in joins)
        D = conditional.patch_discriminator(channels)
        assert D.output_shape == (None, 7, 7, 1)
    digits = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype("float32")
    given, masked = conditional.degrade(digits, "inpaint")
    out = keras.ops.convert_to_numpy(G(given, training=False))
    outside = given[..., 1:2] == 0
    np.testing.assert_allclose(out[outside], digits[outside], atol=1e-6)
    assert np.abs(out[~outside] - masked[~outside]).max() > 1e-4  # G paints inside the square


def check_rounds_train_both_kinds_and_pix2pix():
    """One epoch of each model on 128 digits: finite losses, both networks' weights move."""
    from ganlib.data import load_mnist

    mnist = load_mnist("small")
    x, y = mnist.x_train[:128], mnist.y_train[:128].astype("int32")
    for kind in ("cgan", "acgan"):
        gan = conditional.build_conditional(config.conditional_config(kind, quick=True))
        before = [w.copy() for w in gan.generator.get_weights() + gan.discriminator.get_weights()]
        history = gan.fit({"real": x, "label": y}, batch_size=64, epochs=1, verbose=0).history
        assert all(np.isfinite(v[-1]) for v in history.values()), history
        after = gan.generator.get_weights() + gan.discriminator.get_weights()
        moved = [np.abs(a - b).max() > 0 for a, b in zip(after, before)]
        assert sum(moved) > len(moved) // 2
    gan = conditional.build_pix2pix(config.pix2pix_config("superres", quick=True))
    given, _ = conditional.degrade(x, "superres")
    history = gan.fit({"input": given, "target": x}, batch_size=64, epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values()) and history["l1"][-1] > 0


def run_all():
    check_cgan_asked_for_k_receives_k()
    check_unet_keeps_the_size_and_the_known_pixels()
    check_rounds_train_both_kinds_and_pix2pix()
    check_acgan_class_loss_falls_on_real_labels()
