"""The NumPy reference of every kernel, one module per family (see ``numeras.backend.kernels``)."""
