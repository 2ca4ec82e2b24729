"""Compressed level (``s``): a ``seg`` array of fiber bounds and a ``crd``
array of the stored coordinates; positions are indices into ``crd``."""

from __future__ import annotations

import numpy as np

from .base import LevelFormat, LevelFormatError, as_index_array, register_level_format

__all__ = ["Compressed"]


@register_level_format
class Compressed(LevelFormat):
    """Fiber of parent position ``p``: coordinates ``crd[seg[p]:seg[p+1]]``
    at positions ``seg[p] .. seg[p+1]-1``. ``seg`` has one entry per parent
    position plus one and starts with 0."""

    name = "compressed"
    letter = "s"
    arrays = ("seg", "crd")
    iterate = True
    locate = False
    append = True
    insert = False
    full = False

    @classmethod
    def pack(cls, dim, fiber_seg, fiber_crd):
        seg = np.asarray(fiber_seg, dtype=np.int64).copy()
        crd = np.asarray(fiber_crd, dtype=np.int64).copy()
        return {"seg": seg, "crd": crd}, np.arange(len(crd), dtype=np.int64), len(crd)

    @classmethod
    def unpack(cls, arrays, dim, parent_size):
        seg = arrays["seg"]
        parents = np.repeat(np.arange(parent_size, dtype=np.int64), np.diff(seg))
        return parents, arrays["crd"].copy()

    @classmethod
    def fiber(cls, arrays, dim, parent):
        lo, hi = int(arrays["seg"][parent]), int(arrays["seg"][parent + 1])
        return arrays["crd"][lo:hi].copy(), np.arange(lo, hi, dtype=np.int64)

    @classmethod
    def size(cls, arrays, dim, parent_size):
        return len(arrays["crd"])

    @classmethod
    def check(cls, arrays, dim, parent_size, where):
        super().check(arrays, dim, parent_size, where)
        seg = arrays["seg"] = as_index_array(arrays["seg"], where, "seg")
        crd = arrays["crd"] = as_index_array(arrays["crd"], where, "crd")
        if len(seg) != parent_size + 1:
            raise LevelFormatError(
                f"{where}: seg has {len(seg)} entries, expected {parent_size + 1} "
                f"(one per parent position plus one)")
        if seg[0] != 0 or np.any(np.diff(seg) < 0) or seg[-1] != len(crd):
            raise LevelFormatError(
                f"{where}: seg must start at 0, never decrease and end at "
                f"len(crd)={len(crd)}; got {_short(seg)}")
        if len(crd) and (crd.min() < 0 or crd.max() >= dim):
            bad = int(np.flatnonzero((crd < 0) | (crd >= dim))[0])
            raise LevelFormatError(
                f"{where}: crd[{bad}]={int(crd[bad])} is outside 0..{dim - 1}")
        if len(crd) > 1:
            # Within a fiber coordinates strictly increase; fiber starts are exempt.
            up = np.diff(crd) > 0
            starts = seg[1:-1]
            starts = starts[(starts > 0) & (starts < len(crd))]
            up[starts - 1] = True
            if not up.all():
                bad = int(np.flatnonzero(~up)[0]) + 1
                raise LevelFormatError(
                    f"{where}: crd[{bad}]={int(crd[bad])} does not increase within "
                    f"its fiber (previous {int(crd[bad - 1])})")


def _short(a, n=12) -> str:
    a = list(map(int, a))
    return str(a) if len(a) <= n else str(a[:n])[:-1] + f", ... ({len(a)} entries)]"
