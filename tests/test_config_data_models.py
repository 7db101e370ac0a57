import keras
import numpy as np
import pytest

from ganlib import config, data, models


def test_quick_mode_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv(config.QUICK_ENV, "1")
    assert config.is_quick() and config.mode() == "quick"
    monkeypatch.delenv(config.QUICK_ENV)
    assert not config.is_quick() and config.mode() == "full"
    monkeypatch.setenv(config.QUICK_ENV, "maybe")
    with pytest.raises(ValueError, match="GANLIB_QUICK"):
        config.is_quick()


def test_gaussian_config_follows_the_mode():
    full = config.gaussian_config(quick=False)
    assert (full.n_points, full.batch_size, full.epochs, full.latent_dim) == (10_000, 32, 13, 4)
    assert config.gaussian_config(quick=True).epochs < full.epochs


def test_device_report_names_backend_and_gpu():
    line = config.device_report()
    assert "backend" in line and "GPU:" in line and "Keras 3." in line


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_set_seed_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed"):
        config.set_seed(seed)


def test_gaussian_data_has_the_source_statistics():
    x = data.gaussian_data(10_000, seed=0)
    assert x.shape == (10_000, 2) and x.dtype == np.float32
    np.testing.assert_allclose(x.mean(axis=0), [5, 5], atol=0.05)
    np.testing.assert_allclose(x.std(axis=0), [1, 1], atol=0.03)
    np.testing.assert_array_equal(x, data.gaussian_data(10_000, seed=0))


def test_uniform_noise_is_in_unit_interval():
    z = data.uniform_noise(5_000, 4, seed=1)
    assert z.shape == (5_000, 4) and z.min() >= 0.0 and z.max() < 1.0
    assert abs(z.mean() - 0.5) < 0.02


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"n": 0}, "n must"),
        ({"n": -5}, "n must"),
        ({"n": 10, "center": (1, 2, 3)}, "center"),
        ({"n": 10, "std": 0}, "std"),
        ({"n": 10, "std": float("nan")}, "std"),
    ],
)
def test_gaussian_data_rejects_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        data.gaussian_data(**kwargs)


@pytest.mark.parametrize("kwargs, word", [({"n": 0}, "n must"), ({"n": 3, "latent_dim": 0}, "latent_dim")])
def test_uniform_noise_rejects_bad_sizes(kwargs, word):
    with pytest.raises(ValueError, match=word):
        data.uniform_noise(**kwargs)


@pytest.mark.parametrize(
    "x, word",
    [
        (np.zeros((0, 2)), "empty"),
        (np.zeros((4, 3)), r"shape \(n, 2\)"),
        (np.zeros(4), r"shape \(n, 2\)"),
        (np.array([[1.0, np.nan]]), "NaN"),
        ("abc", "array of numbers"),
    ],
)
def test_check_points_explains_bad_data(x, word):
    with pytest.raises(ValueError, match=word):
        data.check_points("real", x)


def test_models_are_the_source_networks():
    generator, discriminator = models.gaussian_generator(), models.gaussian_discriminator()
    assert generator.input_shape == (None, 4) and generator.output_shape == (None, 2)
    assert discriminator.input_shape == (None, 2) and discriminator.output_shape == (None, 1)
    # 4*16+16 + 16*2+2 and 2*16+16 + 16*16+16 + 16+1 parameters.
    assert generator.count_params() == 114
    assert discriminator.count_params() == 337
    p = np.asarray(discriminator.predict_on_batch(np.zeros((3, 2), "float32")))
    assert np.all((p > 0) & (p < 1))
    with pytest.raises(ValueError, match="latent_dim"):
        models.gaussian_generator(latent_dim=0)


def test_flops_are_counted_from_the_layer_shapes():
    from ganlib import training

    g, d = models.compact_dcgan_generator(), models.compact_dcgan_discriminator()
    # By hand: Dense 64 -> 6272; ConvT 4x4 128 -> 64 on a 7x7 input; Conv 3x3 64 -> 64 to 14x14;
    # ConvT 4x4 64 -> 32 on 14x14 (the cost of the 28x28 -> 14x14 convolution it inverts);
    # Conv 3x3 32 -> 1 at 28x28.
    g_by_hand = 2 * (64 * 6272 + 16 * 128 * 64 * 49 + 9 * 64 * 64 * 196 + 16 * 32 * 64 * 196
                     + 9 * 32 * 1 * 784)
    # Conv 4x4 1 -> 64 to 14x14; Conv 4x4 64 -> 128 to 7x7; Conv 4x4 128 -> 256 to 4x4;
    # Dense 4096 -> 1.
    d_by_hand = 2 * (16 * 1 * 64 * 196 + 16 * 64 * 128 * 49 + 16 * 128 * 256 * 16 + 4096)
    assert models.forward_flops(g) == g_by_hand and models.forward_flops(d) == d_by_hand
    assert training.round_flops(g, d, 64) == 64 * (7 * g_by_hand + 10 * d_by_hand)
    with pytest.raises(ValueError, match="model"):
        models.forward_flops("a model")


def test_flops_count_chapter_6s_equalized_layers_like_their_plain_twins():
    """ProGAN's EqualizedDense and EqualizedConv2D do the work of Dense and Conv2D: before they
    were counted, its networks' FLOPs came out as 0."""
    from ganlib import progan

    def net(dense, conv):
        inputs = keras.Input((8, 8, 3))
        x = conv(inputs)
        return keras.Model(inputs, dense(keras.layers.Flatten()(x)))

    plain = net(keras.layers.Dense(10), keras.layers.Conv2D(16, 3, padding="same"))
    equalized = net(progan.EqualizedDense(10), progan.EqualizedConv2D(16, 3))
    by_hand = 2 * (9 * 3 * 16 * 64 + 8 * 8 * 16 * 10)
    assert models.forward_flops(plain) == by_hand
    assert models.forward_flops(equalized) == by_hand
    assert models.forward_flops(progan.GrowingGenerator(seed=0).model(32)) > 0


def test_a_printed_config_fits_the_page_column_and_keeps_every_field():
    from ganlib import mixture

    cfg = mixture.mixture_config("ring", "none", quick=False)
    lines = str(cfg).splitlines()
    assert len(repr(cfg)) > 100 and len(lines) > 1
    assert max(map(len, lines)) <= 100
    assert " ".join(line.strip() for line in lines) == repr(cfg)
