"""The benchmarks' own claims: benchmarks/optimizer_apply.py's fused kernels make Keras's update."""

import os
import sys

import numpy as np
import pytest

import keras

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks"))

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                reason="TensorFlow's fused training kernels")


def _updated(optimizer, fused, steps=4):
    """The weights of a small network after ``steps`` updates with fixed gradients."""
    import tensorflow as tf

    from optimizer_apply import fused_update

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(7), keras.layers.Dense(3)])
    variables = model.trainable_variables
    rng = np.random.default_rng(1)
    update = fused_update(optimizer, variables) if fused else (lambda g: optimizer.apply(g, variables))
    update = tf.function(update)
    for _ in range(steps):
        update([tf.constant(rng.normal(0, 0.1, v.shape).astype("float32")) for v in variables])
    return [v.numpy() for v in variables], int(optimizer.iterations.numpy())


def test_fused_momentum_kernel_is_kerases_sgd_bit_for_bit():
    def sgd():
        return keras.optimizers.SGD(5e-4, momentum=0.9, nesterov=True)

    (keras_w, keras_it), (fused_w, fused_it) = _updated(sgd(), False), _updated(sgd(), True)
    assert keras_it == fused_it == 4
    for a, b in zip(keras_w, fused_w):
        np.testing.assert_array_equal(a, b)


def test_fused_adam_kernel_makes_kerases_adam_update_up_to_round_off():
    # Not bit for bit today (benchmarks/README.md's reason for not adopting the kernel:
    # 1 - beta_2 rounds differently), so the claim is a bound: the two differ by at most 1e-5,
    # and by at most 1 % of how far the update moved the weights. It holds as well the day they agree exactly.
    def adam():
        return keras.optimizers.Adam(2e-4, beta_1=0.5)

    start, _ = _updated(adam(), False, steps=0)
    (keras_w, keras_it), (fused_w, fused_it) = _updated(adam(), False), _updated(adam(), True)
    assert keras_it == fused_it == 4
    moved = max(np.max(np.abs(w - w0)) for w, w0 in zip(keras_w, start))
    difference = max(np.max(np.abs(a - b)) for a, b in zip(keras_w, fused_w))
    assert moved > 1e-4, moved  # four steps of 2e-4 each moved the weights
    assert difference <= min(1e-5, 0.01 * moved), (difference, moved)


def test_fused_update_refuses_an_optimizer_it_has_no_kernel_for():
    from optimizer_apply import fused_update

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="no fused kernel here for RMSprop"):
        fused_update(keras.optimizers.RMSprop(), model.trainable_variables)
