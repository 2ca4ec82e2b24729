"""Dense numpy arrays (.npy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..formats import Format, FormatError, Tensor
from .common import TensorFileError, atomic_output

__all__ = ["load_npy", "save_npy"]


def load_npy(path: "str | Path", fmt: "Format | str | None" = None, *,
             name: str | None = None, dtype=None) -> Tensor:
    """Read a dense ``.npy`` array (any order, 0-d for a scalar). ``fmt``
    defaults to all-dense levels in mode order; zeros are not stored in
    compressed levels."""
    path = Path(path)
    name = path.stem if name is None else name
    try:
        a = np.load(path, allow_pickle=False)
    except OSError as e:
        raise TensorFileError(f"{path}: cannot open: {e.strerror or e}") from None
    except ValueError as e:
        raise TensorFileError(f"{path}: not a readable .npy array ({e})") from None
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf":
        kind = getattr(a, "dtype", type(a))
        raise TensorFileError(f"{path}: holds {kind} data; only integer, boolean and real "
                              f"arrays can be tensors")
    try:
        return Tensor.from_dense(a, fmt, name, dtype=dtype)
    except FormatError as e:
        raise TensorFileError(f"{path}: {e}") from None


def save_npy(tensor: Tensor, path: "str | Path") -> None:
    """Write ``tensor.to_dense()``."""
    with atomic_output(Path(path), ".npy") as tmp:
        np.save(tmp, tensor.to_dense(), allow_pickle=False)
