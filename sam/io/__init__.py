"""Tensor files: Matrix Market, FROSTT, .npy and the reference's formatted
directories. Every reader returns a :class:`sam.formats.Tensor`; every error
is a :class:`TensorFileError` (a :class:`sam.errors.UserError`) naming the
file and, where there is one, the line."""

from __future__ import annotations

import inspect
from pathlib import Path

from ..formats import Format, Tensor
from .common import TensorFileError, atomic_output
from .formatted import formatted_files, load_formatted, save_formatted
from .mtx import load_mtx, mtx_header, save_mtx
from .npy import load_npy, save_npy
from .tns import load_tns, save_tns

__all__ = [
    "TensorFileError", "load_tensor", "save_tensor", "OUTPUT_SUFFIXES", "atomic_output",
    "load_mtx", "save_mtx", "mtx_header", "load_tns", "save_tns",
    "load_npy", "save_npy", "load_formatted", "save_formatted", "formatted_files",
]

_EXTS = ".mtx, .tns, .npy or a formatted directory"


def load_tensor(path: "str | Path", fmt: "Format | str | None" = None,
                name: str | None = None, **options) -> Tensor:
    """Read a tensor, choosing the reader by extension (``.mtx``, ``.tns``,
    ``.npy``) or, for a directory, the formatted layout (``name`` required).
    ``options`` go to the reader (``as_vector`` for .mtx, ``shape`` for
    .tns, ``dtype`` for all)."""
    p = Path(path)
    if p.is_dir():
        if name is None:
            raise TensorFileError(f"{p}: a formatted directory holds several tensors; "
                                  f"give the tensor name")
        return load_formatted(p, name, fmt, **options)
    if not p.exists():
        raise TensorFileError(f"{p}: no such file or directory")
    readers = {".mtx": load_mtx, ".tns": load_tns, ".npy": load_npy}
    reader = readers.get(p.suffix.lower())
    if reader is None:
        raise TensorFileError(f"{p}: unknown tensor file type {p.suffix!r}; use {_EXTS}")
    try:
        inspect.signature(reader).bind(p, fmt, name=name, **options)
    except TypeError as e:
        raise TensorFileError(f"{p}: bad option for a {p.suffix} file ({e})") from None
    return reader(p, fmt, name=name, **options)


_WRITERS = {".mtx": save_mtx, ".tns": save_tns, ".npy": save_npy, "": save_formatted}

#: Suffixes :func:`save_tensor` writes ("" = a formatted directory).
OUTPUT_SUFFIXES = tuple(_WRITERS)


def save_tensor(tensor: Tensor, path: "str | Path") -> None:
    """Write a tensor, choosing the writer by extension: ``.mtx`` (order 1 or
    2), ``.tns`` (any order), ``.npy`` (dense); a path without extension is
    a formatted directory (files named after ``tensor.name``). Each file is
    replaced atomically (:func:`atomic_output`)."""
    p = Path(path)
    writer = _WRITERS.get(p.suffix.lower())
    if writer is None:
        raise TensorFileError(f"{p}: unknown tensor file type {p.suffix!r}; use {_EXTS}")
    writer(tensor, p)
