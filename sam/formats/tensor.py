"""Fibertree tensors: levels in storage order plus a value array.

A :class:`Tensor` is immutable by convention (its arrays are not copied on
access; do not modify them). Dense levels store every position, so a dense
tensor's ``vals`` may hold explicit zeros, as in TACO; compressed levels built
by the constructors here store only the entries given to them.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .format import Format, FormatError
from .levels import LEVEL_FORMATS, LevelFormat, LevelFormatError

__all__ = ["Level", "Tensor", "as_vals"]


def as_vals(vals, where: str = "values", dtype=None) -> np.ndarray:
    """``vals`` as a 1-D int64 or float64 array (bools become int64).

    ``dtype`` forces one of the two; by default integer input stays integer
    and an empty list becomes float64."""
    arr = np.asarray(vals)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise FormatError(f"{where}: expected a 1-D array of values, got shape {arr.shape}")
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype not in (np.dtype(np.int64), np.dtype(np.float64)):
            raise FormatError(f"{where}: value dtype must be int64 or float64, got {dtype}")
        if dtype.kind == "i" and arr.dtype.kind == "f" and not np.all(arr == np.round(arr)):
            raise FormatError(f"{where}: non-integer values cannot be stored as int64")
        return arr.astype(dtype)
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        return arr.astype(np.float64)
    if arr.dtype.kind == "O":
        if all(isinstance(v, (int, np.integer, bool, np.bool_)) for v in arr):
            return arr.astype(np.int64)
        if all(isinstance(v, (int, float, np.integer, np.floating, bool, np.bool_)) for v in arr):
            return arr.astype(np.float64)
    raise FormatError(f"{where}: values must be integers or real numbers, got {arr.dtype}")


class Level:
    """One storage level: ``format`` (level-format name), ``dim`` (size of
    the tensor mode it stores), ``mode`` (that tensor mode) and ``arrays``
    (name -> 1-D int64 numpy array, e.g. ``{'seg', 'crd'}``)."""

    __slots__ = ("format", "dim", "mode", "arrays", "size")

    def __init__(self, format: str, dim: int, mode: int, arrays: dict, size: int):
        self.format = format
        self.dim = dim
        self.mode = mode
        self.arrays = arrays
        #: number of positions of this level
        self.size = size

    @property
    def kind(self) -> type[LevelFormat]:
        """The :class:`LevelFormat` plug-in of this level."""
        return LEVEL_FORMATS[self.format]

    def fiber(self, parent: int) -> tuple[np.ndarray, np.ndarray]:
        """``(crds, positions)`` of the fiber below parent position ``parent``."""
        return self.kind.fiber(self.arrays, self.dim, parent)

    def __repr__(self) -> str:
        arrs = " ".join(f"{k}={_short(v)}" for k, v in self.arrays.items())
        return f"<{self.format} mode={self.mode} dim={self.dim}{' ' + arrs if arrs else ''}>"


class Tensor:
    """A tensor stored as a fibertree.

    Parameters
    ----------
    shape : tuple of int
        size of each tensor mode, in tensor mode order.
    fmt : Format or str
        the tensor's format (see :meth:`Format.parse`).
    level_arrays : list of dict
        arrays of each storage level (outermost first), as the level formats
        define them (``{}`` for dense, ``{'seg', 'crd'}`` for compressed).
    vals : array-like
        one value per position of the last level (one value for a scalar).
    name : str
        tensor name, used in error messages and file names.

    The arrays are checked against the format and shape at construction
    (:class:`FormatError` names the tensor, level and problem).
    """

    def __init__(self, shape: Sequence[int], fmt: "Format | str",
                 level_arrays: Sequence[dict], vals, name: str = "T", *, dtype=None):
        self.name = str(name)
        self.format = Format.parse(fmt)
        self.shape = _check_shape(shape, self.format, self.name)
        if len(level_arrays) != self.format.order:
            raise FormatError(f"tensor {self.name}: format {self.format} has "
                              f"{self.format.order} levels, got arrays for {len(level_arrays)}")
        self.levels: list[Level] = []
        parent_size = 1
        for l, (kind, arrays) in enumerate(zip(self.format.level_formats, level_arrays)):
            mode = self.format.mode_order[l]
            dim = self.shape[mode]
            arrays = dict(arrays)
            try:
                kind.check(arrays, dim, parent_size, f"tensor {self.name} level {l} (mode {mode})")
            except LevelFormatError as e:
                raise FormatError(str(e)) from None
            size = kind.size(arrays, dim, parent_size)
            self.levels.append(Level(kind.name, dim, mode, arrays, size))
            parent_size = size
        self.vals = as_vals(vals, f"tensor {self.name} values", dtype)
        if len(self.vals) != parent_size:
            raise FormatError(f"tensor {self.name}: {len(self.vals)} values but the last "
                              f"level has {parent_size} positions")

    # -- basic queries --------------------------------------------------------

    @property
    def order(self) -> int:
        return len(self.shape)

    def level_of_mode(self, mode: int) -> int:
        """Storage level that stores tensor mode ``mode``."""
        return self.format.level_of_mode(mode)

    @property
    def nnz(self) -> int:
        """Number of stored values that are not zero."""
        return int(np.count_nonzero(self.vals))

    @property
    def is_int(self) -> bool:
        return self.vals.dtype.kind == "i"

    def __repr__(self) -> str:
        lv = " ".join(repr(l) for l in self.levels)
        return (f"Tensor({self.name} {self.shape} {self.format}{' ' + lv if lv else ''} "
                f"vals={_short(self.vals)})")

    def same_storage(self, other: "Tensor", *, check_dtype: bool = True) -> bool:
        """Exactly the same shape, format, level arrays and values (and value
        dtype unless ``check_dtype=False``). Names are not compared."""
        if (self.shape != other.shape or self.format != other.format
                or (check_dtype and self.vals.dtype != other.vals.dtype)):
            return False
        for a, b in zip(self.levels, other.levels):
            if a.arrays.keys() != b.arrays.keys():
                return False
            if not all(np.array_equal(a.arrays[k], b.arrays[k]) for k in a.arrays):
                return False
        return bool(np.array_equal(self.vals, other.vals))

    def allclose(self, other: "Tensor", *, rtol: float = 1e-9, atol: float = 0.0) -> bool:
        """Same shape and the same nonzero entries (values within
        ``rtol``/``atol``), whatever the formats and explicit zeros."""
        if self.shape != other.shape:
            return False
        c1, v1 = self.to_coo()
        c2, v2 = other.to_coo()
        if c1.shape != c2.shape or not np.array_equal(c1, c2):
            return False
        return bool(np.allclose(v1, v2, rtol=rtol, atol=atol))

    # -- construction ---------------------------------------------------------

    @classmethod
    def from_coo(cls, coords, vals, shape: Sequence[int], fmt: "Format | str",
                 name: str = "T", *, dtype=None) -> "Tensor":
        """Build from coordinate lists.

        ``coords`` is an ``(order, n)`` integer array (row ``m`` = the mode-``m``
        coordinates of the ``n`` entries; any ``(n, order)`` list of points is
        accepted too when unambiguous), ``vals`` has ``n`` values. Duplicate
        points are summed; entries are stored in storage order. Entries given
        with value 0 are kept (as stored zeros). For a scalar (``shape=()``),
        the values are summed into the one value (0 if none).
        """
        f = Format.parse(fmt)
        shp = _check_shape(shape, f, name)
        order = len(shp)
        v = as_vals(vals, f"tensor {name} values", dtype)
        n = len(v)
        c = _coords_array(coords, order, n, name)
        if order == 0:
            total = v.sum() if n else v.dtype.type(0)
            return cls((), f, [], np.array([total], dtype=v.dtype), name)
        for m in range(order):
            if n and (c[m].min() < 0 or c[m].max() >= shp[m]):
                bad = int(np.flatnonzero((c[m] < 0) | (c[m] >= shp[m]))[0])
                raise FormatError(
                    f"tensor {name}: entry {bad} has mode-{m} coordinate {int(c[m][bad])}, "
                    f"outside 0..{shp[m] - 1} (shape {shp})")
        sc = c[list(f.mode_order)]  # storage-order coordinates
        perm = np.lexsort(sc[::-1]) if n else np.zeros(0, dtype=np.int64)
        sc, v = sc[:, perm], v[perm]
        if n > 1:
            new = np.concatenate(([True], np.any(sc[:, 1:] != sc[:, :-1], axis=0)))
            starts = np.flatnonzero(new)
            v = np.add.reduceat(v, starts)
            sc = sc[:, starts]
        n = len(v)
        level_arrays = []
        parent_pos = np.zeros(n, dtype=np.int64)
        parent_size = 1
        for l, kind in enumerate(f.level_formats):
            crd = sc[l]
            if n:
                new = np.concatenate(([True], (parent_pos[1:] != parent_pos[:-1]) |
                                      (crd[1:] != crd[:-1])))
            else:
                new = np.zeros(0, dtype=bool)
            entry = np.cumsum(new) - 1
            u_parent, u_crd = parent_pos[new], crd[new]
            seg = np.concatenate(([0], np.cumsum(np.bincount(u_parent, minlength=parent_size))))
            arrays, pos, size = kind.pack(shp[f.mode_order[l]], seg, u_crd)
            level_arrays.append(arrays)
            parent_pos = pos[entry]
            parent_size = size
        out = np.zeros(parent_size, dtype=v.dtype)
        out[parent_pos] = v
        return cls(shp, f, level_arrays, out, name)

    @classmethod
    def from_dense(cls, array, fmt: "Format | str | None" = None, name: str = "T",
                   *, dtype=None) -> "Tensor":
        """Build from a dense numpy array; zeros are not stored in compressed
        levels. ``fmt`` defaults to all-dense levels in mode order."""
        a = np.asarray(array)
        f = Format.uniform("d", a.ndim) if fmt is None else Format.parse(fmt)
        if a.ndim == 0:
            return cls.from_coo(np.zeros((0, 1), dtype=np.int64), a.reshape(1), (), f,
                                name, dtype=dtype)
        coords = np.array(np.nonzero(a), dtype=np.int64)
        return cls.from_coo(coords, a[tuple(coords)], a.shape, f, name, dtype=dtype)

    @classmethod
    def from_scipy(cls, matrix, fmt: "Format | str" = "ss", name: str = "T",
                   *, dtype=None) -> "Tensor":
        """Build an order-2 tensor from any scipy sparse matrix/array; its
        stored entries (explicit zeros included, duplicates summed) are kept."""
        coo = matrix.tocoo()
        coords = np.vstack([np.asarray(coo.row, dtype=np.int64),
                            np.asarray(coo.col, dtype=np.int64)])
        return cls.from_coo(coords, np.asarray(coo.data), coo.shape, fmt, name, dtype=dtype)

    # -- conversion -----------------------------------------------------------

    def stored_coo(self) -> tuple[np.ndarray, np.ndarray]:
        """Every stored position (explicit zeros included) as ``(coords,
        vals)``, coords ``(order, n)`` in tensor mode order, entries in storage
        order."""
        if self.order == 0:
            return np.zeros((0, 1), dtype=np.int64), self.vals.copy()
        parent_coords = np.zeros((0, 1), dtype=np.int64)
        parent_size = 1
        for lv in self.levels:
            parents, crd = lv.kind.unpack(lv.arrays, lv.dim, parent_size)
            parent_coords = np.vstack([parent_coords[:, parents], crd[None, :]])
            parent_size = lv.size
        coords = np.empty_like(parent_coords)
        coords[list(self.format.mode_order)] = parent_coords
        return coords, self.vals.copy()

    def to_coo(self, *, keep_zeros: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``(coords, vals)``: coords ``(order, n)`` int64 in tensor mode order,
        sorted lexicographically by tensor mode; zero values are left out unless
        ``keep_zeros``. A scalar gives ``coords`` of shape ``(0, 1)``."""
        coords, vals = self.stored_coo()
        if self.order == 0:
            return coords, vals
        if not keep_zeros:
            keep = vals != 0
            coords, vals = coords[:, keep], vals[keep]
        perm = np.lexsort(coords[::-1]) if vals.size else np.zeros(0, dtype=np.int64)
        return coords[:, perm], vals[perm]

    def to_points(self, *, keep_zeros: bool = False) -> list[tuple]:
        """Sorted list of ``(c0, c1, ..., value)`` tuples of Python numbers
        (zeros left out unless ``keep_zeros``); a scalar gives ``[(value,)]``."""
        coords, vals = self.to_coo(keep_zeros=keep_zeros)
        if self.order == 0:
            return [(vals[0].item(),)]
        return [tuple(int(x) for x in coords[:, i]) + (vals[i].item(),)
                for i in range(len(vals))]

    def to_dense(self) -> np.ndarray:
        """Dense numpy array of ``shape`` (0-d for scalars)."""
        out = np.zeros(self.shape, dtype=self.vals.dtype)
        coords, vals = self.stored_coo()
        if self.order == 0:
            out[()] = vals[0]
        else:
            out[tuple(coords)] = vals
        return out

    def to_scipy(self, *, keep_zeros: bool = False):
        """``scipy.sparse.csr_array`` of an order-2 tensor."""
        import scipy.sparse
        if self.order != 2:
            raise FormatError(f"tensor {self.name}: to_scipy needs an order-2 tensor, "
                              f"this one has order {self.order}")
        coords, vals = self.to_coo(keep_zeros=keep_zeros)
        return scipy.sparse.csr_array((vals, (coords[0], coords[1])), shape=self.shape)

    def convert(self, fmt: "Format | str", name: str | None = None) -> "Tensor":
        """The same tensor in another format (stored zeros dropped)."""
        coords, vals = self.to_coo()
        return Tensor.from_coo(coords, vals, self.shape, fmt, self.name if name is None else name,
                               dtype=self.vals.dtype)

    def renamed(self, name: str) -> "Tensor":
        """The same storage under another name."""
        t = object.__new__(Tensor)
        t.__dict__.update(self.__dict__)
        t.name = str(name)
        return t


def _check_shape(shape, fmt: Format, name: str) -> tuple[int, ...]:
    try:
        shp = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise FormatError(f"tensor {name}: shape {shape!r} must be a sequence of integers") from None
    if len(shp) != fmt.order:
        raise FormatError(f"tensor {name}: shape {shp} has order {len(shp)} but format "
                          f"{fmt} has order {fmt.order}")
    if any(d < 0 for d in shp):
        raise FormatError(f"tensor {name}: shape {shp} has a negative dimension")
    return shp


def _coords_array(coords, order: int, n: int, name: str) -> np.ndarray:
    c = np.asarray(coords)
    if c.size == 0:
        return np.zeros((order, n), dtype=np.int64)
    if c.ndim == 1 and order == 1:
        c = c.reshape(1, -1)
    if c.ndim != 2:
        raise FormatError(f"tensor {name}: coords must be an (order, n) array, got shape {c.shape}")
    if c.shape != (order, n) and c.shape == (n, order):
        c = c.T
    if c.shape != (order, n):
        raise FormatError(f"tensor {name}: coords have shape {c.shape}, expected "
                          f"({order}, {n}) for order {order} and {n} values")
    if c.dtype.kind not in "iu":
        if c.dtype.kind == "f" and np.all(c == np.round(c)):
            c = c.astype(np.int64)
        else:
            raise FormatError(f"tensor {name}: coordinates must be integers, got {c.dtype}")
    return c.astype(np.int64)


def _short(a, n: int = 10) -> str:
    a = [x.item() if hasattr(x, "item") else x for x in a]
    return str(a) if len(a) <= n else str(a[:n])[:-1] + f", ... ({len(a)} entries)]"
