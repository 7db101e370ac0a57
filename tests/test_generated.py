"""Chapter 9: BiGAN (encoder, pairs, the linear probe) and training on generated data
(classifiers on generated digits, the chain of generations), input checks and the CLI."""

import json

import numpy as np
import pytest

import generated_checks
from conftest import last_json, needs_jax, run_python
from ganlib import bigan, config, generated, metrics
from ganlib.data import load_mnist


@pytest.fixture(scope="module")
def mnist():
    return load_mnist("small")


@pytest.fixture(scope="module")
def classifier(mnist):
    return metrics.get_classifier(data=mnist)


def test_encoder_shape_and_pairs_tensorflow():
    generated_checks.check_encoder_shape_and_pairs()


def test_d_judges_real_with_codes_and_fakes_with_noise_tensorflow():
    generated_checks.check_d_judges_real_with_codes_and_fakes_with_noise()


def test_one_epoch_moves_generator_encoder_and_discriminator_tensorflow():
    generated_checks.check_one_epoch_moves_all_three()


@pytest.mark.slow  # covered in the default run: tests/README.md
@needs_jax
def test_chapter9_models_jax():
    code = ("import sys; sys.path.insert(0, 'tests'); import generated_checks; "
            "generated_checks.run_all(); print('{\"ok\": true}')")
    assert last_json(run_python(code, backend="jax")) == {"ok": True}


def test_bigan_refuses_mismatched_networks():
    from ganlib.models import compact_dcgan_generator

    with pytest.raises(ValueError, match="encoder's codes have 8 numbers"):
        bigan.BiGAN(compact_dcgan_generator(16), bigan.bigan_encoder(8), bigan.bigan_discriminator(16))
    with pytest.raises(ValueError, match="two inputs"):
        bigan.BiGAN(compact_dcgan_generator(16), bigan.bigan_encoder(16),
                    bigan.bigan_encoder(16))
    gan = bigan.build_bigan(config.bigan_config(quick=True, latent_dim=16))
    with pytest.raises(ValueError, match="shape"):
        gan.encode(np.zeros((3, 14, 14)))
    with pytest.raises(ValueError, match="no labels"):
        gan.fit({"real": np.zeros((64, 28, 28, 1))}, batch_size=64)


# -- the linear probe ------------------------------------------------------------------------------


def _blobs(n, k=3, dims=5, spread=0.3, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, dims)) * 3
    y = rng.integers(0, k, n)
    return centres[y] + spread * rng.standard_normal((n, dims)), y


def test_linear_probe_separates_a_separable_toy_set():
    x, y = _blobs(600)
    x_test, y_test = x[400:], y[400:]
    result = bigan.linear_probe(x[:400], y[:400], x_test, y_test, steps=300)
    assert result["test_accuracy"] > 0.95  # chance is 1/3
    # Labels that carry no information about the features: the probe falls to chance.
    shuffled = np.random.default_rng(1).permutation(y)
    assert bigan.linear_probe(x[:400], shuffled[:400], x_test, shuffled[400:],
                              steps=300)["test_accuracy"] < 0.6


@pytest.mark.parametrize("bad, message", [
    (dict(test_features=np.zeros((10, 4))), "5 features per row"),
    (dict(train_labels=np.zeros(9, "int64")), "9 labels for 10 rows"),
    (dict(train_labels=np.zeros(10)), "whole-number"),
    (dict(test_labels=-np.ones(10, "int64")), "classes 0, 1, 2"),
    (dict(train_features=np.full((10, 5), np.nan)), "NaN"),
    (dict(train_features=np.zeros(10)), r"shape \(n, features\)"),
    (dict(steps=0), "steps must be a positive integer"),
])
def test_linear_probe_refuses_mismatched_inputs(bad, message):
    args = dict(train_features=np.zeros((10, 5)), train_labels=np.arange(10) % 2,
                test_features=np.zeros((10, 5)), test_labels=np.arange(10) % 2)
    args.update(bad)
    with pytest.raises(ValueError, match=message):
        bigan.linear_probe(**args)


def test_few_label_probe_draws_equal_classes_and_reports_the_spread():
    x, y = _blobs(2500, k=4, spread=1.5)
    x, y, x_test, y_test = x[:2000], y[:2000], x[2000:], y[2000:]
    picked = []
    original = bigan.linear_probe

    def spy(train_features, train_labels, *args, **kwargs):
        picked.append(np.bincount(train_labels, minlength=4))
        return original(train_features, train_labels, *args, **kwargs)

    result = _with(bigan, "linear_probe", spy, lambda: bigan.few_label_probe(
        x, y, x_test, y_test, counts=(4, 40), draws=3, steps=200))
    assert set(result) == {4, 40} and all(len(r["accuracies"]) == 3 for r in result.values())
    assert [list(c) for c in picked] == [[1] * 4] * 3 + [[10] * 4] * 3  # equal per class
    assert result[4]["std"] > 0  # different digits each draw
    assert result[40]["mean"] > result[4]["mean"]  # more labels, a better probe
    assert (bigan.few_label_line("pixels", 40, {"mean": 0.8912, "std": 0.0123})
            == "linear probe on pixels with 40 labels: test accuracy 89.1% ± 1.2")


def _with(module, name, value, call):
    """``call()`` with ``module.name`` replaced by ``value``."""
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        return call()
    finally:
        setattr(module, name, saved)


@pytest.mark.parametrize("counts, message", [((15,), "multiples of the 10 classes"),
                                             ((2000,), "the rarest class"), ((0,), "counts")])
def test_few_label_probe_refuses_counts_it_cannot_draw(counts, message):
    y = np.arange(1000) % 10
    with pytest.raises(ValueError, match=message):
        bigan.few_label_probe(np.zeros((1000, 3)), y, np.zeros((10, 3)), y[:10], counts=counts)


# -- generated data --------------------------------------------------------------------------------


def test_balanced_labels_cover_the_classes_asked_for():
    labels = generated.balanced_labels(700, classes=[0, 1, 2, 4, 6, 7, 9], seed=3)
    assert sorted(set(labels.tolist())) == [0, 1, 2, 4, 6, 7, 9]
    assert np.bincount(labels, minlength=10)[[0, 1, 2, 4, 6, 7, 9]].tolist() == [100] * 7
    for bad in ([], [10], [-1], "ab"):
        with pytest.raises(ValueError, match="classes"):
            generated.balanced_labels(10, classes=bad)


def test_classifier_on_refuses_bad_input(mnist):
    x = mnist.x_train[:64]
    with pytest.raises(ValueError, match="one per image"):
        generated.classifier_on(x, mnist.y_train[:63], mnist)
    with pytest.raises(ValueError, match="digits 0..9"):
        generated.classifier_on(x, np.full(64, 10), mnist)
    with pytest.raises(ValueError, match=r"shape \(n, 28, 28, 1\)"):
        generated.classifier_on(x[..., 0], mnist.y_train[:64], mnist)
    with pytest.raises(ValueError, match="MNIST"):
        generated.classifier_on(x, mnist.y_train[:64], data={"x_test": x})


def test_classifier_on_a_missing_class_fails_on_exactly_that_class(mnist):
    keep = mnist.y_train[:3000] != 3
    x, y = mnist.x_train[:3000][keep], mnist.y_train[:3000][keep]
    result = generated.classifier_on(x, y, mnist, epochs=2)
    assert result["worst_class"] == 3 and result["per_class_accuracy"][3] == 0.0
    assert result["train_counts"][3] == 0
    assert min(a for c, a in enumerate(result["per_class_accuracy"]) if c != 3) > 0.5
    line = generated.classifier_line("collapsed-generator", result)
    assert line.startswith("classifier trained on collapsed-generator: test accuracy ")
    assert line.endswith("worst class 3 at 0.0%")


def test_diversity_is_near_zero_for_copies_and_positive_for_digits(mnist, classifier):
    copies = np.repeat(mnist.x_test[:1], 50, axis=0)
    assert generated.diversity(copies, classifier, n=50) < 1e-3
    assert generated.diversity(mnist.x_test[:200], classifier, n=200) > 1.0


class _Stamp:
    """A fake generator for generation g: its digits carry g / 10 in pixel (0, 0) and their
    index / 1000 in pixel (0, 1), so where every training digit came from can be read off it."""

    def __init__(self, g):
        self.g = g

    def generate(self, n, seed=None):
        x = -np.ones((n, 28, 28, 1), "float32")
        x[:, 0, 0, 0] = self.g / 10
        x[:, 0, 1, 0] = np.arange(n) / 1000
        x[:, 10:18, 12:16, 0] = 1.0  # something for the classifier to read
        return x


def test_each_generation_learns_only_from_the_one_before(mnist, classifier, tmp_path):
    seen = {}

    def trainer(x, g):
        seen[g] = x.copy()
        return _Stamp(g), {}

    cfg = config.generations_config(quick=True, generations=3, n_samples=96, metric_samples=50)
    run = generated.run_generations(cfg, seed=0, data=mnist, classifier=classifier,
                                    trainer=trainer, out_dir=str(tmp_path / "gens"))
    assert sorted(seen) == [1, 2, 3] and len(run.reports) == 4
    # Generation 1: the real digits; every later one: exactly the digits of the one before.
    np.testing.assert_array_equal(seen[1], mnist.x_train[: cfg.n_train])
    for g in (2, 3):
        assert len(seen[g]) == 96
        np.testing.assert_allclose(seen[g][:, 0, 0, 0], (g - 1) / 10)
        np.testing.assert_allclose(seen[g][:, 0, 1, 0], np.arange(96) / 1000)
    real = mnist.x_train.reshape(len(mnist.x_train), -1)
    for g in (2, 3):  # no real digit among them
        rows = seen[g].reshape(len(seen[g]), -1)
        assert not (rows[:, None, :50] == real[None, :, :50]).all(axis=2).any()
    assert [t["source"] for t in run.trained_on] == ["real", "generation 1", "generation 2"]
    summary = json.loads((tmp_path / "gens" / "generations.json").read_text())
    assert len(summary["reports"]) == 4
    assert generated.generation_line(1, run.reports[1]).startswith("generation 1: classifier score ")

    # Resumed: finished generations are read back, not trained again.
    seen.clear()
    again = generated.run_generations(cfg, seed=0, data=mnist, classifier=classifier,
                                      trainer=trainer, out_dir=str(tmp_path / "gens"), resume=True)
    assert seen == {}
    assert [r["fid"] for r in again.reports] == pytest.approx([r["fid"] for r in run.reports])


def test_run_generations_and_diversity_refuse_bad_input(mnist, classifier):
    with pytest.raises(ValueError, match="config must be a GenerationsConfig"):
        generated.run_generations(config.bigan_config(quick=True), data=mnist, classifier=classifier)
    with pytest.raises(ValueError, match="trainer must be a function"):
        generated.run_generations(config.generations_config(quick=True), data=mnist,
                                  classifier=classifier, trainer="dcgan")
    with pytest.raises(ValueError, match="resume=True needs out_dir"):
        generated.run_generations(config.generations_config(quick=True), resume=True, data=mnist,
                                  classifier=classifier)
    with pytest.raises(ValueError, match="at least 2 images"):
        generated.diversity(mnist.x_test[:1], classifier)
    with pytest.raises(ValueError, match="NaN"):
        generated.diversity(np.full((4, 28, 28, 1), np.nan, "float32"), classifier)


def test_generations_config_checks():
    with pytest.raises(ValueError, match="generations must be a positive integer"):
        config.generations_config(generations=0)
    with pytest.raises(ValueError, match="n_samples must be at least batch_size"):
        config.generations_config(n_samples=10)
    with pytest.raises(ValueError, match="unknown GenerationsConfig"):
        config.generations_config(generation=3)
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        config.bigan_config(learning_rate=0)


# -- the command line ------------------------------------------------------------------------------


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
def test_cli_bigan_quick(tmp_path, cli):
    proc = cli("bigan", "--quick", "--out", str(tmp_path / "b"))
    result = last_json(proc)
    assert set(result["probe"]) == {"BiGAN encoder", "random encoder", "pixels"}
    assert 0 <= result["reconstruction_accuracy"] <= 1 and "seconds" in result
    for name, accuracy in result["probe"].items():
        assert f"linear probe on {name}: test accuracy {100 * accuracy:.1f}%" in proc.stdout
        assert {"10", "100"} <= set(result["few_labels"][name]) <= {"10", "100", "1000"}
        for n, r in result["few_labels"][name].items():
            assert bigan.few_label_line(name, n, r) in proc.stdout.splitlines()
    assert (tmp_path / "b" / "reconstructions.png").exists()


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
def test_cli_generations_quick(tmp_path, cli):
    proc = cli("generations", "--quick", "--generations", "2",
               "--out", str(tmp_path / "g"))
    result = last_json(proc)
    assert [r["generation"] for r in result["generations"]] == [0, 1, 2]
    assert {"classifier_score", "fid", "class_kl", "diversity"} <= set(result["generations"][1])
    assert result["trained_on"][1]["source"] == "generation 1" and "seconds" in result
    for r in result["generations"]:
        assert (f"generation {r['generation']}: classifier score {r['classifier_score']:.2f}, "
                f"FID {r['fid']:.1f}, class KL {r['class_kl']:.3f}, diversity {r['diversity']:.3f}"
                in proc.stdout)
    assert (tmp_path / "g" / "generation-2" / "samples.npz").exists()


# -- few labels, rare classes ---------------------------------------------------------------------


def test_few_per_class_draws_equal_classes_by_seed(mnist):
    x, y = generated.few_per_class(mnist, 5, seed=3)
    assert x.shape == (50, 28, 28, 1) and np.bincount(y).tolist() == [5] * 10
    again, _ = generated.few_per_class(mnist, 5, seed=3)
    other, _ = generated.few_per_class(mnist, 5, seed=4)
    np.testing.assert_array_equal(x, again)
    assert not np.array_equal(x, other)
    with pytest.raises(ValueError, match="per_class: .* the rarest class"):
        generated.few_per_class(mnist, 10**6)


def test_with_rare_class_thins_only_that_class(mnist):
    rare = generated.with_rare_class(mnist, 3, 0.02, seed=1)
    counts, before = np.bincount(rare.y_train, minlength=10), np.bincount(mnist.y_train, minlength=10)
    assert abs(counts[3] / counts.sum() - 0.02) < 0.002
    assert np.array_equal(np.delete(counts, 3), np.delete(before, 3))  # every other digit kept
    assert rare.x_test is mnist.x_test
    for bad, message in [(dict(rare=10), "rare must be a class"), (dict(share=0.0), "share must be"),
                         (dict(share=0.9), "there are")]:
        with pytest.raises(ValueError, match=message):
            generated.with_rare_class(mnist, **{"rare": 3, "share": 0.02, **bad})


def test_classifier_without_augmentation_sees_the_digits_as_they_are(mnist, monkeypatch):
    seen = []
    monkeypatch.setattr(metrics, "augment", lambda x, rng: seen.append("augmented") or x)
    x, y = generated.few_per_class(mnist, 2)
    generated.classifier_on(x, y, mnist, epochs=1, augmented=False)
    assert seen == []
    generated.classifier_on(x, y, mnist, epochs=1)
    assert seen == ["augmented"]


def test_augmentation_rows_train_on_the_same_few_digits_each_way(mnist, monkeypatch):
    calls = []

    def fake(images, labels, data, seed=0, epochs=None, verbose=0, augmented=True):
        calls.append((len(images), np.bincount(labels, minlength=10).tolist(), augmented))
        return {"accuracy": 0.5, "worst_class": 0, "worst_accuracy": 0.1}

    monkeypatch.setattr(generated, "classifier_on", fake)
    made = (mnist.x_train[:30], np.arange(30) % 10)
    rows = generated.augmentation_rows(mnist, 2, generated=made)
    assert list(rows) == ["20 real digits", "20 real digits, augmented", "20 real + 30 generated digits",
                          "20 real + 30 generated digits, augmented"]
    assert calls == [(20, [2] * 10, False), (20, [2] * 10, True), (50, [5] * 10, False), (50, [5] * 10, True)]
    with pytest.raises(ValueError, match="generated labels"):
        generated.augmentation_rows(mnist, 2, generated=(made[0], made[1][:5]))
