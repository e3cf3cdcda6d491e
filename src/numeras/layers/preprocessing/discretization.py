"""``Discretization``: continuous values to bucket indices (or one-hot / multi-hot / count
vectors of them), with ``bin_boundaries`` given or learnt by ``adapt`` as ``num_bins`` quantiles.

``adapt`` keeps Keras 3's approximate quantile summary: each batch is sorted and thinned to about
1 / ``epsilon`` weighted points, summaries are merged and compressed to that size, and the
boundaries are read off the merged summary by linear interpolation of its cumulative weights. The
same data therefore gives Keras's boundaries, not exact quantiles.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numeras.autodiff import Tensor
from numeras.autodiff.ops import constant
from numeras.layers.layer import Layer

__all__ = ["Discretization"]

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """(2, n) summary of ``values``: every step-th sorted value with weight step."""
    values = np.sort(values.reshape(-1))
    # Keras's arithmetic (size / (1 / epsilon)), so the thinning step truncates the same way.
    step = max(values.size / (1.0 / epsilon), 1)
    points = values[int(step - 1) :: int(step)]
    return np.stack([points, np.full_like(points, step)])


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """The summary resampled at the cumulative-weight fractions epsilon, 2 epsilon, ..., 1."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    cumulative_fraction = cumulative / cumulative[-1]
    points = np.interp(fractions, cumulative_fraction, summary[0])
    weights_so_far = np.interp(fractions, cumulative_fraction, cumulative)
    weights = np.diff(weights_so_far, prepend=0.0)
    return np.stack([points, weights]).astype(np.float32)


def _merge(first: np.ndarray, second: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate([first, second], axis=1)
    return _compress(merged[:, np.argsort(merged[0])], epsilon)


class Discretization(Layer):
    """Buckets inputs by ``bin_boundaries`` (sorted; bucket i holds boundaries[i-1] <= x <
    boundaries[i]), or by ``num_bins`` boundaries learnt with ``adapt``. ``output_mode``: 'int'
    (int32 bucket ids), 'one_hot', 'multi_hot' or 'count' (float vectors of length
    len(bin_boundaries) + 1)."""

    def __init__(
        self,
        bin_boundaries: Any = None,
        num_bins: int | None = None,
        epsilon: float = 0.01,
        output_mode: str = "int",
        sparse: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        super().__init__(dtype=dtype, name=name)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"Discretization: `output_mode` must be one of {OUTPUT_MODES}, received output_mode={output_mode!r}.")
        if sparse:
            raise ValueError("Discretization: `sparse=True` needs sparse tensors, which numeras does not have; use sparse=False.")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"Discretization: `num_bins` must be >= 0, received num_bins={num_bins}.")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Discretization: set either `num_bins` (and call adapt) or `bin_boundaries`, not both. Received "
                f"num_bins={num_bins} and bin_boundaries={bin_boundaries}."
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError("Discretization: set either `num_bins` (and call adapt) or `bin_boundaries`.")
        if bin_boundaries is not None:
            bin_boundaries = [float(b) for b in bin_boundaries]
            if any(b > a for b, a in zip(bin_boundaries, bin_boundaries[1:])):
                raise ValueError(f"Discretization: `bin_boundaries` must be sorted ascending, received {bin_boundaries}.")
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = float(epsilon)
        self.output_mode = output_mode
        self.sparse = bool(sparse)
        self.summary = None if bin_boundaries else np.zeros((2, 0), dtype=np.float32)

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learn ``num_bins`` boundaries from an array, a numeras Dataset or an iterable of
        batches (at most ``steps`` batches)."""
        if self.num_bins is None:
            raise ValueError(
                "Discretization.adapt: this layer was created with `bin_boundaries`; create it with "
                "`num_bins` to learn the boundaries."
            )
        self.reset_state()
        if isinstance(data, Tensor):
            data = data.data
        if isinstance(data, np.ndarray) or not hasattr(data, "__iter__"):
            self.update_state(data)
        else:
            for index, batch in enumerate(data):
                if steps is not None and index >= steps:
                    break
                self.update_state(batch[0] if isinstance(batch, tuple) else batch)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        summary = _summarize(np.asarray(data, dtype=np.float32), self.epsilon)
        self.summary = _merge(summary, self.summary, self.epsilon)

    def finalize_state(self) -> None:
        if self.num_bins is None:
            return
        self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self) -> None:
        if self.num_bins is not None:
            self.summary = np.zeros((2, 0), dtype=np.float32)

    @property
    def _depth(self) -> int:
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins

    def call(self, inputs: Any) -> Tensor:
        if self.bin_boundaries is None:
            raise ValueError(
                f"Discretization '{self.name}': no bin boundaries yet. Pass `bin_boundaries` when creating "
                "the layer or call `adapt(data)` first."
            )
        values = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        indices = np.digitize(values, np.asarray(self.bin_boundaries, dtype=values.dtype if values.dtype.kind == "f" else np.float64))
        if self.output_mode == "int":
            return constant(indices.astype(np.int32))
        depth = len(self.bin_boundaries) + 1
        if indices.ndim == 0:
            indices = indices.reshape(1)
        if self.output_mode == "one_hot":
            if indices.ndim > 1 and indices.shape[-1] == 1:
                indices = indices[..., 0]
            return constant(np.eye(depth, dtype=self.dtype)[indices])
        encoded = np.eye(depth, dtype=self.dtype)[indices]
        axis = 1 if indices.ndim > 1 else 0
        if self.output_mode == "multi_hot":
            return constant(encoded.max(axis=axis))
        return constant(encoded.sum(axis=axis))

    def compute_output_shape(self, input_shape: Any) -> Any:
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self._depth
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return (*input_shape[:-1], depth)
            return (*input_shape, depth)
        if len(input_shape) >= 2:
            return (input_shape[0], *input_shape[2:], depth)
        return (depth,)

    def get_config(self) -> dict:
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }

    @classmethod
    def from_config(cls, config: dict) -> Discretization:
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        config.pop("trainable", None)
        boundaries = config.get("bin_boundaries")
        if boundaries is not None and config.get("num_bins") is not None:
            # An adapted layer: boundaries are state, num_bins the argument.
            config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)
