"""Convolution primitives: ``conv``, ``depthwise_conv``, ``separable_conv`` and ``conv_transpose``,
and ``conv_bias_activation``, the fused form the Conv layers call.

Every convolution is one matrix product over *columns* (im2col): the windows of the padded
input, copied once through a strided view into an array of shape ``(N, O..., k..., C)``, so that

    y[n, o, f] = sum_{k, c} x_pad[n, o * s + k * d, c] * w[k, c, f]   (s: stride, d: dilation)

becomes ``cols (M, K) @ w (K, F)`` with ``M = N * prod(O)`` and ``K = prod(k) * C``. The vector-Jacobian
products are two more products:

    dw = cols^T @ g,    dcols = g @ w^T,    dx = col2im(dcols)

where ``col2im`` adds each window's row of ``dcols`` back onto the (padded) input grid (in NumPy:
one vectorised add per kernel offset, ``prod(k)`` of them, never a loop over pixels or samples),
then crops the padding. A transposed convolution is exactly that ``col2im`` as its forward pass, and a
convolution as its backward pass. The fused form carries the bias as a column of ones in ``cols``
(its gradient falls out of ``dw``'s product) and applies relu in place.

Layout: channels last internally. ``channels_first`` inputs are transposed on the way in and out.
Grouped convolution (``groups = C_in / kernel.shape[-2]``) runs one product per group as a batched
matmul; a depthwise convolution is the grouped convolution with one input channel per group.
The memory-bound steps of 2-D convolutions (col2im, relu and its gradient) are kernels of
``numeras.backend.kernels`` (compiled with numba when it is installed).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from numeras import backend
from numeras.autodiff.ops._core import as_tensor, record
from numeras.autodiff.ops.shape import transpose
from numeras.autodiff.tensor import Tensor
from numeras.backend import kernels, xp

_as_strided = xp.lib.stride_tricks.as_strided


# -- argument handling ------------------------------------------------------------------------
def standardize_tuple(value, rank: int, name: str, allow_zero: bool = False, owner: str = "") -> tuple[int, ...]:
    """``value`` (an int or a sequence of ``rank`` ints) as a tuple of ``rank`` positive ints
    (non-negative with ``allow_zero``); errors name ``owner`` (a layer or op) and ``name``."""
    prefix = f"{owner}: " if owner else ""
    if isinstance(value, int) and not isinstance(value, bool):
        values = (int(value),) * rank
    else:
        try:
            values = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{prefix}`{name}` must be an int or a tuple of {rank} ints, received {value!r}."
            ) from None
        if len(values) != rank:
            raise ValueError(
                f"{prefix}`{name}` must be an int or a tuple of {rank} ints (one per spatial axis), "
                f"received {value!r}."
            )
    low = 0 if allow_zero else 1
    if any(v < low for v in values):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{prefix}`{name}` must hold {bound} ints, received {value!r}.")
    return values


def standardize_data_format(data_format, owner: str = "") -> str:
    """'channels_last' (the default, as Keras's ``image_data_format()``) or 'channels_first'."""
    if data_format is None:
        getter = getattr(backend, "image_data_format", None)
        return getter() if getter is not None else "channels_last"
    value = str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        prefix = f"{owner}: " if owner else ""
        raise ValueError(
            f"{prefix}`data_format` must be 'channels_last' or 'channels_first', received {data_format!r}."
        )
    return value


def standardize_padding(padding, allow_causal: bool = False, owner: str = "") -> str:
    value = str(padding).lower()
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    if value not in allowed:
        prefix = f"{owner}: " if owner else ""
        hint = " ('causal' is for 1-D convolutions only)" if value == "causal" else ""
        raise ValueError(f"{prefix}`padding` must be one of {allowed}{hint}, received {padding!r}.")
    return value


def dilated(kernel_size: int, dilation: int) -> int:
    """The span of a kernel of ``kernel_size`` taps ``dilation`` apart: (k - 1) d + 1."""
    return (kernel_size - 1) * dilation + 1


def conv_output_length(length, kernel_size: int, stride: int, dilation: int, padding: str):
    """Keras's output length of a convolution or pooling along one axis (None stays None).

    valid: floor((L - dk) / s) + 1;  same and causal: ceil(L / s)."""
    if length is None:
        return None
    if padding == "valid":
        return max((length - dilated(kernel_size, dilation)) // stride + 1, 0)
    return (length + stride - 1) // stride


def same_padding(length: int, kernel_size: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's 'same' padding: total = max((ceil(L/s) - 1) s + dk - L, 0), the odd one after."""
    out = (length + stride - 1) // stride
    total = max((out - 1) * stride + dilated(kernel_size, dilation) - length, 0)
    return total // 2, total - total // 2


def conv_transpose_output_length(
    length, kernel_size: int, stride: int, dilation: int, padding: str, output_padding
):
    """Keras's output length of a transposed convolution (None stays None).

    valid: (L - 1) s + dk + output_padding, output_padding defaulting to max(dk, s) - dk;
    same: L s without output_padding, else (L - 1) s + dk mod 2 + output_padding."""
    if length is None:
        return None
    dk = dilated(kernel_size, dilation)
    if padding == "valid":
        extra = max(dk, stride) - dk if output_padding is None else output_padding
        return (length - 1) * stride + dk + extra
    if output_padding is None:
        return length * stride
    return (length - 1) * stride + dk % 2 + output_padding


def conv_transpose_crops(
    kernel_size: int, stride: int, dilation: int, padding: str, output_padding
) -> tuple[int, int]:
    """How much of the full transposed output, of length (L - 1) s + dk, is cut at each end
    (negative: zeros added), following Keras's conversion of its arguments for JAX."""
    dk = dilated(kernel_size, dilation)
    if padding == "valid":
        extra = max(dk, stride) - dk if output_padding is None else output_padding
        left, right = dk - 1, dk - 1 + extra
    else:
        total = stride + dk - 2 if output_padding is None else dk + dk % 2 - 2 + output_padding
        left = min(total // 2 + total % 2, dk - 1)
        right = total - left
    return dk - 1 - left, dk - 1 - right


# -- strided windows ------------------------------------------------------------------------
def pad_or_crop(a, pads: Sequence[tuple[int, int]], fill=0):
    """``a`` (N, S..., rest...) with ``pads[i] = (before, after)`` added to spatial axis i + 1;
    negative amounts cut instead. Returns ``a`` itself when nothing changes."""
    if all(lo == 0 and hi == 0 for lo, hi in pads):
        return a
    crop = [slice(None)]
    for (lo, hi), n in zip(pads, a.shape[1:]):
        crop.append(slice(max(-lo, 0), n - max(-hi, 0)))
    a = a[tuple(crop)]
    if all(lo <= 0 and hi <= 0 for lo, hi in pads):
        return a
    rank = len(pads)
    shape = (a.shape[0], *(n + max(lo, 0) + max(hi, 0) for (lo, hi), n in zip(pads, a.shape[1 : rank + 1])), *a.shape[rank + 1 :])
    out = xp.empty(shape, dtype=a.dtype)
    # Fill only the border: the inside is overwritten right after.
    inner = [slice(None)]
    for axis, ((lo, hi), n) in enumerate(zip(pads, a.shape[1 : rank + 1]), start=1):
        lo, hi = max(lo, 0), max(hi, 0)
        inner.append(slice(lo, lo + n))
        if lo:
            out[(slice(None),) * axis + (slice(0, lo),)] = fill
        if hi:
            out[(slice(None),) * axis + (slice(lo + n, None),)] = fill
    out[tuple(inner)] = a
    return out


def windows(a, kernel_size: Sequence[int], out_size: Sequence[int], strides, dilation, writeable=False):
    """A strided view of ``a`` (N, P..., rest...) with shape (N, O..., k..., rest...):
    ``view[n, o, k] = a[n, o * s + k * d]`` (no copy)."""
    rank = len(kernel_size)
    st = a.strides
    shape = (a.shape[0], *out_size, *kernel_size, *a.shape[rank + 1 :])
    strides = (
        st[0],
        *(st[i + 1] * strides[i] for i in range(rank)),
        *(st[i + 1] * dilation[i] for i in range(rank)),
        *st[rank + 1 :],
    )
    return _as_strided(a, shape=shape, strides=strides, writeable=writeable)


def offset_slices(offset: Sequence[int], out_size, strides, dilation) -> tuple:
    """The index of the input entries that kernel offset ``offset`` meets across all outputs."""
    return (slice(None),) + tuple(
        slice(o * d, o * d + (n - 1) * s + 1, s) for o, n, s, d in zip(offset, out_size, strides, dilation)
    )


def col2im(cols, padded_size: Sequence[int], kernel_size, out_size, strides, dilation):
    """The adjoint of taking windows: ``cols`` (N, O..., k..., rest...) added back onto a zero grid
    (N, P..., rest...), one vectorised add per kernel offset."""
    rank = len(kernel_size)
    rest = cols.shape[1 + 2 * rank :]
    grid = xp.zeros((cols.shape[0], *padded_size, *rest), dtype=cols.dtype)
    lead = (slice(None),) * (1 + rank)
    disjoint = all(s >= dilated(k, d) for s, k, d in zip(strides, kernel_size, dilation))
    for offset in itertools.product(*(range(k) for k in kernel_size)):
        target = grid[offset_slices(offset, out_size, strides, dilation)]
        source = cols[lead + offset]
        if disjoint:
            # Windows that do not overlap: each entry receives at most one value.
            xp.copyto(target, source)
        else:
            xp.add(target, source, out=target)
    return grid


# -- the core computation on channels-last arrays -------------------------------------------
class _Geometry:
    """Sizes of one convolution: padding, output size, columns."""

    def __init__(self, spatial, kernel_size, strides, dilation, pads) -> None:
        self.kernel_size = tuple(kernel_size)
        self.strides = tuple(strides)
        self.dilation = tuple(dilation)
        self.pads = tuple(pads)
        self.padded = tuple(n + lo + hi for n, (lo, hi) in zip(spatial, pads))
        self.out = tuple(
            (p - dilated(k, d)) // s + 1 for p, k, s, d in zip(self.padded, kernel_size, strides, dilation)
        )
        if any(p < dilated(k, d) for p, k, d in zip(self.padded, kernel_size, dilation)):
            raise ValueError(
                f"conv: the kernel (size {self.kernel_size}, dilation {self.dilation}) is larger than the "
                f"padded input (spatial size {self.padded}); use padding='same' or a smaller kernel."
            )


def resolve_pads(spatial, kernel_size, strides, dilation, padding) -> list[tuple[int, int]]:
    if padding == "valid":
        return [(0, 0)] * len(spatial)
    if padding == "causal":
        return [(dilated(k, d) - 1, 0) for k, d in zip(kernel_size, dilation)]
    return [same_padding(n, k, s, d) for n, k, s, d in zip(spatial, kernel_size, strides, dilation)]


def _kernel_geometry_2d(geometry: _Geometry) -> tuple[int, ...]:
    """(kh, kw, sh, sw, dh, dw, oh, ow): the sizes the compiled 2-D kernels take."""
    return (*geometry.kernel_size, *geometry.strides, *geometry.dilation, *geometry.out)


def _columns(x_pad, geometry: _Geometry, extra_columns: int = 0, out=None):
    """The im2col matrix (M, K + extra_columns) of the padded channels-last ``x_pad``: row
    (n, o...) holds the window at output o, laid out (k..., C) like the kernel's first axes.
    The extra columns are left for the caller to fill (a column of ones carries the bias).
    ``out``, when given, is a C-contiguous array of that shape to fill."""
    rank = len(geometry.kernel_size)
    batch, channels = x_pad.shape[0], x_pad.shape[-1]
    k_total = math.prod(geometry.kernel_size) * channels
    shape = (batch * math.prod(geometry.out), k_total + extra_columns)
    cols = xp.empty(shape, dtype=x_pad.dtype) if out is None else out
    item = cols.itemsize
    row = cols.strides[0]
    lead = [row * math.prod(geometry.out[i:]) for i in range(rank)] + [row]
    trail = [item * channels * math.prod(geometry.kernel_size[i + 1 :]) for i in range(rank)] + [item]
    # A writable 2-D view of the first K columns split as (N, O..., k..., C): the copy lands in place.
    target = _as_strided(
        cols, shape=(batch, *geometry.out, *geometry.kernel_size, channels), strides=(*lead, *trail), writeable=True
    )
    if channels >= 16:
        xp.copyto(target, windows(x_pad, geometry.kernel_size, geometry.out, geometry.strides, geometry.dilation))
    else:
        # Few channels: contiguous runs are short, so one strided copy per kernel offset is faster.
        front = (slice(None),) * (1 + rank)
        for offset in itertools.product(*(range(k) for k in geometry.kernel_size)):
            xp.copyto(target[front + offset], x_pad[offset_slices(offset, geometry.out, geometry.strides, geometry.dilation)])
    return cols


TRANSPOSED_COLUMNS_MAX_CHANNELS = 3
"""Inputs with at most this many channels (grayscale, RGB) get their columns built transposed,
(K, M): each kernel offset and channel fills one contiguous row, where the (M, K) layout would
write runs of C values K apart. A first layer's im2col is 2.3x faster, and its dw product up to
1.6x (SkylakeX kernel; about the same with Haswell)."""


def _columns_transposed(x_pad, geometry: _Geometry, extra_rows: int = 0, out=None):
    """The transpose of :func:`_columns`: shape (K + extra_rows, M), row (k..., c) holding
    channel c of kernel offset k at every output position. ``out``: a C-contiguous array to fill."""
    batch, channels = x_pad.shape[0], x_pad.shape[-1]
    k_total = math.prod(geometry.kernel_size) * channels
    shape = (k_total + extra_rows, batch * math.prod(geometry.out))
    cols_t = xp.empty(shape, dtype=x_pad.dtype) if out is None else out
    target = cols_t[:k_total].reshape(*geometry.kernel_size, channels, batch, *geometry.out)
    for offset in itertools.product(*(range(k) for k in geometry.kernel_size)):
        window = x_pad[offset_slices(offset, geometry.out, geometry.strides, geometry.dilation)]
        xp.copyto(target[offset], xp.moveaxis(window, -1, 0))
    return cols_t


CHUNK_BYTES = 2 << 20
"""Largest im2col matrix (or block of output) handled at once. A bigger one (a batch of 64 MNIST
feature maps makes 9 MB of columns) is built and multiplied a few samples at a time, in a reused
buffer that stays in cache between the copy and the product, and rebuilt during the backward
pass instead of being kept: a step of listing 5.1 took 5-10% less CPU time, and the step's
largest buffer is gone."""

_SCRATCH: dict = {}


def _scratch(shape, dtype, slot: str = "columns"):
    """A reusable array of ``shape`` for a transient of one op call (valid until the next request
    for the same ``slot``): large buffers that never leave the call are not reallocated per step,
    which spares the page faults of fresh memory. Not thread-safe, like the rest of numeras."""
    size = math.prod(shape)
    key = (slot, xp.dtype(dtype).str)
    buffer = _SCRATCH.get(key)
    if buffer is None or buffer.size < size:
        buffer = xp.empty(size, dtype=dtype)
        _SCRATCH[key] = buffer
    return buffer[:size].reshape(shape)


def _conv_dense(x: Tensor, kernel: Tensor, geometry: _Geometry, bias: Tensor | None, relu: bool) -> Tensor:
    """y = conv(x, kernel) (+ bias) (then relu) with one group, channels last, one primitive.

    The bias rides in the matrix product as a column of ones in ``cols`` and a row of the kernel,
    so its gradient falls out of dw's product. The input gradient's columns are one product,
    ``dcols = g @ w^T`` (laid out like ``cols``), which ``kernels.col2im`` adds onto the input
    grid window by window (2-D, 4+ channels). Otherwise it is computed per kernel offset,
    ``g @ w[o]^T`` in one batched product, so that NumPy adds each offset's contribution as a
    contiguous block (no strided reads). Columns larger than :data:`CHUNK_BYTES` are built, used
    and rebuilt a chunk of samples at a time."""
    a, w = x.data, kernel.data
    batch, channels = a.shape[0], a.shape[-1]
    filters = w.shape[-1]
    kernel_offsets = math.prod(geometry.kernel_size)
    k_total = kernel_offsets * channels
    has_bias = bias is not None
    width = k_total + int(has_bias)
    rows = math.prod(geometry.out)  # output positions (rows of cols) per sample
    m = batch * rows
    x_pad = pad_or_crop(a, geometry.pads)
    w_mat = w.reshape(k_total, filters)
    if has_bias:
        w_mat = xp.concatenate([w_mat, bias.data.reshape(1, filters)])
    # The larger of a chunk's columns and its output block stays within CHUNK_BYTES, so that relu
    # and its gradient run on a block the product has just written (listing 5.1's first layer,
    # forward and backward: 3.9-7.5 ms in one pass over the whole output, 2.8-3.2 ms in chunks,
    # measured while this machine's memory-bound work ran slow).
    chunk = max(1, CHUNK_BYTES // (rows * max(width, filters) * a.itemsize))
    starts = range(0, batch, chunk)
    # Columns that fit in CHUNK_BYTES whole are built once and kept for the backward pass, even
    # when the output is handled in chunks.
    keep_columns = m * width * a.itemsize <= CHUNK_BYTES

    transposed = channels <= TRANSPOSED_COLUMNS_MAX_CHANNELS

    def columns(start, stop, buffer=None):
        """The (rows, width) columns of samples start:stop (a transposed view when built (K, M))."""
        if transposed:
            cols_t = _columns_transposed(x_pad[start:stop], geometry, int(has_bias), out=buffer)
            if has_bias:
                cols_t[k_total] = 1
            return cols_t.T
        cols = _columns(x_pad[start:stop], geometry, int(has_bias), out=buffer)
        if has_bias:
            cols[:, k_total] = 1
        return cols

    def columns_for(start):
        stop = min(start + chunk, batch)
        if keep_columns:
            return all_columns[start * rows : stop * rows]
        shape = ((stop - start) * rows, width)
        return columns(start, stop, _scratch(shape[::-1] if transposed else shape, a.dtype))

    out = xp.empty((m, filters), dtype=a.dtype)
    all_columns = columns(0, batch) if keep_columns else None
    for start in starts:
        cols = columns_for(start)
        block = out[start * rows : (start + chunk) * rows]
        xp.matmul(cols, w_mat, out=block)
        if relu:
            kernels.relu_inplace(block)
    need_x, need_w = x.requires_grad, kernel.requires_grad
    need_b = has_bias and bias.requires_grad
    if not need_w:
        all_columns = None

    def vjp(g):
        g = g.reshape(m, filters)
        d_ext = xp.zeros((width, filters), dtype=g.dtype) if need_w else None
        db = xp.zeros(filters, dtype=g.dtype) if need_b and not need_w else None
        grid = None
        if need_x:
            # 2-D with 4+ channels: one product for all kernel offsets, then col2im. (Few channels:
            # one product per offset and NumPy's strided adds beat col2im's short inner loop.)
            use_col2im = len(geometry.kernel_size) == 2 and channels >= 4
            if use_col2im:
                w_t = w.reshape(k_total, filters).T
            else:
                w_offsets = w.reshape(kernel_offsets, channels, filters).transpose(0, 2, 1)
            grid = xp.empty if use_col2im else xp.zeros
            grid = grid((batch, *geometry.padded, channels), dtype=g.dtype)
        for start in starts:
            stop = min(start + chunk, batch)
            g_block = g[start * rows : stop * rows]
            if relu:
                out_block = out[start * rows : stop * rows]
                masked = _scratch(out_block.shape, g.dtype, "relu_grad")
                kernels.relu_grad(g_block, out_block, masked)
                g_block = masked
            if need_w:
                cols = columns_for(start)
                if width < filters and not transposed:
                    # Few columns, laid out (M, K): OpenBLAS is ~30% faster on g^T @ cols than on
                    # cols^T @ g. (Laid out (K, M), cols^T is contiguous and cols^T @ g is fastest.)
                    d_ext += (g_block.T @ cols).T
                else:
                    d_ext += cols.T @ g_block
            elif need_b:
                db += xp.ones(g_block.shape[0], dtype=g.dtype) @ g_block
            if need_x and use_col2im:
                # One product for all kernel offsets (many small batched ones wait on BLAS threads).
                d_cols = _scratch((g_block.shape[0], k_total), g.dtype, "d_cols")
                xp.matmul(g_block, w_t, out=d_cols)  # (rows of the chunk, prod(k) * C), like cols
                kernels.col2im(d_cols, grid[start:stop], *_kernel_geometry_2d(geometry))
            elif need_x:
                per_offset = _scratch((kernel_offsets, g_block.shape[0], channels), g.dtype, "per_offset")
                xp.matmul(g_block, w_offsets, out=per_offset)  # (prod(k), rows of the chunk, C)
                grid_block = grid[start:stop]
                for index, offset in enumerate(itertools.product(*(range(k) for k in geometry.kernel_size))):
                    target = grid_block[offset_slices(offset, geometry.out, geometry.strides, geometry.dilation)]
                    target += per_offset[index].reshape(target.shape)
        dx = dw = None
        if need_w:
            dw = d_ext[:k_total].reshape(w.shape)
            db = d_ext[k_total] if need_b else None
        if need_x:
            dx = pad_or_crop(grid, [(-lo, -hi) for lo, hi in geometry.pads])
        return (dx, dw, db) if has_bias else (dx, dw)

    parents = (x, kernel, bias) if has_bias else (x, kernel)
    return record(out.reshape(batch, *geometry.out, filters), parents, vjp)


def _conv_grouped(x: Tensor, kernel: Tensor, geometry: _Geometry, groups: int) -> Tensor:
    """y = conv(x, kernel) with ``groups`` > 1: one product per group, as a batched matmul over
    columns laid out (G, M, prod(k) * C/G)."""
    a, w = x.data, kernel.data
    batch, channels = a.shape[0], a.shape[-1]
    filters = w.shape[-1]
    group_filters = filters // groups
    view = windows(pad_or_crop(a, geometry.pads), geometry.kernel_size, geometry.out, geometry.strides, geometry.dilation)
    m = batch * math.prod(geometry.out)
    split = view.reshape(*view.shape[:-1], groups, channels // groups)
    cols = xp.ascontiguousarray(xp.moveaxis(split, -2, 0)).reshape(groups, m, -1)
    kg = cols.shape[2]
    # (k..., Cg, F) -> (G, Kg, F/G): group g owns filters g*Fg ... (g+1)*Fg - 1, as in Keras.
    w_groups = w.reshape(kg, groups, group_filters).transpose(1, 0, 2)
    out = xp.matmul(cols, w_groups).transpose(1, 0, 2).reshape(batch, *geometry.out, filters)
    need_x, need_w = x.requires_grad, kernel.requires_grad
    saved_cols = cols if need_w else None
    del cols

    def vjp(g):
        g_groups = g.reshape(m, groups, group_filters).transpose(1, 0, 2)
        dx = dw = None
        if need_w:
            dw = xp.matmul(saved_cols.transpose(0, 2, 1), g_groups).transpose(1, 0, 2).reshape(w.shape)
        if need_x:
            dcols = xp.matmul(g_groups, w_groups.transpose(0, 2, 1))
            # (G, M, k..., Cg) -> (M, k..., G, Cg): channel c = g * Cg + j, as in the input.
            dcols = xp.moveaxis(dcols.reshape(groups, m, *geometry.kernel_size, -1), 0, -2)
            dcols = dcols.reshape(batch, *geometry.out, *geometry.kernel_size, channels)
            grid = col2im(dcols, geometry.padded, geometry.kernel_size, geometry.out, geometry.strides, geometry.dilation)
            dx = pad_or_crop(grid, [(-lo, -hi) for lo, hi in geometry.pads])
        return dx, dw

    return record(out, (x, kernel), vjp)


# -- public ops -------------------------------------------------------------------------------
def _float_tensor(value) -> Tensor:
    t = as_tensor(value)
    if t.data.dtype.kind != "f":
        from numeras.autodiff.ops.elementwise import cast

        t = cast(t, backend.floatx())
    return t


def _match_dtypes(x: Tensor, kernel: Tensor) -> tuple[Tensor, Tensor]:
    if x.data.dtype != kernel.data.dtype:
        from numeras.autodiff.ops.elementwise import cast

        x = cast(x, kernel.data.dtype)
    return x, kernel


def _to_channels_last(x: Tensor, data_format: str) -> Tensor:
    if data_format == "channels_last":
        return x
    return transpose(x, (0, *range(2, x.ndim), 1))


def _from_channels_last(y: Tensor, data_format: str) -> Tensor:
    if data_format == "channels_last":
        return y
    return transpose(y, (0, y.ndim - 1, *range(1, y.ndim - 1)))


def _check_ranks(op: str, x: Tensor, kernel: Tensor) -> int:
    rank = kernel.ndim - 2
    if rank < 1:
        raise ValueError(
            f"{op}: `kernel` must have shape (*kernel_size, in_channels, out_channels), at least 3 "
            f"axes; received shape {kernel.shape}."
        )
    if x.ndim != rank + 2:
        raise ValueError(
            f"{op}: a kernel of shape {kernel.shape} convolves inputs of rank {rank + 2} "
            f"(batch, {rank} spatial axes, channels); received inputs of shape {x.shape}."
        )
    return rank


def _prepare_conv(op: str, inputs, kernel, strides, padding, data_format, dilation_rate):
    x, w = _match_dtypes(_float_tensor(inputs), _float_tensor(kernel))
    rank = _check_ranks(op, x, w)
    data_format = standardize_data_format(data_format, owner=op)
    padding = standardize_padding(padding, allow_causal=rank == 1, owner=op)
    strides = standardize_tuple(strides, rank, "strides", owner=op)
    dilation = standardize_tuple(dilation_rate, rank, "dilation_rate", owner=op)
    x = _to_channels_last(x, data_format)
    channels, kernel_channels, filters = x.shape[-1], w.shape[-2], w.shape[-1]
    if channels % kernel_channels:
        raise ValueError(
            f"{op}: the inputs have {channels} channels, which is not a multiple of the kernel's "
            f"input channels ({kernel_channels}, kernel shape {w.shape}). The kernel's second-to-last "
            "axis must equal the input channels (or input channels / groups)."
        )
    groups = channels // kernel_channels
    if filters % groups:
        raise ValueError(
            f"{op}: {groups} groups (inputs with {channels} channels, kernel with {kernel_channels}) "
            f"need a number of filters divisible by {groups}, received kernel shape {w.shape}."
        )
    spatial = x.shape[1:-1]
    kernel_size = w.shape[:-2]
    pads = resolve_pads(spatial, kernel_size, strides, dilation, padding)
    return x, w, _Geometry(spatial, kernel_size, strides, dilation, pads), groups, data_format


def conv(inputs, kernel, strides=1, padding: str = "valid", data_format=None, dilation_rate=1) -> Tensor:
    """N-D convolution (really cross-correlation, as in every framework), Keras's ``ops.conv``.

    y[n, o, f] = sum_{k, c} x_pad[n, o s + k d, g(f) C/G + c] * kernel[k, c, f]

    ``inputs``: (batch, *spatial, C) for channels_last; ``kernel``: (*kernel_size, C / G, F). The
    number of groups G is C / kernel.shape[-2]. ``padding``: 'valid' (none), 'same' (output size
    ceil(L / s), the odd pad after, as TensorFlow) or 'causal' (1-D: all padding before).
    """
    x, w, geometry, groups, data_format = _prepare_conv("conv", inputs, kernel, strides, padding, data_format, dilation_rate)
    out = _conv_dense(x, w, geometry, None, False) if groups == 1 else _conv_grouped(x, w, geometry, groups)
    return _from_channels_last(out, data_format)


def conv_bias_activation(
    inputs, kernel, bias=None, strides=1, padding: str = "valid", data_format=None, dilation_rate=1, activation=None
) -> Tensor:
    """activation(conv(inputs, kernel) + bias) as one primitive, what the Conv layers call.

    ``activation`` is None or 'relu' (fused: the output is clipped in place and the VJP masks the
    gradient); ``bias`` has shape (filters,) or is None. Grouped convolutions compose the parts."""
    if activation not in (None, "relu"):
        raise ValueError(f"conv_bias_activation: `activation` must be None or 'relu', received {activation!r}.")
    x, w, geometry, groups, data_format = _prepare_conv(
        "conv", inputs, kernel, strides, padding, data_format, dilation_rate
    )
    b = None if bias is None else _float_tensor(bias)
    if b is not None and b.shape != (w.shape[-1],):
        raise ValueError(f"conv: `bias` must have shape ({w.shape[-1]},) (one per filter), received {b.shape}.")
    if b is not None and b.data.dtype != w.data.dtype:
        from numeras.autodiff.ops.elementwise import cast

        b = cast(b, w.data.dtype)
    if groups == 1:
        out = _conv_dense(x, w, geometry, b, activation == "relu")
    else:
        from numeras.autodiff.ops.elementwise import add, relu

        out = _conv_grouped(x, w, geometry, groups)
        if b is not None:
            out = add(out, b)
        if activation == "relu":
            out = relu(out)
    return _from_channels_last(out, data_format)


def depthwise_conv(inputs, kernel, strides=1, padding: str = "valid", data_format=None, dilation_rate=1) -> Tensor:
    """Each input channel convolved with its own ``depth_multiplier`` filters, Keras's
    ``ops.depthwise_conv``: ``kernel`` (*kernel_size, C, depth_multiplier), output channel
    c * depth_multiplier + m. It is the grouped convolution with C groups of one channel."""
    x, w = _match_dtypes(_float_tensor(inputs), _float_tensor(kernel))
    rank = _check_ranks("depthwise_conv", x, w)
    channels = x.shape[-1] if standardize_data_format(data_format, owner="depthwise_conv") == "channels_last" else x.shape[1]
    if w.shape[-2] != channels:
        raise ValueError(
            f"depthwise_conv: the kernel's input channels (axis -2 of shape {w.shape}) must equal the "
            f"inputs' {channels} channels."
        )
    from numeras.autodiff.ops.shape import reshape

    grouped = reshape(w, (*w.shape[:rank], 1, channels * w.shape[-1]))
    return conv(x, grouped, strides, padding, data_format, dilation_rate)


def separable_conv(
    inputs, depthwise_kernel, pointwise_kernel, strides=1, padding: str = "valid", data_format=None, dilation_rate=1
) -> Tensor:
    """A depthwise convolution followed by a pointwise (1x1) one, Keras's ``ops.separable_conv``."""
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(depthwise, pointwise_kernel, 1, "valid", data_format, 1)


def conv_transpose(
    inputs, kernel, strides=1, padding: str = "valid", output_padding=None, data_format=None, dilation_rate=1
) -> Tensor:
    """Transposed convolution (the input gradient of a convolution), Keras's ``ops.conv_transpose``.

    ``kernel``: (*kernel_size, out_channels, in_channels). Every input position i spreads
    x[n, i, :] @ kernel[k, :, :]^T onto output position i s + k d, then the ends are cut as Keras
    does, giving the lengths of :func:`conv_transpose_output_length`.
    """
    x, w = _match_dtypes(_float_tensor(inputs), _float_tensor(kernel))
    rank = _check_ranks("conv_transpose", x, w)
    data_format = standardize_data_format(data_format, owner="conv_transpose")
    padding = standardize_padding(padding, owner="conv_transpose")
    strides = standardize_tuple(strides, rank, "strides", owner="conv_transpose")
    dilation = standardize_tuple(dilation_rate, rank, "dilation_rate", owner="conv_transpose")
    output_padding = (
        (None,) * rank
        if output_padding is None
        else standardize_tuple(output_padding, rank, "output_padding", allow_zero=True, owner="conv_transpose")
    )
    x = _to_channels_last(x, data_format)
    if x.shape[-1] != w.shape[-1]:
        raise ValueError(
            f"conv_transpose: the inputs have {x.shape[-1]} channels but the kernel (shape {w.shape}, "
            "laid out as (*kernel_size, out_channels, in_channels)) expects "
            f"{w.shape[-1]} input channels."
        )
    kernel_size = w.shape[:-2]
    crops = [
        conv_transpose_crops(k, s, d, padding, p) for k, s, d, p in zip(kernel_size, strides, dilation, output_padding)
    ]
    return _from_channels_last(_conv_transpose_nd(x, w, kernel_size, strides, dilation, crops), data_format)


def _conv_transpose_nd(x: Tensor, kernel: Tensor, kernel_size, strides, dilation, crops) -> Tensor:
    a, w = x.data, kernel.data
    batch, in_channels = a.shape[0], a.shape[-1]
    out_channels = w.shape[-2]
    spatial = a.shape[1:-1]
    full = tuple((n - 1) * s + dilated(k, d) for n, k, s, d in zip(spatial, kernel_size, strides, dilation))
    w_mat = w.reshape(-1, in_channels)  # (prod(k) * C_out, C_in)
    x_mat = a.reshape(-1, in_channels)
    cols = (x_mat @ w_mat.T).reshape(batch, *spatial, *kernel_size, out_channels)
    grid = col2im(cols, full, kernel_size, spatial, strides, dilation)
    out = pad_or_crop(grid, [(-lo, -hi) for lo, hi in crops])
    need_x, need_w = x.requires_grad, kernel.requires_grad

    def vjp(g):
        g_pad = pad_or_crop(g, crops)
        view = windows(g_pad, kernel_size, spatial, strides, dilation)
        g_cols = xp.ascontiguousarray(view).reshape(x_mat.shape[0], -1)
        dx = (g_cols @ w_mat).reshape(a.shape) if need_x else None
        dw = (g_cols.T @ x_mat).reshape(w.shape) if need_w else None
        return dx, dw

    return record(out, (x, kernel), vjp)
