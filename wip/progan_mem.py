"""Where does train_progan's memory grow? RSS after fit chunks, evaluations, saves."""
import os, sys, time, resource
import numpy as np
from ganlib import config, data, progan, metrics, training

def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
what = sys.argv[1]
cfg = config.progan_config(budget_name="cpu")
d = data.load_mnist()
x32 = progan.pad_to_32(d.x_train)
g = progan.GrowingGenerator(cfg.latent_dim, dict(zip(progan.RESOLUTIONS, cfg.channels)), seed=0)
dn = progan.GrowingDiscriminator(dict(zip(progan.RESOLUTIONS, cfg.channels)), seed=0)
gan = progan._build_phase(cfg, g, dn, 32, False, None, 0)
clf = metrics.get_classifier(data=d)
print("start", rss(), flush=True)
for i in range(int(sys.argv[2])):
    if what in ("fit", "all"):
        rng = np.random.default_rng([0, i])
        batch = x32[rng.integers(0, len(x32), 20 * 32)]
        training.timed_fit(gan, batch, batch_size=32, epochs=1, shuffle=False, verbose=0)
    if what in ("eval", "all"):
        images = progan.to_28(gan.generate(10000, seed=7))
        metrics.evaluate(images, clf, reference=d.x_test[:10000])
    if what in ("gen",):
        gan.generate(z=gan.noise_array(8, rng=np.random.default_rng(1)))
    print(what, i, rss(), flush=True)
