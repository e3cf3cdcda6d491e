"""numeras's public packages export only public names, as Keras's do.

A package's ``__init__`` is a facade: ``dir(numeras.losses)`` must not offer ``inspect``, ``Any``,
``register_builtins`` or ``annotations`` next to the losses. Every public (non-underscore) name a
package holds is either listed in its ``__all__`` or is one of its own submodules
(``numeras.optimizers.schedules``); every name in ``__all__`` resolves.
"""

import importlib
import types

import pytest

import numeras

# numeras.layers and numeras.activations still re-export their helpers, and numeras.ops (being
# merged with keras.ops) repeats names in its __all__; they join this list when their facades are done.
_NOT_YET_CHECKED = frozenset({"layers", "activations", "ops"})
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


def _resolve_all(module: types.ModuleType) -> None:
    """Look up every name of ``__all__`` (lazy packages load them on first use, and a loader
    that leaves helpers behind must show up in the check)."""
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"{module.__name__}.__all__ lists names the module does not have: {missing}"


@pytest.mark.parametrize("package", PACKAGES)
def test_package_exports_only_public_names(package):
    module = importlib.import_module(f"numeras.{package}")
    assert isinstance(getattr(module, "__all__", None), (list, tuple)), f"numeras.{package} has no __all__"
    assert len(set(module.__all__)) == len(module.__all__), f"numeras.{package}.__all__ repeats names"
    _resolve_all(module)
    assert leaked_names(module) == [], f"numeras.{package} exports names missing from its __all__"


def test_top_level_exports_only_public_names():
    _resolve_all(numeras)
    for name in numeras._SUBMODULES:
        getattr(numeras, name)
    assert leaked_names(numeras) == []


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
