"""Every subcommand, given bad input: exit code 2, one line on stderr, no traceback, nothing
written, and the failure comes before any training (seconds, not minutes).

The command line runs in this process (``main(argv)``); two cases also run in a real interpreter,
where a traceback or a start-up message on stderr would show.
"""

import os
import time

import pytest

from conftest import run_python
from ganlib.__main__ import main

# Far below any training run, even with Keras's first import on a busy 2-core machine.
BEFORE_TRAINING_S = 30


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("not a folder\n")
    held = tmp_path / "held"
    held.mkdir()
    (held / "checkpoint.npz").write_bytes(b"an earlier run")
    (tmp_path / "figures").mkdir()  # an earlier run of a command without a checkpoint
    (tmp_path / "figures" / "epoch_grid.png").write_bytes(b"an earlier figure")
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GANLIB_QUICK", "1")  # what --quick sets; restored after each test
    return tmp_path


def listing(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder)
                  for d, _, files in os.walk(folder) for f in files + [""])


def refused(argv, capsys):
    """Run ``main(argv)`` here; return its one stderr line after checking exit code 2, one
    non-empty line, no traceback and no JSON result."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    out, err = capsys.readouterr()
    assert stop.value.code == 2, (stop.value.code, err[-2000:])
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].strip(), err
    assert "error" in lines[0] and "Traceback" not in err
    assert out.strip() == "" or "{" not in out.strip().splitlines()[-1]
    return lines[0]


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
    ["mixture", "--seed", "3"],  # not --seeds: no abbreviations
    ["collapse", "--fix", "pack"],
    ["collapse", "--epochs", "0"],
    ["stacked", "--fix", "minibatch"],
    ["stacked", "--seeds", "0"],
    ["stacked", "--workers", "0"],
    ["stacked", "--minutes", "-1"],
    ["stacked", "--seed", "3"],
    ["stacked", "--out", "a-file/sub"],
    ["stacked", "--resume"],
    ["stacked", "--resume", "--out", "empty"],
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
    ["progan", "--resume", "--out", "held"],
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
def test_bad_input_fails_fast_with_one_line_and_writes_nothing(workdir, capsys, args):
    before = listing(workdir)
    start = time.perf_counter()
    refused(args + ["--quick"] if args[0] != "no-such-experiment" else args, capsys)
    assert listing(workdir) == before, "something was written"
    assert time.perf_counter() - start < BEFORE_TRAINING_S


# One rule for every command, said in the message (issue 23).
COMMANDS = [["gaussian"], ["dcgan"], ["collapse"], ["cgan"], ["acgan"],
            ["pix2pix", "--task", "superres"], ["bigan"], ["generations"], ["stacked"]]
SAME_RULE = (
    [(c + ["--epochs", "0"], "--epochs: must be 1 or more, got 0") for c in COMMANDS]
    + [(c + ["--out", "figures"], "--out 'figures' is not empty")
       for c in COMMANDS + [["mixture"], ["progan"]]]
    + [(["gaussian", "--batch-size", "1000000000"], "at most 10000 (the real points), got 1000000000"),
       (["gaussian", "--batch-size", "10001"], "at most 10000"),
       (["gaussian", "--seed", "4294967296"], "--seed: must be at most 4294967295"),
       (["mixture", "--seeds", "1000000000"], "--seeds: must be at most 1000"),
       (["mixture", "--workers", "1000000000"], "CPU cores"),
       (["stacked", "--seeds", "1000000000"], "--seeds: must be at most 1000"),
       (["stacked", "--workers", "1000000000"], "CPU cores"),
       (["progan", "--out", "held"], "not empty")]
)


@pytest.mark.parametrize("args, words", SAME_RULE, ids=[" ".join(a) for a, _ in SAME_RULE])
def test_every_command_follows_the_same_rule(workdir, capsys, args, words):
    before = listing(workdir)
    assert words in refused(args + ["--quick"], capsys)
    assert listing(workdir) == before, "something was written"


def test_a_second_run_into_the_same_folder_is_refused(workdir, capsys):
    main(["gaussian", "--quick", "--epochs", "1", "--out", "run"])
    first = listing(workdir)
    assert "run/epoch_grid.png" in first
    capsys.readouterr()
    again = refused(["gaussian", "--quick", "--epochs", "2", "--out", "run"], capsys)
    assert "--out 'run' is not empty" in again
    assert listing(workdir) == first


@pytest.mark.parametrize("args", [["gaussian", "--batch-size", "1000000000"],
                                  ["dcgan", "--out", "a-file"]])
def test_the_real_interpreter_prints_one_line_and_no_traceback(workdir, args):
    before = listing(workdir)
    proc = run_python(args=["-m", "ganlib", *args, "--quick"], cwd=str(workdir))
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout == "" and listing(workdir) == before
