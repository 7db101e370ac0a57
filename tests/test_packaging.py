"""The declared dependencies are the tested ones: every lower bound in pyproject.toml names the
release series that constraints.txt pins (and so CI installs and tests)."""

import os
import re
import tomllib

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _pins():
    pins = {}
    with open(os.path.join(ROOT, "constraints.txt"), encoding="utf-8") as f:
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
            if spec.operator == ">=":
                bound = Version(spec.version)
                assert bound.release[:2] == pinned.release[:2], (
                    f"{req}: the lower bound is not the tested series {pinned.major}.{pinned.minor}")
        checked.append(name)
    assert {"keras", "numpy", "tensorflow-cpu", "jax"} <= set(checked)


def test_no_dependency_is_declared_without_being_used():
    names = {re.sub(r"[-_.]+", "-", r.name).lower() for r in _requirements()}
    assert "tqdm" not in names  # ganlib shows progress with Keras's own bars
