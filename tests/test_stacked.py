"""Stacked MNIST (chapter 7): the data, the published mode count and KL, the networks, the
seeds runner with its resume, and the command line."""

import json
import math
import os

import keras
import numpy as np
import pytest

from conftest import last_json
from ganlib import config, metrics, stacked
from ganlib.data import load_mnist
from ganlib.layers import MinibatchStdDev, Pack


@pytest.fixture(scope="module")
def mnist():
    return load_mnist("small")


@pytest.fixture(scope="module")
def classifier(mnist):
    return metrics.get_classifier(data=mnist)


def test_each_channel_is_an_independently_drawn_digit_and_the_mode_names_the_three(mnist):
    images, modes = stacked.stack_digits(mnist.x_train, 500, np.random.default_rng(1), mnist.y_train)
    assert images.shape == (500, 28, 28, 3) and images.dtype == np.float32
    # Each channel is one training digit; its label is the mode's digit in that place.
    flat = mnist.x_train.reshape(len(mnist.x_train), -1)
    for i in (0, 7, 499):
        for c, place in enumerate((100, 10, 1)):
            j = np.flatnonzero((flat == images[i, ..., c].reshape(-1)).all(axis=1))[0]
            assert mnist.y_train[j] == modes[i] // place % 10
    # Independent draws: the three channels of a stack are rarely the same digit image, and the
    # 500 modes spread over hundreds of the 1,000 (a shared draw would give only 000, 111, ...).
    assert len(set(modes.tolist())) > 300 and np.mean(modes % 111 == 0) < 0.05
    again = stacked.stack_digits(mnist.x_train, 500, np.random.default_rng(1))
    np.testing.assert_array_equal(again, images)


def test_real_stacks_cover_every_mode_and_a_copied_stack_one(mnist, classifier):
    real = stacked.real_score(mnist, 10_000, classifier=classifier)
    # 10,000 draws of 1,000 nearly equal modes: all but about 0.05 modes in expectation, and a
    # small KL (about 0.05 from the finite sample, plus MNIST's unequal classes).
    assert real["modes"] >= 998 and 0.02 < real["kl"] < 0.1 and real["counts"].sum() == 10_000
    one = np.repeat(stacked.stack_digits(mnist.x_test, 1, np.random.default_rng(0)), 300, axis=0)
    collapsed = stacked.score_stacks(one, classifier)
    assert collapsed["modes"] == 1 and collapsed["kl"] == pytest.approx(math.log(1000))


def test_mode_counts_read_each_channel_in_its_place(mnist, classifier):
    images, modes = stacked.stack_digits(mnist.x_test, 600, np.random.default_rng(3), mnist.y_test)
    counts = stacked.mode_counts(images, classifier, chunk=250)  # chunks that do not divide 600
    truth = np.bincount(modes, minlength=1000)
    assert counts.sum() == 600
    # The classifier reads ~98 % of small-MNIST test digits right: ~94 % of triples.
    assert np.minimum(counts, truth).sum() > 0.9 * 600
    with pytest.raises(ValueError, match="images"):
        stacked.mode_counts(images[..., :1], classifier)


def test_packing_joins_each_pair_of_stacks_along_the_channels():
    x = np.arange(4 * 2 * 2 * 3, dtype="float32").reshape(4, 2, 2, 3)
    packed = np.asarray(Pack(2)(x))
    assert packed.shape == (2, 2, 2, 6)
    np.testing.assert_array_equal(packed[1, ..., :3], x[2])
    np.testing.assert_array_equal(packed[1, ..., 3:], x[3])
    flat = np.arange(12, dtype="float32").reshape(6, 2)  # points, as the mixtures pack them
    np.testing.assert_array_equal(np.asarray(Pack(3)(flat)), flat.reshape(2, 6))


def test_each_remedy_changes_only_the_discriminator_as_described():
    plain, packed, mbstd = (stacked.stacked_discriminator(fix) for fix in ("none", "pack", "mbstd"))
    assert plain.input_shape == packed.input_shape == mbstd.input_shape == (None, 28, 28, 3)
    x = np.zeros((8, 28, 28, 3), "float32")
    assert plain(x).shape == (8, 1) and mbstd(x).shape == (8, 1)
    assert packed(x).shape == (4, 1)  # one verdict per pair
    # The first convolution of the packed D sees 6 channels; the stddev adds one 4x4 map.
    first = [layer for layer in packed.layers if hasattr(layer, "kernel")][0]
    assert first.kernel.shape[2] == 6
    assert [layer.output.shape for layer in mbstd.layers if isinstance(layer, MinibatchStdDev)] == [
        (None, 4, 4, 257)]
    assert mbstd.count_params() - plain.count_params() == 4 * 4


def test_metz_set_up_has_a_small_discriminator_and_its_own_optimizer():
    g, d = stacked.metz_generator(), stacked.stacked_discriminator("pack", 2, arch="metz")
    assert g.input_shape == (None, 256) and g.output_shape == (None, 28, 28, 3)
    convs = [layer.filters for layer in d.layers if isinstance(layer, keras.layers.Conv2D)]
    assert convs == [2, 4, 8] and d(np.zeros((4, 28, 28, 3), "float32")).shape == (2, 1)
    cfg = stacked.stacked_config("none", "metz", budget_name="cpu")
    assert (cfg.batch_size, cfg.latent_dim, cfg.learning_rate, cfg.d_learning_rate, cfg.beta_2,
            cfg.ema_momentum) == (128, 256, 1e-4, 2e-4, 0.99, 0.0)
    with pytest.raises(ValueError, match="arch"):
        stacked.stacked_config("none", "big")


@pytest.mark.parametrize("changes, word", [
    ({"fix": "dropout"}, "fix"), ({"epochs": -1}, "epochs"), ({"rounds_per_epoch": 0}, "rounds_per_epoch"),
    ({"pack": 0}, "pack"), ({"fix": "pack", "pack": 3}, "multiple of pack"),
    ({"eval_samples": 0}, "eval_samples"), ({"minutes": 0}, "minutes"),
    ({"ema_momentum": 1.0}, "ema_momentum"),
])
def test_bad_settings_are_named(changes, word):
    with pytest.raises(ValueError, match=word):
        stacked.StackedConfig(**changes)


def test_budgets():
    cpu, gpu = stacked.stacked_config(budget_name="cpu"), stacked.stacked_config(budget_name="gpu")
    assert cpu.minutes == config.STACKED_CPU_MINUTES and cpu.eval_samples == 26_000
    assert gpu.minutes is None and gpu.epochs * gpu.rounds_per_epoch == 40_000
    assert stacked.stacked_config(quick=True).budget == "quick"


def test_summary_line_has_the_issues_form():
    result = {"modes": 999.66, "modes_std": 0.58, "kl": 0.0512, "kl_std": 0.0049, "seeds": 3}
    assert stacked.summary_line("PacDCGAN2", result) == (
        "Stacked MNIST PacDCGAN2: modes 999.7 ± 0.6 of 1000, KL 0.05 ± 0.00 over 3 seeds")


def test_cli_runs_seeds_resumes_them_without_training_and_refuses_a_second_run(cli, tmp_path):
    out = tmp_path / "run"
    proc = cli("stacked", "--quick", "--fix", "mbstd", "--seeds", "1", "--out", out)
    result = last_json(proc)
    assert result["fix"] == "mbstd" and result["seeds"] == 1 and len(result["per_seed"]) == 1
    assert 1 <= result["modes"] <= 1000 and "counts" not in result["per_seed"][0]
    line = [x for x in proc.stdout.splitlines() if x.startswith("Stacked MNIST")]
    assert line == [stacked.summary_line("DCGAN + minibatch stddev", result)]
    assert stacked.variant(config.stacked_config("pack", "metz", pack=4)) == "PacDCGAN4, D = G/4"
    assert os.path.exists(out / "samples.png") and os.listdir(out / "seed-0" / "epochs")
    saved = json.loads((out / "seed-0" / stacked.RESULT_NAME).read_text())
    scored = config.stacked_config(quick=True).eval_samples
    assert len(saved["counts"]) == 1000 and sum(saved["counts"]) == scored
    # Resumed with every seed finished: read back, nothing trained, the same numbers.
    again = last_json(cli("stacked", "--quick", "--fix", "mbstd", "--seeds", "1", "--out", out, "--resume"))
    assert again["per_seed"] == result["per_seed"]
    # Another remedy in the same folder: the finished seeds' checkpoints say whose they are.
    other = cli("stacked", "--quick", "--fix", "pack", "--seeds", "1", "--out", out, "--resume")
    assert other.returncode == 2 and "fix 'mbstd' (now 'pack')" in other.stderr
    assert cli("stacked", "--quick", "--out", out).returncode == 2
