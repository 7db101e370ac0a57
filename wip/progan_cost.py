"""ms per ProGAN round at 32x32 (stable) for a few batch sizes / widths: python wip/progan_cost.py"""
import sys, time
import numpy as np
from ganlib import config, data, progan, training

d = data.load_mnist()
x32 = progan.pad_to_32(d.x_train[:20000])
for spec in sys.argv[1:]:
    batch, ch, every = (spec + ":1").split(":")[:3]
    batch, ch = int(batch), tuple(int(c) for c in ch.split(","))
    cfg = config.progan_config(budget_name="cpu", batch_size=batch, channels=ch, loss="ns-r1", gp_weight=1.0, r1_every=int(every))
    chans = dict(zip(progan.RESOLUTIONS, ch))
    g, dn = progan.GrowingGenerator(cfg.latent_dim, chans, seed=0), progan.GrowingDiscriminator(chans, seed=0)
    for r in (16, 32):
        for rr in progan.RESOLUTIONS:
            if rr <= r: g.model(rr, False), dn.model(rr, False)
        gan = progan._build_phase(cfg, g, dn, r, False, None, 0)
        x = progan.downsample(x32, r) if r < 32 else x32
        times = []
        for i in range(4):
            b = x[np.random.default_rng(i).integers(0, len(x), 50 * batch)]
            _, s = training.timed_fit(gan, b, batch_size=batch, epochs=1, shuffle=False, verbose=0)
            times.append(s / 50)
        print(f"r1_every {every} batch {batch} channels {ch} at {r}x{r}: {1000 * min(times[1:]):.0f} ms/round, "
              f"{1e6 * min(times[1:]) / batch:.0f} us/sample", flush=True)
