"""Chapter 8 (issue 26) pilot: image-to-image where L1 must blur. For one task, train the pix2pix
GAN and its L1-only twin for MINUTES each (the twin by the same clock) on the full MNIST, and
print the issue's line for the degraded input, the twin and the GAN, plus the real digits' floor.
Target on the ambiguous task: the GAN's FID <= 0.5 x the twin's.

Usage: python wip/i2i_pilot.py TASK MINUTES SEED [FIELD=VALUE ...] (2 threads: run it alone;
THREADS=1: one thread). FIELD=VALUE overrides a Pix2PixConfig field, e.g. l1_weight=10.
TASK: superres, superres4, inpaint, lower-half.
"""
import os
import sys
import time

import wiputil

task, minutes, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
if os.environ.get("THREADS") == "1":
    from ganlib import backend
    backend.one_thread()
from ganlib import conditional, config, data, metrics  # noqa: E402


overrides = wiputil.overrides(sys.argv[4:])
cfg = config.pix2pix_config(task, budget_name="cpu", minutes=minutes, **overrides)
print(cfg, flush=True)
mnist = data.load_mnist()
start = time.time()
run = conditional.train_pix2pix(cfg, seed=seed, data=mnist, classifier=metrics.get_classifier(data=mnist),
                                verbose=0)
for method, report in run.results.items():
    if method != "truth":
        print(conditional.translation_line(task, method, report), flush=True)
truth = run.results["truth"]
print(f"{task} real digits: FID {truth['fid']:.1f}, sharpness {truth['sharpness']:.3f}, classifier accuracy "
      f"{100 * truth['classifier_accuracy']:.1f}%")
print(f"GAN {run.seconds / 60:.1f} min ({len(run.history['d_loss'])} epochs), L1 twin {run.l1_seconds / 60:.1f} "
      f"min ({len(run.l1_history.get('loss', []))} epochs); wall {(time.time() - start) / 60:.1f} min", flush=True)
gan_fid, l1_fid = run.results["gan"]["fid"], run.results["l1"]["fid"]
print(f"FID ratio GAN / L1: {gan_fid / l1_fid:.2f} (target <= 0.5)")
