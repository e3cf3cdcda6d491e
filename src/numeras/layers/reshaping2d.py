"""Spatial reshaping layers: ZeroPadding, Cropping and UpSampling in 1, 2 and 3 dimensions.

Each works on (batch, *spatial, channels) inputs (or channels first) and touches only the
spatial axes; gradients come from the primitives they use (pad, slicing, broadcast + reshape).
"""

from __future__ import annotations

from typing import Any

from numeras import ops
from numeras.autodiff import Tensor
from numeras.autodiff.ops.convolution import standardize_data_format
from numeras.layers.layer import Layer


def _pairs(value: Any, rank: int, name: str, owner: str) -> tuple[tuple[int, int], ...]:
    """An int p -> ((p, p),) * rank; ``rank`` ints -> symmetric pairs; ``rank`` pairs as given."""
    def bad() -> ValueError:
        return ValueError(
            f"{owner}: `{name}` must be an int, a tuple of {rank} ints (symmetric) or a tuple of {rank} "
            f"(before, after) pairs of non-negative ints, received {value!r}."
        )

    if isinstance(value, int) and not isinstance(value, bool):
        pairs = ((value, value),) * rank
    else:
        try:
            items = tuple(value)
        except TypeError:
            raise bad() from None
        if rank == 1 and len(items) == 2 and all(isinstance(v, int) for v in items):
            pairs = (tuple(items),)
        elif len(items) != rank:
            raise bad()
        else:
            built = []
            for item in items:
                if isinstance(item, int) and not isinstance(item, bool):
                    built.append((item, item))
                else:
                    try:
                        lo, hi = item
                    except (TypeError, ValueError):
                        raise bad() from None
                    built.append((lo, hi))
            pairs = tuple(built)
    if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for pair in pairs for v in pair):
        raise bad()
    return tuple((int(lo), int(hi)) for lo, hi in pairs)


def _spatial_axes(rank: int, data_format: str) -> range:
    return range(1, rank + 1) if data_format == "channels_last" else range(2, rank + 2)


class _SpatialLayer(Layer):
    rank = 2

    def _check_rank(self, inputs: Tensor) -> None:
        if inputs.ndim != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected inputs of rank {self.rank + 2} (batch, "
                f"{self.rank} spatial axes, channels), received shape {tuple(inputs.shape)}."
            )


class _ZeroPadding(_SpatialLayer):
    """Adds rows/columns of zeros around the spatial axes."""

    def __init__(self, padding: Any, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        self.padding = _pairs(padding, self.rank, "padding", name)
        self.data_format = standardize_data_format(data_format, owner=name)

    def call(self, inputs: Tensor) -> Tensor:
        self._check_rank(inputs)
        widths = [(0, 0)] * inputs.ndim
        for axis, pair in zip(_spatial_axes(self.rank, self.data_format), self.padding):
            widths[axis] = pair
        return ops.pad(inputs, widths)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        out = list(input_shape)
        for axis, (lo, hi) in zip(_spatial_axes(self.rank, self.data_format), self.padding):
            out[axis] = None if out[axis] is None else out[axis] + lo + hi
        return tuple(out)

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Zeros before and after the steps axis: ``padding`` is an int or a (before, after) pair."""

    rank = 1

    def __init__(self, padding: Any = 1, **kwargs: Any) -> None:
        kwargs.setdefault("data_format", "channels_last")
        super().__init__(padding, **kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["padding"] = list(self.padding[0])  # Keras's flat (before, after) pair
        return config


class ZeroPadding2D(_ZeroPadding):
    """Zeros around images: ``padding`` is an int, (rows, cols) or ((top, bottom), (left, right))."""

    rank = 2

    def __init__(self, padding: Any = (1, 1), data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(padding, data_format=data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    rank = 3

    def __init__(self, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(padding, data_format=data_format, **kwargs)


class _Cropping(_SpatialLayer):
    """Removes rows/columns at the borders of the spatial axes."""

    def __init__(self, cropping: Any, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        self.cropping = _pairs(cropping, self.rank, "cropping", name)
        self.data_format = standardize_data_format(data_format, owner=name)

    def call(self, inputs: Tensor) -> Tensor:
        self._check_rank(inputs)
        index: list = [slice(None)] * inputs.ndim
        for axis, (lo, hi) in zip(_spatial_axes(self.rank, self.data_format), self.cropping):
            if lo + hi >= inputs.shape[axis]:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': cropping {(lo, hi)} removes all {inputs.shape[axis]} "
                    f"entries of axis {axis} (input shape {tuple(inputs.shape)})."
                )
            index[axis] = slice(lo, inputs.shape[axis] - hi)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        out = list(input_shape)
        for axis, (lo, hi) in zip(_spatial_axes(self.rank, self.data_format), self.cropping):
            out[axis] = None if out[axis] is None else out[axis] - lo - hi
        return tuple(out)

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


class Cropping1D(_Cropping):
    """Cuts steps at both ends: ``cropping`` is an int or a (before, after) pair."""

    rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        kwargs.setdefault("data_format", "channels_last")
        super().__init__(cropping, **kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["cropping"] = list(self.cropping[0])  # Keras's flat (before, after) pair
        config.pop("data_format")  # Keras's Cropping1D has no data_format argument
        return config


class Cropping2D(_Cropping):
    """Cuts image borders: ``cropping`` is an int, (rows, cols) or ((top, bottom), (left, right))."""

    rank = 2

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(cropping, data_format=data_format, **kwargs)


class Cropping3D(_Cropping):
    rank = 3

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(cropping, data_format=data_format, **kwargs)


class _UpSampling(_SpatialLayer):
    """Repeats every entry ``size[i]`` times along spatial axis i (nearest-neighbour upsampling)."""

    def __init__(self, size: Any, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from numeras.autodiff.ops.convolution import standardize_tuple

        name = type(self).__name__
        self.size = standardize_tuple(size, self.rank, "size", owner=name)
        self.data_format = standardize_data_format(data_format, owner=name)

    def call(self, inputs: Tensor) -> Tensor:
        self._check_rank(inputs)
        # Insert a length-1 axis after each spatial axis, broadcast it to the factor, merge back.
        shape = tuple(inputs.shape)
        axes = list(_spatial_axes(self.rank, self.data_format))
        expanded, stretched, merged = [], [], []
        for axis, n in enumerate(shape):
            expanded.append(n)
            stretched.append(n)
            if axis in axes:
                factor = self.size[axes.index(axis)]
                expanded.append(1)
                stretched.append(factor)
                merged.append(n * factor)
            else:
                merged.append(n)
        out = ops.broadcast_to(ops.reshape(inputs, tuple(expanded)), tuple(stretched))
        return ops.reshape(out, tuple(merged))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        out = list(input_shape)
        for axis, factor in zip(_spatial_axes(self.rank, self.data_format), self.size):
            out[axis] = None if out[axis] is None else out[axis] * factor
        return tuple(out)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}


class UpSampling1D(_UpSampling):
    """Repeats each step ``size`` times."""

    rank = 1

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        kwargs.setdefault("data_format", "channels_last")
        super().__init__(size, **kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["size"] = self.size[0]
        config.pop("data_format")
        return config


class UpSampling2D(_UpSampling):
    """Enlarges images ``size`` = (rows, cols) times: ``interpolation='nearest'`` repeats rows and
    columns; 'bilinear', 'bicubic', 'lanczos3', 'lanczos5' (and TensorFlow's 'area', 'gaussian',
    'mitchellcubic') interpolate as ``keras.ops.image.resize``, differentiably."""

    rank = 2

    def __init__(self, size: Any = (2, 2), data_format: Any = None, interpolation: str = "nearest", **kwargs: Any) -> None:
        super().__init__(size, data_format=data_format, **kwargs)
        from numeras.autodiff.ops.resize import INTERPOLATIONS

        if not isinstance(interpolation, str) or interpolation.lower() not in INTERPOLATIONS:
            raise ValueError(
                f"UpSampling2D: `interpolation` must be one of {INTERPOLATIONS}, received interpolation={interpolation!r}."
            )
        self.interpolation = interpolation.lower()

    def call(self, inputs: Tensor) -> Tensor:
        if self.interpolation == "nearest":
            return super().call(inputs)
        self._check_rank(inputs)
        height_axis, width_axis = _spatial_axes(self.rank, self.data_format)
        size = (inputs.shape[height_axis] * self.size[0], inputs.shape[width_axis] * self.size[1])
        # As Keras: keras.ops.image.resize, i.e. the backend's (JAX's) weights.
        return ops.image.resize(inputs, size, interpolation=self.interpolation, data_format=self.data_format)

    def get_config(self) -> dict:
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(_UpSampling):
    rank = 3

    def __init__(self, size: Any = (2, 2, 2), data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(size, data_format=data_format, **kwargs)
