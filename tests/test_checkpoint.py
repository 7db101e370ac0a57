"""Checkpoints keyed by where each variable lives (issue 23): every method round-trips on both
backends, a reordering cannot swap values, every misfit is one line naming the file before any
variable changes, and the commands turn it into exit code 2. Whole runs that crash and resume:
test_dcgan.py, test_progan.py, test_conditional.py."""

import dataclasses
import os

import numpy as np
import pytest

import keras

from conftest import last_json, needs_jax, run_python
from ganlib import checkpoint, config, models
from ganlib.training import GAN


def _plain():
    gan = GAN(models.gaussian_generator(), models.gaussian_discriminator(), ema_momentum=0.9, seed=1)
    gan.compile(keras.optimizers.Adam(), keras.optimizers.SGD(momentum=0.9))
    return gan


def _dcgan(arch="compact"):
    from ganlib.dcgan import build_gan

    return build_gan(config.dcgan_config(arch, quick=True))


def _conditional():
    from ganlib.conditional import build_conditional

    return build_conditional(config.conditional_config("acgan", quick=True))


def _pix2pix():
    from ganlib.conditional import build_pix2pix

    return build_pix2pix(config.pix2pix_config("inpaint", quick=True))


def _bigan():
    from ganlib.bigan import build_bigan

    return build_bigan(config.bigan_config(quick=True))


def _progan():
    """An 8x8 fade-in phase of a narrow ProGAN (its 4x4 phase built first, as in training)."""
    from ganlib import progan

    cfg = config.progan_config(quick=True, channels=(8, 8, 8, 8), latent_dim=8)
    widths = dict(zip(progan.RESOLUTIONS, cfg.channels))
    g, d = progan.GrowingGenerator(8, widths), progan.GrowingDiscriminator(widths)
    g.model(4), d.model(4)
    return progan._build_phase(cfg, g, d, 8, True, 4, 0)


BUILDERS = {"GAN": _plain, "DCGAN": _dcgan, "ConditionalGAN": _conditional, "Pix2Pix": _pix2pix,
            "BiGAN": _bigan, "ProGAN": _progan}


def _all_variables(gan):
    return [*gan.variables, *gan.d_optimizer.variables, *gan.g_optimizer.variables]


def _numpy(variable):
    return np.array(keras.ops.convert_to_numpy(variable.value))


def scramble(gan, seed=0):
    """A distinct random value for every variable (Adam's m and v differ, so do the counters)."""
    rng = np.random.default_rng(seed)
    for v in _all_variables(gan):
        dtype = np.dtype(v.dtype)
        v.assign(rng.integers(1, 1000, v.shape).astype(dtype) if dtype.kind in "iu"
                 else rng.standard_normal(v.shape).astype(dtype))


def values(gan):
    return {key: _numpy(v) for key, v in checkpoint.state_variables(gan).items()}


def round_trip(name, folder):
    """Save a scrambled GAN, build a fresh one in the same process (other Keras auto names),
    load into it; what differs afterwards."""
    saved = BUILDERS[name]()
    scramble(saved)
    path = os.path.join(folder, f"{name}.npz")
    checkpoint.save_checkpoint(saved, path, 1)
    fresh = BUILDERS[name]()
    meta = checkpoint.resume(fresh, path)
    a, b = values(saved), values(fresh)
    return {"method": meta["method"], "keys": len(a), "same_keys": sorted(a) == sorted(b),
            "differ": [k for k in a if not np.array_equal(a[k], b[k])],
            "renamed": sum(x.path != y.path for x, y in zip(_all_variables(saved), _all_variables(fresh))),
            "optimizer_slots": sum("/momentum" in k or "/velocity" in k for k in a)}


def check_round_trip(result, name):
    assert result["same_keys"] and result["differ"] == [], result
    assert result["method"] == ("GAN" if name == "DCGAN" else name)
    # Keras named the fresh GAN's variables differently; the keys did not change.
    assert result["renamed"] > 0 and result["optimizer_slots"] > 0, result


@pytest.mark.parametrize("name", BUILDERS)
def test_every_method_round_trips_by_path_tensorflow(name, tmp_path):
    check_round_trip(round_trip(name, str(tmp_path)), name)


def test_keys_say_where_each_variable_lives():
    keys = set(checkpoint.state_variables(_dcgan()))
    assert {"generator/0_Dense/kernel", "discriminator/0_Conv2D/kernel",
            "d_optimizer/discriminator/0_Conv2D/kernel/momentum",
            "g_optimizer/generator/0_Dense/kernel/velocity", "g_optimizer/iteration",
            "ema_generator/0_Dense/kernel", "seed_generator/seed_generator_state"} <= keys, sorted(keys)
    assert not any(k.startswith(("adam", "sequential")) or "dense_" in k for k in keys)
    assert {"phase_round", "generator/19_FadeIn/alpha"} <= set(checkpoint.state_variables(_progan()))


JAX_ROUND_TRIP = """
import json, os, sys
sys.path.insert(0, "tests")
import numpy as np
from ganlib import checkpoint
from test_checkpoint import BUILDERS, round_trip, values
folder = sys.argv[1]
result = {"round_trip": {}, "from_tensorflow": {}}
for name in BUILDERS:
    result["round_trip"][name] = round_trip(name, folder)
    gan = BUILDERS[name]()
    path = os.path.join(folder, "tf", name + ".npz")
    checkpoint.resume(gan, path)
    saved, loaded = checkpoint.read_npz(path), values(gan)
    result["from_tensorflow"][name] = [k for k in loaded if not np.array_equal(saved[k], loaded[k])]
print(json.dumps(result))
"""


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
@needs_jax
def test_every_method_round_trips_on_jax_and_loads_tensorflow_checkpoints(tmp_path):
    for name, build in BUILDERS.items():
        gan = build()
        scramble(gan)
        checkpoint.save_checkpoint(gan, str(tmp_path / "tf" / f"{name}.npz"), 1)
    result = last_json(run_python(args=["-c", JAX_ROUND_TRIP, str(tmp_path)], backend="jax"))
    for name in BUILDERS:
        check_round_trip(result["round_trip"][name], name)
        assert result["from_tensorflow"][name] == [], name


# -- order cannot matter ------------------------------------------------------------------------


def test_arrays_stored_in_another_order_load_the_same(tmp_path):
    saved = _dcgan()
    scramble(saved)
    checkpoint.save_checkpoint(saved, str(tmp_path / "c.npz"), 1)
    arrays = checkpoint.read_npz(str(tmp_path / "c.npz"))
    np.savez(tmp_path / "reversed.npz", **dict(reversed(list(arrays.items()))))
    fresh = _dcgan()
    checkpoint.resume(fresh, str(tmp_path / "reversed.npz"))
    a, b = values(saved), values(fresh)
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_a_reordered_optimizer_cannot_swap_adams_moments(tmp_path):
    # A Keras upgrade or a model edit that makes the variables in another order: Adam's two
    # moments of a weight have the same shape, so a loader by position (the format-1 one; seen
    # failing with it) assigns each the other's values without a word.
    saved = _dcgan()
    scramble(saved)
    checkpoint.save_checkpoint(saved, str(tmp_path / "c.npz"), 1)
    fresh = _dcgan()
    order = fresh.d_optimizer._variables
    position = {id(v): i for i, v in enumerate(order)}
    for m, v in zip(fresh.d_optimizer._momentums, fresh.d_optimizer._velocities):
        i, j = position[id(m)], position[id(v)]
        order[i], order[j] = order[j], order[i]
    checkpoint.resume(fresh, str(tmp_path / "c.npz"))
    for slots in ("_momentums", "_velocities"):
        for a, b in zip(getattr(saved.d_optimizer, slots), getattr(fresh.d_optimizer, slots)):
            np.testing.assert_array_equal(_numpy(a), _numpy(b), err_msg=slots)


# -- every misfit: one line naming the file, before any variable changes ------------------------


def refused(gan, path, match, load=None):
    before = values(gan)
    with pytest.raises(ValueError, match=match) as info:
        (load or checkpoint.resume)(gan, str(path))
    message = str(info.value)
    assert "\n" not in message and str(path) in message, message
    after = values(gan)
    assert all(np.array_equal(before[k], after[k]) for k in before), "a variable changed"
    return message


@pytest.fixture(scope="module")
def saved_dcgan(tmp_path_factory):
    """A scrambled compact DCGAN's checkpoint, with its configuration and seed."""
    path = tmp_path_factory.mktemp("saved") / "c.npz"
    gan = _dcgan()
    scramble(gan)
    checkpoint.save_checkpoint(gan, str(path), 2, extra={"seed": 0},
                               config=config.dcgan_config("compact", quick=True))
    return path


def rewrite(path, source, change):
    arrays = checkpoint.read_npz(str(source))
    change(arrays)
    np.savez(path, **arrays)
    return path


def test_truncated_and_garbage_files_are_refused(tmp_path, saved_dcgan):
    gan = _dcgan()
    data = saved_dcgan.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 30):
        (tmp_path / "cut.npz").write_bytes(data[:cut])
        refused(gan, tmp_path / "cut.npz", "not a readable ganlib checkpoint")
    (tmp_path / "garbage.npz").write_bytes(b"\x93NUMPY garbage" * 50)
    refused(gan, tmp_path / "garbage.npz", "not a readable ganlib checkpoint")
    np.save(tmp_path / "plain.npy", np.zeros(3))
    refused(gan, tmp_path / "plain.npy", "not a readable ganlib checkpoint")
    refused(gan, tmp_path / "none.npz", "does not exist",
            load=lambda g, p: checkpoint.read_checkpoint(p))


def test_another_method_architecture_or_network_is_refused(tmp_path, saved_dcgan):
    refused(_conditional(), saved_dcgan, "checkpoint of a GAN, not of a ConditionalGAN")
    # Another architecture: named by its settings when the run's configuration is given...
    seed_arch = _dcgan("seed")
    cfg = config.dcgan_config("seed", quick=True)
    message = refused(seed_arch, saved_dcgan, "another run, with other settings: arch 'compact' "
                      r"\(now 'seed'\), batch_size 64 \(now 128\)",
                      load=lambda gan, path: checkpoint.resume(gan, path, config=cfg))
    assert "epochs" not in message
    # ...and by its variables when it is not.
    refused(seed_arch, saved_dcgan, "does not fit this GAN.*other networks or optimizers")


def test_a_missing_extra_or_misshapen_variable_is_refused(tmp_path, saved_dcgan):
    gan = _dcgan()
    key = "d_optimizer/discriminator/0_Conv2D/kernel/velocity"
    refused(gan, rewrite(tmp_path / "m.npz", saved_dcgan, lambda a: a.pop(key)),
            rf"lacks 1 of its variables \['{key}'\] and holds 0 others")
    refused(gan, rewrite(tmp_path / "x.npz", saved_dcgan, lambda a: a.update(extra=np.zeros(2))),
            r"lacks 0 of its variables \[\] and holds 1 others \['extra'\]")
    refused(gan, rewrite(tmp_path / "s.npz", saved_dcgan, lambda a: a.update({key: a[key][:2]})),
            f"has {key} of shape")


def test_old_positional_checkpoints_are_refused_with_advice(tmp_path):
    gan = _dcgan()
    arrays = {f"v{i:04d}": _numpy(v) for i, v in enumerate(_all_variables(gan))}
    np.savez(tmp_path / "old.npz", __meta__=np.array('{"epoch": 1, "history": {}, "extra": {}}'),
             **arrays)
    refused(gan, tmp_path / "old.npz", "written by an older ganlib; start a new run")


def test_the_budget_may_change_on_resume_the_training_may_not(tmp_path, saved_dcgan):
    base = config.dcgan_config("compact", quick=True)
    gan = _dcgan()
    longer = dataclasses.replace(base, epochs=50, minutes=30.0, metric_samples=0, budget="gpu")
    meta = checkpoint.resume(gan, str(saved_dcgan), config=longer, expect={"seed": 0})
    assert meta["epoch"] == 2 and meta["method"] == "GAN" and meta["keras"] == keras.__version__
    assert meta["config"]["arch"] == "compact"
    other = dataclasses.replace(base, learning_rate=1e-3)
    refused(_dcgan(), saved_dcgan, r"learning_rate 0.0005 \(now 0.001\)",
            load=lambda g, p: checkpoint.resume(g, p, config=other))
    refused(_dcgan(), saved_dcgan, "another run: it has seed 0, not 1",
            load=lambda g, p: checkpoint.resume(g, p, config=base, expect={"seed": 1}))
    assert checkpoint.resume(gan, str(saved_dcgan), resume=False) is None
    assert checkpoint.resume(gan, str(tmp_path / "none.npz")) is None


def test_a_cut_short_samples_file_of_generations_is_refused(tmp_path):
    from ganlib import generated, metrics
    from ganlib.data import load_mnist

    class Constant:
        def generate(self, n, seed=None):
            return np.zeros((n, 28, 28, 1), "float32")

    mnist = load_mnist("small")
    cfg = config.generations_config(quick=True, generations=1, n_samples=64, metric_samples=50)
    kwargs = dict(data=mnist, classifier=metrics.get_classifier(data=mnist),
                  trainer=lambda x, g: (Constant(), {}), out_dir=str(tmp_path))
    generated.run_generations(cfg, **kwargs)
    samples = tmp_path / "generation-1" / "samples.npz"
    samples.write_bytes(samples.read_bytes()[:100])
    with pytest.raises(ValueError, match="not a readable ganlib samples file") as info:
        generated.run_generations(cfg, resume=True, **kwargs)
    assert str(samples) in str(info.value) and "\n" not in str(info.value)


# -- the commands: exit code 2 and one line ----------------------------------------------------


@pytest.mark.parametrize("command, folder, name", [
    ("progan", "", "progan.npz"),
    ("generations", "generation-1", "checkpoint.npz"),
])
def test_commands_refuse_a_cut_short_checkpoint_with_one_line(command, folder, name, tmp_path,
                                                              saved_dcgan, cli):
    out = tmp_path / "run"
    (out / folder).mkdir(parents=True)
    (out / folder / name).write_bytes(saved_dcgan.read_bytes()[:1000])
    proc = cli(command, "--quick", "--resume", "--out", str(out))
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr[-2000:]
    assert "not a readable ganlib checkpoint" in lines[0] and name in lines[0], lines
