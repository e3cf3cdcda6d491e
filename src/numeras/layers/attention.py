"""Attention layers of Keras 3: ``MultiHeadAttention`` (the Transformer's, Vaswani et al., 2017),
``Attention`` (Luong-style dot-product) and ``AdditiveAttention`` (Bahdanau-style).

MultiHeadAttention keeps Keras's weights: four projection sublayers named ``query``, ``key``,
``value`` and ``attention_output`` (Keras's EinsumDense), with kernels (d_model, heads, key_dim)
(value: value_dim), biases (heads, key_dim), and the output kernel (heads, value_dim, *output).
Each projection runs as one ``dense`` primitive on reshaped operands; the attention itself is
batched matmuls over (batch..., heads, positions, channels), with no loop over heads.

Masks: the explicit ``query_mask`` / ``value_mask`` / ``key_mask`` arguments, else the inputs'
``_keras_mask`` (Keras's attribute), combine with ``attention_mask`` and the causal mask by AND.
"""

from __future__ import annotations

import math
from typing import Any

from numeras import backend, constraints, initializers
from numeras.autodiff import Tensor
from numeras.autodiff.ops import (
    constant,
    dense,
    matmul,
    multiply,
    reshape,
    softmax,
    subtract,
    sum,
    tanh,
    transpose,
    where,
)
from numeras.autodiff.ops.attention import masked_softmax
from numeras.backend import xp
from numeras.layers.core import _serialize_regularizer
from numeras.layers.layer import Layer, _get_regularizer
from numeras.layers.layer_normalization import _set_keras_mask
from numeras.layers.regularization import Dropout
from numeras.symbolic import any_symbolic


def _mask_array(mask: Any) -> Any:
    """A mask (Tensor, array, list) as a boolean array, or None."""
    if mask is None:
        return None
    values = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
    return values if values.dtype == xp.bool_ else values.astype(bool)


def _causal_mask(query_length: int, value_length: int):
    """(1, T, S): position t may attend to s <= t (Keras's lower-triangular mask)."""
    return xp.tril(xp.ones((query_length, value_length), dtype=bool))[None]


class _Projection(Layer):
    """Keras's EinsumDense as MultiHeadAttention uses it: contracts the input's last
    ``contracted`` axes with a kernel of shape (*those axes, *output_dims) and adds a bias of
    shape output_dims. Runs as a single ``dense`` on the flattened operands."""

    def __init__(
        self,
        contracted: int,
        output_dims: tuple,
        use_bias: bool,
        kernel_initializer: Any,
        bias_initializer: Any,
        kernel_regularizer: Any,
        bias_regularizer: Any,
        kernel_constraint: Any,
        bias_constraint: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # Inside MultiHeadAttention the masks are its own business: a projection passes them on.
        self.supports_masking = True
        self.contracted = contracted
        self.output_dims = tuple(output_dims)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.kernel: Any = None
        self.bias: Any = None

    def build(self, input_shape: tuple) -> None:
        contracted_dims = tuple(input_shape[-self.contracted:])
        if any(n is None for n in contracted_dims):
            raise ValueError(
                f"MultiHeadAttention projection '{self.name}': the last {self.contracted} axes of its "
                f"input must be known, received input shape {tuple(input_shape)}."
            )
        self.kernel = self.add_weight(
            name="kernel", shape=contracted_dims + self.output_dims, initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=self.output_dims, initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.data.dtype.kind != "f":
            inputs = constant(inputs.data.astype(self.dtype))
        contracted_dims = tuple(self.kernel.shape[: self.contracted])
        if tuple(inputs.shape[-self.contracted:]) != contracted_dims:
            raise ValueError(
                f"MultiHeadAttention projection '{self.name}': expected inputs ending in "
                f"{contracted_dims}, received shape {tuple(inputs.shape)}."
            )
        n_in, n_out = math.prod(contracted_dims), math.prod(self.output_dims)
        lead = tuple(inputs.shape[: inputs.ndim - self.contracted])
        flat = reshape(inputs, (-1, n_in))
        kernel = reshape(self.kernel, (n_in, n_out))
        bias = reshape(self.bias, (n_out,)) if self.bias is not None else None
        return reshape(dense(flat, kernel, bias), lead + self.output_dims)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)[: len(input_shape) - self.contracted] + self.output_dims


class MultiHeadAttention(Layer):
    """Multi-head attention, as Keras 3's ``layers.MultiHeadAttention``.

    Call ``layer(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
    attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False)``;
    query (B, T, dim), value and key (B, S, dim) (or more axes, with ``attention_axes``). Returns
    (B, T, dim) (or ``output_shape``), and with ``return_attention_scores`` also the attention
    probabilities (B, heads, T, S) before dropout.
    """

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: Any = None,
        attention_axes: Any = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        # Keras 3.15 options numeras does not implement: accepted at their off values only.
        for option, off in (("sliding_window", None), ("flash_attention", None), ("use_gate", False)):
            requested = kwargs.pop(option, off)
            if requested is not None and requested is not False:
                raise ValueError(
                    f"MultiHeadAttention: `{option}={requested!r}` is not implemented in numeras; leave it "
                    f"at {off!r}."
                )
        if not isinstance(num_heads, int) or isinstance(num_heads, bool) or num_heads <= 0:
            raise ValueError(
                f"MultiHeadAttention: `num_heads` must be a positive integer, received num_heads={num_heads!r}."
            )
        if not isinstance(key_dim, int) or isinstance(key_dim, bool) or key_dim <= 0:
            raise ValueError(
                f"MultiHeadAttention: `key_dim` must be a positive integer, received key_dim={key_dim!r}."
            )
        if value_dim is not None and (not isinstance(value_dim, int) or isinstance(value_dim, bool) or value_dim <= 0):
            raise ValueError(
                "MultiHeadAttention: `value_dim` must be a positive integer or None, received "
                f"value_dim={value_dim!r}."
            )
        if not 0 <= float(dropout) < 1:
            raise ValueError(f"MultiHeadAttention: `dropout` must be in [0, 1), received {dropout!r}.")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = dropout
        self._use_bias = bool(use_bias)
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(int(n) for n in output_shape)
            except TypeError:
                raise ValueError(
                    f"MultiHeadAttention: `output_shape` must be an int, tuple or list, received {output_shape!r}."
                ) from None
        self._output_shape_arg = output_shape or None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                f"MultiHeadAttention: `attention_axes` must be an int, list or tuple, received {attention_axes!r}."
            )
        self._attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = _get_regularizer(kernel_regularizer)
        self._bias_regularizer = _get_regularizer(bias_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        self._dropout_layer = Dropout(rate=float(dropout), seed=seed, dtype=self.dtype)
        self._symbolic_scores: tuple | None = None

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    # Keras keeps the projections in private attributes behind public properties, and its weight
    # files name them by the properties (query_dense, ...): numeras stores them under those names.
    _query_dense = property(lambda self: self.query_dense)
    _key_dense = property(lambda self: self.key_dense)
    _value_dense = property(lambda self: self.value_dense)
    _output_dense = property(lambda self: self.output_dense)

    # -- building -----------------------------------------------------------------------
    def _projection(self, name: str, contracted: int, output_dims: tuple) -> _Projection:
        def clone(initializer: Any) -> Any:
            # A fresh initializer per sublayer, as Keras, so seeded ones do not repeat values.
            return initializer.clone() if hasattr(initializer, "clone") else initializer

        return _Projection(
            contracted, output_dims, self._use_bias, clone(self._kernel_initializer),
            clone(self._bias_initializer), self._kernel_regularizer, self._bias_regularizer,
            self._kernel_constraint, self._bias_constraint, name=name, dtype=self.dtype,
        )

    def build(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> None:
        if value_shape is None:
            raise ValueError(
                f"MultiHeadAttention '{self.name}': build needs the value's shape too: "
                "build(query_shape, value_shape, key_shape=None)."
            )
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "MultiHeadAttention: all dimensions of `value` and `key`, except the last one, must be "
                f"equal. Received: value_shape={value_shape} and key_shape={key_shape}."
            )
        heads = self._num_heads
        self.query_dense = self._projection("query", 1, (heads, self._key_dim))
        self.query_dense.build(query_shape)
        self.key_dense = self._projection("key", 1, (heads, self._key_dim))
        self.key_dense.build(key_shape)
        self.value_dense = self._projection("value", 1, (heads, self._value_dim))
        self.value_dense.build(value_shape)
        rank = len(query_shape) + 1  # of the projected (batch..., positions..., heads, channels)
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else (rank - 1) + a for a in self._attention_axes)
        bad = [a for a in self._attention_axes if not 0 < a < rank - 2]
        if bad or not self._attention_axes:
            raise ValueError(
                f"MultiHeadAttention '{self.name}': `attention_axes` must name axes of the query between "
                f"the batch axis and the feature axis (1 to {rank - 3}), received {self._attention_axes} "
                f"for a query of shape {query_shape}."
            )
        output_dims = self._output_shape_arg or (query_shape[-1],)
        self.output_dense = self._projection("attention_output", 2, tuple(output_dims))
        self.output_dense.build((*query_shape[:-1], heads, self._value_dim))
        # The dropout sublayer has no weights; built now, as Keras builds it with the attention,
        # so that a built MultiHeadAttention counts as fully built (saving checks sublayers).
        self._dropout_layer.built = True
        self._build_input_shape = query_shape
        self._build_shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape is not value_shape:
            self._build_shapes["key_shape"] = key_shape

    def get_build_config(self) -> dict | None:
        """Keras's ``{"shapes_dict": {"query_shape": ..., "value_shape": ...[, "key_shape"]}}``:
        the shapes ``build`` received, for saved files Keras can rebuild the layer from."""
        shapes = getattr(self, "_build_shapes", None)
        if not self.built or shapes is None:
            return None
        return {"shapes_dict": {name: list(shape) for name, shape in shapes.items()}}

    # -- calling ------------------------------------------------------------------------
    def __call__(self, query: Any, value: Any = None, key: Any = None, **kwargs: Any) -> Any:
        if value is None:
            raise ValueError(
                f"MultiHeadAttention '{self.name}': call it with a query and a value: "
                "layer(query, value) (self-attention: layer(x, x))."
            )
        symbolic = any_symbolic([query, value, key])
        if not self.built:
            self.build(_shape_of(query), _shape_of(value), None if key is None else _shape_of(key))
        if symbolic:
            self._symbolic_scores = (
                (_shape_of(value), None if key is None else _shape_of(key))
                if kwargs.get("return_attention_scores") else None
            )
            try:
                return super().__call__(query, value, key, **kwargs)
            finally:
                self._symbolic_scores = None
        return super().__call__(query, value, key, **kwargs)

    def call(
        self,
        query: Tensor,
        value: Any,
        key: Any = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: bool | None = None,
        use_causal_mask: bool = False,
    ) -> Any:
        # Masks that travel on the inputs (Keras's `_keras_mask`) stand in for absent arguments.
        if query_mask is None:
            query_mask = getattr(query, "_keras_mask", None)
        if value_mask is None:
            value_mask = getattr(value, "_keras_mask", None)
        if key is None:
            key = value
        elif key_mask is None:
            key_mask = getattr(key, "_keras_mask", None)
        value, key = self._convert_inputs(value), self._convert_inputs(key)
        query_mask = _mask_array(query_mask)
        mask = self._compute_attention_mask(
            query, value, query_mask, _mask_array(value_mask), _mask_array(key_mask),
            _mask_array(attention_mask), use_causal_mask,
        )
        projected_query = self.query_dense(query)
        projected_key = self.key_dense(key)
        projected_value = self.value_dense(value)
        attended, scores = self._compute_attention(
            projected_query, projected_key, projected_value, mask, training, return_attention_scores
        )
        output = self.output_dense(attended)
        if query_mask is not None:
            _set_keras_mask(output, constant(query_mask))
        if return_attention_scores:
            return output, scores
        return output

    def _compute_attention_mask(
        self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
    ):
        """The boolean (B, T, S) mask (or a broadcastable one) of the positions a query may
        attend to: the AND of query_mask (B, T, 1), value_mask and key_mask (B, 1, S), the
        causal mask (1, T, S) and ``attention_mask``; None when there is none."""
        auto = None
        for part in (
            None if query_mask is None else query_mask[..., None],
            None if value_mask is None else value_mask[..., None, :],
            None if key_mask is None else key_mask[..., None, :],
            _causal_mask(query.shape[1], value.shape[1]) if use_causal_mask else None,
        ):
            if part is not None:
                auto = part if auto is None else auto & part
        if attention_mask is not None:
            return attention_mask if auto is None else attention_mask & auto
        return auto

    def _compute_attention(
        self, query: Tensor, key: Tensor, value: Tensor, attention_mask=None, training=None,
        return_attention_scores: bool = False,
    ):
        """Scaled dot-product attention of projected query (B, T..., N, key_dim), key
        (B, S..., N, key_dim) and value (B, S..., N, value_dim): returns the attended values
        (B, T..., N, value_dim) and the attention probabilities (batch..., N, T..., S...)."""
        rank = query.ndim
        attention_axes = self._attention_axes
        batch_axes = tuple(i for i in range(rank - 1) if i not in attention_axes)  # heads included
        order = batch_axes + attention_axes + (rank - 1,)
        batch_shape = tuple(query.shape[i] for i in batch_axes)
        query_positions = tuple(query.shape[i] for i in attention_axes)
        key_positions = tuple(key.shape[i] for i in attention_axes)
        n_query, n_key = math.prod(query_positions), math.prod(key_positions)

        def heads_first(tensor: Tensor, positions: int) -> Tensor:
            moved = tensor if order == tuple(range(rank)) else transpose(tensor, order)
            if len(attention_axes) == 1:
                return moved
            return reshape(moved, (*batch_shape, positions, tensor.shape[-1]))

        scale = xp.asarray(self._inverse_sqrt_key_dim, dtype=query.data.dtype)
        q = heads_first(multiply(query, constant(scale)), n_query)
        k = heads_first(key, n_key)
        v = heads_first(value, n_key)
        scores = matmul(q, transpose(k, (*range(k.ndim - 2), k.ndim - 1, k.ndim - 2)))
        scores_shape = (*batch_shape, *query_positions, *key_positions)
        if len(attention_axes) > 1:
            scores = reshape(scores, scores_shape)
        if attention_mask is not None:
            # Align the mask's trailing (T..., S...) axes with the scores' by inserting the
            # batch-like axes before them, as Keras's _masked_softmax does.
            missing = len(scores_shape) - attention_mask.ndim
            if missing > 0:
                at = attention_mask.ndim - 2 * len(attention_axes)
                attention_mask = attention_mask.reshape(
                    attention_mask.shape[:at] + (1,) * missing + attention_mask.shape[at:]
                )
        softmax_axes = tuple(range(len(scores_shape) - len(attention_axes), len(scores_shape)))
        probabilities = masked_softmax(scores, attention_mask, axis=softmax_axes)
        dropped = self._dropout_layer(probabilities, training=training) if self._dropout > 0 else probabilities
        if len(attention_axes) > 1:
            dropped = reshape(dropped, (*batch_shape, n_query, n_key))
        attended = matmul(dropped, v)
        if len(attention_axes) > 1:
            attended = reshape(attended, (*batch_shape, *query_positions, value.shape[-1]))
        inverse = tuple(order.index(i) for i in range(rank))
        if inverse != tuple(range(rank)):
            attended = transpose(attended, inverse)
        return attended, probabilities

    def compute_output_shape(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> Any:
        query_shape = tuple(query_shape)
        if value_shape is not None:
            value_shape = tuple(value_shape)
            key_shape = value_shape if key_shape is None else tuple(key_shape)
            if value_shape[1:-1] != key_shape[1:-1]:
                raise ValueError(
                    "MultiHeadAttention: all dimensions of `value` and `key`, except the last one, must "
                    f"be equal. Received: value_shape={value_shape} and key_shape={key_shape}."
                )
        output_shape = query_shape[:-1] + (self._output_shape_arg or query_shape[-1:])
        if self._symbolic_scores is not None:
            value_shape, key_shape = self._symbolic_scores
            key_shape = value_shape if key_shape is None else key_shape
            axes = self._attention_axes
            batch = tuple(query_shape[i] for i in range(len(query_shape)) if i not in axes and i < len(query_shape) - 1)
            scores_shape = (
                *batch, self._num_heads, *(query_shape[a] for a in axes), *(key_shape[a] for a in axes)
            )
            return output_shape, scores_shape
        return output_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": False,
            "output_shape": self._output_shape_arg,
            "attention_axes": self._attention_axes,
            "sliding_window": None,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": _serialize_regularizer(self._kernel_regularizer),
            "bias_regularizer": _serialize_regularizer(self._bias_regularizer),
            "activity_regularizer": _serialize_regularizer(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        }


def _shape_of(value: Any) -> tuple:
    shape = getattr(value, "shape", None)
    if shape is None:
        shape = xp.shape(value)
    return tuple(shape)


class Attention(Layer):
    """Dot-product attention (Luong), as Keras 3's ``layers.Attention``.

    Call on ``[query, value]`` or ``[query, value, key]`` (query (B, Tq, dim), value and key
    (B, Tv, dim)) with optional ``mask=[query_mask, value_mask]``: scores = query @ key^T
    (``score_mode='dot'``, times a learnt ``scale`` with ``use_scale``) or
    concat_score_weight * sum(tanh(scale * (query + key))) (``'concat'``); masked value positions
    get -1e9 before the softmax; output = softmax(scores) @ value, zero at masked queries.
    """

    def __init__(
        self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0, seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"{type(self).__name__}: `score_mode` must be 'dot' or 'concat', received score_mode={score_mode!r}."
            )
        if not 0 <= float(dropout) < 1:
            raise ValueError(f"{type(self).__name__}: `dropout` must be in [0, 1), received {dropout!r}.")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        self._generator = backend.make_generator(seed) if seed is not None else None
        self.supports_masking = True
        self._symbolic_scores = False
        self.scale: Any = None
        self.concat_score_weight: Any = None

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("return_attention_scores") and any_symbolic(inputs):
            # compute_output_shape then describes the scores too (symbolic calls read it).
            self._symbolic_scores = True
            try:
                return super().__call__(inputs, *args, **kwargs)
            finally:
                self._symbolic_scores = False
        return super().__call__(inputs, *args, **kwargs)

    def _validate_inputs(self, inputs: Any, mask: Any = None) -> None:
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"{name} layer must be called on a list of inputs, namely [query, value] or "
                f"[query, value, key]. Received: inputs of type {type(inputs).__name__}."
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{name} layer accepts a list of 2 or 3 inputs, namely [query, value] or "
                f"[query, value, key]. Received length: {len(inputs)}."
            )
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(
                    f"{name} layer mask must be a list, namely [query_mask, value_mask]. Received: "
                    f"mask of type {type(mask).__name__}."
                )
            if not 2 <= len(mask) <= 3:
                raise ValueError(f"{name} layer accepts a mask list of length 2 or 3, received length {len(mask)}.")

    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(), initializer="ones")

    def _calculate_scores(self, query: Tensor, key: Tensor) -> Tensor:
        if self.score_mode == "dot":
            scores = matmul(query, transpose(key, (*range(key.ndim - 2), key.ndim - 1, key.ndim - 2)))
            return scores if self.scale is None else multiply(scores, self.scale)
        pairs = reshape(query, (*query.shape[:-1], 1, query.shape[-1])) + reshape(
            key, (*key.shape[:-2], 1, *key.shape[-2:])
        )
        if self.scale is not None:
            pairs = multiply(self.scale, pairs)
        return multiply(self.concat_score_weight, sum(tanh(pairs), axis=-1))

    def _apply_scores(self, scores: Tensor, value: Tensor, scores_mask: Any, training: Any) -> tuple:
        if scores_mask is not None:
            if scores_mask.ndim == 2:
                scores_mask = scores_mask[:, None, :]
            large = 65504.0 if scores.data.dtype == xp.float16 else 1.0e9
            scores = where(constant(~scores_mask), subtract(scores, large), scores)
        weights = softmax(scores, axis=-1)
        if training and self.dropout > 0:
            generator = self._generator or backend.random_generator()
            keep = backend.bernoulli_keep(generator, weights.shape, self.dropout)
            dtype = weights.data.dtype
            weights = multiply(weights, constant(xp.multiply(keep, 1.0 / (1.0 - self.dropout), dtype=dtype)))
        return matmul(weights, value), weights

    def call(
        self,
        inputs: Any,
        mask: Any = None,
        training: bool | None = False,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> Any:
        self._validate_inputs(inputs, mask)
        if mask is None and any(getattr(t, "_keras_mask", None) is not None for t in inputs):
            mask = [getattr(t, "_keras_mask", None) for t in inputs]
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = _mask_array(mask[0]) if mask else None
        value_mask = _mask_array(mask[1]) if mask else None
        scores = self._calculate_scores(query, key)
        scores_mask = value_mask
        if use_causal_mask:
            causal = _causal_mask(scores.shape[-2], scores.shape[-1])
            scores_mask = causal if value_mask is None else value_mask[..., None, :] & causal
        output, weights = self._apply_scores(scores, value, scores_mask, training)
        if query_mask is not None:
            output = where(constant(query_mask[..., None]), output, constant(xp.zeros((), output.data.dtype)))
            _set_keras_mask(output, constant(query_mask))
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return constant(_mask_array(mask[0]))

    def compute_output_shape(self, input_shape: Any) -> Any:
        query_shape, value_shape = tuple(input_shape[0]), tuple(input_shape[1])
        output_shape = (*query_shape[:-1], value_shape[-1])
        if self._symbolic_scores:
            key_shape = tuple(input_shape[2]) if len(input_shape) > 2 else value_shape
            return output_shape, (*query_shape[:-1], key_shape[-2])
        return output_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }


class AdditiveAttention(Attention):
    """Additive attention (Bahdanau), as Keras 3's ``layers.AdditiveAttention``:
    scores = sum(scale * tanh(query + key)) over the features, with a learnt ``scale`` of shape
    (dim,) (glorot_uniform) when ``use_scale``; the rest as ``Attention``."""

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(input_shape[0][-1],), initializer="glorot_uniform")

    def _calculate_scores(self, query: Tensor, key: Tensor) -> Tensor:
        pairs = reshape(query, (*query.shape[:-1], 1, query.shape[-1])) + reshape(
            key, (*key.shape[:-2], 1, *key.shape[-2:])
        )
        activated = tanh(pairs)
        if self.scale is not None:
            activated = multiply(self.scale, activated)
        return sum(activated, axis=-1)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["score_mode"]
        return config
