"""numeras.saving sits above the packages whose objects it saves: it reaches layers, models,
optimizers, losses, ... only through ``object_registration``, never by importing them (at
module or function level), so no import cycle runs through it."""

from __future__ import annotations

import ast
import pathlib

import numeras.saving

SAVING = pathlib.Path(numeras.saving.__file__).parent
PACKAGES_BELOW = (
    "activations", "callbacks", "constraints", "initializers", "layers", "losses", "metrics", "models",
    "optimizers", "regularizers", "trainers",
)


def _imported_modules(path: pathlib.Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_saving_imports_no_package_it_saves():
    offenders = {
        f"{path.name}: {module}"
        for path in SAVING.glob("*.py")
        for module in _imported_modules(path)
        if module.split(".")[:2] in (["numeras", package] for package in PACKAGES_BELOW)
    }
    assert not offenders, sorted(offenders)


def test_the_codec_imports_only_what_lies_below_it():
    imported = {m for m in _imported_modules(SAVING / "serialization_lib.py") if m.startswith("numeras")}
    allowed = ("numeras.backend", "numeras.autodiff", "numeras.saving.object_registration", "numeras.saving.errors")
    assert all(m.startswith(allowed) or m in ("numeras", "numeras.saving") for m in imported), sorted(imported)
    assert len((SAVING / "serialization_lib.py").read_text().splitlines()) <= 500


def test_every_package_resolves_names_through_the_one_registry():
    from numeras import layers, losses, metrics, optimizers
    from numeras.saving import object_registration

    assert not hasattr(layers, "_REGISTRY")
    assert object_registration.builtin_objects("layers")["Dense"] is layers.Dense
    assert object_registration.builtin_objects("losses")["mse"] is losses.mean_squared_error
    assert object_registration.builtin_objects("metrics")["AUC"] is metrics.AUC
    assert object_registration.builtin_objects("optimizers")["Adam"] is optimizers.Adam

    @layers.register
    class Twice(layers.Layer):
        def call(self, x):
            return x * 2

    assert layers.deserialize({"class_name": "Twice", "config": {"name": "t"}}).name == "t"
    assert object_registration.builtin_objects("layers")["Twice"] is Twice
