"""Chapter 6 (issue 25) exploration: today's ProGAN with its phases scaled by SCALE, on the full
MNIST, scored on 10,000 samples at the end of each phase. Does more time alone lift it?

Usage: python wip/progan_explore.py NAME SCALE SEED [FIELD=VALUE ...] (2 threads: run it alone;
writes runs/explore-NAME). FIELD=VALUE overrides a ProGANConfig field (a Python literal or a word),
e.g. loss=ns-r1 gp_weight=1.0 channels=(64,64,32,32). THREADS=1 in the environment: one thread.
"""
import ast
import os
import json
import sys
import time

from ganlib import config, data, progan

name, scale, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])


def literal(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


overrides = {k: literal(v) for k, v in (a.split("=", 1) for a in sys.argv[4:])}
if os.environ.get("THREADS") == "1":
    from ganlib import backend
    backend.one_thread()
base = config.progan_config(budget_name="cpu")
cfg = config.progan_config(budget_name="cpu", metric_samples=10_000, eval_minutes=1000.0,
                           stable_rounds=tuple(round(r * scale) for r in base.stable_rounds),
                           fade_rounds=tuple(round(r * scale) for r in base.fade_rounds), **overrides)
print(cfg, flush=True)
t = time.time()
run = progan.train_progan(cfg, seed=seed, out_dir=f"runs/explore-{name}", data=data.load_mnist(), verbose=0)
for s in run.stages:
    print(f"{s['resolution']:2d} {'fade  ' if s['fading'] else 'stable'} {s['rounds']:5d} rounds, "
          f"{s['minutes']:5.1f} min: score {s['classifier_score']:.2f}, FID {s['fid']:.1f}, "
          f"KL {s['class_kl']:.3f}", flush=True)
print(json.dumps({"name": name, "scale": scale, "seed": seed, **{k: str(v) for k, v in overrides.items()}, "minutes": run.seconds / 60,
                  "wall_minutes": (time.time() - t) / 60, **{k: run.stages[-1][k] for k in
                  ("classifier_score", "fid", "class_kl", "classes_present")}}))
