"""Assigning the arrays of a weights file to a model's variables, all or nothing; the one
place every format (``.keras``, ``.weights.h5``, legacy ``.h5``) checks stored arrays against
variables before anything is assigned."""

from __future__ import annotations

import warnings
from typing import Any

from numeras.saving.errors import SavedFileError
from numeras.saving.h5_store import H5Reader

_LISTED_PROBLEMS = 20


def stored_shape(reader: H5Reader, dataset: Any, where: str) -> tuple:
    try:
        return tuple(dataset.shape)
    except Exception as error:  # noqa: BLE001 - whatever h5py raises for a damaged dataset
        raise reader.fail(where, f"cannot be inspected ({error}).") from None


class WeightAssignment:
    """Collects ``(variable, value)`` pairs group by group, recording every mismatch; ``apply``
    assigns them only if there was none (mismatches skipped with ``skip_mismatch`` warn)."""

    def __init__(self, reader: H5Reader, source: Any, skip_mismatch: bool = False) -> None:
        self.reader = reader
        self.source = source
        self.skip_mismatch = skip_mismatch
        self.pairs: list[tuple[Any, Any]] = []
        self.problems: list[str] = []

    def _mismatch(self, message: str, skippable: bool = True) -> None:
        if self.skip_mismatch and skippable:
            warnings.warn(f"Skipping loading weights for {message}.", stacklevel=4)
        else:
            self.problems.append(message)

    def add(
        self, label: str, variables: list[Any], stored: list[tuple[str, Any]], count_hint: str = "",
        count_skippable: bool = True,
    ) -> None:
        """Match ``variables`` with ``stored`` (``(where, dataset)`` in the same order; a
        dataset None is missing from the file)."""
        if len(stored) != len(variables):
            self._mismatch(
                f"{label} has {len(variables)} variables {[getattr(v, 'name', '?') for v in variables]}, "
                f"but the file holds {len(stored)} there{count_hint}",
                count_skippable,
            )
            return
        for variable, (where, dataset) in zip(variables, stored):
            if dataset is None:
                self.problems.append(f"{label}: the file has no dataset '{where}'")
                continue
            shape = stored_shape(self.reader, dataset, where)
            if shape != tuple(variable.shape):
                self._mismatch(
                    f"{label}: variable '{getattr(variable, 'name', where)}' has shape {tuple(variable.shape)}, "
                    f"but '{where}' in the file has shape {shape}"
                )
                continue
            self.pairs.append((variable, self.reader.read(dataset, where, tuple(variable.shape))))

    def add_optional(self, variables: list[Any], stored: list[tuple[str, Any]]) -> str | None:
        """Match state that may be dropped (an optimizer's): either every pair is added, or
        none and the returned sentence says why."""
        if len(stored) != len(variables):
            return f"it has {len(variables)} variables whereas the saved state has {len(stored)} variables"
        for index, (variable, (where, dataset)) in enumerate(zip(variables, stored)):
            if dataset is None:
                return f"the saved state has no variable '{index}'"
            shape = stored_shape(self.reader, dataset, where)
            if shape != tuple(variable.shape):
                return (
                    f"its variable {index} ('{getattr(variable, 'name', '?')}') has shape {tuple(variable.shape)} "
                    f"but the saved one has shape {shape}"
                )
        self.pairs.extend(
            (variable, self.reader.read(dataset, where, tuple(variable.shape)))
            for variable, (where, dataset) in zip(variables, stored)
        )
        return None

    def check(self) -> None:
        """Raise, naming every problem, when some variable cannot be assigned."""
        if self.problems:
            listed = "\n  - ".join(self.problems[:_LISTED_PROBLEMS])
            more = f"\n  ... and {len(self.problems) - _LISTED_PROBLEMS} more" if len(self.problems) > _LISTED_PROBLEMS else ""
            raise SavedFileError(
                self.source,
                f"its weights do not fit the model ({len(self.problems)} problem(s)); nothing was loaded:\n  - {listed}{more}",
            )

    def apply(self) -> None:
        self.check()
        for variable, value in self.pairs:
            variable.assign(value)
