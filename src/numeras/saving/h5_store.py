"""HDF5 weight files, read defensively.

h5py is imported only here and only when a weights file is written or read, so that
``import numeras`` does not need it. Reading checks everything before trusting it: the file
signature, that every group and dataset on a path is a plain (hard-linked) object inside the
file (no soft, external or virtual links that could point elsewhere), that a dataset is a
numeric array of exactly the expected shape *before* its data is read (so a dataset declaring
an absurd shape is never materialised), and turns every low-level h5py failure into a
``SavedFileError`` that names the file and the entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from numeras.backend import xp
from numeras.saving.errors import SavedFileError
from numeras.saving.file_io import HDF5_SIGNATURE, bytes_io, describe_content


def h5py_module() -> Any:
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "Saving and loading models and weights needs the h5py package (Keras's weight files "
            "are HDF5). Install it with: pip install h5py"
        ) from None
    return h5py


class H5Writer:
    """Writes Keras's layout: one ``<path>/vars`` group per object, with a ``name`` attribute,
    holding datasets ``"0"``, ``"1"``, ... in the object's variable order."""

    def __init__(self, target: Any) -> None:
        self.h5py = h5py_module()
        self.file = self.h5py.File(target, "w")

    def vars_group(self, path: str, name: str | None) -> Any:
        group = self.file.create_group(f"{path}/vars" if path else "vars")
        if name is not None:
            group.attrs["name"] = name
        return group

    def put(self, group: Any, key: str, value: Any) -> None:
        group.create_dataset(key, data=value)

    def close(self) -> None:
        self.file.close()


class H5Reader:
    """Read access to an HDF5 weights file held in memory (``payload``)."""

    def __init__(self, payload: bytes, source: Any, what: str = "weights file") -> None:
        self.source = source
        self.what = what
        if not payload.startswith(HDF5_SIGNATURE):
            raise SavedFileError(source, f"the {what} is not an HDF5 file (it is {describe_content(payload)}).")
        self.h5py = h5py_module()
        try:
            self.file = self.h5py.File(bytes_io(payload), "r")
        except Exception as error:  # noqa: BLE001 - h5py raises OSError, ValueError, ... for damage
            raise SavedFileError(source, f"the {what} is not a readable HDF5 file ({error}); it is truncated or corrupted.") from None

    def close(self) -> None:
        try:
            self.file.close()
        except Exception:  # noqa: BLE001 - closing a damaged file must not hide the real error
            pass

    def fail(self, where: str, problem: str) -> SavedFileError:
        return SavedFileError(self.source, f"{self.what}, entry '{where}': {problem}")

    # -- navigation ---------------------------------------------------------------------
    def _child(self, parent: Any, name: str, where: str) -> Any:
        """``parent[name]`` if it is a hard link inside the file, None if absent."""
        try:
            if name not in parent:
                return None
            link = parent.get(name, getlink=True)
            if not isinstance(link, self.h5py.HardLink):
                raise self.fail(where, f"is a {type(link).__name__}; numeras only reads plain entries stored inside the file.")
            return parent[name]
        except SavedFileError:
            raise
        except Exception as error:  # noqa: BLE001
            raise self.fail(where, f"cannot be read ({type(error).__name__}: {error}); the file is corrupted.") from None

    def group(self, path: str, parent: Any = None) -> Any:
        """The group at ``path`` (``a/b/c``), or None when it does not exist."""
        current = self.file if parent is None else parent
        walked = []
        for part in path.split("/"):
            if not part:
                continue
            walked.append(part)
            child = self._child(current, part, "/".join(walked))
            if child is None:
                return None
            if not isinstance(child, self.h5py.Group):
                raise self.fail("/".join(walked), "should be a group but is a dataset.")
            current = child
        return current

    def vars_group(self, path: str) -> Any:
        return self.group(f"{path}/vars" if path else "vars")

    def datasets(self, group: Any, where: str) -> dict[str, Any]:
        """The datasets directly in ``group`` by name (subgroups are not allowed there)."""
        found = {}
        try:
            names = list(group.keys())
        except Exception as error:  # noqa: BLE001
            raise self.fail(where, f"cannot be listed ({type(error).__name__}: {error}); the file is corrupted.") from None
        for name in names:
            child = self._child(group, name, f"{where}/{name}")
            if not isinstance(child, self.h5py.Dataset):
                raise self.fail(f"{where}/{name}", "should be a dataset (a weight array) but is a group.")
            found[name] = child
        return found

    def dataset(self, path: str, parent: Any) -> Any:
        """The dataset at ``path`` below ``parent`` (paths such as ``dense/kernel:0``), or None."""
        head, _, leaf = path.rpartition("/")
        group = self.group(head, parent) if head else parent
        if group is None:
            return None
        child = self._child(group, leaf, path)
        if child is not None and not isinstance(child, self.h5py.Dataset):
            raise self.fail(path, "should be a dataset (a weight array) but is a group.")
        return child

    def vars_groups(self) -> Iterator[tuple[str, Any]]:
        """Every ``.../vars`` group holding at least one dataset, by its owner's path."""
        stack = [("", self.file)]
        while stack:
            path, group = stack.pop()
            try:
                items = list(group.items())
            except Exception:  # noqa: BLE001 - damaged corners are reported when loaded
                continue
            for name, child in items:
                if not isinstance(name, str):  # a damaged name h5py could not decode
                    name = bytes(name).decode("utf-8", "replace")
                child_path = f"{path}/{name}" if path else name
                if not isinstance(child, self.h5py.Group):
                    continue
                if name == "vars":
                    try:
                        holds_data = any(isinstance(c, self.h5py.Dataset) for c in child.values())
                    except Exception:  # noqa: BLE001
                        holds_data = True
                    if holds_data:
                        yield path, child
                else:
                    stack.append((child_path, child))

    # -- values -------------------------------------------------------------------------
    def read(self, dataset: Any, where: str, expected_shape: tuple | None = None) -> Any:
        """The dataset's values as an array, after checking its kind and shape."""
        try:
            if dataset.is_virtual:
                raise self.fail(where, "is a virtual dataset (it points at other files); numeras refuses it.")
            if dataset.external:
                raise self.fail(where, "stores its data in external files; numeras refuses it.")
            dtype = dataset.dtype
            shape = tuple(dataset.shape)
            if "dtype" in dataset.attrs and str(dataset.attrs["dtype"]) == "bfloat16":
                raise self.fail(where, "holds bfloat16 values, which numeras does not support.")
        except SavedFileError:
            raise
        except Exception as error:  # noqa: BLE001
            raise self.fail(where, f"cannot be inspected ({type(error).__name__}: {error}); the file is corrupted.") from None
        if dtype.kind not in "biuf" or dtype.fields is not None:
            raise self.fail(where, f"holds values of type {dtype}, not numbers.")
        if expected_shape is not None and shape != tuple(expected_shape):
            raise self.fail(where, f"has shape {shape}, but the model's variable has shape {tuple(expected_shape)}.")
        try:
            return xp.asarray(dataset[()])
        except Exception as error:  # noqa: BLE001
            raise self.fail(where, f"cannot be read ({type(error).__name__}: {error}); the file is truncated or corrupted.") from None

    def string_list_attribute(self, group: Any, name: str, where: str) -> list[str]:
        """A list-of-strings attribute, also when Keras split it into ``name0``, ``name1``, ...
        chunks because of HDF5's 64 KiB attribute limit."""
        try:
            attributes = group.attrs
            if name in attributes:
                chunks = [attributes[name]]
            else:
                chunks = []
                index = 0
                while f"{name}{index}" in attributes and index < 100_000:
                    chunks.append(attributes[f"{name}{index}"])
                    index += 1
        except Exception as error:  # noqa: BLE001
            raise self.fail(where, f"its attribute '{name}' cannot be read ({error}).") from None
        values: list[str] = []
        for chunk in chunks:
            items = [chunk] if isinstance(chunk, (str, bytes)) else list(getattr(chunk, "tolist", lambda c=chunk: c)())
            for item in items:
                if isinstance(item, bytes):
                    try:
                        item = item.decode("utf-8")
                    except UnicodeDecodeError:
                        raise self.fail(where, f"its attribute '{name}' holds bytes that are not UTF-8 text.") from None
                if not isinstance(item, str):
                    raise self.fail(where, f"its attribute '{name}' should hold names, found {item!r}.")
                values.append(item)
        return values

    def text_attribute(self, name: str) -> str | None:
        try:
            if name not in self.file.attrs:
                return None
            value = self.file.attrs[name]
        except Exception as error:  # noqa: BLE001
            raise self.fail("/", f"the attribute '{name}' cannot be read ({error}).") from None
        if isinstance(value, bytes):
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                raise self.fail("/", f"the attribute '{name}' is not UTF-8 text.") from None
        if isinstance(value, str):
            return value
        raise self.fail("/", f"the attribute '{name}' should be text, found {type(value).__name__}.")
