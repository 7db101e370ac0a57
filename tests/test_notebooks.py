"""The stored notebook outputs are a full-mode run of the code beside them."""

import glob
import importlib.util
import os

import nbformat
import pytest

from conftest import ROOT

# The chapters ("07_mode_collapse") and their sub-pages ("07b_stacked_mnist").
CHAPTERS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "[0-9][0-9]*_*.ipynb")))
EXPECTED = ["01_counterfeiting", "02_learning_round", "03_gaussian", "04_minimax", "05_dcgan", "06_progan",
            "07_mode_collapse", "08_conditional",
            "09_generated_data"]

spec = importlib.util.spec_from_file_location("execute", os.path.join(ROOT, "notebooks", "execute.py"))
execute = importlib.util.module_from_spec(spec)
spec.loader.exec_module(execute)


def test_all_chapters_are_there_and_in_the_toc():
    names = [os.path.basename(p)[:-6] for p in CHAPTERS]
    assert [name for name in names if name[2] == "_"] == EXPECTED
    toc = open(os.path.join(ROOT, "_toc.yml"), encoding="utf-8").read()
    for name in names:
        assert f"notebooks/{name}" in toc


@pytest.mark.parametrize("path", CHAPTERS, ids=os.path.basename)
def test_outputs_come_from_a_full_run_of_this_code(path):
    nb = nbformat.read(path, as_version=4)
    stamp = nb.metadata.get("ganlib", {})
    assert stamp.get("mode") == "full", "run `make execute` to store full-mode outputs"
    assert stamp.get("code_sha256") == execute.code_sha256(nb), (
        "the code changed since the stored outputs were made: run `make execute`"
    )
    code = [c for c in nb.cells if c.cell_type == "code"]
    run = [c for c in code if "skip-execution" not in c.metadata.get("tags", [])]
    assert run, "a chapter without code"
    assert all(c.execution_count is not None for c in run), "a cell was not executed"
    counts = [c.execution_count for c in run]
    assert counts == sorted(counts), "cells were run out of order"
    assert any(c.outputs for c in run)


@pytest.mark.parametrize("path", CHAPTERS, ids=os.path.basename)
def test_chapter_shape(path):
    nb = nbformat.read(path, as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    tags = set(first_code.metadata.get("tags", []))
    assert {"skip-execution", "nbval-skip"} <= tags, "the Colab setup cell must be skipped"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert "## Summary" in text and "## Exercises" in text


@pytest.mark.parametrize("path", CHAPTERS, ids=os.path.basename)
def test_setup_cell_installs_from_the_configured_repository(path):
    import yaml

    with open(os.path.join(ROOT, "_config.yml"), encoding="utf-8") as f:
        url = yaml.safe_load(f)["repository"]["url"].rstrip("/")
    nb = nbformat.read(path, as_version=4)
    setup = next(c for c in nb.cells if c.cell_type == "code")
    assert f"ganlib @ git+{url}" in setup.source, "setup cell and _config.yml name different repositories"


@pytest.mark.parametrize("path", CHAPTERS, ids=os.path.basename)
def test_library_source_shown_on_a_page_is_the_library_today(path):
    """A cell that prints ``inspect.getsource(...)`` stores the source as it was when the chapter
    ran; the page must still show the code that runs (else: re-execute the chapter)."""
    import inspect
    import re

    from ganlib import bigan, conditional, progan, training

    names = {"bigan": bigan, "conditional": conditional, "progan": progan, "training": training}

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code" or "getsource(" not in cell.source:
            continue
        shown = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
        targets = re.findall(r"getsource\(([\w.]+)\)", cell.source)
        if targets == ["method"]:  # a loop over a tuple of methods
            targets = re.search(r"in \(([^)]*)\)", cell.source).group(1).replace(" ", "").split(",")
        now = "".join(inspect.getsource(eval(t, names)) + "\n" for t in targets if t)
        assert shown == now, f"{os.path.basename(path)} shows old source of {targets}: re-execute it"


def accidental_list_items(text):
    """Lines of Markdown ``text`` inside a paragraph that start with ``1)`` or ``1.`` and a space:
    CommonMark lets a numbered list that starts at 1 interrupt a paragraph, so a wrapped
    "(label\\n1) estimates" became a list. A real list item follows a blank line or another item."""
    found, previous, in_code = [], "", False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        item = line.startswith(("1) ", "1. "))
        earlier = previous[:1].isdigit() or previous.startswith(("   ", "- ", "* "))
        if item and not in_code and previous.strip() and not earlier:
            found.append(line)
        previous = line
    return found


def test_no_wrapped_line_turns_into_a_numbered_list():
    assert accidental_list_items("a batch of real points, label\n1) estimates it") == [
        "1) estimates it"]
    assert accidental_list_items("Steps:\n\n1. one\n2. two\n   more\n3. three") == []
    pages = CHAPTERS + sorted(glob.glob(os.path.join(ROOT, "book", "*.md")))
    for path in pages:
        if path.endswith(".ipynb"):
            cells = nbformat.read(path, as_version=4).cells
            texts = [c.source for c in cells if c.cell_type == "markdown"]
        else:
            texts = [open(path, encoding="utf-8").read()]
        for text in texts:
            assert accidental_list_items(text) == [], os.path.basename(path)


def test_an_execution_starts_from_no_old_checkpoint(tmp_path, monkeypatch):
    # make execute once resumed chapter 5's stored run from the checkpoints of the run before.
    runs = tmp_path / "runs"
    (runs / "dcgan-compact").mkdir(parents=True)
    (runs / "dcgan-compact" / "checkpoint.npz").write_bytes(b"old")
    monkeypatch.setattr(execute, "RUNS", str(runs))
    monkeypatch.setenv("GANLIB_RESUME", "1")
    execute.set_aside_old_runs()
    assert (runs / "dcgan-compact" / "checkpoint.npz").exists()  # continuing a killed execution
    monkeypatch.delenv("GANLIB_RESUME")
    execute.set_aside_old_runs()
    assert not runs.exists()
    assert (tmp_path / "runs.previous" / "dcgan-compact" / "checkpoint.npz").read_bytes() == b"old"
