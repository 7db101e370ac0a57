"""Run chapter notebooks in full mode and store their outputs, stamped (``make execute``).

The book renders notebooks from their stored outputs; this script is the only way those outputs
are made. It runs each notebook top to bottom in a fresh kernel with quick mode off, then writes
into the notebook's metadata::

    "ganlib": {"mode": "full", "code_sha256": ..., "executed": ..., "device": ..., "seconds": ...}

``code_sha256`` is a hash of every code cell's source, so ``tests/test_notebooks.py`` can tell
whether the stored outputs still belong to the code beside them. A notebook is replaced only after
it ran to the end: a failure leaves the old file untouched.

The chapters write their full-mode checkpoints under ``notebooks/runs/`` and resume from them (a
reader whose kernel died loses nothing). A stored run must not resume a run of earlier code, so
each invocation first moves that folder to ``notebooks/runs.previous/`` (replacing an older one):
every chapter it runs starts from no checkpoint. To continue an execution that was killed, with
the same code, set ``GANLIB_RESUME=1``.

Usage: ``python notebooks/execute.py [notebooks/03_gaussian.ipynb ...]`` (default: all chapters).
"""

from __future__ import annotations

import datetime
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP_TAGS = {"skip-execution", "nbval-skip"}


def code_sha256(nb) -> str:
    """Hash of the sources of all code cells, in order."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.encode("utf-8"))
            digest.update(b"\x00")
    return digest.hexdigest()


def chapters():
    return sorted(glob.glob(os.path.join(HERE, "[0-9][0-9]*_*.ipynb")))


#: Seconds one cell may run before execution is abandoned (catches a hung kernel). The longest
#: cell, chapter 7's grid table (4 rows x 6 seeds), took about 70 minutes on a 2-core CPU.
#: Override with the environment variable GANLIB_CELL_TIMEOUT (seconds).
def _cell_timeout() -> int:
    value = os.environ.get("GANLIB_CELL_TIMEOUT", str(3 * 3600))
    if not value.isdigit() or int(value) <= 0:
        raise SystemExit(f"execute.py: GANLIB_CELL_TIMEOUT must be a positive number of seconds, "
                         f"got {value!r}")
    return int(value)


CELL_TIMEOUT = _cell_timeout()
RUNS = os.path.join(HERE, "runs")


def set_aside_old_runs() -> None:
    """Move ``notebooks/runs/`` to ``notebooks/runs.previous/``, unless GANLIB_RESUME=1."""
    if os.environ.get("GANLIB_RESUME") == "1" or not os.path.isdir(RUNS):
        return
    previous = RUNS + ".previous"
    if os.path.isdir(previous):
        shutil.rmtree(previous)
    os.replace(RUNS, previous)
    print(f"moved the old checkpoints to {os.path.relpath(previous)} (GANLIB_RESUME=1 keeps them)")


#: TensorFlow's C++ start-up lines (absl's notice, then "I0000 00:00:... port.cc:153] oneDNN ...").
C_LOG = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written "
                   r"to STDERR|[IWE]\d{4} [\d:.]+ +\d+ [\w.]+\.cc:\d+\] .*)$")


def drop_c_log(nb) -> None:
    """Remove TensorFlow's C++ start-up lines from the stored stderr streams (a kernel started
    without ``capture_fd_output=False`` stores them; everything else stays)."""
    for cell in nb.cells:
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                lines = [line for line in out["text"].splitlines(True) if not C_LOG.match(line.rstrip("\n"))]
                if not "".join(lines).strip():
                    continue
                out["text"] = "".join(lines)
            kept.append(out)
        if cell.cell_type == "code":
            cell.outputs = kept


def execute(path: str, timeout: int = CELL_TIMEOUT) -> float:
    nb = nbformat.read(path, as_version=4)
    env_quick = os.environ.pop("GANLIB_QUICK", None)
    # TensorFlow's C++ log (e.g. "remapper failed" lines from its graph optimizer, harmless)
    # stays out of the stored pages; Python's warnings and errors are still stored.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        start = time.perf_counter()
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": HERE}},
            skip_cells_with_tag="skip-execution",
            # One stream per cell with progress-bar redraws (\r, \b) resolved: a Keras progress
            # bar is stored as its final line per epoch, not as hundreds of updates.
            coalesce_streams=True,
            # C libraries' own writes to the process's stderr (TensorFlow's start-up log of
            # oneDNN, which TF_CPP_MIN_LOG_LEVEL does not silence) go to this command's terminal.
            extra_arguments=["--IPKernelApp.capture_fd_output=False"],
        )
        client.execute()
        seconds = time.perf_counter() - start
    finally:
        if env_quick is not None:
            os.environ["GANLIB_QUICK"] = env_quick
    drop_c_log(nb)
    device = subprocess.run(
        [sys.executable, "-c", "from ganlib.config import device_report; print(device_report())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    nb.metadata["ganlib"] = {
        "mode": "full",
        "code_sha256": code_sha256(nb),
        "executed": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "device": device,
        "seconds": round(seconds, 1),
    }
    fd, tmp = tempfile.mkstemp(suffix=".ipynb", dir=HERE)
    os.close(fd)
    nbformat.write(nb, tmp)
    os.replace(tmp, path)
    return seconds


def main(argv):
    paths = argv or chapters()
    missing = [path for path in paths if not os.path.exists(path)]
    if missing:
        raise SystemExit(f"execute.py: no such notebook: {missing[0]}")
    set_aside_old_runs()
    for path in paths:
        print(f"executing {os.path.relpath(path)} in full mode ...", flush=True)
        seconds = execute(path)
        print(f"  done in {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
