"""Shared helpers of the tensor readers and writers."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..formats import Format, FormatError, Tensor

__all__ = ["TensorFileError", "build_tensor", "parse_number", "atomic_output"]


class TensorFileError(UserError):
    """A tensor file that cannot be read or written; the message names the
    file (and line, when there is one) and the problem."""


def build_tensor(path: Path, coords, vals, shape, fmt, name, dtype) -> Tensor:
    """``Tensor.from_coo`` with errors prefixed by the file name."""
    order = len(shape)
    try:
        f = Format.uniform("s", order) if fmt is None else Format.parse(fmt)
        if f.order != order:
            raise TensorFileError(f"{path}: the file holds an order-{order} tensor "
                                  f"(shape {tuple(shape)}) but format {f} has order {f.order}")
        return Tensor.from_coo(coords, vals, shape, f, name, dtype=dtype)
    except FormatError as e:
        raise TensorFileError(f"{path}: {e}") from None


def parse_number(word: str) -> int | float:
    """An int if ``word`` spells one, else a float; ValueError otherwise."""
    try:
        return int(word)
    except ValueError:
        return float(word)


def vals_array(values: list) -> np.ndarray:
    """int64 if every value is an int, else float64 (a forced dtype is
    applied, with its checks, when the Tensor is built)."""
    if all(type(v) is int for v in values):
        return np.asarray(values, dtype=np.int64)
    return np.asarray(values, dtype=np.float64)


_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_output(path: Path, suffix: str = ""):
    """Yield a temporary path next to ``path``; when the block ends without
    an error, the temporary file replaces ``path`` in one rename, otherwise
    it is removed. A failed write never leaves a partial or stale-looking
    file. ``suffix`` is kept on the temporary name (``np.save`` appends
    ``.npy`` to names without it). Errors are :class:`TensorFileError`
    naming ``path``."""
    path = Path(path)
    parent = path.parent
    if not parent.is_dir():
        raise TensorFileError(f"{path}: cannot write: directory {parent} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or ".tmp",
                                   dir=parent)
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_UMASK)     # mkstemp makes 0600; keep the usual mode
    except OSError as e:
        raise TensorFileError(f"{path}: cannot write: {e.strerror or e}") from None
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except OSError as e:
        raise TensorFileError(f"{path}: cannot write: {e.strerror or e}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
