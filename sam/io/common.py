"""Shared helpers of the tensor readers and writers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UserError
from ..formats import Format, FormatError, Tensor

__all__ = ["TensorFileError", "build_tensor", "parse_number"]


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
