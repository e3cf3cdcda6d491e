"""``plot_model`` / ``model_to_dot``: a model's layer graph as a Graphviz drawing, as Keras 3's
``keras.utils.plot_model`` draws it (one box per layer, an arrow per connection, optional shapes,
dtypes, activations and trainable flags, nested models expanded into clusters).

The graph is built with pydot (``pip install "numeras[plot-model]"``). A ``.dot`` file is pydot's
text and needs nothing more; images (``.png``, ``.svg``, ``.pdf``, ...) are rendered by Graphviz's
``dot`` program, which must be installed separately (``apt install graphviz``,
``brew install graphviz``, ``conda install graphviz``).
"""

from __future__ import annotations

import os
import shutil
from typing import Any

_TEXT_FORMATS = ("dot", "raw", "gv")
_RANKDIRS = ("TB", "LR", "BT", "RL")


def _pydot() -> Any:
    try:
        import pydot
    except ImportError:
        raise ImportError(
            "plot_model / model_to_dot need pydot, which is not installed. Install it with "
            '`pip install "numeras[plot-model]"` (or `pip install pydot`); images also need '
            "Graphviz's `dot` program (apt install graphviz / brew install graphviz)."
        ) from None
    return pydot


def _check_graphviz(extension: str) -> None:
    if shutil.which("dot") is None:
        raise ImportError(
            f"plot_model: writing a .{extension} image needs Graphviz's `dot` program, which is not on "
            "the PATH. Install Graphviz (apt install graphviz / brew install graphviz / conda install "
            "graphviz), or write the graph's text with to_file='model.dot', which needs only pydot."
        )


def _quote(text: str) -> str:
    """A label pydot writes verbatim: quoted, with Graphviz's escapes."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _format_shape(shape: Any) -> str:
    if isinstance(shape, (list, tuple)) and shape and all(isinstance(s, (list, tuple)) for s in shape):
        return ", ".join(_format_shape(s) for s in shape)
    return "(" + ", ".join("None" if n is None else str(n) for n in shape) + (",)" if len(shape) == 1 else ")")


def _node_shapes(layer: Any) -> tuple[str, str, str]:
    """``(input shapes, output shapes, output dtype)`` of the layer's last recorded call."""
    from numeras.utils.tree import flatten

    nodes = getattr(layer, "_inbound", None) or []
    if not nodes:
        return "?", "?", "?"
    node = nodes[-1]
    outputs = flatten(node.outputs)
    inputs = outputs if node.is_input else list(node.input_tensors)
    in_shapes = [tuple(t.shape) for t in inputs]
    out_shapes = [tuple(t.shape) for t in outputs]
    dtype = ", ".join(sorted({str(t.dtype) for t in outputs}))
    return _shapes_text(in_shapes), _shapes_text(out_shapes), dtype


def _shapes_text(shapes: list[tuple]) -> str:
    return _format_shape(shapes[0] if len(shapes) == 1 else shapes)


def _label(layer: Any, options: dict) -> str:
    class_name = type(layer).__name__
    title = f"{layer.name} ({class_name})" if options["show_layer_names"] else class_name
    lines = [title]
    if options["show_shapes"] or options["show_dtype"]:
        in_shape, out_shape, dtype = _node_shapes(layer)
        if options["show_shapes"]:
            lines.append(f"Input shape: {in_shape}")
            lines.append(f"Output shape: {out_shape}")
        if options["show_dtype"]:
            lines.append(f"Output dtype: {dtype}")
    if options["show_layer_activations"] and getattr(layer, "activation", None) is not None:
        activation = layer.activation
        lines.append(f"Activation: {getattr(activation, '__name__', type(activation).__name__)}")
    if options["show_trainable"]:
        lines.append(f"Trainable: {'Trainable' if layer.trainable else 'Non-trainable'}")
    return "\n".join(lines)


def _graph_of(model: Any) -> tuple[list, list[tuple[Any, Any]]]:
    """``(layers, edges)`` of a model: its layers in order, and ``(source, target)`` layer pairs."""
    from numeras.models.functional import Functional
    from numeras.models.sequential import Sequential

    if isinstance(model, Sequential):
        layers = list(model.layers)
        input_layer = model._input_layer()
        if input_layer is not None:
            layers = [input_layer, *layers]
        return layers, list(zip(layers, layers[1:]))
    if isinstance(model, Functional):
        edges = []
        for node in model._execution_order:
            for tensor in node.input_tensors:
                edges.append((tensor._keras_history[0], node.layer))
        return list(model.layers), edges
    return [model], []  # a subclassed model: its wiring is Python code, so it is one box


def _is_graph_model(layer: Any) -> bool:
    from numeras.models.functional import Functional
    from numeras.models.sequential import Sequential

    return isinstance(layer, (Sequential, Functional))


def _add_model(pydot: Any, graph: Any, model: Any, options: dict, prefix: str) -> tuple[dict, list, list]:
    """Add the model's layers to ``graph`` (nested models as clusters when ``expand_nested``).
    Returns ``(node id of each plain layer, entry node ids, exit node ids)``; a nested model is
    entered at its first layers and left at its last."""
    layers, edges = _graph_of(model)
    entries: dict[int, list[str]] = {}
    exits: dict[int, list[str]] = {}
    for index, layer in enumerate(layers):
        node_id = f"{prefix}{index}"
        if options["expand_nested"] and _is_graph_model(layer) and layer is not model:
            cluster = pydot.Cluster(
                f"{prefix}{index}_cluster", label=_quote(f"{layer.name} ({type(layer).__name__})"), style="dashed"
            )
            _, inner_entries, inner_exits = _add_model(pydot, cluster, layer, options, f"{node_id}_")
            graph.add_subgraph(cluster)
            entries[id(layer)], exits[id(layer)] = inner_entries, inner_exits
        else:
            graph.add_node(pydot.Node(node_id, label=_quote(_label(layer, options)), shape="record"))
            entries[id(layer)] = exits[id(layer)] = [node_id]
    seen = set()
    for source, target in edges:
        for start in exits.get(id(source), []):
            for end in entries.get(id(target), []):
                if (start, end) not in seen:
                    seen.add((start, end))
                    graph.add_edge(pydot.Edge(start, end))
    targets = {id(t) for _, t in edges}
    sources = {id(s) for s, _ in edges}
    first = [n for layer in layers if id(layer) not in targets for n in entries[id(layer)]]
    last = [n for layer in layers if id(layer) not in sources for n in exits[id(layer)]]
    return entries, first, last


def model_to_dot(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    **kwargs: Any,
) -> Any:
    """The model's layer graph as a ``pydot.Dot`` (Keras 3's ``keras.utils.model_to_dot``)."""
    pydot = _pydot()
    if kwargs:
        raise ValueError(f"model_to_dot: unrecognized keyword arguments {sorted(kwargs)}.")
    if rankdir not in _RANKDIRS:
        raise ValueError(
            f"model_to_dot: `rankdir` must be one of {_RANKDIRS} (top-bottom, left-right, ...), received {rankdir!r}."
        )
    if not getattr(model, "built", False):
        raise ValueError(
            f"plot_model: model '{model.name}' is not built yet, so its layers are not connected. Build it "
            "first: start it with an Input, call model.build(input_shape), or call it on a batch of data."
        )
    options = {
        "show_shapes": show_shapes,
        "show_dtype": show_dtype,
        "show_layer_names": show_layer_names,
        "expand_nested": expand_nested,
        "show_layer_activations": show_layer_activations,
        "show_trainable": show_trainable,
    }
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", _quote(model.name))
    else:
        dot = pydot.Dot(graph_type="digraph")
        dot.set("rankdir", rankdir)
        dot.set("dpi", str(dpi))
        dot.set("concentrate", "true")
        dot.set_node_defaults(shape="record")
    _add_model(pydot, dot, model, options, "layer_")
    return dot


def plot_model(
    model: Any,
    to_file: Any = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    **kwargs: Any,
) -> None:
    """Draw the model's layer graph into ``to_file``; its extension picks the format (``.png`` by
    default; ``.svg``, ``.pdf``, ...; ``.dot`` writes the Graphviz text, which needs no Graphviz).

    Args as Keras 3's: ``show_shapes`` (input and output shapes), ``show_dtype``,
    ``show_layer_names`` (``"name (Class)"`` instead of ``"Class"``), ``rankdir`` (``"TB"``
    top to bottom, ``"LR"`` left to right), ``expand_nested`` (draw nested models' layers),
    ``dpi``, ``show_layer_activations``, ``show_trainable``.
    """
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("plot_model: `layer_range` is not supported (nor is it in Keras 3).")
    kwargs.pop("splines", None)  # Keras 3.15's edge routing option: Graphviz's default is used
    if kwargs:
        raise ValueError(f"plot_model: unrecognized keyword arguments {sorted(kwargs)}.")
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
    )
    if extension in _TEXT_FORMATS:
        dot.write(to_file, format="raw")
        return
    _check_graphviz(extension)
    dot.write(to_file, format=extension)
