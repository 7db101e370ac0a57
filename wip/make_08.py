"""Chapter 8's new page (issue 26), made from the stored notebook: ``python wip/make_08.py`` writes
``wip/08_conditional.ipynb``. Kept cells are copied from ``notebooks/08_conditional.ipynb``; new and
changed cells are written here. Results prose (``RESULTS: ...``) is written after the full run, from
its outputs.

Open before the run: which ambiguous task (``AMBIGUOUS``: ``superres4`` or ``lower-half``) and its
settings, from ``wip/i2i_pilot.py``; the minutes of each part (chapter total <= 60).
"""

from wiputil import Page

page = Page('08_conditional')
md, code, keep = page.md, page.code, page.keep
AMBIGUOUS = "superres4"  # decided by the pilot (wip/i2i_pilot.py)

md(r"""
# 8. Conditional GANs: asking for a digit

Every generator so far drew *some* digit: Glenn took noise and made whatever came out. The
source texts give him a second input, a label $y$ beside the noise $z$: the counterfeiter is told
*which* note to print. Dawn is told too, so a perfect 3 handed in as a 7 is a fake. This is the
*conditional GAN* {cite}`mirza2014`, and it is what most people want a GAN for: "draw me a 7",
"sharpen this", "fill this hole".

**What you will see.** Two ways to give the label to the players — the conditional GAN (CGAN),
where both networks read it, and the auxiliary-classifier GAN (ACGAN) {cite}`odena2017`, where
Dawn must *name* the digit as well as judge it — each with its training step, the library's own
code, on the page; both trained on chapter 5's compact DCGAN for the same minutes on the 60,000
training digits, and measured by how often chapter 5's classifier reads the digit that was asked
for. Then the label becomes a whole image: *image-to-image* GANs in the pix2pix pattern
{cite}`isola2017`, on three tasks. On two of them (a 7×7 thumbnail back to 28×28, a masked square
filled) the input leaves little open; on the third it leaves a lot open, so that a network trained
with the L1 distance alone must hedge between several digits. Each GAN runs beside a plain method
and the same network trained without Dawn for the same minutes, scored for distortion (how far from
the true digit) and for realism (how much like real digits): the perception–distortion trade-off
{cite}`blau2018`, measured.
""")
keep(1)
keep(2)
keep(3)
keep(4)
md(r"""
Why an embedding and not the one-hot vector (ten numbers, a 1 at position $y$) of the source
texts? For the network they are the same thing: a Dense layer applied to a one-hot vector picks
one row of its weight matrix, which is exactly what `Embedding` does, without multiplying by nine
zeros. `conditional.conditional_generator` continues from `h` with chapter 5's compact generator,
and `conditional.cgan_discriminator` is the image-plus-label-plane discriminator.

The round is chapter 2's, with labels. Here is the library's own training step, the code that
trains the runs below (it serves both kinds: `self.kind` is `"cgan"` or `"acgan"`):
""")
code(r"""
import inspect

for method in (conditional.ConditionalGAN.train_round, conditional.ConditionalGAN.d_loss,
               conditional.ConditionalGAN.g_loss):
    print(inspect.getsource(method))
""", tags=())
md(r"""
- `train_round` is chapter 2's four steps. `self.draw` takes fresh noise and fresh random labels
  for steps (b), (c) and (d), one set each; (a) Dawn learns that real digits *with their true
  labels* are real; (b) Glenn learns to make Dawn call his digit for label `y_b` real; (c) Dawn
  learns that his digits, *with the labels he was asked for*, are fake; (d) as (b). `self.learn(net,
  loss, ...)` differentiates `loss` with respect to `net`'s weights only and applies its optimizer
  (chapter 2): the other network is read, never changed.
- `d_loss` is Dawn's binary cross-entropy on the pair (CGAN) or on the image (ACGAN); ACGAN adds
  the class term, weighted by `class_weight`.
- `g_loss` hands Glenn's digits to `d_loss` labelled *real*: the non-saturating loss of chapter 4,
  with, for ACGAN, the class term for the label he was asked for.

Because Dawn sees the pair, the easiest way for Glenn to fool her is to draw the digit he was asked
for: a beautiful 3 labelled 7 is exactly what real data never contains.

## Naming the digit: ACGAN

The auxiliary-classifier GAN leaves the label out of Dawn's input and gives her a second output
instead: ten class scores. Both players add that head's cross-entropy to their loss (the `cls`
term of `d_loss` above). Dawn learns to name real digits (and Glenn's, by the labels he was asked
for); Glenn learns to draw digits she names as requested. Odena et al. chose this design for two
reasons: a network asked to do two related tasks at once (judge and name) often learns each better,
and in their experiments the class head kept training stable enough to reach 128×128 ImageNet
images, larger than earlier GANs managed. The class term of a step, with `logits` Dawn's ten scores:
""")
keep(6)
md(r"""
Both kinds train on chapter 5's compact networks with its settings (Adam with $\beta_1 = 0.5$,
the discriminator three times faster, normal noise of 64 numbers, batch 64, an averaged
generator), on the 60,000 training digits with their labels, each for the same minutes:
""")
keep(8)
keep(9)
keep(10)
md(r"""
RESULTS: the grid (rows, columns, the noise's job), from the stored figure.

The label and the noise do different jobs. Keep the noise, change only the label: here four noise
vectors, each a row, asked for every digit:
""")
keep(12)
md(r"""
RESULTS: what the four rows show.

## Does Glenn draw what he was asked for?

Each generator is asked for 1,000 digits of every class (10,000 in all, fresh noise); the
chapter-5 classifier, which never saw them, reads each one. *Label accuracy* is the fraction read
as the digit that was asked for; the confusion matrix shows, for each digit asked for (row), what
the classifier read (column). The target for both kinds: label accuracy at least 95 %, every class
at least 85 %.
""")
keep(14)
keep(15)
md(r"""
RESULTS: label accuracy, per class, the classifier score and FID against real digits.

How the two learned, epoch by epoch (2,000 digits, 200 per class, scored after every epoch):
""")
keep(17)
md(r"""
RESULTS: when each passed 95 %, and what the rest of the minutes added.

## Image to image: pix2pix

In pix2pix the condition is not a label but an image: a damaged digit, and Glenn must produce the
whole one. Two changes to the players:

- **Glenn is a U-Net** {cite}`ronneberger2015`: an encoder shrinks the 28×28 input to 7×7 features,
  a decoder grows them back, and each decoder level is joined to the encoder's features of the same
  size (the *skip connections*; the last one is the input itself). Whatever detail the input
  already has need not squeeze through the 7×7 bottleneck.
- **Dawn judges pairs, patch by patch.** She sees the damaged input and a candidate answer side by
  side as channels, and gives one verdict for each of 7×7 overlapping patches of 18×18 pixels
  (a *PatchGAN*): is this stretch of stroke what a real digit would have here, given this input?

Glenn's loss is Dawn's verdict plus $\lambda = 100$ times the L1 distance to the true digit, as in
Isola et al. Why not the L1 distance alone? When the input leaves the answer open — a thumbnail
could be a 3 or a 5, a hidden lower half could belong to a 7 or a 9 — the single answer that
minimises the expected *squared* distance is the *mean* of all the possible answers, a grey blur
that is none of them; for the L1 distance it is their pixel-by-pixel *median*, which can be a
patchwork of pieces of different answers. Dawn has never seen a blurred or patched-together digit
among real ones, so she penalises it, and Glenn is pushed to commit to *one* plausible answer.
SRGAN {cite}`ledig2017` made the same move for photographs and went one step further: it measured
the distance to the true image not in pixels but in the features of a pretrained classifier (a
*perceptual loss*), which does not punish a sharp edge drawn a pixel off as hard as a blur.

The library's own training step:
""")
code(r"""
for method in (conditional.Pix2Pix.train_round, conditional.Pix2Pix.d_loss, conditional.Pix2Pix.g_loss):
    print(inspect.getsource(method))
""", tags=())
md(r"""
- `train_round` is again chapter 2's four steps, now on pairs: (a) Dawn learns that (damaged input,
  true digit) is real; (b) Glenn learns; (c) Dawn learns that (damaged input, Glenn's answer) is
  fake; (d) Glenn learns again. There is no noise: the damaged input is Glenn's only input, as in
  Isola et al.'s networks for these sizes.
- `d_loss` is Dawn's binary cross-entropy averaged over her 7×7 patch verdicts.
- `g_loss` adds the two pulls on Glenn: `adversarial` (Dawn's patches should call his answer real)
  and `l1` (his answer should be near the true digit), weighted by `l1_weight` ($\lambda$).

The *L1-only twin* is the same U-Net, from the same initial weights, trained with `l1` alone (Keras's
`mean_absolute_error`) for the **same minutes** by the same clock; neither network's weights are
averaged, so both are scored the same way.

Three tasks, each measured on 1,000 held-out test digits (never seen in training) against the true
digit:

- **super-resolution from 7×7** (`superres`): the digit averaged down to 7×7 (every 4×4 block one
  pixel), back to 28×28; the plain method is bicubic upsampling, which is also what the networks
  get as input;
- **inpainting** (`inpaint`): a 12×12 square somewhere in the middle set to background; the networks
  also get the mask, and keep the pixels outside it as they are; the plain method is the masked
  digit itself;
- **the ambiguous task** (`AMBIGUOUS_TASK`): RESULTS/DESIGN: which task and why several digits fit its
  input.

The scores. *Distortion*: PSNR (peak signal-to-noise ratio, $10 \log_{10}(1/\text{MSE})$ on pixels
in $[0, 1]$, in dB; higher is closer) and SSIM (structural similarity {cite}`wang2004`: local
means, contrasts and correlations over 7×7 windows; 1 for a copy). *Realism*: FID of the 1,000
outputs against 1,000 other real test digits (chapter 5's classifier features; real digits score
the floor printed below, not 0, at this sample size), *sharpness* (the root-mean-square difference
between neighbouring pixels; a blurred edge spreads its rise over several pixels and scores low)
and the classifier's accuracy on the outputs (does it still read the true digit?).
""".replace("AMBIGUOUS_TASK", AMBIGUOUS))
code(f"""
AMBIGUOUS = {AMBIGUOUS!r}  # the task whose input leaves the answer open
tasks = {{}}
for task in ("superres", "inpaint", AMBIGUOUS):
    cfg = config.pix2pix_config(task)
    tasks[task] = conditional.train_pix2pix(cfg, out_dir=f"{{run_dir}}/pix2pix-{{task}}", resume=True,
                                            data=mnist, classifier=classifier, verbose=0)
    t = tasks[task]
    print(f"{{task}}: GAN {{len(t.history['d_loss'])}} epochs in {{t.seconds / 60:.1f}} minutes, "
          f"L1-only {{len(t.l1_history.get('loss', []))}} epochs in {{t.l1_seconds / 60:.1f}} minutes")
print("minutes per network:", config.pix2pix_config("superres").minutes, " # CPU; GPU: 30 epochs each")
""")
code(r"""
for task, t in tasks.items():
    for method, report in t.results.items():
        if method != "truth":
            print(conditional.translation_line(task, method, report))
    truth = t.results["truth"]
    print(f"{task} real digits: FID {truth['fid']:.1f}, sharpness {truth['sharpness']:.3f}, "
          f"classifier accuracy {100 * truth['classifier_accuracy']:.1f}%")
ratio = tasks[AMBIGUOUS].results["gan"]["fid"] / tasks[AMBIGUOUS].results["l1"]["fid"]
""")
md(r"""
### Distortion against realism

Blau and Michaeli {cite}`blau2018` proved that the two kinds of score pull apart: past a point, an
answer can only get more realistic by getting further from the true image on average, because when
the input leaves the answer open the closest answer on average is a hedge that no real image looks
like. Each point below is one method on one task; a line joins the L1-only network to the GAN.
""")
code(r"""
fig, ax = plt.subplots(figsize=(7.2, 4.4))
marks = {"bicubic": "s", "masked": "s", "l1": "o", "gan": "^"}
for k, (task, t) in enumerate(tasks.items()):
    colour = f"C{k}"
    for method, r in t.results.items():
        if method != "truth":
            ax.plot(r["psnr"], r["fid"], marks[method], color=colour, ms=8,
                    label=f"{task} {method}")
    ax.plot([t.results["l1"]["psnr"], t.results["gan"]["psnr"]],
            [t.results["l1"]["fid"], t.results["gan"]["fid"]], "-", color=colour, lw=1)
    ax.axhline(t.results["truth"]["fid"], color=colour, ls=":", lw=0.8)
ax.set_yscale("log")
ax.set_xlabel("PSNR (dB): higher is closer to the true digit")
ax.set_ylabel("FID to real digits (log): lower is more real")
ax.set_title("perception-distortion: dotted lines are real digits' FID")
ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))
ax.grid(alpha=0.3)
plt.tight_layout()
plt.show()
""")
code(r"""
def strip(rows):
    fig, axes = plt.subplots(len(rows), 1, figsize=(8.6, 1.25 * len(rows) + 0.3))
    for ax, (label, images) in zip(axes, rows):
        ax.imshow(dcgan.image_grid(images, ncols=8)[:30], cmap="gray")
        ax.set_xticks([])
        ax.set_yticks([15], [label], fontsize=9)
    plt.tight_layout()
    plt.show()


def rows(task, first):
    t = tasks[task]
    sharp = {m: r["sharpness"] for m, r in t.results.items()}
    baseline = "masked" if conditional.masked_task(task) else "bicubic"
    return [first, (f"{baseline}\nsharpness {sharp[baseline]:.3f}", t.examples[baseline]),
            (f"L1-only\nsharpness {sharp['l1']:.3f}", t.examples["l1"]),
            (f"GAN\nsharpness {sharp['gan']:.3f}", t.examples["gan"]),
            (f"truth\nsharpness {sharp['truth']:.3f}", t.examples["truth"])]


small = conditional.shrink(tasks["superres"].examples["truth"])
strip(rows("superres", ("7×7 input", small.repeat(4, axis=1).repeat(4, axis=2))))
""")
md(r"""
RESULTS: super-resolution from 7×7, from the stored lines and strip.
""")
code(r"""
strip(rows("inpaint", None)[1:])
""")
md(r"""
RESULTS: inpainting, from the stored lines and strip.
""")
code(r"""
t = tasks[AMBIGUOUS]
if AMBIGUOUS == "superres4":
    tiny = conditional.shrink(t.examples["truth"], 7).repeat(7, axis=1).repeat(7, axis=2)
    strip(rows(AMBIGUOUS, ("4×4 input", tiny)))
else:
    strip(rows(AMBIGUOUS, None)[1:])
print(f"{AMBIGUOUS}: the GAN's FID is {ratio:.2f} x the L1-only network's (target: at most 0.5)")
""")
md(r"""
RESULTS: the ambiguous task: whether the GAN's FID reached half the twin's, what the strip shows
(hedged strokes in the L1 row? one committed digit per GAN answer, right or wrong?), and PSNR
against FID: the trade-off, measured.

### Where the blur comes from

The claim above — an L1-trained network answers with the median of the possible answers — can be
checked directly. For one masked test digit, take the 16 training digits that agree best with it
*outside* the hole: each is an answer the visible pixels allow. Their pixel-by-pixel median inside
the hole is what the L1 loss aims at:
""")
keep(25)
md(r"""
RESULTS: what the median panel and the two networks show for this digit; why the median of nearly
black-and-white pixels is sharp where the input leaves one answer, and where it is not.

## Run it from a terminal

```bash
python -m ganlib cgan                       # the budget of this machine (CPU: 10 minutes)
python -m ganlib acgan --seed 3 --out runs/acgan-s3
python -m ganlib acgan --seed 3 --out runs/acgan-s3 --minutes 20 --resume   # go on
python -m ganlib pix2pix --task superres4   # or superres, inpaint, lower-half
python -m ganlib cgan --budget gpu --rounds 3   # a dry run of the GPU budget, here
```

`cgan` and `acgan` print a line per epoch, then the line
`<name>: label accuracy XX.X%, classifier score X.XX, FID Y.Y, class KL Z.ZZZ` and a JSON object
with `label_accuracy`, `per_class_accuracy`, the confusion matrix, the sample metrics and
`seconds`; `pix2pix` prints
`<task> <method>: PSNR X.XX dB, SSIM Y.YYY, FID Z.Z, sharpness S.SSS, classifier accuracy A.A%`
for the plain method, the L1-only network and the GAN, then the JSON.

## Summary

RESULTS: the summary bullets, from the stored outputs.

## Exercises

1. Train the CGAN with the label given only to Glenn (Dawn as in chapter 5). What happens to the
   label accuracy, and why? *Hint:* without the label, what stops Glenn from drawing a good 3 when
   asked for a 7?
2. Set ACGAN's `class_weight` to 0.1 and to 5 (`config.conditional_config("acgan", class_weight=...)`).
   Which metric moves, label accuracy or classifier score? *Hint:* the class term rewards digits
   that are easy to name, not digits that look real.
3. Train the ambiguous task's GAN with `l1_weight=10` and with `l1_weight=1000`
   (`config.pix2pix_config(task, l1_weight=...)`). Where do its points move in the
   perception–distortion figure? *Hint:* the smaller $\lambda$, the more Dawn decides.
4. Super-resolve from 14×14 (`conditional.shrink(x, factor=2)`): how far apart are the GAN and the
   L1-only network now, on PSNR and on FID? *Hint:* the less the input leaves open, the fewer
   answers there are to choose between.
5. In `conditional.Pix2Pix`, replace the L1 distance by the squared distance and train both the
   GAN and the network without Dawn. Does the network without Dawn blur more, and does Dawn remove
   the blur? *Hint:* the mean of an ink pixel and a background pixel is grey.
""")

page.write('ch8')
