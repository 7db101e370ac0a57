"""The learning round: freezing, and the classic and fused implementations agreeing."""


import numpy as np
import pytest

import keras

from conftest import last_json, needs_jax, run_python
from ganlib import freeze, models
from ganlib.training import GAN, pad_to_rounds

CORRECT = {
    "fn": {"generator": False, "discriminator": True},
    "tn": {"generator": True, "discriminator": False},
    "fp": {"generator": False, "discriminator": True},
    "tn2": {"generator": True, "discriminator": False},
}
# Same tolerance as chapter 2 states: float32 round-off over 20 rounds stays far below it.
TOLERANCE = 1e-5


def check_audit(audit):
    assert audit["ganlib"] == CORRECT
    # The Keras-2 idiom: D never learns, in any step; G still learns in the TN steps.
    assert not any(step["discriminator"] for step in audit["keras2_idiom"].values())
    assert audit["keras2_idiom"]["tn"]["generator"] and audit["keras2_idiom"]["tn2"]["generator"]
    assert freeze.freeze_is_correct(audit["ganlib"])
    assert not freeze.freeze_is_correct(audit["keras2_idiom"])


def test_freeze_audit_tensorflow():
    check_audit(freeze.freeze_audit())


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
@needs_jax
def test_freeze_audit_jax():
    proc = run_python(args=["-m", "ganlib", "freeze-audit"], backend="jax")
    check_audit(last_json(proc))


@pytest.mark.parametrize("rounds_per_step", [1, 10])
def test_classic_and_fused_agree_tensorflow(rounds_per_step):
    result = freeze.classic_vs_fused(rounds=20, rounds_per_step=rounds_per_step)
    assert result["generator"] < TOLERANCE and result["discriminator"] < TOLERANCE
    assert result["classic_counts"] == result["fused_counts"]
    assert sum(result["fused_counts"].values()) == 2 * 20 * 32


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
@needs_jax
def test_classic_and_fused_agree_jax():
    code = "import json; from ganlib import freeze; print(json.dumps(freeze.classic_vs_fused(rounds=20, rounds_per_step=5)))"
    result = last_json(run_python(code, backend="jax"))
    assert result["generator"] < TOLERANCE and result["discriminator"] < TOLERANCE
    assert result["classic_counts"] == result["fused_counts"]


def test_agreement_check_can_fail():
    # Different learning rates must give different weights: the comparison is not vacuous.
    a = freeze.classic_vs_fused(rounds=2, learning_rate=1e-3)
    import ganlib.freeze as f

    original = f.ClassicGAN.train_generator
    try:
        f.ClassicGAN.train_generator = lambda self, z: 0.0  # a "classic" round with no G steps
        b = f.classic_vs_fused(rounds=2, learning_rate=1e-3)
    finally:
        f.ClassicGAN.train_generator = original
    assert a["generator"] < TOLERANCE and b["generator"] > 1e-4


def test_fused_round_counts_every_outcome_of_an_epoch():
    # Freezing itself is audited bit for bit in test_run_safety.py.
    generator, discriminator = models.gaussian_generator(), models.gaussian_discriminator()
    gan = GAN(generator, discriminator, rounds_per_step=2)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    x, _ = pad_to_rounds(np.random.default_rng(0).normal(5, 1, (64, 2)).astype("float32"), 32)
    h = gan.fit(x, batch_size=64, epochs=1, verbose=0).history
    assert h["tp"][0] + h["fn"][0] == 64 and h["fp"][0] + h["tn"][0] == 64


def test_pad_to_rounds_fills_the_last_batch():
    x = np.arange(10_000 * 2, dtype="float32").reshape(10_000, 2)
    padded, rounds = pad_to_rounds(x, 32)
    assert rounds == 313 and padded.shape == (313 * 32, 2)
    assert len(np.unique(padded[:, 0])) == 10_000  # every point is there
    with pytest.raises(ValueError, match="batch_size"):
        pad_to_rounds(x, 0)
    with pytest.raises(ValueError, match="empty"):
        pad_to_rounds(x[:0], 32)


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"noise": "gaussian"}, "noise"),
        ({"ema_momentum": 1.0}, "ema_momentum"),
        ({"rounds_per_step": 0}, "rounds_per_step"),
        ({"latent_dim": -1}, "latent_dim"),
    ],
)
def test_gan_rejects_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        GAN(models.gaussian_generator(), models.gaussian_discriminator(), **kwargs)


def test_gan_rejects_bad_networks_and_optimizers():
    with pytest.raises(ValueError, match="generator"):
        GAN("not a model", models.gaussian_discriminator())
    gan = GAN(models.gaussian_generator(), models.gaussian_discriminator())
    opt = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two different"):
        gan.compile(opt, opt)
    with pytest.raises(ValueError, match="d_optimizer"):
        gan.compile("adam", opt)
    with pytest.raises(ValueError, match="z must have shape"):
        gan.generate(z=np.zeros((3, 5), "float32"))


def test_classic_round_rejects_wrong_shapes():
    gan = freeze.ClassicGAN(models.gaussian_generator(), models.gaussian_discriminator(),
                            keras.optimizers.Adam(), keras.optimizers.Adam())
    z = np.zeros((8, 4), "float32")
    with pytest.raises(ValueError, match=r"real must have shape \(n, 2\)"):
        gan.train_round(np.zeros((8, 3)), z, z, z)
    with pytest.raises(ValueError, match=r"z_fp must have shape \(n, 4\)"):
        gan.train_round(np.zeros((8, 2)), z, np.zeros((8, 2)), z)
    with pytest.raises(ValueError, match="empty"):
        gan.train_round(np.zeros((0, 2)), z, z, z)


def test_classic_vs_fused_rejects_bad_arguments():
    with pytest.raises(ValueError, match="multiple of rounds_per_step"):
        freeze.classic_vs_fused(rounds=5, rounds_per_step=2)
    with pytest.raises(ValueError, match="rounds"):
        freeze.classic_vs_fused(rounds=0)


def test_judge_uses_batch_statistics_only_in_training_mode_and_changes_nothing():
    keras.utils.set_random_seed(0)
    D = models.compact_dcgan_discriminator()
    before = [np.array(w) for w in D.get_weights()]
    x = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    shifted = x.copy()
    shifted[:8] += 0.5  # changes the batch's statistics, and so the other 8 samples' verdicts
    train_a, train_b = freeze.judge(D, x)[8:], freeze.judge(D, shifted)[8:]
    infer_a, infer_b = (freeze.judge(D, v, training=False)[8:] for v in (x, shifted))
    assert train_a.shape == (8,)
    assert np.abs(train_a - train_b).max() > 1e-4  # batch norm on the batch's own statistics
    np.testing.assert_allclose(infer_a, infer_b, atol=1e-6)  # running averages: batch-independent
    np.testing.assert_allclose(infer_a, D.predict(x, verbose=0)[8:, 0], atol=1e-5)
    assert all(np.array_equal(a, b) for a, b in zip(before, D.get_weights()))
    with pytest.raises(ValueError, match="training must be"):
        freeze.judge(D, x, training="yes")
    with pytest.raises(ValueError, match=r"x must have shape"):
        freeze.judge(D, x[:, :14])


def test_generate_calls_the_generator_in_chunks_with_the_same_samples():
    # One eager call on 10,000 noise vectors held about 9 GB at chapter 6's 32x32 scoring.
    gan = GAN(models.gaussian_generator(), models.gaussian_discriminator())
    z = gan.noise_array(7, rng=np.random.default_rng(0))
    whole = keras.ops.convert_to_numpy(gan.generator(z))
    sizes, call = [], gan.generator.call
    gan.generator.call = lambda x, *a, **k: (sizes.append(int(x.shape[0])), call(x, *a, **k))[1]
    gan.generate_chunk = 3
    np.testing.assert_allclose(gan.generate(z=z), whole, rtol=1e-6, atol=1e-6)
    assert sizes == [3, 3, 1]
