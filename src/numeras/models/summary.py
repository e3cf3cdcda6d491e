"""``model.summary()`` in Keras 3's table layout."""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from typing import Any


def readable_size(num_bytes: float) -> str:
    """Bytes in the largest unit (B, KB, MB, ...) under 1024, two decimals, as Keras prints."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if num_bytes < 1024:
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1024
    return f"{num_bytes:.2f} PB"


def _count(weights: list) -> int:
    return int(sum(math.prod(w.shape) for w in weights))


def _memory(weights: list) -> int:
    return int(sum(w.data.nbytes for w in {id(w): w for w in weights}.values()))


def _format_shape(layer: Any) -> str:
    shape = getattr(layer, "_output_shape", None)
    if shape is None:
        return "?"
    if isinstance(shape, tuple) and all(n is None or isinstance(n, int) for n in shape):
        return "(" + ", ".join(str(n) for n in shape) + ")"
    return str(shape).replace("'", "")


def _row(cells: list[str], widths: list[int], aligns: list[str]) -> str:
    parts = []
    for cell, width, align in zip(cells, widths, aligns):
        cell = cell if len(cell) <= width else cell[: width - 1] + "…"
        parts.append(cell.rjust(width) if align == "right" else cell.ljust(width))
    return "│ " + " │ ".join(parts) + " │"


def print_summary(
    model: Any,
    line_length: int | None = None,
    positions: Any = None,
    print_fn: Callable[[str], Any] | None = None,
    show_trainable: bool = False,
) -> None:
    """Print (or pass line by line to ``print_fn``) the model's layers and parameter counts."""
    header = ["Layer (type)", "Output Shape", "Param #"]
    aligns = ["left", "left", "right"]
    positions = list(positions or [0.45, 0.80, 1.0])
    if show_trainable:
        header.append("Trainable")
        aligns.append("left")
        positions = [p * 0.9 for p in positions] + [1.0]
    line_length = line_length or min(88, max(shutil.get_terminal_size().columns - 4, 60))
    # The table's borders and padding take 3 characters per column plus one.
    inner = line_length - 3 * len(header) - 1
    bounds = [int(p * inner) for p in positions]
    widths = [b - a for a, b in zip([0, *bounds[:-1]], bounds)]

    rows = []
    for layer in model.layers:
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        cells = [f"{layer.name} ({type(layer).__name__})", _format_shape(layer), params]
        if show_trainable:
            cells.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        rows.append(cells)

    def rule(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + right

    lines = [f'Model: "{model.name}"', rule("┏", "━", "┳", "┓"),
             "┃ " + " ┃ ".join(h.rjust(w) if a == "right" else h.ljust(w) for h, w, a in zip(header, widths, aligns)) + " ┃",
             rule("┡", "━", "╇", "┩")]
    for i, cells in enumerate(rows):
        lines.append(_row(cells, widths, aligns))
        if i < len(rows) - 1:
            lines.append(rule("├", "─", "┼", "┤"))
    lines.append(rule("└", "─", "┴", "┘"))

    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    optimizer = getattr(model, "optimizer", None)
    optimizer_vars = list(getattr(optimizer, "variables", []) or []) if getattr(optimizer, "built", False) else []
    total = _count(trainable) + _count(non_trainable) + _count(optimizer_vars)
    total_bytes = _memory(trainable) + _memory(non_trainable) + _memory(optimizer_vars)
    lines.append(f" Total params: {total:,} ({readable_size(total_bytes)})")
    lines.append(f" Trainable params: {_count(trainable):,} ({readable_size(_memory(trainable))})")
    lines.append(f" Non-trainable params: {_count(non_trainable):,} ({readable_size(_memory(non_trainable))})")
    if optimizer_vars:
        lines.append(f" Optimizer params: {_count(optimizer_vars):,} ({readable_size(_memory(optimizer_vars))})")
    emit = print_fn or print
    if print_fn is None:
        print("\n".join(lines))
    else:
        for line in lines:
            emit(line)
