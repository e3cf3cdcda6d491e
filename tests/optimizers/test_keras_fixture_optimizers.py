"""Ftrl, Lion, Lamb, Adafactor, Muon, Nadam and LossScaleOptimizer against Keras 3.15
(tests/optimizers/fixtures/make_fixtures.py): three steps from fixed weights and gradients, the
weights and every optimizer variable after each step, the variables' paths and names in Keras's
order, and ``get_config``; plus save/load of a loss scale optimizer's state."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from numeras import optimizers
from numeras.autodiff.variable import Variable
from numeras.utils.naming import reset_names

HERE = os.path.join(os.path.dirname(__file__), "fixtures")
EXPECTED = np.load(os.path.join(HERE, "expected.npz"))
with open(os.path.join(HERE, "expected.json")) as f:
    META = json.load(f)

# The constructor arguments of each fixture case (make_fixtures.py's CASES), as numeras calls.
CASES = {
    "ftrl_default": lambda: optimizers.Ftrl(learning_rate=0.1),
    "ftrl_regularized": lambda: optimizers.Ftrl(
        learning_rate=0.2,
        learning_rate_power=-0.3,
        initial_accumulator_value=0.5,
        l1_regularization_strength=0.05,
        l2_regularization_strength=0.1,
        l2_shrinkage_regularization_strength=0.02,
        beta=0.3,
    ),
    "lion_default": lambda: optimizers.Lion(),
    "lion_custom": lambda: optimizers.Lion(learning_rate=0.01, beta_1=0.7, beta_2=0.9, weight_decay=0.1),
    "lamb_default": lambda: optimizers.Lamb(learning_rate=0.01),
    "adafactor_default": lambda: optimizers.Adafactor(learning_rate=0.01),
    "adafactor_custom": lambda: optimizers.Adafactor(
        learning_rate=0.5, beta_2_decay=-0.6, epsilon_2=1e-2, clip_threshold=0.5, relative_step=False
    ),
    "muon_default": lambda: optimizers.Muon(learning_rate=0.01),
    "muon_plain": lambda: optimizers.Muon(
        learning_rate=0.02, nesterov=False, rms_rate=None, ns_steps=3, momentum=0.8, adam_lr_ratio=0.5, weight_decay=0.01
    ),
    "nadam_default": lambda: optimizers.Nadam(learning_rate=0.01),
    "schedule_free_adamw_default": lambda: optimizers.ScheduleFreeAdamW(),
    "schedule_free_adamw_warmup": lambda: optimizers.ScheduleFreeAdamW(
        learning_rate=0.05, beta_1=0.8, beta_2=0.99, epsilon=1e-6, warmup_steps=2, weight_decay=0.01
    ),
    "multi_optimizer": lambda: optimizers.MultiOptimizer(
        optimizers.OptimizerMap(optimizers.SGD(learning_rate=0.1, momentum=0.5), {"b": optimizers.Adam(learning_rate=0.01)})
    ),
    "loss_scale_sgd": lambda: optimizers.LossScaleOptimizer(
        optimizers.SGD(learning_rate=0.1, momentum=0.9), initial_scale=8.0, dynamic_growth_steps=2
    ),
}


def _gradients(case: str, step: int):
    gw = EXPECTED[f"grads/{step}/w"]
    if case == "loss_scale_sgd" and step == 1:
        gw = EXPECTED["inf_grads/1/w"]
    return [gw, EXPECTED[f"grads/{step}/b"]]


def _run(case: str):
    reset_names()
    optimizer = CASES[case]()
    w = Variable(EXPECTED["w0"].copy(), name="w")
    b = Variable(EXPECTED["b0"].copy(), name="b")
    optimizer.build([w, b])
    return optimizer, w, b


def test_cases_cover_the_fixtures():
    assert set(CASES) == set(META)


@pytest.mark.parametrize("case", sorted(CASES))
def test_three_steps_match_keras(case):
    optimizer, w, b = _run(case)
    for step in range(3):
        optimizer.apply(_gradients(case, step), [w, b])
        np.testing.assert_allclose(w.numpy(), EXPECTED[f"{case}/{step}/w"], rtol=2e-5, atol=2e-6, err_msg=f"w, step {step}")
        np.testing.assert_allclose(b.numpy(), EXPECTED[f"{case}/{step}/b"], rtol=2e-5, atol=2e-6, err_msg=f"b, step {step}")
        for index, variable in enumerate(optimizer.variables):
            np.testing.assert_allclose(
                variable.numpy(),
                EXPECTED[f"{case}/{step}/var{index}"],
                rtol=2e-5,
                atol=2e-6,
                err_msg=f"{variable.path}, step {step}",
            )


@pytest.mark.parametrize("case", sorted(CASES))
def test_variable_paths_names_and_config_match_keras(case):
    optimizer, _, _ = _run(case)
    expected = META[case]["variables"]
    actual = [[v.path, v.name, str(v.dtype), list(v.shape)] for v in optimizer.variables]
    assert [a[:2] + a[3:] for a in actual] == [e[:2] + e[3:] for e in expected]
    # numeras counts iterations in int64 (Keras: int32); every other dtype matches.
    assert [a[2] for a in actual if a[1] != "iteration"] == [e[2] for e in expected if e[1] != "iteration"]
    assert optimizer.get_config() == META[case]["config"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_round_trips_through_serialize(case):
    optimizer, _, _ = _run(case)
    rebuilt = optimizers.deserialize(optimizers.serialize(optimizer))
    assert type(rebuilt) is type(optimizer)
    assert rebuilt.get_config() == optimizer.get_config()


@pytest.mark.parametrize("name", ["ftrl", "lion", "lamb", "adafactor", "muon", "Ftrl", "LAMB", "schedulefreeadamw"])
def test_get_by_name(name):
    assert type(optimizers.get(name)).__name__.lower() == name.lower()


def test_loss_scale_optimizer_state_saves_and_loads():
    optimizer, w, b = _run("loss_scale_sgd")
    for step in range(3):
        optimizer.apply(_gradients("loss_scale_sgd", step), [w, b])
    store: dict = {}
    optimizer.save_own_variables(store)
    assert len(store) == len(optimizer.variables) == 8
    fresh, w2, b2 = _run("loss_scale_sgd")
    fresh.load_own_variables(store)
    for saved, loaded in zip(optimizer.variables, fresh.variables):
        np.testing.assert_array_equal(saved.numpy(), loaded.numpy())
    assert float(fresh.dynamic_scale.numpy()) == float(optimizer.dynamic_scale.numpy())


def test_loss_scale_optimizer_passes_float32_updates_through():
    # scale_loss then unscaling the gradients gives the inner optimizer's own update.
    wrapped, w, b = _run("loss_scale_sgd")
    plain = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    w_plain, b_plain = Variable(EXPECTED["w0"].copy(), name="w"), Variable(EXPECTED["b0"].copy(), name="b")
    grads = _gradients("loss_scale_sgd", 0)
    scale = float(wrapped.scale_loss(1.0))
    wrapped.apply([g * np.float32(scale) for g in grads], [w, b])
    plain.apply(grads, [w_plain, b_plain])
    np.testing.assert_allclose(w.numpy(), w_plain.numpy(), rtol=1e-6)
    assert int(wrapped.iterations.numpy()) == 1


def test_loss_scale_optimizer_rejects_base_arguments_with_keras_message():
    with pytest.raises(ValueError, match="set `clipnorm` on the `inner_optimizer`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="dynamic=False"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic=False)


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda: optimizers.Ftrl(learning_rate_power=0.5), "learning_rate_power"),
        (lambda: optimizers.Ftrl(initial_accumulator_value=-1.0), "initial_accumulator_value"),
        (lambda: optimizers.Lion(beta_1=0.0), "beta_1"),
    ],
)
def test_invalid_arguments_name_the_argument(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()


def test_unknown_keyword_argument_is_a_value_error_as_in_keras():
    with pytest.raises(ValueError, match="`beta1`: did you mean `beta_1`"):
        optimizers.Lion(beta1=0.9)


def _fitted(optimizer, tmp_path=None):
    import numeras
    from numeras import layers, models

    numeras.utils.set_random_seed(0)
    model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    model.fit(x, x[:, :2] * 2, epochs=2, batch_size=4, verbose=0)
    return model


@pytest.mark.parametrize(
    "make",
    [
        lambda: optimizers.LossScaleOptimizer(optimizers.SGD(0.1)),
        lambda: optimizers.SGD(0.1, loss_scale_factor=128.0),
    ],
)
def test_fit_with_loss_scaling_matches_fit_without(make):
    # fit scales the loss before differentiating and the optimizer unscales the gradients.
    plain = _fitted(optimizers.SGD(0.1)).get_weights()
    scaled = _fitted(make()).get_weights()
    for a, b in zip(plain, scaled):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_model_with_loss_scale_optimizer_saves_and_loads(tmp_path):
    from numeras import models

    model = _fitted(optimizers.LossScaleOptimizer(optimizers.Adam(0.01), initial_scale=64.0))
    path = tmp_path / "scaled.keras"
    model.save(path)
    loaded = models.load_model(path)
    assert type(loaded.optimizer) is optimizers.LossScaleOptimizer
    assert type(loaded.optimizer.inner_optimizer) is optimizers.Adam
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    for saved, restored in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(saved.numpy(), restored.numpy())


def test_model_with_multi_optimizer_routes_by_path_and_saves_and_loads(tmp_path):
    from numeras import models

    bias_optimizer = optimizers.Adam(0.01)
    multi = optimizers.MultiOptimizer(optimizers.OptimizerMap(optimizers.SGD(0.1), {".*bias": bias_optimizer}))
    model = _fitted(multi)
    kernel, bias = model.layers[-1].kernel, model.layers[-1].bias
    assert multi.optimizers[multi._optimizer_index[id(bias)]] is bias_optimizer
    assert multi.optimizers[multi._optimizer_index[id(kernel)]] is not bias_optimizer
    assert int(multi.iterations.numpy()) == int(bias_optimizer.iterations.numpy()) == 8
    with pytest.raises(AttributeError, match="sub-optimizers"):
        multi.learning_rate  # noqa: B018
    path = tmp_path / "multi.keras"
    model.save(path)
    loaded = models.load_model(path)
    assert type(loaded.optimizer) is optimizers.MultiOptimizer
    assert loaded.optimizer.get_config() == multi.get_config()
    for saved, restored in zip(multi.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(saved.numpy(), restored.numpy())


@pytest.mark.parametrize("name", ["Adam", "SGD", "RMSprop", "Adagrad", "Ftrl", "Optimizer"])
def test_legacy_optimizers_raise_import_error_naming_the_replacement(name):
    with pytest.raises(ImportError, match=f"numeras.optimizers.{name}"):
        getattr(optimizers.legacy, name)(learning_rate=0.1)
