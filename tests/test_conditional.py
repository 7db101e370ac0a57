"""Chapter 8: CGAN, ACGAN and pix2pix — wiring, losses, image metrics, input checks, the CLI."""

import numpy as np
import pytest

import conditional_checks
from conftest import last_json, needs_jax, run_python
from ganlib import conditional, config, metrics


def test_cgan_asked_for_k_receives_k_tensorflow():
    conditional_checks.check_cgan_asked_for_k_receives_k()


def test_unet_skips_keep_the_input_size_tensorflow():
    conditional_checks.check_unet_keeps_the_size_and_the_known_pixels()


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
def test_one_epoch_of_each_model_trains_tensorflow():
    conditional_checks.check_rounds_train_both_kinds_and_pix2pix()


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
def test_acgan_class_loss_falls_on_real_labels_tensorflow():
    conditional_checks.check_acgan_class_loss_falls_on_real_labels()


@pytest.mark.slow  # covered in the default run: tests/README.md
@needs_jax
def test_chapter8_models_jax():
    code = ("import sys; sys.path.insert(0, 'tests'); import conditional_checks; "
            "conditional_checks.run_all(); print('{\"ok\": true}')")
    assert last_json(run_python(code, backend="jax")) == {"ok": True}


# -- image metrics ---------------------------------------------------------------------------------


def _bars():
    """Two 'digits': a vertical bar 4 pixels wide, and the same bar one pixel to the right."""
    a = -np.ones((1, 28, 28, 1), "float32")
    b = a.copy()
    a[0, 6:22, 12:16] = 1
    b[0, 6:22, 13:17] = 1
    return a, b


def test_psnr_worked_by_hand():
    a, b = _bars()
    # 2 columns x 16 rows differ by 2 (from -1 to 1): MSE = 32 * 4 / 784; R = 2.
    assert metrics.psnr(a, b)[0] == pytest.approx(10 * np.log10(4 / (128 / 784)))  # 13.89 dB
    assert np.isinf(metrics.psnr(a, a)[0])
    # On [0, 1] pixels the same number: 10 log10(1 / MSE'), MSE' = MSE / 4.
    assert metrics.psnr(a, b)[0] == pytest.approx(10 * np.log10(1 / (32 / 784)))


def test_ssim_matches_scikit_image():
    a, b = _bars()
    # scikit-image 0.26: structural_similarity(a[0, ..., 0], b[0, ..., 0], data_range=2.0).
    assert metrics.ssim(a, b)[0] == pytest.approx(0.6855472442639573, rel=1e-9)
    assert metrics.ssim(a, a)[0] == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (3, 28, 28, 1)).astype("float32")
    y = np.clip(x + rng.normal(0, 0.3, x.shape), -1, 1).astype("float32")
    # The same library, on noisy copies of random images.
    np.testing.assert_allclose(metrics.ssim(x, y), [0.641154600585513, 0.6998185234990201,
                                                    0.6790804842446505], rtol=1e-6)
    skimage = pytest.importorskip("skimage.metrics")
    for i in range(3):
        assert metrics.ssim(x[i:i + 1], y[i:i + 1])[0] == pytest.approx(
            skimage.structural_similarity(x[i, ..., 0].astype("float64"),
                                          y[i, ..., 0].astype("float64"), data_range=2.0))


def test_sharpness_is_lower_for_a_blurred_digit():
    a, _ = _bars()
    blurred = conditional.upsample_bicubic(conditional.shrink(a))
    assert metrics.sharpness(a)[0] > 1.5 * metrics.sharpness(blurred)[0]
    assert metrics.sharpness(-np.ones((1, 28, 28), "float32"))[0] == 0.0


def test_image_metrics_refuse_mismatched_inputs():
    a, b = _bars()
    with pytest.raises(ValueError, match="same shape"):
        metrics.psnr(a, np.concatenate([b, b]))
    with pytest.raises(ValueError, match="must have shape"):
        metrics.ssim(a[:, :14], b[:, :14])
    with pytest.raises(ValueError, match="win_size"):
        metrics.ssim(a, b, win_size=8)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        metrics.sharpness(a * 255)


# -- input checks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("labels, message", [
    ([0, 10], "digits 0..9"), ([-1, 3], "digits 0..9"), (np.zeros((2, 1), int), "1-D"),
    ([1.5, 2.0], "whole numbers"), ([], "empty"), ("seven", "1-D"), (["7"], "whole numbers"),
])
def test_labels_are_checked(labels, message):
    with pytest.raises(ValueError, match=message):
        conditional.check_labels("labels", labels)


def test_wrong_labels_and_sizes_are_refused_before_any_work():
    gan = conditional.build_conditional(config.conditional_config("cgan", quick=True))
    with pytest.raises(ValueError, match="labels must be digits 0..9"):
        gan.generate([3, 12])
    with pytest.raises(ValueError, match=r"z must have shape \(2, 64\)"):
        gan.generate([3, 4], z=np.zeros((3, 64)))
    x = np.zeros((64, 28, 28, 1), "float32")
    with pytest.raises(ValueError, match=r"x\['label'\] must hold 64 labels"):
        gan.fit({"real": x, "label": np.zeros(63, "int64")}, batch_size=64)
    with pytest.raises(ValueError, match=r"x\['real'\] must have shape \(n, 28, 28, 1\)"):
        gan.fit({"real": np.zeros((64, 32, 32, 1)), "label": np.zeros(64, "int64")}, batch_size=64)
    with pytest.raises(ValueError, match="dict"):
        gan.fit(x, batch_size=64)
    p2p = conditional.build_pix2pix(config.pix2pix_config("inpaint", quick=True))
    with pytest.raises(ValueError, match=r"x\['input'\] must have shape \(n, 28, 28, 2\)"):
        p2p.fit({"input": x, "target": x}, batch_size=64)
    with pytest.raises(ValueError, match="task must be"):
        conditional.degrade(x, "colorize")
    with pytest.raises(ValueError, match="kind must be"):
        config.conditional_config("wgan")
    with pytest.raises(ValueError, match="unknown ConditionalConfig"):
        config.conditional_config("cgan", epoch=3)
    with pytest.raises(ValueError, match="minutes"):
        config.pix2pix_config("superres", minutes=0)


def test_degrade_gives_each_task_its_input():
    from ganlib.data import load_mnist

    x = load_mnist("small").x_test[:16]
    up, bicubic = conditional.degrade(x, "superres")
    assert up.shape == (16, 28, 28, 1) and up is bicubic
    # What was shrunk comes back at about the same 7x7 averages, smoother than the digit.
    assert np.abs(conditional.shrink(up) - conditional.shrink(x)).mean() < 0.1
    assert metrics.sharpness(up).mean() < 0.7 * metrics.sharpness(x).mean()
    given, masked = conditional.degrade(x, "inpaint")
    mask = given[..., 1:2]
    assert given.shape == (16, 28, 28, 2) and set(np.unique(mask)) == {0.0, 1.0}
    assert np.all(mask.sum(axis=(1, 2, 3)) == 144)  # a 12x12 square each
    np.testing.assert_array_equal(masked[mask == 1], -1.0)
    np.testing.assert_array_equal(masked[mask == 0], x[mask == 0])
    tiny, _ = conditional.degrade(x, "superres4")  # from 4x4: 7x7 blocks averaged
    assert tiny.shape == (16, 28, 28, 1)
    assert np.abs(conditional.shrink(tiny, 7) - conditional.shrink(x, 7)).mean() < 0.1
    assert metrics.sharpness(tiny).mean() < metrics.sharpness(up).mean()
    given, masked = conditional.degrade(x, "lower-half")
    assert given.shape == (16, 28, 28, 2)
    np.testing.assert_array_equal(given[:, 14:, :, 1], 1.0)
    np.testing.assert_array_equal(given[:, :14, :, 1], 0.0)
    np.testing.assert_array_equal(masked[:, 14:], -1.0)
    np.testing.assert_array_equal(masked[:, :14], x[:, :14])
    with pytest.raises(ValueError, match="task must be one of"):
        conditional.degrade(x, "outpaint")


def test_translation_line_has_the_issue_form():
    report = {"psnr": 21.004, "ssim": 0.81234, "fid": 12.345, "sharpness": 0.2345,
              "classifier_accuracy": 0.9634}
    assert (conditional.translation_line("lower-half", "gan", report)
            == "lower-half gan: PSNR 21.00 dB, SSIM 0.812, FID 12.3, sharpness 0.234, "
               "classifier accuracy 96.3%")


# -- the command line ------------------------------------------------------------------------------


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
@pytest.mark.parametrize("kind", ["cgan", "acgan"])
def test_cli_conditional_quick(kind, tmp_path, cli):
    proc = cli(kind, "--quick", "--out", str(tmp_path / kind))
    result = last_json(proc)
    assert 0 <= result["label_accuracy"] <= 1 and len(result["per_class_accuracy"]) == 10
    assert {"classifier_score", "fid", "class_kl", "seconds"} <= set(result)
    assert result["kind"] == kind and result["budget"] == "quick"
    line = [l for l in proc.stdout.splitlines() if l.startswith(f"{kind}: label accuracy")][-1]
    assert line.endswith(f"class KL {result['class_kl']:.3f}")
    assert (tmp_path / kind / "digits_by_label.png").exists()


def test_cli_pix2pix_quick(tmp_path, cli):
    proc = cli("pix2pix", "--task", "superres", "--quick",
               "--out", str(tmp_path / "sr"))
    result = last_json(proc)
    assert set(result["methods"]) == {"bicubic", "l1", "gan"}
    assert {"psnr", "ssim", "fid", "classifier_accuracy", "seconds"} <= set(result)
    assert result["l1_epochs"] == 2 * result["epochs"]  # quick mode has no minutes: equal G steps
    for method in ("bicubic", "l1", "gan"):
        line = next(l for l in proc.stdout.splitlines() if l.startswith(f"superres {method}: PSNR "))
        assert line == conditional.translation_line("superres", method, result["methods"][method])
    assert (tmp_path / "sr" / "strip.png").exists()


def test_resuming_a_run_that_used_its_minutes_trains_no_further(tmp_path):
    from ganlib.data import load_mnist

    mnist = load_mnist("small")
    cfg = config.conditional_config("cgan", quick=True, epochs=3, minutes=0.001, n_train=128,
                                    metric_samples=0)
    first = conditional.train_conditional(cfg, out_dir=str(tmp_path / "c"), data=mnist, verbose=0)
    assert len(first.history["d_loss"]) == 1  # stopped after the first epoch past the clock
    again = conditional.train_conditional(cfg, out_dir=str(tmp_path / "c"), resume=True, data=mnist,
                                          verbose=0)
    assert again.resumed_from == 1 and len(again.history["d_loss"]) == 1
    assert len(again.grids) == 1  # only the grid drawn before (no) training


def test_l1_twin_trains_as_many_minutes_as_the_gan(monkeypatch):
    """With a budget in minutes the L1-only twin gets the same minutes by the same clock (not as
    many generator steps): a TimeBudget of ``config.minutes`` and room for more epochs."""
    from ganlib.data import load_mnist

    calls = []

    def fake_fit(model, x, y=None, callbacks=(), **kwargs):
        calls.append((model.name, [cb for cb in callbacks if isinstance(cb, conditional.TimeBudget)], kwargs))
        return {"loss": [0.1]}, 0.5

    monkeypatch.setattr(conditional, "timed_fit", fake_fit)
    cfg = config.pix2pix_config("lower-half", quick=True, minutes=0.05, epochs=3, eval_samples=50)
    run = conditional.train_pix2pix(cfg, data=load_mnist("small"), verbose=0)
    (name, clocks, kwargs), = calls
    assert name == "l1_only" and [c.minutes for c in clocks] == [0.05] and kwargs["epochs"] == 6
    assert run.l1_seconds == 0.5 and set(run.results) == {"masked", "l1", "gan", "truth"}
    assert all("fid" in r for r in run.results.values())
