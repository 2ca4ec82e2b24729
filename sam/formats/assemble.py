"""Decoding what level writers wrote into a canonical :class:`Tensor`.

Our level writers (golden model and RTL alike, docs/design.md difference 2)
record every fiber closing: each stop token on a writer's crd stream closes
one fiber and appends the running coordinate count to a *raw* seg array
(which starts with 0), empty fibers included. A level stream closes one fiber
per coordinate of its parent level's stream plus one per empty parent fiber
(spec 1.2), so the raw arrays of the levels line up top-down, and
:func:`assemble_output` rebuilds the tensor from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from .format import Format, FormatError
from .levels.base import LevelFormatError, as_index_array, fiber_parents
from .tensor import Tensor, _check_shape, as_vals

__all__ = ["WrittenLevel", "assemble_output"]


@dataclass
class WrittenLevel:
    """Raw arrays of one level writer: ``crd`` (every coordinate received, in
    order) and ``seg`` (0, then the coordinate count at every fiber closing).
    ``dim`` is the size the writer was configured with, if it knows it."""

    crd: np.ndarray
    seg: np.ndarray
    dim: int | None = None

    @property
    def fibers(self) -> int:
        return len(self.seg) - 1


def _written(w, where: str) -> WrittenLevel:
    if isinstance(w, WrittenLevel):
        crd, seg, dim = w.crd, w.seg, w.dim
    elif isinstance(w, Mapping):
        if "crd" not in w or "seg" not in w:
            raise FormatError(f"{where}: a written level needs 'crd' and 'seg' arrays, "
                              f"got keys {sorted(w)}")
        crd, seg, dim = w["crd"], w["seg"], w.get("dim")
    else:
        raise FormatError(f"{where}: expected a WrittenLevel or a dict with 'crd' and "
                          f"'seg', got {type(w).__name__}")
    try:
        return WrittenLevel(as_index_array(crd, where, "crd"),
                            as_index_array(seg, where, "seg"), dim)
    except LevelFormatError as e:
        raise FormatError(str(e)) from None


def _ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for each (s, n)."""
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lens) - lens
    return np.repeat(starts - offsets, lens) + np.arange(total, dtype=np.int64)


def assemble_output(shape: Sequence[int], fmt: "Format | str",
                    written_levels: Sequence, vals, name: str = "X",
                    *, dtype=None) -> Tensor:
    """Build the output tensor from its level writers' raw arrays.

    Parameters
    ----------
    shape : output shape in tensor mode order.
    fmt : output format; ``written_levels[l]`` belongs to storage level ``l``.
    written_levels : one :class:`WrittenLevel` (or dict with ``crd``, ``seg``
        and optionally ``dim``) per storage level, dense levels included: a
        dense output level may receive a sparse coordinate stream, and the
        coordinates it lacks get zero values.
    vals : the values writer's array, one value per coordinate of the last
        level (one value for a scalar output).

    Decoding is top-down. The root level holds exactly one fiber. Level
    ``l+1`` holds one fiber per coordinate of level ``l``, in order, except
    that every empty fiber of level ``l`` is followed by one extra, empty
    closing at level ``l+1``; those extra closings are dropped.

    The result is canonical for the format: compressed levels keep exactly
    the fibers written (an empty fiber below a compressed parent stays only if
    the writers produced one), dense levels store every position. Values are
    kept as written, zeros included (compare with :meth:`Tensor.allclose` or
    :meth:`Tensor.to_points`, which ignore zeros).

    Raises :class:`FormatError` naming the level (``X1`` = tensor X, mode 1)
    when the arrays do not line up.
    """
    f = Format.parse(fmt)
    shp = _check_shape(shape, f, name)
    order = f.order
    if len(written_levels) != order:
        raise FormatError(f"output {name}: format {f} has {order} levels but "
                          f"{len(written_levels)} written levels were given")

    def lname(l: int) -> str:
        m = f.mode_order[l]
        return f"{name}{m}" + (f" (storage level {l})" if m != l else "")

    v = as_vals(vals, f"output {name} values", dtype)
    if order == 0:
        if len(v) != 1:
            raise FormatError(f"output {name} is a scalar but the values writer "
                              f"received {len(v)} values; expected exactly 1")
        return Tensor((), f, [], v, name)

    W: list[WrittenLevel] = []
    for l, w in enumerate(written_levels):
        where = f"output level {lname(l)}"
        wl = _written(w, where)
        dim = shp[f.mode_order[l]]
        if wl.dim is not None and int(wl.dim) != dim:
            raise FormatError(f"{where}: writer dimension {wl.dim} differs from the "
                              f"output shape {shp} (mode {f.mode_order[l]} has size {dim})")
        seg, crd = wl.seg, wl.crd
        if (len(seg) == 0 or seg[0] != 0 or np.any(np.diff(seg) < 0)
                or seg[-1] != len(crd)):
            raise FormatError(f"{where}: raw seg must start at 0, never decrease and end "
                              f"at the coordinate count {len(crd)}; got {_short(seg)}")
        if len(crd) and (crd.min() < 0 or crd.max() >= dim):
            bad = int(np.flatnonzero((crd < 0) | (crd >= dim))[0])
            raise FormatError(f"{where}: coordinate {int(crd[bad])} (entry {bad}) is "
                              f"outside 0..{dim - 1}")
        if len(crd) > 1:
            same_fiber = fiber_parents(seg)
            bad = np.flatnonzero((same_fiber[1:] == same_fiber[:-1]) & (crd[1:] <= crd[:-1]))
            if len(bad):
                i = int(bad[0]) + 1
                raise FormatError(
                    f"{where}: coordinates must increase within a fiber, but fiber "
                    f"{int(same_fiber[i])} has {int(crd[i - 1])} then {int(crd[i])}")
        W.append(wl)

    if W[0].fibers != 1:
        raise FormatError(f"output level {lname(0)} has {W[0].fibers} fibers; the root "
                          f"level must have exactly one (its stream must end with S0 D)")

    # child[l][i]: fiber of level l+1 below coordinate i of level l.
    child: list[np.ndarray] = []
    for l in range(order - 1):
        seg, crd = W[l].seg, W[l].crd
        lens = np.diff(seg)
        empty = lens == 0
        n_empty = int(empty.sum())
        expected = len(crd) + n_empty
        if W[l + 1].fibers != expected:
            extra = f" and {n_empty} empty fibers" if n_empty else ""
            raise FormatError(
                f"output level {lname(l + 1)} has {W[l + 1].fibers} fibers but "
                f"{lname(l)} has {len(crd)} coordinates{extra}, so {expected} were "
                f"expected (one per coordinate plus one per empty parent fiber); the "
                f"streams feeding the two writers are not aligned")
        empties_before = np.cumsum(empty) - empty
        child.append(np.arange(len(crd), dtype=np.int64)
                     + empties_before[fiber_parents(seg)])
        extra_fibers = seg[:-1][empty] + empties_before[empty]
        below = np.diff(W[l + 1].seg)[extra_fibers]
        if np.any(below):
            k = int(extra_fibers[np.flatnonzero(below)[0]])
            raise FormatError(
                f"output level {lname(l + 1)}: fiber {k} closes below an empty fiber of "
                f"{lname(l)} and must be empty, but has coordinates")
    if len(v) != len(W[-1].crd):
        raise FormatError(f"output {name}: the values writer received {len(v)} values but "
                          f"the last level {lname(order - 1)} has {len(W[-1].crd)} "
                          f"coordinates; they must match one to one")

    level_arrays = []
    cf = np.zeros(1, dtype=np.int64)  # written fiber below each result parent position
    out = None
    for l, kind in enumerate(f.level_formats):
        seg, crd = W[l].seg, W[l].crd
        has = cf >= 0
        safe = np.where(has, cf, 0)
        lens = np.where(has, seg[safe + 1] - seg[safe], 0)
        starts = np.where(has, seg[safe], 0)
        src = _ranges(starts, lens)
        arrays, pos, size = kind.pack(shp[f.mode_order[l]],
                                      np.concatenate(([0], np.cumsum(lens))), crd[src])
        level_arrays.append(arrays)
        if l < order - 1:
            cf = np.full(size, -1, dtype=np.int64)
            cf[pos] = child[l][src]
        else:
            out = np.zeros(size, dtype=v.dtype)
            out[pos] = v[src]
    return Tensor(shp, f, level_arrays, out, name)


def _short(a, n: int = 12) -> str:
    a = [int(x) for x in a]
    return str(a) if len(a) <= n else str(a[:n])[:-1] + f", ... ({len(a)} entries)]"
