"""``model.summary()`` in Keras 3's table layout.

A model whose graph is a chain (``Sequential``, a chain-shaped functional model, a subclassed
model) gets three columns; a functional model with branches, several inputs or outputs, or
shared layers gets Keras's fourth column, "Connected to", listing for each layer the tensors
it was called on as ``layer_name[node_index][tensor_index]``. Long cells wrap at spaces, as the
``rich`` tables Keras prints do.
"""

from __future__ import annotations

import math
import re
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


def _wrap(text: str, width: int) -> list[str]:
    """``text`` broken at spaces into lines of at most ``width`` characters; a word longer than
    a line is cut with an ellipsis (rich's default for table cells)."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        if len(word) > width:
            word = word[: width - 1] + "…"
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    lines.append(current)
    return lines


def _row_lines(cells: list[str], widths: list[int], aligns: list[str]) -> list[str]:
    wrapped = [_wrap(cell, width) for cell, width in zip(cells, widths)]
    height = max(len(lines) for lines in wrapped)
    out = []
    for i in range(height):
        parts = []
        for lines, width, align in zip(wrapped, widths, aligns):
            cell = lines[i] if i < len(lines) else ""
            parts.append(cell.rjust(width) if align == "right" else cell.ljust(width))
        out.append("│ " + " │ ".join(parts) + " │")
    return out


def _is_sequential_like(model: Any) -> bool:
    """Keras's test: a functional graph is shown as a chain unless some depth has several nodes,
    a node has several inputs, or a layer is called more than once."""
    nodes_by_depth = getattr(model, "_nodes_by_depth", None)
    if nodes_by_depth is None:
        return True
    nodes = []
    for depth_nodes in nodes_by_depth.values():
        if len(depth_nodes) > 1 or (len(depth_nodes) == 1 and len(depth_nodes[0].input_tensors) > 1):
            return False
        nodes.extend(depth_nodes)
    node_ids = {id(node) for node in nodes}
    for layer in model.layers:
        if sum(1 for node in layer._inbound if id(node) in node_ids) > 1:
            return False
    return True


def _connections(layer: Any, relevant: set[int]) -> str:
    parts = []
    for node in layer._inbound:
        if relevant and id(node) not in relevant:
            continue  # a call made for another model
        for tensor in node.input_tensors:
            inbound, node_index, tensor_index = tensor._keras_history
            parts.append(f"{inbound.name}[{node_index}][{tensor_index}]")
    return ", ".join(parts) if parts else "-"


def _layer_range_bounds(layers: list, layer_range: Any) -> tuple[int, int]:
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2 or not all(isinstance(name, str) for name in layer_range):
        raise ValueError(
            "summary: `layer_range` must be a list or tuple of 2 strings (the first and last layer "
            f"names, or regexes matching them); received layer_range={layer_range!r}."
        )
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError(
            f"summary: the names in layer_range={list(layer_range)} match no layer of the model; "
            f"its layers are {[layer.name for layer in layers]}."
        )
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def print_summary(
    model: Any,
    line_length: int | None = None,
    positions: Any = None,
    print_fn: Callable[[str], Any] | None = None,
    show_trainable: bool = False,
    expand_nested: bool = False,
    layer_range: Any = None,
) -> None:
    """Print (or pass line by line to ``print_fn``) the model's layers and parameter counts."""
    is_functional = hasattr(model, "_operations")
    layers = list(model._operations) if is_functional else list(model.layers)
    sequential_like = _is_sequential_like(model) if is_functional else True
    if sequential_like:
        default_length = 88
        header = ["Layer (type)", "Output Shape", "Param #"]
        aligns = ["left", "left", "right"]
        positions = list(positions or [0.45, 0.80, 1.0])
        relevant: set[int] = set()
    else:
        default_length = 108
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        aligns = ["left", "left", "right", "left"]
        positions = list(positions or [0.3, 0.56, 0.74, 1.0])
        relevant = {id(node) for nodes in model._nodes_by_depth.values() for node in nodes}
    if show_trainable:
        default_length += 12
        header.append("Trainable")
        aligns.append("left")
        positions = [p * 0.9 for p in positions] + [1.0]
    line_length = line_length or min(default_length, max(shutil.get_terminal_size().columns - 4, 60))
    # The table's borders and padding take 3 characters per column plus one.
    inner = line_length - 3 * len(header) - 1
    bounds = [int(p * inner) if p <= 1 else int(p) for p in positions]
    widths = [b - a for a, b in zip([0, *bounds[:-1]], bounds)]
    if min(widths) < 4:
        raise ValueError(
            f"summary: line_length={line_length} is too narrow for {len(header)} columns; pass a "
            "larger line_length."
        )

    def cells_for(layer: Any, prefix: str = "") -> list[str]:
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        cells = [f"{prefix}{layer.name} ({type(layer).__name__})", _format_shape(layer), params]
        if not sequential_like:
            cells.append(_connections(layer, relevant))
        if show_trainable:
            cells.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        return cells

    def rows_for(layer: Any, level: int = 0) -> list[list[str]]:
        prefix = "   " * level + "└ " if level else ""
        rows = [cells_for(layer, prefix)]
        nested = getattr(layer, "layers", None) if expand_nested and hasattr(layer, "compile") else None
        for inner_layer in nested or []:
            rows.extend(rows_for(inner_layer, level + 1))
        return rows

    start, stop = _layer_range_bounds(layers, layer_range)
    rows = [row for layer in layers[start:stop] for row in rows_for(layer)]

    def rule(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + right

    lines = [f'Model: "{model.name}"', rule("┏", "━", "┳", "┓")]
    lines.extend(
        line.replace("│", "┃") for line in _row_lines(header, widths, [
            "right" if a == "right" else "left" for a in aligns
        ])
    )
    lines.append(rule("┡", "━", "╇", "┩"))
    for i, cells in enumerate(rows):
        lines.extend(_row_lines(cells, widths, aligns))
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
    if print_fn is None:
        print("\n".join(lines))
    else:
        for line in lines:
            print_fn(line)
