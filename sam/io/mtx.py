"""Matrix Market (.mtx) reader and writer, on top of ``scipy.io``.

The header is checked here (so errors name the file and line and list the
accepted values); the body is read by ``scipy.io.mmread`` and its errors are
re-worded as ``file:line: message``. Real fields give float64 values,
integer fields int64, pattern fields the int64 value 1; symmetric and
skew-symmetric matrices are expanded to both triangles (scipy does it).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse

from ..formats import Format, FormatError, Tensor
from .common import TensorFileError, atomic_output, build_tensor

__all__ = ["load_mtx", "save_mtx", "mtx_header"]

_OBJECTS = ("matrix",)
_LAYOUTS = ("coordinate", "array")
_FIELDS = ("real", "integer", "pattern", "double")
_SYMMETRIES = ("general", "symmetric", "skew-symmetric")


def mtx_header(path: "str | Path") -> dict:
    """Read and check the banner and size line of a Matrix Market file.

    Returns ``{'layout', 'field', 'symmetry', 'shape', 'entries',
    'size_line', 'first_line'}`` (``entries`` is None for array layout;
    ``first_line`` is the 1-based line number of the first data line).
    """
    path = Path(path)
    try:
        fh = open(path, "r", encoding="utf-8", errors="replace")
    except OSError as e:
        raise TensorFileError(f"{path}: cannot open: {e.strerror}") from None
    with fh:
        banner = fh.readline()
        words = banner.split()
        if not words or words[0].lower() != "%%matrixmarket":
            raise TensorFileError(
                f"{path}:1: not a Matrix Market file: the first line must start with "
                f"'%%MatrixMarket matrix coordinate real general' (or similar)")
        if len(words) != 5:
            raise TensorFileError(
                f"{path}:1: the banner needs 4 words after %%MatrixMarket (object, "
                f"layout, field, symmetry), got {len(words) - 1}: {banner.strip()[:80]!r}")
        obj, layout, field, symmetry = (w.lower() for w in words[1:])
        for what, got, allowed in (("object", obj, _OBJECTS), ("layout", layout, _LAYOUTS),
                                   ("field", field, _FIELDS + ("complex",)),
                                   ("symmetry", symmetry, _SYMMETRIES + ("hermitian",))):
            if got not in allowed:
                raise TensorFileError(f"{path}:1: unknown {what} {got!r} in the banner; "
                                      f"expected one of {', '.join(allowed)}")
        if field == "complex" or symmetry == "hermitian":
            raise TensorFileError(f"{path}:1: complex matrices are not supported; "
                                  f"convert the file to a real or integer field")
        lineno = 1
        for line in fh:
            lineno += 1
            s = line.strip()
            if not s or s.startswith("%"):
                continue
            parts = s.split()
            want = 3 if layout == "coordinate" else 2
            if len(parts) != want or not all(p.isdigit() for p in parts):
                spell = "rows columns entries" if want == 3 else "rows columns"
                raise TensorFileError(f"{path}:{lineno}: bad size line {s!r}; expected "
                                      f"{want} non-negative integers ({spell})")
            rows, cols = int(parts[0]), int(parts[1])
            entries = int(parts[2]) if want == 3 else None
            return {"layout": layout, "field": "real" if field == "double" else field,
                    "symmetry": symmetry, "shape": (rows, cols), "entries": entries,
                    "size_line": lineno, "first_line": lineno + 1}
    raise TensorFileError(f"{path}: no size line after the banner; expected "
                          f"'rows columns entries'")


_LINE_MSG = re.compile(r"^Line (\d+):\s*(.*)$", re.S)
_TRUNC = re.compile(r"Expected another (\d+) lines?")


def _scipy_read(path: Path, info: dict):
    try:
        return scipy.io.mmread(str(path))
    except (ValueError, OverflowError) as e:
        msg = str(e).strip()
        m = _LINE_MSG.match(msg)
        if m:
            lineno, what = int(m.group(1)), m.group(2).rstrip(".")
            hint = _HINTS.get(what.lower())
            if hint:
                what += " (" + hint.format(rows=info["shape"][0], cols=info["shape"][1],
                                          entries=info["entries"],
                                          size_line=info["size_line"]) + ")"
            text = _line(path, lineno)
            if text:
                what += f": {text!r}"
            raise TensorFileError(f"{path}:{lineno}: {what}") from None
        t = _TRUNC.search(msg)
        if t and info["entries"] is not None:
            have = info["entries"] - int(t.group(1))
            raise TensorFileError(
                f"{path}: the size line (line {info['size_line']}) declares "
                f"{info['entries']} entries but the file has only {have}; fix the count "
                f"or add the missing entries")
        raise TensorFileError(f"{path}: {msg}") from None


_HINTS = {
    "row index out of bounds": "row indices are 1-based and at most {rows}",
    "column index out of bounds": "column indices are 1-based and at most {cols}",
    "invalid integer value": "an entry line is 'row column value', or 'row column' in a "
                             "pattern matrix, with 1-based integer indices",
    "invalid floating-point value": "an entry line is 'row column value' with a number as "
                                    "the value",
    "too many lines in file (file too long)":
        "the size line (line {size_line}) declares {entries} entries; fix the count",
}


def _line(path: Path, lineno: int) -> str:
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as fh:
            for i, line in enumerate(fh, 1):
                if i == lineno:
                    return line.strip()[:80]
    except OSError:
        pass
    return ""


def _check_integer_values(path: Path, info: dict) -> None:
    """scipy truncates '2.5' in an integer field silently; reject it."""
    col = 2 if info["layout"] == "coordinate" else 0
    with open(path, "r", encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            if lineno < info["first_line"]:
                continue
            parts = line.split()
            if not parts or parts[0].startswith("%") or len(parts) <= col:
                continue
            word = parts[col]
            try:
                int(word)
            except ValueError:
                raise TensorFileError(
                    f"{path}:{lineno}: value {word!r} is not an integer but the banner "
                    f"declares an integer field; change the field to 'real' or fix the "
                    f"value") from None


def load_mtx(path: "str | Path", fmt: "Format | str | None" = None, *,
             name: str | None = None, as_vector: bool | None = None,
             dtype=None) -> Tensor:
    """Read a Matrix Market file into a :class:`Tensor`.

    ``fmt`` defaults to all-compressed levels in mode order (``ss``, or
    ``s`` for a vector). A vector is returned (shape ``(n,)``) when
    ``as_vector=True`` or when ``as_vector`` is None and ``fmt`` has order 1;
    the matrix must then be ``n x 1`` or ``1 x n``. ``dtype`` (int64 or
    float64) overrides the value type given by the field. Array-layout files
    are read as dense matrices (zeros are not stored in compressed levels).
    """
    path = Path(path)
    name = path.stem if name is None else name
    info = mtx_header(path)
    if info["field"] == "integer":
        _check_integer_values(path, info)
    data = _scipy_read(path, info)
    if scipy.sparse.issparse(data):
        coo = data.tocoo()
        coords = np.vstack([np.asarray(coo.row, dtype=np.int64),
                            np.asarray(coo.col, dtype=np.int64)])
        vals = np.asarray(coo.data)
    else:
        dense = np.asarray(data)
        coords = np.array(np.nonzero(dense), dtype=np.int64)
        vals = dense[tuple(coords)]
    if info["field"] == "pattern":
        vals = np.ones(len(vals), dtype=np.int64)
    elif info["field"] == "integer":
        vals = vals.astype(np.int64)
    else:
        vals = vals.astype(np.float64)
    shape = tuple(info["shape"])
    if as_vector is None and fmt is not None:
        try:
            as_vector = Format.parse(fmt).order == 1
        except FormatError as e:
            raise TensorFileError(f"{path}: {e}") from None
    if as_vector:
        rows, cols = shape
        if cols == 1:
            coords, shape = coords[:1], (rows,)
        elif rows == 1:
            coords, shape = coords[1:], (cols,)
        else:
            raise TensorFileError(f"{path}: a vector was asked for but the matrix is "
                                  f"{rows} x {cols}; a vector must be n x 1 or 1 x n")
    return build_tensor(path, coords, vals, shape, fmt, name, dtype)


def save_mtx(tensor: Tensor, path: "str | Path", *, comment: str = "") -> None:
    """Write an order-1 (as ``n x 1``) or order-2 tensor as a coordinate
    Matrix Market file: integer field for int64 values, else real. Stored
    zeros are left out."""
    path = Path(path)
    if tensor.order not in (1, 2):
        raise TensorFileError(f"{path}: Matrix Market holds vectors and matrices; tensor "
                              f"{tensor.name} has order {tensor.order}; use .tns or .npy")
    coords, vals = tensor.to_coo()
    if tensor.order == 1:
        coords = np.vstack([coords, np.zeros_like(coords)])
        shape = (tensor.shape[0], 1)
    else:
        shape = tensor.shape
    m = scipy.sparse.coo_array((vals, (coords[0], coords[1])), shape=shape)
    with atomic_output(path, ".mtx") as tmp:
        scipy.io.mmwrite(str(tmp), m, comment=comment,
                         field="integer" if tensor.is_int else "real", symmetry="general")
        if tmp.stat().st_size == 0:     # scipy's writer can fail without raising
            raise TensorFileError(f"{path}: cannot write: scipy.io.mmwrite wrote nothing")
