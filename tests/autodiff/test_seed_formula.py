"""The first gradient of the book, derived by hand: output = relu(dot(W, input) + b).

With mask = (W @ input + b > 0), the gradient of sum(output) is
    dW = mask[:, None] * input[None, :],   db = mask,   dinput = W^T @ mask.
"""

import numpy as np
import pytest

import numeras as nm
from numeras import ops


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("seed", [0, 1, 3])
def test_relu_dense_gradient_matches_the_hand_derived_formula(dtype, seed):
    rng = np.random.default_rng(seed)
    W_value = rng.standard_normal((3, 4)).astype(dtype)
    b_value = rng.standard_normal(3).astype(dtype)
    input_value = rng.standard_normal(4).astype(dtype)
    W, b = nm.Variable(W_value, name="W"), nm.Variable(b_value, name="b")
    x = nm.Tensor(input_value)

    with nm.GradientTape() as tape:
        tape.watch(x)
        output = ops.relu(ops.dot(W, x) + b)
        loss = ops.sum(output)
    dW, db, dx = tape.gradient(loss, [W, b, x])

    pre_activation = W_value @ input_value + b_value
    mask = (pre_activation > 0).astype(dtype)
    assert 0 < mask.sum() < 3  # the seeds were picked so that the mask matters: some units are off
    np.testing.assert_allclose(output.numpy(), np.maximum(pre_activation, 0), rtol=1e-6)
    np.testing.assert_allclose(dW.numpy(), mask[:, None] * input_value[None, :], rtol=1e-6)
    np.testing.assert_allclose(db.numpy(), mask, rtol=1e-6)
    np.testing.assert_allclose(dx.numpy(), W_value.T @ mask, rtol=1e-6)
    for g in (dW, db, dx, output):
        assert g.dtype == dtype
    assert dW.shape == (3, 4) and db.shape == (3,) and dx.shape == (4,)
