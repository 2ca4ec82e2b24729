"""Dense level (``d``, "uncompressed"): no arrays, only its dimension.
Every parent position has all ``dim`` coordinates; the position of
coordinate ``c`` below parent ``p`` is ``p * dim + c``."""

from __future__ import annotations

import numpy as np

from .base import LevelFormat, fiber_parents, register_level_format

__all__ = ["Dense"]


@register_level_format
class Dense(LevelFormat):
    """Stores every position (explicit zeros included, as TACO does)."""

    name = "dense"
    letter = "d"
    arrays = ()
    iterate = True
    locate = True
    append = False
    insert = True
    full = True

    @classmethod
    def pack(cls, dim, fiber_seg, fiber_crd):
        fiber_seg = np.asarray(fiber_seg, dtype=np.int64)
        parents = fiber_parents(fiber_seg)
        pos = parents * dim + np.asarray(fiber_crd, dtype=np.int64)
        return {}, pos, (len(fiber_seg) - 1) * dim

    @classmethod
    def unpack(cls, arrays, dim, parent_size):
        parents = np.repeat(np.arange(parent_size, dtype=np.int64), dim)
        return parents, np.tile(np.arange(dim, dtype=np.int64), parent_size)

    @classmethod
    def fiber(cls, arrays, dim, parent):
        crds = np.arange(dim, dtype=np.int64)
        return crds, parent * dim + crds

    @classmethod
    def size(cls, arrays, dim, parent_size):
        return parent_size * dim
