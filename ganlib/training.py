"""The four-step learning round, fused into one compiled ``train_step``.

Chapter 2 explains the round with two separate models (see :mod:`ganlib.freeze`); this module is
the same round as one ``keras.Model`` that works with ``fit()`` and callbacks on the TensorFlow and
JAX backends. Each round, for one batch of real points:

(a) **FN step** — the real batch goes to the discriminator, labelled real; only D learns.
(b) **TN step** — fresh noise goes through the generator into D, the fakes labelled real;
    only G learns (D is "frozen": its variables get no update).
(c) **FP step** — fresh fakes go to D, labelled fake; only D learns.
(d) **TN step again** — like (b), with fresh noise.

Freezing here never reads any ``trainable`` flag: each step differentiates with respect to an
explicit list of variables and applies the gradients with that network's own optimizer. That is
the second of the two correct ways to freeze in Keras 3 (the first is in :mod:`ganlib.freeze`).

The round is written once, as a pure function of the variables' values (``stateless_call`` and
``stateless_apply``), so that the same code runs inside TensorFlow's ``tf.function`` and inside
JAX's ``jit``; only the gradient call differs between the backends (:func:`value_and_grad`).
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

import keras
from keras import ops

from ganlib.checks import check_positive_int

#: Names of the four outcomes of the discriminator's decisions, in the order they are reported.
OUTCOMES = ("tp", "fn", "fp", "tn")


def value_and_grad(fn):
    """Wrap ``fn(values, *args) -> (loss, aux)`` to also return d loss / d values.

    The returned function gives ``((loss, aux), grads)``. This is the only backend-specific code
    of the fused round: TensorFlow records a ``GradientTape``, JAX transforms the function.
    """
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.value_and_grad(fn, has_aux=True)
    if backend == "tensorflow":
        import tensorflow as tf

        def wrapped(values, *args):
            with tf.GradientTape() as tape:
                tape.watch(values)
                loss, aux = fn(values, *args)
            return (loss, aux), tape.gradient(loss, values)

        return wrapped
    raise NotImplementedError(
        f"ganlib's fused GAN supports the tensorflow and jax backends, not {backend!r}"
    )


class _Values:
    """The variables of a round carried as values (JAX: the compiled step is a pure function).

    Steps read values with ``get``, replace them with ``set`` and update trainable ones with
    ``apply`` (the optimizer's ``stateless_apply``); the trainer receives ``values`` at the end.
    """

    def __init__(self, variables, values):
        self._position = {id(v): i for i, v in enumerate(variables)}
        self.values = list(values)

    def get(self, variables):
        return [self.values[self._position[id(v)]] for v in variables]

    def set(self, variables, values):
        for v, value in zip(variables, values, strict=True):
            self.values[self._position[id(v)]] = value

    def dump(self):
        return list(self.values)

    def load(self, values):
        self.values = list(values)

    def apply(self, optimizer, grads, variables):
        new, new_opt = optimizer.stateless_apply(
            self.get(optimizer.variables), grads, self.get(variables)
        )
        self.set(variables, new)
        self.set(optimizer.variables, new_opt)


class _Variables:
    """The variables of a round updated in place (TensorFlow: the step is a ``tf.function``).

    Same interface as :class:`_Values`; TensorFlow orders the reads and writes as written.
    """

    def get(self, variables):
        return [v.value for v in variables]

    def set(self, variables, values):
        for v, value in zip(variables, values, strict=True):
            v.assign(value)

    def dump(self):
        # The loop carries nothing: the variables themselves hold the state.
        return ops.zeros(())

    def load(self, values):
        pass

    def apply(self, optimizer, grads, variables):
        optimizer.apply(grads, variables)


class GAN(keras.Model):
    """A generator and a discriminator trained by the four-step round in one ``train_step``.

    Args:
        generator: maps noise of shape ``(latent_dim,)`` to a sample.
        discriminator: maps a sample to the probability (sigmoid output) that it is real.
        latent_dim: length of the noise vector; read from the generator's input when omitted.
        noise: ``"uniform01"`` (uniform in [0, 1), the 2-D demo), ``"uniform"`` (in [-1, 1)) or
            ``"normal"``.
        ema_momentum: if > 0, keep an exponential moving average of the generator's weights in
            ``ema_generator`` (0.99 means each step moves the average 1% of the way); sampling
            with :meth:`generate` uses it. It does not change training.
        rounds_per_step: how many rounds one ``train_step`` runs. With k > 1, each batch that
            ``fit`` hands over is split into k equal round batches, looped over inside the
            compiled step: for tiny networks the per-step overhead is the whole cost, and one
            compiled call per epoch is many times faster. The batch size given to ``fit`` must
            then be k times the round's batch size and divide the data (see
            :func:`ganlib.training.pad_to_rounds`).
        d_batch_stats_in_g_step: in G's steps the frozen D runs in inference mode (False, the
            default, as a ``trainable = False`` model does in Keras 3), or normalizes with the
            fake batch's own statistics (True, as PyTorch's DCGAN does); either way D's
            variables, batch-norm averages included, are left unchanged.
        seed: seed of the noise drawn inside ``train_step``.

    Train with ``fit(x)`` where ``x`` holds real samples, or a dict ``{"real": x, "noise": z}``
    with ``z`` of shape ``(n, 3, latent_dim)``: the noise for steps (b), (c) and (d), which makes
    a run repeatable step for step (used to compare with :class:`ganlib.freeze.ClassicGAN`).

    The history holds ``d_loss`` (mean of D's losses in steps a and c), ``g_loss`` (mean of G's
    losses in steps b and d) and the epoch's counts of D's decisions at threshold 0.5: ``tp`` (real
    judged real), ``fn`` (real judged fake), ``fp`` (fake judged real), ``tn`` (fake judged fake).

    Defined in chapter 2.
    """

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim=None,
        noise="uniform01",
        ema_momentum=0.0,
        rounds_per_step=1,
        d_batch_stats_in_g_step=False,
        seed=None,
        name="gan",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        if not isinstance(generator, keras.Model):
            raise ValueError(f"generator must be a keras.Model, got {type(generator).__name__}")
        if not isinstance(discriminator, keras.Model):
            raise ValueError(
                f"discriminator must be a keras.Model, got {type(discriminator).__name__}"
            )
        if noise not in ("uniform01", "uniform", "normal"):
            raise ValueError(f"noise must be 'uniform01', 'uniform' or 'normal', got {noise!r}")
        if not 0.0 <= float(ema_momentum) < 1.0:
            raise ValueError(f"ema_momentum must be in [0, 1), got {ema_momentum!r}")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = check_positive_int(
            "latent_dim", latent_dim if latent_dim is not None else generator.input_shape[-1]
        )
        self.noise = noise
        self.rounds_per_step = check_positive_int("rounds_per_step", rounds_per_step)
        self.d_batch_stats_in_g_step = bool(d_batch_stats_in_g_step)
        self.ema_momentum = float(ema_momentum)
        self.ema_generator = None
        if self.ema_momentum > 0:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
            self.ema_generator.trainable = False
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.outcome_trackers = [keras.metrics.Sum(name=name) for name in OUTCOMES]
        # Both networks arrive built, so the GAN is too: Keras must not build it by calling it on
        # real samples (its call() takes noise).
        self.built = True

    def compile(self, d_optimizer, g_optimizer, loss_fn=None, **kwargs):
        """Give each network its own optimizer; ``loss_fn`` defaults to binary cross-entropy.

        Here the GAN takes its explicit variable lists: every weight of G (learned only in G's
        steps) and every weight of D (learned only in D's steps), whatever the networks'
        ``trainable`` flags say now or later (chapter 2's classic round flips them).
        """
        for name, opt in (("d_optimizer", d_optimizer), ("g_optimizer", g_optimizer)):
            if not isinstance(opt, keras.optimizers.Optimizer):
                raise ValueError(f"{name} must be a keras optimizer, got {type(opt).__name__}")
        if d_optimizer is g_optimizer:
            raise ValueError("d_optimizer and g_optimizer must be two different optimizers")
        with _all_trainable(self.generator, self.discriminator):
            self._g_learns = list(self.generator.trainable_variables)
            self._g_keeps = list(self.generator.non_trainable_variables)
            self._d_learns = list(self.discriminator.trainable_variables)
            self._d_keeps = list(self.discriminator.non_trainable_variables)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn or keras.losses.BinaryCrossentropy()
        d_ids = {id(v) for v in self._d_learns}
        # One optimizer object for Keras's bookkeeping (the JAX trainer carries its state); the
        # round itself calls the two inner optimizers directly.
        optimizer = keras.optimizers.MultiOptimizer(
            lambda v: d_optimizer if id(v) in d_ids else g_optimizer
        )
        super().compile(optimizer=optimizer, **kwargs)
        optimizer.build(self._g_learns + self._d_learns)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, *self.outcome_trackers]

    def call(self, z, training=False):
        """D(G(z)): the probability the discriminator gives the generator's samples."""
        return self.discriminator(self.generator(z, training=training), training=training)

    def sample_noise(self, n, seed=None):
        """Draw ``n`` noise vectors of the kind this GAN was built for."""
        shape = (n, self.latent_dim)
        seed = self.seed_generator if seed is None else seed
        if self.noise == "uniform01":
            return keras.random.uniform(shape, 0.0, 1.0, seed=seed)
        if self.noise == "uniform":
            return keras.random.uniform(shape, -1.0, 1.0, seed=seed)
        return keras.random.normal(shape, seed=seed)

    def generate(self, n=None, z=None, seed=None, use_ema=True):
        """Return generated samples as a NumPy array, from ``z`` or from ``n`` noise vectors.

        Without ``seed`` the noise is fresh at every call (drawn from NumPy's global generator,
        which :func:`ganlib.config.set_seed` seeds, so a whole script still repeats); with a
        ``seed`` it is the same at every call. Drawing never touches the noise state of training.
        Uses the averaged generator when there is one and ``use_ema`` is True.
        """
        if z is None:
            n = check_positive_int("n", n)
            if seed is None:
                z = self.noise_array(n)
            else:
                z = self.sample_noise(n, seed=seed)
        else:
            try:
                z = np.asarray(z, dtype="float32")
            except (TypeError, ValueError) as exc:
                raise ValueError(f"z must be an array of numbers, got {type(z).__name__}") from exc
            if z.ndim != 2 or z.shape[1] != self.latent_dim or len(z) == 0:
                raise ValueError(f"z must have shape (n, {self.latent_dim}), got {tuple(z.shape)}")
        model = self.ema_generator if (use_ema and self.ema_generator is not None) else self.generator
        # A direct call: for these small batches it is faster than predict(), which compiles.
        return keras.ops.convert_to_numpy(model(ops.convert_to_tensor(z), training=False))

    def noise_array(self, n, rng=None):
        """``n`` noise vectors of this GAN's kind as a NumPy array, drawn from ``rng`` (a
        ``numpy.random.Generator``) or, without one, from NumPy's global generator."""
        n = check_positive_int("n", n)
        rng = np.random if rng is None else rng
        shape = (n, self.latent_dim)
        if self.noise == "uniform01":
            if isinstance(rng, np.random.Generator):
                return rng.random(shape, dtype="float32")
            return rng.random(shape).astype("float32")
        if self.noise == "uniform":
            return rng.uniform(-1.0, 1.0, shape).astype("float32")
        return rng.standard_normal(shape).astype("float32")

    def fit(self, x=None, y=None, batch_size=None, *args, **kwargs):
        """``keras.Model.fit``, after checking that the batches split into whole rounds.

        Both networks are made trainable for the length of the call, before Keras groups the
        variables, and get their own flags back afterwards: a flag left at False by chapter 2's
        classic round would otherwise put batch norm in inference mode and (JAX) hand the
        trainer's state over in another grouping. The round itself reads no flag.
        """
        k = self.rounds_per_step
        size = 32 if batch_size is None else batch_size
        devices = devices_in_use(self)
        if devices > 1 and size % (devices * k):
            raise ValueError(f"batch_size ({size}) must be a multiple of the {devices} devices"
                             + (f" times rounds_per_step ({k})" if k > 1 else "")
                             + ": each device gets an equal share of every batch")
        if k > 1 and x is not None and not _is_dataset(x):
            real = x["real"] if isinstance(x, dict) else x
            n = len(real)
            if size % k:
                raise ValueError(f"batch_size ({size}) must be a multiple of rounds_per_step ({k}): "
                                 "each batch of fit is split into that many equal rounds")
            if n % size:
                raise ValueError(f"the {n} samples do not fill whole batches of {size}: the last "
                                 f"batch would make rounds of another size; pad the data with "
                                 f"ganlib.training.pad_to_rounds(x, {size // k})")
        with _all_trainable(self.generator, self.discriminator):
            return super().fit(x, y, batch_size, *args, **kwargs)

    # -- the round, as a pure function of the variables' values ---------------------------

    def _d_step(self, s, x, label):
        """D learns from a batch ``x`` all labelled ``label`` (1 real, 0 fake)."""
        D, opt = self.discriminator, self.d_optimizer
        d_keeps = s.get(self._d_keeps)

        def loss(d_learns):
            p, new_keeps = D.stateless_call(d_learns, d_keeps, x, training=True)
            return *self._loss(ops.full_like(p, label), p), p, new_keeps

        (_, (value, p, new_keeps)), grads = value_and_grad(_with_aux(loss))(s.get(self._d_learns))
        s.apply(opt, grads, self._d_learns)
        s.set(self._d_keeps, new_keeps)
        return value, p

    def _g_step(self, s, z):
        """G learns: its fakes go into the frozen D labelled real."""
        G, D, opt = self.generator, self.discriminator, self.g_optimizer
        g_keeps = s.get(self._g_keeps)
        d_learns, d_keeps = s.get(self._d_learns), s.get(self._d_keeps)

        def loss(g_learns):
            fake, new_keeps = G.stateless_call(g_learns, g_keeps, z, training=True)
            # D is frozen: its variables are constants here and its updates are dropped.
            p, _ = D.stateless_call(d_learns, d_keeps, fake, training=self.d_batch_stats_in_g_step)
            return *self._loss(ops.ones_like(p), p), new_keeps

        (_, (value, new_keeps)), grads = value_and_grad(_with_aux(loss))(s.get(self._g_learns))
        s.apply(opt, grads, self._g_learns)
        s.set(self._g_keeps, new_keeps)
        return value

    def _loss(self, labels, p):
        """``(loss to differentiate, loss to report)``: the same number on one device. Under
        TensorFlow's MirroredStrategy the optimizer sums the replicas' gradients, so the first
        is divided by the number of replicas (a Keras loss already does it when called)."""
        replicas = _replica()[0]
        value = self.loss_fn(labels, p)
        if replicas == 1:
            return value, value
        if isinstance(self.loss_fn, keras.losses.Loss):
            return value, value * replicas
        return value / replicas, value

    def _fakes(self, s, z):
        fake, new_keeps = self.generator.stateless_call(
            s.get(self._g_learns), s.get(self._g_keeps), z, training=True
        )
        s.set(self._g_keeps, new_keeps)
        return fake

    def _draw_noise(self, s, n):
        """Three fresh noise batches (steps b, c, d), advancing the GAN's seed state in ``s``.

        Under TensorFlow's MirroredStrategy every replica holds the same seed state, so each
        draws the noise of all replicas and keeps its own slice: no two replicas share noise.
        """
        replicas, replica = _replica()
        seed_state = self.seed_generator.state
        with keras.StatelessScope(state_mapping=[(seed_state, s.get([seed_state])[0])]) as scope:
            noise = [self.sample_noise(n * replicas) for _ in range(3)]
            new_seed = scope.get_current_value(seed_state)
        s.set([seed_state], [new_seed])
        if replicas > 1:
            noise = [z[replica * n : (replica + 1) * n] for z in noise]
        return noise

    def _round(self, s, real, noise=None):
        """Run one four-step round on the variables in ``s`` and update the metrics."""
        if noise is None:
            z_tn, z_fp, z_tn2 = self._draw_noise(s, ops.shape(real)[0])
        else:
            z_tn, z_fp, z_tn2 = noise[:, 0], noise[:, 1], noise[:, 2]
        d_loss_real, p_real = self._d_step(s, real, 1.0)  # (a) FN step
        g_loss_1 = self._g_step(s, z_tn)  # (b) TN step
        d_loss_fake, p_fake = self._d_step(s, self._fakes(s, z_fp), 0.0)  # (c) FP step
        g_loss_2 = self._g_step(s, z_tn2)  # (d) TN step again

        self._update_ema(s)
        self._record(s, (d_loss_real + d_loss_fake) / 2.0, (g_loss_1 + g_loss_2) / 2.0, p_real, p_fake)

    def _update_ema(self, s):
        """Move the averaged generator's weights towards the live generator's (two G steps a round)."""
        if self.ema_generator is not None:
            self._average_into(s, self.ema_generator, self.generator)

    def _average_into(self, s, ema_model, model):
        """Move ``ema_model``'s weights towards ``model``'s, at the round's momentum."""
        # The average starts short and grows: momentum min(m, (1 + t) / (10 + t)) after t
        # rounds, so early weights, far from the answer, are soon forgotten.
        t = ops.cast(s.get([self.g_optimizer.iterations])[0], "float32") / 2.0
        m = ops.minimum(self.ema_momentum, (1.0 + t) / (10.0 + t))
        ema = ema_model.weights
        s.set(ema, [m * e + (1.0 - m) * w for e, w in zip(s.get(ema), s.get(model.weights))])

    def _record(self, s, d_loss, g_loss, p_real, p_fake, extra=()):
        """Add a round's losses and D's outcome counts (threshold 0.5; every output of D counts,
        so a patch discriminator's counts are patches) to the metrics; ``extra`` holds further
        ``(metric, value)`` pairs."""
        judged_real = [ops.sum(ops.cast(p >= 0.5, "float32")) for p in (p_real, p_fake)]
        n_real, n_fake = (ops.cast(ops.size(p), "float32") for p in (p_real, p_fake))
        counts = {
            "tp": judged_real[0],
            "fn": n_real - judged_real[0],
            "fp": judged_real[1],
            "tn": n_fake - judged_real[1],
        }
        updates = [(self.d_loss_tracker, d_loss), (self.g_loss_tracker, g_loss)]
        updates += [(t, counts[t.name]) for t in self.outcome_trackers] + list(extra)
        for metric, value in updates:
            s.set(metric.variables, metric.stateless_update_state(s.get(metric.variables), value))

    def _rounds(self, s, data):
        """Run the rounds in one batch of ``fit`` (see ``rounds_per_step``); return the logs."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        real, noise = (x["real"], x["noise"]) if isinstance(x, dict) else (x, None)
        k = self.rounds_per_step
        if k == 1:
            self._round(s, real, noise)
        else:
            # Split the batch into k rounds and loop over them inside the compiled step.
            def split(t):
                return ops.reshape(t, (k, -1, *ops.shape(t)[1:]))

            real = split(real)
            noise = None if noise is None else split(noise)

            def body(i, carry):
                s.load(carry)
                z = None if noise is None else ops.take(noise, i, axis=0)
                self._round(s, ops.take(real, i, axis=0), z)
                return s.dump()

            s.load(ops.fori_loop(0, k, body, s.dump()))
        return {m.name: m.stateless_result(s.get(m.variables)) for m in self.metrics}

    def _state_variables(self):
        """The trainer's four groups of variables, as the trainer grouped them (flags untouched)."""
        return (
            self.trainable_variables,
            self.non_trainable_variables,
            self.optimizer.variables,
            self.metrics_variables,
        )

    def train_step(self, *args):
        if keras.backend.backend() == "jax":
            # JAX: train_step(state, data) -> (logs, state), where state holds the values of the
            # trainable, non-trainable, optimizer and metric variables, in the trainer's order.
            # The round finds each variable by identity, so the grouping (which follows the
            # trainable flags) does not matter to it.
            state, data = args
            groups = self._state_variables()
            flat = [v for group in groups for v in group]
            s = _Values(flat, [value for group in state for value in group])
            logs = self._rounds(s, data)
            new_state, start = [], 0
            for group in groups:
                new_state.append(s.values[start : start + len(group)])
                start += len(group)
            return logs, tuple(new_state)
        # TensorFlow: train_step(data) -> logs; the variables are updated in place.
        (data,) = args
        return self._rounds(_Variables(), data)

    def run_step(self, step, real=None, z=None):
        """Run one step of the round (``"fn"``, ``"tn"``, ``"fp"`` or ``"tn2"``) on its own, eagerly.

        Chapter 2's audit uses it to watch which network's weights each step changes. ``real``
        is the real batch (step fn), ``z`` the noise (the other steps).
        """
        if step not in STEPS:
            raise ValueError(f"step must be one of {STEPS}, got {step!r}")
        if not hasattr(self, "_d_learns"):
            raise ValueError("compile the GAN before running a step")
        with _all_trainable(self.generator, self.discriminator):
            self._run_step(step, real, z)

    def _run_step(self, step, real, z):
        if keras.backend.backend() == "jax":
            variables, seen = [], set()
            for v in [*self.variables, *self.d_optimizer.variables, *self.g_optimizer.variables]:
                if id(v) not in seen:
                    seen.add(id(v))
                    variables.append(v)
            s = _Values(variables, [v.value for v in variables])
        else:
            s = _Variables()
        if step == "fn":
            self._d_step(s, ops.convert_to_tensor(np.asarray(real, "float32")), 1.0)
        else:
            z = ops.convert_to_tensor(np.asarray(z, "float32"))
            if step == "fp":
                self._d_step(s, self._fakes(s, z), 0.0)
            else:
                self._g_step(s, z)
        if isinstance(s, _Values):
            for v, value in zip(variables, s.values):
                v.assign(value)


#: The four steps of one learning round, in order (chapter 2).
STEPS = ("fn", "tn", "fp", "tn2")


@contextlib.contextmanager
def _all_trainable(*models):
    """Set every layer of ``models`` trainable for the block, then restore each layer's flag."""
    layers = [layer for model in models for layer in model._flatten_layers(include_self=True)]
    flags = [layer.trainable for layer in layers]
    try:
        for model in models:
            model.trainable = True
        yield
    finally:
        # Parents come before their sublayers, so each sublayer gets its own flag back last.
        for layer, flag in zip(layers, flags):
            layer.trainable = flag


def _with_aux(fn):
    """``fn(values) -> (loss, *aux)`` as ``fn(values) -> (loss, aux)`` for :func:`value_and_grad`."""

    def wrapped(values):
        loss, *aux = fn(values)
        return loss, tuple(aux)

    return wrapped


def _replica():
    """``(replicas, this replica's index)`` inside TensorFlow's ``MirroredStrategy``, else (1, 0).

    Each replica's loss is a mean over its own slice of the batch and the optimizer sums the
    replicas' gradients, so each loss is divided by the number of replicas before it is
    differentiated (see ``GAN._loss``). JAX's ``DataParallel`` needs nothing: there the whole
    batch is one array, split across devices by XLA, and the loss is already its mean.
    """
    if keras.backend.backend() != "tensorflow":
        return 1, 0
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return 1, 0
    return context.num_replicas_in_sync, context.replica_id_in_sync_group


def visible_devices():
    """The devices data-parallel training would use: every GPU Keras sees, else every CPU
    device (one, unless the process split its CPU into virtual devices for a test)."""
    backend = keras.backend.backend()
    if backend == "jax":
        return keras.distribution.list_devices()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    raise NotImplementedError(f"data-parallel training supports tensorflow and jax, not {backend!r}")


@contextlib.contextmanager
def data_parallel(enabled=True):
    """Build, compile and ``fit`` a GAN inside this block to train it on every visible device.

    Each batch of ``fit`` is split evenly across the devices; each device runs the round on its
    share, and the gradients are summed before both networks take their step, so the result is
    the round on the whole batch (batch norm aside: it normalizes each device's share). On JAX
    this is ``keras.distribution.DataParallel``; on TensorFlow, ``tf.distribute.MirroredStrategy``.
    Yields the number of devices (1 when ``enabled`` is False: the block then changes nothing).
    Defined in chapter 5.
    """
    if not enabled:
        yield 1
        return
    devices = visible_devices()
    if keras.backend.backend() == "jax":
        distribution = keras.distribution.DataParallel(devices=devices)
        with distribution.scope():
            yield len(devices)
    else:
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy([d.name for d in devices])
        with strategy.scope():
            yield strategy.num_replicas_in_sync


def devices_in_use(model=None):
    """How many devices a ``fit`` started here would split each batch across."""
    if keras.backend.backend() == "jax":
        distribution = keras.distribution.distribution()
        if distribution is None:
            return 1
        return int(np.prod(distribution.device_mesh.shape))
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        strategy = getattr(model, "distribute_strategy", None) or tf.distribute.get_strategy()
        return int(strategy.num_replicas_in_sync)
    return 1


def _is_dataset(x):
    return not isinstance(x, (dict, np.ndarray)) and not hasattr(x, "__len__")


def pad_to_rounds(x, batch_size, rng=None):
    """Pad ``x`` so that it splits into whole round batches: ``ceil(n / batch_size)`` of them.

    The missing points of the last batch are drawn at random (without replacement) from ``x``, so
    one epoch still shows every point once and a few twice; e.g. 10,000 points with batch 32 give
    313 rounds of 32 (16 points appear twice). Returns ``(x_padded, rounds)``.
    """
    import numpy as np

    batch_size = check_positive_int("batch_size", batch_size)
    x = np.asarray(x)
    if x.ndim < 1 or len(x) == 0:
        raise ValueError("x is empty: it needs at least one sample")
    rounds = -(-len(x) // batch_size)
    missing = rounds * batch_size - len(x)
    if missing:
        rng = np.random.default_rng(0) if rng is None else rng
        extra = rng.choice(len(x), size=missing, replace=missing > len(x))
        x = np.concatenate([x, x[extra]])
    return x, rounds


def count_outcomes(discriminator, real, fake, threshold=0.5):
    """Count the discriminator's four outcomes on a batch of real and a batch of fake samples.

    A sample is judged real when D's output is at least ``threshold``. Returns a dict with
    ``tp`` (real judged real), ``fn`` (real judged fake: D learns), ``fp`` (fake judged real:
    D learns) and ``tn`` (fake judged fake: G learns). Defined in chapter 1.
    """
    import numpy as np

    if not 0.0 < float(threshold) < 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold!r}")
    counts = {}
    for name, x in (("real", real), ("fake", fake)):
        x = np.asarray(x, dtype="float32")
        if x.ndim < 2 or x.shape[0] == 0:
            raise ValueError(f"{name} must be a non-empty batch of samples, got shape {x.shape}")
        p = np.asarray(discriminator.predict_on_batch(x)).reshape(-1)
        counts[name] = int(np.sum(p >= threshold)), len(p)
    (real_judged_real, n_real), (fake_judged_real, n_fake) = counts["real"], counts["fake"]
    return {
        "tp": real_judged_real,
        "fn": n_real - real_judged_real,
        "fp": fake_judged_real,
        "tn": n_fake - fake_judged_real,
    }


# -- callbacks shared by every chapter ------------------------------------------------------------


class StopOnNaN(keras.callbacks.Callback):
    """Stop training at the first round whose losses are NaN or infinite, before anything else.

    Keras's ``TerminateOnNaN``, made loud: it raises a ``FloatingPointError`` naming the epoch
    and the batch, so no later callback (sample grids, metrics, checkpoints) ever sees the bad
    weights, and the checkpoint on disk stays the last good one. Put it first in the callbacks.
    """

    def on_train_batch_end(self, batch, logs=None):
        bad = sorted(k for k, v in (logs or {}).items() if not math.isfinite(float(v)))
        if bad:
            self.model.stop_training = True
            raise FloatingPointError(
                f"training produced a NaN or infinite loss ({', '.join(bad)}) in epoch "
                f"{self._epoch + 1}, batch {batch + 1}, and stopped"
            )

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_begin(self, logs=None):
        self._epoch = 0


class Snapshots(keras.callbacks.Callback):
    """The generator's output for the same ``n`` noise vectors, before training and after every
    epoch: ``snapshots[0]`` before the first epoch of the first ``fit``, then one per epoch.

    The noise is drawn once from ``numpy.random.default_rng(seed)``, of the GAN's own kind.
    ``use_ema`` picks the averaged generator when the GAN has one. One callback for every
    chapter's fixed-noise figures (points of the 2-D demos, digit grids).
    """

    def __init__(self, n, seed, use_ema=True):
        super().__init__()
        self.n = check_positive_int("n", n)
        self.seed, self.use_ema = seed, bool(use_ema)
        self.z = None
        self.snapshots = []

    def _snap(self):
        self.snapshots.append(self.model.generate(z=self.z, use_ema=self.use_ema))

    def on_train_begin(self, logs=None):
        if self.z is None:
            self.z = self.model.noise_array(self.n, rng=np.random.default_rng(self.seed))
        if not self.snapshots:
            self._snap()

    def on_epoch_end(self, epoch, logs=None):
        self._snap()


class SampleMetrics(keras.callbacks.Callback):
    """After every epoch, score ``n`` generated digits with the MNIST classifier of chapter 5.

    Adds ``classifier_score``, ``class_kl``, ``classes_present`` and, with real ``reference``
    images, ``fid`` to the epoch's logs; ``results`` keeps every epoch's full
    :func:`ganlib.metrics.evaluate` dict (class histograms included). The digits of epoch ``e``
    (counted from 0) come from the noise seed ``seed + e``.
    """

    def __init__(self, classifier, reference=None, n=2000, seed=7):
        super().__init__()
        self.classifier, self.reference, self.seed = classifier, reference, seed
        self.n = check_positive_int("n", n)
        self.results = []

    def on_epoch_end(self, epoch, logs=None):
        from ganlib import metrics

        images = self.model.generate(self.n, seed=self.seed + epoch)
        result = metrics.evaluate(images, self.classifier, reference=self.reference)
        self.results.append(result)
        if logs is not None:
            for key in ("classifier_score", "fid", "class_kl", "classes_present"):
                if result[key] is not None:
                    logs[key] = float(result[key])


def round_flops(generator, discriminator, batch_size) -> int:
    """FLOPs of one four-step round on ``batch_size`` real and fake samples (chapter 2).

    A backward pass costs about twice its forward pass (gradients for the inputs and for the
    weights), so per sample, with G and D the forward FLOPs of each network
    (:func:`ganlib.models.forward_flops`): (a) D learns: 3 D; (b) G learns through the frozen
    D: G forward and backward, 3 G, and D forward plus its input gradients only, 2 D; (c) the
    fakes, G, then D learns, 3 D; (d) as (b). In all 7 G + 10 D per sample.
    """
    from ganlib.models import forward_flops

    batch_size = check_positive_int("batch_size", batch_size)
    return batch_size * (7 * forward_flops(generator) + 10 * forward_flops(discriminator))
