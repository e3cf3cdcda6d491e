"""Stream each epoch's results to a CSV file."""

from __future__ import annotations

import collections
import csv
import os
from collections.abc import Iterable
from typing import Any

from numeras.callbacks.callback import Callback

__all__ = ["CSVLogger"]


class CSVLogger(Callback):
    """Write one row per epoch (``epoch`` then every log key, in sorted order) to ``filename``.

    The file is flushed and synced to disk after every row, so an interrupted run keeps the
    epochs that finished. Values that are not numbers (arrays) are written as ``"[a, b]"``;
    keys missing from an epoch (validation every other epoch) are written as ``NA``.

    Args:
        filename: the CSV file's path.
        separator: the field separator.
        append: add to an existing file (no second header) instead of overwriting it; use it to
            resume training.

    Example::

        model.fit(x, y, callbacks=[CSVLogger("training.log")])
    """

    def __init__(self, filename: Any, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer: csv.DictWriter | None = None
        self.keys: list[str] | None = None
        self.append_header = True
        self.csv_file: Any = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8") as existing:
                    self.append_header = not bool(len(existing.readline()))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        directory = os.path.dirname(self.filename)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")  # noqa: SIM115 - kept open across epochs
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.csv_file is None or self.csv_file.closed:
            raise RuntimeError(
                "CSVLogger: the file is not open. Pass the logger to model.fit(callbacks=[...]) "
                "(it opens the file in on_train_begin)."
            )

        def handle_value(value: Any) -> Any:
            zero_dim = hasattr(value, "ndim") and value.ndim == 0
            if isinstance(value, str):
                return value
            if isinstance(value, Iterable) and not zero_dim:
                return f"\"[{', '.join(map(str, value))}]\""
            return value

        if self.keys is None:
            self.keys = sorted(logs)
            # With validation_freq > 1 the first epoch has no val_ keys: add columns for them.
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend(["val_" + key for key in self.keys])
        if self.writer is None:

            class Dialect(csv.excel):
                delimiter = self.sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys], dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = collections.OrderedDict({"epoch": epoch})
        row.update((key, handle_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()
        os.fsync(self.csv_file.fileno())

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
