"""Chapter 9's new page (issue 26), made from the stored notebook: ``python wip/make_09.py`` writes
``wip/09_generated_data.ipynb``. Kept cells are copied from ``notebooks/09_generated_data.ipynb``;
new and changed cells are written here. Results prose (``RESULTS: ...``) is written after the full
run, from its outputs.

Open before the run: the minutes of each part (chapter total <= 60 minutes of training): BiGAN 8,
chapter 8's CGAN (loaded from runs/cgan when chapter 8 ran here), the few-digit CGAN, the rare-class
generators, the chain.
"""

from wiputil import Page

page = Page('09_generated_data')
md, code, keep = page.md, page.code, page.keep
RARE, SHARE, PER_CLASS = 5, 0.02, 100  # the rare class and its share; labelled digits per class

md(r"""
# 9. What GANs learn, and what their output teaches

Two questions are left. The first is about the players themselves: a generator maps noise to a
digit, but nothing maps a digit back to noise. *BiGAN* {cite}`donahue2017` (the same model was
published as ALI {cite}`dumoulin2017`) adds an *encoder* E that does. Dawn then judges pairs,
(image, code), and the encoder learns, without a single label, codes that say something about the
digit. What they are good for shows where labels are few: a handful of labelled digits on top of
codes learned from 60,000 unlabelled ones.

The second is about the generator's output used as data, where the source texts disagree with each
other. One promises that GANs have "good prospects" for *data augmentation*: more training data,
drawn to order. The other ends its GAN chapter with a warning: Glenn's output is slightly
distorted, in ways Dawn did not catch, and incomplete (chapter 7: mode collapse drops whole kinds
of data), so a network trained on generated data learns the distortions and the gaps — bias in,
bias out. The same happens at scale: models trained on their predecessors' output lose the tails
of the distribution, generation after generation ("model collapse" {cite}`shumailov2024`).

**What you will see.** A BiGAN on MNIST, its objective and its training step, its reconstructions
G(E(x)), and linear probes on its encoder's codes, a random encoder's and raw pixels, with every
label and with 10, 100 and 1,000. Then chapter 5's classifier trained on real digits, on chapter
8's generated digits, on both, and on the output of a generator that lost three classes; on 100
real digits per class alone, with classic augmentation and with generated digits added; and on a
generator's output when one digit was rare in its training data — always tested on real held-out
digits, class by class. Last, a chain of generators, each trained only on the digits of the one
before, scored generation by generation.
""")
keep(1)
code(r"""
import inspect
import tempfile

import numpy as np
import matplotlib.pyplot as plt
import keras

from ganlib import bigan, conditional, config, data, dcgan, generated, metrics

print(config.device_report())
print("mode:", config.mode(), "· budget:", config.budget())
mnist = data.load_mnist()
print(mnist.summary())
classifier = metrics.get_classifier(data=mnist)
run_dir = tempfile.mkdtemp() if config.is_quick() else "runs"
# Quick mode (CI) works on a slice of the digits; the book's run on all of them.
n_data = 512 if config.is_quick() else len(mnist.x_train)
""")
md(r"""
## BiGAN: a way back from the digit to the noise

Three players now. Glenn (G) draws a digit from noise $z$, as before. The encoder E reads a digit
$x$ and writes a code $E(x)$ of the same 64 numbers as the noise. Dawn (D) never sees a digit
alone: she sees a *pair* — a real digit with the code E wrote for it, $(x, E(x))$, or one of
Glenn's digits with the noise it came from, $(G(z), z)$ — and says which kind of pair it is.
BiGAN's objective is chapter 4's minimax game on pairs:

$$
\min_{G,E}\;\max_D\; V(D, E, G) = \mathbb{E}_{x\sim p_{\text{data}}}\big[\log D(x, E(x))\big]
+ \mathbb{E}_{z\sim p_z}\big[\log\big(1 - D(G(z), z)\big)\big].
$$

The only way for G and E to win is for the two kinds of pair to look alike: every real digit must
get the code that would make Glenn draw it, and every noise vector a digit that the encoder would
map back to it. Donahue et al. prove that at the game's optimum E and G invert each other
{cite}`donahue2017` — *if* training gets there. As the source texts say of every GAN, nobody can
prove that the alternating steps converge to that optimum (chapter 4 showed what the optimum is,
not that gradient steps reach it); what the encoder learned has to be measured, as below. Dawn's
entrance is the one new piece of Keras — two inputs, joined after each has been read:
""")
keep(4)
md(r"""
`bigan.bigan_discriminator` continues from there (a second convolution, LeakyReLU, a Dense layer
on the pair, one sigmoid); `bigan.bigan_encoder` is chapter 5's compact discriminator with 64
outputs instead of one verdict; Glenn is chapter 5's compact generator. The library's own training
step, the code that trains the run below:
""")
code(r"""
for method in (bigan.BiGAN.train_round, bigan.BiGAN.ge_loss):
    print(inspect.getsource(method))
print(inspect.getsource(conditional.Pix2Pix.d_loss))  # BiGAN's d_loss: chapter 8's, on (image, code) pairs
""", tags=())
md(r"""
- `train_round` is chapter 2's four steps on pairs: (a) Dawn learns that $(x, E(x))$ pairs are
  real; (b) Glenn and the encoder learn *together* (`self.learn([G, E], ...)`: one gradient step on
  both networks' weights, Dawn's untouched); (c) Dawn learns that $(G(z), z)$ pairs are fake; (d) as
  (b), with fresh noise.
- `ge_loss` is the objective's $\min_{G,E}$ side with the labels swapped, as the non-saturating
  loss of chapter 4 does for Glenn alone: Glenn's pairs should be called *real*, the encoder's
  *fake*. Both terms move both networks only through the pairs they produce.
- `d_loss` is Dawn's binary cross-entropy on pairs, the same function as chapter 8's pix2pix (there
  the pair was a damaged and a whole digit).

All three use Adam with $\beta_1 = 0.5$ and a learning rate of $2\cdot10^{-4}$, on the 60,000
training digits *without their labels*:
""")
keep(6)
md(r"""
Glenn's digits after the last epoch, and the way back: the first 16 test digits (top row, never
seen in training), each encoded and drawn again from its code, $G(E(x))$ (bottom row):
""")
keep(8)
md(r"""
RESULTS: Glenn's digits (score, FID against chapter 5's), and the reconstructions column by column
from the stored figure (which come back as the same digit — count them — which turn into which).
""")
keep(10)
code(r"""
probe = bigan.probe_report(gan, mnist, classifier, n_train=n_data)
for name, result in probe["probe"].items():
    print(f"linear probe on {name}: test accuracy {100 * result['test_accuracy']:.1f}%")
print(f"reconstructions G(E(x)) read as the same digit as x: "
      f"{100 * probe['reconstruction_accuracy']:.1f}% of the test digits")
""")
keep(12)
md(r"""
RESULTS: the full-label probe (BiGAN against a random encoder and the pixels), the reconstruction
accuracy and its curve.

### Where labels are few

With all 60,000 labels the pixels are a strong baseline: a straight line through 784 numbers reads
most digits, and 60,000 examples pin its 7,850 weights down. With 10 labels (one per class), 100
or 1,000 it is a different question: 784 weights per class to fit from a handful of examples,
against 64 from codes that were shaped by 60,000 unlabelled digits. This is the use the BiGAN
paper proposes for its encoder, and the setting of *semi-supervised learning*: labels are
expensive, unlabelled data is not. Each probe below trains on an equal number of digits per class,
five times with different digits (the ± is the spread over the five), and is tested on the 10,000
test digits:
""")
code(r"""
for name, by_count in probe["few_labels"].items():
    for n, result in by_count.items():
        print(bigan.few_label_line(name, n, result))
fig, ax = plt.subplots(figsize=(7, 3.8))
for colour, (name, by_count) in zip(("C0", "C7", "C1"), probe["few_labels"].items()):
    counts = list(by_count)
    ax.errorbar(counts, [100 * by_count[n]["mean"] for n in counts],
                yerr=[100 * by_count[n]["std"] for n in counts], marker="o", capsize=3, color=colour,
                label=name)
ax.set_xscale("log")
ax.set_xticks(counts, [str(n) for n in counts])
ax.set_xlabel("labelled training digits (equal per class)")
ax.set_ylabel("linear probe: test accuracy (%)")
ax.grid(alpha=0.3)
ax.legend(fontsize=9, loc="lower right")
plt.tight_layout()
plt.show()
""")
md(r"""
RESULTS: at 10, 100 and 1,000 labels, which features win and by how much against the spread;
whether BiGAN's codes beat the pixels at 100 labels (the target), said plainly either way.

## Training on generated data

Now the generator's output as data. Chapter 8's conditional generator draws the digit it is asked
for 99 % of the time; can its digits stand in for real ones? Chapter 5's classifier (the same
network, augmentation and schedule, so each sees the same number of augmented digits) is trained
four times and always tested on the same 10,000 real held-out digits:

- **real**: the 60,000 real training digits;
- **generated**: 60,000 digits from chapter 8's CGAN, 6,000 of each class, labelled with the class
  they were asked for;
- **real+generated**: both together (120,000);
- **collapsed-generator**: 60,000 digits from the same CGAN, but never a 3, a 5 or an 8 — what a
  generator that collapsed away from three classes would hand over. (Chapter 7 shows how such a
  collapse happens; dropping the classes on purpose makes the loss certain rather than a matter of
  chance.)

The CGAN is chapter 8's: when chapter 8 ran on this machine its checkpoint is loaded from
`runs/cgan`, otherwise it trains for chapter 8's 10 minutes.
""")
keep(15)
keep(16)
keep(17)
md(rf"""
RESULTS: the four rows, per class, from the stored lines and figure.

### Augmentation: when real digits are few

Generated data is usually meant to help where real data is scarce. A small project has
{PER_CLASS} labelled digits of each class. Classic augmentation — the same digits shifted, turned
and zoomed a little, as chapter 5's classifier is trained — is the baseline any generator must
beat. The generator must learn from the same {10 * PER_CLASS:,} digits: a CGAN trained on all
60,000 labelled digits would smuggle in exactly the labels the project does not have. So chapter
8's CGAN trains again, on the {10 * PER_CLASS:,} digits only, and its digits join them:
""")
code(rf"""
few_x, few_y = generated.few_per_class(mnist, {PER_CLASS} if not config.is_quick() else 10, seed=0)
few = data.MNIST(x_train=few_x, y_train=few_y, x_test=mnist.x_test, y_test=mnist.y_test, source=mnist.source)
few_cfg = config.conditional_config("cgan", minutes=None if config.is_quick() else 5.0,
                                    metric_samples=200)
few_cgan = conditional.train_conditional(few_cfg, out_dir=f"{{run_dir}}/cgan-few", resume=True, data=few,
                                         classifier=classifier, verbose=0)
print(f"CGAN on {{len(few_x)}} digits: {{len(few_cgan.history['d_loss'])}} epochs in "
      f"{{few_cgan.history['minutes'][-1]:.1f}} minutes")
made = generated.sample_dataset(few_cgan.gan, 10 * len(few_x), seed=3)
rows = generated.augmentation_rows(mnist, len(few_x) // 10, generated=made, seed=0)
for name, result in rows.items():
    print(generated.classifier_line(name, result), flush=True)
""")
md(r"""
RESULTS: which row wins — augmentation, generated digits, both — and by how much per class; what
a CGAN learns from 1,000 digits (copies? the memorisation of chapter 5).

### Bias in, bias out: a rare class

The other half of the warning is subtler than a missing class. Suppose one digit is *rare* in the
training data, as a group is under-represented in real records. Here the 5s are thinned until they
make up 2 % of the training digits (the other digits all kept); chapter 5's compact DCGAN trains
on them, and a second generation on the first one's digits. How many 5s does each draw, and what
does a classifier trained on their digits (labelled by chapter 5's classifier, as one would label
unlabelled data) read on the real 5s?
""")
code(rf"""
RARE, SHARE = {RARE}, {SHARE}
rare_data = generated.with_rare_class(mnist, RARE, SHARE, seed=0)
print(f"training digits: {{len(rare_data.x_train):,}}, of them {{RARE}}s: "
      f"{{100 * np.mean(rare_data.y_train == RARE):.1f}}%")
rare_cfg = config.generations_config(generations=2)
rare_chain = generated.run_generations(rare_cfg, out_dir=f"{{run_dir}}/rare", resume=True, data=rare_data,
                                       classifier=classifier, verbose=0)
for g, report in enumerate(rare_chain.reports):
    share = report["class_histogram"][RARE] / sum(report["class_histogram"])
    print(f"{{'real (thinned)' if g == 0 else f'generation {{g}}'}}: {{RARE}}s read in "
          f"{{100 * share:.1f}}% of {{sum(report['class_histogram']):,}} digits")
""")
code(r"""
rare_rows = {f"real, {RARE}s thinned": generated.classifier_on(rare_data.x_train, rare_data.y_train, mnist, seed=0)}
for g in range(1, len(rare_chain.reports)):
    images = np.load(f"{run_dir}/rare/generation-{g}/samples.npz")["images"]
    labels = metrics.class_probabilities(images, classifier).argmax(axis=1)
    rare_rows[f"generation {g}'s digits"] = generated.classifier_on(images, labels, mnist, seed=0)
for name, result in rare_rows.items():
    print(generated.classifier_line(name, result) + f"; the {RARE}s: "
          f"{100 * result['per_class_accuracy'][RARE]:.1f}%", flush=True)
""")
md(r"""
RESULTS: the rare class's share through the generations (kept, shrunk, or vanished), and the
downstream classifier's accuracy on it against the other classes.

### The promise against the warning

RESULTS: weigh seed 004's promise (augmentation) against seed 003's warning from the measurements
above: where generated digits helped, where they inherited and amplified a gap. Then the
high-stakes warning, plainly: in medicine, hiring, school admissions and loans the data a
generator learns from already carries the biases of past decisions, the under-represented group is
exactly where the generator is weakest, and our criteria for "realistic" are less clear than we
think; a generator's output there must be tested on real data of every group, or not used.
""")
md(r"""
## Generation after generation

The last experiment follows Shumailov et al. {cite}`shumailov2024` on a small scale. Generation 1
is chapter 5's compact DCGAN (no labels) trained on the 60,000 real digits. It then draws 60,000
digits, and generation 2, a fresh DCGAN of the same shape, trains *only* on those; generation 3
only on generation 2's, and so on. No real digit enters after the first generation. Each
generation's digits are scored on 10,000 of them: the classifier score, FID against the real test
digits, the class KL of chapter 5 and the share of each class; and a *diversity*: the mean
distance between two of 1,000 of its digits in the classifier's 128 features (the features FID
uses), which falls when the digits become alike. Generation 0 is the real training digits
themselves.
""")
keep(20)
keep(21)
keep(22)
md(r"""
RESULTS: FID, score and diversity generation by generation, exactly as the stored lines say (no
"errors accumulate" unless they do); the class mix against the 10,000-digit reference (is the
shift there at generation 1, does it grow?).
""")
md(r"""
## Run it from a terminal

```bash
python -m ganlib bigan                       # the budget of this machine (CPU: 8 minutes)
python -m ganlib bigan --seed 3 --out runs/bigan-s3 --minutes 20 --resume   # go on
python -m ganlib generations --generations 6 --out runs/chain
```

`bigan` prints a line per epoch, then `linear probe on <features>: test accuracy XX.X%` for the
encoder, the random encoder and the pixels, `linear probe on <features> with <N> labels: test
accuracy X.X% ± Y.Y` for 10, 100 and 1,000 labels, and a JSON object with the probes' accuracies,
the reconstruction accuracy, the sample metrics and `seconds`. `generations` prints
`generation G: classifier score X.XX, FID Y.Y, class KL Z.ZZZ, diversity D.DDD` as each
generation finishes, then the JSON; `--resume` skips the generations already done.

## Summary

RESULTS: the summary bullets, from the stored outputs.

## Exercises

1. Probe a deeper layer: replace `gan.encode` in `bigan.probe_report` by the encoder's flattened
   256 × 4 × 4 features (`keras.Model(gan.encoder.inputs, gan.encoder.layers[-2].output)`). Does
   the BiGAN encoder pull ahead of the random one with 100 labels? *Hint:* the last Dense layer
   squeezes 4,096 numbers into 64.
2. Train the few-digit classifier with generated digits from chapter 8's CGAN, trained on all
   60,000 labelled digits, instead of the few-digit CGAN. How much better is it, and why is that
   comparison unfair? *Hint:* count the labels each one used.
3. Thin the 5s to 0.5 % instead of 2 % (`generated.with_rare_class(mnist, 5, 0.005)`). Does the
   generator still draw any 5s?
4. Run `python -m ganlib generations --generations 8 --minutes 8`. Does a longer-trained chain
   drift less per generation? *Hint:* part of each generation's loss is its own training error,
   part is what the generator before it never drew.
""")

page.write('ch9')
