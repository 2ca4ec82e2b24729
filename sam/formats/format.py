"""Tensor formats: one level format per storage level plus a mode order.

Two spellings are accepted and produced:

* TACO flag style, ``"ds"``, ``"ss:1,0"`` (``-f=B:ss:1,0``), method
  :meth:`Format.taco`;
* the reference's DOT-header spelling, ``"ss10"``, ``"sss012"``, ``"d0"``,
  ``"none"`` for scalars, given by ``str(fmt)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UserError
from .levels import LEVEL_FORMATS_BY_LETTER, LevelFormat
from .levels.base import known_formats

__all__ = ["Format", "FormatError"]


class FormatError(UserError):
    """A malformed format string or a tensor that does not fit its format."""


_REF = re.compile(r"([A-Za-z]*)([0-9]*)")


def _check(levels: tuple, order: tuple, spelled: str) -> None:
    for letter in levels:
        if letter not in LEVEL_FORMATS_BY_LETTER:
            raise FormatError(
                f"format {spelled!r}: unknown level format letter {letter!r}; "
                f"known letters: {known_formats()}")
    if len(order) != len(levels):
        raise FormatError(
            f"format {spelled!r}: {len(levels)} level letters but "
            f"{len(order)} modes in the mode order; give one mode per level")
    if sorted(order) != list(range(len(order))):
        raise FormatError(
            f"format {spelled!r}: mode order {order} is not a permutation "
            f"of 0..{len(order) - 1}")


@dataclass(frozen=True)
class Format:
    """A tensor format.

    Parameters
    ----------
    levels : tuple of str
        level-format letter per storage level, outermost first.
    mode_order : tuple of int
        storage level ``l`` stores tensor mode ``mode_order[l]``; a
        permutation of ``0 .. order-1``.
    """

    levels: tuple[str, ...]
    mode_order: tuple[int, ...]

    def __post_init__(self):
        levels = tuple(self.levels)
        order = tuple(int(m) for m in self.mode_order)
        object.__setattr__(self, "levels", levels)
        object.__setattr__(self, "mode_order", order)
        _check(levels, order, "".join(levels) + ":" + ",".join(map(str, order)))

    # -- construction -------------------------------------------------------

    @classmethod
    def parse(cls, text: "str | Format") -> "Format":
        """Parse ``"ds"``, ``"ss:1,0"``, ``"ss10"``, ``"sss012"``, ``"d0"`` or
        ``"none"`` (a scalar). A :class:`Format` is returned unchanged."""
        if isinstance(text, Format):
            return text
        if not isinstance(text, str):
            raise FormatError(f"format must be a string such as 'ss:1,0', got {text!r}")
        s = text.strip()
        if s.lower() == "none":
            return cls((), ())
        if not s:
            raise FormatError("empty format string; use e.g. 'ds', 'ss:1,0', "
                              "'ss10', or 'none' for a scalar")
        if ":" in s:
            letters, _, order_text = s.partition(":")
            letters = letters.strip()
            try:
                order = tuple(int(w) for w in order_text.split(","))
            except ValueError:
                raise FormatError(
                    f"format {text!r}: mode order {order_text!r} must be "
                    f"comma-separated integers, e.g. 'ss:1,0'") from None
        else:
            m = _REF.fullmatch(s)
            if m is None or not m.group(1):
                raise FormatError(
                    f"format {text!r}: expected level letters followed by an "
                    f"optional mode order, e.g. 'ds', 'ss10', 'ss:1,0'")
            letters, digits = m.groups()
            if digits and len(digits) != len(letters):
                raise FormatError(
                    f"format {text!r}: {len(letters)} level letters but "
                    f"{len(digits)} mode digits; give one digit per level")
            order = tuple(int(d) for d in digits) if digits else tuple(range(len(letters)))
        if not letters.isalpha():
            raise FormatError(f"format {text!r}: level letters {letters!r} must be "
                              f"letters; known letters: {known_formats()}")
        _check(tuple(letters), order, text)
        return cls(tuple(letters), order)

    @classmethod
    def uniform(cls, letter: str, order: int) -> "Format":
        """All levels ``letter``, identity mode order (``uniform('s', 2)`` = DCSR)."""
        return cls((letter,) * order, tuple(range(order)))

    # -- queries ------------------------------------------------------------

    @property
    def order(self) -> int:
        return len(self.levels)

    @property
    def level_formats(self) -> tuple[type[LevelFormat], ...]:
        """The :class:`LevelFormat` class of each storage level."""
        return tuple(LEVEL_FORMATS_BY_LETTER[c] for c in self.levels)

    def level_of_mode(self, mode: int) -> int:
        """Storage level that stores tensor mode ``mode``."""
        if not 0 <= mode < self.order:
            raise FormatError(f"format {self}: mode {mode} out of range 0..{self.order - 1}")
        return self.mode_order.index(mode)

    def taco(self) -> str:
        """TACO flag spelling: ``ss:1,0``; the mode order is left out when it
        is the identity (``ds``); ``""`` for scalars."""
        letters = "".join(self.levels)
        if self.mode_order == tuple(range(self.order)):
            return letters
        return letters + ":" + ",".join(map(str, self.mode_order))

    def __str__(self) -> str:
        """Reference spelling: ``ss10``, ``d0``, ``none``."""
        if not self.levels:
            return "none"
        return "".join(self.levels) + "".join(map(str, self.mode_order))

    def __repr__(self) -> str:
        return f"Format({str(self)!r})"
