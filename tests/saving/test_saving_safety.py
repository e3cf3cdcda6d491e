"""A crash mid-save never breaks the previous file; a damaged or hostile file gives a clear
numeras error naming the file (never a crash deep inside zipfile/h5py/json); loading never
runs code named or stored in the file."""

from __future__ import annotations

import builtins
import importlib
import io
import json
import marshal
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
import warnings
import zipfile

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from saving_helpers import fixture, mnist_like, seed_mlp

import numeras
from numeras import layers, models
from numeras.saving import SavedFileError, saving_lib

# Every error a bad file may raise: all are ValueErrors that name the file and the problem.
FILE_ERRORS = (SavedFileError, numeras.saving.UnknownObjectError, numeras.saving.UnsafeDeserializationError)


def _small_model():
    model = models.Sequential([layers.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    model.fit(np.ones((4, 3), "float32"), np.eye(2, dtype="float32")[[0, 1, 0, 1]], batch_size=2, verbose=0)
    return model


X_SMALL = np.linspace(0, 1, 6, dtype="float32").reshape(2, 3)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A real .keras and .weights.h5 of a small trained model, with its predictions."""
    directory = tmp_path_factory.mktemp("small")
    model = _small_model()
    model.save(directory / "m.keras")
    model.save_weights(directory / "m.weights.h5")
    return {
        "keras": (directory / "m.keras").read_bytes(),
        "weights": (directory / "m.weights.h5").read_bytes(),
        "prediction": model.predict(X_SMALL, verbose=0),
    }


def _members(payload: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict, compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


def _load_bytes(tmp_path, payload: bytes, name="bad.keras"):
    path = tmp_path / name
    path.write_bytes(payload)
    return models.load_model(path)


def _assert_file_error(tmp_path, payload, match, name="bad.keras"):
    with pytest.raises(FILE_ERRORS, match=match) as info:
        _load_bytes(tmp_path, payload, name)
    assert name in str(info.value)
    return info.value


# -- atomic saves ---------------------------------------------------------------------------
_CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from numeras import backend, layers, models
    from numeras.saving import h5_store

    target, method = sys.argv[1], sys.argv[2]
    backend.set_random_seed(99)  # other weights than the file being replaced
    model = models.Sequential([layers.Input((784,)), layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    real_put = h5_store.H5Writer.put
    written = []

    def put_then_stall(self, group, key, value):
        real_put(self, group, key, value)
        written.append(key)
        if len(written) == 5:  # about half of the 10 datasets
            self.file.flush()
            print("HALF", flush=True)
            time.sleep(120)

    h5_store.H5Writer.put = put_then_stall
    getattr(model, method)(target)
    print("FINISHED", flush=True)
    """
)


@pytest.mark.parametrize("name, method", [("m.keras", "save"), ("m.weights.h5", "save_weights")])
def test_killed_mid_save_leaves_the_previous_file_intact(tmp_path, name, method):
    model = seed_mlp()
    target = tmp_path / name
    getattr(model, method)(target)
    x, _ = mnist_like(4)
    before = model.predict(x, verbose=0)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(target), method], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and "HALF" not in line:
            line = child.stdout.readline()
            if not line and child.poll() is not None:
                break
        assert "HALF" in line, f"the child never got halfway: {child.stderr.read()[-2000:]}"
        leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(f".{name}.") and p.name.endswith(".tmp")]
        assert leftovers and leftovers[0].stat().st_size > 0  # the new file was being written...
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    # ...but never at the destination, which still holds the complete old file.
    if method == "save":
        reloaded = models.load_model(target)
    else:
        reloaded = seed_mlp(train=False)
        reloaded.load_weights(target)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), before, rtol=1e-6, atol=1e-7)
    assert int(reloaded.optimizer.iterations.numpy()) == 2


def _kill_mid_save(target, method):
    """Start a process saving a model to ``target``, SIGKILL it halfway, reap it, and return
    the temporary files it left (asserting that it did leave one)."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(target), method], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and "HALF" not in line:
            line = child.stdout.readline()
            if not line and child.poll() is not None:
                break
        assert "HALF" in line, f"the child never got halfway: {child.stderr.read()[-2000:]}"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    leftovers = sorted(p.name for p in target.parent.iterdir() if p.name.startswith(f".{target.name}.") and p.name.endswith(".tmp"))
    assert leftovers and str(child.pid) in leftovers[0]  # the dead writer's pid is in the name
    return leftovers


@pytest.mark.parametrize("name, method", [("m.keras", "save"), ("m.weights.h5", "save_weights")])
def test_next_save_removes_the_temporary_file_of_a_killed_save(tmp_path, name, method):
    model = seed_mlp()
    target = tmp_path / name
    getattr(model, method)(target)
    _kill_mid_save(target, method)
    # A live writer's temporary file (this test's parent process stands in for it) is kept.
    live = tmp_path / f".{name}.{os.getppid()}.abcd_123.tmp"
    live.write_bytes(b"being written")
    getattr(model, method)(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, live.name])


def test_load_removes_the_temporary_file_of_a_killed_save(tmp_path):
    model = seed_mlp()
    target = tmp_path / "m.keras"
    model.save(target)
    _kill_mid_save(target, "save")
    models.load_model(target)
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


def test_stale_temporaries_of_other_files_are_not_touched(tmp_path):
    model = seed_mlp(train=False)
    dead_pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead_pid.stdout)  # that process has exited and been reaped
    others = [f".other.keras.{pid}.abcdefgh.tmp", f".m.keras.{pid}.too_long_name.tmp", f".m.keras.x{pid}.abcdefgh.tmp"]
    for other in others:
        (tmp_path / other).write_bytes(b"x")
    (tmp_path / f".m.keras.{pid}.abcdefgh.tmp").write_bytes(b"x")
    model.save(tmp_path / "m.keras")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.keras", *others])


def test_failed_save_keeps_the_old_file_and_cleans_up(tmp_path, monkeypatch):
    model = seed_mlp(train=False)
    model.save(tmp_path / "m.keras")
    old = (tmp_path / "m.keras").read_bytes()

    def broken_put(self, group, key, value):
        raise OSError("disk full")

    monkeypatch.setattr(numeras.saving.h5_store.H5Writer, "put", broken_put)
    with pytest.raises(OSError, match="disk full"):
        model.save(tmp_path / "m.keras")
    assert (tmp_path / "m.keras").read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


def test_saved_file_gets_normal_permissions(tmp_path):
    seed_mlp(compile=False, train=False).save(tmp_path / "m.keras")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "m.keras").stat().st_mode & 0o777 == 0o666 & ~umask


# -- damaged archives -------------------------------------------------------------------------
def test_not_a_zip(tmp_path):
    _assert_file_error(tmp_path, b"definitely not a zip", "zip archive")


def test_hdf5_file_named_keras_gets_a_hint(tmp_path, small):
    _assert_file_error(tmp_path, small["weights"], "It is an HDF5 file")


def test_empty_file(tmp_path):
    _assert_file_error(tmp_path, b"", "empty file")


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_archive(tmp_path, small, fraction):
    _assert_file_error(tmp_path, small["keras"][: int(len(small["keras"]) * fraction)], "corrupted|zip")


def test_missing_members(tmp_path, small):
    members = _members(small["keras"])
    _assert_file_error(tmp_path, _zip({k: v for k, v in members.items() if k != "config.json"}), "no config.json")
    _assert_file_error(tmp_path, _zip({k: v for k, v in members.items() if k != "model.weights.h5"}), "no model.weights.h5")


def test_flipped_byte_in_weights_is_caught_by_the_zip_checksum(tmp_path, small):
    payload = bytearray(small["keras"])
    start = payload.index(b"\x89HDF")
    payload[start + 2000] ^= 0xFF
    _assert_file_error(tmp_path, bytes(payload), "model.weights.h5 cannot be read.*CRC")


@pytest.mark.parametrize("bad_name", ["../evil.txt", "/etc/evil", "assets/../../x", "C:\\evil", "a\\..\\b"])
def test_unsafe_member_names(tmp_path, small, bad_name):
    members = _members(small["keras"])
    members[bad_name] = b"x"
    _assert_file_error(tmp_path, _zip(members), "unsafe name")


def test_duplicate_member_names(tmp_path, small):
    members = _members(small["keras"])
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it writes
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, payload in members.items():
                archive.writestr(name, payload)
            archive.writestr("config.json", b"{}")
    _assert_file_error(tmp_path, buffer.getvalue(), "two members named 'config.json'")


def test_decompression_bomb_is_refused_before_inflating(tmp_path, small, monkeypatch):
    monkeypatch.setattr(saving_lib, "_BOMB_FLOOR_BYTES", 1 << 20)
    members = _members(small["keras"])
    members["model.weights.h5"] = bytes(8 << 20)  # 8 MiB of zeros: deflates ~1000:1
    _assert_file_error(tmp_path, _zip(members, zipfile.ZIP_DEFLATED), "decompression bomb")


# -- hostile config.json ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "config, match",
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b"[" * 200_000 + b"]" * 200_000, "not valid JSON|nested"),  # a JSON bomb for the parser
        (json.dumps(json.loads("[" * 900 + "]" * 900)).encode(), "does not describe a model"),
        (b'{"class_name": "Sequential", "config": ' + b"[" * 900 + b"]" * 900 + b"}", "nested more than"),
        (b"1" * 5000, "not valid JSON"),  # an integer too long to convert
        (b'{"class_name": "Sequential"}', "does not describe a model"),
        (b'{"class_name": "Conv9D", "config": {}, "module": "keras.layers"}', "no equivalent of the Keras class 'Conv9D'"),
    ],
)
def test_hostile_configs(tmp_path, small, config, match):
    members = _members(small["keras"])
    members["config.json"] = config
    _assert_file_error(tmp_path, _zip(members), match)


def _with_config(small, edit):
    members = _members(small["keras"])
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    return _zip(members)


def test_absurd_units_give_a_clear_error(tmp_path, small):
    def edit(config):
        config["config"]["layers"][1]["config"]["units"] = 2**45

    _assert_file_error(tmp_path, _with_config(small, edit), "Dense 'dense.*memory|Dense 'dense")


def test_absurd_input_shape_gives_a_clear_error(tmp_path, small):
    def edit(config):
        config["config"]["layers"][0]["config"]["batch_shape"] = [None, -7]

    _assert_file_error(tmp_path, _with_config(small, edit), "batch_shape.*-7")


def test_architecture_that_does_not_match_the_weights(tmp_path, small):
    def edit(config):
        config["config"]["layers"][1]["config"]["units"] = 5

    error = _assert_file_error(tmp_path, _with_config(small, edit), r"shape \(3, 5\).*shape \(3, 2\)")
    assert "layers/dense/vars/0" in str(error)


# -- hostile HDF5 -------------------------------------------------------------------------------
def _weights_with(small, build):
    """The small model's archive with model.weights.h5 rebuilt by ``build(h5file, original)``."""
    members = _members(small["keras"])
    buffer = io.BytesIO()
    with h5py.File(io.BytesIO(members["model.weights.h5"]), "r") as original, h5py.File(buffer, "w") as f:
        build(f, original)
    members["model.weights.h5"] = buffer.getvalue()
    return _zip(members)


def _copy_except(f, original, skip):
    def visit(name, obj):
        if name == skip or name.startswith(skip + "/"):
            return
        if isinstance(obj, h5py.Dataset):
            f.create_dataset(name, data=obj[()])
        else:
            f.require_group(name)

    original.visititems(visit)


def test_soft_link_in_h5_is_refused(tmp_path, small):
    def build(f, original):
        _copy_except(f, original, "layers/dense/vars/0")
        f["layers/dense/vars/0"] = h5py.SoftLink("/layers/dense/vars/1")

    _assert_file_error(tmp_path, _weights_with(small, build), "SoftLink.*plain entries")


def test_external_link_in_h5_is_refused(tmp_path, small):
    def build(f, original):
        _copy_except(f, original, "layers/dense/vars/0")
        f["layers/dense/vars/0"] = h5py.ExternalLink("/etc/passwd", "/secret")

    _assert_file_error(tmp_path, _weights_with(small, build), "ExternalLink")


def test_external_storage_dataset_is_refused(tmp_path, small):
    def build(f, original):
        _copy_except(f, original, "layers/dense/vars/0")
        f.create_dataset("layers/dense/vars/0", shape=(3, 2), dtype="float32", external=[("/etc/hostname", 0, 24)])

    _assert_file_error(tmp_path, _weights_with(small, build), "external files")


def test_shape_bomb_dataset_is_never_read(tmp_path, small):
    def build(f, original):
        _copy_except(f, original, "layers/dense/vars/0")
        f.create_dataset("layers/dense/vars/0", shape=(2**40, 2**10), dtype="float32", chunks=(1, 1024), compression="gzip")

    start = time.monotonic()
    _assert_file_error(tmp_path, _weights_with(small, build), r"shape \(1099511627776, 1024\)")
    assert time.monotonic() - start < 10


def test_text_where_a_weight_should_be(tmp_path, small):
    def build(f, original):
        _copy_except(f, original, "layers/dense/vars/0")
        f.create_dataset("layers/dense/vars/0", data=np.array([[b"ab", b"cd"]] * 3))

    _assert_file_error(tmp_path, _weights_with(small, build), "not numbers")


def test_group_where_a_weight_should_be(tmp_path, small):
    def build(f, original):
        _copy_except(f, original, "layers/dense/vars/0")
        f.create_group("layers/dense/vars/0")

    _assert_file_error(tmp_path, _weights_with(small, build), "should be a dataset")


def test_garbage_weights_file(tmp_path):
    path = tmp_path / "w.weights.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(300))
    model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    with pytest.raises(SavedFileError, match="w.weights.h5.*not a readable HDF5"):
        model.load_weights(path)


# -- no code runs while loading -----------------------------------------------------------------
def test_loading_calls_no_code_execution_machinery(monkeypatch):
    files = ("seed_mlp.keras", "layers_mix.keras", "functional.keras", "custom_layer.keras", "seed_mlp_keras2.h5")

    def load_all():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in files:
                models.load_model(fixture(name))

    load_all()  # numeras's own submodules are imported lazily: get that done first

    def forbidden(*args, **kwargs):
        raise AssertionError("loading a file must not run eval/exec/compile/marshal/pickle")

    for owner, name in [(builtins, "eval"), (builtins, "exec"), (builtins, "compile"), (marshal, "loads"), (pickle, "loads")]:
        monkeypatch.setattr(owner, name, forbidden)
    real_import_module = importlib.import_module
    real_import = builtins.__import__
    imported = []

    def import_module(name, package=None):
        imported.append(name)
        return real_import_module(name, package)

    def recording_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name.split(".")[0] not in sys.modules:
            imported.append(name)
        return real_import(name, globals, locals, fromlist, level)

    monkeypatch.setattr(importlib, "import_module", import_module)
    monkeypatch.setattr(builtins, "__import__", recording_import)
    load_all()
    assert [name for name in imported if not name.startswith("numeras")] == []


# -- fuzzing ------------------------------------------------------------------------------------
mutations = st.one_of(
    st.tuples(st.just("flip"), st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 255)), min_size=1, max_size=4)),
    st.tuples(st.just("truncate"), st.integers(0, 10**9)),
    st.tuples(st.just("insert"), st.tuples(st.integers(0, 10**9), st.binary(min_size=1, max_size=16))),
    st.tuples(st.just("delete"), st.tuples(st.integers(0, 10**9), st.integers(1, 64))),
)


def _mutate(payload: bytes, mutation) -> bytes:
    kind, arguments = mutation
    data = bytearray(payload)
    if kind == "flip":
        for position, value in arguments:
            data[position % len(data)] = value
    elif kind == "truncate":
        data = data[: arguments % len(data)]
    elif kind == "insert":
        position, extra = arguments
        data[position % len(data) : position % len(data)] = extra
    else:
        position, length = arguments
        del data[position % len(data) : position % len(data) + length]
    return bytes(data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=mutations)
def test_fuzzed_keras_archive_loads_identically_or_fails_cleanly(tmp_path, small, mutation):
    payload = _mutate(small["keras"], mutation)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = _load_bytes(tmp_path, payload)
    except FILE_ERRORS as error:
        assert "bad.keras" in str(error)
        return
    # The zip's checksums mean a file that loads is the original one.
    np.testing.assert_allclose(model.predict(X_SMALL, verbose=0), small["prediction"], rtol=1e-6)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=mutations)
def test_fuzzed_weights_file_loads_or_fails_cleanly(tmp_path, small, mutation):
    path = tmp_path / "bad.weights.h5"
    path.write_bytes(_mutate(small["weights"], mutation))
    model = _small_model()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.load_weights(path)
    except SavedFileError as error:
        assert "bad.weights.h5" in str(error)


json_values = st.one_of(
    st.none(), st.booleans(), st.sampled_from([-1, 0, 1, 2, 3, 2**40, -(2**40), 10**30]),
    st.sampled_from([0.5, -1.0, float("nan"), float("inf")]), st.text(max_size=8),
    st.lists(st.sampled_from([None, 1, "a"]), max_size=3), st.dictionaries(st.sampled_from(["class_name", "config", "x"]), st.sampled_from([None, "Dense", {}]), max_size=3),
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choice=st.integers(0, 10**6), replacement=json_values)
def test_fuzzed_config_values_fail_cleanly(tmp_path, small, choice, replacement):
    config = json.loads(_members(small["keras"])["config.json"])
    paths = list(_paths(config))[1:]
    path = paths[choice % len(paths)]

    def edit(config):
        target = config
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = replacement

    payload = _with_config(small, edit)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _load_bytes(tmp_path, payload)
    except FILE_ERRORS as error:
        assert "bad.keras" in str(error)
