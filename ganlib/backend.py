"""The backend plumbing behind :class:`ganlib.training.GAN`, kept here so that no method sees it.

A GAN's round has steps that each change *one* network's variables, which Keras 3's own ``train_step``
cannot say: the round differentiates with respect to explicit lists of variables, on TensorFlow in place
with a ``GradientTape`` in a ``tf.function`` (:class:`VariableStore`), on JAX as a pure function of the
values with ``jax.value_and_grad`` (:class:`ValueStore`); same verbs, so the round is written once."""

from __future__ import annotations

import contextlib
import os

import numpy as np

import keras

BACKENDS = ("tensorflow", "jax")

# Only the backend that runs, which Keras has imported already (the other may not be installed).
if keras.backend.backend() == "jax":
    import jax
elif keras.backend.backend() == "tensorflow":
    import tensorflow as tf


def _backend():
    backend = keras.backend.backend()
    if backend not in BACKENDS:
        raise NotImplementedError(f"ganlib supports the tensorflow and jax backends, not {backend!r}")
    return backend


def value_and_grad(fn):
    """Wrap ``fn(values) -> (loss, aux)`` to return ``((loss, aux), d loss / d values)``."""
    if _backend() == "jax":
        return jax.value_and_grad(fn, has_aux=True)

    def wrapped(values):
        with tf.GradientTape() as tape:
            tape.watch(values)
            loss, aux = fn(values)
        return (loss, aux), tape.gradient(loss, values)

    return wrapped


def input_gradient(fn, x):
    """d sum(fn(x)) / dx, differentiable again (a gradient penalty inside a loss, chapter 6)."""
    return value_and_grad(lambda v: (keras.ops.sum(fn(v)), None))(x)[1]


class ValueStore:
    """The variables of a step carried as values (JAX: the compiled step is a pure function)."""

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
        new, new_opt = optimizer.stateless_apply(self.get(optimizer.variables), grads, self.get(variables))
        self.set(variables, new)
        self.set(optimizer.variables, new_opt)


class VariableStore:
    """The variables of a step updated in place (TensorFlow: a ``tf.function`` keeps their order)."""

    def get(self, variables):
        return [v.value for v in variables]

    def set(self, variables, values):
        for v, value in zip(variables, values, strict=True):
            v.assign(value)

    def dump(self):
        return keras.ops.zeros(())  # a loop carries nothing: the variables hold the state

    def load(self, values):
        pass

    def apply(self, optimizer, grads, variables):
        optimizer.apply(grads, variables)


class OptimizerPair(keras.optimizers.Optimizer):
    """``model.optimizer`` for a GAN whose round calls its own optimizers: no update rule, only
    their variables, which the JAX trainer carries from step to step as ``model.optimizer``'s
    state. ``keras.optimizers.MultiOptimizer`` (Keras 3.15) can do this; this works on 3.13 too."""

    def __init__(self, *optimizers):
        super().__init__(learning_rate=0.0, name="optimizer_pair")
        self.inner = optimizers
        self.build([])

    @property
    def variables(self):
        return [*self._variables, *(v for optimizer in self.inner for v in optimizer.variables)]


@contextlib.contextmanager
def eager_store(variables):
    """A store for one step run eagerly outside ``fit`` (chapter 2's audit); with JAX, its values
    are assigned to the variables at the end of the block."""
    if _backend() == "tensorflow":
        yield VariableStore()
        return
    store = ValueStore(variables, [v.value for v in variables])
    yield store
    VariableStore().set(variables, store.get(variables))


def replica():
    """``(replicas, this replica's index)`` inside TensorFlow's ``MirroredStrategy``, else (1, 0):
    under JAX's ``DataParallel`` the batch is one array split by XLA, a loss already its mean."""
    context = tf.distribute.get_replica_context() if _backend() == "tensorflow" else None
    if context is None or context.num_replicas_in_sync == 1:
        return 1, 0
    return context.num_replicas_in_sync, context.replica_id_in_sync_group


@contextlib.contextmanager
def all_trainable(*models):
    """Every layer of ``models`` trainable for the block (``fit`` runs in it), then each layer's
    flag restored: a flag left at False (chapter 2's classic round flips them) would put batch norm
    in inference mode and, on JAX, hand the trainer's state over in another grouping."""
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


@contextlib.contextmanager
def data_parallel(enabled=True):
    """Build, compile and ``fit`` a GAN inside this block to train it on every GPU Keras sees, else
    every CPU device. Each device runs the round on its share of every batch and the gradients are
    summed: the round on the whole batch (batch norm aside: it normalizes each share). Yields the
    number of devices (1 when ``enabled`` is False: the block then changes nothing). Chapter 5."""
    if not enabled:
        yield 1
        return
    if _backend() == "jax":
        devices = keras.distribution.list_devices()
        with keras.distribution.DataParallel(devices=devices).scope():
            yield len(devices)
    else:
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        strategy = tf.distribute.MirroredStrategy([d.name for d in devices])
        with strategy.scope():
            yield strategy.num_replicas_in_sync


def devices_in_use(model=None):
    """How many devices a ``fit`` started here would split each batch across."""
    if _backend() == "jax":
        distribution = keras.distribution.distribution()
        return 1 if distribution is None else int(np.prod(distribution.device_mesh.shape))
    strategy = getattr(model, "distribute_strategy", None) or tf.distribute.get_strategy()
    return int(strategy.num_replicas_in_sync)


def one_thread():
    """Let this process's backend compute on one CPU thread: for a worker process beside others
    (:func:`ganlib.training.over_seeds`). More threads than cores make TensorFlow's thread pools
    wait on each other: three 2-thread trainings on 2 cores ran about 8 times slower each than
    one alone. Call it before the process computes anything."""
    if _backend() == "tensorflow":
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    else:  # read when JAX starts its CPU client, at the first computation
        os.environ["XLA_FLAGS"] = f"{os.getenv('XLA_FLAGS', '')} --xla_cpu_multi_thread_eigen=false".strip()
