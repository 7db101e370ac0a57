"""Chapter 6 stability setting (issue 25): one run, growing (schedule scaled by SCALE) or not (MINUTES).

python wip/progan_stab.py NAME grow|flat SCALE_OR_MINUTES SEED [FIELD=VALUE ...]  (THREADS=1: one thread)
"""
import ast, json, os, sys, time
from ganlib import config, data, progan

name, mode, amount, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
over = {}
for a in sys.argv[5:]:
    k, v = a.split("=", 1)
    try:
        over[k] = ast.literal_eval(v)
    except (ValueError, SyntaxError):
        over[k] = v
if os.environ.get("THREADS") == "1":
    from ganlib import backend
    backend.one_thread()
base = config.progan_config(budget_name="cpu")
kw = dict(stable_rounds=tuple(round(r * amount) for r in base.stable_rounds),
          fade_rounds=tuple(round(r * amount) for r in base.fade_rounds)) if mode == "grow" else {}
cfg = config.progan_config(budget_name="cpu", metric_samples=10_000, eval_minutes=0.5, **kw, **over)
t = time.time()
run = progan.train_progan(cfg, seed=seed, out_dir=f"runs/stab-{name}", data=data.load_mnist(), verbose=1,
                          grow=mode == "grow", minutes=None if mode == "grow" else amount, resume=True)
s = run.stages[-1]
print(json.dumps({"name": name, "mode": mode, "amount": amount, "seed": seed, **{k: str(v) for k, v in over.items()},
                  "minutes": run.seconds / 60, "wall": (time.time() - t) / 60,
                  **{k: s[k] for k in ("classifier_score", "fid", "class_kl", "classes_present")}}), flush=True)
