"""One optimizer update of chapter 5's networks: Keras 3's ``optimizer.apply`` against TensorFlow's
fused training kernel, and whether the two give the same numbers.

Keras 3 writes each update as a dozen separate element-wise operations per weight tensor (Adam:
``m += (g - m)(1 - b1)``, ``v += (g^2 - v)(1 - b2)``, ``w -= alpha m / (sqrt(v) + eps)``, each
operation a pass over memory); TensorFlow's ``ResourceApplyAdam`` and
``ResourceApplyKerasMomentum`` do the same update in one pass per tensor. This is the one saving
found for the fused round that the same round written by hand cannot have too (both run the same
convolution kernels; see ``dcgan_step.py`` and benchmarks/README.md), so this script measures
what it would be worth and what it would cost:

* ms per update of G's and of D's weights, each way, compiled (``tf.function``), best of
  ``--repeats`` samples of 10 updates, the two ways taking turns (``dcgan_step.interleaved_best``:
  this VM's speed changes from one second to the next); a four-step round makes two updates of
  each network, so the saving per round is twice the sum of the differences;
* the largest difference in the weights after ``--check-steps`` updates from the same state with
  the same gradients ("0" means bit for bit the same). Keras computes ``1 - b2`` in Python and
  rounds it to float32, the kernel subtracts in float32: for Adam's ``b2 = 0.999`` these differ
  (0.0010000000 against 0.0009999871), so adopting the kernel would change the training of every
  chapter that uses Adam, and their stored runs would have to be made again.

The last line is ``ratio: X`` = Keras's ms / the fused kernel's ms, summed over the updates of one
round of every architecture (TensorFlow backend only).
Usage: ``python benchmarks/optimizer_apply.py [--repeats 15] [--check-steps 5]``.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

import keras  # noqa: E402

from dcgan_step import interleaved_best, stopwatch  # noqa: E402  (same folder)
from ganlib import config, dcgan  # noqa: E402

UPDATES = 10  # updates per timed sample


def fused_update(optimizer, variables):
    """A function applying gradients to ``variables`` with TensorFlow's fused kernel, the update
    Keras's ``optimizer`` (Adam, or SGD with momentum) makes; it counts ``iterations`` as Keras does."""
    import tensorflow as tf

    optimizer.build(variables)

    def slots(name):  # the optimizer's state for each of ``variables``, in their order
        return [getattr(optimizer, name)[optimizer._get_variable_index(v)] for v in variables]

    def handles(keras_variables):  # what TensorFlow's raw training ops update in place
        return [v.value.handle for v in keras_variables]

    if isinstance(optimizer, keras.optimizers.Adam):
        ms, vs = handles(slots("_momentums")), handles(slots("_velocities"))

        def update(grads):
            lr = tf.cast(optimizer.learning_rate, "float32")
            step = tf.cast(optimizer.iterations + 1, "float32")
            b1, b2 = tf.constant(optimizer.beta_1, "float32"), tf.constant(optimizer.beta_2, "float32")
            for w, m, v, g in zip(handles(variables), ms, vs, grads):
                tf.raw_ops.ResourceApplyAdam(var=w, m=m, v=v, beta1_power=tf.pow(b1, step),
                                             beta2_power=tf.pow(b2, step), lr=lr, beta1=b1, beta2=b2,
                                             epsilon=tf.constant(optimizer.epsilon, "float32"), grad=g)
            optimizer.iterations.assign_add(1)
    elif isinstance(optimizer, keras.optimizers.SGD) and optimizer.momentum:
        accums = handles(slots("momentums"))

        def update(grads):
            lr = tf.cast(optimizer.learning_rate, "float32")
            for w, a, g in zip(handles(variables), accums, grads):
                tf.raw_ops.ResourceApplyKerasMomentum(
                    var=w, accum=a, lr=lr, grad=g, momentum=tf.constant(optimizer.momentum, "float32"),
                    use_nesterov=optimizer.nesterov)
            optimizer.iterations.assign_add(1)
    else:
        raise ValueError(f"no fused kernel here for {type(optimizer).__name__}")
    return update


def compare(arch, network, repeats, check_steps):
    """``(keras ms, fused ms, params, largest weight difference)`` for one network's optimizer."""
    import tensorflow as tf

    cfg = config.dcgan_config(arch, budget_name="cpu")
    timers, finals = {}, {}
    for way in ("keras", "fused"):
        config.set_seed(0)
        gan = dcgan.build_gan(cfg)  # the same weights and optimizer settings for both ways
        model = gan.generator if network == "G" else gan.discriminator
        optimizer = gan.g_optimizer if network == "G" else gan.d_optimizer
        variables = model.trainable_variables
        rng = np.random.default_rng(1)
        grads = [[tf.constant(rng.normal(0, 1e-2, v.shape).astype("float32")) for v in variables]
                 for _ in range(check_steps)]
        if way == "keras":
            fn = tf.function(lambda gs: optimizer.apply(gs, variables))
        else:
            fn = tf.function(fused_update(optimizer, variables))
        for gs in grads:  # the same updates from the same state (also traces and warms up)
            fn(gs)
        finals[way] = [v.numpy() for v in variables]

        def updates(fn=fn, g=grads[0], variables=variables):
            for _ in range(UPDATES):
                fn(g)
            variables[0].numpy()  # wait for the last update

        timers[way] = stopwatch(updates)
    ms = interleaved_best(timers, UPDATES, repeats)
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(finals["keras"], finals["fused"]))
    return ms["keras"], ms["fused"], model.count_params(), diff


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed samples per way")
    parser.add_argument("--check-steps", type=int, default=5, help="updates compared for sameness")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be 1 or more")
    if args.check_steps < 1:
        parser.error("--check-steps must be 1 or more")
    if keras.backend.backend() != "tensorflow":
        parser.error("the fused kernels are TensorFlow's: run with KERAS_BACKEND=tensorflow")
    print(config.device_report(), f"· best of {args.repeats} samples of {UPDATES} updates per way, the ways taking turns")
    print(f"{'arch':<8} {'net':<3} {'optimizer':<9} {'params':>9} {'keras ms':>9} {'fused ms':>9} "
          f"{'max |dw|':>9} {'saved ms/round':>14}")
    totals = {"keras": 0.0, "fused": 0.0}
    for arch in config.DCGAN_ARCHS:
        saved = 0.0
        for network in ("G", "D"):
            keras_ms, fused_ms, params, diff = compare(arch, network, args.repeats, args.check_steps)
            kind = dcgan.ARCHS[arch][2]
            saved += 2 * (keras_ms - fused_ms)  # two updates of each network per round
            totals["keras"] += 2 * keras_ms
            totals["fused"] += 2 * fused_ms
            print(f"{arch:<8} {network:<3} {kind:<9} {params:>9,} {keras_ms:>9.2f} {fused_ms:>9.2f} "
                  f"{diff:>9.1e} {f'{saved:.1f}' if network == 'D' else '':>14}", flush=True)
    print(f"ratio: {totals['keras'] / totals['fused']:.2f}")


if __name__ == "__main__":
    main()
