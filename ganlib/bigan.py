"""BiGAN on MNIST (chapter 9): a generator, an encoder and a discriminator of (image, code) pairs.

A GAN's generator maps noise z to an image; it has no way back. BiGAN (Donahue et al. 2017;
Dumoulin et al.'s ALI is the same model) adds an encoder E from an image to a code, and lets the
discriminator judge *pairs*: real digits with their codes, (x, E(x)), against generated digits
with the noise they came from, (G(z), z). The only way for G and E to fool D is for the two kinds
of pair to look alike, and then E inverts G. E learns without labels; :func:`linear_probe` then
measures what its codes know about the digit.

Trained by the fused four-step round of :class:`ganlib.training.GAN` (explicit variable lists,
TensorFlow and JAX): (a) D learns that (x, E(x)) pairs are real; (b) G and E learn together, with
the labels swapped: (G(z), z) real and (x, E(x)) fake; (c) D learns that (G(z), z) pairs are
fake; (d) as (b).
"""

from __future__ import annotations

import time

import numpy as np

import keras
from keras import layers, ops

from ganlib.checks import check_config, check_positive_int
from ganlib.training import GAN, Run, SampleMetrics, Snapshots, predict
from ganlib.models import compact_dcgan_generator, compact_image_trunk
from ganlib.config import BiGANConfig, bigan_config, set_seed
from ganlib import checkpoint, metrics
from ganlib.conditional import training_digits
from ganlib.data import load_mnist


def bigan_encoder(latent_dim: int = 64, name: str = "encoder") -> keras.Sequential:
    """Image -> code: chapter 5's compact discriminator with a linear Dense(latent_dim) in place
    of its verdict. Conv(64, 4x4, stride 2) + LeakyReLU(0.2) -> Conv(128, 4x4, stride 2) + BN +
    LeakyReLU -> Conv(256, 4x4, stride 2) + BN + LeakyReLU -> Flatten -> Dense(latent_dim).
    Defined in chapter 9."""

    latent_dim = check_positive_int("latent_dim", latent_dim)
    return keras.Sequential([*compact_image_trunk(), layers.Dense(latent_dim)], name=name)


def bigan_discriminator(latent_dim: int = 64, name: str = "discriminator") -> keras.Model:
    """(image, code) -> P(real pair). The image through Conv(64, 4x4, stride 2) and Conv(128,
    4x4, stride 2) with LeakyReLU(0.2), the code through Dense(512) + LeakyReLU, both joined and
    judged by Dense(512) + LeakyReLU -> Dense(1, sigmoid). No batch norm: D sees one kind of pair
    per step. Defined in chapter 9."""
    latent_dim = check_positive_int("latent_dim", latent_dim)
    image = keras.Input((28, 28, 1), name="image")
    code = keras.Input((latent_dim,), name="code")
    h = layers.Conv2D(64, 4, strides=2, padding="same")(image)
    h = layers.LeakyReLU(negative_slope=0.2)(h)
    h = layers.Conv2D(128, 4, strides=2, padding="same")(h)
    h = layers.LeakyReLU(negative_slope=0.2)(h)
    h = layers.Flatten()(h)
    c = layers.LeakyReLU(negative_slope=0.2)(layers.Dense(512)(code))
    j = layers.Concatenate()([h, c])
    j = layers.LeakyReLU(negative_slope=0.2)(layers.Dense(512)(j))
    return keras.Model([image, code], layers.Dense(1, activation="sigmoid")(j), name=name)


def _check_images(images, name="images"):
    try:
        x = np.asarray(images, dtype="float32")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of 28x28 digits, got {type(images).__name__}") from exc
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[1:] != (28, 28, 1) or len(x) == 0:
        raise ValueError(f"{name} must have shape (n, 28, 28) or (n, 28, 28, 1), got {x.shape}")
    return x


class BiGAN(GAN):
    """Generator G (noise -> image), encoder E (image -> code) and discriminator D of
    (image, code) pairs, trained by the four-step round; G and E share one optimizer and learn
    in the same steps. Train with ``fit(x)``.

    D learns to tell real pairs (x, E(x)) from generated pairs (G(z), z); G and E learn to fool
    it, the labels swapped. The objective (Donahue et al. 2017), with D's output a probability:

        min_{G,E} max_D  E_x[log D(x, E(x))] + E_z[log(1 - D(G(z), z))]

    Defined in chapter 9.
    """

    def __init__(self, generator, encoder, discriminator, **kwargs):
        if not isinstance(encoder, keras.Model):
            raise ValueError(f"encoder must be a keras.Model, got {type(encoder).__name__}")
        if not isinstance(discriminator, keras.Model) or len(discriminator.inputs) != 2:
            raise ValueError("discriminator must be a keras.Model with two inputs (image, code)")
        kwargs.setdefault("noise", "normal")
        super().__init__(generator, discriminator, **kwargs)
        if encoder.output_shape[-1] != self.latent_dim:
            raise ValueError(f"the encoder's codes have {encoder.output_shape[-1]} numbers, the "
                             f"generator's noise {self.latent_dim}: they must be the same")
        self.encoder = encoder
        # Averaged over the same rounds as the generator, so the averaged pair still invert
        # each other.
        self.ema_encoder = self._averaged(encoder)

    def networks(self):
        return [self.generator, self.encoder, self.discriminator]

    def averaged(self):
        return [*super().averaged(), *([(self.ema_encoder, self.encoder)] if self.ema_encoder else [])]

    def call(self, z, training=False):
        """D(G(z), z): the probability D gives generated pairs."""
        z = ops.convert_to_tensor(z)
        return self.discriminator([self.generator(z, training=training), z], training=training)

    def fit(self, x=None, y=None, batch_size=None, *args, **kwargs):
        if isinstance(x, dict):
            raise ValueError("x must be an array of digits (a BiGAN takes no labels or noise)")
        return super().fit(_check_images(x, "x"), y, batch_size, *args, **kwargs)

    # -- the round ----------------------------------------------------------------------------

    def train_round(self, real):
        z_b, z_c, z_d = self.draw(lambda n: [self.sample_noise(n) for _ in range(3)], real)
        D, G, E = self.discriminator, self.generator, self.encoder
        d_real, p_real = self.learn(D, self.d_loss, real, self.run(E, real), 1.0)  # (a)
        _, g_1 = self.learn([G, E], self.ge_loss, real, z_b)  # (b)
        d_fake, p_fake = self.learn(D, self.d_loss, self.run(G, z_c), z_c, 0.0)  # (c)
        _, g_2 = self.learn([G, E], self.ge_loss, real, z_d)  # (d)
        self.update_ema()
        self.record((d_real + d_fake) / 2.0, (g_1 + g_2) / 2.0, p_real, p_fake)

    def d_loss(self, x, z, label):
        """D's loss on the pairs (x, z), all labelled ``label`` (1 real, 0 fake), and its verdicts."""
        p = self.run(self.discriminator, [x, z])
        return self.adversarial_loss(label, p), p

    def ge_loss(self, x, z):
        """G and E against the frozen D, the labels swapped: (G(z), z) real and (x, E(x)) fake."""
        fake_pairs, _ = self.d_loss(self.run(self.generator, z), z, 1.0)
        real_pairs, _ = self.d_loss(x, self.run(self.encoder, x), 0.0)
        return fake_pairs + real_pairs, (fake_pairs + real_pairs) / 2.0

    # -- using it -----------------------------------------------------------------------------

    def encode(self, images, use_ema=True):
        """E(x) of ``images`` (n, 28, 28[, 1]) in [-1, 1] as a NumPy array (n, latent_dim); the
        averaged encoder when there is one and ``use_ema`` is True."""
        x = _check_images(images)
        model = self.ema_encoder if (use_ema and self.ema_encoder is not None) else self.encoder
        return predict(model, x)

    def reconstruct(self, images, use_ema=True):
        """G(E(x)): each digit encoded, then drawn again from its code (the averaged pair when
        there is one and ``use_ema`` is True)."""
        return self.generate(z=self.encode(images, use_ema), use_ema=use_ema)


def build_bigan(config, seed: int = 0) -> BiGAN:
    """Build and compile chapter 9's BiGAN. Defined in chapter 9."""

    check_config(config, BiGANConfig)
    gan = BiGAN(compact_dcgan_generator(config.latent_dim), bigan_encoder(config.latent_dim),
                bigan_discriminator(config.latent_dim), noise="normal",
                ema_momentum=config.ema_momentum, seed=seed)
    gan.compile(keras.optimizers.Adam(config.d_learning_rate, beta_1=0.5),
                keras.optimizers.Adam(config.learning_rate, beta_1=0.5))
    return gan


# -- what the encoder learned ---------------------------------------------------------------------


def _check_features(name, features):
    try:
        f = np.asarray(features, dtype="float64")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers, got {type(features).__name__}") from exc
    if f.ndim != 2 or f.shape[0] == 0 or f.shape[1] == 0:
        raise ValueError(f"{name} must have shape (n, features), got {f.shape}")
    if not np.all(np.isfinite(f)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return f


def _check_class_labels(name, labels, n):
    y = np.asarray(labels)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D array of whole-number classes, got shape {y.shape} "
                         f"and dtype {y.dtype}")
    if len(y) != n:
        raise ValueError(f"{name} has {len(y)} labels for {n} rows of features: one label per row")
    if y.min() < 0:
        raise ValueError(f"{name} must be classes 0, 1, 2, ..., got {y.min()}")
    return y.astype("int64")


def linear_probe(train_features, train_labels, test_features, test_labels, steps: int = 1000,
                 learning_rate: float = 0.05, l2: float = 1e-4) -> dict:
    """Fit a logistic-regression classifier (softmax over the classes) on ``train_features`` and
    return its accuracy on ``test_features``.

    The features are standardised with the training set's mean and spread (a feature constant in
    training is only centred); the weights start
    at zero and take ``steps`` full-batch Adam steps on the cross-entropy plus ``l2`` times the
    squared weights. Plain NumPy, so the result does not depend on the Keras backend. Returns
    ``{"train_accuracy", "test_accuracy", "per_class_accuracy"}``. Defined in chapter 9.
    """
    xtr = _check_features("train_features", train_features)
    xte = _check_features("test_features", test_features)
    if xtr.shape[1] != xte.shape[1]:
        raise ValueError(f"train_features have {xtr.shape[1]} features per row, test_features "
                         f"{xte.shape[1]}: both must come from the same feature extractor")
    ytr = _check_class_labels("train_labels", train_labels, len(xtr))
    yte = _check_class_labels("test_labels", test_labels, len(xte))
    steps = check_positive_int("steps", steps)
    k = int(max(ytr.max(), yte.max())) + 1
    # A feature that never varies in training (a border pixel) is centred but not scaled.
    mean, spread = xtr.mean(axis=0), xtr.std(axis=0)
    spread = np.where(spread > 1e-6, spread, 1.0)
    xtr, xte = (xtr - mean) / spread, (xte - mean) / spread
    w, b = np.zeros((xtr.shape[1], k)), np.zeros(k)
    onehot = np.eye(k)[ytr]
    m_w, v_w, m_b, v_b = (np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b))
    beta1, beta2 = 0.9, 0.999
    for t in range(1, steps + 1):
        logits = xtr @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        err = (p - onehot) / len(xtr)
        g_w, g_b = xtr.T @ err + 2 * l2 * w, err.sum(axis=0)
        for param, grad, m, v in ((w, g_w, m_w, v_w), (b, g_b, m_b, v_b)):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad**2
            param -= learning_rate * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + 1e-8)
    classify = lambda x: (x @ w + b).argmax(axis=1)  # noqa: E731
    test_pred = classify(xte)
    per_class = [float(np.mean(test_pred[yte == c] == c)) if np.any(yte == c) else None
                 for c in range(k)]
    return {"train_accuracy": float(np.mean(classify(xtr) == ytr)),
            "test_accuracy": float(np.mean(test_pred == yte)),
            "per_class_accuracy": per_class}


class ReconstructionMetrics(keras.callbacks.Callback):
    """After every epoch: how often the classifier reads G(E(x)) as the same digit as x, on
    ``images`` (held-out digits); adds ``reconstruction_accuracy`` to the logs."""

    def __init__(self, images, classifier):
        super().__init__()

        self.images, self.classifier = _check_images(images), classifier
        self.read = metrics.class_probabilities(self.images, classifier).argmax(axis=1)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["reconstruction_accuracy"] = reconstruction_accuracy(
                self.model, self.images, self.classifier, read=self.read)


def reconstruction_accuracy(gan, images, classifier, read=None) -> float:
    """Fraction of ``images`` whose reconstruction G(E(x)) the classifier reads as the same digit
    as x itself. Defined in chapter 9."""

    x = _check_images(images)
    if read is None:
        read = metrics.class_probabilities(x, classifier).argmax(axis=1)
    again = metrics.class_probabilities(gan.reconstruct(x), classifier).argmax(axis=1)
    return float(np.mean(again == read))




def train_bigan(config=None, seed: int = 0, out_dir=None, resume: bool = False, data=None,
                classifier=None, verbose="auto", callbacks=()) -> Run:
    """Train chapter 9's BiGAN on the MNIST training digits (no labels); return a
    :class:`ganlib.training.Run`. As :func:`ganlib.dcgan.train_dcgan`: a checkpoint after every epoch in
    ``out_dir``, ``resume=True`` continues after the last complete epoch, a NaN stops the run at
    once, the clock (``config.minutes``) counts training only. Defined in chapter 9."""

    config = config or bigan_config()
    checkpoint_path = checkpoint.run_path(out_dir, resume)
    set_seed(seed)
    data = data if data is not None else load_mnist()
    x, _ = training_digits(data, config.n_train, config.batch_size)
    gan = build_bigan(config, seed=seed)
    grid = Snapshots(n=64, seed=2024)
    extra_callbacks = [grid]
    if config.metric_samples:
        classifier = classifier or metrics.get_classifier(data=data)
        reference = data.x_test[: config.metric_samples]
        extra_callbacks += [SampleMetrics(classifier, reference, n=config.metric_samples, seed=7),
                            ReconstructionMetrics(reference, classifier)]
    history, initial_epoch, seconds = checkpoint.fit(
        gan, x, config, checkpoint_path, resume, {"seed": seed}, extra_callbacks, callbacks, verbose)
    return Run(gan=gan, config=config, history=history, grids=grid.snapshots,
                    data_source=data.source, seconds=seconds, resumed_from=initial_epoch,
                    checkpoint=checkpoint_path)


def probe_report(gan, data, classifier, seed: int = 0, n_train=None) -> dict:
    """The linear probe on three kinds of features of the training digits, tested on the
    held-out digits: the BiGAN's encoder, a randomly initialised encoder of the same shape
    (``seed``), and the raw pixels; plus the reconstruction accuracy on the held-out digits.
    Returns ``{"probe": {name: accuracy}, "reconstruction_accuracy": ...}``. Defined in chapter 9.
    """
    if not isinstance(gan, BiGAN):
        raise ValueError(f"gan must be a BiGAN, got {type(gan).__name__}")
    x_train, y_train = data.x_train, data.y_train
    if n_train is not None:
        x_train, y_train = x_train[:n_train], y_train[:n_train]
    keras.utils.set_random_seed(10_000 + int(seed))
    random_encoder = bigan_encoder(gan.latent_dim, name="random_encoder")

    extractors = {
        "BiGAN encoder": gan.encode,
        "random encoder": lambda x: predict(random_encoder, x),
        "pixels": lambda x: np.asarray(x).reshape(len(x), -1),
    }
    probe = {}
    for name, extract in extractors.items():
        start = time.perf_counter()
        result = linear_probe(extract(x_train), y_train, extract(data.x_test), data.y_test)
        probe[name] = {**result, "seconds": round(time.perf_counter() - start, 1)}
    return {"probe": probe,
            "reconstruction_accuracy": reconstruction_accuracy(gan, data.x_test, classifier)}
