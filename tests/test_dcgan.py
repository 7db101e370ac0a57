"""DCGAN (chapter 5): networks, checkpoints, resume after a crash, the command line.

NaN stops and bad checkpoints: tests/test_run_safety.py; bad command lines: test_cli_failures.py.
"""

import dataclasses
import json
import os
import types

import numpy as np
import pytest

import keras

from conftest import last_json, needs_jax, run_python
from ganlib import checkpoint, config, dcgan, models
from ganlib.data import load_mnist
from ganlib.training import LearningRateDecay, TimeBudget


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def quick(arch="radford", **changes):
    base = dataclasses.replace(config.dcgan_config(arch, quick=True), n_train=256, metric_samples=0)
    return dataclasses.replace(base, **changes)


def test_networks_have_the_described_shapes():
    g, d = models.seed_dcgan_generator(), models.seed_dcgan_discriminator()
    assert g.output_shape == (None, 28, 28, 1) and d.output_shape == (None, 1)
    # The 6,272 = 7*7*128 bridge between the dense part and the image part.
    assert g.layers[1].units == 6272
    g2, d2 = models.radford_dcgan_generator(), models.radford_dcgan_discriminator()
    assert g2.output_shape == (None, 28, 28, 1) and d2.output_shape == (None, 1)
    assert not any(isinstance(l, keras.layers.MaxPooling2D) for l in d2.layers)
    with pytest.raises(ValueError, match="arch"):
        config.dcgan_config("wgan")


class Crash(keras.callbacks.Callback):
    """Simulates a crash (a closed Colab tab) right after the checkpoint of epoch ``after``."""

    def __init__(self, after):
        super().__init__()
        self.after = after

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.after:
            raise KeyboardInterrupt("simulated crash")


def test_a_crashed_run_resumes_without_losing_or_repeating_epochs(tmp_path, mnist):
    cfg = quick("compact", epochs=3)
    with pytest.raises(KeyboardInterrupt):
        dcgan.train_dcgan(cfg, out_dir=str(tmp_path), data=mnist, verbose=0, callbacks=[Crash(after=2)])
    saved = np.load(tmp_path / checkpoint.CHECKPOINT_NAME)
    assert json.loads(str(saved["__meta__"]))["epoch"] == 2
    run = dcgan.train_dcgan(cfg, out_dir=str(tmp_path), resume=True, data=mnist, verbose=0)
    assert run.resumed_from == 2
    assert len(run.history["d_loss"]) == 3  # epochs 1, 2 from before, 3 now
    assert len(run.grids) == 2  # before epoch 3, after epoch 3
    # Resuming a finished run trains nothing more.
    again = dcgan.train_dcgan(cfg, out_dir=str(tmp_path), resume=True, data=mnist, verbose=0)
    assert again.resumed_from == 3 and len(again.history["d_loss"]) == 3


def test_resume_restores_weights_and_optimizer_state(tmp_path, mnist):
    cfg = quick("compact", epochs=1)
    run = dcgan.train_dcgan(cfg, out_dir=str(tmp_path), data=mnist, verbose=0)
    fresh = dcgan.build_gan(cfg, seed=99)
    meta = checkpoint.resume(fresh, str(tmp_path / checkpoint.CHECKPOINT_NAME))
    assert meta["epoch"] == 1
    for a, b in zip(run.gan.variables, fresh.variables):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    assert int(fresh.d_optimizer.iterations.numpy()) == int(run.gan.d_optimizer.iterations.numpy()) > 0


def test_a_checkpoint_trained_on_other_digits_is_refused(tmp_path, mnist):
    dcgan.train_dcgan(quick("compact", epochs=1), out_dir=str(tmp_path), data=mnist, verbose=0)
    other = dataclasses.replace(mnist, source="small" if mnist.source != "small" else "full")
    with pytest.raises(ValueError, match=f"it has data {mnist.source!r}, not {other.source!r}"):
        dcgan.train_dcgan(quick("compact", epochs=2), out_dir=str(tmp_path), data=other, resume=True,
                          verbose=0)


def test_epoch_checkpoint_records_every_epoch(tmp_path):
    gan = dcgan.build_gan(quick())
    saver = checkpoint.EpochCheckpoint(str(tmp_path / "c.npz"))
    saver.set_model(gan)
    saver.on_epoch_end(0, {"d_loss": 0.7, "g_loss": 0.8})
    saver.on_epoch_end(1, {"d_loss": 0.6, "g_loss": 0.9})
    assert saver.history == {"d_loss": [0.7, 0.6], "g_loss": [0.8, 0.9]}
    assert checkpoint.resume(dcgan.build_gan(quick()), str(tmp_path / "c.npz"))["epoch"] == 2


def test_checkpoint_errors_are_clear(tmp_path):
    gan = dcgan.build_gan(quick())
    with pytest.raises(ValueError, match="does not exist"):
        checkpoint.read_checkpoint(str(tmp_path / "none.npz"))
    (tmp_path / "junk.npz").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable"):
        checkpoint.resume(gan, str(tmp_path / "junk.npz"))
    checkpoint.save_checkpoint(gan, str(tmp_path / "radford.npz"), 1)
    with pytest.raises(ValueError, match="other networks"):
        checkpoint.resume(dcgan.build_gan(quick("seed")), str(tmp_path / "radford.npz"))
    with pytest.raises(ValueError, match="epoch"):
        checkpoint.save_checkpoint(gan, str(tmp_path / "x.npz"), -1)
    with pytest.raises(ValueError, match="resume=True needs out_dir"):
        dcgan.train_dcgan(quick(), resume=True)
    with pytest.raises(ValueError, match="images must have shape"):
        dcgan.image_grid(np.zeros((2, 28, 28)))


def test_cli_dcgan_trains_and_resumes(tmp_path, cli):
    out = str(tmp_path / "run")
    first = last_json(cli("dcgan", "--quick", "--arch", "compact", "--epochs", "1", "--out", out))
    assert first["epochs"] == 1 and first["data_source"] == "small"
    assert set(first) >= {"classifier_score", "fid", "class_kl", "classes_present", "epochs", "seconds",
                          "real_classifier_score", "memorisation_ratio"}
    assert 0 < first["memorisation_ratio"] and 1 < first["real_classifier_score"] <= 10
    second = last_json(cli("dcgan", "--quick", "--arch", "compact", "--epochs", "2", "--out", out,
                           "--resume"))
    assert second["epochs"] == 2 and second["resumed_from"] == 1
    assert os.path.exists(os.path.join(out, "samples_epoch002.png"))


def test_cli_dcgan_rejects_bad_arguments(cli):
    proc = cli("dcgan", "--arch", "wgan")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr.strip().splitlines()[-1]


def test_budgets_follow_the_mode_and_the_device():
    assert config.budget(quick=True) == "quick"
    assert config.budget(quick=False) in ("cpu", "gpu")  # "gpu" only where Keras sees one
    quick_cfg = config.dcgan_config("compact", quick=True)
    assert (quick_cfg.budget, quick_cfg.epochs, quick_cfg.n_train) == ("quick", 2, 4096)
    assert config.dcgan_config("seed", quick=True).n_train == 512
    cpu = config.dcgan_config("compact", budget_name="cpu")
    assert cpu.minutes == 20.0 and cpu.budget == "cpu"  # the compact DCGAN's target time
    # The chapter's 45 minutes of training: the others get equal, shorter clocks.
    others = [config.dcgan_config(a, budget_name="cpu").minutes for a in ("seed", "radford")]
    assert others[0] == others[1] and cpu.minutes + sum(others) <= 45
    gpu = config.dcgan_config("radford", budget_name="gpu")
    assert gpu.minutes is None and gpu.epochs == 50
    assert (cpu.batch_size, cpu.latent_dim, cpu.noise, cpu.ema_momentum) == (64, 64, "normal", 0.999)
    with pytest.raises(ValueError, match="unknown DCGANConfig setting"):
        config.dcgan_config("compact", epoch=3)
    with pytest.raises(ValueError, match="budget_name"):
        config.dcgan_config("compact", budget_name="tpu")
    with pytest.raises(ValueError, match="minutes"):
        config.dcgan_config("compact", minutes=0)
    with pytest.raises(ValueError, match="noise"):
        config.dcgan_config("compact", noise="cauchy")


def test_compact_networks_have_the_described_shapes():
    g, d = models.compact_dcgan_generator(), models.compact_dcgan_discriminator()
    assert g.input_shape == (None, 64) and g.output_shape == (None, 28, 28, 1)
    assert d.output_shape == (None, 1)
    assert any(isinstance(l, keras.layers.BatchNormalization) for l in d.layers)
    # Three strided convolutions take the image 28 -> 14 -> 7 -> 4 before the verdict.
    convs = [l for l in d.layers if isinstance(l, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [64, 128, 256] and convs[-1].output.shape[1:3] == (4, 4)


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
def test_steps_per_execution_changes_speed_not_numbers(mnist):
    # Keras's steps_per_execution (several rounds per compiled call) must train the fused GAN
    # exactly as one round per call: same weights, averaged G and logs, bit for bit; 5 batches
    # with 3 a call leave a short last call. (It measured no gain on the 2-core CPU,
    # benchmarks/README.md, so chapter 5 keeps Keras's default of 1.)
    x = mnist.x_train[: 5 * 64]
    runs = {}
    for spe in (1, 3):
        config.set_seed(0)
        gan = dcgan.build_gan(quick("compact"))
        gan.compile(gan.d_optimizer, gan.g_optimizer, steps_per_execution=spe)
        runs[spe] = (gan, gan.fit(x, batch_size=64, epochs=2, shuffle=True, verbose=0).history)
    (one, h1), (three, h3) = runs[1], runs[3]
    assert h1 == h3
    for net in ("generator", "discriminator", "ema_generator"):
        for a, b in zip(getattr(one, net).get_weights(), getattr(three, net).get_weights()):
            np.testing.assert_array_equal(a, b)


def test_time_budget_stops_after_the_first_epoch_past_it(tmp_path, mnist):
    cfg = quick("compact", epochs=5, minutes=1e-6)
    run = dcgan.train_dcgan(cfg, out_dir=str(tmp_path), data=mnist, verbose=0)
    assert len(run.history["d_loss"]) == 1 and run.history["minutes"][0] > 0
    # Resumed with the same budget, the clock is already past it: no further training.
    same = dcgan.train_dcgan(cfg, out_dir=str(tmp_path), resume=True, data=mnist, verbose=0)
    assert same.resumed_from == 1 and len(same.history["minutes"]) == 1
    # With more minutes, the clock goes on from the minutes already spent: one more epoch is
    # still past the (tiny) budget, then a stop.
    longer = dataclasses.replace(cfg, minutes=run.history["minutes"][0] * 1.0001)
    more = dcgan.train_dcgan(longer, out_dir=str(tmp_path), resume=True, data=mnist, verbose=0)
    assert more.resumed_from == 1 and len(more.history["minutes"]) == 2
    assert more.history["minutes"][1] > more.history["minutes"][0]


def test_cli_dcgan_reports_arch_budget_and_devices(tmp_path, cli):
    result = last_json(cli("dcgan", "--quick", "--arch", "compact", "--epochs", "1", "--distribute",
                           "--out", str(tmp_path / "r")))
    assert (result["arch"], result["budget"], result["devices"]) == ("compact", "quick", 1)
    assert result["minutes"] > 0


@pytest.mark.slow  # covered in the default run: tests/README.md
@needs_jax
def test_cli_dcgan_distributes_over_two_jax_devices(tmp_path):
    proc = run_python(args=["-m", "ganlib", "dcgan", "--quick", "--arch", "compact", "--epochs", "1",
                            "--distribute", "--out", str(tmp_path / "r")], backend="jax",
                      env_extra={"XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    result = last_json(proc)
    assert result["devices"] == 2 and all(np.isfinite([result["d_loss"], result["g_loss"]]))


def test_time_budget_stops_before_an_epoch_that_would_end_past_it(monkeypatch):
    """Epochs of 4 minutes in a 10-minute budget: two run (8 min); a third would end at 12."""
    from ganlib.training import TimeBudget
    clock = iter(range(0, 1000, 120))  # epoch begin and end, 240 s apart
    monkeypatch.setattr("ganlib.training.time.perf_counter", lambda: next(clock))
    budget = TimeBudget(minutes=10)
    budget.set_model(types.SimpleNamespace(stop_training=False))
    budget.on_train_begin()
    ran = 0
    while not budget.model.stop_training:
        budget.on_epoch_begin(ran)
        next(clock)
        logs = {}
        budget.on_epoch_end(ran, logs)
        ran += 1
    assert ran == 2 and logs["minutes"] == 8


def _generator_steps(decay_start):
    """Mean |change| of G's weights in each of 2 quick epochs of the compact DCGAN."""
    config.set_seed(0)
    x = load_mnist(source="small").x_train[:256]
    cfg = config.dcgan_config("compact", budget_name="quick", epochs=2, n_train=256, batch_size=64,
                       metric_samples=0, decay_start=decay_start)
    gan = dcgan.build_gan(cfg, seed=0)
    snaps = [[np.array(w) for w in gan.generator.trainable_weights]]

    class Keep(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snaps.append([np.array(w) for w in gan.generator.trainable_weights])

    history, _, _ = checkpoint.fit(gan, x, cfg, user_callbacks=[Keep()], verbose=0)
    steps = [np.mean([np.abs(a - b).mean() for a, b in zip(snaps[i + 1], snaps[i])]) for i in range(2)]
    return history, steps[1] / steps[0]


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
def test_learning_rate_decay_reaches_the_steps():
    # decay_start 0: epoch 1 trains at 0.75 of the rates, epoch 2 at 0.25, so Adam's steps
    # (about the rate each) shrink to about a third; without decay they stay about the same.
    history, ratio = _generator_steps(0.0)
    assert history["lr_scale"] == [0.75, 0.25]
    assert ratio < 0.6
    history, ratio = _generator_steps(1.0)
    assert "lr_scale" not in history and ratio > 0.7


def test_learning_rate_decay_follows_the_clock():
    budget = TimeBudget(minutes=20.0, already=6.0)  # a resumed run: 2 epochs in 6 minutes
    decay = LearningRateDecay.__new__(LearningRateDecay)
    decay.budget, decay.epochs, decay.start = budget, 200, 0.5
    assert decay.progress(0) is None  # nothing measured yet: full rates
    budget.trained = 0.0
    assert decay.progress(2) == pytest.approx((6.0 + 1.5) / 20.0)
    with pytest.raises(ValueError, match="decay_start"):
        config.dcgan_config("compact", decay_start=1.5)


@pytest.mark.parametrize("budget", ["cpu", "gpu"])
def test_full_budgets_score_as_many_samples_as_the_real_test_digits(budget):
    # The classifier score estimates p(y) per split: 2,000 samples scored about 2 % below 10,000, so
    # a generator scored on fewer samples than the real test digits would be judged too harshly.
    for arch in config.DCGAN_ARCHS:
        assert config.dcgan_config(arch, budget_name=budget).metric_samples == 10_000
