"""``numeras.random``: Keras 3's random ops (normal, uniform, truncated_normal, randint,
categorical, dropout, shuffle, gamma, binomial, beta) and ``SeedGenerator``."""

from numeras.random.random import (
    beta,
    binomial,
    categorical,
    dropout,
    gamma,
    normal,
    randint,
    shuffle,
    truncated_normal,
    uniform,
)
from numeras.random.seed_generator import SeedGenerator

__all__ = [
    "SeedGenerator",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]
