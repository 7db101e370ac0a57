"""Conditional GANs on MNIST (chapter 8), all trained by the four-step round of
:class:`ganlib.training.GAN`: the counterfeiter is told *which* digit to draw.

- **CGAN** (Mirza and Osindero 2014): D judges (image, label) pairs: a good 3 labelled 7 is fake.
- **ACGAN** (Odena et al. 2017): D sees only the image and a second head names its class; both
  players also learn from that head's cross-entropy.
- **pix2pix** (Isola et al. 2017): G is a U-Net from a damaged digit to a whole one, D a patch
  discriminator of (input, output) pairs; G's loss adds lambda times the L1 distance to the truth."""

from __future__ import annotations

import os

import numpy as np

import keras
from keras import layers, ops

from ganlib.checks import (check_choice, check_images, check_labels, check_number,
                           check_positive_int, check_type)
from ganlib.training import GAN, Run, SampleMetrics, Snapshots, TimeBudget, predict, timed_fit
from ganlib.config import (PIX2PIX_TASKS, ConditionalConfig, Pix2PixConfig, conditional_config,
                           pix2pix_config)
from ganlib.models import chain, normalized, compact_dcgan_generator, compact_image_trunk
from ganlib import checkpoint, metrics
from ganlib.files import atomic_write

N_CLASSES = 10


def conditional_generator(latent_dim=64, embed_dim=16, name="generator"):
    """G(z, y): the label's learned embedding joined to the noise, then chapter 5's generator."""
    z = keras.Input((latent_dim,), name="noise")
    y = keras.Input((), dtype="int32", name="label")
    e = layers.Embedding(N_CLASSES, embed_dim, name="label_embedding")(y)
    h = chain(compact_dcgan_generator(latent_dim + embed_dim).layers, layers.Concatenate()([z, e]))
    return keras.Model([z, y], h, name=name)


def cgan_discriminator(name="discriminator"):
    """CGAN's D(x, y) -> P(real pair): the label's 28x28 embedding beside the image, then chapter 5's D."""
    x = keras.Input((28, 28, 1), name="image")
    y = keras.Input((), dtype="int32", name="label")
    plane = layers.Reshape((28, 28, 1))(layers.Embedding(N_CLASSES, 28 * 28, name="label_plane")(y))
    h = chain(compact_image_trunk()[1:], layers.Concatenate()([x, plane]))  # [1:]: not its Input
    return keras.Model([x, y], layers.Dense(1, activation="sigmoid", name="real")(h), name=name)


def acgan_discriminator(name="discriminator"):
    """ACGAN's D(x): the compact discriminator with two heads, P(real) and 10 class logits."""
    x = keras.Input((28, 28, 1), name="image")
    h = chain(compact_image_trunk()[1:], x)
    real = layers.Dense(1, activation="sigmoid", name="real")(h)
    logits = layers.Dense(N_CLASSES, name="class_logits")(h)
    return keras.Model(x, [real, logits], name=name)


class ConditionalGAN(GAN):
    """A label-conditional GAN (``kind`` "cgan" or "acgan"): ``fit({"real": x, "label": y})``.
    ``class_loss`` in ACGAN's history is D's on the real digits. Defined in chapter 8."""

    def __init__(self, generator, discriminator, kind="cgan", class_weight=1.0, **kwargs):
        check_choice("kind", kind, ("cgan", "acgan"))
        if not isinstance(generator, keras.Model) or len(generator.inputs) != 2:
            raise ValueError("generator must be a keras.Model with two inputs (noise, label)")
        kwargs.setdefault("noise", "normal")
        super().__init__(generator, discriminator, latent_dim=generator.inputs[0].shape[-1],
                         extra_metrics=("class_loss",) if kind == "acgan" else (), **kwargs)
        self.kind, self.class_weight = kind, float(class_weight)

    def train_round(self, batch):
        real, y_real = batch["real"], ops.cast(batch["label"], "int32")
        z_b, z_c, z_d = self.draw(lambda n: [self.sample_noise(n) for _ in range(3)], real)
        y_b, y_c, y_d = self.draw(
            lambda n: [keras.random.randint((n,), 0, N_CLASSES, seed=self.seed_generator) for _ in range(3)],
            real)
        D, G = self.discriminator, self.generator
        _, d_real, class_real, p_real = self.learn(D, self.d_loss, real, y_real, 1.0)  # (a)
        _, g_1 = self.learn(G, self.g_loss, z_b, y_b)  # (b)
        _, d_fake, _, p_fake = self.learn(D, self.d_loss, self.run(G, [z_c, y_c]), y_c, 0.0)  # (c)
        _, g_2 = self.learn(G, self.g_loss, z_d, y_d)  # (d)
        self.update_ema()
        extra = {"class_loss": class_real} if self.kind == "acgan" else {}
        self.record((d_real + d_fake) / 2.0, (g_1 + g_2) / 2.0, p_real, p_fake, **extra)

    def d_loss(self, x, y, label):
        """D's verdict on (x, y): (loss, adversarial part, class part, P(real))."""
        out = self.run(self.discriminator, [x, y] if self.kind == "cgan" else x)
        p = out if self.kind == "cgan" else out[0]
        adversarial = self.adversarial_loss(label, p)
        if self.kind == "cgan":
            return adversarial, adversarial, ops.zeros(()), p
        cls = ops.mean(keras.losses.sparse_categorical_crossentropy(y, out[1], from_logits=True))
        return adversarial + self.class_weight * cls, adversarial, cls, p

    def g_loss(self, z, y):
        """G's loss (and its adversarial part): D's on G's digits of labels ``y``, labelled real."""
        return self.d_loss(self.run(self.generator, [z, y]), y, 1.0)[:2]

    def fit(self, x=None, y=None, batch_size=None, *args, **kwargs):
        if not isinstance(x, dict) or set(x) != {"real", "label"}:
            raise ValueError('x must be a dict {"real": images, "label": labels}')
        images = check_images("x['real']", x["real"])
        labels = check_labels("x['label']", x["label"], n=len(images))
        return super().fit({"real": images, "label": labels}, y, batch_size, *args, **kwargs)

    def generate(self, labels, z=None, seed=None, use_ema=True):
        """Digits of the requested ``labels`` from the noise ``z`` or as in :meth:`GAN.generate`."""
        labels = check_labels("labels", labels)
        z = self.noise_input(z=z, seed=seed, labels=labels)
        use_average = use_ema and self.ema_generator is not None
        return predict(self.ema_generator if use_average else self.generator, [z, labels])


def _adam(learning_rate):
    return keras.optimizers.Adam(learning_rate, beta_1=0.5)


def build_conditional(config, seed: int = 0) -> ConditionalGAN:
    """Build and compile chapter 8's CGAN or ACGAN (``config.kind``). Defined in chapter 8."""
    check_type("config", config, ConditionalConfig)
    # The generator first: the networks' initial weights depend on the order they are built in.
    generator = conditional_generator(config.latent_dim)
    discriminator = cgan_discriminator() if config.kind == "cgan" else acgan_discriminator()
    gan = ConditionalGAN(generator, discriminator, kind=config.kind, class_weight=config.class_weight,
                         ema_momentum=config.ema_momentum, seed=seed)
    gan.compile(_adam(config.d_learning_rate), _adam(config.learning_rate))
    return gan


def label_report(gan, classifier, n_per_class=100, seed=0, reference=None):
    """Ask ``gan`` for ``n_per_class`` digits of every class and read them with the classifier:
    ``label_accuracy``, ``per_class_accuracy``, ``confusion`` (rows requested, columns read) and
    :func:`ganlib.metrics.evaluate`'s metrics of the same digits. Defined in chapter 8."""
    n_per_class = check_positive_int("n_per_class", n_per_class)
    labels = np.tile(np.arange(N_CLASSES, dtype="int32"), n_per_class)
    images = gan.generate(labels, seed=seed)
    read = metrics.class_probabilities(images, classifier).argmax(axis=1)
    confusion = np.bincount(labels * N_CLASSES + read, minlength=N_CLASSES**2).reshape(N_CLASSES, N_CLASSES)
    result = metrics.evaluate(images, classifier, reference=reference)
    result.update(label_accuracy=float(np.mean(read == labels)),
                  per_class_accuracy=(np.diag(confusion) / confusion.sum(axis=1)).tolist(),
                  confusion=confusion.tolist())
    return result


class LabelMetrics(SampleMetrics):
    """``SampleMetrics`` of ``n`` digits asked for by label (n/10 per class), and their ``label_accuracy``."""

    keys = ("label_accuracy", *SampleMetrics.keys)

    def score(self, epoch):
        return label_report(self.model, self.classifier, max(1, self.n // N_CLASSES),
                            seed=self.seed + epoch, reference=self.reference)


def training_digits(data, n_train, batch_size):
    """The training digits and labels, cut to whole batches (BatchNorm on a last batch of 8
    would judge it by its own, noisy statistics)."""
    x, y = data.x_train[:n_train], data.y_train[:n_train]
    n = len(x) // batch_size * batch_size
    return x[:n], y[:n].astype("int32")


def train_conditional(config=None, seed: int = 0, out_dir=None, resume: bool = False, data=None,
                      classifier=None, verbose="auto", callbacks=()):
    """Train chapter 8's CGAN or ACGAN on labelled MNIST as :func:`ganlib.dcgan.train_dcgan` trains."""
    config = config or conditional_config()

    def setup(data):
        x, y = training_digits(data, config.n_train, config.batch_size)
        gan = build_conditional(config, seed=seed)
        # Row k of the grid is digit k; column j has the same noise vector in every row.
        z = np.tile(gan.noise_array(10, rng=np.random.default_rng(2024)), (N_CLASSES, 1))
        labels = np.repeat(np.arange(N_CLASSES, dtype="int32"), 10)
        return gan, {"real": x, "label": y}, Snapshots(draw=lambda gan: gan.generate(labels, z=z))

    return checkpoint.train(config, seed, out_dir, resume, data, setup, classifier, verbose,
                            callbacks, scores=LabelMetrics)


# -- image to image -------------------------------------------------------------------------------


def shrink(images, factor=4):
    """Each ``factor`` x ``factor`` block averaged: 28x28 digits become 7x7 (factor 4)."""
    images = check_images("images", images)
    if 28 % factor:
        raise ValueError(f"factor must divide 28, got {factor}")
    size = 28 // factor
    return images.reshape(len(images), size, factor, size, factor, 1).mean(axis=(2, 4))


def upsample_bicubic(small, size=28):
    """Bicubic upsampling back to ``size`` x ``size`` (Keras's resize), clipped to [-1, 1]."""
    small = np.asarray(small, dtype="float32")
    if small.ndim != 4 or small.shape[-1] != 1 or small.shape[1] != small.shape[2]:
        raise ValueError(f"small must have shape (n, s, s, 1), got {small.shape}")
    big = keras.ops.image.resize(small, (size, size), interpolation="bicubic")
    return np.clip(ops.convert_to_numpy(big), -1.0, 1.0).astype("float32")


#: Chapter 8's image-to-image tasks: what the damaged input keeps of the digit. ``superres``: a 7x7
#: copy; ``superres4``: a 4x4 copy (16 numbers: several digits fit most of them); ``inpaint``: all but
#: a 12x12 square; ``lower-half``: the upper half only (is it a 7 or a 9? a 3 or a 5?). The last two
#: inputs carry the mask as a second channel, and the U-Net keeps the visible pixels.
TASKS = PIX2PIX_TASKS
#: The block each super-resolution task averages: 28 / 4 = 7x7 inputs, 28 / 7 = 4x4 inputs.
SHRINK = {"superres": 4, "superres4": 7}


def masked_task(task) -> bool:
    """Whether ``task`` hides part of the digit (its input has the mask as a second channel)."""
    return check_choice("task", task, TASKS) not in SHRINK


def degrade(images, task, rng=None):
    """``(inputs, baseline)`` for ``task`` (see :data:`TASKS`). ``superres``/``superres4``: the digits
    shrunk to 7x7/4x4 and upsampled bicubically, both. ``inpaint``: the digits with a 12x12 square set
    to the background (-1), its top-left corner drawn by ``rng`` (default ``default_rng(0)``) from rows
    and columns 5 to 11 (the middle of the digit); ``lower-half``: rows 14 to 27 set to the background.
    Both with the mask as a second channel; their baseline is the masked digit."""
    check_choice("task", task, TASKS)
    images = check_images("images", images)
    if task in SHRINK:
        up = upsample_bicubic(shrink(images, SHRINK[task]))
        return up, up
    masks = np.zeros_like(images)
    if task == "lower-half":
        masks[:, 14:] = 1.0
    else:
        rng = np.random.default_rng(0) if rng is None else rng
        rows, cols = rng.integers(5, 12, len(images)), rng.integers(5, 12, len(images))
        for mask, r, c in zip(masks, rows, cols):
            mask[r:r + 12, c:c + 12] = 1.0
    masked = images * (1.0 - masks) - masks
    return np.concatenate([masked, masks], axis=-1), masked


def unet_generator(in_channels=1, paste=False, name="generator"):
    """pix2pix's U-Net for 28x28 digits: 28 -> 14 -> 7 -> 14 -> 28, each decoder level joined to the
    encoder's features of its size (skip connections; the last to the input), so fine detail need not
    pass the 7x7 bottleneck. With ``paste`` (inpainting) the pixels outside the mask are the input's own."""
    x = keras.Input((28, 28, in_channels), name="damaged")
    e1 = layers.LeakyReLU(negative_slope=0.2)(layers.Conv2D(32, 4, strides=2, padding="same")(x))
    e2 = chain(normalized(layers.Conv2D(64, 4, strides=2, padding="same", use_bias=False), "leaky"), e1)
    h = chain(normalized(layers.Conv2D(128, 3, padding="same", use_bias=False), "leaky"), e2)
    for width, skip in ((64, e1), (32, x)):  # up to 14x14, then 28x28: the input itself
        up = normalized(layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False))
        h = layers.Concatenate()([chain(up, h), skip])
    out = layers.Conv2D(1, 3, padding="same", activation="tanh")(h)
    if paste:  # G's pixels inside the mask (the input's second channel), the input's outside
        mask = x[..., 1:2]
        out = mask * out + (1.0 - mask) * x[..., 0:1]
    return keras.Model(x, out, name=name)


def patch_discriminator(in_channels=1, name="discriminator"):
    """pix2pix's PatchGAN for 28x28: judges (input, output) pairs joined as channels; its 7x7
    output is a verdict per overlapping patch of 18x18 pixels (its receptive field: 4, then
    4 + 3 x 2, then 10 + 2 x 4)."""
    given = keras.Input((28, 28, in_channels), name="damaged")
    image = keras.Input((28, 28, 1), name="image")
    h = layers.Concatenate()([given, image])
    h = layers.LeakyReLU(negative_slope=0.2)(layers.Conv2D(64, 4, strides=2, padding="same")(h))
    h = chain(normalized(layers.Conv2D(128, 4, strides=2, padding="same", use_bias=False), "leaky"), h)
    out = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(h)
    return keras.Model([given, image], out, name=name)


class Pix2Pix(GAN):
    """An image-to-image GAN: ``fit({"input": x, "target": y})``; ``l1`` in the history is G's L1
    term, ``g_loss`` its adversarial one. Defined in chapter 8."""

    def __init__(self, generator, discriminator, l1_weight=100.0, **kwargs):
        super().__init__(generator, discriminator, latent_dim=1, extra_metrics=("l1",), **kwargs)
        self.l1_weight = check_number("l1_weight", l1_weight, "non-negative")

    def train_round(self, batch):
        given, target = batch["input"], batch["target"]
        D, G = self.discriminator, self.generator
        d_real, p_real = self.learn(D, self.d_loss, given, target, 1.0)  # (a)
        _, g_1, l1_1 = self.learn(G, self.g_loss, given, target)  # (b)
        d_fake, p_fake = self.learn(D, self.d_loss, given, self.run(G, given), 0.0)  # (c)
        _, g_2, l1_2 = self.learn(G, self.g_loss, given, target)  # (d)
        self.update_ema()
        self.record((d_real + d_fake) / 2.0, (g_1 + g_2) / 2.0, p_real, p_fake, l1=(l1_1 + l1_2) / 2.0)

    def d_loss(self, given, image, label):
        """D's loss on the pairs (given, image), all labelled ``label``, and its verdicts."""
        p = self.run(self.discriminator, [given, image])
        return self.adversarial_loss(label, p), p

    def g_loss(self, given, target):
        """G's loss: D's verdict on (given, G(given)) labelled real, plus the weighted L1."""
        out = self.run(self.generator, given)
        adversarial = self.adversarial_loss(1.0, self.run(self.discriminator, [given, out]))
        l1 = ops.mean(ops.abs(out - target))
        return adversarial + self.l1_weight * l1, adversarial, l1

    def fit(self, x=None, y=None, batch_size=None, *args, **kwargs):
        if not isinstance(x, dict) or set(x) != {"input", "target"}:
            raise ValueError('x must be a dict {"input": damaged digits, "target": true digits}')
        given = check_images("x['input']", x["input"], channels=self.generator.input_shape[-1])
        target = check_images("x['target']", x["target"], n=len(given))
        return super().fit({"input": given, "target": target}, y, batch_size, *args, **kwargs)

    def translate(self, given, use_ema=True):
        """G's answer for damaged digits ``given`` (n, 28, 28, channels), as a NumPy array."""
        given = check_images("given", given, channels=self.generator.input_shape[-1])
        use_average = use_ema and self.ema_generator is not None
        return predict(self.ema_generator if use_average else self.generator, given)


def build_pix2pix(config, seed: int = 0) -> Pix2Pix:
    """Build and compile chapter 8's image-to-image GAN for ``config.task``."""
    check_type("config", config, Pix2PixConfig)
    channels = 2 if masked_task(config.task) else 1
    gan = Pix2Pix(unet_generator(channels, paste=masked_task(config.task)),
                  patch_discriminator(channels), l1_weight=config.l1_weight, seed=seed)
    gan.compile(_adam(config.d_learning_rate), _adam(config.learning_rate))
    return gan


def translation_report(outputs, truth, labels, classifier, reference=None) -> dict:
    """Mean PSNR (dB), SSIM, classifier accuracy and sharpness of ``outputs`` against ``truth``, and
    with ``reference`` (other real digits) the FID of ``outputs`` against them."""
    report = {"psnr": float(np.mean(metrics.psnr(outputs, truth))),
              "ssim": float(np.mean(metrics.ssim(outputs, truth))),
              "classifier_accuracy": metrics.classifier_accuracy(outputs, labels, classifier),
              "sharpness": float(np.mean(metrics.sharpness(outputs)))}
    if reference is not None:
        report["fid"] = metrics.frechet_distance(outputs, reference, classifier)
    return report


def translation_line(task, method, report) -> str:
    """``<task> <method>: PSNR X.XX dB, SSIM Y.YYY, FID Z.Z, sharpness S.SSS, classifier accuracy A.A%``."""
    return (f"{task} {method}: PSNR {report['psnr']:.2f} dB, SSIM {report['ssim']:.3f}, "
            f"FID {report['fid']:.1f}, sharpness {report['sharpness']:.3f}, "
            f"classifier accuracy {100 * report['classifier_accuracy']:.1f}%")


def train_pix2pix(config=None, seed: int = 0, out_dir=None, resume: bool = False, data=None,
                  classifier=None, verbose="auto"):
    """Train chapter 8's image-to-image GAN, then its L1-only twin, the same U-Net: for as many minutes
    (``config.minutes``, by the same clock) or, without minutes, as many generator steps (twice the
    epochs: G takes two per round). Neither generator is averaged. The twin's weights in ``out_dir``
    let a resumed run skip it. :func:`translation_report` scores both and the baseline on
    ``config.eval_samples`` test digits, the FID against as many other real test digits."""
    config = config or pix2pix_config()
    checkpoint_path, data = checkpoint.start(seed, data, out_dir, resume)
    classifier = classifier or metrics.get_classifier(data=data)
    x, _ = training_digits(data, config.n_train, config.batch_size)
    given, _ = degrade(x, config.task, rng=np.random.default_rng(1))
    gan = build_pix2pix(config, seed=seed)
    history, initial_epoch, seconds = checkpoint.fit(
        gan, {"input": given, "target": x}, config, checkpoint_path, resume, {"seed": seed},
        [Snapshots(draw=lambda model: model.translate(given[:16]))], verbose=verbose)

    keras.utils.set_random_seed(seed)
    l1 = unet_generator(given.shape[-1], paste=masked_task(config.task), name="l1_only")
    l1.compile(optimizer=_adam(config.learning_rate), loss="mean_absolute_error")
    l1_path = os.path.join(out_dir, "l1_only.weights.h5") if out_dir else None
    l1_history, l1_seconds = {}, 0.0
    if resume and l1_path and os.path.exists(l1_path):
        try:
            l1.load_weights(l1_path)
        except Exception as exc:  # truncated, or another network's
            raise checkpoint.unreadable(l1_path, "weights file of the L1-only network", exc) from None
    elif history.get("d_loss"):
        clock = [TimeBudget(config.minutes)] if config.minutes else []
        l1_history, l1_seconds = timed_fit(l1, given, x, batch_size=config.batch_size, callbacks=clock,
                                           epochs=2 * (config.epochs if clock else len(history["d_loss"])),
                                           verbose=verbose)
        if l1_path:
            atomic_write(l1_path, l1.save_weights, suffix=".weights.h5")

    truth, labels = data.x_test[:config.eval_samples], data.y_test[:config.eval_samples]
    test_given, baseline = degrade(truth, config.task, rng=np.random.default_rng(2))
    reference = data.x_test[-config.eval_samples:]  # other real digits (all 10,000 in the full data)
    outputs = {("masked" if masked_task(config.task) else "bicubic"): baseline,
               "l1": predict(l1, test_given, chunk=500), "gan": gan.translate(test_given)}
    results = {name: translation_report(out, truth, labels, classifier, reference)
               for name, out in outputs.items()}
    results["truth"] = {"sharpness": float(np.mean(metrics.sharpness(truth))),
                        "classifier_accuracy": metrics.classifier_accuracy(truth, labels, classifier),
                        "fid": metrics.frechet_distance(truth, reference, classifier)}
    examples = {"input": test_given[:8, ..., :1], **{k: v[:8] for k, v in outputs.items()},
                "truth": truth[:8]}
    return Run(gan=gan, l1_network=l1, config=config, history=history, l1_history=l1_history,
               results=results, examples=examples, data_source=data.source, seconds=seconds,
               l1_seconds=l1_seconds, resumed_from=initial_epoch, checkpoint=checkpoint_path)
