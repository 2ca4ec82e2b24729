"""The reference's "formatted" directory layout (spec section 4.4).

Per tensor ``T`` in one directory::

    tensor_T_mode_shape        one line per dimension, tensor mode order
    tensor_T_mode_<m>_seg      arrays of the level that stores mode m
    tensor_T_mode_<m>_crd      (m is the tensor dimension, not the level)
    tensor_T_mode_vals         values, one per line

Dense levels have no files. A level format with other arrays uses
``tensor_T_mode_<m>_<array>`` for each of them.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from ..formats import Format, FormatError, Tensor
from .common import TensorFileError, atomic_output, parse_number, vals_array

__all__ = ["load_formatted", "save_formatted", "formatted_files"]


def formatted_files(directory: "str | Path", name: str) -> dict[str, Path]:
    """Existing files of tensor ``name`` in ``directory``: key ``shape``,
    ``vals`` or ``<mode>_<array>``."""
    d = Path(directory)
    prefix = f"tensor_{name}_mode_"
    return {p.name[len(prefix):]: p for p in sorted(d.glob(prefix + "*"))}


def _read_words(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text()
    except OSError as e:
        raise TensorFileError(f"{path}: cannot open: {e.strerror}") from None
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for w in line.split():
            out.append((lineno, w))
    return out


def _read_ints(path: Path, what: str) -> np.ndarray:
    vals = []
    for lineno, w in _read_words(path):
        try:
            vals.append(int(w))
        except ValueError:
            raise TensorFileError(f"{path}:{lineno}: {what} entry {w!r} is not an "
                                  f"integer") from None
    return np.asarray(vals, dtype=np.int64)


def load_formatted(directory: "str | Path", name: str,
                   fmt: "Format | str | None" = None, *, dtype=None) -> Tensor:
    """Read tensor ``name`` from a formatted directory. Without ``fmt`` the
    level formats are taken from the files present (a mode with a ``seg``
    file is compressed, one without is dense) and the mode order is the
    first one, identity first, that the arrays fit. Values are
    int64 when every value is an integer, else float64 (or ``dtype``)."""
    d = Path(directory)
    if not d.is_dir():
        raise TensorFileError(f"{d}: not a directory")
    files = formatted_files(d, name)
    if not files:
        raise TensorFileError(f"{d}: no files of tensor {name!r} "
                              f"(expected tensor_{name}_mode_shape, ...)")
    if "shape" in files:
        shape = tuple(int(x) for x in _read_ints(files["shape"], "shape"))
    elif fmt is not None and Format.parse(fmt).order == 0:
        shape = ()
    else:
        raise TensorFileError(f"{d}: tensor_{name}_mode_shape is missing")
    values = []
    if "vals" not in files:
        raise TensorFileError(f"{d}: tensor_{name}_mode_vals is missing")
    for lineno, w in _read_words(files["vals"]):
        try:
            values.append(parse_number(w))
        except ValueError:
            raise TensorFileError(f"{files['vals']}:{lineno}: value {w!r} is not a "
                                  f"number") from None
    vals = vals_array(values)
    if fmt is not None:
        try:
            f = Format.parse(fmt)
        except FormatError as e:
            raise TensorFileError(f"{d}: {e}") from None
        if f.order != len(shape):
            raise TensorFileError(f"{files['shape']}: shape {shape} has order {len(shape)} "
                                  f"but format {f} has order {f.order}")
        return _build(d, name, files, shape, f, vals, dtype)
    # No format given: a mode with a seg file is compressed, one without is
    # dense; the mode order is the first (identity first) that fits the files.
    letters = tuple("s" if f"{m}_seg" in files else "d" for m in range(len(shape)))
    first_error = None
    for perm in itertools.permutations(range(len(shape))):
        f = Format(tuple(letters[m] for m in perm), perm)
        try:
            return _build(d, name, files, shape, f, vals, dtype)
        except TensorFileError as e:
            first_error = first_error or e
    raise first_error


def _build(d: Path, name: str, files: dict, shape: tuple, f: Format, vals,
           dtype) -> Tensor:
    level_arrays = []
    for l, kind in enumerate(f.level_formats):
        m = f.mode_order[l]
        arrays = {}
        for a in kind.arrays:
            key = f"{m}_{a}"
            if key not in files:
                raise TensorFileError(
                    f"{d}: tensor_{name}_mode_{key} is missing; format {f} stores mode {m} "
                    f"in a {kind.name} level (level {l}), which needs {', '.join(kind.arrays)}")
            arrays[a] = _read_ints(files[key], a)
        level_arrays.append(arrays)
    try:
        return Tensor(shape, f, level_arrays, vals, name, dtype=dtype)
    except FormatError as e:
        raise TensorFileError(f"{d}: {e}") from None


def save_formatted(tensor: Tensor, directory: "str | Path", name: str | None = None) -> None:
    """Write ``tensor`` in the formatted layout (creating ``directory``)."""
    d = Path(directory)
    name = tensor.name if name is None else name
    files = {"shape": "".join(f"{s}\n" for s in tensor.shape)}
    for lv in tensor.levels:
        for a, arr in lv.arrays.items():
            files[f"{lv.mode}_{a}"] = "".join(f"{int(x)}\n" for x in arr)
    files["vals"] = "".join(f"{v.item()!r}\n" for v in tensor.vals)
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise TensorFileError(f"{d}: cannot create the directory: {e.strerror}") from None
    for key, text in files.items():
        with atomic_output(d / f"tensor_{name}_mode_{key}") as tmp:
            tmp.write_text(text)
