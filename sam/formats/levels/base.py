"""The level-format plug-in interface and its registry.

A level format (TACO's "mode format") says how one storage level of a
fibertree is kept in memory. A fiber is the list of coordinates below one
position of the parent level (the root level has one parent position, 0).
Each level numbers its own positions; the positions of the last level index
the value array.

The interface works on whole levels with numpy arrays, so building a tensor
or decoding a writer's output is one call per level:

* :meth:`LevelFormat.pack` builds the arrays from the fibers' coordinates
  (given as a CSR pair ``fiber_seg``/``fiber_crd`` over the parent positions)
  and says which position each coordinate got;
* :meth:`LevelFormat.unpack` is the inverse (every stored position with its
  parent position and coordinate);
* :meth:`LevelFormat.fiber` iterates one fiber (scanners, decoders, tests);
* :meth:`LevelFormat.check` validates arrays read from outside.

Capability flags (``iterate``, ``locate``, ``append``, ``insert``) follow
TACO's level-format properties; the compiler reads them to pick primitives.
A new format is one new module in this package that defines a subclass and
decorates it with :func:`register_level_format`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ...errors import UserError

__all__ = [
    "LevelFormat", "LevelFormatError", "LEVEL_FORMATS", "LEVEL_FORMATS_BY_LETTER",
    "register_level_format", "level_format",
]


class LevelFormatError(UserError):
    """Bad level-format name or letter, or inconsistent level arrays."""


class LevelFormat:
    """Base class of level-format plug-ins. Subclasses are stateless: class
    attributes and classmethods only (one class per format, no instances).

    Class attributes
    ----------------
    name : str       format name used in DOT ``format=`` attributes
    letter : str     one-letter code in format strings (``s`` in ``ss10``)
    arrays : tuple   names of the integer arrays a level stores (may be empty)
    iterate, locate, append, insert : bool
        capabilities: iterate a fiber in order; find a coordinate's position
        in O(1); build the level by appending fibers in order; write any
        position of a preallocated level.
    full : bool      a fiber holds every coordinate ``0..dim-1`` (dense)
    """

    name: ClassVar[str] = ""
    letter: ClassVar[str] = ""
    arrays: ClassVar[tuple[str, ...]] = ()
    iterate: ClassVar[bool] = True
    locate: ClassVar[bool] = False
    append: ClassVar[bool] = False
    insert: ClassVar[bool] = False
    full: ClassVar[bool] = False

    @classmethod
    def pack(cls, dim: int, fiber_seg: np.ndarray, fiber_crd: np.ndarray
             ) -> tuple[dict[str, np.ndarray], np.ndarray, int]:
        """Build this level from its fibers.

        ``fiber_seg`` (length ``parent_size + 1``) and ``fiber_crd`` list, for
        each parent position ``p``, the coordinates
        ``fiber_crd[fiber_seg[p]:fiber_seg[p+1]]`` of its fiber, strictly
        increasing and below ``dim``. Returns ``(arrays, positions, size)``:
        the level's arrays, the position of each entry of ``fiber_crd`` in this
        level, and the number of positions of this level.
        """
        raise NotImplementedError

    @classmethod
    def unpack(cls, arrays: dict[str, np.ndarray], dim: int, parent_size: int
               ) -> tuple[np.ndarray, np.ndarray]:
        """Every position of this level, in order: ``(parent, crd)`` arrays
        with the parent position and the coordinate of each position."""
        raise NotImplementedError

    @classmethod
    def fiber(cls, arrays: dict[str, np.ndarray], dim: int, parent: int
              ) -> tuple[np.ndarray, np.ndarray]:
        """Iterate the fiber below parent position ``parent``:
        ``(crds, positions)`` in coordinate order."""
        raise NotImplementedError

    @classmethod
    def size(cls, arrays: dict[str, np.ndarray], dim: int, parent_size: int) -> int:
        """Number of positions of this level (assumes :meth:`check` passed)."""
        raise NotImplementedError

    @classmethod
    def check(cls, arrays: dict[str, np.ndarray], dim: int, parent_size: int,
              where: str) -> None:
        """Raise :class:`LevelFormatError` naming ``where`` unless ``arrays``
        form a valid level below ``parent_size`` parent positions."""
        missing = [a for a in cls.arrays if a not in arrays]
        extra = [a for a in arrays if a not in cls.arrays]
        if missing or extra:
            raise LevelFormatError(
                f"{where}: a {cls.name} level stores arrays "
                f"{list(cls.arrays) or 'none'}, got {sorted(arrays) or 'none'}")


#: Registered level formats by name (``compressed``, ``dense``, ...).
LEVEL_FORMATS: dict[str, type[LevelFormat]] = {}
#: The same classes by letter (``s``, ``d``, ...).
LEVEL_FORMATS_BY_LETTER: dict[str, type[LevelFormat]] = {}


def register_level_format(cls: type[LevelFormat]) -> type[LevelFormat]:
    """Class decorator: add a level format to the registry."""
    if not (cls.name and len(cls.letter) == 1 and cls.letter.isalpha()
            and cls.letter.islower()):
        raise TypeError(f"{cls.__name__}: a level format needs a name and a "
                        "one lower-case letter code")
    tables = ((cls.name, LEVEL_FORMATS), (cls.letter, LEVEL_FORMATS_BY_LETTER))
    for key, table in tables:
        if key in table and table[key] is not cls:
            raise TypeError(f"{cls.__name__}: level format {key!r} is already "
                            f"registered by {table[key].__name__}")
    for key, table in tables:
        table[key] = cls
    return cls


def known_formats() -> str:
    return ", ".join(f"{c.letter} ({c.name})" for c in
                     sorted(LEVEL_FORMATS.values(), key=lambda c: c.letter))


def level_format(key: str) -> type[LevelFormat]:
    """The level format named ``key`` (a name such as ``compressed`` or a
    letter such as ``s``)."""
    cls = LEVEL_FORMATS.get(key) or LEVEL_FORMATS_BY_LETTER.get(key)
    if cls is None:
        raise LevelFormatError(f"unknown level format {key!r}; known: {known_formats()}")
    return cls


def as_index_array(a, where: str, what: str) -> np.ndarray:
    """``a`` as a 1-D int64 array; a clear error for non-integers."""
    arr = np.asarray(a)
    if arr.ndim != 1:
        raise LevelFormatError(f"{where}: {what} must be a 1-D array, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            return arr.astype(np.int64)
        raise LevelFormatError(f"{where}: {what} must hold integers, got {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def fiber_parents(seg: np.ndarray) -> np.ndarray:
    """Parent position of every entry of a CSR pair with pointer array ``seg``."""
    return np.repeat(np.arange(len(seg) - 1, dtype=np.int64), np.diff(seg))
