"""Chapter 5 exploration: the compact DCGAN with a variant. Arguments: NAME VARIANT EPOCHS SEED.

Variants: g28 (a 28x28 stage in G), smooth (one-sided label smoothing 0.9), anything else the
compact as is. One thread and fixed epochs unless TWO=1 (2 threads, the 20-minute CPU budget).
"""
import json
import os
import sys
import time

from ganlib import backend
if not os.environ.get("TWO"): backend.one_thread()
import keras
from keras import layers
from ganlib import config, dcgan, training
from ganlib.models import normalized

name, variant, epochs, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def g28(latent_dim=64, channels=1, name="generator"):
    return keras.Sequential([
        keras.Input(shape=(latent_dim,)),
        *normalized(layers.Dense(7 * 7 * 128, use_bias=False)),
        layers.Reshape((7, 7, 128)),
        *normalized(layers.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False)),
        *normalized(layers.Conv2D(64, 3, padding="same", use_bias=False)),
        *normalized(layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False)),
        layers.Conv2D(channels, 3, padding="same", activation="tanh"),
    ], name=name)

if variant == "g28":
    dcgan.ARCHS["compact"] = (g28, *dcgan.ARCHS["compact"][1:])
if variant == "smooth":
    def d_loss(self, x, label):
        p = self.run(self.discriminator, x)
        return self.adversarial_loss(0.9 if label == 1.0 else label, p), p
    training.GAN.d_loss = d_loss
cfg = config.dcgan_config("compact", budget_name="cpu", **({} if os.environ.get("TWO") else {"epochs": epochs, "minutes": None}))
print(cfg, flush=True)
t = time.time()
run = dcgan.train_dcgan(cfg, seed=seed, out_dir=f"runs/explore-{name}", verbose=0,
                        callbacks=[training.EpochLog("compact")])
h = run.history
print(json.dumps({"name": name, "score": h["classifier_score"], "fid": h["fid"], "minutes": h["minutes"],
                  "seconds": time.time() - t}), flush=True)
