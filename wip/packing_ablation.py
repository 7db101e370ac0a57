"""Issue 27 item 4 (all five variants ran once, seed 0, on 2026-12-07; wip/README.md): which difference from PacGAN's set-up costs chapter 7's grid
packing row its high-quality samples (20.3 modes, 4.6 % at 20,000 rounds of batch 128 = 32 packs
of 4). One variant per call, seeds in this process, one line of results:

    .venv/bin/python wip/packing_ablation.py batch400 2
"""

import json
import sys
import time

from ganlib import config, mixture

VARIANTS = {
    "course": {},  # the chapter's table row
    "batch400": {"batch_size": 400},  # PacGAN's 100 packs per D step
    "pacopt": {k: v for k, v in config.PACGAN_SETUP.items() if k not in ("networks", "latent_dim")},
    "pacnets": {"networks": "pacgan", "latent_dim": 2, "standardize": False},
    "pacgan": {**config.PACGAN_SETUP, "batch_size": 400},  # all of it, at the chapter's rounds
}

if __name__ == "__main__":
    name, seeds = sys.argv[1], int(sys.argv[2])
    cfg = mixture.mixture_config("grid", "pack", **VARIANTS[name])
    start = time.time()
    result = mixture.run_seeds(cfg, seeds=seeds)
    print(name, json.dumps({k: result[k] for k in ("modes", "modes_se", "high_quality", "kl")}),
          [(r["modes"], round(r["high_quality"], 3), r["seconds"]) for r in result["per_seed"]],
          f"{time.time() - start:.0f} s", flush=True)
