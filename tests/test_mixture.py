"""Chapter 7: the ring and grid benchmarks, their scoring, and the anti-collapse layers."""

import math

import numpy as np
import pytest

import keras

from conftest import last_json, needs_jax, run_python
from ganlib import config, mixture
from ganlib.layers import MinibatchDiscrimination, MinibatchStdDev, Pack


# -- data and scoring ------------------------------------------------------------------------------


def test_means_and_stds_are_the_published_ones():
    ring = mixture.mixture_means("ring")
    assert ring.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(ring[2], [0.0, 1.0], atol=1e-6)  # angle 2*pi*2/8
    grid = mixture.mixture_means("grid")
    assert grid.shape == (25, 2)
    assert sorted(set(grid[:, 0].tolist())) == [-4, -2, 0, 2, 4]
    assert mixture.mixture_std("ring") == 0.01 and mixture.mixture_std("grid") == 0.05


@pytest.mark.parametrize("layout", mixture.LAYOUTS)
def test_real_samples_score_perfectly(layout):
    real = mixture.sample_mixture(2500, layout, seed=1)
    score = mixture.score_samples(real, layout)
    k = len(mixture.mixture_means(layout))
    assert score["modes"] == k
    assert score["high_quality"] > 0.98  # 3 sigma keeps 1 - exp(-4.5) = 98.9% of a 2-D Gaussian
    assert score["kl"] < 0.02
    assert sum(score["histogram"]) == round(score["high_quality"] * 2500)


def test_one_mode_and_no_mode_are_scored_as_collapse():
    means = mixture.mixture_means("grid")
    one = np.repeat(means[7:8], 100, axis=0)
    score = mixture.score_samples(one, "grid")
    assert score["modes"] == 1 and score["high_quality"] == 1.0
    assert score["kl"] == pytest.approx(math.log(25))
    # Between the modes: nothing is high-quality, nothing is captured.
    off = np.full((100, 2), 1.0, dtype="float32")
    score = mixture.score_samples(off, "grid")
    assert score == {**score, "modes": 0, "high_quality": 0.0, "kl": pytest.approx(math.log(25))}


def test_a_sample_just_outside_three_sigma_is_not_high_quality():
    mean = mixture.mixture_means("ring")[0]
    inside = mean + [0.0299, 0.0]
    outside = mean + [0.0301, 0.0]
    score = mixture.score_samples(np.stack([inside, outside]), "ring")
    assert score["high_quality"] == 0.5 and score["modes"] == 1


def test_nearest_counts_every_sample_whatever_its_quality():
    means = mixture.mixture_means("ring")
    points = np.concatenate([np.repeat(means[:1], 3, axis=0), means[1:2] * 0.9])  # last: far from all
    score = mixture.score_samples(points, "ring")
    assert score["nearest"] == [3, 1, 0, 0, 0, 0, 0, 0]
    assert score["histogram"] == [3, 0, 0, 0, 0, 0, 0, 0]


def test_networks_work_in_units_of_the_mixtures_standard_deviation():
    assert mixture.mixture_scale("ring") == pytest.approx(math.sqrt(0.5 + 0.01**2), rel=1e-5)
    assert mixture.mixture_scale("grid") == pytest.approx(math.sqrt(8 + 0.05**2), rel=1e-5)
    g1 = mixture.mixture_generator(4, 8, scale=1.0)
    g3 = mixture.mixture_generator(4, 8, scale=3.0)
    g3.set_weights(g1.get_weights())
    z = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(g3.predict(z, verbose=0), 3 * g1.predict(z, verbose=0), rtol=1e-5)
    d1 = mixture.mixture_discriminator("none", 8, scale=1.0)
    d3 = mixture.mixture_discriminator("none", 8, scale=3.0)
    d3.set_weights(d1.get_weights())
    x = np.random.default_rng(1).normal(size=(5, 2)).astype("float32")
    np.testing.assert_allclose(d3.predict(3 * x, verbose=0), d1.predict(x, verbose=0), rtol=1e-5)


def test_chapter_budgets_per_mode_and_layout():
    assert mixture.mixture_config("ring", quick=False).steps == 10_000
    assert mixture.mixture_config("grid", quick=False).steps == 20_000
    assert mixture.mixture_config("grid", quick=True).steps < 1000
    assert mixture.mixture_config("ring", "pack", quick=False, steps=7).steps == 7
    assert mixture.table_budget(quick=False)["seeds"] >= 5  # as the published tables
    assert mixture.table_budget(quick=True) == {"seeds": 1, "workers": 1}


def test_published_rows_are_possible_under_their_protocols():
    # Catches a mistyped row: modes between 0 and the mixture's count, standard errors
    # non-negative, high-quality percentages in [0, 100]; every row has both layouts.
    limits = {"ring": len(mixture.mixture_means("ring")), "grid": len(mixture.mixture_means("grid"))}
    for paper, rows in mixture.PUBLISHED.items():
        for name, row in rows.items():
            assert set(row) == {"ring", "grid"}, (paper, name)
            for layout, (modes, se, hq) in row.items():
                assert 0 <= modes <= limits[layout], (paper, name, layout)
                assert se is None or se >= 0, (paper, name, layout)
                assert 0 <= hq <= 100, (paper, name, layout)
    # The VEEGAN paper reports no standard errors; the PacGAN paper does.
    assert all(se is None for row in mixture.PUBLISHED["VEEGAN paper"].values() for _, se, _ in row.values())
    assert all(se is not None for row in mixture.PUBLISHED["PacGAN paper"].values() for _, se, _ in row.values())


def test_kl_from_uniform_is_one_function_for_modes_and_classes():
    from ganlib import metrics

    assert metrics.kl_from_uniform([5, 5, 5, 5]) == 0.0
    assert metrics.kl_from_uniform([0, 0, 7]) == pytest.approx(np.log(3))
    assert metrics.kl_from_uniform([0] * 8) == pytest.approx(np.log(8))  # nothing high-quality
    score = mixture.score_samples(mixture.mixture_means("ring")[:2], "ring")
    assert score["kl"] == pytest.approx(np.log(4))  # 2 of 8 modes, evenly
    with pytest.raises(ValueError, match="counts"):
        metrics.kl_from_uniform([-1, 2])


def test_sampling_is_deterministic_for_a_seed():
    a = mixture.sample_mixture(50, "grid", seed=3)
    b = mixture.sample_mixture(50, "grid", seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, mixture.sample_mixture(50, "grid", seed=4))


@pytest.mark.parametrize(
    "call, word",
    [
        (lambda: mixture.mixture_means("spiral"), "layout"),
        (lambda: mixture.sample_mixture(0, "ring"), "n"),
        (lambda: mixture.score_samples(np.zeros((5, 3)), "ring"), "samples"),
        (lambda: mixture.score_samples(np.zeros((0, 2)), "ring"), "samples"),
        (lambda: mixture.score_samples(np.zeros((4, 2)), "square"), "layout"),
        (lambda: mixture.mixture_discriminator("dropout"), "fix"),
        (lambda: mixture.MixtureConfig(fix="pack", batch_size=130, pack=4), "batch_size"),
        (lambda: mixture.MixtureConfig(steps=0), "steps"),
        (lambda: mixture.MixtureConfig(layout="circle"), "layout"),
        (lambda: mixture.MixtureConfig(group_size=3), "group_size"),
        (lambda: mixture.MixtureConfig(learning_rate=-1.0), "learning_rate"),
        (lambda: mixture.MixtureConfig(final_lr_fraction=1.5), "final_lr_fraction"),
        (lambda: mixture.MixtureConfig(ema_momentum=1.0), "ema_momentum"),
        (lambda: mixture.train_mixture(config="ring"), "config"),
        (lambda: mixture.run_seeds(mixture.MixtureConfig(), seeds=0), "seeds"),
        (lambda: mixture.run_seeds(mixture.MixtureConfig(), workers=0), "workers"),
        (lambda: mixture.run_seeds({"layout": "ring"}), "config"),
        (lambda: mixture.mixture_config("spiral"), "layout"),
        (lambda: mixture.mixture_config("ring", learning_rte=1e-3), "learning_rte"),
        (lambda: mixture.mixture_generator(scale=0.0), "scale"),
        (lambda: mixture.mixture_discriminator(scale=-1.0), "scale"),
        (lambda: Pack(0), "m"),
        (lambda: MinibatchDiscrimination(num_kernels=0), "num_kernels"),
        (lambda: MinibatchStdDev(group_size=-2), "group_size"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_them(call, word):
    with pytest.raises(ValueError, match=word):
        call()


# -- the layers ------------------------------------------------------------------------------------


def test_minibatch_stddev_is_zero_for_identical_samples_and_positive_otherwise():
    layer = MinibatchStdDev()
    same = np.tile(np.arange(6, dtype="float32"), (8, 1))
    out = keras.ops.convert_to_numpy(layer(same))
    assert out.shape == (8, 7)
    np.testing.assert_allclose(out[:, :6], same)
    np.testing.assert_allclose(out[:, 6], 0.0, atol=1e-3)
    varied = np.random.default_rng(0).standard_normal((8, 6)).astype("float32")
    out = keras.ops.convert_to_numpy(layer(varied))
    expected = varied.std(axis=0).mean()
    np.testing.assert_allclose(out[:, 6], expected, rtol=1e-3)


def test_minibatch_stddev_groups_and_images():
    layer = MinibatchStdDev(group_size=4)
    x = np.concatenate([np.zeros((4, 5, 5, 2)), np.random.default_rng(1).standard_normal((4, 5, 5, 2))])
    out = keras.ops.convert_to_numpy(layer(x.astype("float32")))
    assert out.shape == (8, 5, 5, 3)
    assert np.allclose(out[:4, ..., 2], out[0, 0, 0, 2]) and out[0, 0, 0, 2] < 1e-3  # identical group
    assert np.all(out[4:, ..., 2] > 0.5)  # the varied group


def test_minibatch_discrimination_sees_identical_samples():
    layer = MinibatchDiscrimination(num_kernels=3, kernel_dim=2)
    same = np.ones((6, 4), dtype="float32")
    out = keras.ops.convert_to_numpy(layer(same))
    assert out.shape == (6, 7)
    np.testing.assert_allclose(out[:, 4:], 1.0, rtol=1e-5)  # every other sample at distance 0
    far = 100 * np.random.default_rng(2).standard_normal((6, 4)).astype("float32")
    out = keras.ops.convert_to_numpy(layer(far))
    assert np.all(out[:, 4:] < 0.1)
    assert len(layer.trainable_weights) == 1


def test_pack_puts_consecutive_samples_side_by_side():
    x = np.arange(16, dtype="float32").reshape(8, 2)
    out = keras.ops.convert_to_numpy(Pack(4)(x))
    assert out.shape == (2, 8)
    np.testing.assert_array_equal(out[0], np.arange(8))
    d = mixture.mixture_discriminator("pack", units=8, pack=4)
    assert d(x).shape == (2, 1)


@pytest.mark.parametrize("fix", mixture.FIXES)
def test_discriminators_save_and_load(tmp_path, fix):
    d = mixture.mixture_discriminator(fix, units=8, pack=2)
    x = mixture.sample_mixture(8, "ring")
    path = str(tmp_path / "d.keras")
    d.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded(x), d(x), rtol=1e-6)


ROUND_CODE = """
import json, numpy as np, keras
from ganlib import config, mixture
from ganlib.training import GAN
keras.utils.set_random_seed(0)
out = {}
for fix in mixture.FIXES:
    G = mixture.mixture_generator(8, 16)
    D = mixture.mixture_discriminator(fix, 16, pack=4)
    gan = GAN(G, D, noise="normal", seed=0)
    # A small learning rate: with a large one D can saturate in step (a), and BCE's clipping then
    # gives G no gradient at all in step (b), whatever the remedy.
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    g0, d0 = [w.copy() for w in G.get_weights()], [w.copy() for w in D.get_weights()]
    gan.fit(mixture.sample_mixture(32, "grid"), batch_size=32, epochs=1, verbose=0)
    changed = lambda old, new: all(np.any(a != b) for a, b in zip(old, new))
    out[fix] = {"generator": changed(g0, G.get_weights()), "discriminator": changed(d0, D.get_weights())}
print(json.dumps(out))
"""


def _check_round(result):
    for fix in mixture.FIXES:
        # Every weight array of both players moved: gradients flow through each remedy to G.
        assert result[fix] == {"generator": True, "discriminator": True}, fix


def test_every_remedy_trains_in_the_fused_round_tensorflow():
    _check_round(last_json(run_python(ROUND_CODE, backend="tensorflow")))


@pytest.mark.slow  # covered in the default run: tests/README.md
@needs_jax
def test_every_remedy_trains_in_the_fused_round_jax():
    _check_round(last_json(run_python(ROUND_CODE, backend="jax")))


# -- training and the command line -----------------------------------------------------------------


def test_quick_training_runs_and_scores():
    cfg = mixture.mixture_config("ring", "mbstd", quick=True, steps=300, rounds_per_epoch=100)
    run = mixture.train_mixture(cfg, seed=0, verbose=0)
    assert len(run.snapshots) == 4  # before training and after each of 3 epochs
    assert run.samples.shape == (mixture.SCORE_SAMPLES, 2)
    assert run.score == mixture.score_samples(run.samples, "ring")
    assert run.history["tp"][0] + run.history["fn"][0] == 100 * cfg.batch_size


def test_cli_mixture_prints_the_summary_and_workers_change_nothing(tmp_path, cli):
    out = tmp_path / "mix"
    proc = cli("mixture", "--layout", "grid", "--fix", "pack", "--seeds", "2",
               "--steps", "200", "--workers", "2", "--quick", "--out", str(out))
    result = last_json(proc)
    # The same seeds trained one after the other in this process give the same scores.
    serial = mixture.run_seeds(mixture.mixture_config("grid", "pack", quick=True, steps=200), seeds=2)
    for a, b in zip(result["per_seed"], serial["per_seed"]):
        assert {k: a[k] for k in ("modes", "high_quality", "kl")} == pytest.approx(
            {k: b[k] for k in ("modes", "high_quality", "kl")})
    for key in ("modes", "modes_se", "high_quality", "kl", "per_seed", "seconds", "steps", "batch_size"):
        assert key in result
    assert [s["seed"] for s in result["per_seed"]] == [0, 1]
    assert result["steps"] == 200 and result["layout"] == "grid" and result["fix"] == "pack"
    assert 0 <= result["modes"] <= 25 and 0.0 <= result["high_quality"] <= 1.0
    assert (out / "samples.png").exists()


@pytest.mark.parametrize(
    "args, word",
    [
        (["--layout", "spiral"], "layout"),
        (["--fix", "dropout"], "fix"),
        (["--seeds", "0"], "seeds"),
        (["--steps", "-5"], "steps"),
        (["--workers", "0"], "workers"),
    ],
)
def test_cli_mixture_rejects_bad_arguments(args, word, cli):
    proc = cli("mixture", "--quick", *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0]


def test_maxout_is_the_largest_of_its_pieces():
    from ganlib.layers import Maxout

    layer = Maxout(2, pieces=3)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    out = np.asarray(layer(x))
    kernel, bias = (np.asarray(w) for w in layer.linear.weights)
    np.testing.assert_allclose(out, (x @ kernel + bias).reshape(5, 2, 3).max(axis=-1), rtol=1e-5)


def test_pacgan_networks_are_its_codes():
    g, d = mixture.pacgan_generator(), mixture.pacgan_discriminator("pack", 4)
    assert g.input_shape == (None, 2) and g.output_shape == (None, 2)
    dense = [layer.units for layer in g.layers if isinstance(layer, keras.layers.Dense)]
    assert dense == [400, 400, 400, 400, 2]
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in g.layers) == 4
    assert d(np.zeros((8, 2), "float32")).shape == (2, 1)  # one verdict per pack of 4
    # Three maxout layers of 200 units x 5 pieces: 8 -> 200 -> 200 -> 200 -> 1.
    assert d.count_params() == (8 + 1) * 1000 + 2 * (200 + 1) * 1000 + 201
    cfg = mixture.mixture_config("grid", "pack", **config.PACGAN_SETUP)
    assert cfg.networks == "pacgan" and cfg.latent_dim == 2 and cfg.beta_1 == 0.8
