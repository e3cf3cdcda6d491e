"""The README's code runs as printed and computes what it claims."""

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_backprop_section_matches_the_hand_derived_gradients():
    block = next(b for b in _python_blocks() if "GradientTape" in b)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    W, b, x = (namespace[k].numpy() for k in ("W", "b", "x"))
    mask = (W @ x + b > 0).astype(np.float32)
    np.testing.assert_allclose(namespace["dW"].numpy(), mask[:, None] * x[None, :], rtol=1e-6)
    np.testing.assert_allclose(namespace["db"].numpy(), mask, rtol=1e-6)
    np.testing.assert_allclose(namespace["dx"].numpy(), W.T @ mask, rtol=1e-6)
    assert namespace["dW"].dtype == "float32"


def test_readme_commands_are_the_ones_ci_runs():
    text = README.read_text(encoding="utf-8")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m pytest -q" in text
    assert "python -m pytest -q" in ci
    assert "python3 examples/mnist_mlp.py" in text
