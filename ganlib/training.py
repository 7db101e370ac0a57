"""Chapter 2's four-step round fused into one compiled ``train_step`` (:class:`GAN`, every method's
base class), the callbacks every chapter shares and the :class:`Run` record.

Freezing reads no ``trainable`` flag: each step differentiates with respect to one network's explicit
list of variables, Keras 3's second correct way to freeze (:mod:`ganlib.freeze` has the first)."""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import math
import multiprocessing
import signal
import threading
import time
import types

import numpy as np

import keras
from keras import ops

from ganlib import backend, config, metrics
from ganlib.backend import data_parallel  # noqa: F401 (chapter 5's name)
from ganlib.checks import check_batch, check_choice, check_positive_int, check_type
from ganlib.models import forward_flops

#: Names of the four outcomes of the discriminator's decisions, in the order they are reported.
OUTCOMES = ("tp", "fn", "fp", "tn")


class GAN(keras.Model):
    """Generator and discriminator (a sigmoid) trained by the four-step round in ``train_step``.

    ``noise``: ``"uniform01"`` (in [0, 1), the 2-D demo), ``"uniform"`` (in [-1, 1)) or ``"normal"``.
    ``ema_momentum`` > 0 keeps ``ema_generator``, G's moving average, which :meth:`generate` samples.
    With ``rounds_per_step`` k > 1 each batch of ``fit`` holds k rounds, looped over in the compiled
    step: for tiny networks the per-step overhead is the whole cost (:func:`pad_to_rounds`).
    ``d_batch_stats_in_g_step``: in G's steps the frozen D normalizes the fakes with their own batch
    statistics (True, as PyTorch's DCGAN) or runs in inference mode (False, as a frozen Keras 3 model).

    ``fit(x)`` takes real samples, or ``{"real": x, "noise": z}`` (z: (n, 3, latent_dim), the noise of
    steps (b) to (d)) to repeat a run step for step (:mod:`ganlib.freeze`); the history holds ``d_loss``,
    ``g_loss`` and D's decisions at 0.5 (:data:`OUTCOMES`). New methods: ganlib/README.md. Chapter 2."""

    #: Further metrics (means of what a method passes to :meth:`record`); the argument overrides it.
    extra_metrics = ()
    #: Whether D's decisions are counted (a WGAN critic gives scores, not probabilities).
    counts_outcomes = True
    #: G's optimizer steps per round (the average's age in rounds is steps / this).
    g_steps_per_round = 2

    def __init__(self, generator, discriminator, latent_dim=None, noise="uniform01",
                 ema_momentum=0.0, rounds_per_step=1, d_batch_stats_in_g_step=True, seed=None,
                 extra_metrics=None, name="gan", **kwargs):
        super().__init__(name=name, **kwargs)
        for role, net in (("generator", generator), ("discriminator", discriminator)):
            check_type(role, net, keras.Model, "keras.Model")
        if not 0.0 <= float(ema_momentum) < 1.0:
            raise ValueError(f"ema_momentum must be in [0, 1), got {ema_momentum!r}")
        self.generator, self.discriminator = generator, discriminator
        latent_dim = generator.input_shape[-1] if latent_dim is None else latent_dim
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        self.noise = check_choice("noise", noise, ("uniform01", "uniform", "normal"))
        self.rounds_per_step = check_positive_int("rounds_per_step", rounds_per_step)
        self.d_batch_stats_in_g_step, self.ema_momentum = bool(d_batch_stats_in_g_step), float(ema_momentum)
        self.ema_generator = self._averaged(generator)
        self.seed_generator = keras.random.SeedGenerator(seed)
        extra = self.extra_metrics if extra_metrics is None else extra_metrics
        self.trackers = [keras.metrics.Mean(name=name) for name in ("d_loss", "g_loss")]
        self.trackers += [keras.metrics.Sum(name=name) for name in OUTCOMES if self.counts_outcomes]
        self.trackers += [keras.metrics.Mean(name=name) for name in extra]
        # Untracked by Keras: each network's learnt and kept (batch-norm) variables; the live step.
        self._lists, self._live = types.SimpleNamespace(learns=None, keeps=None), _Live()
        self.built = True  # as its networks are: Keras must not build it on real samples (call() takes noise)

    def _averaged(self, model):
        """A frozen copy of ``model`` to hold its moving average (None without averaging)."""
        if self.ema_momentum == 0:
            return None
        copy = keras.models.clone_model(model)
        copy.set_weights(model.get_weights())
        copy.trainable = False
        return copy

    def networks(self):
        """The networks that learn, discriminator last; a method with more adds them here."""
        return [self.generator, self.discriminator]

    def averaged(self):
        """``(average, live network)`` pairs that :meth:`update_ema` moves."""
        return [(self.ema_generator, self.generator)] if self.ema_generator is not None else []

    def compile(self, d_optimizer, g_optimizer, loss_fn=None, **kwargs):
        """Each network's variable lists hold all its weights whatever ``trainable`` says; loss_fn: BCE."""
        for name, opt in (("d_optimizer", d_optimizer), ("g_optimizer", g_optimizer)):
            check_type(name, opt, keras.optimizers.Optimizer, "keras optimizer")
        if d_optimizer is g_optimizer:
            raise ValueError("d_optimizer and g_optimizer must be two different optimizers")
        with backend.all_trainable(*self.networks()):
            learns = self._lists.learns = {id(n): list(n.trainable_variables) for n in self.networks()}
            self._lists.keeps = {id(n): list(n.non_trainable_variables) for n in self.networks()}
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.loss_fn = loss_fn or keras.losses.BinaryCrossentropy()
        g_optimizer.build([v for n in self.networks()[:-1] for v in learns[id(n)]])
        d_optimizer.build(learns[id(self.discriminator)])
        super().compile(optimizer=backend.OptimizerPair(g_optimizer, d_optimizer), **kwargs)

    @property
    def metrics(self):
        return list(self.trackers)

    def call(self, z, training=False):
        """D(G(z)): the probability the discriminator gives the generator's samples."""
        return self.discriminator(self.generator(z, training=training), training=training)

    def train_round(self, batch):
        """One round on a batch of real samples (or ``{"real": x, "noise": z}``)."""
        real, noise = (batch["real"], batch["noise"]) if isinstance(batch, dict) else (batch, None)
        if noise is None:
            z_tn, z_fp, z_tn2 = self.draw(lambda n: [self.sample_noise(n) for _ in range(3)], real)
        else:
            z_tn, z_fp, z_tn2 = noise[:, 0], noise[:, 1], noise[:, 2]
        D, G = self.discriminator, self.generator
        d_loss_real, p_real = self.learn(D, self.d_loss, real, 1.0)  # (a) FN step
        g_loss_1 = self.learn(G, self.g_loss, z_tn)  # (b) TN step
        d_loss_fake, p_fake = self.learn(D, self.d_loss, self.run(G, z_fp), 0.0)  # (c) FP step
        g_loss_2 = self.learn(G, self.g_loss, z_tn2)  # (d) TN step again

        self.update_ema()
        self.record((d_loss_real + d_loss_fake) / 2.0, (g_loss_1 + g_loss_2) / 2.0, p_real, p_fake)

    def d_loss(self, x, label):
        """D's loss on a batch ``x`` all labelled ``label`` (1 real, 0 fake), and its verdicts."""
        p = self.run(self.discriminator, x)
        return self.adversarial_loss(label, p), p

    def g_loss(self, z):
        """G's loss: its fakes go into the frozen D labelled real."""
        p = self.run(self.discriminator, self.run(self.generator, z))
        return self.adversarial_loss(1.0, p)

    def adversarial_loss(self, label, p):
        """``loss_fn`` of D's verdicts ``p`` against ``label``, per device."""
        value = self.loss_fn(ops.full_like(p, label), p)
        replicas = backend.replica()[0]
        if replicas > 1 and isinstance(self.loss_fn, keras.losses.Loss):
            value = value * replicas  # a Keras loss divides by the replicas itself; learn() does
        return value

    def learn(self, learners, loss_fn, *args):
        """One step: only the weights of ``learners`` (a network or a list) step down the gradient of
        ``loss_fn(*args)`` (``loss`` or ``(loss, *aux)``, returned); the others stay frozen (:meth:`run`)."""
        learners = list(learners) if isinstance(learners, (list, tuple)) else [learners]
        s, replicas = self._live.store, backend.replica()[0]
        variables = [v for net in learners for v in self._lists.learns[id(net)]]
        cuts = list(itertools.accumulate((len(self._lists.learns[id(n)]) for n in learners), initial=0))

        def loss(values):
            self._live.bound = bound = {id(net): [values[a:b], s.get(self._lists.keeps[id(net)]), None]
                                        for net, a, b in zip(learners, cuts, cuts[1:])}
            try:
                out = loss_fn(*args)
            finally:
                self._live.bound = None
            value = out[0] if isinstance(out, tuple) else out
            # Under MirroredStrategy the optimizer sums the replicas' gradients.
            scaled = value / replicas if replicas > 1 else value
            return scaled, (out, [bound[id(n)][2] for n in learners])

        (_, (out, new_keeps)), grads = backend.value_and_grad(loss)(s.get(variables))
        optimizer = self.d_optimizer if learners[0] is self.discriminator else self.g_optimizer
        s.apply(optimizer, grads, variables)
        for net, keeps in zip(learners, new_keeps):
            if keeps is not None:
                s.set(self._lists.keeps[id(net)], keeps)
        return out

    def run(self, net, x):
        """``net(x)`` on the step's current weights. Inside :meth:`learn`, a learning network runs
        in training mode and a frozen one as ``d_batch_stats_in_g_step`` says, its statistics
        unchanged; outside, in training mode, its statistics moving (D's step's fakes)."""
        s, bound = self._live.store, (self._live.bound or {}).get(id(net))
        if bound is not None:
            out, bound[2] = net.stateless_call(bound[0], bound[1], x, training=True)
            return out
        learns, keeps = s.get(self._lists.learns[id(net)]), s.get(self._lists.keeps[id(net)])
        if self._live.bound is not None:
            return net.stateless_call(learns, keeps, x, training=self.d_batch_stats_in_g_step)[0]
        out, new_keeps = net.stateless_call(learns, keeps, x, training=True)
        s.set(self._lists.keeps[id(net)], new_keeps)
        return out

    def draw(self, fn, batch):
        """``fn(n)``'s draws from ``self.seed_generator`` for a batch like ``batch``. Under MirroredStrategy
        every replica holds the same seed state, so each draws for all replicas and keeps its own slice."""
        s, (replicas, replica) = self._live.store, backend.replica()
        n, state = ops.shape(batch)[0], self.seed_generator.state
        with keras.StatelessScope(state_mapping=[(state, s.get([state])[0])]) as scope:
            draws = fn(n * replicas)
            new_state = scope.get_current_value(state)
        s.set([state], [new_state])
        if replicas > 1:
            draws = [d[replica * n:(replica + 1) * n] for d in draws]
        return draws

    def value(self, variable):
        """A variable's value in the step (e.g. a round counter)."""
        return self._live.store.get([variable])[0]

    def assign(self, variables, values):
        """Set variables' values in the step."""
        self._live.store.set(variables, values)

    def update_ema(self):
        """Move each average towards its live network. The average starts short and grows:
        momentum min(m, (1 + t) / (10 + t)) after t rounds, so early weights are soon forgotten."""
        if not self.ema_momentum:
            return
        t = ops.cast(self.value(self.g_optimizer.iterations), "float32") / float(self.g_steps_per_round)
        m = ops.minimum(self.ema_momentum, (1.0 + t) / (10.0 + t))
        pairs = [(e, w) for average, model in self.averaged()
                 for e, w in zip(average.weights, model.weights, strict=True) if not self._fixed(w)]
        ema, live = [e for e, _ in pairs], [w for _, w in pairs]
        self.assign(ema, [m * e + (1.0 - m) * w for e, w in
                          zip(self._live.store.get(ema), self._live.store.get(live))])

    def _fixed(self, variable):
        """Whether a weight is set by the method rather than averaged (ProGAN's fade-in alpha)."""
        return False

    def record(self, d_loss, g_loss, p_real=None, p_fake=None, **extra):
        """Add a round's losses, D's outcome counts (threshold 0.5; every output of D counts, so
        a patch discriminator's counts are patches) and the method's ``extra`` metrics."""
        values = {"d_loss": d_loss, "g_loss": g_loss, **extra}
        if self.counts_outcomes:
            tp, fp = (ops.sum(ops.cast(p >= 0.5, "float32")) for p in (p_real, p_fake))
            n_real, n_fake = (ops.cast(ops.size(p), "float32") for p in (p_real, p_fake))
            values.update(tp=tp, fn=n_real - tp, fp=fp, tn=n_fake - fp)
        s = self._live.store
        for m in self.trackers:
            s.set(m.variables, m.stateless_update_state(s.get(m.variables), values[m.name]))

    def sample_noise(self, n, seed=None):
        """``n`` noise vectors of this GAN's kind, in the step."""
        shape, seed = (n, self.latent_dim), self.seed_generator if seed is None else seed
        if self.noise == "normal":
            return keras.random.normal(shape, seed=seed)
        low = 0.0 if self.noise == "uniform01" else -1.0
        return keras.random.uniform(shape, low, 1.0, seed=seed)

    #: :meth:`generate` calls the generator on at most this many noise vectors at once: one eager
    #: call on 10,000 vectors held about 9 GB of activations at 32x32 (chapter 6's scoring).
    generate_chunk = 2000

    def generate(self, n=None, z=None, seed=None, use_ema=True):
        """Samples as a NumPy array from :meth:`noise_input`'s noise; ``use_ema``: the averaged G's if any."""
        z = self.noise_input(n, z, seed)
        model = self.ema_generator if (use_ema and self.ema_generator is not None) else self.generator
        # A direct call: for these small batches it is faster than predict(), which compiles.
        return np.concatenate([keras.ops.convert_to_numpy(model(ops.convert_to_tensor(z[i:i + self.generate_chunk]),
                                                                training=False))
                               for i in range(0, len(z), self.generate_chunk)])

    def noise_input(self, n=None, z=None, seed=None, labels=None):
        """``z`` checked, or ``n`` (with ``labels``, one per label) noise vectors: fresh at every
        call (from NumPy's global generator, which :func:`ganlib.config.set_seed` seeds) or, with a
        ``seed``, the same; never those of training. A float32 NumPy array (n, latent_dim)."""
        rows = None if labels is None else len(labels)
        if z is None:
            n = check_positive_int("n", n if labels is None else rows)
            z = self.noise_array(n) if seed is None else self.sample_noise(n, seed=seed)
        return check_batch("z", z, (self.latent_dim,), rows)

    def noise_array(self, n, rng=None):
        """``n`` noise vectors as a NumPy array, from ``rng`` or NumPy's global generator."""
        rng, shape = np.random if rng is None else rng, (check_positive_int("n", n), self.latent_dim)
        if self.noise == "uniform01":  # a Generator draws float32 itself, NumPy's global one float64
            return (rng.random(shape, dtype="float32") if isinstance(rng, np.random.Generator)
                    else rng.random(shape).astype("float32"))
        if self.noise == "uniform":
            return rng.uniform(-1.0, 1.0, shape).astype("float32")
        return rng.standard_normal(shape).astype("float32")

    def fit(self, x=None, y=None, batch_size=None, *args, **kwargs):
        """``keras.Model.fit`` on whole rounds, every network trainable for the call."""
        k, devices = self.rounds_per_step, backend.devices_in_use(self)
        size = 32 if batch_size is None else batch_size
        if devices > 1 and size % (devices * k):
            raise ValueError(f"batch_size ({size}) must be a multiple of the {devices} devices"
                             + (f" times rounds_per_step ({k})" if k > 1 else "")
                             + ": each device gets an equal share of every batch")
        if k > 1 and hasattr(x, "__len__"):  # a dataset (no len) is left to the user
            n = len(next(iter(x.values())) if isinstance(x, dict) else x)
            if size % k:
                raise ValueError(f"batch_size ({size}) must be a multiple of rounds_per_step ({k}): "
                                 "each batch of fit is split into that many equal rounds")
            if n % size:
                raise ValueError(f"the {n} samples do not fill whole batches of {size}: the last "
                                 f"batch would make rounds of another size; pad the data with "
                                 f"ganlib.training.pad_to_rounds(x, {size // k})")
        with backend.all_trainable(*self.networks()):
            return super().fit(x, y, batch_size, *args, **kwargs)

    def _rounds(self, store, data):
        """Run the rounds in one batch of ``fit`` (see ``rounds_per_step``); return the logs."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        self._live.store, k = store, self.rounds_per_step
        if k == 1:
            self.train_round(x)
        else:
            split = keras.tree.map_structure(lambda t: ops.reshape(t, (k, -1, *ops.shape(t)[1:])), x)

            def body(i, carry):
                store.load(carry)
                self.train_round(keras.tree.map_structure(lambda t: ops.take(t, i, axis=0), split))
                return store.dump()

            store.load(ops.fori_loop(0, k, body, store.dump()))
        logs = {m.name: m.stateless_result(store.get(m.variables)) for m in self.metrics}
        self._live.store = None
        return logs

    def train_step(self, *args):
        if keras.backend.backend() == "jax":
            # JAX: train_step(state, data) -> (logs, state); the round finds each variable by identity.
            state, data = args
            groups = (self.trainable_variables, self.non_trainable_variables,
                      self.optimizer.variables, self.metrics_variables)
            store = backend.ValueStore([v for g in groups for v in g], [v for g in state for v in g])
            logs = self._rounds(store, data)
            values = iter(store.values)
            return logs, tuple([next(values) for _ in group] for group in groups)
        (data,) = args  # TensorFlow: train_step(data) -> logs; the variables change in place.
        return self._rounds(backend.VariableStore(), data)

    def run_step(self, step, real=None, z=None):
        """One step of the round (:data:`STEPS`) on its own, eagerly, on ``real`` (fn) or noise
        ``z``: chapter 2's audit watches which network's weights each step changes."""
        check_choice("step", step, STEPS)
        if self._lists.learns is None:
            raise ValueError("compile the GAN before running a step")
        variables = list({id(v): v for v in [*self.variables, *self.d_optimizer.variables,
                                             *self.g_optimizer.variables]}.values())
        with backend.all_trainable(*self.networks()), backend.eager_store(variables) as store:
            self._live.store = store
            x = ops.convert_to_tensor(np.asarray(real if step == "fn" else z, "float32"))
            if step == "fn":
                self.learn(self.discriminator, self.d_loss, x, 1.0)
            elif step == "fp":
                self.learn(self.discriminator, self.d_loss, self.run(self.generator, x), 0.0)
            else:
                self.learn(self.generator, self.g_loss, x)
            self._live.store = None


class _Live(threading.local):
    """The store of the step in progress and the networks bound in it, per thread: under
    TensorFlow's MirroredStrategy each replica traces the step in a thread of its own."""

    store = bound = None


#: The four steps of one learning round, in order (chapter 2).
STEPS = ("fn", "tn", "fp", "tn2")


def predict(model, inputs, chunk=1000):
    """``model(inputs)`` in inference mode as a NumPy array, ``chunk`` samples at a time
    (``inputs``: an array, or a list of arrays for a model with several inputs)."""
    many = isinstance(inputs, (list, tuple))
    n = len(inputs[0] if many else inputs)
    out = [model([ops.convert_to_tensor(a[i:i + chunk]) for a in inputs] if many
                 else ops.convert_to_tensor(inputs[i:i + chunk]), training=False)
           for i in range(0, n, chunk)]
    return np.concatenate([ops.convert_to_numpy(o) for o in out])


def pad_to_rounds(x, batch_size, rng=None):
    """``(x_padded, rounds)``: ``x`` filled up to ``ceil(n / batch_size)`` whole round batches with
    points drawn at random (without replacement) from ``x``: an epoch shows each once, a few twice."""
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


def count_outcomes(discriminator, real, fake):
    """D's :data:`OUTCOMES` on a real and a fake batch, real when D's output >= 0.5. Defined in chapter 1."""
    shape = discriminator.input_shape[1:]
    p_real, p_fake = (np.asarray(discriminator.predict_on_batch(check_batch(name, x, shape)))
                      for name, x in (("real", real), ("fake", fake)))
    tp, fp = int(np.sum(p_real >= 0.5)), int(np.sum(p_fake >= 0.5))
    return {"tp": tp, "fn": p_real.size - tp, "fp": fp, "tn": p_fake.size - fp}


#: Set by the command line's Ctrl-C handler (:func:`stop_on_ctrl_c`); read between batches.
CTRL_C = threading.Event()


@contextlib.contextmanager
def stop_on_ctrl_c():
    """For the block, a first Ctrl-C (SIGINT) is only noted: :class:`StopOnNaN` raises it as
    ``KeyboardInterrupt`` after the batch in progress, never inside TensorFlow's compiled code (an
    exception raised there can abort the process). A second Ctrl-C interrupts at once."""
    def note(signum, frame):
        if CTRL_C.is_set():
            raise KeyboardInterrupt
        CTRL_C.set()

    CTRL_C.clear()
    before = signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
        CTRL_C.clear()


class StopOnNaN(keras.callbacks.Callback):
    """Keras's ``TerminateOnNaN`` made loud: a ``FloatingPointError`` naming the epoch and batch of the
    first non-finite loss; put first, no later callback sees the bad weights. Also raises a noted Ctrl-C."""

    def on_train_batch_end(self, batch, logs=None):
        if CTRL_C.is_set():
            raise KeyboardInterrupt
        bad = sorted(k for k, v in (logs or {}).items() if not math.isfinite(float(v)))
        if bad:
            self.model.stop_training = True
            raise FloatingPointError(f"training produced a NaN or infinite loss ({', '.join(bad)}) in epoch "
                                     f"{self._epoch + 1}, batch {batch + 1}, and stopped")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch


class Snapshots(keras.callbacks.Callback):
    """The generator's output for the same ``n`` noise vectors (from ``default_rng(seed)``) before
    the first ``fit`` and after every epoch: every chapter's fixed-noise figures; with ``draw``,
    ``draw(gan)`` instead: fixed inputs of another kind (every label, damaged digits)."""

    def __init__(self, n=1, seed=0, use_ema=True, draw=None):
        super().__init__()
        self.n = check_positive_int("n", n)
        self.seed, self.use_ema, self.draw = seed, bool(use_ema), draw
        self.z, self.snapshots = None, []

    def on_train_begin(self, logs=None):
        if self.z is None:
            self.z = self.model.noise_array(self.n, rng=np.random.default_rng(self.seed))
        if not self.snapshots:
            self.on_epoch_end(-1)  # the generator before it learns

    def on_epoch_end(self, epoch, logs=None):
        self.snapshots.append(self.draw(self.model) if self.draw
                              else self.model.generate(z=self.z, use_ema=self.use_ema))


class StopAfterRounds(keras.callbacks.Callback):
    """End ``fit`` after ``rounds`` batches (the epoch's end-of-epoch callbacks still run): the dry
    run of :func:`ganlib.config.round_cap`."""

    def __init__(self, rounds):
        super().__init__()
        self.rounds, self.done = rounds, 0

    def on_train_batch_end(self, batch, logs=None):
        self.done += 1
        if self.done >= self.rounds:
            self.model.stop_training = True


def timed_fit(model, x, y=None, callbacks=(), shuffle=True, **kwargs):
    """``model.fit(x, y, ...)``, :class:`StopOnNaN` before ``callbacks`` (and in a dry run
    :class:`StopAfterRounds`): ``(history as floats, seconds)``."""
    cap = config.round_cap()
    callbacks = [StopOnNaN(), *([StopAfterRounds(cap)] if cap else []), *callbacks]
    start = time.perf_counter()
    fit = model.fit(x, y, shuffle=shuffle, callbacks=callbacks, **kwargs)
    seconds = time.perf_counter() - start
    return {key: [float(v) for v in values] for key, values in fit.history.items()}, seconds


class SampleMetrics(keras.callbacks.Callback):
    """After every epoch, score ``n`` generated digits (noise seed ``seed + epoch``) with chapter
    5's classifier: :attr:`keys` go into the logs (``fid`` with real ``reference`` images),
    ``results`` keeps every epoch's full :func:`ganlib.metrics.evaluate` dict."""

    keys = ("classifier_score", "fid", "class_kl", "classes_present")

    def __init__(self, classifier, reference=None, n=2000, seed=7):
        super().__init__()
        self.classifier, self.reference, self.seed = classifier, reference, seed
        self.n, self.results = check_positive_int("n", n), []

    def score(self, epoch):
        images = self.model.generate(self.n, seed=self.seed + epoch)
        return metrics.evaluate(images, self.classifier, reference=self.reference)

    def on_epoch_end(self, epoch, logs=None):
        result = self.score(epoch)
        self.results.append(result)
        if logs is not None:
            logs.update({key: float(result[key]) for key in self.keys if result[key] is not None})


def round_flops(generator, discriminator, batch_size) -> int:
    """FLOPs of one four-step round on ``batch_size`` real and fake samples (chapter 2). A backward pass costs
    about twice its forward pass (input and weight gradients), so per sample, with G and D each network's
    forward FLOPs (:func:`ganlib.models.forward_flops`): (a) D learns, 3 D; (b) G learns through the frozen D,
    3 G + 2 D (D's input gradients only); (c) the fakes, G, then D learns, 3 D; (d) as (b): 7 G + 10 D."""
    batch_size = check_positive_int("batch_size", batch_size)
    return batch_size * (7 * forward_flops(generator) + 10 * forward_flops(discriminator))


class TimeBudget(keras.callbacks.Callback):
    """Keep training within ``minutes`` (``None``: no limit): stop after an epoch when the next one,
    as long as the mean epoch so far, would end past the budget, or when an epoch already did
    (progress bars, sample grids and checkpoints still see it). The first epoch always runs."""

    def __init__(self, minutes=None, already=0.0):
        super().__init__()
        self.minutes, self.already = minutes, already

    def last_epoch(self, initial_epoch, epochs):
        """The ``epochs`` to hand to ``fit``: ``initial_epoch`` (train no further) when a resumed
        run has already used its minutes, else ``epochs``."""
        return initial_epoch if self.minutes is not None and self.already >= self.minutes else epochs

    def on_train_begin(self, logs=None):
        self.trained, self.epochs = 0.0, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        # Training time only: what other callbacks do between epochs (metrics) is not counted.
        self.trained += time.perf_counter() - self.epoch_start
        self.epochs += 1
        spent = self.already + self.trained / 60
        if logs is not None:
            logs["minutes"] = spent
        if self.minutes is not None and spent + self.trained / 60 / self.epochs > self.minutes:
            self.model.stop_training = True


class LearningRateDecay(keras.callbacks.Callback):
    """Both learning rates fall linearly to 0 over the last ``1 - start`` of the training: each
    epoch trains at ``(1 - p) / (1 - start)`` of the compiled rates (1 while ``p`` <= ``start``), ``p``
    being its :meth:`progress` by the clock of ``budget`` (a :class:`TimeBudget` with minutes) or by
    ``epochs``. The rates change between epochs, where both backends read them. Logs ``lr_scale``."""

    def __init__(self, gan, start, budget, epochs):
        super().__init__()
        self.start, self.budget, self.epochs, self.scale = float(start), budget, epochs, 1.0
        self.optimizers = [gan.d_optimizer, gan.g_optimizer]
        self.base = [float(ops.convert_to_numpy(o.learning_rate)) for o in self.optimizers]

    def progress(self, epoch):
        """The share of the training done at the middle of epoch ``epoch`` (0-based), or None."""
        if self.budget.minutes is None:
            return (epoch + 0.5) / self.epochs
        spent = self.budget.already + getattr(self.budget, "trained", 0.0) / 60
        return (spent + spent / epoch / 2) / self.budget.minutes if epoch and spent else None

    def on_epoch_begin(self, epoch, logs=None):
        p = self.progress(epoch)
        self.scale = 1.0 if p is None or p <= self.start else max(0.0, (1 - p) / (1 - self.start))
        for optimizer, base in zip(self.optimizers, self.base):
            optimizer.learning_rate = base * self.scale

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr_scale"] = self.scale


class EpochLog(keras.callbacks.Callback):
    """One line per epoch of the numbers the chapters quote first, for ``verbose=0`` (no progress bar)."""

    FORMS = (("minutes", "{:5.1f} min"), ("lr_scale", "rates x{:.2f}"), ("classifier_score", "score {:.2f}"),
             ("fid", "FID {:6.1f}"), ("class_kl", "KL {:.3f}"))

    def __init__(self, name=""):
        super().__init__()
        self.name = f"{name} " if name else ""

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        parts = [f"{self.name}epoch {epoch + 1:>3}"]
        parts += [form.format(logs[key]) for key, form in self.FORMS if key in logs]
        if all(key in logs for key in ("tp", "fn", "tn", "fp")):
            real = logs["tp"] / max(logs["tp"] + logs["fn"], 1)
            fake = logs["tn"] / max(logs["tn"] + logs["fp"], 1)
            parts.append(f"D right on real {real:.2f}, on fake {fake:.2f}")
        print(" · ".join(parts), flush=True)


class Run:
    """What one training run produced: ``gan``, ``config``, ``history`` (per epoch, resumed ones
    included; per evaluation for ProGAN), ``seconds`` of training and what the method adds."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(sorted(self.__dict__))})"


def over_seeds(seeds, here, elsewhere, workers=1) -> dict:
    """``{seed: result}`` of every seed in ``seeds``, ``workers`` at once: with one worker each by
    ``here(seed)`` in this process; else every ``workers``-th by ``here`` (verbose, its runs kept) and
    the others by ``elsewhere(seed)`` (picklable: a module-level function or a partial of one) in
    ``workers - 1`` spawned processes, or, with ``here`` None, all in ``workers`` one-thread processes
    (:func:`ganlib.backend.one_thread`, for networks that keep every core busy). Same results either way."""
    seeds = list(seeds)
    workers = min(check_positive_int("workers", workers), len(seeds))
    if workers == 1:
        return {seed: (here or elsewhere)(seed) for seed in seeds}
    local = seeds[workers - 1 :: workers] if here else []
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(workers - bool(here), mp_context=context,
                                                initializer=None if here else backend.one_thread) as pool:
        futures = {seed: pool.submit(elsewhere, seed) for seed in seeds if seed not in local}
        results = {seed: here(seed) for seed in local}
        results.update({seed: future.result() for seed, future in futures.items()})
    return {seed: results[seed] for seed in seeds}
