"""Every subcommand, given bad input: exit code 2, one line on stderr, no traceback, nothing
written, and the failure comes before any training (seconds, not minutes)."""

import os
import time

import pytest

from conftest import last_json, run_python

# Well past Python + Keras start-up on a busy 2-core machine, far below any training run.
BEFORE_TRAINING_S = 60


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "a-file").write_text("not a folder\n")
    held = tmp_path / "held"
    held.mkdir()
    (held / "checkpoint.npz").write_bytes(b"an earlier run")
    (tmp_path / "empty").mkdir()
    return tmp_path


def listing(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder)
                  for d, _, files in os.walk(folder) for f in files + [""])


BAD = [
    # argparse: unknown names and bad numbers
    ["no-such-experiment"],
    ["gaussian", "--epochs", "-1"],
    ["gaussian", "--seed", "x"],
    ["gaussian", "--batch-size", "0"],
    ["freeze-audit", "--epochs", "3"],
    ["dcgan", "--arch", "wgan"],
    ["dcgan", "--epochs", "1.5"],
    ["dcgan", "--arch", "big"],
    ["dcgan", "--minutes", "0"],
    ["dcgan", "--minutes", "soon"],
    ["dcgan", "--minutes", "inf"],
    ["mixture", "--layout", "spiral"],
    ["mixture", "--fix", "dropout"],
    ["mixture", "--seeds", "0"],
    ["mixture", "--steps", "0"],
    ["mixture", "--workers", "-2"],
    ["collapse", "--fix", "pack"],
    # values only the library can judge
    ["collapse", "--epochs", "0"],
    # the output folder, checked before training
    ["gaussian", "--out", "a-file"],
    ["gaussian", "--out", "a-file/sub"],
    ["mixture", "--out", "a-file"],
    ["collapse", "--out", "a-file/sub"],
    ["dcgan", "--out", "a-file"],
    ["dcgan", "--out", "a-file/sub"],
    ["dcgan", "--out", "/proc/ganlib-cannot-be-here"],
    ["gaussian", "--out", "/proc/ganlib-cannot-be-here"],
    # resuming
    ["dcgan", "--resume"],
    ["dcgan", "--resume", "--out", "empty"],
    ["dcgan", "--resume", "--out", "nowhere"],
    ["dcgan", "--out", "held"],
    # chapter 8
    ["cgan", "--epochs", "-1"],
    ["acgan", "--minutes", "0"],
    ["cgan", "--seed", "x"],
    ["pix2pix"],
    ["pix2pix", "--task", "colorize"],
    ["cgan", "--out", "a-file"],
    ["pix2pix", "--task", "inpaint", "--out", "a-file/sub"],
    ["acgan", "--resume"],
    ["cgan", "--resume", "--out", "empty"],
    ["acgan", "--out", "held"],
    ["pix2pix", "--task", "superres", "--out", "held"],
    ["bigan", "--epochs", "-1"],
    ["bigan", "--minutes", "soon"],
    ["bigan", "--resume"],
    ["bigan", "--resume", "--out", "empty"],
    ["bigan", "--out", "held"],
    ["bigan", "--out", "a-file"],
    ["generations", "--generations", "0"],
    ["generations", "--generations", "two"],
    ["generations", "--minutes", "-3"],
    ["generations", "--resume", "--out", "empty"],
    ["generations", "--out", "a-file/sub"],
]


@pytest.mark.parametrize("args", BAD, ids=[" ".join(a) for a in BAD])
def test_bad_input_fails_fast_with_one_line_and_writes_nothing(workdir, args):
    before = listing(workdir)
    start = time.perf_counter()
    proc = run_python(args=["-m", "ganlib", *args, "--quick"] if args[0] != "no-such-experiment"
                      else ["-m", "ganlib", *args], cwd=str(workdir))
    seconds = time.perf_counter() - start
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "error" in lines[0] and "Traceback" not in proc.stderr
    assert proc.stdout.strip() == "" or "{" not in proc.stdout.strip().splitlines()[-1]
    assert listing(workdir) == before, "something was written"
    assert seconds < BEFORE_TRAINING_S


def test_dcgan_with_no_epochs_writes_its_first_grid(workdir):
    result = last_json(run_python(args=["-m", "ganlib", "dcgan", "--quick", "--epochs", "0",
                                        "--out", "d0"], cwd=str(workdir)))
    assert result["epochs"] == 0 and os.path.exists(workdir / "d0" / "samples_epoch000.png")


def test_dcgan_default_folder_never_overwrites_an_earlier_run(workdir):
    outs = [last_json(run_python(args=["-m", "ganlib", "dcgan", "--quick", "--epochs", "0"],
                                 cwd=str(workdir)))["out"] for _ in range(2)]
    assert outs == [os.path.join("runs", "dcgan-seed"), os.path.join("runs", "dcgan-seed-2")]
    assert all((workdir / out / "samples_epoch000.png").exists() for out in outs)
