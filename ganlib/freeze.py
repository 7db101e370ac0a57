"""Freezing the discriminator in Keras 3: the classic two-model round, done right (chapter 2).

The classic recipe trains D and a *combined* model G -> D with ``train_on_batch``. Keras 2 tutorials compiled
D, set ``D.trainable = False``, then compiled the combined model, relying on ``compile()`` taking a snapshot
of the flags. **Keras 3 takes no such snapshot**: a model reads the flags when it first builds its train
function (TensorFlow: then cached for good; JAX: read again at every call). So D *never* learns: Keras warns
once ("The model does not have any trainable weights") and the generator wins a game against a discriminator
that is not playing. :class:`ClassicGAN` sets ``D.trainable`` right before every call, so that each call
sees its right state; :func:`freeze_audit` watches which weights each recipe changes."""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Callable

import numpy as np

import keras

from ganlib import data, models
from ganlib.checks import check_batch, check_choice, check_positive_int, check_type
from ganlib.config import set_seed
from ganlib.training import GAN, STEPS


class ClassicGAN:
    """The four-step round with two models and ``train_on_batch``, frozen the Keras 3 way: D (ending in a
    sigmoid) learns with ``d_optimizer``, the combined model with ``g_optimizer``, both on ``loss``.
    :class:`ganlib.training.GAN` is the same round fused."""

    def __init__(self, generator, discriminator, d_optimizer, g_optimizer, loss="binary_crossentropy"):
        self.generator, self.discriminator = generator, discriminator
        self.discriminator.trainable = True
        self.discriminator.compile(optimizer=d_optimizer, loss=loss)
        z = keras.Input(shape=generator.input_shape[1:])
        self.combined = keras.Model(z, discriminator(generator(z)), name="combined")
        self.combined.compile(optimizer=g_optimizer, loss=loss)

    def train_discriminator(self, x, label):
        """Steps (a) and (c): D learns that every sample in ``x`` is ``label`` (1 real, 0 fake)."""
        self.discriminator.trainable = True  # before *every* call: D must learn here
        return float(self.discriminator.train_on_batch(x, np.full((len(x), 1), label, "float32")))

    def train_generator(self, z):
        """Steps (b) and (d): G learns to make D call its fakes real; D is frozen."""
        self.discriminator.trainable = False  # before *every* call: only G may learn here
        loss = self.combined.train_on_batch(z, np.ones((len(z), 1), "float32"))
        self.discriminator.trainable = True
        return float(loss)

    def train_round(self, real, z_tn, z_fp, z_tn2):
        """One four-step round; returns ``d_loss``, ``g_loss`` and the counts tp, fn, fp, tn."""
        real = check_batch("real", real, self.discriminator.input_shape[1:])
        z_tn, z_fp, z_tn2 = (check_batch(n, z, self.generator.input_shape[1:]) for n, z in
                             (("z_tn", z_tn), ("z_fp", z_fp), ("z_tn2", z_tn2)))
        p_real = judge(self.discriminator, real)
        d_real = self.train_discriminator(real, 1.0)  # (a) FN step
        g_1 = self.train_generator(z_tn)  # (b) TN step
        # Fakes made in training mode, as by the fused round: batch norm uses the batch's own statistics.
        fakes = keras.ops.convert_to_numpy(self.generator(z_fp, training=True))
        p_fake = judge(self.discriminator, fakes)
        d_fake = self.train_discriminator(fakes, 0.0)  # (c) FP step
        g_2 = self.train_generator(z_tn2)  # (d) TN step again
        tp, fp = int(np.sum(p_real >= 0.5)), int(np.sum(p_fake >= 0.5))
        return {"d_loss": (d_real + d_fake) / 2, "g_loss": (g_1 + g_2) / 2,
                "tp": tp, "fn": len(real) - tp, "fp": fp, "tn": len(fakes) - fp}


def judge(discriminator, x, training=True):
    """D's probabilities for the batch ``x``, as a NumPy vector, changing none of D's variables.

    ``training=True``: as its training step sees them (batch norm normalizes with the batch's own
    statistics); ``False``: as ``predict`` sees them (the running averages). Chapter 5 shows with
    it why Dawn's training-mode accuracy can fall below chance."""
    check_choice("training", training, (True, False))
    x = check_batch("x", x, discriminator.input_shape[1:])
    p, _ = discriminator.stateless_call([v.value for v in discriminator.trainable_variables],
                                        [v.value for v in discriminator.non_trainable_variables],
                                        keras.ops.convert_to_tensor(x), training=training)
    return keras.ops.convert_to_numpy(p).reshape(-1)


def _audit_round(generator, discriminator, **steps):
    """Run ``steps[name]()`` in the round's order, recording whether any weight of each network changed."""
    networks = {"generator": generator, "discriminator": discriminator}
    report = {}
    for name in STEPS:
        before = {k: [np.array(w) for w in net.get_weights()] for k, net in networks.items()}
        steps[name]()
        report[name] = {k: any(not np.array_equal(a, b) for a, b in zip(before[k], net.get_weights()))
                        for k, net in networks.items()}
    return report


def keras2_idiom_round(generator, discriminator, real, noise, learning_rate=1e-3):
    """One round trained the Keras-2 way (compile D, freeze, compile combined); returns the audit.
    Shown broken in chapter 2: in Keras 3 the discriminator's weights never change."""
    discriminator.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy")
    discriminator.trainable = False
    z = keras.Input(shape=generator.input_shape[1:])
    combined = keras.Model(z, discriminator(generator(z)))
    combined.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy")
    ones, zeros = np.ones((len(real), 1)), np.zeros((len(real), 1))
    return _audit_round(generator, discriminator, fn=lambda: discriminator.train_on_batch(real, ones),
                        tn=lambda: combined.train_on_batch(noise[0], ones),
                        fp=lambda: discriminator.train_on_batch(generator.predict_on_batch(noise[1]), zeros),
                        tn2=lambda: combined.train_on_batch(noise[2], ones))


def ganlib_round(generator, discriminator, real, noise, learning_rate=1e-3):
    """One round trained with :class:`ClassicGAN` (Keras 3 correct); returns the audit."""
    gan = ClassicGAN(generator, discriminator, keras.optimizers.Adam(learning_rate),
                     keras.optimizers.Adam(learning_rate))
    return _audit_round(generator, discriminator, fn=lambda: gan.train_discriminator(real, 1.0),
                        tn=lambda: gan.train_generator(noise[0]),
                        fp=lambda: gan.train_discriminator(generator.predict_on_batch(noise[1]), 0.0),
                        tn2=lambda: gan.train_generator(noise[2]))


def fused_round(generator, discriminator, real, noise, learning_rate=1e-3):
    """One round of the fused :class:`ganlib.training.GAN`, one step at a time through
    ``GAN.run_step`` (the code ``fit`` runs), which reads no trainable flag; returns the audit."""
    gan = GAN(generator, discriminator)
    gan.compile(keras.optimizers.Adam(learning_rate), keras.optimizers.Adam(learning_rate))
    return _audit_round(generator, discriminator, fn=lambda: gan.run_step("fn", real=real),
                        tn=lambda: gan.run_step("tn", z=noise[0]),
                        fp=lambda: gan.run_step("fp", z=noise[1]),
                        tn2=lambda: gan.run_step("tn2", z=noise[2]))


def freeze_audit(batch_size=32, seed=0):
    """Train one round with each recipe on fresh copies of the 2-D demo's networks; returns
    ``{"keras2_idiom": audit, "ganlib": audit, "fused": audit}``, each audit mapping the steps to
    ``{"generator": bool, "discriminator": bool}``: did that network's weights change?"""
    batch_size = check_positive_int("batch_size", batch_size)
    set_seed(seed)
    real = data.check_points("real", data.gaussian_data(batch_size, seed=seed))
    noise = [data.uniform_noise(batch_size, 4, seed=seed + i + 1) for i in range(3)]
    recipes = {"keras2_idiom": keras2_idiom_round, "ganlib": ganlib_round, "fused": fused_round}
    with warnings.catch_warnings():
        # The Keras-2 idiom's "does not have any trainable weights" warning: the bug the audit reports.
        warnings.simplefilter("ignore", UserWarning)
        return {name: round_fn(models.gaussian_generator(), models.gaussian_discriminator(),
                               real, noise) for name, round_fn in recipes.items()}


def freeze_is_correct(audit):
    """True when a round's audit shows D learning only in fn/fp and G only in tn/tn2."""
    return audit == {step: {"generator": step in ("tn", "tn2"), "discriminator": step in ("fn", "fp")}
                     for step in STEPS}


def classic_vs_fused(rounds=20, batch_size=32, rounds_per_step=1, seed=0, learning_rate=2e-3, networks=None):
    """Train the same networks from the same start on the same batches and noise, through
    :class:`ClassicGAN` and the fused :class:`ganlib.training.GAN`; return each network's largest
    weight difference and both outcome counts. ``networks()`` builds the pair (default: the 2-D
    demo's); with batch norm in them the two ways still agree."""
    rounds, batch_size, rounds_per_step = (check_positive_int(name, value) for name, value in (
        ("rounds", rounds), ("batch_size", batch_size), ("rounds_per_step", rounds_per_step)))
    if rounds % rounds_per_step:
        raise ValueError(f"rounds ({rounds}) must be a multiple of rounds_per_step ({rounds_per_step})")
    set_seed(seed)
    n = rounds * batch_size
    real = data.gaussian_data(n, seed=seed)
    noise = data.uniform_noise(n * 3, 4, seed=seed + 1).reshape(n, 3, 4)
    adam = functools.partial(keras.optimizers.Adam, learning_rate, beta_1=0.5)
    if networks is None:
        def networks():
            return models.gaussian_generator(), models.gaussian_discriminator()
    check_type("networks", networks, Callable, "function returning (generator, discriminator)")
    nets = {}
    for way in ("classic", "fused"):
        set_seed(seed)  # the same initial weights for both
        nets[way] = tuple(networks())

    classic = ClassicGAN(*nets["classic"], adam(), adam())
    # Hide TensorFlow's "triggered tf.function retracing" warnings: these small models retrace on purpose.
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        logs = [classic.train_round(x, *(z[:, i] for i in range(3))) for x, z in
                zip(real.reshape(rounds, batch_size, 2), noise.reshape(rounds, batch_size, 3, 4))]
    finally:
        logger.setLevel(level)
    counts = {key: sum(log[key] for log in logs) for key in ("tp", "fn", "fp", "tn")}

    # Frozen D in inference mode here too, as in the classic round (trainable = False): the same arithmetic.
    fused = GAN(*nets["fused"], rounds_per_step=rounds_per_step, d_batch_stats_in_g_step=False)
    fused.compile(adam(), adam())
    history = fused.fit({"real": real, "noise": noise}, batch_size=batch_size * rounds_per_step,
                        epochs=1, shuffle=False, verbose=0)

    diff = {name: float(max(np.max(np.abs(x - y)) for x, y in zip(a.get_weights(), b.get_weights())))
            for name, a, b in zip(("generator", "discriminator"), nets["classic"], nets["fused"])}
    return {"rounds": rounds, **diff, "classic_counts": counts,
            "fused_counts": {k: int(history.history[k][-1]) for k in counts}}


def format_audit(audit):
    """A round's audit as a small text table: one row per step, "learns" or "-" per network."""
    if set(audit) != set(STEPS):
        raise ValueError(f"audit must map the steps {STEPS} to results, got keys {sorted(audit)}")
    rows = [(step, *("learns" if audit[step][net] else "-" for net in ("generator", "discriminator")))
            for step in STEPS]
    return "\n".join(f"{s:<5} {g:<10} {d:<13}" for s, g, d in [("step", "generator", "discriminator"), *rows])
