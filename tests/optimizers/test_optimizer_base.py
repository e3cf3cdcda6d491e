"""What every optimizer shares: building, gradients handling, clipping, weight decay, EMA,
accumulation, learning-rate handling, legacy arguments, state and the no-allocation loop."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest

import numeras as nm
from numeras import optimizers
from numeras.optimizers import schedules

ALL_NAMES = ["SGD", "RMSprop", "Adagrad", "Adam", "AdamW", "Nadam", "Adamax", "Adadelta"]


def _variables(*values, dtype="float32"):
    return [nm.Variable(np.asarray(v, dtype=dtype), name=f"v{i}") for i, v in enumerate(values)]


# -- building, iterations, variables -------------------------------------------------
def test_iterations_is_int64_counts_applies_and_not_builds():
    optimizer = optimizers.Adam()
    assert optimizer.iterations.dtype == "int64"
    assert int(optimizer.iterations) == 0
    (w,) = _variables([1.0, 2.0])
    optimizer.build([w])
    assert int(optimizer.iterations) == 0
    for step in range(1, 4):
        returned = optimizer.apply_gradients([(np.ones(2, np.float32), w)])
        assert int(optimizer.iterations) == step
        assert returned is optimizer.iterations


def test_slot_variables_are_non_trainable_shaped_named_and_ordered_as_keras():
    w, b = _variables(np.ones((3, 2)), np.zeros(2))
    optimizer = optimizers.Adam(amsgrad=True)
    optimizer.build([w, b])
    names = [v.name for v in optimizer.variables]
    assert names == [
        "iteration",
        "learning_rate",
        "v0_momentum",
        "v0_velocity",
        "v1_momentum",
        "v1_velocity",
        "v0_velocity_hat",
        "v1_velocity_hat",
    ]
    assert optimizer.variables[2].path == "adam/v0_momentum"
    for slot, ref in zip(optimizer.variables[2:], [w, w, b, b, w, b]):
        assert not slot.trainable and not slot.requires_grad
        assert slot.shape == ref.shape and slot.dtype == ref.dtype == "float32"
        assert not np.any(slot.numpy())


def test_adamax_slots_interleave_and_nadam_keeps_u_product_last():
    w, b = _variables(np.ones(2), np.ones(3))
    adamax = optimizers.Adamax()
    adamax.build([w, b])
    assert [v.name for v in adamax.variables[2:]] == ["v0_momentum", "v0_norm", "v1_momentum", "v1_norm"]
    nadam = optimizers.Nadam()
    nadam.build([w, b])
    assert nadam.variables[-1].path == "variable" and float(nadam.variables[-1]) == 1.0


def test_sgd_without_momentum_has_no_slots_and_adagrad_starts_at_initial_value():
    (w,) = _variables(np.ones(4))
    sgd = optimizers.SGD()
    sgd.build([w])
    assert [v.name for v in sgd.variables] == ["iteration", "learning_rate"]
    adagrad = optimizers.Adagrad(initial_accumulator_value=0.25)
    adagrad.build([w])
    np.testing.assert_array_equal(adagrad.variables[-1].numpy(), np.full(4, 0.25, np.float32))


def test_apply_without_variables_before_build_raises():
    with pytest.raises(ValueError, match="trainable_variables"):
        optimizers.SGD().apply([np.ones(2, np.float32)])


def test_apply_uses_built_variables_when_none_given():
    (w,) = _variables([1.0, 1.0])
    optimizer = optimizers.SGD(learning_rate=0.5)
    optimizer.build([w])
    optimizer.apply([np.ones(2, np.float32)])
    np.testing.assert_allclose(w.numpy(), [0.5, 0.5])


def test_unknown_variable_and_wrong_shape_and_count_raise_clearly():
    w, other = _variables([1.0], [2.0])
    optimizer = optimizers.SGD()
    optimizer.apply([np.ones(1, np.float32)], [w])
    with pytest.raises(ValueError, match="Unknown variable 'v1'"):
        optimizer.apply([np.ones(1, np.float32)], [other])
    with pytest.raises(ValueError, match=r"shape \(2,\).*shape \(1,\)"):
        optimizer.apply([np.ones(2, np.float32)], [w])
    with pytest.raises(ValueError, match="2 gradients for 1 variables"):
        optimizer.apply([np.ones(1, np.float32)] * 2, [w])


def test_none_gradients_are_skipped_with_a_warning_and_all_none_raises():
    w, b = _variables([1.0], [1.0])
    optimizer = optimizers.SGD(learning_rate=1.0)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['v1'\]"):
        optimizer.apply_gradients([(np.ones(1, np.float32), w), (None, b)])
    np.testing.assert_allclose(w.numpy(), [0.0])
    np.testing.assert_allclose(b.numpy(), [1.0])
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        optimizer.apply_gradients([(None, w), (None, b)])
    assert int(optimizer.iterations) == 1


def test_subset_of_built_variables_can_be_updated():
    w, b = _variables([1.0], [1.0])
    optimizer = optimizers.Adam(learning_rate=0.1)
    optimizer.build([w, b])
    optimizer.apply([np.ones(1, np.float32)], [b])
    assert w.numpy()[0] == 1.0 and b.numpy()[0] < 1.0


def test_gradient_tape_tensors_are_accepted():
    w = nm.Variable(np.array([3.0, -2.0], np.float32))
    optimizer = optimizers.SGD(learning_rate=0.25)
    with nm.GradientTape() as tape:
        loss = nm.ops.sum(w * w)
    grads = tape.gradient(loss, [w])
    optimizer.apply_gradients(zip(grads, [w]))
    np.testing.assert_allclose(w.numpy(), [1.5, -1.0])


# -- dtypes and the gradients we are given -----------------------------------------------
@pytest.mark.parametrize("name", ALL_NAMES)
def test_float32_stays_float32_even_with_float64_gradients(name):
    w, b = _variables(np.ones((4, 3)), np.zeros(3))
    optimizer = getattr(optimizers, name)(learning_rate=0.1)
    optimizer.exclude_from_weight_decay(var_names=["nothing"])
    for _ in range(2):
        optimizer.apply([np.full((4, 3), 0.3), [0.1, -0.2, 0.3]], [w, b])
    assert w.dtype == b.dtype == "float32"
    assert w.numpy().dtype == np.float32
    for slot in optimizer.variables:
        assert slot.dtype in ("float32", "int64")
    assert not np.allclose(w.numpy(), 1.0)


@pytest.mark.parametrize(
    "options",
    [{}, {"clipnorm": 0.1}, {"clipvalue": 0.05}, {"global_clipnorm": 0.1}, {"weight_decay": 0.1}, {"loss_scale_factor": 2.0}],
    ids=lambda o: ",".join(o) or "plain",
)
@pytest.mark.parametrize("name", ALL_NAMES)
def test_given_gradient_arrays_are_never_modified(name, options):
    w, b = _variables(np.ones((4, 3)), np.zeros(3))
    grads = [np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3), np.array([0.5, -2.0, 3.0], np.float32)]
    copies = [g.copy() for g in grads]
    optimizer = getattr(optimizers, name)(**options)
    for _ in range(3):
        optimizer.apply(grads, [w, b])
    for g, c in zip(grads, copies):
        np.testing.assert_array_equal(g, c)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_a_step_allocates_no_gradient_sized_arrays(name):
    # 400x250 float32 = 400 kB per array; a step may allocate small scalars only.
    rng = np.random.default_rng(0)
    variables = [nm.Variable(rng.standard_normal((400, 250)).astype(np.float32)), nm.Variable(np.zeros(250, np.float32))]
    grads = [rng.standard_normal(v.shape).astype(np.float32) for v in variables]
    optimizer = getattr(optimizers, name)(clipnorm=1.0)
    optimizer.apply(grads, variables)  # builds, allocates scratch and clipping buffers
    tracemalloc.start()
    try:
        optimizer.apply(grads, variables)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100_000, f"{name}: a step allocated {peak} bytes"


# -- clipping, weight decay, loss scaling ------------------------------------------------
def test_clipnorm_clips_each_gradient_by_its_own_norm():
    w, b = _variables([0.0, 0.0], [0.0, 0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, clipnorm=1.0)
    optimizer.apply([np.array([3.0, 4.0], np.float32), np.array([0.3, 0.4], np.float32)], [w, b])
    np.testing.assert_allclose(w.numpy(), [-0.6, -0.8], rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), [-0.3, -0.4], rtol=1e-6)


def test_global_clipnorm_scales_all_gradients_together():
    w, b = _variables([0.0, 0.0], [0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, global_clipnorm=2.5)
    # global norm = sqrt(9 + 16 + 0) = 5 -> scale 0.5
    optimizer.apply([np.array([3.0, 4.0], np.float32), np.array([0.0], np.float32)], [w, b])
    np.testing.assert_allclose(w.numpy(), [-1.5, -2.0], rtol=1e-6)
    optimizer.apply([np.array([0.3, 0.4], np.float32), np.array([0.0], np.float32)], [w, b])
    np.testing.assert_allclose(w.numpy(), [-1.8, -2.4], rtol=1e-6)


def test_global_clipnorm_turns_non_finite_gradients_into_nan_as_keras():
    w, b = _variables([0.0], [0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0)
    optimizer.apply([np.array([np.inf], np.float32), np.array([1.0], np.float32)], [w, b])
    assert np.isnan(w.numpy()).all() and np.isnan(b.numpy()).all()


def test_clipvalue_clips_elementwise():
    (w,) = _variables([0.0, 0.0, 0.0])
    optimizers.SGD(learning_rate=1.0, clipvalue=0.5).apply([np.array([2.0, -3.0, 0.25], np.float32)], [w])
    np.testing.assert_allclose(w.numpy(), [-0.5, 0.5, -0.25])


def test_only_one_clipping_option():
    with pytest.raises(ValueError, match="only one of `clipnorm`, `clipvalue` and `global_clipnorm`"):
        optimizers.Adam(clipnorm=1.0, clipvalue=0.5)


def test_weight_decay_is_decoupled_and_exclusions_apply():
    w, bias = _variables([2.0, -4.0], [1.0])
    w.name, bias.name = "dense/kernel", "dense/bias"
    optimizer = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    zero = [np.zeros(2, np.float32), np.zeros(1, np.float32)]
    optimizer.apply(zero, [w, bias])
    # var -= var * wd * lr = var * 0.05
    np.testing.assert_allclose(w.numpy(), [1.9, -3.8], rtol=1e-6)
    np.testing.assert_allclose(bias.numpy(), [1.0])
    optimizer2 = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    optimizer2.exclude_from_weight_decay(var_list=[w])
    optimizer2.apply(zero, [w, bias])
    np.testing.assert_allclose(w.numpy(), [1.9, -3.8], rtol=1e-6)
    np.testing.assert_allclose(bias.numpy(), [0.95], rtol=1e-6)


def test_weight_decay_happens_before_the_update_with_the_current_rate():
    (w,) = _variables([1.0])
    optimizers.SGD(learning_rate=0.1, weight_decay=0.2).apply([np.array([1.0], np.float32)], [w])
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.02 - 0.1], rtol=1e-6)


def test_adamw_requires_weight_decay():
    assert optimizers.AdamW().weight_decay == 0.004
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)


def test_loss_scale_factor_unscales_gradients():
    (w,) = _variables([0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, loss_scale_factor=4.0)
    optimizer.apply([np.array([2.0], np.float32)], [w])
    np.testing.assert_allclose(w.numpy(), [-0.5])
    assert optimizer.scale_loss(3.0) == 12.0


# -- moving average and accumulation -----------------------------------------------------
def test_ema_tracks_weights_and_overwrites_them_on_schedule():
    (w,) = _variables([0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=3)
    optimizer.apply([np.array([-1.0], np.float32)], [w])  # w = 1; first average copies: 1
    average = optimizer.variables[2]
    assert average.name == "v0_average"
    np.testing.assert_allclose(average.numpy(), [1.0])
    optimizer.apply([np.array([-1.0], np.float32)], [w])  # w = 2; average = 0.9 + 0.2
    np.testing.assert_allclose(average.numpy(), [1.1], rtol=1e-6)
    optimizer.apply([np.array([-1.0], np.float32)], [w])  # w = 3; average = 0.99 + 0.3, then w <- average
    np.testing.assert_allclose(average.numpy(), [1.29], rtol=1e-6)
    np.testing.assert_allclose(w.numpy(), [1.29], rtol=1e-6)


def test_finalize_variable_values_copies_the_average():
    (w,) = _variables([0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    optimizer.apply([np.array([-1.0], np.float32)], [w])
    optimizer.apply([np.array([-1.0], np.float32)], [w])
    np.testing.assert_allclose(w.numpy(), [2.0])
    optimizer.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), [1.5])


def test_gradient_accumulation_applies_the_mean_every_n_steps():
    (w,) = _variables([0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=2)
    optimizer.apply([np.array([1.0], np.float32)], [w])
    np.testing.assert_allclose(w.numpy(), [0.0])
    assert int(optimizer.iterations) == 0
    optimizer.apply([np.array([3.0], np.float32)], [w])
    np.testing.assert_allclose(w.numpy(), [-2.0])
    assert int(optimizer.iterations) == 1
    np.testing.assert_allclose(optimizer.variables[2].numpy(), [0.0])  # accumulator reset
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        optimizers.SGD(gradient_accumulation_steps=1)


# -- learning rate ---------------------------------------------------------------------
def test_learning_rate_is_a_float32_variable_and_settable():
    optimizer = optimizers.RMSprop(learning_rate=0.01)
    assert isinstance(optimizer.learning_rate, nm.Variable)
    assert optimizer.learning_rate.dtype == "float32"
    optimizer.learning_rate = 0.5
    assert float(optimizer.learning_rate) == 0.5
    (w,) = _variables([0.0])
    sgd = optimizers.SGD(learning_rate=1.0)
    sgd.learning_rate = 0.25
    sgd.apply([np.array([1.0], np.float32)], [w])
    np.testing.assert_allclose(w.numpy(), [-0.25])


def test_integer_learning_rate_is_accepted_and_bad_ones_rejected():
    assert float(optimizers.SGD(learning_rate=1).learning_rate) == 1.0
    with pytest.raises(ValueError, match="`learning_rate` must be a float"):
        optimizers.SGD(learning_rate="fast")


def test_schedule_is_evaluated_at_the_current_iteration():
    schedule = schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    (w,) = _variables([0.0])
    optimizer = optimizers.SGD(learning_rate=schedule)
    for _ in range(3):
        optimizer.apply([np.array([-1.0], np.float32)], [w])
    np.testing.assert_allclose(w.numpy(), [1.0 + 0.5 + 0.25])
    np.testing.assert_allclose(float(optimizer.learning_rate), 0.125)
    assert all(v.name != "learning_rate" for v in optimizer.variables)
    with pytest.raises(TypeError, match="not settable"):
        optimizer.learning_rate = 0.1


def test_callable_learning_rate_and_switching_to_a_schedule():
    (w,) = _variables([0.0])
    optimizer = optimizers.SGD(learning_rate=lambda: 0.5)
    optimizer.apply([np.array([-1.0], np.float32)], [w])
    np.testing.assert_allclose(w.numpy(), [0.5])
    optimizer2 = optimizers.SGD(learning_rate=0.1)
    optimizer2.learning_rate = schedules.InverseTimeDecay(1.0, 1, 1.0)
    assert [v.name for v in optimizer2.variables] == ["iteration"]


# -- legacy (Keras 2) arguments ----------------------------------------------------------
def test_legacy_lr_is_learning_rate_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match=r"Write RMSprop\(learning_rate=0.01\)"):
        optimizer = optimizers.RMSprop(lr=0.01)
    np.testing.assert_allclose(float(optimizer.learning_rate), 0.01, rtol=1e-7)
    with pytest.raises(TypeError, match="both `lr=0.1` and `learning_rate=0.2`"):
        optimizers.SGD(lr=0.1, learning_rate=0.2)


def test_legacy_decay_is_inverse_time_decay_per_iteration():
    with pytest.warns(DeprecationWarning, match="InverseTimeDecay"):
        optimizer = optimizers.SGD(learning_rate=1.0, decay=0.5)
    (w,) = _variables([0.0])
    for _ in range(3):
        optimizer.apply([np.array([-1.0], np.float32)], [w])
    # old Keras: lr_t = lr / (1 + decay * iterations), iterations = 0, 1, 2
    np.testing.assert_allclose(w.numpy(), [1.0 + 1 / 1.5 + 1 / 2.0], rtol=1e-6)
    with pytest.warns(DeprecationWarning, match="does nothing"):
        optimizers.Adam(decay=0.0)
    with pytest.raises(ValueError, match="needs a float learning rate"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.9), decay=0.1)


def test_legacy_warning_points_at_the_callers_line():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optimizers.AdamW(lr=0.1)
    assert caught and caught[0].filename == __file__


def test_legacy_epsilon_none_means_backend_epsilon():
    assert optimizers.RMSprop(epsilon=None).epsilon == nm.backend.epsilon()


def test_unknown_keyword_is_a_type_error_naming_it_and_the_valid_ones():
    with pytest.raises(TypeError, match=r"`learnin_rate`.*did you mean `learning_rate`.*Valid arguments are:.*rho"):
        optimizers.RMSprop(learnin_rate=0.1)
    with pytest.raises(TypeError, match="`foo`"):
        optimizers.SGD(foo=1)


def test_sgd_momentum_out_of_range_is_rejected():
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)


# -- state ---------------------------------------------------------------------------
def test_saved_state_restores_training_exactly():
    rng = np.random.default_rng(3)
    start = rng.standard_normal((3, 2)).astype(np.float32)
    grads = [rng.standard_normal((3, 2)).astype(np.float32) for _ in range(4)]
    w1 = nm.Variable(start)
    first = optimizers.Nadam(learning_rate=0.01)
    for g in grads[:2]:
        first.apply([g], [w1])
    store: dict = {}
    first.save_own_variables(store)
    assert sorted(store) == [str(i) for i in range(len(first.variables))]

    w2 = nm.Variable(w1.numpy())
    second = optimizers.Nadam(learning_rate=0.01)
    second.build([w2])
    second.load_own_variables(store)
    for g in grads[2:]:
        first.apply([g], [w1])
        second.apply([g], [w2])
    np.testing.assert_array_equal(w1.numpy(), w2.numpy())
    assert int(second.iterations) == 4


def test_set_weights_checks_count_and_shapes():
    (w,) = _variables(np.ones(3))
    optimizer = optimizers.Adam()
    with pytest.raises(ValueError, match="not built"):
        optimizer.set_weights([])
    optimizer.build([w])
    with pytest.raises(ValueError, match="expected 4 arrays"):
        optimizer.set_weights([np.zeros(3)])
    with pytest.raises(ValueError, match="shape"):
        optimizer.set_weights([np.array(5), np.array(0.1), np.zeros(2), np.zeros(3)])
    optimizer.set_weights([np.array(5), np.array(0.1), np.ones(3), np.full(3, 2.0)])
    assert int(optimizer.iterations) == 5
    np.testing.assert_array_equal(optimizer.variables[3].numpy(), np.full(3, 2.0, np.float32))


def test_custom_subclass_with_keras_style_update_step():
    class SignSGD(optimizers.Optimizer):
        def __init__(self, learning_rate=0.1, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)

        def update_step(self, gradient, variable, learning_rate):
            self.assign_sub(variable, nm.ops.sign(gradient) * learning_rate)

    (w,) = _variables([0.0, 0.0])
    optimizer = SignSGD()
    assert optimizer.name == "sign_sgd" or optimizer.name.startswith("sign_sgd")
    optimizer.apply([np.array([3.0, -0.1], np.float32)], [w])
    np.testing.assert_allclose(w.numpy(), [-0.1, 0.1], rtol=1e-6)
    with pytest.raises(TypeError, match="`moment`"):
        SignSGD(moment=0.9)
