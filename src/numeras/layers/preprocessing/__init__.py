"""Preprocessing layers: rescaling, resizing and augmenting images, normalizing and bucketing
features, and turning text and categories into numbers."""

from numeras.layers.preprocessing.category_encoding import CategoryEncoding
from numeras.layers.preprocessing.discretization import Discretization
from numeras.layers.preprocessing.hashing import Hashing
from numeras.layers.preprocessing.image_preprocessing import (
    CenterCrop,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Resizing,
)
from numeras.layers.preprocessing.integer_lookup import IntegerLookup
from numeras.layers.preprocessing.normalization import Normalization
from numeras.layers.preprocessing.rescaling import Rescaling
from numeras.layers.preprocessing.string_lookup import StringLookup
from numeras.layers.preprocessing.text_vectorization import TextVectorization

__all__ = [
    "CategoryEncoding",
    "CenterCrop",
    "Discretization",
    "Hashing",
    "IntegerLookup",
    "Normalization",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
    "StringLookup",
    "TextVectorization",
]
