"""Runs that fail safely (issue 8): each test here failed on the code before the fix it names.

Freezing by explicit variable lists on both backends, a NaN stop that no callback outruns,
checkpoints that are checked before they are used, classic and fused rounds that agree with batch
norm, whole rounds only, fresh noise, exact round counts, the EMA of the generator; and (issue 23)
Ctrl-C on the command line: one line that says how to continue, exit code 130, no empty folder.
"""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

import keras
from keras import layers

from conftest import last_json, needs_jax, run_python
from ganlib import checkpoint, config, dcgan, freeze, gaussian, mixture, models
from ganlib.data import load_mnist
from ganlib.training import GAN, StopOnNaN, pad_to_rounds

CORRECT = {
    "fn": {"generator": False, "discriminator": True},
    "tn": {"generator": True, "discriminator": False},
    "fp": {"generator": False, "discriminator": True},
    "tn2": {"generator": True, "discriminator": False},
}


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def points(n=64, seed=0):
    return np.random.default_rng(seed).normal(5, 1, (n, 2)).astype("float32")


def batch_norm_networks():
    """The 2-D demo's shapes with batch norm in both networks (running averages to keep equal).

    No bias before batch norm: its gradient is zero up to round-off, which Adam would scale up to
    whole steps, so the two ways would differ by noise, not by a bug."""
    generator = keras.Sequential([keras.Input((4,)), layers.Dense(16, use_bias=False), layers.BatchNormalization(),
                                  layers.LeakyReLU(0.1), layers.Dense(2)], name="generator")
    discriminator = keras.Sequential([keras.Input((2,)), layers.Dense(16, use_bias=False), layers.BatchNormalization(),
                                      layers.LeakyReLU(0.1), layers.Dense(1, activation="sigmoid")],
                                     name="discriminator")
    return generator, discriminator


# -- 1. the JAX flag bug: fit after chapter 2's classic round left D.trainable = False ----------

FROZEN_FLAG_FIT = """
import json, numpy as np, keras
from ganlib import models
from ganlib.training import GAN
g, d = models.gaussian_generator(), models.gaussian_discriminator()
gan = GAN(g, d)
gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
d.trainable = False  # what chapter 2's classic round leaves behind after a G step
d0 = [np.array(w) for w in d.get_weights()]
gan.fit(np.random.default_rng(0).normal(5, 1, (64, 2)).astype("float32"), batch_size=32, epochs=1, verbose=0)
moved = any(not np.array_equal(a, b) for a, b in zip(d0, d.get_weights()))
print(json.dumps({"d_moved": moved, "d_flag_after": d.trainable}))
"""


@pytest.mark.parametrize("backend", ["tensorflow", pytest.param("jax", marks=[needs_jax, pytest.mark.slow])])
def test_fit_works_and_d_learns_after_a_leftover_frozen_flag(backend):
    result = last_json(run_python(FROZEN_FLAG_FIT, backend=backend))
    assert result == {"d_moved": True, "d_flag_after": False}


# -- 9. freezing by variable lists, bit for bit, on both backends --------------------------------


def test_fused_round_leaves_the_other_network_bit_identical_tensorflow():
    audit = freeze.freeze_audit()
    assert audit["fused"] == CORRECT


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
@needs_jax
def test_fused_round_leaves_the_other_network_bit_identical_jax():
    audit = last_json(run_python(args=["-m", "ganlib", "freeze-audit"], backend="jax"))
    assert audit["fused"] == CORRECT and audit["ganlib"] == CORRECT


def test_the_fused_audit_catches_d_learning_in_g_steps(monkeypatch):
    original = GAN.learn

    def leaky_learn(self, learners, loss_fn, *args):  # a bug: D also learns while G does
        if learners is self.generator:
            original(self, self.discriminator, self.d_loss, self.run(self.generator, args[0]), 1.0)
        return original(self, learners, loss_fn, *args)

    monkeypatch.setattr(GAN, "learn", leaky_learn)
    audit = freeze.freeze_audit()["fused"]
    assert audit["tn"]["discriminator"] and not freeze.freeze_is_correct(audit)


@pytest.mark.parametrize("batch_stats", [False, True])
def test_g_steps_never_change_d_even_its_batch_norm_averages(batch_stats):
    generator, discriminator = batch_norm_networks()
    gan = GAN(generator, discriminator, d_batch_stats_in_g_step=batch_stats)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    gan.run_step("fn", real=points(32))  # D's averages move away from their initial values
    d0, g0 = [np.array(w) for w in discriminator.get_weights()], generator.get_weights()
    gan.run_step("tn", z=np.random.default_rng(1).random((32, 4), dtype="float32"))
    for a, b in zip(d0, discriminator.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(g0, generator.get_weights()))


def test_d_batch_stats_in_g_step_changes_what_g_learns():
    z = np.random.default_rng(1).random((32, 4), dtype="float32")
    results = []
    for batch_stats in (False, True):
        keras.utils.set_random_seed(0)
        generator, discriminator = batch_norm_networks()
        gan = GAN(generator, discriminator, d_batch_stats_in_g_step=batch_stats)
        gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
        gan.run_step("tn", z=z)
        results.append(generator.get_weights())
    assert any(not np.allclose(a, b) for a, b in zip(*results))


# -- 6. classic and fused agree with batch norm ----------------------------------------------


def test_classic_and_fused_agree_with_batch_norm_tensorflow():
    result = freeze.classic_vs_fused(rounds=10, networks=batch_norm_networks)
    assert result["generator"] < 1e-4 and result["discriminator"] < 1e-4, result
    assert result["classic_counts"] == result["fused_counts"]


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
@needs_jax
def test_classic_and_fused_agree_with_batch_norm_jax():
    code = ("import json, sys; sys.path.insert(0, 'tests'); from test_run_safety import "
            "batch_norm_networks; from ganlib import freeze; print(json.dumps(freeze.classic_vs_fused("
            "rounds=10, rounds_per_step=5, networks=batch_norm_networks)))")
    result = last_json(run_python(code, backend="jax"))
    assert result["generator"] < 1e-4 and result["discriminator"] < 1e-4, result
    assert result["classic_counts"] == result["fused_counts"]


# -- 2. NaN with the metrics on: the clear stop, the last good checkpoint kept -------------------


class Diverge(keras.callbacks.Callback):
    """A discriminator weight becomes NaN during epoch ``epoch`` (0-based)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self.current == self.epoch:
            kernel = self.model.discriminator.trainable_variables[0]
            kernel.assign(np.full(kernel.shape, np.nan, "float32"))

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
def test_nan_with_metrics_on_stops_cleanly_and_keeps_the_checkpoint(tmp_path, mnist):
    cfg = dataclasses.replace(config.dcgan_config("radford", quick=True), n_train=256,
                              metric_samples=100, epochs=3)
    with pytest.raises(FloatingPointError, match=r"epoch 2, batch 1.*last good checkpoint \(epoch 1\)"):
        dcgan.train_dcgan(cfg, out_dir=str(tmp_path), data=mnist, verbose=0, callbacks=[Diverge(1)])
    with np.load(tmp_path / checkpoint.CHECKPOINT_NAME) as saved:
        assert json.loads(str(saved["__meta__"]))["epoch"] == 1
        assert all(np.all(np.isfinite(saved[k])) for k in saved.files if k != "__meta__")


def test_stop_on_nan_runs_before_the_epoch_callbacks():
    seen = []

    class Watch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(epoch)

    gan = GAN(models.gaussian_generator(), models.gaussian_discriminator())
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    with pytest.raises(FloatingPointError, match="epoch 1, batch 1"):
        gan.fit(points(64), batch_size=32, epochs=2, verbose=0,
                callbacks=[StopOnNaN(), Diverge(0), Watch()])
    assert seen == []


# -- 5. checkpoint metadata checked, and checked before any weight is assigned ----------------


def quick_gan(arch="radford"):
    return dcgan.build_gan(dataclasses.replace(config.dcgan_config(arch, quick=True), metric_samples=0))


def write_checkpoint(path, gan, meta_text):
    arrays = {k: keras.ops.convert_to_numpy(v.value) for k, v in checkpoint.state_variables(gan).items()}
    np.savez(path, __meta__=np.array(meta_text), **arrays)


@pytest.mark.parametrize("meta, word", [
    ("not json {", "metadata is not JSON"),
    ("[1, 2]", "metadata is a list"),
    ('{"epoch": -1}', "epoch is -1"),
    ('{"epoch": 1, "extra": 3}', "extra is not a JSON object"),
])
def test_checkpoint_metadata_errors_are_clear(tmp_path, meta, word):
    gan = quick_gan()
    write_checkpoint(tmp_path / "c.npz", gan, meta)
    with pytest.raises(ValueError, match=word):
        checkpoint.resume(gan, str(tmp_path / "c.npz"))


def test_checkpoint_of_another_arch_is_refused_before_any_weight_changes(tmp_path):
    saved = quick_gan()
    checkpoint.save_checkpoint(saved, str(tmp_path / "c.npz"), 1, extra={"arch": "radford"})
    target = quick_gan()
    before = [np.array(keras.ops.convert_to_numpy(v.value)) for v in target.variables]
    with pytest.raises(ValueError, match="arch 'radford', not 'other'"):
        checkpoint.resume(target, str(tmp_path / "c.npz"), expect={"arch": "other"})
    for a, v in zip(before, target.variables):
        np.testing.assert_array_equal(a, keras.ops.convert_to_numpy(v.value))


def test_library_resume_on_an_empty_folder_says_it_started_fresh(tmp_path):
    # The chapters' idiom (continue if there is a checkpoint); the CLI's --resume is strict
    # (test_cli_failures.py).
    cfg = dataclasses.replace(config.dcgan_config("radford", quick=True), metric_samples=0,
                              n_train=128, epochs=1)
    run = dcgan.train_dcgan(cfg, out_dir=str(tmp_path / "empty"), resume=True, verbose=0)
    assert run.resumed_from == 0 and (tmp_path / "empty" / checkpoint.CHECKPOINT_NAME).exists()


def test_checkpoints_are_readable_by_others_and_leave_no_temporary_file(tmp_path):
    gan = quick_gan()
    path = tmp_path / "c.npz"
    checkpoint.save_checkpoint(gan, str(path), 1)
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
    assert os.listdir(tmp_path) == ["c.npz"]


# -- 7. whole rounds only; fresh noise; z as a list ------------------------------------------


def test_rounds_per_step_that_does_not_divide_the_batch_is_a_clear_error():
    gan = GAN(models.gaussian_generator(), models.gaussian_discriminator(), rounds_per_step=3)
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    with pytest.raises(ValueError, match=r"batch_size \(64\) must be a multiple of rounds_per_step \(3\)"):
        gan.fit(points(128), batch_size=64, epochs=1, verbose=0)


def test_a_short_last_batch_is_an_error_not_smaller_rounds():
    gan = GAN(models.gaussian_generator(), models.gaussian_discriminator(), rounds_per_step=2)
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    with pytest.raises(ValueError, match="pad_to_rounds"):
        gan.fit(points(100), batch_size=64, epochs=1, verbose=0)
    x, _ = pad_to_rounds(points(100), 32)
    gan.fit(x, batch_size=64, epochs=1, verbose=0)  # padded: whole rounds


def test_generate_draws_fresh_noise_unless_given_a_seed():
    gan = GAN(models.gaussian_generator(), models.gaussian_discriminator())
    a, b = gan.generate(50), gan.generate(50)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(gan.generate(50, seed=3), gan.generate(50, seed=3))
    z = np.random.default_rng(0).random((5, 4)).tolist()
    np.testing.assert_array_equal(gan.generate(z=z), gan.generate(z=np.array(z, "float32")))
    with pytest.raises(ValueError, match="z must have shape"):
        gan.generate(z=[[1.0, 2.0]])


# -- 8. the mixture runs exactly the rounds it reports ------------------------------------------


def test_mixture_runs_exactly_the_steps_it_reports():
    cfg = mixture.mixture_config("ring", quick=True, steps=150)
    run = mixture.train_mixture(cfg, verbose=0)
    assert int(run.gan.g_optimizer.iterations.numpy()) == 2 * 150
    assert mixture.rounds_per_call(150, 100) == 75 and mixture.rounds_per_call(7, 500) == 7


# -- the EMA of the generator ----------------------------------------------------------------


def test_ema_follows_its_formula():
    keras.utils.set_random_seed(0)
    gan = GAN(models.gaussian_generator(), models.gaussian_discriminator(), ema_momentum=0.99)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    w0 = [np.array(w) for w in gan.generator.get_weights()]
    np.testing.assert_array_equal(w0[0], gan.ema_generator.get_weights()[0])
    gan.fit(points(32), batch_size=32, epochs=1, verbose=0)  # one round: two G steps
    w1 = gan.generator.get_weights()
    m = min(0.99, (1 + 1) / (10 + 1))  # t = 1 round
    for e, a, b in zip(gan.ema_generator.get_weights(), w0, w1):
        np.testing.assert_allclose(e, m * a + (1 - m) * b, rtol=1e-5, atol=1e-7)
    assert any(not np.allclose(a, b) for a, b in zip(w0, w1))


# -- JAX: a killed run resumes to the same weights as an uninterrupted one ---------------------

JAX_RESUME = """
import dataclasses, json, sys, numpy as np, keras
from ganlib import config, dcgan
from ganlib.data import load_mnist
data = load_mnist("small")
cfg = dataclasses.replace(config.dcgan_config("radford", quick=True), n_train=128, metric_samples=0)
out = sys.argv[1]
straight = dcgan.train_dcgan(dataclasses.replace(cfg, epochs=2), seed=1, data=data, verbose=0)
dcgan.train_dcgan(dataclasses.replace(cfg, epochs=1), seed=1, out_dir=out, data=data, verbose=0)
resumed = dcgan.train_dcgan(dataclasses.replace(cfg, epochs=2), seed=1, out_dir=out, resume=True,
                            data=data, verbose=0)
diff = max(float(np.max(np.abs(keras.ops.convert_to_numpy(a) - keras.ops.convert_to_numpy(b))))
           for a, b in zip(straight.gan.generator.weights + straight.gan.discriminator.weights,
                           resumed.gan.generator.weights + resumed.gan.discriminator.weights))
print(json.dumps({"diff": diff, "resumed_from": resumed.resumed_from}))
"""


@pytest.mark.slow  # covered in the default run: tests/README.md
@needs_jax
def test_jax_resume_equals_an_uninterrupted_run(tmp_path):
    result = last_json(run_python(args=["-c", JAX_RESUME, str(tmp_path / "run")], backend="jax"))
    assert result["resumed_from"] == 1
    assert result["diff"] < 1e-5, result


# -- Ctrl-C (issue 23): one line, exit code 130, how to continue; no folder left empty ----------


def run_main(argv, capsys):
    """``main(argv)`` in this process: its exit code and its stderr lines."""
    from ganlib.__main__ import main

    try:
        with pytest.raises(SystemExit) as stop:
            main(argv)
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C went through main(): a traceback, not a line")
    return stop.value.code, capsys.readouterr().err.splitlines()


def interrupted_after(epoch=None, raw=None, error=KeyboardInterrupt):
    """A stand-in training function: it writes a checkpoint of ``epoch`` complete epochs (or the
    bytes ``raw``) to its folder, then raises ``error`` (Ctrl-C)."""

    def train(cfg, out_dir=None, **kwargs):
        path = os.path.join(out_dir or "", checkpoint.CHECKPOINT_NAME)
        if epoch is not None:
            np.savez(path, __meta__=np.array(json.dumps({"epoch": epoch, "history": {}, "extra": {}})))
        if raw is not None:
            with open(path, "wb") as f:
                f.write(raw)
        raise error

    return train


@pytest.fixture
def cli_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(config.QUICK_ENV, "1")  # what --quick sets; restored after each test
    return tmp_path


def test_ctrl_c_says_how_to_continue_in_the_folder_it_made(cli_dir, monkeypatch, capsys):
    from ganlib.__main__ import build_parser

    monkeypatch.setattr(dcgan, "train_dcgan", interrupted_after(epoch=7))
    for folder in ("runs/dcgan-radford", "runs/dcgan-radford-2"):  # never the same twice
        code, lines = run_main(["dcgan", "--quick", "--arch", "radford"], capsys)
        again = f"dcgan --quick --arch radford --resume --out {folder}"
        line = f"interrupted after epoch 7; continue with: python -m ganlib {again}"
        assert (code, lines) == (130, [line])
        args = build_parser().parse_args(again.split())
        assert args.resume and args.out == folder and args.arch == "radford"


def test_ctrl_c_with_an_unreadable_checkpoint_still_says_how_to_continue(cli_dir, monkeypatch, capsys):
    monkeypatch.setattr(dcgan, "train_dcgan", interrupted_after(raw=b"half a file"))
    code, lines = run_main(["dcgan", "--quick", "--out", "my run"], capsys)
    line = "interrupted; continue with: python -m ganlib dcgan --quick --out 'my run' --resume"
    assert (code, lines) == (130, [line])


@pytest.mark.parametrize("argv, module, name", [
    (["dcgan", "--quick"], dcgan, "train_dcgan"),  # before its first checkpoint
    (["dcgan", "--quick", "--out", "a/b"], dcgan, "train_dcgan"),
    (["gaussian", "--quick", "--out", "a/b"], gaussian, "train_gaussian"),  # no resume
])
def test_ctrl_c_with_nothing_to_resume_says_so_and_leaves_no_folder(cli_dir, monkeypatch, capsys, argv,
                                                                    module, name):
    monkeypatch.setattr(module, name, interrupted_after())
    assert run_main(argv, capsys) == (130, ["interrupted; nothing to resume"])
    assert os.listdir(cli_dir) == []


def test_a_run_that_fails_after_claiming_its_folder_leaves_no_folder(cli_dir, monkeypatch, capsys):
    monkeypatch.setattr(dcgan, "train_dcgan", interrupted_after(error=ValueError("a bad setting")))
    code, lines = run_main(["dcgan", "--quick"], capsys)
    assert (code, lines) == (2, ["python -m ganlib dcgan: error: a bad setting"])
    assert os.listdir(cli_dir) == []


def test_runs_started_at_once_get_folders_of_their_own(tmp_path):
    from ganlib.files import new_run_dir

    start, folders = threading.Barrier(8), []

    def claim():
        start.wait()
        folders.append(new_run_dir(str(tmp_path / "runs" / "dcgan-seed"))[0])

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(folders)) == 8 and all(os.path.isdir(f) for f in folders)
    assert sorted(os.listdir(tmp_path / "runs")) == sorted(
        ["dcgan-seed"] + [f"dcgan-seed-{n}" for n in range(2, 9)])


def ctrl_c(args, cwd, when):
    """Start ``python -m ganlib args`` in ``cwd``; press Ctrl-C (SIGINT) once it prints a line
    starting with ``when``; return its exit code and stderr."""
    env = {**os.environ, config.QUICK_ENV: "1", "PYTHONUNBUFFERED": "1"}
    # A shell that starts pytest in the background (nohup, &) passes SIGINT on as ignored, and
    # Python then installs no KeyboardInterrupt handler: the child gets the default back.
    proc = subprocess.Popen([sys.executable, "-m", "ganlib", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    watchdog = threading.Timer(300, proc.kill)  # a run that never gets there ends the test
    watchdog.start()
    try:
        for line in proc.stdout:
            if line.startswith(when):
                proc.send_signal(signal.SIGINT)
                break
        _, err = proc.communicate(timeout=120)
    finally:
        watchdog.cancel()
    return proc.returncode, err


def resume_line(err, cwd):
    """Run the command that the interrupted run's one line names; return the process."""
    command = err.strip().splitlines()[-1].split("continue with: ")[1].split()
    assert command[:3] == ["python", "-m", "ganlib"] and "--resume" in command
    env = {**os.environ, config.QUICK_ENV: "1"}
    return subprocess.run([sys.executable, *command[1:]], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=600)


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
def test_ctrl_c_in_dcgan_exits_130_keeps_every_epochs_figure_and_resume_finishes(tmp_path):
    # The epoch line (training.EpochLog) is printed after that epoch's checkpoint and figure.
    # The compact DCGAN: the quickest of the three per epoch.
    code, err = ctrl_c(["dcgan", "--quick", "--arch", "compact", "--epochs", "4"], str(tmp_path),
                       when="compact epoch   2")
    run = tmp_path / "runs" / "dcgan-compact"
    with np.load(run / checkpoint.CHECKPOINT_NAME) as saved:
        epoch = json.loads(str(saved["__meta__"]))["epoch"]
    assert code == 130 and err == (f"interrupted after epoch {epoch}; continue with: python -m ganlib "
                                   "dcgan --quick --arch compact --epochs 4 --resume --out "
                                   "runs/dcgan-compact\n")
    assert sorted(os.listdir(run / "epochs")) == [f"epoch_{e:03d}.png" for e in range(1, epoch + 1)]
    done = resume_line(err, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["epochs"] == 4
    assert sorted(os.listdir(run / "epochs")) == [f"epoch_{e:03d}.png" for e in range(1, 5)]


@pytest.mark.slow
@pytest.mark.parametrize("args, when, figures", [
    (["progan", "--quick"], "phase 3/", "chunks"),
    (["cgan", "--quick", "--epochs", "3"], "Epoch 2/", "epochs"),
    (["acgan", "--quick", "--epochs", "3"], "Epoch 2/", "epochs"),
    (["pix2pix", "--quick", "--task", "inpaint", "--epochs", "3"], "Epoch 2/", "epochs"),
    (["bigan", "--quick", "--epochs", "3"], "Epoch 2/", "epochs"),
    (["generations", "--quick"], "generation 1:", None),
    (["stacked", "--quick", "--seeds", "2"], "Epoch 2/", "seed-0/epochs"),
], ids=lambda v: v[0] if isinstance(v, list) else None)
def test_ctrl_c_then_resume_finishes_every_command(tmp_path, args, when, figures):
    code, err = ctrl_c(args, str(tmp_path), when=when)
    # The last line is the run's one line (TensorFlow's C++ log may print before it).
    line = err.strip().splitlines()[-1]
    assert code == 130 and "Traceback" not in err and "; continue with: python -m ganlib " in line, err
    run = tmp_path / "runs" / os.listdir(tmp_path / "runs")[0]
    if figures:
        assert os.listdir(run / figures), "no figure of a finished epoch or chunk on disk"
    done = resume_line(err, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # the in-process tests cover "nothing to resume"; dcgan's covers a real SIGINT
def test_ctrl_c_in_gaussian_exits_130_and_leaves_no_empty_folder(tmp_path):
    code, err = ctrl_c(["gaussian", "--quick", "--epochs", "100000", "--out", "run"], str(tmp_path),
                       when="Epoch 3/")
    assert (code, err) == (130, "interrupted; nothing to resume\n")
    assert os.listdir(tmp_path) == []
