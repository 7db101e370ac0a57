"""ProGAN from scratch in Keras 3 (chapter 6): networks that grow from 4x4 to 32x32.

Karras et al. (2018) train on tiny images first, then add layers to both networks and *fade*
them in, doubling the resolution stage by stage. The growing networks own their layers once and
wire them into each phase's Keras model, so all phases share one set of weights (no copy that
could drift); :class:`ProGAN` trains one phase with the WGAN-GP loss on the fused round."""

from __future__ import annotations

import functools
import math
import os
import time

import numpy as np

import keras
from keras import layers, ops

from ganlib import checkpoint, metrics
from ganlib.checks import (check_batch, check_choice, check_non_negative_int, check_number,
                           check_positive_int, is_number)
from ganlib.backend import input_gradient
from ganlib.config import PROGAN_LOSSES, round_cap
from ganlib.layers import MinibatchStdDev
from ganlib.models import chain
from ganlib.plot import image_grid, save_image
from ganlib.training import GAN, Run, over_seeds, timed_fit

CHECKPOINT_NAME = "progan.npz"


# -- the layers ---------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="ganlib")
class PixelNorm(keras.layers.Layer):
    """Scale each pixel's features to unit mean square (Karras et al. 4.2): G's signals cannot escalate."""

    def call(self, x):
        return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + 1e-8)


class _Equalized(keras.layers.Layer):
    """A layer with an equalized learning rate: its kernel (of :meth:`kernel_shape`) is stored as
    N(0, 1) draws and scaled at run time by ``gain / sqrt(fan_in)`` (He's constant with ``gain =
    sqrt 2``), so that Adam moves every layer at the same pace."""

    def __init__(self, gain, seed, **kwargs):
        super().__init__(**kwargs)
        self.gain, self.seed = check_number("gain", gain, "positive"), seed

    def build(self, input_shape):
        shape = self.kernel_shape(int(input_shape[-1]))
        self.scale = self.gain / math.sqrt(math.prod(shape[:-1]))  # the fan-in
        initializer = keras.initializers.RandomNormal(0.0, 1.0, self.seed)
        self.kernel = self.add_weight(shape=shape, name="kernel", initializer=initializer)
        self.bias = self.add_weight(shape=shape[-1:], name="bias", initializer="zeros")

    def get_config(self):
        return {**super().get_config(), "gain": self.gain, "seed": self.seed}


@keras.saving.register_keras_serializable(package="ganlib")
class EqualizedDense(_Equalized):
    """A dense layer with an equalized learning rate. Defined in chapter 6."""

    def __init__(self, units, gain=math.sqrt(2.0), seed=None, **kwargs):
        super().__init__(gain, seed, **kwargs)
        self.units = check_positive_int("units", units)

    def kernel_shape(self, channels_in):
        return (channels_in, self.units)

    def call(self, x):
        return ops.matmul(x, self.kernel * self.scale) + self.bias

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="ganlib")
class EqualizedConv2D(_Equalized):
    """A 'same'-padded, stride-1 convolution with an equalized learning rate. Defined in chapter 6."""

    def __init__(self, filters, kernel_size=3, gain=math.sqrt(2.0), seed=None, **kwargs):
        super().__init__(gain, seed, **kwargs)
        self.filters = check_positive_int("filters", filters)
        self.kernel_size = check_positive_int("kernel_size", kernel_size)

    def kernel_shape(self, channels_in):
        return (self.kernel_size, self.kernel_size, channels_in, self.filters)

    def call(self, x):
        return ops.conv(x, self.kernel * self.scale, padding="same") + self.bias

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size}


@keras.saving.register_keras_serializable(package="ganlib")
class FadeIn(keras.layers.Layer):
    """Blend two paths of the same shape, ``FadeIn()([old, new])``: ``(1 - alpha) * old + alpha * new``.
    ``alpha`` is non-trainable; training moves it from 0 to 1 over a fade-in phase. Defined in chapter 6."""

    def build(self, input_shape):
        self.alpha = self.add_weight(shape=(), name="alpha", initializer="zeros", trainable=False)

    def call(self, inputs):
        old, new = inputs
        return old + ops.cast(self.alpha, old.dtype) * (new - old)


# -- the growing networks -------------------------------------------------------------------------

RESOLUTIONS = (4, 8, 16, 32)


def _check_resolution(resolution, fading=False):
    check_choice("resolution", resolution, RESOLUTIONS)
    if fading and resolution == RESOLUTIONS[0]:
        raise ValueError("the 4x4 stage has nothing to fade in from")
    return resolution


def _check_channels(channels):
    channels = dict(channels or {4: 128, 8: 128, 16: 64, 32: 32})
    if sorted(channels) != list(RESOLUTIONS):
        raise ValueError(f"channels must give a width for each of {RESOLUTIONS}")
    return channels


_lrelu = functools.partial(layers.LeakyReLU, negative_slope=0.2)


class GrowingGenerator:
    """ProGAN's generator (Karras et al.'s, narrower); ``channels`` maps resolution to width. Chapter 6."""

    def __init__(self, latent_dim=128, channels=None, seed=0):
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        seeds = iter(range(1000 * seed, 1000 * seed + 1000))  # each layer's initial weights
        self.channels = c = _check_channels(channels)
        self.base = [PixelNorm(),
                     EqualizedDense(16 * c[4], gain=math.sqrt(2.0) / 4, seed=next(seeds)),
                     layers.Reshape((4, 4, c[4])), _lrelu(), PixelNorm(),
                     EqualizedConv2D(c[4], 3, seed=next(seeds)), _lrelu(), PixelNorm()]
        self.blocks = {r: [layers.UpSampling2D(2, interpolation="nearest"),
                           EqualizedConv2D(c[r], 3, seed=next(seeds)), _lrelu(), PixelNorm(),
                           EqualizedConv2D(c[r], 3, seed=next(seeds)), _lrelu(), PixelNorm()]
                       for r in RESOLUTIONS[1:]}
        self.to_rgb = {r: EqualizedConv2D(1, 1, gain=1.0, name=f"to_rgb_{r}", seed=next(seeds))
                       for r in RESOLUTIONS}
        self.fade = FadeIn(name="g_fade")

    def model(self, resolution, fading=False):
        """The generator of one phase: noise -> image of ``resolution``; while ``fading``, the
        new top block's image blended with the previous stage's image, upsampled."""
        resolution = _check_resolution(resolution, fading)
        z = keras.Input(shape=(self.latent_dim,))
        h = chain(self.base, z)
        for r in RESOLUTIONS[1:RESOLUTIONS.index(resolution) + 1]:
            before, h = h, chain(self.blocks[r], h)
        image = self.to_rgb[resolution](h)
        if fading:
            old = layers.UpSampling2D(2, interpolation="nearest")(self.to_rgb[resolution // 2](before))
            image = self.fade([old, image])
        return keras.Model(z, image, name=f"generator_{resolution}{'_fading' if fading else ''}")


class GrowingDiscriminator:
    """ProGAN's discriminator, the generator's mirror, ending in one linear score (a WGAN critic)
    after the minibatch standard deviation (chapter 7, groups of 4). Defined in chapter 6."""

    def __init__(self, channels=None, seed=0):
        seeds = iter(range(1000 * seed + 500, 1000 * seed + 1000))  # each layer's initial weights
        self.channels = c = _check_channels(channels)
        self.from_rgb = {r: [EqualizedConv2D(c[r], 1, name=f"from_rgb_{r}", seed=next(seeds)), _lrelu()]
                         for r in RESOLUTIONS}
        self.blocks = {r: [EqualizedConv2D(c[r], 3, seed=next(seeds)), _lrelu(),
                           EqualizedConv2D(c[r // 2], 3, seed=next(seeds)), _lrelu(),
                           layers.AveragePooling2D(2)]
                       for r in RESOLUTIONS[1:]}
        self.end = [MinibatchStdDev(group_size=4),
                    EqualizedConv2D(c[4], 3, seed=next(seeds)), _lrelu(), layers.Flatten(),
                    EqualizedDense(c[4], seed=next(seeds)), _lrelu(),
                    EqualizedDense(1, gain=1.0, seed=next(seeds))]
        self.fade = FadeIn(name="d_fade")

    def model(self, resolution, fading=False):
        """The critic of one phase: image of ``resolution`` -> score; while ``fading``, the new
        block's features blended with the previous stage's fromRGB of the image, average-pooled."""
        resolution = _check_resolution(resolution, fading)
        x = keras.Input(shape=(resolution, resolution, 1))
        h = chain(self.from_rgb[resolution], x)
        for r in reversed(RESOLUTIONS[1:RESOLUTIONS.index(resolution) + 1]):
            h = chain(self.blocks[r], h)
            if fading and r == resolution:
                h = self.fade([chain(self.from_rgb[r // 2], layers.AveragePooling2D(2)(x)), h])
        return keras.Model(x, chain(self.end, h),
                           name=f"discriminator_{resolution}{'_fading' if fading else ''}")


# -- data -----------------------------------------------------------------------------------------


def pad_to_32(images):
    """MNIST digits (n, 28, 28, 1) in [-1, 1] -> (n, 32, 32, 1), padded with background (-1)."""
    images = check_batch("images", images, (28, 28, 1))
    return np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)), constant_values=-1.0)


def downsample(images, resolution):
    """Average-pool (n, 32, 32, 1) images down to ``resolution`` (4, 8, 16 or 32)."""
    resolution = _check_resolution(resolution)
    images = check_batch("images", images, (32, 32, 1))
    f = 32 // resolution
    return images.reshape(len(images), resolution, f, resolution, f, 1).mean(axis=(2, 4))


def to_28(images):
    """Images of any stage -> (n, 28, 28, 1) in [-1, 1] for the chapter-5 classifier: upsampled
    (nearest) to 32x32 and the 2-pixel border that :func:`pad_to_32` added cut off again."""
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4 or images.shape[-1] != 1 or images.shape[1] not in RESOLUTIONS:
        raise ValueError(f"images must have shape (n, r, r, 1) with r in {RESOLUTIONS}, got {images.shape}")
    f = 32 // images.shape[1]
    big = images.repeat(f, axis=1).repeat(f, axis=2) if f > 1 else images
    return np.clip(big[:, 2:30, 2:30, :], -1.0, 1.0)


# -- one phase of training ------------------------------------------------------------------------


def gradient_penalty(critic, real, fake, eps):
    """WGAN-GP's penalty ``mean (||grad_x critic(x_hat)|| - 1)**2`` at the blends
    ``x_hat = eps * real + (1 - eps) * fake`` (``eps`` one number per sample, shape (n, 1, 1, 1))."""
    real, fake, eps = (ops.convert_to_tensor(v, "float32") for v in (real, fake, eps))
    x_hat = eps * real + (1.0 - eps) * fake
    grads = input_gradient(critic, x_hat)
    norms = ops.sqrt(ops.sum(ops.square(grads), axis=(1, 2, 3)) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))


def r1_penalty(critic, real):
    """R1 (Mescheder et al. 2018): the mean squared norm of the critic's gradient at the real images."""
    grads = input_gradient(critic, ops.convert_to_tensor(real, "float32"))
    return ops.mean(ops.sum(ops.square(grads), axis=(1, 2, 3)))


class ProGAN(GAN):
    """One phase of ProGAN: per round D learns (:meth:`critic_loss`), then G. While fading
    (``fade_rounds > 0``) every :class:`FadeIn`'s ``alpha`` is ``min(1, (round + 1) / fade_rounds)``, the
    round counted in ``phase_round`` (checkpointed: a resumed phase goes on at its alpha). Chapter 6."""

    extra_metrics = ("gp", "alpha")
    counts_outcomes = False  # a critic's scores are not probabilities
    g_steps_per_round = 1

    def __init__(self, generator, discriminator, fade_rounds=0, gp_weight=10.0, drift=1e-3,
                 loss="wgan-gp", r1_every=1, **kwargs):
        kwargs.setdefault("noise", "normal")
        super().__init__(generator, discriminator, **kwargs)
        self.loss = check_choice("loss", loss, PROGAN_LOSSES)
        self.fade_rounds = check_non_negative_int("fade_rounds", fade_rounds)
        self.gp_weight, self.drift = float(gp_weight), float(drift)
        self.r1_every = check_positive_int("r1_every", r1_every)
        if r1_every > 1 and self.loss != "ns-r1":
            raise ValueError(f"r1_every > 1 (lazy R1) needs loss='ns-r1', got loss={loss!r}")
        self.phase_round = keras.Variable(0.0, trainable=False, name="phase_round")
        nets = (generator, discriminator, *([self.ema_generator] if self.ema_generator else []))
        self._alphas = [layer.alpha for net in nets for layer in net.layers if isinstance(layer, FadeIn)]
        if fade_rounds and not all(any(isinstance(x, FadeIn) for x in net.layers) for net in nets[:2]):
            raise ValueError("fade_rounds > 0 needs a fading generator and discriminator")
        self.set_alpha(1.0 if not fade_rounds else 0.0)

    def set_alpha(self, alpha):
        """Set every fade-in's alpha (the live, averaged and critic networks') to ``alpha``."""
        for variable in self._alphas:
            variable.assign(float(alpha))

    def _fixed(self, variable):
        return any(variable is alpha for alpha in self._alphas)

    def train_round(self, real):
        t = self.value(self.phase_round)
        alpha = ops.minimum(1.0, (t + 1.0) / float(self.fade_rounds)) if self.fade_rounds else ops.ones(())
        self.assign(self._alphas, [alpha] * len(self._alphas))
        z_d, _, z_g, eps = self.draw(lambda m: [*(self.sample_noise(m) for _ in range(3)),
                                                keras.random.uniform((m, 1, 1, 1), seed=self.seed_generator)],
                                     real)
        fake = self.run(self.generator, z_d)
        lazy = self.r1_every > 1  # R1 every r1_every-th round only, weighted r1_every times
        regularize = ops.equal(ops.mod(t, float(self.r1_every)), 0.0) if lazy else True
        d_loss, gp = self.learn(self.discriminator, self.critic_loss, real, fake, eps, regularize)  # (1)
        g_loss = self.learn(self.generator, self.generator_loss, z_g)  # (2)
        self.assign([self.phase_round], [t + 1.0])
        self.update_ema()
        self.record(d_loss, g_loss, gp=gp, alpha=alpha)

    def critic_loss(self, real, fake, eps, regularize=True):
        """``mean D(fake) - mean D(real) + gp_weight * GP + drift * mean D(real)**2``, and GP.
        With ``loss="ns-r1"``: chapter 2's cross-entropy on D's logits plus ``gp_weight / 2`` times
        R1, the mean squared norm of D's gradient at the real images, and R1; with ``r1_every`` k > 1
        R1 only where ``regularize`` (every k-th round), weighted k times (0 elsewhere)."""
        critic = functools.partial(self.run, self.discriminator)
        d_real, d_fake = critic(real), critic(fake)
        if self.loss == "ns-r1":
            cross_entropy = ops.mean(ops.softplus(-d_real)) + ops.mean(ops.softplus(d_fake))
            if not self.gp_weight:  # gamma 0: no R1 at all (chapter 6's stability test)
                r1 = ops.zeros(())
            elif regularize is True:
                r1 = r1_penalty(critic, real)
            else:
                r1 = ops.cond(regularize, lambda: r1_penalty(critic, real), lambda: ops.zeros(()))
            return cross_entropy + 0.5 * self.gp_weight * self.r1_every * r1, r1
        gp = gradient_penalty(critic, real, fake, eps)
        wasserstein = ops.mean(d_fake) - ops.mean(d_real)
        return wasserstein + self.gp_weight * gp + self.drift * ops.mean(ops.square(d_real)), gp

    def generator_loss(self, z):
        """G's loss: minus the frozen critic's mean score of its images (``ns-r1``: the
        non-saturating loss of chapter 4, ``-log sigmoid`` of D's logits)."""
        scores = self.run(self.discriminator, self.run(self.generator, z))
        return ops.mean(ops.softplus(-scores)) if self.loss == "ns-r1" else -ops.mean(scores)


# -- the stages ---------------------------------------------------------------------------------


def phases(config, grow=True):
    """The phases of a run, ``(resolution, fading, rounds)``: 4x4 stable, then for 8, 16 and 32 a fade-in and
    a stable phase; with ``grow=False`` one 32x32 phase of :func:`train_progan`'s ``minutes``."""
    if not grow:
        return [(RESOLUTIONS[-1], False, None)]
    out = [(RESOLUTIONS[0], False, config.stable_rounds[0])]
    for i, r in enumerate(RESOLUTIONS[1:], start=1):
        out += [(r, True, config.fade_rounds[i - 1]), (r, False, config.stable_rounds[i])]
    return out


def _build_phase(config, g_net, d_net, resolution, fading, rounds, seed):
    gan = ProGAN(g_net.model(resolution, fading), d_net.model(resolution, fading),
                 fade_rounds=rounds if fading else 0, gp_weight=config.gp_weight,
                 drift=config.drift, loss=config.loss, r1_every=config.r1_every,
                 ema_momentum=config.ema_momentum, seed=seed)
    gan.compile(*(keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1,
                                        beta_2=config.beta_2, epsilon=1e-8) for _ in range(2)))
    return gan


def train_progan(config, seed=0, out_dir=None, resume=False, data=None, classifier=None,
                 grow=True, minutes=None, verbose=1):
    """Train ProGAN on MNIST padded to 32x32 through :func:`phases` (``grow=False``: the final networks for
    ``minutes``): a :class:`ganlib.training.Run`. A checkpoint every ``config.chunk_rounds`` rounds (phase and
    round, so alpha too) lets ``resume=True`` continue; every ``config.eval_minutes`` of training and after
    each phase, chapter 5's classifier scores the averaged generator's :func:`to_28` samples. Chapter 6."""
    if not grow and not (is_number(minutes) and minutes > 0):
        raise ValueError(f"grow=False needs minutes, a positive number, got {minutes!r}")
    path, data = checkpoint.start(seed, data, out_dir, resume, CHECKPOINT_NAME)
    classifier = classifier or metrics.get_classifier(data=data)
    x32 = pad_to_32(data.x_train if config.n_train is None else data.x_train[: config.n_train])
    plan = phases(config, grow)
    if round_cap():  # a dry run: each phase this many rounds (the one without growing too)
        plan = [(r, fading, min(n or round_cap(), round_cap())) for r, fading, n in plan]
    channels = dict(zip(RESOLUTIONS, config.channels))
    g_net = GrowingGenerator(config.latent_dim, channels, seed=seed)
    d_net = GrowingDiscriminator(channels, seed=seed)
    state = {"phase": 0, "round": 0, "trained": 0.0, "history": [], "stages": [], "next_eval": 0.0}
    same_run = {"grow": grow, "plan": [list(p) for p in plan], "seed": seed}

    def build(index):
        return _build_phase(config, g_net, d_net, *plan[index], seed + index)

    def saved_phase(meta):
        # Every earlier phase's model first, so the layers exist; then the checkpoint's (current or finished).
        nonlocal gan
        for r, fading, _ in plan[:meta["extra"]["model_phase"]]:
            g_net.model(r, fading), d_net.model(r, fading)
        gan = build(meta["extra"]["model_phase"])
        return gan

    def evaluate(gan, resolution, alpha):
        images = to_28(gan.generate(config.metric_samples, seed=7))
        result = metrics.evaluate(images, classifier, reference=data.x_test[: config.metric_samples])
        scores = {k: float(result[k]) for k in ("classifier_score", "fid", "class_kl")}
        scores["classes_present"] = int(result["classes_present"])
        state["history"].append({"minutes": state["trained"] / 60, "resolution": resolution,
                                 "alpha": alpha, **scores})
        return scores

    def save(gan, phase, model_phase):
        if path:
            checkpoint.save_checkpoint(gan, path, phase, config=config,
                                       extra={**state, **same_run, "model_phase": model_phase})

    gan = None
    meta = checkpoint.resume(saved_phase, path, resume, expect=same_run, config=config)
    saved = meta["extra"] if meta else None
    state.update({k: saved[k] for k in state} if saved is not None else {})
    grids, fades, fixed_z = [], {}, None
    start_wall = time.perf_counter()
    for index in range(state["phase"], len(plan)):
        resolution, fading, rounds = plan[index]
        if saved is None or index != saved["model_phase"]:
            gan = build(index)
            state["round"] = 0
        if fixed_z is None:
            fixed_z = gan.noise_array(64, rng=np.random.default_rng(2024))
        gan.set_alpha(min(1.0, state["round"] / rounds) if fading else 1.0)
        x = downsample(x32, resolution) if resolution < 32 else x32
        label = f"{resolution}x{resolution} {'fade-in' if fading else 'stable'}"
        if verbose:
            print(f"phase {index + 1}/{len(plan)}: {label}"
                  + (f", {rounds} rounds" if rounds else f", {minutes:.1f} minutes"), flush=True)
        # Training seconds when this phase began (the end of the one before).
        phase_start = 60 * state["stages"][-1]["minutes"] if state["stages"] else 0.0
        while (state["round"] < rounds if rounds is not None
               else state["trained"] - phase_start < 60 * minutes):
            done = state["round"]
            n_rounds = config.chunk_rounds if rounds is None else min(config.chunk_rounds, rounds - done)
            # A chunk's images depend only on (seed, phase, round): a resumed run sees the same batches.
            rng = np.random.default_rng([seed, index, done])
            batch = x[rng.integers(0, len(x), n_rounds * config.batch_size)]
            history, seconds = timed_fit(gan, batch, batch_size=config.batch_size, epochs=1,
                                         shuffle=False, verbose=0)
            state["trained"] += seconds
            state["round"] = done + n_rounds
            logs = {k: v[-1] for k, v in history.items()}
            alpha = min(1.0, state["round"] / rounds) if fading else 1.0  # reached at the chunk's end
            if fading:  # the same 8 noise vectors as alpha rises: the new block fading in
                fades.setdefault(resolution, []).append((alpha, gan.generate(z=fixed_z[:8])))
            if state["trained"] / 60 >= state["next_eval"]:
                state["next_eval"] = state["trained"] / 60 + config.eval_minutes
                scores = evaluate(gan, resolution, alpha)
                if verbose:  # one short line per scoring: this chunk's mean losses, not running means
                    print(f"  {state['trained'] / 60:4.1f} min  round {state['round']:5d}  "
                          f"alpha {alpha:.2f}  d_loss {logs['d_loss']:7.3f}  g_loss {logs['g_loss']:7.3f}  "
                          f"score {scores['classifier_score']:.2f}  FID {scores['fid']:.1f}", flush=True)
            save(gan, index, index)
            if path:  # the fixed-noise digits after every chunk: a stopped run keeps them all
                name = f"phase{index + 1}_round{state['round']:05d}.png"
                save_image(os.path.join(out_dir, "chunks", name), image_grid(to_28(gan.generate(z=fixed_z))))
        scores = evaluate(gan, resolution, 1.0)
        if verbose:
            print(f"  {state['trained'] / 60:4.1f} min  end of {label}"
                  + (", alpha 1.00 reached" if fading else "")
                  + f": score {scores['classifier_score']:.2f}, FID {scores['fid']:.1f}, "
                  f"class KL {scores['class_kl']:.3f}, classes {scores['classes_present']}", flush=True)
        state["stages"].append({"resolution": resolution, "fading": fading,
                                "rounds": state["round"], "minutes": state["trained"] / 60,
                                "seconds": state["trained"] - phase_start, **scores})
        grids.append((label, gan.generate(z=fixed_z)))
        state["phase"], state["round"] = index + 1, 0
        save(gan, index + 1, index)
    return Run(gan=gan, history=state["history"], stages=state["stages"], grids=grids, fades=fades,
               seconds=state["trained"], wall_seconds=time.perf_counter() - start_wall,
               resumed=saved is not None, fixed_z=fixed_z, generator=g_net, discriminator=d_net)


# -- the stability claim: many seeds --------------------------------------------------------------

#: A run of :func:`run_seeds` *failed* when its final samples score below this fraction of the real
#: test digits' classifier score, or miss a class (a run whose loss became NaN ends there too).
FAILED_BELOW = 0.5


def _seed_row(config, seed, grow=True, minutes=None, out_dir=None, resume=False):
    """Train one seed (a worker of :func:`run_seeds`) and return its final scores."""
    run = train_progan(config, seed=seed, grow=grow, minutes=minutes, verbose=0, resume=resume,
                       out_dir=os.path.join(out_dir, f"seed-{seed}") if out_dir else None)
    final = run.stages[-1]
    return {"seed": seed, **{k: final[k] for k in ("classifier_score", "fid", "class_kl", "classes_present")},
            "minutes": round(run.seconds / 60, 2)}


def run_seeds(config, seeds=6, first_seed=0, grow=True, minutes=None, workers=1, out_dir=None,
              resume=False, real_score=None) -> dict:
    """Train ``seeds`` runs of ``config`` (growing, or the final networks for ``minutes``),
    ``workers`` at once in one-thread processes (:func:`ganlib.training.over_seeds`), each in
    ``out_dir/seed-N`` if given (``resume``: a killed seed continues where it stopped). Returns the
    mean and minimum final classifier score, ``failed`` (:data:`FAILED_BELOW` of ``real_score``, or
    a class missing) and the ``per_seed`` rows. Chapter 6's stability test."""
    seeds = check_positive_int("seeds", seeds)
    real_score = check_number("real_score", real_score, "positive")
    if not grow and not (is_number(minutes) and minutes > 0):
        raise ValueError(f"grow=False needs minutes, a positive number, got {minutes!r}")
    one = functools.partial(_seed_row, config, grow=grow, minutes=minutes, out_dir=out_dir, resume=resume)
    rows = list(over_seeds(range(first_seed, first_seed + seeds), one if workers == 1 else None, one,
                           workers).values())
    scores = np.array([row["classifier_score"] for row in rows], dtype="float64")
    failed = [not (np.isfinite(row["classifier_score"]) and row["classifier_score"] >= FAILED_BELOW * real_score
                   and row["classes_present"] == 10) for row in rows]
    return {"grow": grow, "seeds": seeds, "mean": float(np.nanmean(scores)), "min": float(np.nanmin(scores)),
            "failed": int(sum(failed)), "per_seed": rows}


def stability_line(name, result):
    """The chapter's line for one variant, e.g. ``growing over 6 seeds: classifier score mean 8.12,
    min 7.90, failed 0``."""
    return (f"{name} over {result['seeds']} seeds: classifier score mean {result['mean']:.2f}, "
            f"min {result['min']:.2f}, failed {result['failed']}")
