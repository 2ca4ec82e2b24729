"""Hardware token encoding, shared by every RTL module and test bench.

ENCODING_VERSION 1. A token is ``data[W]`` in the low bits and ``kind[2]`` above:

====  ==========================================  =============
kind  crd / ref / val stream                      repsig stream
====  ==========================================  =============
0     data: coordinate, reference or value        R
1     stop token ``Sn``; ``data`` holds ``n``     S
2     N (empty)                                   (unused)
3     D (done)                                    D
====  ==========================================  =============

* ``W`` is the stream's data width: ``crd_width`` on crd/ref streams,
  ``val_width`` on val streams (values are signed two's complement), and 0 on
  repsig streams (their payload is the 2-bit kind alone).
* A stop level must fit in ``W`` bits (and in :data:`STOP_LEVEL_BITS` for
  modules that keep levels in narrower registers).
* ``data`` is zero for N and D (and for R/S); monitors check this.

Each stream is an :class:`amaranth.lib.stream.Signature` of :func:`token_layout`.
The Python helpers :func:`encode` and :func:`decode` convert between this
encoding and :mod:`sam.tokens` values; benches and the host driver use them.
"""

from __future__ import annotations

from amaranth.hdl import unsigned, signed
from amaranth.lib import data, enum, stream

from sam import tokens as T

__all__ = [
    "ENCODING_VERSION", "Kind", "token_layout", "token_stream", "encode",
    "decode", "EncodingError", "STOP_LEVEL_BITS", "check_width",
]

ENCODING_VERSION = 1

#: Registers that hold a stop level use this many bits (levels 0..15).
STOP_LEVEL_BITS = 4


class EncodingError(ValueError):
    """A token that cannot be encoded (or a word that does not decode)."""


class Kind(enum.Enum, shape=2):
    DATA = 0   # R on repsig streams
    STOP = 1   # S on repsig streams
    EMPTY = 2
    DONE = 3


def check_width(name: str, width: int, *, minimum: int = 1, maximum: int = 64) -> int:
    """Check a width parameter at construction; the message names it."""
    if not isinstance(width, int) or isinstance(width, bool) or not minimum <= width <= maximum:
        raise ValueError(
            f"{name} must be an integer in {minimum}..{maximum}, not {width!r}")
    return width


def token_layout(width: int, *, signed_data: bool = False) -> data.StructLayout:
    """Payload layout of a token stream with ``width`` data bits."""
    check_width("width", width, minimum=0)
    if width == 0:
        return data.StructLayout({"kind": Kind})
    shape = signed(width) if signed_data else unsigned(width)
    return data.StructLayout({"data": shape, "kind": Kind})


def token_stream(width: int, *, signed_data: bool = False) -> stream.Signature:
    """``lib.stream`` signature (payload, valid, ready) of a token stream."""
    return stream.Signature(token_layout(width, signed_data=signed_data))


def encode(tok, width: int, *, repsig: bool = False, signed_data: bool = False) -> int:
    """Encode one :mod:`sam.tokens` token as an integer payload word."""
    if repsig:
        if tok is T.R:
            kind = Kind.DATA
        elif tok is T.RS:
            kind = Kind.STOP
        elif tok is T.D:
            kind = Kind.DONE
        else:
            raise EncodingError(f"token {tok!r} cannot appear on a repsig stream")
        return kind.value << width
    if type(tok) is int:
        lo = -(1 << (width - 1)) if signed_data else 0
        hi = (1 << (width - 1)) - 1 if signed_data else (1 << width) - 1
        if not lo <= tok <= hi:
            raise EncodingError(
                f"value {tok} does not fit in {width} {'signed' if signed_data else 'unsigned'} bits "
                f"(range {lo}..{hi}); raise the data width")
        return (Kind.DATA.value << width) | (tok & ((1 << width) - 1))
    if type(tok) is T.Stop:
        if tok.level >= (1 << min(width, STOP_LEVEL_BITS)):
            raise EncodingError(f"stop token {tok} does not fit in the encoding")
        return (Kind.STOP.value << width) | tok.level
    if tok is T.N:
        return Kind.EMPTY.value << width
    if tok is T.D:
        return Kind.DONE.value << width
    if type(tok) is float:
        raise EncodingError(
            f"value {tok!r} is not an integer; the RTL datapath is integer only")
    raise EncodingError(f"token {tok!r} cannot be encoded")


def decode(word: int, width: int, *, repsig: bool = False, signed_data: bool = False):
    """Decode an integer payload word into a :mod:`sam.tokens` token."""
    kind = (word >> width) & 3
    value = word & ((1 << width) - 1) if width else 0
    if repsig:
        if kind == Kind.DATA.value:
            return T.R
        if kind == Kind.STOP.value:
            return T.RS
        if kind == Kind.DONE.value:
            return T.D
        raise EncodingError(f"word {word:#x} has kind {kind}, invalid on a repsig stream")
    if kind == Kind.DATA.value:
        if signed_data and value >> (width - 1):
            value -= 1 << width
        return value
    if kind == Kind.STOP.value:
        return T.S(value)
    if kind == Kind.EMPTY.value:
        return T.N
    return T.D
