"""FROSTT (.tns) reader and writer: one entry per line, ``i j k ... value``
with 1-based coordinates, any order; ``#`` starts a comment line. Files we
write carry a ``# shape: d0 d1 ...`` comment, which the reader honours when
no explicit shape is given (so trailing empty slices and empty tensors
round-trip); otherwise the shape is the largest coordinate of each mode."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..formats import Format, Tensor
from .common import TensorFileError, atomic_output, build_tensor, parse_number, vals_array

__all__ = ["load_tns", "save_tns"]


def load_tns(path: "str | Path", fmt: "Format | str | None" = None, *,
             name: str | None = None, shape=None, dtype=None) -> Tensor:
    """Read a FROSTT file. ``fmt`` defaults to all-compressed levels in mode
    order; ``shape`` (tensor mode order) must cover every coordinate. Values
    are int64 when every value is an integer, else float64 (or ``dtype``)."""
    path = Path(path)
    name = path.stem if name is None else name
    try:
        fh = open(path, "r", encoding="utf-8", errors="replace")
    except OSError as e:
        raise TensorFileError(f"{path}: cannot open: {e.strerror}") from None
    order = None
    rows: list[list[int]] = []
    values: list = []
    lines: list[int] = []
    header_shape = None
    with fh:
        for lineno, line in enumerate(fh, 1):
            s = line.strip()
            if not s:
                continue
            if s.startswith("#"):
                body = s[1:].strip()
                if body.lower().startswith("shape:") and header_shape is None:
                    try:
                        header_shape = tuple(int(w) for w in body[6:].split())
                    except ValueError:
                        raise TensorFileError(f"{path}:{lineno}: bad shape comment {s!r}; "
                                              f"expected '# shape: d0 d1 ...'") from None
                continue
            words = s.split()
            if order is None:
                order = len(words) - 1
            if len(words) != order + 1:
                raise TensorFileError(
                    f"{path}:{lineno}: expected {order} coordinates and a value "
                    f"({order + 1} fields, as on the first entry line), got {len(words)}")
            crd = []
            for j, w in enumerate(words[:-1]):
                try:
                    c = int(w)
                except ValueError:
                    c = 0
                if c < 1:
                    raise TensorFileError(
                        f"{path}:{lineno}: coordinate {w!r} (field {j + 1}) is not a "
                        f"positive integer; FROSTT coordinates are 1-based")
                crd.append(c - 1)
            try:
                v = parse_number(words[-1])
            except ValueError:
                raise TensorFileError(f"{path}:{lineno}: value {words[-1]!r} is not a "
                                      f"number") from None
            rows.append(crd)
            values.append(v)
            lines.append(lineno)
    if shape is None:
        shape = header_shape
    if order is None:
        if shape is None:
            raise TensorFileError(f"{path}: no entries and no shape; pass a shape or add "
                                  f"a '# shape: d0 d1 ...' comment")
        order = len(shape)
    coords = (np.array(rows, dtype=np.int64).T if rows
              else np.zeros((order, 0), dtype=np.int64))
    if shape is None:
        shape = tuple(int(m) + 1 for m in coords.max(axis=1))
    shape = tuple(int(d) for d in shape)
    if len(shape) != order:
        raise TensorFileError(f"{path}: entries have {order} coordinates but the shape "
                              f"{shape} has {len(shape)} dimensions")
    for m in range(order):
        if rows and coords[m].max() >= shape[m]:
            i = int(np.argmax(coords[m]))
            raise TensorFileError(
                f"{path}:{lines[i]}: mode-{m} coordinate {int(coords[m][i]) + 1} is larger "
                f"than the dimension {shape[m]} of shape {shape}")
    return build_tensor(path, coords, vals_array(values), shape, fmt, name, dtype)


def save_tns(tensor: Tensor, path: "str | Path") -> None:
    """Write ``tensor`` as FROSTT text (nonzero entries, 1-based) with a
    ``# shape:`` comment."""
    path = Path(path)
    coords, vals = tensor.to_coo()
    lines = [f"# shape: {' '.join(map(str, tensor.shape))}\n"]
    for i in range(len(vals)):
        crd = " ".join(str(int(c) + 1) for c in coords[:, i])
        lines.append(f"{crd} {vals[i].item()!r}\n" if crd else f"{vals[i].item()!r}\n")
    with atomic_output(path) as tmp:
        tmp.write_text("".join(lines))
