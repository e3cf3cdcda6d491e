"""The package's architecture, as pyproject.toml's [tool.importlinter] contract declares it: each
layer imports only the layers below it, and no module imports itself back through others."""

from __future__ import annotations

import os
import subprocess
import sys

import grimp
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("numeras", exclude_type_checking_imports=True)


def test_the_layer_contract_holds():
    # lint-imports itself, in a fresh process, on the contract in pyproject.toml.
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_no_module_imports_itself_back(graph):
    cycles = sorted(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.chain_exists(importer=imported, imported=importer)
    )
    assert not cycles, f"import cycles (module -> module that leads back to it): {cycles}"


def test_low_layers_use_only_the_low_level_utils(graph):
    # utils/tree.py and utils/naming.py serve the backend, the engine and the symbolic graph;
    # the rest of numeras.utils (datasets, images, progress bars) sits above them.
    allowed = {"numeras.utils.tree", "numeras.utils.naming"}
    for package in ("numeras.backend", "numeras.autodiff", "numeras.symbolic"):
        for module in graph.find_children(package) | {package}:
            for imported in graph.find_modules_directly_imported_by(module):
                if imported.startswith("numeras.utils"):
                    assert imported in allowed, f"{module} imports {imported}"
