"""``numeras run script.py [args]``: run an unmodified Keras program on numeras.

For the duration of the run an import hook (a ``sys.meta_path`` finder) makes ``keras``,
``keras.<module>``, ``tensorflow.keras`` and ``tensorflow.keras.<module>`` the numeras modules of
the same names, so ``import keras``, ``from keras.layers import Dense`` and
``from tensorflow import keras`` all give numeras. ``tensorflow`` itself becomes a stand-in whose
only working attribute is ``keras``: any other TensorFlow API (``tf.GradientTape``,
``tf.data.Dataset``...) fails with an error naming numeras's equivalent where there is one.

The script runs as ``__main__`` with ``sys.argv`` set to its own path and arguments; its exit code
and uncaught exceptions pass through unchanged.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
import types
from collections.abc import Iterator, Sequence
from typing import Any

USAGE = """usage: numeras run SCRIPT [ARGS ...]

Run a Keras program with numeras: `import keras`, `from keras import layers`,
`from tensorflow import keras` and `from tensorflow.keras.layers import Dense` resolve to numeras
for this run only. SCRIPT sees ARGS in sys.argv[1:].

other commands:
  numeras launch -n N [--hostfile FILE] [--keras] SCRIPT [ARGS ...]
                       run SCRIPT on N processes with MPI (numeras.distribution)
  numeras --version    print numeras's version
  numeras --help       print this message
"""

# TensorFlow APIs a Keras program may use directly, and what to write with numeras instead.
_TENSORFLOW_EQUIVALENTS = {
    "GradientTape": "numeras.GradientTape",
    "Variable": "numeras.Variable",
    "Tensor": "numeras.Tensor",
    "constant": "numeras.ops.convert_to_tensor",
    "convert_to_tensor": "numeras.ops.convert_to_tensor",
    "reduce_mean": "numeras.ops.mean",
    "reduce_sum": "numeras.ops.sum",
    "reduce_max": "numeras.ops.max",
    "reduce_min": "numeras.ops.min",
    "concat": "numeras.ops.concatenate",
    "range": "numeras.ops.arange",
    "random": "numeras.random (and numeras.utils.set_random_seed for tf.random.set_seed)",
    "function": "numeras runs eagerly: remove the @tf.function decorator",
    "math": "numeras.ops",
    "nn": "numeras.ops (relu, softmax, sigmoid...)",
    "__version__": "numeras is not TensorFlow: numeras.__version__ gives numeras's version",
}


def _dataset_equivalent() -> str:
    from numeras import utils

    if "Dataset" in dir(utils):
        return "numeras.utils.Dataset"
    return "numeras has no tf.data yet: pass NumPy arrays, or a Python generator of (x, y) batches, to fit"


def tensorflow_equivalent(name: str) -> str | None:
    """What numeras offers for the TensorFlow API ``tf.<name>`` (a dotted path), or None."""
    head = name.split(".")[0]
    if head == "data":
        return _dataset_equivalent()
    if name == "random.set_seed":
        return "numeras.utils.set_random_seed"
    if name in _TENSORFLOW_EQUIVALENTS or head in _TENSORFLOW_EQUIVALENTS:
        return _TENSORFLOW_EQUIVALENTS.get(name, _TENSORFLOW_EQUIVALENTS.get(head))
    from numeras import ops

    last = name.split(".")[-1]
    if last in dir(ops) or hasattr(ops, last):
        return f"numeras.ops.{last}"
    return None


def _tensorflow_message(name: str) -> str:
    equivalent = tensorflow_equivalent(name)
    if equivalent is None:
        hint = " numeras has no equivalent."
    elif equivalent.startswith("numeras."):
        hint = f" Use {equivalent} instead."
    else:
        hint = f" {equivalent}."
    return (
        f"`tf.{name}` is TensorFlow's own API, which `numeras run` does not provide: it maps only "
        f"`tensorflow.keras` (to numeras).{hint}"
    )


class TensorFlowAPIError(AttributeError):
    """A TensorFlow API other than ``tf.keras`` was used in a program run by ``numeras run``."""


class _TensorFlowStandIn(types.ModuleType):
    """``tensorflow`` during ``numeras run``: ``tf.keras`` is numeras, anything else an error."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__") and name != "__version__":
            raise AttributeError(name)
        if name == "keras":  # `import tensorflow as tf` then `tf.keras.layers.Dense`
            return importlib.import_module("tensorflow.keras")
        raise TensorFlowAPIError(_tensorflow_message(name))


class _AliasLoader(importlib.abc.Loader):
    """Loads an alias by handing back the already imported numeras module."""

    def __init__(self, target: str | None) -> None:
        self.target = target
        self._original_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        if self.target is None:
            standin = _TensorFlowStandIn("tensorflow", "numeras's stand-in for TensorFlow (numeras run)")
            standin.__path__ = []  # a package, so `import tensorflow.keras` reaches the finder
            return standin
        module = importlib.import_module(self.target)
        self._original_spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run (the numeras module ran when first imported); the import system has
        just set the alias's spec on it, so its own spec goes back (importlib.resources and
        pickle read it)."""
        if self._original_spec is not None:
            module.__spec__ = self._original_spec


class KerasAliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``keras*`` and ``tensorflow.keras*`` to ``numeras*``; ``tensorflow`` to a stand-in."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        top = fullname.split(".")[0]
        if top not in ("keras", "tensorflow"):
            return None
        if fullname == "tensorflow":
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(None), is_package=True)
        numeras_name = numeras_name_for(fullname)
        if numeras_name is None:
            raise ModuleNotFoundError(_tensorflow_message(fullname.split(".", 1)[1]), name=fullname)
        if numeras_name != "numeras" and importlib.util.find_spec(numeras_name) is None:
            private = " (`keras.src` is Keras's private implementation; import from the public `keras.*` modules)" if ".src" in fullname else ""
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: `numeras run` resolves it to {numeras_name!r}, which numeras "
                f"does not have{private}. numeras's modules: {', '.join(_numeras_submodules())}.",
                name=fullname,
            )
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(numeras_name), is_package=True)


def numeras_name_for(fullname: str) -> str | None:
    """The numeras module a Keras module name stands for (``keras.layers`` -> ``numeras.layers``,
    ``tensorflow.keras.models`` -> ``numeras.models``, ``keras.src.losses`` -> ``numeras.losses``);
    None for TensorFlow modules outside ``tensorflow.keras``."""
    parts = fullname.split(".")
    if parts[0] == "tensorflow":
        if len(parts) < 2 or parts[1] != "keras":
            return None
        parts = parts[1:]
    rest = parts[1:]
    if rest[:1] == ["src"]:
        rest = rest[1:]
    return ".".join(["numeras", *rest])


def _numeras_submodules() -> list[str]:
    import numeras

    return sorted(getattr(numeras, "_SUBMODULES", ()))


_ALIASED_TOPS = ("keras", "tensorflow")


def _aliased_module_names() -> list[str]:
    return [name for name in sys.modules if name.split(".")[0] in _ALIASED_TOPS]


@contextlib.contextmanager
def keras_alias() -> Iterator[KerasAliasFinder]:
    """Within the block, ``keras`` and ``tensorflow.keras`` imports give numeras. Modules of those
    names imported before are set aside and put back afterwards."""
    saved = {name: sys.modules.pop(name) for name in _aliased_module_names()}
    import numeras

    # `import keras.src...` sets `src` on the module named `keras`, which is numeras itself.
    had_src = "src" in vars(numeras)
    finder = KerasAliasFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield finder
    finally:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)
        for name in _aliased_module_names():
            del sys.modules[name]
        sys.modules.update(saved)
        if not had_src and vars(numeras).get("src") is numeras:
            del numeras.src


def run_script(path: str, args: Sequence[str] = ()) -> None:
    """Run the Python file ``path`` as ``__main__`` with ``sys.argv = [path, *args]`` and Keras
    imports resolved to numeras. Exceptions (``SystemExit`` included) propagate to the caller."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"numeras run: no such file {path!r}.")
    import numeras

    print(
        f"numeras run: `keras` and `tensorflow.keras` imports in {path} resolve to numeras "
        f"{numeras.__version__} for this run.",
        file=sys.stderr,
        flush=True,
    )
    saved_argv = sys.argv[:]
    saved_path0 = sys.path[0] if sys.path else None
    sys.argv = [path, *args]
    # As `python script.py` does: the script's own folder comes first on the import path.
    script_dir = os.path.dirname(os.path.abspath(path))
    if sys.path:
        sys.path[0] = script_dir
    else:
        sys.path.insert(0, script_dir)
    try:
        with keras_alias():
            runpy.run_path(path, run_name="__main__")
    finally:
        sys.argv = saved_argv
        if saved_path0 is not None:
            sys.path[0] = saved_path0


def main(argv: Sequence[str] | None = None) -> int:
    """The ``numeras`` command: ``numeras run SCRIPT [ARGS ...]``, ``numeras launch -n N SCRIPT``,
    ``--version``, ``--help``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE, end="", file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    if argv[0] == "--version":
        import numeras

        print(f"numeras {numeras.__version__}")
        return 0
    if argv[0] == "launch":
        from numeras.distribution.launch import main as launch

        return launch(argv[1:])
    if argv[0] != "run":
        print(f"numeras: unknown command {argv[0]!r}; the command is `numeras run SCRIPT [ARGS ...]`.\n", file=sys.stderr)
        print(USAGE, end="", file=sys.stderr)
        return 2
    if len(argv) < 2:
        print("numeras run: give the script to run, e.g. `numeras run train.py --epochs 3`.", file=sys.stderr)
        return 2
    script = argv[1]
    if not os.path.isfile(script):
        print(f"numeras run: can't open file {script!r}: no such file.", file=sys.stderr)
        return 2
    try:
        run_script(script, argv[2:])
    except Exception as error:  # SystemExit and KeyboardInterrupt pass through untouched
        # Report it as `python script.py` would: through sys.excepthook, exit status 1, and the
        # traceback starting at the script (the runner's own frames are left out).
        traceback = error.__traceback__
        script_path = os.path.abspath(script)
        frame = traceback
        while frame is not None and os.path.abspath(frame.tb_frame.f_code.co_filename) != script_path:
            frame = frame.tb_next
        if frame is not None:
            error = error.with_traceback(frame)
        sys.excepthook(type(error), error, error.__traceback__)
        return 1
    return 0


__all__ = ["KerasAliasFinder", "TensorFlowAPIError", "keras_alias", "main", "numeras_name_for", "run_script", "tensorflow_equivalent"]
