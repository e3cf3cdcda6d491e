"""numeras's public packages export only public names, as Keras's do.

A package's ``__init__`` is a facade: ``dir(numeras.losses)`` must not offer ``inspect``, ``Any``,
``register_builtins`` or ``annotations`` next to the losses. Every public (non-underscore) name a
package holds is either listed in its ``__all__`` or is one of its own submodules
(``numeras.optimizers.schedules``); every name in ``__all__`` resolves.
"""

import importlib
import json
import os
import subprocess
import sys
import types

import pytest

import numeras

# numeras.layers and numeras.activations still re-export their helpers, and numeras.ops (being
# merged with keras.ops) repeats names in its __all__; they join this list when their facades are done.
_NOT_YET_CHECKED = frozenset()
PACKAGES = sorted(numeras._SUBMODULES - _NOT_YET_CHECKED)


def leaked_names(module: types.ModuleType) -> list[str]:
    """The public names of ``module`` that are neither in its ``__all__`` nor its own submodules."""
    allowed = set(getattr(module, "__all__", ()))
    own_prefix = f"{module.__name__}."
    return sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and name not in allowed
        and not (isinstance(value, types.ModuleType) and value.__name__.startswith(own_prefix))
    )


_REPORT_SCRIPT = """
import importlib, json, sys
sys.path.insert(0, sys.argv[1])
from test_public_api import leaked_names
import numeras
report = {}
for name in [""] + sorted(numeras._SUBMODULES):
    module = importlib.import_module(f"numeras.{name}" if name else "numeras")
    names = getattr(module, "__all__", None)
    entry = report[name or "numeras"] = {"all": None if names is None else list(names)}
    if names is not None:
        # Lazy packages load names on first use: a loader that leaves helpers behind must show.
        entry["missing"] = [n for n in names if not hasattr(module, n)]
    if not name:
        for package in numeras._SUBMODULES:
            getattr(numeras, package)
    entry["leaks"] = leaked_names(module)
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def report() -> dict:
    """Each package's ``__all__``, the names it lists but lacks, and its leaks, as a user sees them
    right after ``import numeras``: in a fresh interpreter, so that what other tests do to the
    modules (``numeras run``'s keras alias sets attributes on them) does not count."""
    tests_dir = os.path.dirname(os.path.abspath(__file__))
    result = subprocess.run(
        [sys.executable, "-c", _REPORT_SCRIPT, tests_dir], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("package", PACKAGES)
def test_package_exports_only_public_names(report, package):
    entry = report[package]
    names = entry["all"]
    assert isinstance(names, list), f"numeras.{package} has no __all__"
    assert len(set(names)) == len(names), f"numeras.{package}.__all__ repeats names"
    assert entry["missing"] == [], f"numeras.{package}.__all__ lists names the module does not have"
    assert entry["leaks"] == [], f"numeras.{package} exports names missing from its __all__"


def test_top_level_exports_only_public_names(report):
    entry = report["numeras"]
    assert entry["missing"] == []
    assert entry["leaks"] == []


def test_every_public_package_is_reachable_from_numeras():
    for package in PACKAGES:
        assert getattr(numeras, package) is importlib.import_module(f"numeras.{package}")


def test_the_check_finds_a_leak():
    module = types.ModuleType("numeras.fake")
    module.__all__ = ["get"]
    module.get = lambda identifier: identifier
    module.inspect = importlib.import_module("inspect")
    module.Any = object
    module.schedules = types.ModuleType("numeras.fake.schedules")
    module._private = 1
    assert leaked_names(module) == ["Any", "inspect"]
