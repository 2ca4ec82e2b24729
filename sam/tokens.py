"""SAM tokens: one model shared by the golden model, the compiler, the RTL
benches and the tests.

A stream is a Python list of tokens. Data tokens are plain Python numbers:

========================  ===================================================
token                     Python value
========================  ===================================================
coordinate / reference    ``int`` (non-negative)
value                     ``int`` or ``float``
stop token ``Sn``         :class:`Stop` instance, interned: ``S(0) is S(0)``
done ``D``                :data:`D`
empty ``N``               :data:`N`
repeat ``R``              :data:`R` (repsig streams only)
repeat-stop ``S``         :data:`RS` (repsig streams only; text form ``S``)
========================  ===================================================

Control tokens are singletons, so ``tok is D`` and ``type(tok) is Stop`` are
the fast tests used in hot loops. The text form (``"0 2 S0 1 3 S1 D"``) is what
tests, error messages and the CLI print; :func:`parse` and :func:`fmt` convert.
"""

from __future__ import annotations

__all__ = [
    "Stop", "S", "D", "N", "R", "RS", "Token",
    "is_stop", "is_data", "parse", "fmt", "TokenError", "MAX_STOP_LEVEL",
]

#: Highest stop-token level the token model accepts (the reference allows
#: one digit; hardware encodings may allow fewer, see rtl/encoding.py).
MAX_STOP_LEVEL = 15


class TokenError(ValueError):
    """A malformed token or token stream."""


class Stop:
    """Stop token ``Sn``: closes a fiber and ``n`` enclosing fibers.

    Instances are interned; build them with :func:`S`.
    """

    __slots__ = ("level",)

    def __init__(self, level: int):
        self.level = level

    def __repr__(self) -> str:
        return f"S{self.level}"

    __str__ = __repr__

    def __reduce__(self):
        return (S, (self.level,))


class _Control:
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__

    def __reduce__(self):
        return (_CONTROL.__getitem__, (self.name,))


_STOPS = tuple(Stop(n) for n in range(MAX_STOP_LEVEL + 1))


def S(level: int) -> Stop:
    """The interned stop token of ``level`` (0..MAX_STOP_LEVEL)."""
    try:
        if level < 0:
            raise IndexError
        return _STOPS[level]
    except (IndexError, TypeError):
        raise TokenError(
            f"stop-token level {level!r} out of range 0..{MAX_STOP_LEVEL}") from None


#: Done: the last token of every stream.
D = _Control("D")
#: Empty: a fiber or value that does not exist on one side of a union.
N = _Control("N")
#: Repeat signal: emit the held reference once more.
R = _Control("R")
#: Repeat-stop signal (text ``S``): done with the held reference.
RS = _Control("S")

_CONTROL = {"D": D, "N": N, "R": R, "S": RS}

Token = int | float | Stop | _Control


def is_stop(tok) -> bool:
    return type(tok) is Stop


def is_data(tok) -> bool:
    """True for coordinates, references and values (numbers, not bool)."""
    t = type(tok)
    return t is int or t is float


def _parse_one(word: str, pos: int):
    if word in _CONTROL:
        return _CONTROL[word]
    if word[0] == "S" and word[1:].isdigit():
        return S(int(word[1:]))
    try:
        return int(word)
    except ValueError:
        pass
    try:
        return float(word)
    except ValueError:
        raise TokenError(
            f"bad token {word!r} at word {pos + 1}: expected an integer, a "
            f"number, S0..S{MAX_STOP_LEVEL}, D, N, R or S") from None


def parse(text: str | list) -> list:
    """Parse ``"0 2 S0 1 3 S1 D"`` into a token list.

    Commas and extra white space are accepted. A list is returned unchanged
    (copied), so helpers can take either form.
    """
    if isinstance(text, list):
        return list(text)
    words = text.replace(",", " ").split()
    return [_parse_one(w, i) for i, w in enumerate(words)]


def fmt(tokens, limit: int | None = None) -> str:
    """Text form of a token stream; ``limit`` shortens long streams for errors."""
    toks = list(tokens)
    if limit is not None and len(toks) > limit:
        head = " ".join(_fmt_one(t) for t in toks[:limit])
        return f"{head} ... ({len(toks) - limit} more)"
    return " ".join(_fmt_one(t) for t in toks)


def _fmt_one(t) -> str:
    if type(t) is float and t.is_integer():
        return repr(t)
    return str(t)
