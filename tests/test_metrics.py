"""ganlib.metrics: the MNIST classifier, its cache and the sample-quality metrics (chapter 5).

The classifier is trained once per test session, on quick mode's 9,000 digits with quick mode's budget
(3 epochs, about half a minute on two CPU cores), in a temporary cache directory. The full
classifier's accuracy bar (98.5%) is checked by the slow test at the end.
"""

import dataclasses
import json
import math
import time

import keras
import numpy as np
import pytest

from conftest import last_json, needs_jax, run_python
from ganlib import metrics
from ganlib.data import load_mnist

LN10 = math.log(10)


@pytest.fixture(scope="session")
def mnist():
    # Quick mode's digits in every mode: the same data, so the same cache file.
    return load_mnist(source="small")


@pytest.fixture(scope="session")
def quick(mnist, tmp_path_factory):
    """The quick classifier, trained once, and the cache directory that holds it."""
    cache = tmp_path_factory.mktemp("classifier_cache")
    epochs = metrics.default_epochs(len(mnist.x_train), quick=True)
    start = time.perf_counter()
    clf = metrics.get_classifier(mnist, cache_dir=cache, epochs=epochs, verbose=0)
    return {"clf": clf, "cache": cache, "epochs": epochs, "seconds": time.perf_counter() - start}


@pytest.fixture(scope="session")
def clf(quick):
    return quick["clf"]


@pytest.fixture(scope="session")
def noise():
    return np.random.default_rng(0).uniform(-1, 1, (500, 28, 28, 1)).astype("float32")


def tiny_mnist(mnist):
    """600 training and 100 test digits: a classifier that trains in a second or two."""
    return dataclasses.replace(mnist, x_train=mnist.x_train[:600], y_train=mnist.y_train[:600],
                               x_test=mnist.x_test[:100], y_test=mnist.y_test[:100])


# --- the classifier and its cache --------------------------------------------------------------


def test_default_epochs_follow_the_mode():
    assert metrics.default_epochs(9000, quick=False) == 20
    assert metrics.default_epochs(9000, quick=True) == 3
    assert metrics.default_epochs(60000, quick=False) == 3
    assert metrics.default_epochs(60000, quick=True) == 1


def test_quick_classifier_is_accurate_and_cached_with_its_metadata(quick, mnist):
    info = metrics.classifier_info(quick["clf"])
    assert info["from_cache"] is False and info["epochs"] == quick["epochs"] == 3
    assert info["test_accuracy"] >= 0.95, info
    assert info["source"] == "small" and info["test_images"] == 1000
    assert info["keras_version"] == keras.__version__
    files = sorted(p.name for p in quick["cache"].iterdir())  # no temporary files left
    model_path, info_path = metrics.classifier_paths(mnist, 3, cache_dir=quick["cache"])
    assert files == sorted([model_path.name, info_path.name])
    version = metrics.CLASSIFIER_VERSION
    assert model_path.name.startswith(f"mnist_classifier_v{version}_small_3ep_seed0_")
    assert model_path.suffix == ".keras"
    stored = json.loads(info_path.read_text(encoding="utf-8"))
    assert stored["test_accuracy"] == info["test_accuracy"]
    assert stored["source"] == "small" and stored["keras_version"] == keras.__version__
    # The recorded accuracy is the model's: measure it again.
    probs = metrics.class_probabilities(mnist.x_test, quick["clf"])
    assert np.mean(probs.argmax(axis=1) == mnist.y_test) == pytest.approx(info["test_accuracy"])


def test_second_call_loads_the_cache_fast_with_the_same_predictions(quick, mnist):
    start = time.perf_counter()
    again = metrics.get_classifier(mnist, cache_dir=quick["cache"], epochs=quick["epochs"],
                                   verbose=0)
    seconds = time.perf_counter() - start
    assert again is not quick["clf"] and metrics.classifier_info(again)["from_cache"] is True
    assert seconds < 10 and seconds < quick["seconds"] / 2, (seconds, quick["seconds"])
    x = mnist.x_test[:200]
    np.testing.assert_allclose(metrics.class_probabilities(x, again),
                               metrics.class_probabilities(x, quick["clf"]), rtol=0, atol=1e-6)


def test_cache_key_follows_epochs_seed_and_data(mnist, tmp_path):
    tiny = tiny_mnist(mnist)
    base = metrics.classifier_paths(tiny, 1, cache_dir=tmp_path)[0]
    assert metrics.classifier_paths(tiny, 2, cache_dir=tmp_path)[0] != base
    assert metrics.classifier_paths(tiny, 1, seed=1, cache_dir=tmp_path)[0] != base
    assert metrics.classifier_paths(mnist, 1, cache_dir=tmp_path)[0] != base
    assert metrics.classifier_paths(tiny, 1, cache_dir=str(tmp_path))[0] == base


def test_default_cache_dir_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(metrics.CACHE_ENV, str(tmp_path / "here"))
    assert metrics.default_cache_dir() == tmp_path / "here"
    monkeypatch.delenv(metrics.CACHE_ENV)
    assert metrics.default_cache_dir() == metrics.Path.home() / ".cache" / "ganlib"


@pytest.fixture
def fake_training(monkeypatch):
    """Replace training by an untrained model (the cache logic is the same); count the calls."""
    calls = []

    def train(data, epochs, seed=0, verbose=1):
        calls.append(seed)
        return metrics.build_classifier(seed), metrics._training_info(data, epochs, seed, 0.5, 0)

    monkeypatch.setattr(metrics, "train_classifier", train)
    return calls


def test_a_broken_cache_is_retrained(mnist, tmp_path, fake_training):
    tiny = tiny_mnist(mnist)
    model_path, info_path = metrics.classifier_paths(tiny, 1, cache_dir=tmp_path)

    def get(**kwargs):
        before = len(fake_training)
        clf = metrics.get_classifier(tiny, cache_dir=tmp_path, epochs=1, verbose=0, **kwargs)
        from_cache = metrics.classifier_info(clf)["from_cache"]
        assert from_cache == (len(fake_training) == before)
        return from_cache

    assert get() is False and get() is True
    # Garbage in the model file (and, separately, a truncated one): retrained, then loadable.
    model_path.write_bytes(b"this is not a keras file" * 10)
    assert get() is False and get() is True
    model_path.write_bytes(model_path.read_bytes()[:1000])
    assert get() is False and get() is True
    # Metadata without the test accuracy, unreadable, or missing: retrained.
    info = json.loads(info_path.read_text(encoding="utf-8"))
    del info["test_accuracy"]
    info_path.write_text(json.dumps(info), encoding="utf-8")
    assert get() is False and get() is True
    info_path.write_text("{not json", encoding="utf-8")
    assert get() is False and get() is True
    info_path.unlink()
    assert get() is False and get() is True
    # A model file swapped for another valid one no longer matches the recorded hash.
    other = metrics.classifier_paths(tiny, 1, seed=1, cache_dir=tmp_path)[0]
    metrics.get_classifier(tiny, cache_dir=tmp_path, epochs=1, seed=1, verbose=0)
    model_path.write_bytes(other.read_bytes())
    assert get() is False and get() is True
    assert get(retrain=True) is False and get() is True
    assert fake_training == [0] * 6 + [1, 0, 0]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files


def test_a_failed_save_leaves_nothing_half_written(mnist, tmp_path, monkeypatch, fake_training):
    def broken_save(self, path, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(b"half a model")
        raise OSError("disk full")

    monkeypatch.setattr(keras.Model, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        metrics.get_classifier(tiny_mnist(mnist), cache_dir=tmp_path, epochs=1, verbose=0)
    assert list(tmp_path.iterdir()) == []


def test_verbose_training_reports_progress(mnist, tmp_path, capsys):
    metrics.get_classifier(tiny_mnist(mnist), cache_dir=tmp_path, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert "Training the MNIST classifier" in out and "test accuracy" in out
    metrics.get_classifier(tiny_mnist(mnist), cache_dir=tmp_path, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


@needs_jax
def test_the_cached_classifier_loads_and_scores_on_jax(mnist, tmp_path):
    tiny = tiny_mnist(mnist)
    clf = metrics.get_classifier(tiny, cache_dir=tmp_path, epochs=1, verbose=0)
    x = mnist.x_test[:40]
    expected = metrics.evaluate(x, clf, reference=mnist.x_test[40:80], splits=4)
    code = (
        "import dataclasses, json, keras, numpy as np\n"
        "from ganlib import metrics\n"
        "from ganlib.data import load_mnist\n"
        "m = load_mnist(source='small')\n"
        "tiny = dataclasses.replace(m, x_train=m.x_train[:600], y_train=m.y_train[:600],\n"
        "                           x_test=m.x_test[:100], y_test=m.y_test[:100])\n"
        f"clf = metrics.get_classifier(tiny, cache_dir={str(tmp_path)!r}, epochs=1, verbose=0)\n"
        "r = metrics.evaluate(m.x_test[:40], clf, reference=m.x_test[40:80], splits=4)\n"
        "r.update(backend=keras.backend.backend(),\n"
        "         from_cache=metrics.classifier_info(clf)['from_cache'])\n"
        "print(json.dumps(r))\n"
    )
    result = last_json(run_python(code, backend="jax", timeout=300))
    assert result["backend"] == "jax" and result["from_cache"] is True
    assert result["class_histogram"] == expected["class_histogram"]
    for key in ("classifier_score", "fid", "class_kl"):
        assert result[key] == pytest.approx(expected[key], rel=1e-3, abs=1e-3), key


# --- the metrics --------------------------------------------------------------------------------


def test_real_test_digits_score_near_ten(clf, mnist):
    mean, std = metrics.classifier_score(mnist.x_test, clf)
    assert 8.5 < mean <= 10 and 0 < std < 1, (mean, std)


def test_noise_scores_low_and_is_far_from_real_digits(clf, mnist, noise):
    mean, _ = metrics.classifier_score(noise, clf)
    assert 1 <= mean < 3, mean
    blank = -np.ones((100, 28, 28, 1), "float32")
    assert metrics.classifier_score(blank, clf)[0] == pytest.approx(1.0, abs=1e-6)
    real_fid = metrics.frechet_distance(mnist.x_train[:1000], mnist.x_test, clf)
    noise_fid = metrics.frechet_distance(noise, mnist.x_test, clf)
    assert 0 < real_fid < 10 and noise_fid > 20 * real_fid, (real_fid, noise_fid)
    assert metrics.frechet_distance(mnist.x_test, mnist.x_test, clf) == pytest.approx(0, abs=1e-6)
    # A collapsed set (one digit class only) is also far from the real digits.
    ones = mnist.x_test[mnist.y_test == 1]
    assert metrics.frechet_distance(ones, mnist.x_test, clf) > 5 * real_fid


def test_one_repeated_digit_has_maximal_class_kl(clf, mnist):
    same = np.repeat(mnist.x_test[:1], 50, axis=0)
    assert metrics.class_kl(same, clf) == pytest.approx(LN10, abs=0.01)
    result = metrics.evaluate(same, clf)
    assert result["classes_present"] == 1 and result["class_kl"] == pytest.approx(LN10, abs=0.01)
    assert sorted(result["class_histogram"]) == [0] * 9 + [50]
    assert result["classifier_score"] == pytest.approx(1.0, abs=1e-6)


def test_real_test_set_is_balanced(clf, mnist):
    assert metrics.class_kl(mnist.x_test, clf) < 0.05
    counts = metrics.class_histogram(mnist.x_test, clf)
    assert counts.shape == (10,) and counts.dtype == np.int64 and counts.sum() == 1000
    assert counts.min() >= 80  # 100 of each digit, give or take the misreadings


def test_classes_present_ignores_classes_under_one_percent(clf, mnist):
    # 300 images: 297 of the digit 0 and 3 of the digit 1. One 1 is 0.33%, three are 1%.
    zeros = mnist.x_test[(mnist.y_test == 0)][:1]
    ones = mnist.x_test[(mnist.y_test == 1)][:1]
    assert metrics.class_histogram(np.concatenate([zeros, ones]), clf).tolist() == \
        [1, 1] + [0] * 8
    few = np.concatenate([np.repeat(zeros, 299, 0), ones])
    many = np.concatenate([np.repeat(zeros, 297, 0), np.repeat(ones, 3, 0)])
    assert metrics.evaluate(few, clf)["classes_present"] == 1
    assert metrics.evaluate(many, clf)["classes_present"] == 2


def test_evaluate_agrees_with_the_single_metrics(clf, mnist, noise):
    x = mnist.x_train[:300]
    result = metrics.evaluate(x, clf, reference=mnist.x_test)
    assert set(result) == {"n", "classifier_score", "classifier_score_std", "fid", "class_kl",
                           "classes_present", "class_histogram"}
    assert result["n"] == 300 and result["classes_present"] == 10
    assert (result["classifier_score"], result["classifier_score_std"]) == \
        pytest.approx(metrics.classifier_score(x, clf))
    assert result["fid"] == pytest.approx(metrics.frechet_distance(x, mnist.x_test, clf))
    assert result["class_kl"] == pytest.approx(metrics.class_kl(x, clf))
    assert result["class_histogram"] == metrics.class_histogram(x, clf).tolist()
    assert all(type(v) is int for v in result["class_histogram"])
    json.dumps(result)  # plain Python numbers, ready for a results file
    assert metrics.evaluate(x, clf)["fid"] is None
    assert metrics.evaluate(noise, clf, splits=5)["classifier_score"] < 3


def test_metrics_are_deterministic_and_accept_both_shapes(clf, mnist, noise):
    x = np.concatenate([mnist.x_test[:150], noise[:50]])
    first = metrics.evaluate(x, clf, reference=mnist.x_train[:200])
    assert metrics.evaluate(x, clf, reference=mnist.x_train[:200]) == first
    assert metrics.evaluate(x[..., 0], clf, reference=mnist.x_train[:200, ..., 0]) == first
    assert metrics.evaluate(x.astype("float64"), clf, reference=mnist.x_train[:200]) == first
    assert metrics.classifier_score(x, clf) == metrics.classifier_score(x, clf)


def test_frechet_distance_of_known_gaussians():
    # 1-D: N(0, 1) and N(1, 4): 1 + 1 + 4 - 2 * sqrt(1 * 4) = 2.
    assert metrics.gaussian_frechet_distance([0.0], [[1.0]], [1.0], [[4.0]]) == pytest.approx(2)
    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 6))
    cov = a @ a.T
    mu = rng.normal(size=6)
    assert metrics.gaussian_frechet_distance(mu, cov, mu, cov) == pytest.approx(0, abs=1e-8)
    # Commuting (diagonal) covariances: sum of (sqrt(a) - sqrt(b))^2 plus the mean term.
    da, db = rng.uniform(0.5, 2, 6), rng.uniform(0.5, 2, 6)
    expected = np.sum((mu - 1) ** 2) + np.sum((np.sqrt(da) - np.sqrt(db)) ** 2)
    got = metrics.gaussian_frechet_distance(mu, np.diag(da), np.ones(6), np.diag(db))
    assert got == pytest.approx(expected)


def test_frechet_distance_matches_scipy_sqrtm():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(1)
    for dim, n in ((5, 50), (20, 10)):  # the second covariance is singular, like few samples
        fa, fb = rng.normal(size=(n, dim)), rng.normal(1, 2, size=(n, dim)) @ rng.normal(
            size=(dim, dim))
        mu_a, cov_a = fa.mean(0), np.cov(fa, rowvar=False)
        mu_b, cov_b = fb.mean(0), np.cov(fb, rowvar=False)
        covmean = linalg.sqrtm(cov_a @ cov_b).real
        expected = (np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b)
                    - 2 * np.trace(covmean))
        got = metrics.gaussian_frechet_distance(mu_a, cov_a, mu_b, cov_b)
        assert got == pytest.approx(expected, rel=1e-5)


def test_score_formula_limits():
    eye = np.repeat(np.eye(10), 20, axis=0)  # confident and balanced: the maximum, 10
    assert metrics._score_from_probs(eye, splits=1) == pytest.approx((10.0, 0.0))
    assert metrics._score_from_probs(np.full((200, 10), 0.1), splits=4)[0] == pytest.approx(1)
    half = np.repeat(np.eye(10)[:5], 40, axis=0)  # confident, five digits: 5
    assert metrics._score_from_probs(half, splits=1)[0] == pytest.approx(5.0)
    # Splits see consecutive parts: sorted one-hot rows give one class per split, score 1.
    assert metrics._score_from_probs(eye, splits=10) == pytest.approx((1.0, 0.0))


def test_augment_moves_digits_but_keeps_their_ink(mnist):
    x = mnist.x_train[:200]
    same = metrics.augment(x, np.random.default_rng(0), max_shift=0, max_degrees=0, max_zoom=0)
    np.testing.assert_allclose(same, x, atol=1e-6)
    moved = metrics.augment(x, np.random.default_rng(0))
    assert moved.shape == x.shape and moved.dtype == np.float32
    assert moved.min() >= -1 and moved.max() <= 1 and np.abs(moved - x).mean() > 0.05
    ink = lambda a: (a + 1).sum(axis=(1, 2, 3))  # noqa: E731
    np.testing.assert_allclose(ink(moved).mean(), ink(x).mean(), rtol=0.1)
    again = metrics.augment(x, np.random.default_rng(0))
    np.testing.assert_array_equal(moved, again)


# --- bad input ----------------------------------------------------------------------------------

BAD_IMAGES = {
    "strings": (["a", "b"], "numbers"),
    "bool": (np.zeros((4, 28, 28, 1), bool), "numbers"),
    "color": (np.zeros((4, 28, 28, 3), "float32"), r"shape \(n, 28, 28, 1\)"),
    "one image 2-D": (np.zeros((28, 28), "float32"), r"shape \(n, 28, 28, 1\)"),
    "wrong size": (np.zeros((4, 32, 32, 1), "float32"), r"shape \(n, 28, 28, 1\)"),
    "one image": (np.zeros((1, 28, 28, 1), "float32"), "at least 2 images"),
    "empty": (np.zeros((0, 28, 28, 1), "float32"), "at least 2 images"),
    "nan": (np.full((4, 28, 28, 1), np.nan, "float32"), "NaN"),
    "pixels 0..255": (np.full((4, 28, 28, 1), 255.0, "float32"), r"\[-1, 1\]"),
    "below -1": (np.full((4, 28, 28, 1), -1.5, "float32"), r"\[-1, 1\]"),
}


@pytest.mark.parametrize("case", sorted(BAD_IMAGES))
def test_bad_images_are_refused_naming_the_argument(clf, mnist, case):
    bad, message = BAD_IMAGES[case]
    good = mnist.x_test[:20]
    calls = {
        "images": [lambda: metrics.classifier_score(bad, clf, splits=1),
                   lambda: metrics.class_histogram(bad, clf),
                   lambda: metrics.class_kl(bad, clf),
                   lambda: metrics.class_probabilities(bad, clf),
                   lambda: metrics.classifier_features(bad, clf),
                   lambda: metrics.evaluate(bad, clf, splits=1)],
        "images_a": [lambda: metrics.frechet_distance(bad, good, clf)],
        "images_b": [lambda: metrics.frechet_distance(good, bad, clf)],
        "reference": [lambda: metrics.evaluate(good, clf, reference=bad, splits=1)],
    }
    for name, fns in calls.items():
        for fn in fns:
            with pytest.raises(ValueError, match=rf"^{name} .*{message}"):
                fn()


@pytest.mark.parametrize("splits", [0, -1, 1.5, True, "10", 21])
def test_bad_splits_are_refused(clf, mnist, splits):
    x = mnist.x_test[:20]
    with pytest.raises(ValueError, match="^splits"):
        metrics.classifier_score(x, clf, splits=splits)
    with pytest.raises(ValueError, match="^splits"):
        metrics.evaluate(x, clf, splits=splits)


def test_score_needs_at_least_splits_images(clf, mnist):
    with pytest.raises(ValueError, match=r"^splits must be at most the number of images \(9\)"):
        metrics.classifier_score(mnist.x_test[:9], clf)  # the default splits=10
    assert metrics.classifier_score(mnist.x_test[:10], clf)[0] >= 1


def test_bad_classifiers_are_refused(mnist):
    x = mnist.x_test[:20]
    no_features = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                                     keras.layers.Dense(10, activation="softmax")])
    five_classes = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                                     keras.layers.Dense(8, name="features"),
                                     keras.layers.Dense(5, activation="softmax")])
    for bad in ("classifier.keras", None, no_features, five_classes):
        for fn in (lambda: metrics.classifier_score(x, bad),
                   lambda: metrics.frechet_distance(x, x, bad),
                   lambda: metrics.class_histogram(x, bad),
                   lambda: metrics.class_kl(x, bad),
                   lambda: metrics.evaluate(x, bad)):
            with pytest.raises(ValueError, match="^classifier"):
                fn()
    untracked = metrics.build_classifier()
    with pytest.raises(ValueError, match="^classifier did not come from get_classifier"):
        metrics.classifier_info(untracked)


@pytest.mark.parametrize("kwargs, name", [
    ({"data": "mnist"}, "data"),
    ({"data": {"x_train": None}}, "data"),
    ({"epochs": 0}, "epochs"),
    ({"epochs": 2.5}, "epochs"),
    ({"seed": -1}, "seed"),
    ({"seed": True}, "seed"),
    ({"cache_dir": 3}, "cache_dir"),
    ({"retrain": "yes"}, "retrain"),
    ({"verbose": -1}, "verbose"),
])
def test_bad_get_classifier_arguments_are_refused(mnist, tmp_path, kwargs, name):
    args = {"data": tiny_mnist(mnist), "cache_dir": tmp_path, "epochs": 1, "verbose": 0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=f"^{name}"):
        metrics.get_classifier(**args)
    assert list(tmp_path.iterdir()) == []  # refused before any training or writing


def test_bad_gaussians_and_augment_arguments_are_refused(mnist):
    with pytest.raises(ValueError, match="^cov_b"):
        metrics.gaussian_frechet_distance([0, 0], np.eye(2), [0, 0], np.eye(3))
    with pytest.raises(ValueError, match="^mu_b"):
        metrics.gaussian_frechet_distance([0, 0], np.eye(2), [0, np.nan], np.eye(2))
    x = mnist.x_train[:4]
    with pytest.raises(ValueError, match="^rng"):
        metrics.augment(x, 0)
    with pytest.raises(ValueError, match="^max_zoom"):
        metrics.augment(x, np.random.default_rng(0), max_zoom=1.5)
    with pytest.raises(ValueError, match="^max_shift"):
        metrics.augment(x, np.random.default_rng(0), max_shift=-1)


# --- the full classifier -------------------------------------------------------------------------


@pytest.mark.slow
def test_full_classifier_reaches_the_accuracy_bar(mnist, tmp_path):
    start = time.perf_counter()
    clf = metrics.get_classifier(mnist, cache_dir=tmp_path,
                                 epochs=metrics.default_epochs(len(mnist.x_train), quick=False),
                                 verbose=1)
    seconds = time.perf_counter() - start
    info = metrics.classifier_info(clf)
    noise = np.random.default_rng(0).uniform(-1, 1, (1000, 28, 28, 1)).astype("float32")
    report = {
        "test_accuracy": info["test_accuracy"],
        "train_seconds": round(seconds, 1),
        "score_test": metrics.classifier_score(mnist.x_test, clf),
        "score_noise": metrics.classifier_score(noise, clf),
        "fid_train1000_test": metrics.frechet_distance(mnist.x_train[:1000], mnist.x_test, clf),
        "fid_noise_test": metrics.frechet_distance(noise, mnist.x_test, clf),
        "class_kl_test": metrics.class_kl(mnist.x_test, clf),
    }
    print(report)
    assert info["test_accuracy"] >= 0.985, report
    assert report["score_test"][0] > 9.3 and report["score_noise"][0] < 3, report
    assert report["class_kl_test"] < 0.02, report


def test_memorisation_tells_copies_from_new_handwriting():
    """Training digits fed back as 'samples' score near 0; unseen real digits near 1."""
    mnist = load_mnist("small")
    copies = metrics.memorisation(mnist.x_train[:300], mnist, n=300)
    assert copies["ratio"] < 0.01 and copies["indices"].tolist() == list(range(300))
    unseen = metrics.memorisation(mnist.x_test[300:600], mnist, n=300)
    assert 0.9 < unseen["ratio"] < 1.1
    with pytest.raises(ValueError, match="n must be"):
        metrics.memorisation(mnist.x_test[:10], mnist, n=0)
