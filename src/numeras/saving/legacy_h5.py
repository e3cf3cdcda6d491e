"""The legacy HDF5 format (``.h5``/``.hdf5``) of Keras 2 and of the book's first edition.

Weights are stored per layer: ``[model_weights/]<layer name>/`` with a ``weight_names``
attribute listing datasets such as ``dense/kernel:0`` (Keras 2) or
``sequential/dense/kernel`` (Keras 3), in the layer's trainable-then-non-trainable order; the
root's ``layer_names`` attribute lists the layers in model order. A whole-model file adds the
``model_config`` and ``training_config`` attributes and an ``optimizer_weights`` group.

Loading matches layers as Keras does: by position among the layers that have weights, or by
name with ``by_name=True``.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numeras
from numeras.saving import keras_format, saving_lib, serialization_lib
from numeras.saving.errors import SavedFileError
from numeras.saving.file_io import atomic_write, read_file
from numeras.saving.h5_store import H5Reader, h5py_module
from numeras.saving.weight_assignment import WeightAssignment

_HDF5_OBJECT_HEADER_LIMIT = 64512


def _legacy_weights(layer: Any) -> list[Any]:
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _weights_group(reader: H5Reader) -> tuple[Any, str]:
    root = reader.file
    try:
        has_names = "layer_names" in root.attrs
    except Exception as error:  # noqa: BLE001
        raise reader.fail("/", f"its attributes cannot be read ({error}).") from None
    if not has_names:
        group = reader.group("model_weights")
        if group is not None:
            return group, "model_weights"
    return root, ""


def load_weights_from_reader(model: Any, reader: H5Reader, source: Any, skip_mismatch: bool = False, by_name: bool = False) -> None:
    """Load legacy HDF5 weights into ``model``: nothing is assigned unless all of them fit
    (or, with ``skip_mismatch``, mismatching ones are skipped with a warning)."""
    group, prefix = _weights_group(reader)
    where_root = prefix or "/"
    layer_names = reader.string_list_attribute(group, "layer_names", where_root)
    if not layer_names:
        raise SavedFileError(
            source,
            "it has no 'layer_names' attribute listing layers, so it is not a Keras HDF5 weights file "
            "(a Keras 3 weights file is named .weights.h5).",
        )
    stored: list[tuple[str, list[tuple[str, Any]]]] = []
    for name in layer_names:
        layer_group = reader.group(name, group)
        where = f"{prefix}/{name}" if prefix else name
        if layer_group is None:
            raise reader.fail(where, "is listed in 'layer_names' but missing from the file.")
        weight_names = reader.string_list_attribute(layer_group, "weight_names", where)
        datasets = []
        for weight_name in weight_names:
            dataset = reader.dataset(weight_name, layer_group)
            if dataset is None:
                raise reader.fail(f"{where}/{weight_name}", "is listed in 'weight_names' but missing from the file.")
            datasets.append((f"{where}/{weight_name}", dataset))
        if datasets:
            stored.append((name, datasets))

    layers = [layer for layer in model.layers if _legacy_weights(layer)]
    if by_name:
        by_layer_name = {layer.name: layer for layer in layers}
        pairs = [(by_layer_name[name], name, datasets) for name, datasets in stored if name in by_layer_name]
    else:
        if len(stored) != len(layers):
            raise SavedFileError(
                source,
                f"layer count mismatch: the model has {len(layers)} layers with weights "
                f"{[layer.name for layer in layers]}, the file has {len(stored)} "
                f"{[name for name, _ in stored]}. Weights are matched by position; pass by_name=True "
                "to match them by layer name instead.",
            )
        pairs = [(layer, name, datasets) for layer, (name, datasets) in zip(layers, stored)]
    assignment = WeightAssignment(reader, source, skip_mismatch)
    for layer, name, datasets in pairs:
        # As Keras's legacy loader, a layer with another number of weights is never skipped.
        assignment.add(f"layer '{layer.name}' (file layer '{name}')", _legacy_weights(layer), datasets, count_skippable=False)
    assignment.apply()


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False, by_name: bool = False) -> None:
    reader = H5Reader(read_file(filepath, "HDF5 weights file"), filepath, "HDF5 file")
    try:
        load_weights_from_reader(model, reader, filepath, skip_mismatch=skip_mismatch, by_name=by_name)
    finally:
        reader.close()


def load_model(filepath: Any, custom_objects: Any = None, compile: bool = True, safe_mode: bool = True) -> Any:
    """A model saved whole in the legacy HDF5 format (Keras 2's ``model.save('x.h5')``)."""
    reader = H5Reader(read_file(filepath, "HDF5 model file"), filepath, "HDF5 file")
    try:
        text = reader.text_attribute("model_config")
        if text is None:
            raise SavedFileError(
                filepath,
                "it has no 'model_config' attribute, so it holds weights only: build the model in "
                "code and call model.load_weights() on it.",
            )
        config = _parse_json(text, filepath, "model_config")
        model = saving_lib.model_from_config(config, filepath, custom_objects, False, safe_mode)
        if not model.built:
            raise SavedFileError(filepath, "the model it describes cannot be built from its config alone.")
        load_weights_from_reader(model, reader, filepath)
        if compile:
            training_text = reader.text_attribute("training_config")
            if training_text is None:
                warnings.warn("No training configuration found in the save file, so the model was *not* compiled. Compile it manually.", stacklevel=2)
            else:
                _compile_from_training_config(model, _parse_json(training_text, filepath, "training_config"), filepath, custom_objects)
                _load_optimizer_weights(model, reader, filepath)
    finally:
        reader.close()
    return model


def _parse_json(text: str, source: Any, what: str) -> Any:
    try:
        value = json.loads(text)
        serialization_lib.check_config_depth(value)
    except (ValueError, RecursionError) as error:
        raise SavedFileError(source, f"its '{what}' attribute is not valid JSON ({error}).") from None
    return value


def _compile_from_training_config(model: Any, training: Any, source: Any, custom_objects: Any) -> None:
    if not isinstance(training, dict):
        raise SavedFileError(source, "its 'training_config' is not a dict.")
    optimizer = training.get("optimizer_config")
    compile_config = {
        "optimizer": optimizer if optimizer is not None else "rmsprop",
        "loss": training.get("loss"),
        "metrics": _legacy_metrics(training.get("metrics")),
        "weighted_metrics": _legacy_metrics(training.get("weighted_metrics")),
        "loss_weights": training.get("loss_weights"),
    }
    context = keras_format.LoadContext(custom_objects, True, True)
    try:
        keras_format.compile_from_config(model, compile_config, context)
    except serialization_lib.DeserializationError as error:
        raise SavedFileError(source, str(error)) from error


def _legacy_metrics(metrics: Any) -> Any:
    """Keras 2 wrote metrics per output, as nested lists of ``MeanMetricWrapper`` configs."""
    if metrics is None:
        return None
    flat: list[Any] = []
    stack = [metrics]
    while stack:
        item = stack.pop(0)
        if isinstance(item, list):
            stack[:0] = item
        elif isinstance(item, dict) and item.get("class_name") == "MeanMetricWrapper":
            name = (item.get("config") or {}).get("name")
            if isinstance(name, str):
                flat.append(name)
        elif item is not None:
            flat.append(item)
    return flat or None


def _load_optimizer_weights(model: Any, reader: H5Reader, source: Any) -> None:
    group = reader.group("optimizer_weights")
    optimizer = getattr(model, "optimizer", None)
    if group is None or optimizer is None:
        return
    names = reader.string_list_attribute(group, "weight_names", "optimizer_weights")
    datasets = []
    for name in names:
        dataset = reader.dataset(name, group)
        if dataset is None:
            raise reader.fail(f"optimizer_weights/{name}", "is listed in 'weight_names' but missing from the file.")
        datasets.append((f"optimizer_weights/{name}", dataset))
    assignment = WeightAssignment(reader, source)
    if assignment.add_optional(list(optimizer.variables), datasets) is not None:
        warnings.warn(
            "Error in loading the saved optimizer state (its variables do not match this "
            "optimizer's). As a result, your model is starting with a freshly initialized optimizer.",
            stacklevel=3,
        )
        return
    assignment.apply()


# ---------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------
def save_model(model: Any, filepath: str, include_optimizer: bool = True) -> None:
    """Write ``model`` in the legacy HDF5 format, as Keras 3's ``model.save('x.h5')`` does."""
    h5py = h5py_module()
    config = keras_format.serialize_keras_object(model)
    training = config.pop("compile_config", None) or None
    config.pop("build_config", None)
    with atomic_write(filepath) as handle:
        with h5py.File(handle, "w") as f:
            f.attrs["backend"] = "numeras"
            f.attrs["keras_version"] = saving_lib.KERAS_FORMAT_VERSION
            f.attrs["numeras_version"] = numeras.__version__
            f.attrs["model_config"] = json.dumps({"class_name": config["class_name"], "config": config["config"]})
            if training:
                optimizer = training.pop("optimizer", None)
                if isinstance(optimizer, dict):
                    training["optimizer_config"] = {"class_name": optimizer["class_name"], "config": optimizer["config"]}
                f.attrs["training_config"] = json.dumps(training)
            weights = f.create_group("model_weights")
            _save_weights_to_group(weights, model)
            optimizer = getattr(model, "optimizer", None)
            if include_optimizer and optimizer is not None and optimizer.variables:
                group = f.create_group("optimizer_weights")
                names = [f"{optimizer.name}/{v.name}" for v in optimizer.variables]
                _save_names(group, "weight_names", names)
                for name, variable in zip(names, optimizer.variables):
                    group.create_dataset(name, data=variable.data)


def _save_weights_to_group(group: Any, model: Any) -> None:
    layers = list(model.layers)
    _save_names(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = "numeras"
    group.attrs["keras_version"] = saving_lib.KERAS_FORMAT_VERSION
    for layer in sorted(layers, key=lambda item: item.name):
        layer_group = group.create_group(layer.name)
        variables = _legacy_weights(layer)
        names = _unique_weight_names(model, layer, variables)
        _save_names(layer_group, "weight_names", names)
        for name, variable in zip(names, variables):
            layer_group.create_dataset(name, data=variable.data)
    group.create_group("top_level_model_weights").attrs["weight_names"] = []


def _unique_weight_names(model: Any, layer: Any, variables: list[Any]) -> list[str]:
    names: list[str] = []
    for variable in variables:
        base = f"{model.name}/{getattr(variable, 'path', None) or f'{layer.name}/{variable.name}'}"
        name = base
        suffix = 1
        while name in names:
            name = f"{base}_{suffix}"
            suffix += 1
        names.append(name)
    return names


def _save_names(group: Any, name: str, values: list[str]) -> None:
    """A list of names as an attribute, split into chunks under HDF5's 64 KiB header limit."""
    encoded = [value.encode("utf-8") for value in values]
    if any(len(item) > _HDF5_OBJECT_HEADER_LIMIT for item in encoded):
        raise RuntimeError(f"A name in {name} is longer than HDF5's {_HDF5_OBJECT_HEADER_LIMIT}-byte attribute limit.")
    chunks = [encoded]
    while any(sum(len(item) for item in chunk) + 8 * len(chunk) > _HDF5_OBJECT_HEADER_LIMIT for chunk in chunks):
        size = max(1, len(encoded) // (len(chunks) + 1))
        chunks = [encoded[i : i + size] for i in range(0, len(encoded), size)]
    if len(chunks) == 1:
        group.attrs[name] = encoded
    else:
        for index, chunk in enumerate(chunks):
            group.attrs[f"{name}{index}"] = chunk
