"""``save_model``/``load_model``/``save_weights``/``load_weights``: Keras 3's entry points,
choosing the format from the file name.

- ``.keras``: the Keras 3 archive (config, metadata and weights in one zip);
- ``.weights.h5``: the weights alone, in Keras 3's layout;
- ``.h5``/``.hdf5``: the legacy Keras 2 format (whole models and weights).

Every save is atomic (a temporary file, fsync, rename); every load checks the file and raises
``SavedFileError`` (a ``ValueError``) naming the file and what is wrong with it.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from numeras.saving import legacy_h5, saving_lib
from numeras.saving.errors import SavedFileError
from numeras.saving.file_io import ZIP_SIGNATURE, check_destination


def _path(filepath: Any, function: str) -> str:
    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError(
            f"{function}: `filepath` must be a path (str or pathlib.Path), received {type(filepath).__name__}."
        )
    return os.fspath(filepath)


def _skipped_on_this_rank() -> bool:
    """Under a distribution (numeras.distribution) only rank 0 writes model files: the other
    processes hold the same weights and would write the same bytes to the same path."""
    from numeras.distribution import distribution_lib

    current = distribution_lib.distribution()
    return current is not None and not current.writes_files()


def save_model(model: Any, filepath: Any, overwrite: bool = True, zipped: bool | None = None, **kwargs: Any) -> None:
    """Save ``model`` (architecture, weights, compile arguments and optimizer state).

    ``filepath`` ending in ``.keras`` gives Keras 3's format (recommended); ``.h5``/``.hdf5`` the
    legacy HDF5 format. With ``overwrite=False`` an existing file is only replaced after
    confirmation on the terminal, as in Keras.
    """
    path = _path(filepath, "save_model")
    include_optimizer = kwargs.pop("include_optimizer", True)
    if kwargs.pop("save_format", None):
        raise ValueError(
            "The `save_format` argument is deprecated in Keras 3. Please remove this argument and "
            "pass a file path with either `.keras` or `.h5` extension."
        )
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    if zipped is False:
        raise ValueError("numeras saves .keras files zipped only: remove `zipped=False`.")
    legacy = path.endswith((".h5", ".hdf5"))
    if not legacy and not path.endswith(".keras"):
        raise ValueError(
            "Invalid filepath extension for saving. Please add either a `.keras` extension for the "
            f"native Keras format (recommended) or a `.h5` extension. Received: filepath={path}."
        )
    if _skipped_on_this_rank():
        return
    if check_destination(path, overwrite) is None:
        return
    if legacy:
        warnings.warn(
            "You are saving your model as an HDF5 file via `model.save()`. This file format is "
            "considered legacy. We recommend using instead the native Keras format, e.g. "
            "`model.save('my_model.keras')`.",
            stacklevel=3,
        )
        legacy_h5.save_model(model, path, include_optimizer=include_optimizer)
    else:
        saving_lib.save_model(model, path)


def load_model(filepath: Any, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True) -> Any:
    """Load a model saved with ``model.save()`` (``.keras`` or legacy ``.h5``), by numeras or Keras.

    Args:
        custom_objects: your classes and functions the file names, e.g. ``{"Scale": Scale}``
            (or register them with ``@numeras.saving.register_keras_serializable()``).
        compile: also compile the model as it was compiled when saved, and restore the
            optimizer's state.
        safe_mode: refuse ``Lambda`` layers (their function is code the file chooses). With
            ``safe_mode=False`` their functions are looked up by name in ``custom_objects``;
            code stored in a file is never executed either way.
    """
    path = _path(filepath, "load_model")
    if path.endswith((".h5", ".hdf5")):
        return legacy_h5.load_model(path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
    if path.endswith(".keras"):
        return saving_lib.load_model(path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
    if os.path.isfile(path):
        with open(path, "rb") as handle:
            if handle.read(4) == ZIP_SIGNATURE:
                raise ValueError(
                    f"File format not supported: filepath={path}. It looks like a .keras archive: "
                    "give it the `.keras` extension."
                )
    raise ValueError(
        f"File format not supported: filepath={path}. numeras (like Keras 3) loads `.keras` "
        "files and legacy `.h5` files. A TensorFlow SavedModel directory cannot be loaded."
    )


def save_weights(model: Any, filepath: Any, overwrite: bool = True, max_shard_size: Any = None) -> None:
    """Save ``model``'s weights (and optimizer state) to a ``.weights.h5`` file."""
    path = _path(filepath, "save_weights")
    if max_shard_size is not None:
        raise ValueError("numeras does not shard weight files: remove `max_shard_size`.")
    if not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
    if _skipped_on_this_rank():
        return
    if check_destination(path, overwrite) is None:
        return
    saving_lib.save_weights(model, path)


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
    """Load weights saved by ``save_weights`` (``.weights.h5``), a ``.keras`` archive, or a
    legacy Keras 2 HDF5 file (``.h5``: matched by layer order, or by name with ``by_name=True``).

    With ``skip_mismatch=True`` weights whose shapes differ are skipped with a warning;
    otherwise any mismatch raises and nothing is loaded.
    """
    path = _path(filepath, "load_weights")
    by_name = kwargs.pop("by_name", None)
    if kwargs.pop("objects_to_skip", None) is not None:
        raise ValueError("numeras does not support `objects_to_skip`.")
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    if path.endswith((".keras", ".weights.h5")):
        if by_name is not None:
            raise ValueError(f"`by_name` only supports loading legacy '.h5' or '.hdf5' files. Received: {path}")
        saving_lib.load_weights(model, path, skip_mismatch=skip_mismatch)
        return
    if path.endswith((".h5", ".hdf5")):
        if not model.built:
            raise ValueError(
                "You are loading weights into a model that has not yet been built. Build it first "
                "by calling it on some data or with model.build(input_shape)."
            )
        legacy_h5.load_weights(model, path, skip_mismatch=skip_mismatch, by_name=bool(by_name))
        return
    raise ValueError(
        "File format not supported: filepath="
        f"{path}. Keras 3 only supports V3 `.keras` and `.weights.h5` files, or legacy V1/V2 `.h5` files."
    )


__all__ = ["SavedFileError", "load_model", "load_weights", "save_model", "save_weights"]
