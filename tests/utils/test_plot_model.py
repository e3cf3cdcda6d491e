"""utils.plot_model / model_to_dot: the Graphviz text of a model's layer graph (pydot writes it
without Graphviz), and clear errors when pydot or Graphviz's `dot` program is missing."""

from __future__ import annotations

import sys

import pytest

import numeras as nm
from numeras import layers, models, utils

pydot = pytest.importorskip("pydot", reason="pydot is in the dev extra; plot_model is pydot's")
# pydot's own parser (used here to read the files back) calls pyparsing's deprecated names.
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated.*:DeprecationWarning")


def _branches():
    inputs = nm.Input((4,), name="features")
    left = layers.Dense(5, activation="relu", name="left")(inputs)
    right = layers.Dense(3, name="right")(inputs)
    outputs = layers.Dense(1, name="out")(layers.Concatenate(name="merge")([left, right]))
    return models.Model(inputs, outputs, name="branches")


def _read(path):
    (graph,) = pydot.graph_from_dot_data(path.read_text())
    nodes, all_edges, pending = [], [], [graph]
    while pending:  # the graph and its clusters (nested models)
        current = pending.pop()
        nodes += current.get_nodes()
        all_edges += current.get_edges()
        pending += current.get_subgraphs()
    labels = {node.get_name(): node.get("label").strip('"') for node in nodes if node.get("label")}
    edges = {(labels[e.get_source()].split("\\n")[0], labels[e.get_destination()].split("\\n")[0]) for e in all_edges}
    return graph, labels, edges


def test_dot_file_has_a_node_per_layer_and_an_edge_per_connection(tmp_path):
    utils.plot_model(_branches(), to_file=tmp_path / "m.dot", show_layer_names=True)
    graph, labels, edges = _read(tmp_path / "m.dot")
    assert sorted(labels.values()) == sorted(
        ["features (InputLayer)", "left (Dense)", "right (Dense)", "merge (Concatenate)", "out (Dense)"]
    )
    assert edges == {
        ("features (InputLayer)", "left (Dense)"),
        ("features (InputLayer)", "right (Dense)"),
        ("left (Dense)", "merge (Concatenate)"),
        ("right (Dense)", "merge (Concatenate)"),
        ("merge (Concatenate)", "out (Dense)"),
    }
    assert graph.get("rankdir") == "TB"


def test_shapes_names_activations_and_rankdir(tmp_path):
    utils.plot_model(
        _branches(), to_file=tmp_path / "m.dot", show_shapes=True, rankdir="LR", show_layer_activations=True,
        show_trainable=True,
    )
    graph, labels, _ = _read(tmp_path / "m.dot")
    assert graph.get("rankdir") == "LR"
    merge = next(label for label in labels.values() if label.startswith("Concatenate"))
    assert "Input shape: (None, 5), (None, 3)" in merge and "Output shape: (None, 8)" in merge
    dense = [label for label in labels.values() if label.startswith("Dense")]
    assert any("Activation: relu" in label for label in dense) and all("Trainable: Trainable" in l for l in dense)
    assert not any("left" in label for label in labels.values())  # show_layer_names=False: classes only


def test_sequential_and_expand_nested(tmp_path):
    inner = models.Sequential([nm.Input((4,)), layers.Dense(3, name="a"), layers.Dense(2, name="b")], name="inner")
    inputs = nm.Input((4,), name="x")
    outer = models.Model(inputs, layers.Dense(1, name="head")(inner(inputs)))
    utils.plot_model(outer, to_file=tmp_path / "flat.dot", show_layer_names=True)
    _, labels, edges = _read(tmp_path / "flat.dot")
    assert edges == {("x (InputLayer)", "inner (Sequential)"), ("inner (Sequential)", "head (Dense)")}
    utils.plot_model(outer, to_file=tmp_path / "nested.dot", show_layer_names=True, expand_nested=True)
    graph, labels, edges = _read(tmp_path / "nested.dot")
    assert ("a (Dense)", "b (Dense)") in edges and ("b (Dense)", "head (Dense)") in edges
    assert "inner (Sequential)" not in labels.values()
    assert [s.get_name() for s in graph.get_subgraphs()][0].startswith("cluster")


def test_missing_pydot_or_graphviz_gives_a_clear_import_error(tmp_path, monkeypatch):
    model = _branches()
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(ImportError, match="Graphviz's `dot` program"):
        utils.plot_model(model, to_file=tmp_path / "m.png")
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match=r"numeras\[plot-model\]"):
        utils.plot_model(model, to_file=tmp_path / "m.dot")


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="rankdir"):
        utils.plot_model(_branches(), to_file=tmp_path / "m.dot", rankdir="sideways")
    with pytest.raises(ValueError, match="not built"):
        utils.plot_model(models.Sequential([layers.Dense(2)]), to_file=tmp_path / "m.dot")
