"""Chapter 6's ProGAN: the layers, growing, fading, the gradient penalty, resume, the CLI."""

import json
import os

import numpy as np
import pytest

from conftest import last_json, needs_jax, run_python
import progan_checks
from ganlib import config, metrics, progan
from ganlib.data import load_mnist


@pytest.fixture(scope="module")
def mnist_small():
    """Quick mode's digits and an untrained classifier (the metrics only need to run)."""
    return load_mnist("small"), metrics.build_classifier(seed=0)


def test_fade_in_at_alpha_zero_equals_the_smaller_networks_tensorflow():
    progan_checks.check_fade_in_at_alpha_zero_equals_the_smaller_networks()


def test_equalized_layers_and_pixel_norm_tensorflow():
    progan_checks.check_equalized_layers()
    progan_checks.check_pixel_norm()


def test_gradient_penalty_matches_finite_differences_tensorflow():
    progan_checks.check_gradient_penalty_matches_finite_differences()


def test_lazy_r1_regularizes_every_kth_round_weighted_k_times_tensorflow():
    progan_checks.check_lazy_r1_regularizes_every_kth_round_weighted_k_times()


@pytest.mark.parametrize("kwargs, word", [({"r1_every": 0}, "r1_every"), ({"r1_every": 2}, "r1_every")])
def test_lazy_r1_rejects_bad_settings(kwargs, word):
    """r1_every must be a positive integer, and lazy R1 (> 1) has no meaning for WGAN-GP."""
    g_net = progan.GrowingGenerator(8, {4: 8, 8: 8, 16: 8, 32: 8}, seed=0)
    d_net = progan.GrowingDiscriminator({4: 8, 8: 8, 16: 8, 32: 8}, seed=0)
    with pytest.raises(ValueError, match=word):
        progan.ProGAN(g_net.model(4), d_net.model(4), loss="wgan-gp", **kwargs)
    with pytest.raises(ValueError, match=word):
        config.progan_config(quick=True, loss="wgan-gp", **kwargs)


@pytest.mark.slow  # covered in the default run: tests/README.md
@needs_jax
def test_progan_pieces_jax():
    code = ("import sys; sys.path.insert(0, 'tests'); import progan_checks; "
            "progan_checks.run_all(); print('{\"ok\": true}')")
    assert last_json(run_python(code, backend="jax")) == {"ok": True}


def test_data_helpers():
    x = np.full((2, 28, 28, 1), 0.5, "float32")
    padded = progan.pad_to_32(x)
    assert padded.shape == (2, 32, 32, 1) and padded[0, 0, 0, 0] == -1.0
    np.testing.assert_array_equal(progan.to_28(padded), x)  # the border comes off again
    small = progan.downsample(padded, 8)
    assert small.shape == (2, 8, 8, 1)
    np.testing.assert_allclose(small.mean(), padded.mean(), rtol=1e-6)
    assert progan.to_28(small).shape == (2, 28, 28, 1)
    with pytest.raises(ValueError, match="resolution"):
        progan.downsample(padded, 12)
    with pytest.raises(ValueError, match="images must have shape"):
        progan.pad_to_32(np.zeros((2, 32, 32, 1)))
    with pytest.raises(ValueError, match="nothing to fade in"):
        progan.GrowingGenerator(8).model(4, fading=True)


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="multiple of 4"):
        config.progan_config(quick=True, batch_size=30)
    with pytest.raises(ValueError, match="unknown ProGANConfig"):
        config.progan_config(quick=True, batchsize=32)
    with pytest.raises(ValueError, match="stable_rounds"):
        config.progan_config(quick=True, stable_rounds=(1, 2, 3))
    with pytest.raises(ValueError, match="loss must be one of"):
        config.progan_config(quick=True, loss="hinge")


def test_the_non_saturating_loss_with_r1_is_what_the_critic_learns_from():
    """``loss="ns-r1"``: D's recorded loss is chapter 2's cross-entropy on its logits plus
    gp_weight / 2 x R1, and the recorded penalty is R1 at the real images (computed here by hand).
    Ignoring the option (WGAN-GP's loss and penalty) fails both."""
    import keras
    from keras import ops

    cfg = config.progan_config(quick=True, loss="ns-r1", gp_weight=2.0, learning_rate=0.0, r1_every=1,
                               channels=(8, 8, 8, 8), latent_dim=8, batch_size=256)
    g_net, d_net = progan.GrowingGenerator(8, dict(zip(progan.RESOLUTIONS, cfg.channels)), seed=0), \
        progan.GrowingDiscriminator(dict(zip(progan.RESOLUTIONS, cfg.channels)), seed=0)
    gan = progan._build_phase(cfg, g_net, d_net, 4, False, None, seed=0)
    real = np.random.default_rng(0).uniform(-1, 1, (256, 4, 4, 1)).astype("float32")
    history, _ = progan.timed_fit(gan, real, batch_size=256, epochs=1, shuffle=False, verbose=0)
    d = gan.discriminator
    grads = ops.convert_to_numpy(progan.input_gradient(d, ops.convert_to_tensor(real)))
    r1 = float(np.mean(np.sum(grads ** 2, axis=(1, 2, 3))))
    assert history["gp"][0] == pytest.approx(r1, rel=1e-3)
    softplus = lambda v: np.logaddexp(0.0, v)  # noqa: E731
    z = keras.random.normal((4096, 8), seed=1)
    d_fake = ops.convert_to_numpy(d(g_net.model(4)(z))).ravel()
    d_real = ops.convert_to_numpy(d(real)).ravel()
    by_hand = softplus(-d_real).mean() + softplus(d_fake).mean() + 0.5 * 2.0 * r1
    assert history["d_loss"][0] == pytest.approx(by_hand, abs=0.05)
    assert history["g_loss"][0] == pytest.approx(softplus(-d_fake).mean(), abs=0.05)


def test_run_seeds_counts_failed_runs_and_prints_the_chapter_line(monkeypatch):
    rows = {0: (8.0, 10), 1: (3.0, 10), 2: (float("nan"), 10), 3: (8.5, 9), 4: (9.0, 10)}

    def fake_seed(config, seed, **kwargs):
        score, classes = rows[seed]
        return {"seed": seed, "classifier_score": score, "fid": 1.0, "class_kl": 0.01,
                "classes_present": classes, "minutes": 1.0}

    monkeypatch.setattr(progan, "_seed_row", fake_seed)
    cfg = config.progan_config(quick=True)
    result = progan.run_seeds(cfg, seeds=5, real_score=9.74)
    assert result["failed"] == 3  # below half of 9.74, NaN, a class missing
    assert result["min"] == 3.0 and result["mean"] == pytest.approx((8.0 + 3.0 + 8.5 + 9.0) / 4)
    assert progan.stability_line("growing", result) == (
        "growing over 5 seeds: classifier score mean 7.12, min 3.00, failed 3")
    with pytest.raises(ValueError, match="real_score"):
        progan.run_seeds(cfg, seeds=2, real_score=None)
    with pytest.raises(ValueError, match="minutes"):
        progan.run_seeds(cfg, seeds=2, real_score=9.74, grow=False)


class Killed(Exception):
    pass


def _quick_cfg():
    return config.progan_config(quick=True, stable_rounds=(4, 4, 4, 4), fade_rounds=(4, 4, 4),
                                chunk_rounds=2, channels=(8, 8, 8, 8), latent_dim=8,
                                batch_size=8, n_train=64, metric_samples=50)


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
def test_resume_after_a_kill_continues_at_the_right_phase_and_alpha(tmp_path, monkeypatch, mnist_small):
    data, classifier = mnist_small
    cfg = _quick_cfg()
    straight = progan.train_progan(cfg, seed=1, out_dir=str(tmp_path / "a"), data=data,
                                   classifier=classifier, verbose=0)
    calls = {"n": 0}
    real_fit = progan.ProGAN.fit

    def dying_fit(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 8:  # phase 4 (16x16 fade-in), after its first chunk: alpha 0.5
            raise Killed()
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(progan.ProGAN, "fit", dying_fit)
    with pytest.raises(Killed):
        progan.train_progan(cfg, seed=1, out_dir=str(tmp_path / "b"), data=data,
                            classifier=classifier, verbose=0)
    with np.load(tmp_path / "b" / progan.CHECKPOINT_NAME) as f:
        meta = json.loads(str(f["__meta__"]))["extra"]
    assert (meta["phase"], meta["round"], meta["model_phase"]) == (3, 2, 3)
    monkeypatch.setattr(progan.ProGAN, "fit", real_fit)
    resumed = progan.train_progan(cfg, seed=1, out_dir=str(tmp_path / "b"), resume=True, data=data,
                                  classifier=classifier, verbose=0)
    assert resumed.resumed
    assert [s["resolution"] for s in resumed.stages] == [s["resolution"] for s in straight.stages]
    assert [s["rounds"] for s in resumed.stages] == [4] * 7
    # Same weights as the run that was never killed: stage, alpha, weights, optimizer state and
    # noise state all came back.
    for a, b in zip(straight.gan.weights, resumed.gan.weights, strict=True):
        np.testing.assert_allclose(np.asarray(a.value), np.asarray(b.value), atol=1e-5, err_msg=a.path)


@pytest.mark.slow  # covered in the default run: tests/README.md
def test_resume_refuses_another_runs_checkpoint(tmp_path, mnist_small):
    data, classifier = mnist_small
    cfg = _quick_cfg()
    progan.train_progan(cfg, out_dir=str(tmp_path), data=data, classifier=classifier, verbose=0)
    with pytest.raises(ValueError, match="another run"):
        progan.train_progan(cfg, out_dir=str(tmp_path), resume=True, data=data,
                            classifier=classifier, grow=False, minutes=0.01, verbose=0)


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
def test_cli_quick_run_prints_the_json_line(tmp_path, cli):
    out = tmp_path / "run"
    result = last_json(cli("progan", "--quick", "--out", str(out)))
    assert result["resolution"] == 32
    assert [s["resolution"] for s in result["stages"]] == [4, 8, 8, 16, 16, 32, 32]
    for key in ("classifier_score", "fid", "class_kl", "classes_present", "seconds"):
        assert key in result
    assert os.path.exists(out / progan.CHECKPOINT_NAME)


def test_the_stability_test_is_the_budgets_progan_without_r1_over_at_least_6_seeds():
    base, test = config.progan_config(budget_name="cpu"), config.progan_stability(budget_name="cpu")
    hard = test["config"]
    assert hard.gp_weight == 0.0 and hard.loss == base.loss and hard.learning_rate == base.learning_rate
    assert test["scale"] == 0.25 and hard.stable_rounds == tuple(round(0.25 * r) for r in base.stable_rounds)
    assert test["seeds"] >= 6 and test["workers"] == 2
    assert config.progan_stability(budget_name="gpu")["seeds"] >= 6
    with pytest.raises(ValueError, match="budget_name"):
        config.progan_stability(budget_name="tpu")
