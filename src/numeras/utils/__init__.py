"""``numeras.utils``: Keras's small helpers: one-hot labels, normalisation, seeding, progress bars,
padding and multi-hot encoding of sequences, cached downloads, datasets read from disk
(``Dataset``, ``image_dataset_from_directory``, ``text_dataset_from_directory``,
``timeseries_dataset_from_array``) with the image helpers (``load_img`` ...), and ``PyDataset``
(alias ``Sequence``) for datasets written as numbered batches.

Every name is imported on first use: the low-level modules here (``tree``, ``naming``) serve the
backend and the engine, so importing this package must not import anything above them.
"""


import importlib as _importlib

_LAZY = {
    "to_categorical": ("numeras.utils.numerical_utils", "to_categorical"),
    "normalize": ("numeras.utils.numerical_utils", "normalize"),
    "set_random_seed": ("numeras.backend", "set_random_seed"),
    "get_file": ("numeras.utils.file_utils", "get_file"),
    "pad_sequences": ("numeras.utils.sequence", "pad_sequences"),
    "vectorize_sequences": ("numeras.utils.sequence", "vectorize_sequences"),
    "Progbar": ("numeras.utils.progbar", "Progbar"),
    "plot_history": ("numeras.callbacks.history_plot", "plot_history"),
    "Dataset": ("numeras.utils.dataset", "Dataset"),
    "split_dataset": ("numeras.utils.dataset_utils", "split_dataset"),
    "image_dataset_from_directory": ("numeras.utils.image_dataset_utils", "image_dataset_from_directory"),
    "text_dataset_from_directory": ("numeras.utils.text_dataset_utils", "text_dataset_from_directory"),
    "timeseries_dataset_from_array": ("numeras.utils.timeseries_dataset_utils", "timeseries_dataset_from_array"),
    "load_img": ("numeras.utils.image_utils", "load_img"),
    "img_to_array": ("numeras.utils.image_utils", "img_to_array"),
    "array_to_img": ("numeras.utils.image_utils", "array_to_img"),
    "save_img": ("numeras.utils.image_utils", "save_img"),
    "smart_resize": ("numeras.utils.image_utils", "smart_resize"),
    "PyDataset": ("numeras.utils.py_dataset", "PyDataset"),
    "plot_model": ("numeras.utils.model_visualization", "plot_model"),
    "model_to_dot": ("numeras.utils.model_visualization", "model_to_dot"),
    "Sequence": ("numeras.utils.py_dataset", "Sequence"),
}


def __getattr__(name: str):
    # Imported on first use, so `import numeras` stays fast.
    if name == "np_utils":  # Keras 2's module, kept for old programs
        module = _importlib.import_module("numeras.utils.np_utils")
        globals()[name] = module
        return module
    if name in _LAZY:
        module_name, attribute = _LAZY[name]
        value = getattr(_importlib.import_module(module_name), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'numeras.utils' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | {"np_utils"})


__all__ = [
    "to_categorical",
    "normalize",
    "set_random_seed",
    "Progbar",
    "plot_history",
    "PyDataset",
    "Sequence",
    "get_file",
    "pad_sequences",
    "vectorize_sequences",
    "Dataset",
    "split_dataset",
    "image_dataset_from_directory",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "load_img",
    "img_to_array",
    "array_to_img",
    "save_img",
    "smart_resize",
    "plot_model",
    "model_to_dot",
]
