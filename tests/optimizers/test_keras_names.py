"""Optimizer names, variable paths and config keys equal Keras 3.15's (fixtures/optimizer_names.json,
written by fixtures/make_optimizer_names.py with real Keras)."""

from __future__ import annotations

import json
import pathlib
import re

import pytest

import numeras as nm
from numeras import optimizers

CASES = json.loads((pathlib.Path(__file__).parent / "fixtures" / "optimizer_names.json").read_text())


def _built(case):
    if case["model"] == "sequential":
        model = nm.models.Sequential([nm.Input((3,)), nm.layers.Dense(2, name="d")], name="m")
    else:
        inputs = nm.Input((3,))
        model = nm.models.Model(inputs, nm.layers.Dense(2, name="d")(inputs))
    optimizer = getattr(optimizers, case["class_name"])(**case["arguments"])
    optimizer.build(model.trainable_variables)
    return optimizer


def _without_counter(path, name):
    """``sgd_3/d_kernel_momentum`` -> ``sgd/d_kernel_momentum``: the session counter that makes
    the automatic name unique depends on what ran before."""
    return re.sub(rf"^{re.escape(name)}/", "OPT/", path)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['model']}-{c['class_name']}-{json.dumps(c['arguments'])}")
def test_variable_paths_shapes_and_config_keys_equal_keras(case):
    optimizer = _built(case)
    assert re.fullmatch(rf"{case['name']}(_\d+)?", optimizer.name)
    ours = [_without_counter(v.path, optimizer.name) for v in optimizer.variables]
    keras = [_without_counter(path, case["name"]) for path in case["paths"]]
    assert ours == keras
    assert [list(v.shape) for v in optimizer.variables] == case["shapes"]
    assert sorted(optimizer.get_config()) == case["config_keys"]


def test_default_names_are_unique_like_keras():
    first, second = optimizers.RMSprop(), optimizers.RMSprop()
    assert first.name != second.name
    assert {first.name.split("_")[0], second.name.split("_")[0]} == {"rm"}
    assert optimizers.SGD(name="custom").name == "custom"
