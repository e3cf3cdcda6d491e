"""Preprocessing layers: rescaling images, and turning text and categories into numbers."""

from numeras.layers.preprocessing.category_encoding import CategoryEncoding
from numeras.layers.preprocessing.hashing import Hashing
from numeras.layers.preprocessing.integer_lookup import IntegerLookup
from numeras.layers.preprocessing.rescaling import Rescaling
from numeras.layers.preprocessing.string_lookup import StringLookup
from numeras.layers.preprocessing.text_vectorization import TextVectorization

__all__ = ["CategoryEncoding", "Hashing", "IntegerLookup", "Rescaling", "StringLookup", "TextVectorization"]
