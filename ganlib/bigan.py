"""BiGAN on MNIST (chapter 9): a generator, an encoder and a discriminator of (image, code) pairs.

A GAN's generator has no way back from an image to its noise. BiGAN (Donahue et al. 2017; ALI,
Dumoulin et al., is the same model) adds an encoder E and lets D judge pairs, (x, E(x)) against
(G(z), z): G and E fool D only when the two kinds of pair look alike, and then E inverts G. E
learns without labels; :func:`linear_probe` measures what its codes know about the digit."""

from __future__ import annotations

import time

import numpy as np

import keras
from keras import layers

from ganlib.checks import check_array, check_images, check_positive_int, check_type
from ganlib.training import GAN, Run, SampleMetrics, Snapshots, predict
from ganlib.models import chain, compact_dcgan_generator, compact_image_trunk
from ganlib.config import BiGANConfig, bigan_config
from ganlib.data import balanced_indices
from ganlib import checkpoint, metrics
from ganlib.conditional import Pix2Pix, training_digits


def bigan_encoder(latent_dim: int = 64, name: str = "encoder") -> keras.Sequential:
    """Image -> code: chapter 5's compact discriminator, a linear Dense(latent_dim) for its verdict."""
    latent_dim = check_positive_int("latent_dim", latent_dim)
    return keras.Sequential([*compact_image_trunk(), layers.Dense(latent_dim)], name=name)


def bigan_discriminator(latent_dim: int = 64, name: str = "discriminator") -> keras.Model:
    """(image, code) -> P(real pair): convolutions on the image, a Dense layer on the code, joined and
    judged. No batch norm: D sees one kind of pair per step. Defined in chapter 9."""
    image = keras.Input((28, 28, 1), name="image")
    code = keras.Input((check_positive_int("latent_dim", latent_dim),), name="code")
    h = chain([layers.Conv2D(64, 4, strides=2, padding="same"), layers.LeakyReLU(negative_slope=0.2),
               layers.Conv2D(128, 4, strides=2, padding="same"), layers.LeakyReLU(negative_slope=0.2),
               layers.Flatten()], image)
    c = layers.LeakyReLU(negative_slope=0.2)(layers.Dense(512)(code))
    j = layers.LeakyReLU(negative_slope=0.2)(layers.Dense(512)(layers.Concatenate()([h, c])))
    return keras.Model([image, code], layers.Dense(1, activation="sigmoid")(j), name=name)


class BiGAN(GAN):
    """G, E and D of (image, code) pairs; G and E share one optimizer and learn in the same steps,
    the labels swapped. Defined in chapter 9. The objective (Donahue et al. 2017), D's output a probability:

        min_{G,E} max_D  E_x[log D(x, E(x))] + E_z[log(1 - D(G(z), z))]"""

    def __init__(self, generator, encoder, discriminator, **kwargs):
        check_type("encoder", encoder, keras.Model, "keras.Model")
        if not isinstance(discriminator, keras.Model) or len(discriminator.inputs) != 2:
            raise ValueError("discriminator must be a keras.Model with two inputs (image, code)")
        kwargs.setdefault("noise", "normal")
        super().__init__(generator, discriminator, **kwargs)
        if encoder.output_shape[-1] != self.latent_dim:
            raise ValueError(f"the encoder's codes have {encoder.output_shape[-1]} numbers, the "
                             f"generator's noise {self.latent_dim}: they must be the same")
        self.encoder = encoder
        # Averaged over the same rounds as the generator, so the averaged pair invert each other.
        self.ema_encoder = self._averaged(encoder)

    def networks(self):
        return [self.generator, self.encoder, self.discriminator]

    def averaged(self):
        return super().averaged() + ([(self.ema_encoder, self.encoder)] if self.ema_encoder else [])

    def fit(self, x=None, y=None, batch_size=None, *args, **kwargs):
        if isinstance(x, dict):
            raise ValueError("x must be an array of digits (a BiGAN takes no labels or noise)")
        return super().fit(check_images("x", x), y, batch_size, *args, **kwargs)

    def train_round(self, real):
        z_b, z_c, z_d = self.draw(lambda n: [self.sample_noise(n) for _ in range(3)], real)
        D, G, E = self.discriminator, self.generator, self.encoder
        d_real, p_real = self.learn(D, self.d_loss, real, self.run(E, real), 1.0)  # (a)
        _, g_1 = self.learn([G, E], self.ge_loss, real, z_b)  # (b)
        d_fake, p_fake = self.learn(D, self.d_loss, self.run(G, z_c), z_c, 0.0)  # (c)
        _, g_2 = self.learn([G, E], self.ge_loss, real, z_d)  # (d)
        self.update_ema()
        self.record((d_real + d_fake) / 2.0, (g_1 + g_2) / 2.0, p_real, p_fake)

    d_loss = Pix2Pix.d_loss  # D's loss on the pairs (x, z), all labelled ``label``, and its verdicts

    def ge_loss(self, x, z):
        """G and E against the frozen D, the labels swapped: (G(z), z) real and (x, E(x)) fake."""
        fake_pairs, _ = self.d_loss(self.run(self.generator, z), z, 1.0)
        real_pairs, _ = self.d_loss(x, self.run(self.encoder, x), 0.0)
        return fake_pairs + real_pairs, (fake_pairs + real_pairs) / 2.0

    def encode(self, images, use_ema=True):
        """E(x) of ``images`` as a NumPy array (n, latent_dim), by the averaged encoder if any."""
        encoder = self.ema_encoder if use_ema and self.ema_encoder is not None else self.encoder
        return predict(encoder, check_images("images", images))

    def reconstruct(self, images, use_ema=True):
        """G(E(x)): each digit encoded, then drawn again from its code."""
        return self.generate(z=self.encode(images, use_ema), use_ema=use_ema)


def build_bigan(config, seed: int = 0) -> BiGAN:
    """Build and compile chapter 9's BiGAN. Defined in chapter 9."""
    check_type("config", config, BiGANConfig)
    gan = BiGAN(compact_dcgan_generator(config.latent_dim), bigan_encoder(config.latent_dim),
                bigan_discriminator(config.latent_dim), ema_momentum=config.ema_momentum, seed=seed)
    gan.compile(keras.optimizers.Adam(config.d_learning_rate, beta_1=0.5),
                keras.optimizers.Adam(config.learning_rate, beta_1=0.5))
    return gan


def _check_split(split, features, labels):
    """``{split}_features`` as float64 (n, features) and ``{split}_labels`` as int64 (n,)."""
    name = f"{split}_features"
    f = check_array(name, features, dtype="float64")
    if f.ndim != 2 or f.shape[0] == 0 or f.shape[1] == 0:
        raise ValueError(f"{name} must have shape (n, features), got {f.shape}")
    if not np.all(np.isfinite(f)):
        raise ValueError(f"{name} holds NaN or infinite values")
    name, y = f"{split}_labels", np.asarray(labels)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D array of whole-number classes, "
                         f"got shape {y.shape} and dtype {y.dtype}")
    if len(y) != len(f):
        raise ValueError(f"{name} has {len(y)} labels for {len(f)} rows of features: one label per row")
    if y.min() < 0:
        raise ValueError(f"{name} must be classes 0, 1, 2, ..., got {y.min()}")
    return f, y.astype("int64")


def linear_probe(train_features, train_labels, test_features, test_labels, steps: int = 1000,
                 learning_rate: float = 0.05, l2: float = 1e-4) -> dict:
    """Fit softmax regression on the standardised ``train_features`` (``steps`` full-batch Adam
    steps from zero, ``l2`` weight decay) and return its accuracies. Plain NumPy, so the result
    does not depend on the Keras backend. Defined in chapter 9."""
    xtr, ytr = _check_split("train", train_features, train_labels)
    xte, yte = _check_split("test", test_features, test_labels)
    if xtr.shape[1] != xte.shape[1]:
        raise ValueError(f"train_features have {xtr.shape[1]} features per row, test_features "
                         f"{xte.shape[1]}: both must come from the same feature extractor")
    steps = check_positive_int("steps", steps)
    k = int(max(ytr.max(), yte.max())) + 1
    # A feature that never varies in training (a border pixel) is centred but not scaled.
    mean, spread = xtr.mean(axis=0), xtr.std(axis=0)
    spread = np.where(spread > 1e-6, spread, 1.0)
    xtr, xte = (xtr - mean) / spread, (xte - mean) / spread
    # The weights w and the biases b are views of one array, so one Adam update moves both.
    params = np.zeros((xtr.shape[1] + 1, k))
    w, b = params[:-1], params[-1]
    m, v = np.zeros_like(params), np.zeros_like(params)
    onehot, beta1, beta2 = np.eye(k)[ytr], 0.9, 0.999
    for t in range(1, steps + 1):
        logits = xtr @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        err = (p - onehot) / len(xtr)
        grad = np.vstack([xtr.T @ err + 2 * l2 * w, err.sum(axis=0)])
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        params -= learning_rate * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + 1e-8)
    train_pred, test_pred = (xtr @ w + b).argmax(axis=1), (xte @ w + b).argmax(axis=1)
    per_class = [float(np.mean(test_pred[yte == c] == c)) if np.any(yte == c) else None for c in range(k)]
    return {"train_accuracy": float(np.mean(train_pred == ytr)),
            "test_accuracy": float(np.mean(test_pred == yte)),
            "per_class_accuracy": per_class}


class ReconstructionMetrics(SampleMetrics):
    """``SampleMetrics`` plus the :func:`reconstruction_accuracy` of the held-out ``reference`` digits."""

    def __init__(self, classifier, reference, n=2000, seed=7):
        super().__init__(classifier, reference, n, seed)
        self.images = check_images("images", reference)
        self.read = metrics.class_probabilities(self.images, classifier).argmax(axis=1)

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if logs is not None:
            logs["reconstruction_accuracy"] = reconstruction_accuracy(
                self.model, self.images, self.classifier, read=self.read)


def reconstruction_accuracy(gan, images, classifier, read=None) -> float:
    """Share of ``images`` x whose G(E(x)) the classifier reads as x's digit. Defined in chapter 9."""
    x = check_images("images", images)
    if read is None:
        read = metrics.class_probabilities(x, classifier).argmax(axis=1)
    again = metrics.class_probabilities(gan.reconstruct(x), classifier).argmax(axis=1)
    return float(np.mean(again == read))


def train_bigan(config=None, seed: int = 0, out_dir=None, resume: bool = False, data=None,
                classifier=None, verbose="auto", callbacks=()) -> Run:
    """Train chapter 9's BiGAN on MNIST digits without labels as :func:`ganlib.dcgan.train_dcgan` trains."""
    config = config or bigan_config()

    def setup(data):
        x, _ = training_digits(data, config.n_train, config.batch_size)
        return build_bigan(config, seed=seed), x, Snapshots(n=64, seed=2024)

    return checkpoint.train(config, seed, out_dir, resume, data, setup, classifier, verbose,
                            callbacks, scores=ReconstructionMetrics)


def few_label_probe(train_features, train_labels, test_features, test_labels, counts=(10, 100, 1000),
                    draws: int = 5, seed: int = 0, **probe) -> dict:
    """:func:`linear_probe` trained on only ``n`` labelled digits for each ``n`` in ``counts``, equally
    many per class, ``draws`` times (other digits each draw, seeded): ``{n: {"mean", "std",
    "accuracies"}}`` of the test accuracy. The question of semi-supervised learning: what a few
    labels buy on top of features learned without any. Chapter 9."""
    xtr, ytr = _check_split("train", train_features, train_labels)
    draws = check_positive_int("draws", draws)
    classes = np.unique(ytr)
    out = {}
    for n in counts:
        n = check_positive_int("counts", n)
        if n % len(classes):
            raise ValueError(f"counts must be multiples of the {len(classes)} classes, got {n}")
        per_class = n // len(classes)
        balanced_indices(ytr, per_class, np.random.default_rng(0), f"counts ({n} labels)")  # checked first
        accuracies = []
        for draw in range(draws):
            pick = balanced_indices(ytr, per_class, np.random.default_rng([int(seed), n, draw]))
            result = linear_probe(xtr[pick], ytr[pick], test_features, test_labels, **probe)
            accuracies.append(result["test_accuracy"])
        out[n] = {"mean": float(np.mean(accuracies)), "std": float(np.std(accuracies)),
                  "accuracies": accuracies}
    return out


def few_label_line(features, n, result) -> str:
    """``linear probe on <features> with <N> labels: test accuracy X.X% ± Y.Y`` (mean ± std over draws)."""
    return (f"linear probe on {features} with {n} labels: test accuracy {100 * result['mean']:.1f}% "
            f"± {100 * result['std']:.1f}")


def probe_report(gan, data, classifier, seed: int = 0, n_train=None, counts=(10, 100, 1000),
                 draws: int = 5) -> dict:
    """:func:`linear_probe` on three kinds of features of the training digits (BiGAN's encoder, a random one
    of the same shape, raw pixels) with every label (``probe``) and with few (``few_labels``,
    :func:`few_label_probe` with ``draws`` and those of ``counts`` that the training digits can
    give equally per class), and the held-out digits' :func:`reconstruction_accuracy`. Chapter 9."""
    check_type("gan", gan, BiGAN)
    x_train, y_train = data.x_train[:n_train], data.y_train[:n_train]
    # Only the label counts the training digits can give equally per class (a slice may not).
    classes, sizes = np.unique(y_train, return_counts=True)
    counts = [n for n in counts if n // len(classes) <= sizes.min()]
    keras.utils.set_random_seed(10_000 + int(seed))
    random_encoder = bigan_encoder(gan.latent_dim, name="random_encoder")
    extractors = {"BiGAN encoder": gan.encode, "random encoder": lambda x: predict(random_encoder, x),
                  "pixels": lambda x: np.asarray(x).reshape(len(x), -1)}
    probe, few = {}, {}
    for name, extract in extractors.items():
        start = time.perf_counter()
        train_features, test_features = extract(x_train), extract(data.x_test)
        result = linear_probe(train_features, y_train, test_features, data.y_test)
        probe[name] = {**result, "seconds": round(time.perf_counter() - start, 1)}
        few[name] = few_label_probe(train_features, y_train, test_features, data.y_test, counts=counts,
                                    draws=draws, seed=seed)
    return {"probe": probe, "few_labels": few,
            "reconstruction_accuracy": reconstruction_accuracy(gan, data.x_test, classifier)}
