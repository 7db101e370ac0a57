"""The declared dependencies are the tested ones, and each is used. The stack's lower bounds
(Keras, NumPy, matplotlib, TensorFlow, JAX) are the oldest versions tested, which
constraints-min.txt pins (``make test-min``), and admit the newest, which constraints.txt pins
(``make test``); Keras is held below its next major version. Every other lower bound names the
release series that constraints.txt pins."""

import json
import os
import re
import tomllib

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


#: The packages whose oldest supported versions constraints-min.txt pins.
STACK = ("keras", "numpy", "matplotlib", "tensorflow-cpu", "jax")


def _pins(name="constraints.txt"):
    pins = {}
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        for line in f:
            match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
            if match:
                pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = Version(match.group(2))
    return pins


def _requirements():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared += extra
    return [Requirement(r) for r in declared]


def test_every_lower_bound_is_the_pinned_release_series():
    pins = _pins()
    checked = []
    for req in _requirements():
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        if name == "tensorflow":  # the GPU build; CI installs its CPU twin, tensorflow-cpu
            name = "tensorflow-cpu"
        assert name in pins, f"{req.name} is declared but constraints.txt does not pin (test) it"
        pinned = pins[name]
        assert pinned in req.specifier, f"{req} excludes the tested {name}=={pinned}"
        for spec in req.specifier:
            if spec.operator == ">=" and name not in STACK:
                bound = Version(spec.version)
                assert bound.release[:2] == pinned.release[:2], (
                    f"{req}: the lower bound is not the tested series {pinned.major}.{pinned.minor}")
        checked.append(name)
    assert {"keras", "numpy", "tensorflow-cpu", "jax"} <= set(checked)


def _name(req):
    name = re.sub(r"[-_.]+", "-", req.name).lower()
    return "tensorflow-cpu" if name == "tensorflow" else name


def test_the_stacks_lower_bounds_are_the_oldest_tested_versions():
    oldest, newest = _pins("constraints-min.txt"), _pins()
    seen = set()
    for req in _requirements():
        name = _name(req)
        if name not in STACK:
            continue
        floors = [Version(s.version) for s in req.specifier if s.operator == ">="]
        assert floors == [oldest[name]], f"{req}: the lower bound is not the oldest tested {oldest[name]}"
        assert newest[name] in req.specifier, f"{req} excludes the newest tested {newest[name]}"
        if name == "keras":
            assert any(s.operator == "<" and Version(s.version) == Version("4") for s in req.specifier), (
                f"{req}: no upper bound below Keras 4")
        seen.add(name)
    assert seen == set(STACK)


# Where the project's code lives: the library, its tests, the chapters and the tools around them.
CODE_FOLDERS = ("ganlib", "tests", "notebooks", "tools", "benchmarks")
# Distributions whose module has another name.
MODULE_OF = {"tensorflow-cpu": "tensorflow"}
# Declared but never imported, on purpose: each is used another way, and (file, text) shows where;
# the text must be there, so an entry outlives neither its use nor its declaration.
NOT_IMPORTED = {
    "jupyter-book": ("Makefile", "jupyter-book build"),  # a command: it builds the site
    "nbval": ("Makefile", "--nbval"),  # a pytest plugin, switched on by its flag
    "pytest-xdist": ("Makefile", "--numprocesses"),  # a pytest plugin: tests in two processes
    # The Jupyter kernel "python3" that nbval and Jupyter Book run every chapter in.
    "ipykernel": ("notebooks/03_gaussian.ipynb", '"name": "python3"'),
}


def _imported_modules():
    """The top-level names of every module imported in CODE_FOLDERS (notebooks: code cells)."""
    pattern = re.compile(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", re.MULTILINE)
    found = set()
    for folder in CODE_FOLDERS:
        for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                path = os.path.join(dirpath, name)
                if name.endswith(".py"):
                    with open(path, encoding="utf-8") as f:
                        found |= set(pattern.findall(f.read()))
                elif name.endswith(".ipynb"):
                    with open(path, encoding="utf-8") as f:
                        cells = json.load(f)["cells"]
                    found |= {m for c in cells if c["cell_type"] == "code"
                              for m in pattern.findall("".join(c["source"]))}
    return found


def _unused(names, imported):
    """The distributions in ``names`` that are neither imported nor in NOT_IMPORTED."""
    return sorted(n for n in names if n not in NOT_IMPORTED
                  and MODULE_OF.get(n, n.replace("-", "_")) not in imported)


def test_no_dependency_is_declared_without_being_used():
    names = {re.sub(r"[-_.]+", "-", r.name).lower() for r in _requirements()}
    imported = _imported_modules()
    assert _unused(names, imported) == []
    assert _unused(["tqdm"], imported) == ["tqdm"]  # ganlib shows progress with Keras's own bars
    for name, (path, text) in NOT_IMPORTED.items():
        assert name in names, f"{name} is allowed unimported but no longer declared"
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            assert text in f.read(), f"{name}: {text!r} is no longer in {path}"
