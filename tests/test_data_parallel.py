"""Data-parallel training on 2 virtual CPU devices, on both backends: the batch is split, the
counts add up to the whole batch, the losses are finite, both networks learn, and the run is the
same round as on one device (JAX: exactly; TensorFlow: to float round-off)."""

import numpy as np
import pytest

from conftest import last_json, needs_jax, run_python

#: Split the CPU into ``devices`` virtual devices for the backend given on the command line.
DEVICES = """
import json, os, sys
backend, devices = sys.argv[1], int(sys.argv[2])
os.environ["KERAS_BACKEND"] = backend
if backend == "jax":
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
else:
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * devices)
import numpy as np, keras
"""

RUN = DEVICES + """
from ganlib import models
from ganlib.training import GAN, data_parallel
keras.utils.set_random_seed(0)
with data_parallel(enabled=devices > 1) as used:
    g, d = models.gaussian_generator(), models.gaussian_discriminator()
    gan = GAN(g, d, ema_momentum=0.99, seed=0)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    before = [np.array(w) for w in g.get_weights() + d.get_weights()]
    x = np.random.default_rng(0).normal(5, 1, (256, 2)).astype("float32")
    history = gan.fit(x, batch_size=64, epochs=2, verbose=0).history
after = g.get_weights() + d.get_weights()
print(json.dumps({"devices": used, "history": {k: [float(v) for v in vals] for k, vals in history.items()},
                  "g_moved": any(not np.array_equal(a, b) for a, b in zip(before[:len(g.get_weights())], g.get_weights())),
                  "d_moved": any(not np.array_equal(a, b) for a, b in zip(before[len(g.get_weights()):], d.get_weights()))}))
"""


def run(backend, devices):
    return last_json(run_python(args=["-c", RUN, backend, str(devices)], backend=backend))


@pytest.mark.parametrize("backend", ["tensorflow", pytest.param("jax", marks=needs_jax)])
def test_two_devices_train_the_same_round_as_one(backend):
    two, one = run(backend, 2), run(backend, 1)
    assert two["devices"] == 2 and one["devices"] == 1
    h = two["history"]
    # Each epoch: 4 rounds of 64 real and 64 fake samples, split 32 + 32 across the devices.
    assert [a + b for a, b in zip(h["tp"], h["fn"])] == [256.0, 256.0]
    assert [a + b for a, b in zip(h["fp"], h["tn"])] == [256.0, 256.0]
    assert all(0.0 < v < 10.0 for v in h["d_loss"] + h["g_loss"])
    assert two["g_moved"] and two["d_moved"]
    for key in ("d_loss", "g_loss"):
        assert h[key] == pytest.approx(one["history"][key], abs=1e-4), key
    for key in ("tp", "fn", "fp", "tn"):
        assert h[key] == one["history"][key], key


def test_a_batch_that_does_not_split_evenly_is_a_clear_error():
    code = RUN.replace("batch_size=64", "batch_size=63")
    proc = run_python(args=["-c", code, "tensorflow", "2"], backend="tensorflow")
    assert proc.returncode != 0 and "must be a multiple of the 2 devices" in proc.stderr


PROGAN = DEVICES + """
from ganlib import progan
from ganlib.training import data_parallel
keras.utils.set_random_seed(0)
with data_parallel(enabled=devices > 1) as used:
    widths = {4: 8, 8: 8, 16: 8, 32: 8}
    g, d = progan.GrowingGenerator(8, widths, seed=0), progan.GrowingDiscriminator(widths, seed=0)
    gan = progan.ProGAN(g.model(4), d.model(4), seed=0)
    # Plain SGD: a step is proportional to the gradient, so a gradient N times too large shows
    # (Adam would hide it: its step hardly depends on the gradient's scale).
    gan.compile(keras.optimizers.SGD(1e-3), keras.optimizers.SGD(1e-3))
    x = np.random.default_rng(0).uniform(-1, 1, (32, 4, 4, 1)).astype("float32")
    gan.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)
print(json.dumps({"devices": used, "weights": [np.asarray(w).ravel().tolist()
                  for w in gan.generator.get_weights() + gan.discriminator.get_weights()]}))
"""


# JAX's DataParallel needs no loss scaling (one array over the devices): its case is in the slow run.
@pytest.mark.parametrize("backend", ["tensorflow", pytest.param("jax", marks=[needs_jax, pytest.mark.slow])])
def test_progan_on_two_devices_takes_the_same_steps_as_on_one(backend):
    """ProGAN's WGAN-GP losses are scaled per replica like every method's (under TensorFlow's
    MirroredStrategy the replicas' gradients are summed): the weights after 4 rounds with plain
    SGD match one device's. Without the scaling the steps were twice as long."""
    two, one = (last_json(run_python(args=["-c", PROGAN, backend, str(n)], backend=backend))
                for n in (2, 1))
    assert two["devices"] == 2 and one["devices"] == 1
    for a, b in zip(two["weights"], one["weights"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
