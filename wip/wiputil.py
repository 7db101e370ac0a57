"""Helpers shared by the wip scripts: command-line overrides (``FIELD=VALUE``) and the page makers'
cell builders (``Page``: markdown, code and kept cells of a stored notebook)."""

import ast
import json
import os


def literal(text):
    """``text`` as a Python literal (numbers, tuples, ...), else as the word itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def overrides(args):
    """``{field: value}`` of ``FIELD=VALUE`` command-line arguments."""
    return {k: literal(v) for k, v in (a.split("=", 1) for a in args)}


class Page:
    """A chapter page in the making, from the stored notebook ``notebooks/<name>.ipynb``."""

    def __init__(self, name):
        self.root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.name = name
        with open(os.path.join(self.root, "notebooks", f"{name}.ipynb"), encoding="utf-8") as f:
            self.old = json.load(f)
        self.cells = []

    def md(self, text):
        self.cells.append({"cell_type": "markdown", "metadata": {},
                           "source": text.strip("\n").splitlines(keepends=True)})

    def code(self, text, tags=("nbval-ignore-output",)):
        self.cells.append({"cell_type": "code", "execution_count": None,
                           "metadata": {"tags": list(tags)} if tags else {}, "outputs": [],
                           "source": text.strip("\n").splitlines(keepends=True)})

    def keep(self, index):
        cell = dict(self.old["cells"][index])
        if cell["cell_type"] == "code":
            cell = {**cell, "outputs": [], "execution_count": None}
        self.cells.append(cell)

    def write(self, prefix):
        """Write ``wip/<name>.ipynb`` (cells without an id get ``<prefix>-NN``); return its path."""
        nb = {**self.old, "cells": self.cells}
        nb["metadata"] = {k: v for k, v in self.old["metadata"].items() if k != "ganlib"}
        for i, cell in enumerate(nb["cells"]):
            cell.setdefault("id", f"{prefix}-{i:02d}")
        path = os.path.join(self.root, "wip", f"{self.name}.ipynb")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(nb, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print("wrote", path, len(nb["cells"]), "cells")
        return path
