"""numeras's packages import only downward: symbolic below layers, layers below models.

Every import statement is read from the source (those inside functions too), so an import
moved into a function to dodge a cycle still counts."""

import ast
from pathlib import Path

import numeras

SOURCE = Path(numeras.__file__).parent


def _imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    # `from numeras import backend` names numeras.backend; the bare package itself is no layer.
    return {name for name in found if name.startswith("numeras.")}


def _package_of(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_symbolic_imports_only_backend_autodiff_and_utils():
    allowed = {"backend", "autodiff", "utils", "symbolic"}
    files = sorted((SOURCE / "symbolic").glob("*.py"))
    assert {path.name for path in files} >= {"tensor.py", "node.py", "operation.py", "graph.py", "function.py"}
    for path in files:
        upward = {m for m in _imported_modules(path) if _package_of(m) not in allowed}
        assert not upward, f"{path.name} imports {sorted(upward)}"


def test_layers_never_import_models():
    for path in sorted((SOURCE / "layers").glob("*.py")):
        upward = {m for m in _imported_modules(path) if _package_of(m) == "models"}
        assert not upward, f"layers/{path.name} imports {sorted(upward)}"


def test_layer_builds_on_operation_and_the_functional_model_on_function():
    from numeras.layers import Layer
    from numeras.models import Functional
    from numeras.symbolic import Function, Operation

    assert issubclass(Layer, Operation)
    assert issubclass(Functional, Function)
