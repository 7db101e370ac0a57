"""Chapter 6's new page (issue 25), made from the stored notebook: ``python wip/make_06.py`` writes
``wip/06_progan.ipynb``. Kept cells are copied from ``notebooks/06_progan.ipynb``; new and changed
cells are written here. Results prose (``RESULTS``) is written after the full run, from its outputs.

Not built into the book and not tested until it replaces ``notebooks/06_progan.ipynb`` right before
chapter 6's one re-execution.
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
old = json.load(open(os.path.join(ROOT, "notebooks", "06_progan.ipynb"), encoding="utf-8"))
cells = []


def md(text):
    cells.append({"cell_type": "markdown", "metadata": {}, "source": text.strip("\n").splitlines(keepends=True)})


def code(text, tags=("nbval-ignore-output",)):
    cells.append({"cell_type": "code", "execution_count": None, "metadata": {"tags": list(tags)} if tags else {},
                  "outputs": [], "source": text.strip("\n").splitlines(keepends=True)})


def keep(index):
    cell = dict(old["cells"][index])
    if cell["cell_type"] == "code":
        cell = {**cell, "outputs": [], "execution_count": None}
    cells.append(cell)


md(r"""
# 6. ProGAN: growing the networks

Chapter 5's DCGANs learn 28×28 digits all at once: from the first round the generator must get
everything right together — where the digit is, its strokes, their edges. Karras et al.
{cite}`karras2018` proposed something closer to how an artist works: learn tiny images first, then
add detail. Shrink the training images to 4×4, train small networks on them; then add layers to
both networks that handle 8×8, and *fade* them in; then 16×16, and so on. This is *progressive
growing* (ProGAN).

Why would that help? At high resolution the discriminator's task is too easy: a generated
1024×1024 face differs from every real one in countless details, the discriminator tells them
apart at once, and the gradients it passes back to the generator, which should say how to look
*more real*, become close to random. A 4×4 image has 16 pixels; telling real from fake there is
hard, so both players learn something, and each new stage starts from networks that already agree
on the coarse picture.

**The target.** The same as chapter 5's compact DCGAN, in the same budget: in **20 minutes of
training on 2 CPU cores**, 32×32 samples that chapter 5's classifier scores at **at least 90 % of
the real test digits' score**, with class KL **at most 0.05** and all ten digits present.

**What you will see.** The training digits at 4, 8, 16 and 32 pixels; the pieces of ProGAN as
Keras 3 layers (fade-in, equalized learning rate, pixel norm, minibatch standard deviation); the
growing networks; the loss, from chapter 4's Jensen–Shannon divergence to the Wasserstein distance
and its gradient penalty, and the R1 penalty this chapter trains with, with the training step's own
code; a full run on the 2-core CPU, stage
by stage; the same noise through one fade-in; and the paper's two claims tested small: growing
trains *faster* (the same final networks trained without growing for the same minutes) and *more
stably* (many seeds of each, in a setting where training at full size struggles).
""")
keep(1)
code(r"""
import inspect
import tempfile

import numpy as np
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from ganlib import config, data, dcgan, layers, metrics, minimax, plot, progan

print(config.device_report())
print("mode:", config.mode(), "· budget:", config.budget())
mnist = data.load_mnist()
print(mnist.summary())
""")
keep(3)
keep(4)
md(r"""
At 4×4 a digit is a smudge: the generator's first job is only *where the ink is*. Each later stage
adds detail to an image whose layout the earlier stages already learned.

## The pieces

**Fade-in.** When the networks grow from $k$ to $2k$ pixels, the new layers start from random
weights; switched on at once, they would wreck what the smaller networks learned. So the new
generator's image is a blend: the old $k\times k$ image, upsampled, weighted $1-\alpha$, plus the
new block's $2k\times 2k$ image weighted $\alpha$; training moves $\alpha$ from 0 to 1 over the
fade-in phase. The critic mirrors it on its input side: the image, average-pooled to $k\times k$,
goes into the old stage's first layer (fromRGB) weighted $1-\alpha$, and through the new block
weighted $\alpha$:
""")
code(r"""
fig = plot.fade_in_diagram(32)
plt.show()
""", tags=())
md(r"""
In Keras the blend is a layer with one non-trainable variable:
""")
keep(6)
md(r"""
At $\alpha = 0$ the grown generator's output *is* the smaller one's, upsampled (the course's tests
check this, and the critic's counterpart, on both backends).

**Equalized learning rate.** Every weight is stored as a draw from $N(0, 1)$ and multiplied at run
time by He's constant $\sqrt{2/\text{fan-in}}$. The network computes the same function as with
He-initialised weights, but Adam, which divides each update by the gradient's typical size, now
moves every layer at the same relative pace (`progan.EqualizedDense`, `progan.EqualizedConv2D`).

**Pixel norm.** After each of the generator's convolutions every pixel's feature vector is scaled
to unit mean square (`progan.PixelNorm`), instead of batch norm: signals cannot grow without bound
in the competition, and no sample depends on the others in its batch.

**Minibatch standard deviation.** A critic that scores one image at a time cannot see that the
generator draws the same digit for every noise vector (*mode collapse*, the subject of chapter 7).
ProGAN gives its last block one more feature map: for a group of 4 samples, the standard deviation
of every feature across the group, averaged to a single number and copied to every pixel of each
of the four. A varied group of real digits gets a large number, a group of near-copies one close to
0, so the critic can tell them apart and the generator is pushed to vary its digits. It has no
weights (`ganlib.layers.MinibatchStdDev`, groups of 4):
""")
code(r"""
mbstd = layers.MinibatchStdDev(group_size=4)
varied = mnist.x_train[:4]  # four different training digits
copies = np.repeat(mnist.x_train[:1], 4, axis=0) + 0.01 * np.random.default_rng(0).normal(size=(4, 28, 28, 1))
for name, group in [("four different digits", varied), ("one digit four times, barely changed", copies)]:
    extra = np.asarray(mbstd(group.astype("float32")))[..., -1]  # the channel the layer appends
    print(f"{name:37s}: the added feature map holds {extra[0, 0, 0]:.3f} everywhere")
""", tags=())
md(r"""
The networks, stage by stage. A block's colour is the stage that added it; in later panels the
same colour is the same Keras layer object, weights and all — the 32×32 networks are the 16×16
ones plus a block, not a copy of them:
""")
keep(8)
md(r"""
## The loss: from Jensen–Shannon to Wasserstein

Chapter 4 showed what the original GAN minimises against an optimal discriminator: the
Jensen–Shannon divergence between the data and the generator's distribution. It also showed its
weakness: once the two distributions stop overlapping, JS is stuck at $\ln 2$ however far apart
they are, so moving the generator a little closer changes nothing. The divergence need not be
JS: Arjovsky et al. {cite}`arjovsky2017` proposed the **Wasserstein-1 distance** (the *earth
mover's distance*): picture each distribution as a pile of earth; $W_1$ is the least work, mass
times distance moved, that turns one pile into the other. It keeps growing with the distance. For
two Gaussians of the same width, $p = N(0, 1)$ and $q = N(\Delta, 1)$:
""")
code(r"""
deltas = np.linspace(0, 10, 41)
js = [minimax.js_divergence((0.0, 1.0), (d, 1.0)) for d in deltas]
w1 = [minimax.wasserstein_1((0.0, 1.0), (d, 1.0)) for d in deltas]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
axes[0].plot(deltas, js)
axes[0].axhline(np.log(2), color="gray", ls=":", label="ln 2")
axes[0].set(title="Jensen–Shannon divergence", xlabel="distance between the means Δ")
axes[0].legend(loc="lower right")
axes[1].plot(deltas, w1, color="tab:orange")
axes[1].set(title="Wasserstein-1 distance", xlabel="distance between the means Δ")
plt.tight_layout()
plt.show()
for d in (4.0, 8.0):
    print(f"Δ = {d:.0f}: JS {minimax.js_divergence((0.0, 1.0), (d, 1.0)):.3f}, "
          f"W1 {minimax.wasserstein_1((0.0, 1.0), (d, 1.0)):.3f}")
""", tags=())
md(r"""
From Δ = 4 to Δ = 8 JS creeps from 0.633 to 0.693 = ln 2, while $W_1$ doubles: it tells the
generator which way to move however far off it is.

**The critic.** $W_1$ cannot be computed from samples directly, but the Kantorovich–Rubinstein
duality writes it as a maximum over functions:
$W_1(p_{\text{data}}, p_G) = \max_{\lVert f\rVert_L \le 1} \mathbb{E}_{x\sim p_{\text{data}}} f(x) -
\mathbb{E}_{x \sim p_G} f(x)$, over every **1-Lipschitz** $f$, a function whose output never
changes faster than its input (gradient norm at most 1). The discriminator becomes that $f$: a
**critic** that gives an unbounded score, not a probability. It learns to make the real images'
mean score minus the fakes' mean score as large as it can; its loss is the negative of that,
$\mathbb{E}[D(\text{fake})] - \mathbb{E}[D(\text{real})]$. The generator learns to raise the critic's
score of its images: its loss is $-\mathbb{E}[D(G(z))]$.

**The gradient penalty.** The maximum is only over 1-Lipschitz functions; a critic that may be as
steep as it likes would make the difference infinite. WGAN-GP {cite}`gulrajani2017` enforces it
softly: an optimal critic has gradient norm exactly 1 on the straight lines between real and fake
samples, so at random blends $\hat x = \epsilon x_{\text{real}} + (1-\epsilon) x_{\text{fake}}$ it
adds $\lambda\,\mathbb{E}\big[(\lVert\nabla_{\hat x} D(\hat x)\rVert - 1)^2\big]$ with $\lambda = 10$. The
penalty is *two-sided*: it pulls the gradient norm towards 1 from above and from below, it does not
just cap it.

**The drift term.** The critic's loss sees only differences of scores, so all scores could drift
together without bound; Karras et al. add $0.001\,\mathbb{E}[D(\text{real})^2]$, which keeps them
near 0.

Here is the library's own source of the losses, the code the run below executes. Each penalty
needs the gradient of the critic's score with respect to its *input*, inside a loss that is itself
differentiated: a gradient of a gradient, which `ganlib.backend.input_gradient` provides on
TensorFlow and JAX alike:
""")
code(r"""
for method in (progan.gradient_penalty, progan.r1_penalty, progan.ProGAN.critic_loss,
               progan.ProGAN.generator_loss):
    print(inspect.getsource(method))
""", tags=())
md(r"""
Read `critic_loss` from the top: the critic scores the real and the fake batch (`critic` runs it on
the step's current weights); `gradient_penalty` blends them with one $\epsilon$ per image, takes the
gradient at the blends and penalises its norm's distance from 1; the loss is the Wasserstein term,
plus $\lambda$ times the penalty, plus the drift. The `ns-r1` branch is the alternative that
ProGAN's successors use (below). `generator_loss` runs the generator and the frozen critic.

**The round.** One round is one critic step, then one generator step, each changing only its own
network's variables (`self.learn(network, loss, ...)`, explicit variable lists as in the fused `GAN`
of chapter 2; `progan.ProGAN` is a subclass of it). While a new block fades in, the round also
sets $\alpha$:
""")
code(r"""
print(inspect.getsource(progan.ProGAN.train_round))
""", tags=())
md(r"""
**The loss this chapter trains with.** Karras et al. trained with WGAN-GP, and they note that
their contributions do not depend on the loss (they also trained with the least-squares loss).
Their successors, StyleGAN and StyleGAN2 {cite}`karras2020`, went back to chapter 4's
non-saturating loss and added the **R1 penalty** {cite}`mescheder2018`,
$\frac{\gamma}{2}\,\mathbb{E}_{x\sim p_{\text{data}}}\lVert\nabla_x D(x)\rVert^2$: the critic's
gradient pulled towards 0 *at the real images only*. A discriminator that is flat where the data
lie gives the generator no push away from them once it gets there, and Mescheder et al. prove that
this makes training converge locally where the unregularised game circles. StyleGAN2 computes R1
only every 16th round, weighted 16 times ("lazy" regularisation): the gradient of a gradient is
paid once in 16 rounds (`r1_penalty` and the `ns-r1` branch of `critic_loss` above). On this
2-core CPU, with the same networks and seed, we compared them before choosing (the runs are not
stored in this page): through the 32×32 fade-in the two losses were level at equal rounds, and
the non-saturating loss with R1 then finished ahead; lazy R1 cut a 32×32 round from 115 to 83
milliseconds; and a learning rate of $2\times10^{-3}$, twice the paper's, sped every stage up. The
run below therefore uses the non-saturating loss with R1 ($\gamma = 1$, every 16th round), Adam
with learning rate $2\times10^{-3}$, $\beta_1 = 0$, $\beta_2 = 0.99$ as in the paper;
`config.progan_config(loss="wgan-gp", gp_weight=10.0, r1_every=1, learning_rate=1e-3)` trains the
paper's.

## Training, stage by stage

Each stage after the first is a fade-in phase ($\alpha$: 0 → 1) and a stable phase. The log prints
one line per two minutes of training (this chunk's mean losses, the $\alpha$ reached, the classifier
score and FID of 10,000 samples) and one at the end of every phase. A checkpoint is written every
100 rounds (the phase, its round — so its $\alpha$ —, every weight and optimizer state);
`resume=True` continues a killed run at the right phase and the right $\alpha$, and gives the same
weights as a run that was never stopped.
""")
code(r"""
cfg = config.progan_config()
print(cfg)
classifier = metrics.get_classifier(data=mnist)
real = metrics.evaluate(mnist.x_test, classifier, reference=mnist.x_train[: len(mnist.x_test)])
target = 0.9 * real["classifier_score"]
print(f"real test digits: classifier score {real['classifier_score']:.2f}; target {target:.2f}, "
      f"class KL at most 0.05, all 10 classes")
run_dir = tempfile.mkdtemp() if config.is_quick() else "runs"
""")
keep(11)
keep(12)
keep(13)
md(r"""
One fade-in, the 32×32 one: the same 8 noise vectors at the end of the 16×16 stage (top row,
upsampled), then at ten even steps while $\alpha$ rises from 0 to 1.
""")
code(r"""
frames = run.fades.get(32, [])  # one frame per 100 rounds of the fade-in
if frames:
    picks = np.linspace(len(frames) / 10, len(frames), 10).round().astype(int)
    frames = [frames[i - 1] for i in np.unique(np.clip(picks, 1, None))]  # ten, the last (alpha 1) included
    before = dict(run.grids)["16x16 stable"][:8]  # the same noise at the end of the 16x16 stage
    strip = np.concatenate([progan.to_28(before)] + [progan.to_28(images) for _, images in frames])
    plt.figure(figsize=(6.5, 0.8 * (len(frames) + 1) + 0.6))
    plt.imshow(dcgan.image_grid(strip, ncols=8), cmap="gray")
    plt.yticks([(i + 0.5) * 30 for i in range(len(frames) + 1)],
               ["16x16, end"] + [f"alpha {a:.2f}" for a, _ in frames])
    plt.xticks([])
    plt.title("32x32 fade-in: the same noise as the new block fades in")
    plt.show()
""")
md(r"""
**Copies?** A generator could score well by reproducing training digits. For 1,000 samples,
`metrics.memorisation` finds each one's nearest training digit (Euclidean distance in pixels) and
compares those distances with real test digits' distances to their nearest training digit: a ratio
near 1 means the samples are as far from the training set as new real digits are; well below 1
means copies.
""")
code(r"""
samples = progan.to_28(run.gan.generate(1000, seed=13))
memo = metrics.memorisation(samples, mnist)
print(f"ProGAN memorisation: nearest-training-digit distance ratio {memo['ratio']:.2f}")
pairs = np.concatenate([samples[:12], mnist.x_train[memo["indices"][:12]]])
plt.figure(figsize=(10, 2.2))
plt.imshow(dcgan.image_grid(pairs, ncols=12), cmap="gray")
plt.title("12 samples (top) and their nearest training digits (bottom)")
plt.axis("off")
plt.show()
""")
keep(16)
keep(17)
keep(18)
md(r"""
## The paper's second claim: stability

Growing is also meant to train *more stably*. One run shows nothing about that: a claim about
stability is a count over seeds, in a setting where training is known to struggle. Ours: the same
networks and schedule **without R1** ($\gamma = 0$). The unregularised non-saturating GAN is the
case Mescheder et al. show does not converge: nothing stops the discriminator from growing steep
around the real images, and the generator from overshooting them. Does growing, which starts where
the task is easy, keep such runs on track? Each variant trains 6 seeds, two at a time on the two
cores (one thread each): growing on a schedule a quarter as long as the one above, and the final networks
without growing for as many minutes as the growing runs took on average. A run *failed* when its
final samples score below half of the real digits' score, or miss a class, or its loss became NaN.
""")
code(r"""
test = config.progan_stability()  # the harder setting: no R1, a shorter schedule, 6 seeds (quick: 2)
hard = test["config"]
print(f"{test['seeds']} seeds per variant, {test['workers']} at a time; R1 weight {hard.gp_weight}; "
      f"growing: {sum(hard.stable_rounds) + sum(hard.fade_rounds)} rounds (x{test['scale']:g} of the run above)")
options = dict(seeds=test["seeds"], workers=test["workers"], resume=True, real_score=real["classifier_score"])
stability = {"growing": progan.run_seeds(hard, grow=True, out_dir=f"{run_dir}/stability-growing", **options)}
minutes = float(np.mean([row["minutes"] for row in stability["growing"]["per_seed"]]))
stability["no growing"] = progan.run_seeds(hard, grow=False, minutes=minutes,
                                           out_dir=f"{run_dir}/stability-flat", **options)
for name, result in stability.items():
    print(progan.stability_line(name, result))
fig, ax = plt.subplots(figsize=(6, 3.4))
for x, (name, result) in enumerate(stability.items()):
    scores = [row["classifier_score"] for row in result["per_seed"]]
    ax.plot(np.full(len(scores), x) + np.linspace(-0.12, 0.12, len(scores)), scores, "o", label=name)
ax.axhline(progan.FAILED_BELOW * real["classifier_score"], color="k", ls="--", lw=0.8,
           label=f"failed below ({progan.FAILED_BELOW:g} x real)")
ax.set(xticks=[0, 1], xticklabels=list(stability), xlim=(-0.5, 1.5), ylabel="final classifier score",
       title=f"without R1, {minutes:.1f} minutes a run")
ax.legend(loc="lower center", fontsize=8)
plt.show()
""")
md(r"""
RESULTS: what the stored run shows (written from the stored outputs after the run).

## Run it from a terminal

```bash
python -m ganlib progan --out runs/progan            # the budget of this machine
python -m ganlib progan --out runs/progan --resume   # after a kill: the right phase and alpha
```

## Summary

- ProGAN learns the layout of an image at a tiny size first and adds detail stage by stage; new
  layers fade in, so what the smaller networks learned is kept.
- Its pieces are small Keras layers: pixel norm, equalized learning rate, a fade-in with a
  non-trainable alpha, minibatch standard deviation. The grown networks reuse the smaller ones'
  layer objects.
- The Wasserstein distance keeps growing where JS is stuck at ln 2; its critic must be 1-Lipschitz,
  which WGAN-GP's two-sided gradient penalty enforces softly, a gradient of a gradient in Keras 3.
- ProGAN's successors train with the non-saturating loss and R1, the critic's gradient pulled to 0
  at the real images, computed once in 16 rounds; so does this chapter's run.
- Each step changes only its own network, as in every chapter.

## Exercises

1. On the trained networks, set the 32×32 fade-in's `alpha` by hand to 0, 0.5 and 1
   (`run.generator.fade.alpha.assign(...)` on `run.generator.model(32, fading=True)`) and draw the
   same noise. *Hint:* at 0 the image comes from the 16×16 toRGB layer, which stopped training when
   the fade-in ended while the blocks under it kept learning for the 32×32 toRGB: expect a worse
   16×16 image than the one at the end of the 16×16 stage.
2. Replace the equalized layers by plain `Dense`/`Conv2D` with He initialisation. Which layers'
   weights move faster under Adam? *Hint:* compare the relative change per round, layer by layer.
3. Double the fade-in rounds and halve the stable ones at the same total. Does the final score
   change? *Hint:* `config.progan_config(fade_rounds=..., stable_rounds=...)`; compare the final
   line, and the fade-in strip.
4. Train with the paper's loss (`loss="wgan-gp", gp_weight=10.0, r1_every=1`) for the same
   rounds. Which reaches the target first? *Hint:* compare the minutes in the log lines, not only
   the rounds: WGAN-GP takes a gradient of a gradient in every round, lazy R1 in one round of 16.
""")

nb = {**old, "cells": cells}
nb["metadata"] = {k: v for k, v in old["metadata"].items() if k != "ganlib"}
path = os.path.join(HERE, "06_progan.ipynb")
with open(path, "w", encoding="utf-8") as f:
    json.dump(nb, f, indent=1, ensure_ascii=False)
    f.write("\n")
print("wrote", path, len(cells), "cells")
