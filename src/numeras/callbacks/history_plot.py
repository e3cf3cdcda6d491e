"""Plot the curves of a ``History`` (matplotlib is an optional dependency)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["plot_history"]


def plot_history(
    history: Any,
    path: Any = None,
    metrics: Sequence[str] | None = None,
    figsize: tuple[float, float] | None = None,
) -> Any:
    """Draw training and validation curves, one panel per metric, as *Deep Learning with
    Python* does: training values as dots, validation values as a line, against the epoch
    (counted from 1).

    Args:
        history: a ``History`` (what ``fit`` returns) or its ``history`` dict.
        path: if given, the figure is saved there as a PNG (e.g. ``"loss.png"``).
        metrics: the metrics to draw (default: every key without ``val_``, ``loss`` first).
        figsize: the figure size in inches (default: 5 x 4 per panel).

    Returns:
        The ``matplotlib.figure.Figure`` (made without pyplot, so nothing opens a window).

    Raises:
        ImportError: when matplotlib is not installed (``pip install matplotlib``).
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "plot_history needs matplotlib, which is not installed. Install it with "
            "`pip install matplotlib` (or `pip install numeras[plot]`)."
        ) from None
    data: Mapping[str, list] = history.history if hasattr(history, "history") else history
    if not isinstance(data, Mapping) or not data:
        raise ValueError(
            "plot_history: the history is empty. Pass the History returned by model.fit(...) "
            "after at least one epoch."
        )
    if metrics is None:
        names = sorted({key[4:] if key.startswith("val_") else key for key in data})
        names.sort(key=lambda name: (name != "loss", name))
    else:
        names = list(metrics)
        missing = [n for n in names if n not in data and f"val_{n}" not in data]
        if missing:
            raise ValueError(
                f"plot_history: no values recorded for {missing}; the history has {sorted(data)}."
            )
    figure = Figure(figsize=figsize or (5.0 * len(names), 4.0))
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(names), squeeze=False)[0]
    for axis, name in zip(axes, names):
        for key, style, label in ((name, "bo", "Training"), (f"val_{name}", "b", "Validation")):
            values = data.get(key)
            if values:
                axis.plot(range(1, len(values) + 1), values, style, label=f"{label} {name}")
        axis.set_title(f"Training and validation {name}")
        axis.set_xlabel("Epochs")
        axis.set_ylabel(name)
        axis.legend()
    figure.tight_layout()
    if path is not None:
        path = os.fspath(path)
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        figure.savefig(path, format="png")
    return figure
