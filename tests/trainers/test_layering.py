"""The trainers package sits between models and the packages below it: nothing it may import
imports it back (Keras 3's layering; a cycle here would make import order matter)."""

import pathlib
import re

import numeras

BELOW_TRAINERS = ("backend", "autodiff", "utils", "layers", "losses", "metrics", "optimizers", "callbacks")
IMPORT_OF_TRAINERS = re.compile(r"^\s*(from numeras\.trainers|import numeras\.trainers|from numeras import .*\btrainers\b)", re.M)


def test_no_package_below_the_trainers_imports_them():
    root = pathlib.Path(numeras.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for package in BELOW_TRAINERS
        for path in sorted((root / package).rglob("*.py"))
        if IMPORT_OF_TRAINERS.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_trainers_do_not_import_models():
    root = pathlib.Path(numeras.__file__).parent / "trainers"
    offenders = [
        str(path) for path in sorted(root.rglob("*.py"))
        if re.search(r"^\s*(from|import) numeras\.models", path.read_text(encoding="utf-8"), re.M)
    ]
    assert offenders == []
