import nbformat as nbf
nb = nbf.v4.new_notebook()
C = []
def md(s): C.append(nbf.v4.new_markdown_cell(s.strip("\n")))
def code(s, tags=None):
    c = nbf.v4.new_code_cell(s.strip("\n"))
    if tags: c.metadata["tags"] = tags
    C.append(c)

md(r'''
# Stacked MNIST: a thousand modes

The ring and the grid make mode collapse visible in the plane. The benchmark the field uses for
images is **Stacked MNIST** {cite}`metz2017unrolled,srivastava2017veegan,lin2018pacgan`: three MNIST
digits, drawn independently, stacked as the red, green and blue channels of one image. Its modes
are the triples of digits, 000 to 999: a thousand of them, nearly equally likely (MNIST's classes
are not quite equal). A generator that never draws a 7 in one channel loses a hundred modes; one
that ties the green digit to the red one loses nine hundred.

The published score, computed here as PacGAN's own code computes it:

- generate **26,000** images; chapter 5's classifier reads each channel on its own;
- a mode is **covered** when at least one image falls in it;
- the **KL divergence** of the modes' frequencies from the uniform distribution, in nats: 0 for a
  perfectly even spread, $\ln 1000 \approx 6.91$ for a single mode.

**What you will see.** Real stacks and their score; the compact DCGAN of chapter 5 with three
colour channels, plain and with two remedies of this chapter (packing, the minibatch standard
deviation), each trained over several seeds, beside the published rows; generated stacks in colour;
and the thousand mode counts of the plain and the best generator.
''')
code(r'''
# On Colab (or anywhere ganlib is missing), install the course library from its repository.
try:
    import ganlib
except ImportError:
    %pip install -q "ganlib @ git+https://github.com/gans-in-keras/gans-in-keras"
    import ganlib
''', ["skip-execution", "nbval-skip", "hide-cell"])
code(r'''
import inspect

import numpy as np
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from ganlib import config, data, layers, metrics, plot, stacked

print(config.device_report())
print("mode:", config.mode())
mnist = data.load_mnist()
classifier = metrics.get_classifier(data=mnist)
print(mnist.summary())
''', ["nbval-ignore-output"])
md(r'''
## Real stacks

`stacked.stack_digits` builds the data: for every image, three indices drawn independently, one
digit per channel. The training batches are drawn afresh every round (`stacked.StackedDigits`), so
the generator never sees the same stack twice.
''')
code(r'''
print(inspect.getsource(stacked.stack_digits))
''')
md(r'''
Real stacks of *test* digits show what a perfect generator would score: every mode, and a KL that
is small but not 0, since 26,000 draws of 1,000 modes are never exactly even.
''')
code(r'''
real_images, real_modes = stacked.stack_digits(mnist.x_test, 26_000, np.random.default_rng(0),
                                               mnist.y_test)
real = stacked.score_stacks(real_images, classifier)
read = np.bincount(real_modes, minlength=stacked.MODES)
print(f"real test stacks, read by the classifier: {real['modes']} modes of 1000, KL {real['kl']:.3f}")
print(f"their true labels:                        {np.count_nonzero(read)} modes of 1000, "
      f"KL {metrics.kl_from_uniform(read):.3f}")
''', ["nbval-ignore-output"])
code(r'''
fig, ax = plt.subplots(figsize=(6.4, 3.4))
ax.imshow(plot.image_grid(real_images[:24], ncols=12))
ax.set_title("real stacks: red, green and blue are three digits", fontsize=10)
ax.axis("off")
plt.show()
''', ["nbval-ignore-output"])
md(r'''
## The set-up, and where it differs from the papers'

PacGAN's Stacked MNIST table follows VEEGAN's set-up: Radford's DCGAN with 5×5 kernels (D: 64,
128, 256, 512 channels; G the mirror image), Adam at $2\cdot10^{-4}$ with $\beta_1 = 0.5$, batch 64,
one D step and two G steps per round, **100,000 rounds**. That is about twice the compact DCGAN's
arithmetic per image and far more rounds than a CPU can give. This page trains chapter 5's compact
DCGAN instead, with three channels in and out, and everything else as chapter 5 trains it: the
four-step round, Adam with D three times faster than G, batch 64, normal noise, an average of G's
weights. Each seed trains 2,000 rounds (at most 20 minutes on the CPU; the rounds it reaches
are printed), two seeds at once in worker processes of one thread each.

The remedies are one layer each in the discriminator (chapter 7's layers, on images):
''')
code(r'''
print(inspect.getsource(stacked.stacked_discriminator))
print(inspect.getsource(layers.Pack.call))
''')
md(r'''
- **packing** ($m = 2$, PacGAN's PacDCGAN2): D judges two stacks at once, joined along the
  channels, 6 channels in;
- **minibatch standard deviation**: before D's verdict, one more 4×4 feature map holding how much
  the batch varies (chapter 6's layer, chapter 7's best remedy on the grid).

## The table
''')
code(r'''
budget = config.table_budget(seeds=4)
results = {}
for fix in config.STACKED_FIXES:
    cfg = stacked.stacked_config(fix)
    results[fix] = stacked.run_seeds(cfg, budget["seeds"], workers=budget["workers"])
    rounds = [row["epochs"] * cfg.rounds_per_epoch for row in results[fix]["per_seed"]]
    print(f"{stacked.VARIANTS[fix]}: {min(rounds)}-{max(rounds)} rounds per seed, "
          f"{results[fix]['seconds'] / 60:.0f} min of training for {budget['seeds']} seeds")
for fix in config.STACKED_FIXES:
    print(stacked.summary_line(stacked.VARIANTS[fix], results[fix]))
''', ["nbval-ignore-output"])
code(r'''
rows = ["| | modes (of 1000) | KL | seeds |", "|---|---:|---:|---:|"]
for name, (modes, kl) in stacked.PUBLISHED.items():
    rows.append(f"| {name} (published) | {modes} | {kl} | |")
for fix, r in results.items():
    rows.append(f"| **{stacked.VARIANTS[fix]} (this page)** | {r['modes']:.1f} ± {r['modes_std']:.1f} "
                f"| {r['kl']:.2f} ± {r['kl_std']:.2f} | {r['seeds']} |")
rows.append(f"| real test stacks | {real['modes']} | {real['kl']:.2f} | |")
display(Markdown("\n".join(rows)))
''', ["nbval-ignore-output"])
code(r'''
fig, axes = plt.subplots(1, 3, figsize=(10, 3.9))
for ax, fix in zip(axes, config.STACKED_FIXES):
    row = results[fix]["per_seed"][0]
    ax.imshow(plot.image_grid(row["samples"] / 127.5 - 1, ncols=6))
    ax.set_title(f"{stacked.VARIANTS[fix]}, seed {row['seed']}\n{row['modes']} modes, KL {row['kl']:.2f}",
                 fontsize=9)
    ax.axis("off")
plt.tight_layout()
plt.show()
''', ["nbval-ignore-output"])
code(r'''
best = min(("pack", "mbstd"), key=lambda fix: results[fix]["kl"])
fig, axes = plt.subplots(2, 1, figsize=(7.2, 5.2), sharex=True)
for ax, fix in zip(axes, ("none", best)):
    counts = np.asarray(results[fix]["per_seed"][0]["counts"])
    ax.bar(np.arange(stacked.MODES), counts, width=1.0, color="tab:blue")
    ax.axhline(26_000 / stacked.MODES, color="tab:red", lw=0.8, label="even spread (26 each)")
    ax.set_ylabel("samples")
    ax.set_title(f"{stacked.VARIANTS[fix]}, seed 0: {np.count_nonzero(counts)} modes, "
                 f"the largest holds {counts.max()}", fontsize=9)
    ax.legend(loc="upper right", fontsize=8)
axes[1].set_xlabel("mode (red digit x 100 + green x 10 + blue)")
plt.tight_layout()
plt.show()
''', ["nbval-ignore-output"])
md(r'''
**What the stored run shows.** *(Written from the stored outputs after the full run.)*

## Run it from a terminal

```bash
python -m ganlib stacked --fix mbstd --seeds 4 --workers 2 --out runs/stacked-compact-mbstd
```

Each seed trains in its own folder (`seed-0/`, `seed-1/`, ...), with a checkpoint and a figure
after every epoch; Ctrl-C stops it, and `--resume` finishes the unfinished seeds and reads back the
finished ones. The last line printed is a JSON object: `modes` and `kl` (mean, standard deviation
and standard error), each seed's row, the seconds.

## Exercises

1. Pack three stacks instead of two (PacDCGAN3). *Hint:* `stacked.stacked_config("pack", pack=3,
   batch_size=63)`: the batch must split into packs.
2. Score a generator with 2,600 samples instead of 26,000. How many modes does a perfect generator
   cover then? *Hint:* `stacked.score_stacks` of 2,600 real stacks; on average $1000\,(1 - e^{-2.6})$.
''')
nb.cells = C
nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
               "language_info": {"name": "python"}}
nbf.write(nb, "/work/main/wip/07b_stacked_mnist.ipynb")
