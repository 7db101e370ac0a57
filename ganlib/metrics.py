"""Sample-quality metrics for generated MNIST digits, without Inception weights.

The Inception score and FID judge photographs with an ImageNet network; for digits this module
uses a small MNIST classifier, trained once and cached on disk, with the same formulas on its
softmax (:func:`classifier_score`) and its 128 ``"features"`` (:func:`frechet_distance`).
Everything is inference only, so fixed inputs give fixed results.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import weakref
from pathlib import Path

import keras
import numpy as np
from keras import layers

from ganlib.data import MNIST, load_mnist
from ganlib.checks import (check_choice, check_images, check_labels, check_non_negative_int,
                           check_number, check_positive_int, check_type, is_number)
from ganlib.files import atomic_write
from ganlib import config

#: Bump when the classifier's architecture or training changes: older cache files are ignored.
CLASSIFIER_VERSION = 2
#: The environment variable that moves the cache (default: ``~/.cache/ganlib``).
CACHE_ENV = "GANLIB_CACHE"
#: Training images seen in full mode (3 epochs of the 60,000 digits, 20 of quick mode's 9,000)
#: and in quick mode (3 epochs of its 9,000 digits).
FULL_TRAINING_SAMPLES, QUICK_TRAINING_SAMPLES = 180_000, 27_000
#: A class counts in ``classes_present`` when it holds at least this fraction of the images.
MIN_CLASS_FRACTION = 0.01
NUM_CLASSES = 10
FEATURES_LAYER = "features"

_BATCH_SIZE, _LEARNING_RATE = 64, 3e-3  # training: Adam, the rate decaying along a cosine to 0
_INFERENCE_BATCH = 512
_EPS = 1e-12

# Per-classifier extras, kept off the Keras objects: metadata and the two-output inference model.
_INFO: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_FEATURE_MODELS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_MNIST = "ganlib.data.MNIST from load_mnist() or None"  # what a ``data`` argument must be


# --- input checks -------------------------------------------------------------------------------
def _check_classifier(classifier):
    """Raise a ValueError unless ``classifier`` is a Keras model shaped like ours."""
    check_type("classifier", classifier, keras.Model, "Keras model from get_classifier()")
    try:
        classifier.get_layer(FEATURES_LAYER)
        out_shape, in_shape = (tuple(tensors[0].shape) for tensors in (classifier.outputs, classifier.inputs))
    except (ValueError, AttributeError, IndexError, TypeError) as exc:
        raise ValueError(f"classifier must be a built Keras model with a layer named "
                         f"{FEATURES_LAYER!r} (see get_classifier()): {exc}") from exc
    if out_shape[-1] != NUM_CLASSES or in_shape[1:] != (28, 28, 1):
        raise ValueError(f"classifier must map (n, 28, 28, 1) images to {NUM_CLASSES} class "
                         f"probabilities, got {in_shape} -> {out_shape}")
    return classifier


def _inputs(classifier, images, min_n: int = 2) -> np.ndarray:
    """Check ``classifier``, then return ``images`` checked."""
    _check_classifier(classifier)
    return check_images("images", images, min_n=min_n)


def _check_splits(splits, n: int) -> int:
    splits = check_positive_int("splits", splits)
    if splits > n:
        raise ValueError(f"splits must be at most the number of images ({n}), got {splits}")
    return splits


def _check_verbose(verbose) -> int:
    if not isinstance(verbose, (int, np.integer)) or verbose < 0:  # True and False count as 1, 0
        raise ValueError(f"verbose must be 0 (silent) or 1 (progress), got {verbose!r}")
    return int(verbose)


# --- the classifier -----------------------------------------------------------------------------
def build_classifier(seed: int = 0):
    """Return the untrained MNIST classifier, a small Keras CNN whose weights and dropout masks ``seed``
    fixes. Pooling after each convolution keeps training on a CPU to minutes. Defined in chapter 5."""
    seed = check_non_negative_int("seed", seed)

    def init(i):
        return keras.initializers.GlorotUniform(seed=seed * 100 + i)

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1), name="image"),
        layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer=init(1), name="conv_1"),
        layers.MaxPooling2D(name="pool_1"),
        layers.Conv2D(64, 3, padding="same", activation="relu", kernel_initializer=init(2), name="conv_2"),
        layers.MaxPooling2D(name="pool_2"),
        layers.Dropout(0.25, seed=seed * 100 + 3, name="dropout_1"),
        layers.Flatten(name="flatten"),
        layers.Dense(128, activation="relu", kernel_initializer=init(4), name=FEATURES_LAYER),
        layers.Dropout(0.5, seed=seed * 100 + 5, name="dropout_2"),
        layers.Dense(NUM_CLASSES, activation="softmax", kernel_initializer=init(6), name="probabilities"),
    ], name="mnist_classifier")


def augment(images, rng, max_shift: float = 2.0, max_degrees: float = 10.0,
            max_zoom: float = 0.1) -> np.ndarray:
    """Return a copy of ``(n, 28, 28, 1)`` images randomly shifted, rotated and zoomed (bilinear,
    the blank page moving in) by ``rng``, a ``numpy.random.Generator``. The classifier trains on
    these copies so that 9,000 digits are enough. Defined in chapter 5."""
    x = check_images("images", images)[..., 0]
    check_type("rng", rng, np.random.Generator, "numpy.random.Generator")
    max_shift, max_degrees, max_zoom = (check_number(name, value, "non-negative") for name, value in (
        ("max_shift", max_shift), ("max_degrees", max_degrees), ("max_zoom", max_zoom)))
    if max_zoom >= 1:
        raise ValueError(f"max_zoom must be below 1, got {max_zoom!r}")
    centre = 13.5
    yy, xx = np.meshgrid(np.arange(28.0) - centre, np.arange(28.0) - centre, indexing="ij")
    out = np.empty_like(x)
    for start in range(0, len(x), 2000):  # chunks keep the index arrays small
        chunk = x[start:start + 2000]
        n = len(chunk)
        angle = np.deg2rad(rng.uniform(-max_degrees, max_degrees, n))
        zoom = 1 + rng.uniform(-max_zoom, max_zoom, n)
        shift = rng.uniform(-max_shift, max_shift, (n, 2))
        # For each output pixel, where it comes from in the input (inverse map about the centre).
        cos, sin = ((f(angle) / zoom)[:, None, None] for f in (np.cos, np.sin))
        sy = cos * yy - sin * xx + centre - shift[:, 0, None, None]
        sx = sin * yy + cos * xx + centre - shift[:, 1, None, None]
        y0, x0 = np.floor(sy), np.floor(sx)
        fy, fx = (sy - y0).astype("float32"), (sx - x0).astype("float32")
        # Pad with the background so every neighbour of a source point exists.
        padded = np.pad(chunk, ((0, 0), (1, 2), (1, 2)), constant_values=-1.0)
        y0, x0 = (np.clip(v.astype(np.int64) + 1, 0, 29) for v in (y0, x0))
        i = np.arange(n)[:, None, None]
        out[start:start + n] = (padded[i, y0, x0] * (1 - fy) * (1 - fx)
                                + padded[i, y0 + 1, x0] * fy * (1 - fx)
                                + padded[i, y0, x0 + 1] * (1 - fy) * fx
                                + padded[i, y0 + 1, x0 + 1] * fy * fx)
    return np.clip(out, -1.0, 1.0)[..., None]


def default_epochs(n_train: int, quick: bool | None = None) -> int:
    """Epochs that show the classifier ``FULL_TRAINING_SAMPLES`` augmented digits
    (``QUICK_TRAINING_SAMPLES`` in quick mode). Defined in chapter 5."""
    n_train = check_positive_int("n_train", n_train)
    quick = config.is_quick() if quick is None else quick
    samples = QUICK_TRAINING_SAMPLES if quick else FULL_TRAINING_SAMPLES
    return max(1, round(samples / n_train))


def train_classifier(data: MNIST, epochs: int, seed: int = 0, verbose: int = 1, augmented: bool = True):
    """Train a fresh classifier on freshly augmented digits each epoch (``augmented=False``: the
    digits as they are): ``(model, info)``. Prefer :func:`get_classifier`, which caches the result.
    Defined in chapter 5."""
    data = check_type("data", data, MNIST, _MNIST)
    if not isinstance(augmented, bool):
        raise ValueError(f"augmented must be True or False, got {augmented!r}")
    epochs = check_positive_int("epochs", epochs)
    seed = check_non_negative_int("seed", seed)
    verbose = _check_verbose(verbose)
    start = time.perf_counter()
    model = build_classifier(seed)
    steps_per_epoch = math.ceil(len(data.x_train) / _BATCH_SIZE)
    schedule = keras.optimizers.schedules.CosineDecay(_LEARNING_RATE, epochs * steps_per_epoch)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        order = rng.permutation(len(data.x_train))
        x = augment(data.x_train[order], rng) if augmented else data.x_train[order]
        history = model.fit(x, data.y_train[order], batch_size=_BATCH_SIZE, epochs=1,
                            shuffle=False, verbose=0)
        if verbose:
            print(f"  classifier epoch {epoch + 1}/{epochs}: loss {history.history['loss'][-1]:.4f}, "
                  f"train accuracy (augmented) {history.history['accuracy'][-1]:.4f}", flush=True)
    seconds = time.perf_counter() - start
    # Hand back an uncompiled copy, as get_classifier loads it: the optimizer's state is not
    # needed for inference and would triple the size of the cache file.
    trained = build_classifier(seed)
    trained.set_weights(model.get_weights())
    accuracy = float(np.mean(_activations(data.x_test, trained)[1].argmax(axis=1) == data.y_test))
    if verbose:
        print(f"  classifier test accuracy {accuracy:.4f} ({data.source} MNIST, "
              f"{len(data.x_test)} test digits), trained in {seconds:.0f} s", flush=True)
    return trained, _training_info(data, epochs, seed, accuracy, seconds)


def _cache_key(data: MNIST, epochs: int, seed: int) -> dict:
    """What a cached classifier's metadata must match for it to be used."""
    return {"source": data.source, "epochs": epochs, "seed": seed,
            "classifier_version": CLASSIFIER_VERSION, "data_fingerprint": _fingerprint(data)}


def _training_info(data: MNIST, epochs: int, seed: int, accuracy: float, seconds: float) -> dict:
    """The metadata saved next to a trained classifier (the model file's hash is added on save)."""
    return dict(_cache_key(data, epochs, seed), test_accuracy=float(accuracy),
                test_images=int(len(data.x_test)), train_images=int(len(data.x_train)),
                train_seconds=round(float(seconds), 1), keras_version=keras.__version__,
                backend=keras.backend.backend())


def _fingerprint(data: MNIST) -> str:
    """A short hash of the images and labels, so a cache file is only used for its own data."""
    h = hashlib.sha256()
    for key in ("x_train", "y_train", "x_test", "y_test"):
        array = np.ascontiguousarray(getattr(data, key))
        h.update(f"{key}{array.shape}{array.dtype}".encode())
        h.update(array.tobytes())
    return h.hexdigest()[:12]


def default_cache_dir() -> Path:
    """``$GANLIB_CACHE`` when set, else ``~/.cache/ganlib``. Defined in chapter 5."""
    value = os.environ.get(CACHE_ENV, "").strip()
    return Path(value).expanduser() if value else Path.home() / ".cache" / "ganlib"


def classifier_paths(data: MNIST, epochs: int, seed: int = 0, cache_dir=None):
    """``(model_path, info_path)`` of the cached classifier: a ``.keras`` file (readable by every
    backend) named by the settings and a hash of the data, and its ``.json``. Chapter 5."""
    data = check_type("data", data, MNIST, _MNIST)
    epochs = check_positive_int("epochs", epochs)
    seed = check_non_negative_int("seed", seed)
    cache_dir = default_cache_dir() if cache_dir is None else cache_dir
    cache_dir = Path(check_type("cache_dir", cache_dir, (str, os.PathLike), "path or None")).expanduser()
    source = "".join(c if c.isalnum() else "_" for c in str(data.source))
    stem = f"mnist_classifier_v{CLASSIFIER_VERSION}_{source}_{epochs}ep_seed{seed}_{_fingerprint(data)}"
    return cache_dir / f"{stem}.keras", cache_dir / f"{stem}.json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()  # a few MB


def _save(model, info: dict, model_path: Path, info_path: Path) -> None:
    """Save the model, then its JSON (which records the model file's hash), each atomically."""
    model_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(model_path, lambda tmp: model.save(tmp), suffix=".keras")
    text = json.dumps(dict(info, model_sha256=_sha256(model_path)), indent=2, sort_keys=True)
    atomic_write(info_path, lambda tmp: Path(tmp).write_text(text + "\n", encoding="utf-8"), suffix=".json")


def _load(model_path: Path, info_path: Path, expected: dict):
    """Return ``(model, info)`` from the cache; raise (any exception) if it is unusable."""
    info = json.loads(Path(info_path).read_text(encoding="utf-8"))
    if not isinstance(info, dict):
        raise ValueError("the metadata is not a JSON object")
    accuracy = info.get("test_accuracy")
    if not is_number(accuracy) or not 0 <= accuracy <= 1:
        raise ValueError(f"the metadata has no valid test_accuracy ({accuracy!r})")
    for key, value in expected.items():
        if info.get(key) != value:
            raise ValueError(f"the metadata's {key} is {info.get(key)!r}, expected {value!r}")
    if info.get("model_sha256") != _sha256(model_path):
        raise ValueError("the model file does not match the hash in its metadata")
    model = keras.saving.load_model(model_path, compile=False)
    _check_classifier(model)
    return model, info


def get_classifier(data: MNIST | None = None, cache_dir=None, retrain: bool = False,
                   epochs: int | None = None, seed: int = 0, verbose: int = 1):
    """The MNIST classifier the metrics use, trained on first use and cached in ``cache_dir``
    with a JSON of its test accuracy, settings and file hash; a missing or mismatched cache, or
    ``retrain=True``, trains a new one: about 3 minutes on two CPU cores for 99.5% test accuracy
    (quick mode: half a minute, 98%). Defined in chapter 5."""
    data = check_type("data", load_mnist() if data is None else data, MNIST, _MNIST)
    check_choice("retrain", retrain, (True, False))
    epochs = default_epochs(len(data.x_train)) if epochs is None else epochs
    verbose = _check_verbose(verbose)
    model_path, info_path = classifier_paths(data, epochs, seed, cache_dir)  # checks them all
    if not retrain:
        if not model_path.exists():
            reason = "no cached classifier"
        elif not info_path.exists():
            reason = f"{info_path.name} (its test accuracy) is missing"
        else:
            try:
                model, info = _load(model_path, info_path, _cache_key(data, epochs, seed))
            except Exception as exc:  # a corrupt file can fail in many ways: retrain
                reason = f"the cached classifier is unusable ({type(exc).__name__}: {exc})"
            else:
                _INFO[model] = dict(info, path=str(model_path), from_cache=True)
                return model
    if verbose:
        action = "Retraining the MNIST classifier" if retrain else \
            f"Training the MNIST classifier for the metrics ({reason})"
        print(f"{action}; it will be cached at {model_path}", flush=True)
    model, info = train_classifier(data, epochs, seed=seed, verbose=verbose)
    _save(model, info, model_path, info_path)
    _INFO[model] = dict(info, path=str(model_path), from_cache=False)
    return model


def classifier_info(classifier) -> dict:
    """The metadata of a classifier from :func:`get_classifier` (``test_accuracy``, settings,
    ``path``, ``from_cache``). Defined in chapter 5."""
    if _check_classifier(classifier) not in _INFO:
        raise ValueError("classifier did not come from get_classifier(), so it has no "
                         "recorded test accuracy")
    return dict(_INFO[classifier])


# --- the metrics --------------------------------------------------------------------------------
def _feature_model(classifier):
    """The classifier with two outputs: the ``features`` layer and the class probabilities."""
    if classifier not in _FEATURE_MODELS:
        _FEATURE_MODELS[classifier] = keras.Model(
            classifier.inputs[0], [classifier.get_layer(FEATURES_LAYER).output, classifier.outputs[0]],
            name=f"{classifier.name}_features")
    return _FEATURE_MODELS[classifier]


def _activations(x: np.ndarray, classifier):
    """Return float64 ``(features, probabilities)`` of checked images ``x``, in inference mode
    (dropout off) and in batches of one size (the last padded with blank images), so the model
    is compiled once and the same images always give the same numbers."""
    model, n, size = _feature_model(classifier), len(x), _INFERENCE_BATCH
    x = np.concatenate([x, np.full((-n % size, 28, 28, 1), -1.0, dtype="float32")])
    outputs = [model.predict_on_batch(x[start:start + size]) for start in range(0, n, size)]
    features, probs = (np.concatenate([np.asarray(out[k]) for out in outputs])[:n] for k in (0, 1))
    return features.astype("float64"), probs.astype("float64")


def class_probabilities(images, classifier) -> np.ndarray:
    """The classifier's ``(n, 10)`` probabilities p(y|x) for ``images``. Defined in chapter 5."""
    return _activations(_inputs(classifier, images), classifier)[1]


def classifier_features(images, classifier) -> np.ndarray:
    """The classifier's ``(n, 128)`` ``features`` activations. Defined in chapter 5."""
    return _activations(_inputs(classifier, images), classifier)[0]


def _counts(probs: np.ndarray) -> np.ndarray:
    """How many images fall in each class (their most probable one): int64, length 10."""
    return np.bincount(probs.argmax(axis=1), minlength=NUM_CLASSES).astype("int64")


def _score_from_probs(probs: np.ndarray, splits: int):
    p = np.clip(probs, _EPS, 1.0)
    p = p / p.sum(axis=1, keepdims=True)
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(axis=0, keepdims=True)  # p(y) over this split
        kl = np.sum(part * (np.log(part) - np.log(marginal)), axis=1)  # KL(p(y|x) || p(y))
        scores.append(math.exp(float(np.mean(kl))))
    return float(np.mean(scores)), float(np.std(scores))


def classifier_score(images, classifier, splits: int = 10):
    """``(mean, std)`` over ``splits`` parts, as in the paper, of ``exp(E_x KL(p(y|x) || p(y)))``:
    1 to 10, high when each image is clearly one digit and the digits are varied. Smaller splits
    estimate p(y) worse and score lower: compare scores of equally many images. Chapter 5."""
    x = _inputs(classifier, images)
    splits = _check_splits(splits, len(x))
    return _score_from_probs(_activations(x, classifier)[1], splits)


def gaussian_frechet_distance(mu_a, cov_a, mu_b, cov_b) -> float:
    """The Fréchet distance between N(mu_a, cov_a) and N(mu_b, cov_b), ``|mu_a - mu_b|^2 +
    tr(cov_a) + tr(cov_b) - 2 tr((cov_a cov_b)^(1/2))``, without scipy: cov_a cov_b has the
    eigenvalues of the symmetric ``sqrt(cov_a) cov_b sqrt(cov_a)``, so the last trace is the sum
    of their square roots. Defined in chapter 5."""
    mu_a, mu_b = np.asarray(mu_a, "float64"), np.asarray(mu_b, "float64")
    cov_a, cov_b = np.atleast_2d(cov_a).astype("float64"), np.atleast_2d(cov_b).astype("float64")
    d = mu_a.shape[0] if mu_a.ndim == 1 else -1
    for name, value, shape in (("mu_a", mu_a, (d,)), ("mu_b", mu_b, (d,)),
                               ("cov_a", cov_a, (d, d)), ("cov_b", cov_b, (d, d))):
        if d < 1 or value.shape != shape or not np.all(np.isfinite(value)):
            raise ValueError(f"{name} must be finite with shape {shape if d >= 1 else '(d,)'}, "
                             f"got {value.shape}")
    w, v = np.linalg.eigh((cov_a + cov_a.T) / 2)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = root_a @ cov_b @ root_a
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_sqrt = float(np.sum(np.sqrt(np.clip(eigenvalues, 0, None))))
    diff = mu_a - mu_b
    distance = float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt)
    return max(distance, 0.0)  # rounding can leave a tiny negative number for equal sets


def _feature_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The Fréchet distance between the Gaussians fitted to two sets of feature rows."""
    return gaussian_frechet_distance(a.mean(axis=0), np.cov(a, rowvar=False),
                                     b.mean(axis=0), np.cov(b, rowvar=False))


def frechet_distance(images_a, images_b, classifier) -> float:
    """Return the FID formula on the classifier's 128 ``features`` of two image sets (at least 2
    images each): 0 when they look alike to the classifier. Like FID it shrinks as the sets grow,
    so compare distances computed on the same number of images. Defined in chapter 5."""
    _check_classifier(classifier)
    a, b = check_images("images_a", images_a, min_n=2), check_images("images_b", images_b, min_n=2)
    return _feature_distance(_activations(a, classifier)[0], _activations(b, classifier)[0])


def kl_from_uniform(counts) -> float:
    """KL(frequencies || uniform) in nats of a histogram of ``k`` bins: 0 for equal counts, ``ln
    k`` (the most) for one full bin or an empty histogram. Defined in chapter 5."""
    counts = np.asarray(counts, dtype="float64")
    if counts.ndim != 1 or len(counts) == 0 or np.any(counts < 0) or not np.all(np.isfinite(counts)):
        raise ValueError(f"counts must be a non-empty 1-D array of non-negative numbers, got {counts!r}")
    k = len(counts)
    if counts.sum() == 0:
        return float(math.log(k))
    freq = counts / counts.sum()
    nonzero = freq[freq > 0]
    return float(np.sum(nonzero * np.log(nonzero * k)))


def class_histogram(images, classifier) -> np.ndarray:
    """How many images the classifier reads as each digit. Defined in chapter 5."""
    return _counts(_activations(_inputs(classifier, images), classifier)[1])


def class_kl(images, classifier) -> float:
    """:func:`kl_from_uniform` of the images' digits: ln 10 (about 2.303) for one repeated digit,
    the value a collapsing generator climbs toward. Defined in chapter 5."""
    return kl_from_uniform(class_histogram(images, classifier))


def evaluate(images, classifier, reference=None, splits: int = 10) -> dict:
    """All the metrics of ``images``, the classifier seeing each set once (``fid`` None without
    ``reference``); ``classes_present`` counts the classes holding at least ``MIN_CLASS_FRACTION``
    of the images, so that stray misreadings of a collapsed generator do not count. Chapter 5."""
    x = _inputs(classifier, images)
    splits = _check_splits(splits, len(x))
    ref = None if reference is None else check_images("reference", reference, min_n=2)
    features, probs = _activations(x, classifier)
    counts = _counts(probs)
    score, score_std = _score_from_probs(probs, splits)
    return {"n": int(len(x)), "classifier_score": score, "classifier_score_std": score_std,
            "fid": None if ref is None else _feature_distance(features, _activations(ref, classifier)[0]),
            "class_kl": kl_from_uniform(counts),
            "classes_present": int(np.sum(counts / counts.sum() >= MIN_CLASS_FRACTION)),
            "class_histogram": counts.tolist()}


# --- image-to-image metrics (chapter 8) -----------------------------------------------------------
def _check_pair(a, b):
    a, b = check_images("images", a), check_images("reference", b)
    if a.shape != b.shape:
        raise ValueError(f"images and reference must have the same shape, got {a.shape} and {b.shape}")
    return a[..., 0].astype("float64"), b[..., 0].astype("float64")


def psnr(images, reference) -> np.ndarray:
    """Peak signal-to-noise ratio of each image against its reference, in dB: 10 log10(R^2 / MSE)
    with R = 2, the range of [-1, 1]; infinite for an exact copy. Defined in chapter 8."""
    a, b = _check_pair(images, reference)
    mse = np.mean((a - b) ** 2, axis=(1, 2))
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(4.0 / mse)


def _box_mean(x, size):
    """Mean over every ``size`` x ``size`` window that fits inside the image (valid positions)."""
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(1, 2))
    return windows.mean(axis=(-2, -1))


def ssim(images, reference, win_size: int = 7) -> np.ndarray:
    """Structural similarity (Wang et al. 2004) of each image against its reference, 1 for a copy:
    scikit-image's ``structural_similarity`` with its defaults and ``data_range=2``. Chapter 8."""
    a, b = _check_pair(images, reference)
    win_size = check_positive_int("win_size", win_size)
    if win_size % 2 == 0 or win_size > min(a.shape[1:]):
        raise ValueError(f"win_size must be odd and at most the image size, got {win_size}")
    c1, c2 = (0.01 * 2.0) ** 2, (0.03 * 2.0) ** 2
    cov_norm = win_size ** 2 / (win_size ** 2 - 1.0)  # sample (not population) covariance
    ux, uy = _box_mean(a, win_size), _box_mean(b, win_size)
    vx = cov_norm * (_box_mean(a * a, win_size) - ux * ux)
    vy = cov_norm * (_box_mean(b * b, win_size) - uy * uy)
    vxy = cov_norm * (_box_mean(a * b, win_size) - ux * uy)
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux ** 2 + uy ** 2 + c1) * (vx + vy + c2))
    return s.mean(axis=(1, 2))


def sharpness(images) -> np.ndarray:
    """Root-mean-square gradient of each image on [0, 1] pixels. Squared, not plain |gradient|: an edge
    blurred over 4 pixels keeps the same total rise (the mean of |gradient| would not change) but has half
    the RMS, so crisp strokes score high and blurred ones low. Defined in chapter 8."""
    x = (check_images("images", images)[..., 0].astype("float64") + 1.0) / 2.0
    dx, dy = np.diff(x, axis=2)[:, :-1, :], np.diff(x, axis=1)[:, :, :-1]
    return np.sqrt((dx ** 2 + dy ** 2).mean(axis=(1, 2)))


def classifier_accuracy(images, labels, classifier) -> float:
    """Fraction of ``images`` the classifier reads as their ``labels``. Defined in chapter 8."""
    x = _inputs(classifier, images, min_n=1)
    labels = check_labels("labels", labels, n=len(x))
    return float(np.mean(_activations(x, classifier)[1].argmax(axis=1) == labels))


def nearest_training_digits(images, x_train, chunk: int = 500):
    """``(distances, indices)``: each image's exact pixel distance to its nearest training digit."""
    x = check_images("images", images).reshape(-1, 784).astype("float32")
    train = check_images("x_train", x_train).reshape(-1, 784).astype("float32")
    train_sq = (train ** 2).sum(axis=1)
    distances, indices = [], []
    for start in range(0, len(x), check_positive_int("chunk", chunk)):
        part = x[start:start + chunk]
        squared = (part ** 2).sum(axis=1)[:, None] + train_sq[None, :] - 2.0 * part @ train.T
        nearest = squared.argmin(axis=1)
        indices.append(nearest)
        distances.append(np.sqrt(np.maximum(squared[np.arange(len(part)), nearest], 0.0)))
    return np.concatenate(distances), np.concatenate(indices)


def memorisation(images, data: MNIST, n: int = 1000) -> dict:
    """Does a generator copy its training digits? The median distance from ``n`` generated
    ``images`` to their nearest training digit over the same median for ``n`` test digits: near
    1, samples are as far from the training set as new handwriting is; well below 1, some are
    (near-)copies, or blurred: look at the pairs (``indices``). Defined in chapter 5."""
    data = check_type("data", data, MNIST, _MNIST)
    n = min(check_positive_int("n", n), len(data.x_test))
    generated, indices = nearest_training_digits(np.asarray(images)[:n], data.x_train)
    real, _ = nearest_training_digits(data.x_test[:n], data.x_train)
    return {"ratio": float(np.median(generated) / np.median(real)),
            "generated_median": float(np.median(generated)), "test_median": float(np.median(real)),
            "indices": indices}
