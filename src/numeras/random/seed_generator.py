"""``SeedGenerator`` and the rule that turns a ``seed`` argument into a NumPy generator.

Keras's random ops take ``seed=None`` (the global generator that
``numeras.utils.set_random_seed`` seeds: each call gets new numbers, a seeded program repeats),
an int (the same numbers on every call) or a ``SeedGenerator`` (a reproducible stream: its state
``[seed, counter]`` seeds each draw and then advances). As in Keras's NumPy backend, a draw with
state ``[seed, counter]`` uses ``numpy.random.default_rng([seed, counter])``, so the first draw of
``SeedGenerator(42)`` equals a draw with ``seed=42``.
"""

from __future__ import annotations

import random as python_random
from typing import Any

import numpy

from numeras import backend
from numeras.autodiff.variable import Variable


def make_default_seed() -> int:
    """A seed for a ``SeedGenerator(seed=None)``, drawn from Python's ``random`` (which
    ``set_random_seed`` seeds, so seeded programs still repeat)."""
    return python_random.randint(1, int(1e9))


class SeedGenerator:
    """The state of a stream of random draws: ``[seed, counter]``, advanced by :meth:`next`.

    ``gen = numeras.random.SeedGenerator(1337)`` then ``numeras.random.normal((2, 3), seed=gen)``
    twice gives two different, reproducible tensors. The state is a non-trainable uint32 Variable
    named ``seed_generator_state``.
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        from numeras.utils.naming import auto_name

        kwargs.pop("backend", None)
        if kwargs:
            raise ValueError(f"SeedGenerator: unrecognized keyword arguments: {kwargs}.")
        self.name = name if name is not None else auto_name(type(self).__name__)
        self._initial_seed = seed
        if seed is None:
            seed = make_default_seed()
        if not isinstance(seed, (int, numpy.integer)) or isinstance(seed, bool):
            raise ValueError(f"SeedGenerator: argument `seed` must be an integer. Received: seed={seed!r}")
        self.state = Variable(
            numpy.array([int(seed) % 2**32, 0], dtype="uint32"),
            dtype="uint32",
            trainable=False,
            name="seed_generator_state",
        )

    def next(self, ordered: bool = True) -> numpy.ndarray:
        """The current state (a copy), after which the state moves on: the counter steps by one
        (``ordered=True``) or the whole state is scrambled as Keras does (``ordered=False``)."""
        current = self.state.data.copy()
        if ordered:
            self.state.data[1] += numpy.uint32(1)
        else:
            self.state.data[...] = (current.astype("uint64") + 1) * 5387 % 933199
        return current

    def get_config(self) -> dict[str, Any]:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<SeedGenerator name={self.name!r} state={self.state.data.tolist()}>"


def generator_for(seed: Any) -> numpy.random.Generator:
    """The NumPy generator one random op draws from for its ``seed`` argument."""
    if seed is None:
        return backend.random_generator()
    if isinstance(seed, SeedGenerator):
        return numpy.random.default_rng(seed.next())
    if isinstance(seed, (int, numpy.integer)) and not isinstance(seed, bool):
        return numpy.random.default_rng(numpy.array([int(seed) % 2**32, 0], dtype="uint32"))
    raise ValueError(
        "Argument `seed` must be either an integer or an instance of `SeedGenerator` (or None for the "
        f"global generator). Received: seed={seed!r} (of type {type(seed)})"
    )


__all__ = ["SeedGenerator", "generator_for", "make_default_seed"]
