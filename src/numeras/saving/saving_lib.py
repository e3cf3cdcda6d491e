"""Keras 3's ``.keras`` archive and ``.weights.h5`` files.

A ``.keras`` file is a zip archive (members stored uncompressed) holding

- ``metadata.json``: ``{"keras_version", "date_saved"}`` (numeras adds ``numeras_version``);
- ``config.json``: the model's config (``serialize_keras_object``), with ``compile_config``;
- ``model.weights.h5``: the variables, one ``vars`` group per object at the object's path:
  ``vars`` for the model itself, ``layers/dense/vars/0`` (kernel), ``layers/dense/vars/1``
  (bias), ``layers/dense_1/vars/...``, ``optimizer/vars/0`` (iterations), ...

The path of an object is found as Keras finds it: a Sequential or functional model lists
``layers`` first, named by class (``dense``, ``dense_1``, ... in order, *not* by layer name);
then every attribute of each object, in sorted order with private ones last, recursing into
layers, optimizers and lists/dicts of them. A ``.weights.h5`` file is the same HDF5 file on its
own.
"""

from __future__ import annotations

import datetime
import io
import json
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

import numeras
from numeras.saving import keras_format, object_registration, serialization_lib
from numeras.saving.errors import SavedFileError, UnknownObjectError, UnsafeDeserializationError
from numeras.saving.file_io import atomic_write, describe_content, read_file
from numeras.saving.h5_store import H5Reader, H5Writer
from numeras.saving.weight_assignment import WeightAssignment
from numeras.utils import naming

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.h5"
KERAS_FORMAT_VERSION = "3.0.0"
"""The ``keras_version`` numeras writes in ``metadata.json``: the Keras 3 file format it follows."""

_MAX_JSON_BYTES = 64 << 20
_MAX_MEMBERS = 10_000
_BOMB_FLOOR_BYTES = 64 << 20
_MAX_EXPANSION = 100
# State of Keras's training loop that some Keras versions write and numeras does not restore
# (the optimizer is restored separately, metrics restart from zero as after compile()).
_TRAINER_STATE = frozenset({"optimizer", "metrics", "compile_metrics", "compile_loss", "loss_tracker"})


# ---------------------------------------------------------------------------------------
# which variables live where
# ---------------------------------------------------------------------------------------
def _layer_classes() -> tuple[type, type, tuple[type, ...]]:
    """``(Layer, Model, (Sequential, Functional))``, from the registry."""
    layers = object_registration.builtin_objects("layers")
    models = object_registration.builtin_objects("models")
    return layers["Layer"], models["Model"], (models["Sequential"], models["Functional"])


def _optimizer_class() -> type:
    return object_registration.builtin_objects("optimizers")["Optimizer"]


_INTERNAL_ATTRIBUTES: dict[str, frozenset[str]] = {}


def _internal_attributes(kind: str) -> frozenset[str]:
    """The attributes numeras's own base classes give every instance (Keras skips the
    attributes of a bare ``Layer`` the same way); ``optimizer`` is always visited."""
    if kind not in _INTERNAL_ATTRIBUTES:
        layer_class, model_class, (sequential_class, _) = _layer_classes()
        # Explicit names keep the automatic layer names (dense, dense_1, ...) untouched.
        reference = {"layer": layer_class, "model": model_class, "sequential": sequential_class}[kind](name="numeras_saving_reference")
        _INTERNAL_ATTRIBUTES[kind] = frozenset(vars(reference)) - {"optimizer"}
    return _INTERNAL_ATTRIBUTES[kind]


def _name_key(name: str) -> str:
    """Keras visits private attributes last."""
    return f"~{name}" if name.startswith("_") else name


def _children(obj: Any) -> Iterator[tuple[str, Any]]:
    _, model_class, containers = _layer_classes()
    if isinstance(obj, containers):
        yield "layers", obj.layers
        kind = "sequential" if isinstance(obj, containers[0]) else "model"
    elif isinstance(obj, model_class):
        kind = "model"
    else:
        kind = "layer"
    skip = _internal_attributes(kind)
    attributes = vars(obj)
    names = {name for name in attributes if not name.startswith("__") and name not in skip}
    if isinstance(obj, model_class) and not isinstance(obj, containers):
        names.add("layers")
    for name in sorted(names, key=_name_key):
        yield name, (obj.layers if name == "layers" and name not in attributes else attributes[name])


def _is_saveable(obj: Any) -> bool:
    layer_class, _, _ = _layer_classes()
    return isinstance(obj, (layer_class, _optimizer_class()))


def walk(root: Any) -> list[tuple[str, Any]]:
    """``(path, object)`` for the root and every layer and optimizer below it, each once, in
    the order and with the paths Keras 3 uses in weight files."""
    found: list[tuple[str, Any]] = []
    visited: set[int] = set()

    def join(path: str, name: str) -> str:
        return f"{path}/{name}" if path else name

    def visit(obj: Any, path: str) -> None:
        if id(obj) in visited:
            return
        visited.add(id(obj))
        found.append((path, obj))
        if isinstance(obj, _optimizer_class()):
            return
        for name, child in _children(obj):
            if _is_saveable(child):
                visit(child, join(path, name))
            elif isinstance(child, (list, tuple, dict)):
                visit_container(child, join(path, name), set())

    def visit_container(container: Any, path: str, seen: set[int]) -> None:
        if id(container) in seen:
            return
        seen.add(id(container))
        used: dict[str, int] = {}
        items = list(container.values()) if isinstance(container, dict) else list(container)
        for item in items:
            if _is_saveable(item):
                visit(item, join(path, _unique(naming.to_snake_case(type(item).__name__), used)))
            elif isinstance(item, (list, tuple, dict)):
                visit_container(item, join(path, _unique("container", used)), seen)

    visit(root, "")
    return found


def _unique(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def own_variables(obj: Any) -> list[Any]:
    """The variables an object saves itself: a layer's own (trainable first, as Keras orders
    them), an optimizer's ``variables``."""
    if isinstance(obj, _optimizer_class()):
        return list(obj.variables)
    variables = list(getattr(obj, "_tracked_variables", []))
    return [v for v in variables if v.trainable] + [v for v in variables if not v.trainable]


# ---------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------
def write_weights(model: Any, target: Any) -> None:
    """Write every variable of ``model`` (and its optimizer) to an HDF5 file or file object."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built and model.built and model.trainable_weights:
        # A compiled model that has not trained yet: save the optimizer's (zero) state in full,
        # so loading it, in numeras or Keras, restores the optimizer instead of skipping it.
        optimizer.build(model.trainable_weights)
    writer = H5Writer(target)
    try:
        for path, obj in walk(model):
            name = getattr(obj, "name", None)
            group = writer.vars_group(path, name if isinstance(name, str) else None)
            for index, variable in enumerate(own_variables(obj)):
                writer.put(group, str(index), variable.data)
    finally:
        writer.close()


def config_json(model: Any) -> str:
    return json.dumps(keras_format.serialize_keras_object(model))


def metadata_json() -> str:
    return json.dumps(
        {
            "keras_version": KERAS_FORMAT_VERSION,
            "numeras_version": numeras.__version__,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        }
    )


def save_model(model: Any, filepath: str) -> None:
    """Write ``model`` as a ``.keras`` archive at ``filepath``, atomically."""
    if not model.built:
        warnings.warn(
            "You are saving a model that has not yet been built. It might not contain any weights "
            "yet. Consider building the model first by calling it on some data.",
            stacklevel=3,
        )
    config = config_json(model)
    metadata = metadata_json()
    with atomic_write(filepath) as handle, zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(METADATA_FILENAME, metadata)
        archive.writestr(CONFIG_FILENAME, config)
        weights = io.BytesIO()
        write_weights(model, weights)
        archive.writestr(WEIGHTS_FILENAME, weights.getvalue())


def save_weights(model: Any, filepath: str) -> None:
    """Write ``model``'s variables as a ``.weights.h5`` file at ``filepath``, atomically."""
    if not model.built:
        raise ValueError(
            "You are saving a model that has not yet been built, so it has no weights. Build it "
            "first by calling it on some data or with model.build(input_shape)."
        )
    with atomic_write(filepath) as handle:
        write_weights(model, handle)


# ---------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------
class KerasArchive:
    """The members of a ``.keras`` zip archive, checked before anything is parsed: no unsafe or
    duplicate member names, no decompression bombs, every read CRC-checked."""

    def __init__(self, payload: bytes, source: Any) -> None:
        self.source = source
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(payload))
            infos = self.zip.infolist()
        except Exception as error:  # noqa: BLE001 - BadZipFile, OSError, ValueError, ...
            kind = describe_content(payload)
            hint = ""
            if kind == "an HDF5 file":
                hint = " It is an HDF5 file: if it holds weights, name it .weights.h5 (or .h5) and use load_weights()."
            raise SavedFileError(
                source,
                f"a .keras file is a zip archive, but this is {kind} that cannot be read as one ({error}); "
                f"it is truncated or corrupted.{hint}",
            ) from None
        if len(infos) > _MAX_MEMBERS:
            raise SavedFileError(source, f"the archive has {len(infos)} members; a Keras model has a handful.")
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            if not _safe_member_name(name):
                raise SavedFileError(source, f"the archive has a member with an unsafe name {name!r} (absolute or with '..').")
            if name in self.infos:
                raise SavedFileError(source, f"the archive has two members named {name!r}.")
            self.infos[name] = info

    def has(self, name: str) -> bool:
        return name in self.infos

    def read(self, name: str, limit: int | None = None) -> bytes:
        info = self.infos.get(name)
        if info is None:
            present = ", ".join(sorted(self.infos)) or "nothing"
            raise SavedFileError(self.source, f"the archive has no {name} (it holds: {present}). Is it a Keras 3 .keras file?")
        if limit is not None and info.file_size > limit:
            raise SavedFileError(self.source, f"{name} declares {info.file_size} bytes, more than the {limit} allowed.")
        if info.file_size > _BOMB_FLOOR_BYTES and info.file_size > _MAX_EXPANSION * max(info.compress_size, 1):
            raise SavedFileError(
                self.source,
                f"{name} declares {info.file_size} bytes but stores only {info.compress_size}: "
                "refusing a decompression bomb.",
            )
        try:
            return self.zip.read(name)
        except Exception as error:  # noqa: BLE001 - bad CRC, truncated data, unsupported method, ...
            raise SavedFileError(self.source, f"{name} cannot be read from the archive ({error}); the file is corrupted.") from None

    def json(self, name: str) -> Any:
        payload = self.read(name, limit=_MAX_JSON_BYTES)
        try:
            return json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise SavedFileError(self.source, f"{name} is not valid JSON ({type(error).__name__}: {error}).") from None


def _safe_member_name(name: str) -> bool:
    if not name or name.startswith(("/", "\\")) or "\\" in name or "\x00" in name:
        return False
    if len(name) > 1 and name[1] == ":":
        return False
    return ".." not in name.split("/")


def read_archive(filepath: Any) -> KerasArchive:
    return KerasArchive(read_file(filepath, ".keras file"), filepath)


def load_model(filepath: Any, custom_objects: Any = None, compile: bool = True, safe_mode: bool = True) -> Any:
    """Rebuild the model stored in a ``.keras`` archive, with its weights (and, when
    ``compile``, its compile arguments and optimizer state)."""
    archive = read_archive(filepath)
    config = archive.json(CONFIG_FILENAME)
    if archive.has(METADATA_FILENAME):
        archive.json(METADATA_FILENAME)  # a damaged member means a damaged file, even this one
    model = model_from_config(config, filepath, custom_objects, compile, safe_mode)
    reader = H5Reader(archive.read(WEIGHTS_FILENAME), filepath, f"{WEIGHTS_FILENAME} in the archive")
    if not serialization_lib.is_fully_built(model) and any(
        path.split("/")[0].lstrip("_") not in _TRAINER_STATE for path, _ in reader.vars_groups()
    ):
        reader.close()
        raise SavedFileError(
            filepath,
            f"the {type(model).__name__} it describes cannot be built from its config (it was saved "
            "without its input shape), so its weights have nowhere to go. Create the model in "
            "code, call it once on a batch of data, then call model.load_weights() with this file.",
        )
    try:
        load_state(model, reader, filepath)
    finally:
        reader.close()
    return model


def model_from_config(config: Any, source: Any, custom_objects: Any, compile: bool, safe_mode: bool) -> Any:
    """The (unloaded) model a parsed ``config.json`` describes, errors naming ``source``."""
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise SavedFileError(source, "config.json does not describe a model (no 'class_name' and 'config').")
    try:
        model = keras_format.deserialize_keras_object(
            config, custom_objects=custom_objects, safe_mode=safe_mode, compile=compile
        )
    except (UnknownObjectError, UnsafeDeserializationError) as error:
        raise type(error)(f"Cannot load '{_name(source)}': {error}") from error
    except serialization_lib.DeserializationError as error:
        raise SavedFileError(source, str(error)) from error
    except RecursionError:
        raise SavedFileError(source, "its config is nested too deeply to rebuild.") from None
    if not isinstance(model, _layer_classes()[0]):
        raise SavedFileError(source, f"its config describes a {type(model).__name__}, not a model.")
    return model


def _name(source: Any) -> str:
    return getattr(source, "name", None) or str(source)


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False) -> None:
    """Load a ``.weights.h5`` file (or the weights of a ``.keras`` archive) into ``model``."""
    if not model.built:
        raise ValueError(
            "You are loading weights into a model that has not yet been built. Build it first by "
            "calling it on some data or with model.build(input_shape)."
        )
    path = str(filepath)
    if path.endswith(".keras"):
        archive = read_archive(filepath)
        reader = H5Reader(archive.read(WEIGHTS_FILENAME), filepath, f"{WEIGHTS_FILENAME} in the archive")
    else:
        reader = H5Reader(read_file(filepath, "weights file"), filepath)
    try:
        load_state(model, reader, filepath, skip_mismatch=skip_mismatch)
    finally:
        reader.close()


def load_state(model: Any, reader: H5Reader, source: Any, skip_mismatch: bool = False) -> None:
    """Assign every variable of ``model`` from ``reader``; nothing is assigned unless all of
    them fit (or, with ``skip_mismatch``, those that do not are skipped with a warning)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built and model.built and model.trainable_weights:
        # Restore the optimizer's state now rather than drop it (Keras warns and skips).
        optimizer.build(model.trainable_weights)
    optimizer_class = _optimizer_class()
    assignment = WeightAssignment(reader, source, skip_mismatch)
    pending_warnings: list[str] = []
    visited: set[str] = set()
    for path, obj in walk(model):
        visited.add(path)
        where = f"{path}/vars" if path else "vars"
        expected = own_variables(obj)
        group = reader.vars_group(path)
        datasets = reader.datasets(group, where) if group is not None else {}
        stored = [(f"{where}/{index}", datasets.get(str(index))) for index in range(len(datasets))]
        if isinstance(obj, optimizer_class):
            # As Keras's legacy loader: a saved optimizer state that does not fit is dropped
            # with a warning (the model keeps training with a fresh optimizer), never fatal.
            problem = assignment.add_optional(expected, stored) if datasets else None
            if problem:
                pending_warnings.append(
                    f"Skipping variable loading for optimizer '{obj.name}', because {problem}. The model's "
                    "weights are loaded; its optimizer starts afresh."
                )
            continue
        hint = ""
        if not getattr(obj, "built", True):
            hint = " (the layer was never built, so it has no weights yet: build the model first)"
        assignment.add(f"{type(obj).__name__} '{getattr(obj, 'name', '?')}' (at '{where}')", expected, stored, hint)
    assignment.check()
    for warning in pending_warnings:
        warnings.warn(warning, stacklevel=3)
    unused = [
        path for path, _ in reader.vars_groups()
        if path not in visited and path.split("/")[0].lstrip("_") not in _TRAINER_STATE
    ]
    if unused:
        warnings.warn(
            f"The file '{_name(source)}' holds weights for {sorted(unused)[:10]} that have no place in the "
            "model; they were ignored. Does the model match the one that was saved?",
            stacklevel=3,
        )
    assignment.apply()
