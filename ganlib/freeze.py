"""Freezing the discriminator in Keras 3: the classic two-model round, done right.

The classic recipe trains two models with ``train_on_batch``: the discriminator D, and a
*combined* model G -> D whose loss only the generator should learn from. Keras 2 tutorials wrote::

    D.compile(optimizer, loss)      # D "remembers" it is trainable
    D.trainable = False
    combined.compile(optimizer, loss)   # combined "remembers" D is frozen

and relied on ``compile()`` taking a snapshot of the ``trainable`` flags. **Keras 3 takes no such
snapshot.** A model reads the flags when it first builds its train function, on its first
``train_on_batch``/``fit`` call (TensorFlow backend: then cached for good; JAX backend: read again
at every call). After the idiom above D.trainable is still False when D first trains, so D
*never* learns: Keras warns once ("The model does not have any trainable weights") and the
generator wins a game against a discriminator that is not playing.

The correct Keras 3 recipe (:class:`ClassicGAN`) sets ``D.trainable`` right before every call:
True before D's own ``train_on_batch``, False before the combined model's. Each model's first call
then happens in its right state (which TensorFlow caches) and every later call is right too (which
JAX needs). :func:`freeze_audit` checks both recipes by watching which weights change in each step.

Defined in chapter 2.
"""

from __future__ import annotations

import contextlib
import logging
import warnings

import numpy as np

import keras

from ganlib import data, models
from ganlib.checks import check_positive_int
from ganlib.config import set_seed
from ganlib.training import GAN, STEPS


def _batch_check(name, x, model):
    expected = tuple(model.input_shape[1:])
    x = np.asarray(x, dtype="float32")
    if x.ndim != len(expected) + 1 or tuple(x.shape[1:]) != expected:
        raise ValueError(f"{name} must have shape (n, {', '.join(map(str, expected))}), got {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty: it needs at least one row")
    return x


class ClassicGAN:
    """The four-step round with two models and ``train_on_batch``, frozen the Keras 3 way.

    Args:
        generator, discriminator: the two networks (D ends in a sigmoid).
        d_optimizer, g_optimizer: one optimizer each (D's, and the combined model's).
        loss: the loss of both models; the source uses binary cross-entropy.

    ``train_round(real, z_tn, z_fp, z_tn2)`` runs steps (a)-(d) of chapter 2 and returns the
    losses and the four outcome counts; :class:`ganlib.training.GAN` is the same round fused.
    Defined in chapter 2.
    """

    def __init__(self, generator, discriminator, d_optimizer, g_optimizer, loss="binary_crossentropy"):
        self.generator = generator
        self.discriminator = discriminator
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
        real = _batch_check("real", real, self.discriminator)
        z_tn, z_fp, z_tn2 = (_batch_check(n, z, self.generator) for n, z in
                             (("z_tn", z_tn), ("z_fp", z_fp), ("z_tn2", z_tn2)))
        p_real = judge(self.discriminator, real)
        d_real = self.train_discriminator(real, 1.0)  # (a) FN step
        g_1 = self.train_generator(z_tn)  # (b) TN step
        # Fakes made in training mode, as in any train step: batch norm uses the batch's own
        # statistics (and updates its running averages), as the fused round does.
        fakes = keras.ops.convert_to_numpy(self.generator(z_fp, training=True))
        p_fake = judge(self.discriminator, fakes)
        d_fake = self.train_discriminator(fakes, 0.0)  # (c) FP step
        g_2 = self.train_generator(z_tn2)  # (d) TN step again
        tp, fp = int(np.sum(p_real >= 0.5)), int(np.sum(p_fake >= 0.5))
        return {
            "d_loss": (d_real + d_fake) / 2,
            "g_loss": (g_1 + g_2) / 2,
            "tp": tp,
            "fn": len(real) - tp,
            "fp": fp,
            "tn": len(fakes) - fp,
        }


def judge(discriminator, x, training=True):
    """D's probabilities for the batch ``x``, as a NumPy vector, without changing any of D's
    variables. ``training=True``: as its training step sees them (batch norm normalizes with the
    batch's own statistics); ``False``: as ``predict`` sees them (the running averages). Used in
    chapter 5 to show why Dawn's training-mode accuracy can fall below chance."""
    if not isinstance(training, bool):
        raise ValueError(f"training must be True or False, got {training!r}")
    x = _batch_check("x", x, discriminator)
    p, _ = discriminator.stateless_call(
        [v.value for v in discriminator.trainable_variables],
        [v.value for v in discriminator.non_trainable_variables],
        keras.ops.convert_to_tensor(x),
        training=training,
    )
    return keras.ops.convert_to_numpy(p).reshape(-1)


def _audit_round(generator, discriminator, steps):
    """Run ``steps[name]()`` in the round's order, recording whether each network's weights changed
    (any weight, bit for bit)."""
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

    Shown broken in chapter 2: in Keras 3 the discriminator's weights never change.
    """
    discriminator.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy")
    discriminator.trainable = False
    z = keras.Input(shape=generator.input_shape[1:])
    combined = keras.Model(z, discriminator(generator(z)))
    combined.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy")
    ones, zeros = np.ones((len(real), 1)), np.zeros((len(real), 1))
    steps = {
        "fn": lambda: discriminator.train_on_batch(real, ones),
        "tn": lambda: combined.train_on_batch(noise[0], ones),
        "fp": lambda: discriminator.train_on_batch(generator.predict_on_batch(noise[1]), zeros),
        "tn2": lambda: combined.train_on_batch(noise[2], ones),
    }
    return _audit_round(generator, discriminator, steps)


def ganlib_round(generator, discriminator, real, noise, learning_rate=1e-3):
    """One round trained with :class:`ClassicGAN` (Keras 3 correct); returns the audit."""
    gan = ClassicGAN(generator, discriminator, keras.optimizers.Adam(learning_rate),
                     keras.optimizers.Adam(learning_rate))
    steps = {
        "fn": lambda: gan.train_discriminator(real, 1.0),
        "tn": lambda: gan.train_generator(noise[0]),
        "fp": lambda: gan.train_discriminator(generator.predict_on_batch(noise[1]), 0.0),
        "tn2": lambda: gan.train_generator(noise[2]),
    }
    return _audit_round(generator, discriminator, steps)


def fused_round(generator, discriminator, real, noise, learning_rate=1e-3):
    """One round of the fused :class:`ganlib.training.GAN`, one step at a time; returns the audit.

    The steps run through ``GAN.run_step``, the same code as inside ``fit``: no trainable flag is
    read, each step updates its own network's explicit variable list.
    """
    gan = GAN(generator, discriminator)
    gan.compile(keras.optimizers.Adam(learning_rate), keras.optimizers.Adam(learning_rate))
    steps = {
        "fn": lambda: gan.run_step("fn", real=real),
        "tn": lambda: gan.run_step("tn", z=noise[0]),
        "fp": lambda: gan.run_step("fp", z=noise[1]),
        "tn2": lambda: gan.run_step("tn2", z=noise[2]),
    }
    return _audit_round(generator, discriminator, steps)


def freeze_audit(batch_size=32, seed=0):
    """Train one round with each recipe on fresh copies of the 2-D demo's networks.

    Returns ``{"keras2_idiom": {...}, "ganlib": {...}, "fused": {...}}`` (the Keras-2 idiom,
    :class:`ClassicGAN` and the fused round), each mapping the steps ``fn``, ``tn``,
    ``fp``, ``tn2`` to ``{"generator": bool, "discriminator": bool}``: did that network's weights
    change in that step (any weight, bit for bit)? Correct freezing means only D changes in fn/fp
    and only G in tn/tn2.
    """
    batch_size = check_positive_int("batch_size", batch_size)
    set_seed(seed)
    real = data.check_points("real", data.gaussian_data(batch_size, seed=seed))
    noise = [data.uniform_noise(batch_size, 4, seed=seed + i + 1) for i in range(3)]
    result = {}
    for name, round_fn in (("keras2_idiom", keras2_idiom_round), ("ganlib", ganlib_round),
                           ("fused", fused_round)):
        generator, discriminator = models.gaussian_generator(), models.gaussian_discriminator()
        with warnings.catch_warnings():
            # The Keras-2 idiom triggers "The model does not have any trainable weights": that
            # is the bug being demonstrated, reported by the audit itself.
            warnings.simplefilter("ignore", UserWarning)
            result[name] = round_fn(generator, discriminator, real, noise)
    return result


def freeze_is_correct(audit):
    """True when a round's audit shows D learning only in fn/fp and G only in tn/tn2."""
    return audit == {step: {"generator": step in ("tn", "tn2"), "discriminator": step in ("fn", "fp")}
                     for step in STEPS}


@contextlib.contextmanager
def _quiet_retracing():
    """Hide TensorFlow's "triggered tf.function retracing" warnings: building several small models
    in a row retraces on purpose here."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def classic_vs_fused(rounds=20, batch_size=32, rounds_per_step=1, seed=0, learning_rate=2e-3,
                     networks=None):
    """Train the same networks from the same start on the same batches and noise, both ways.

    One copy goes through :class:`ClassicGAN` (``train_on_batch``, trainable flags), the other
    through the fused :class:`ganlib.training.GAN` (``fit``). Returns a dict with the largest
    absolute weight difference of each network (``generator``, ``discriminator``), the outcome
    counts of both, and the number of rounds. ``networks()`` builds the (generator,
    discriminator) pair for 2-D points from 4 noise numbers (default: the 2-D demo's); with batch
    norm in them the two ways still agree, running averages included. Defined in chapter 2.
    """
    rounds = check_positive_int("rounds", rounds)
    batch_size = check_positive_int("batch_size", batch_size)
    rounds_per_step = check_positive_int("rounds_per_step", rounds_per_step)
    if rounds % rounds_per_step:
        raise ValueError(f"rounds ({rounds}) must be a multiple of rounds_per_step ({rounds_per_step})")
    set_seed(seed)
    n = rounds * batch_size
    real = data.gaussian_data(n, seed=seed)
    noise = data.uniform_noise(n * 3, 4, seed=seed + 1).reshape(n, 3, 4)

    def adam():
        return keras.optimizers.Adam(learning_rate, beta_1=0.5)

    if networks is None:
        def networks():
            return models.gaussian_generator(), models.gaussian_discriminator()
    elif not callable(networks):
        raise ValueError(f"networks must be a function returning (generator, discriminator), "
                         f"got {type(networks).__name__}")
    nets = {}
    for way in ("classic", "fused"):
        set_seed(seed)  # the same initial weights for both
        nets[way] = tuple(networks())

    classic = ClassicGAN(*nets["classic"], adam(), adam())
    counts = {"tp": 0, "fn": 0, "fp": 0, "tn": 0}
    with _quiet_retracing():
        for r in range(rounds):
            batch = slice(r * batch_size, (r + 1) * batch_size)
            logs = classic.train_round(real[batch], *(noise[batch, i] for i in range(3)))
            for key in counts:
                counts[key] += logs[key]

    # The classic round's frozen D runs in inference mode (trainable = False); so does the fused
    # round's here, for the same arithmetic.
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
    lines = [f"{'step':<5} {'generator':<10} {'discriminator':<13}"]
    for step in STEPS:
        g, d = ("learns" if audit[step][net] else "-" for net in ("generator", "discriminator"))
        lines.append(f"{step:<5} {g:<10} {d:<13}")
    return "\n".join(lines)
