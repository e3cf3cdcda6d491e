"""``numeras.preprocessing``: Keras's ``keras.preprocessing`` namespace — the dataset makers
(``image_dataset_from_directory``, ``text_dataset_from_directory``,
``timeseries_dataset_from_array``, also in ``numeras.utils``) and the ``image`` module with the
first edition's ``ImageDataGenerator``."""

from __future__ import annotations

from numeras.preprocessing import image
from numeras.utils.image_dataset_utils import image_dataset_from_directory
from numeras.utils.text_dataset_utils import text_dataset_from_directory
from numeras.utils.timeseries_dataset_utils import timeseries_dataset_from_array

__all__ = ["image", "image_dataset_from_directory", "text_dataset_from_directory", "timeseries_dataset_from_array"]
