"""Readers of weights files, one format per module; each returns the tensors under the file's own names.

Nothing here executes code from a file: no pickle (PyTorch's `weights_only` loader at most), no Keras
deserialization, only arrays and JSON.
"""
