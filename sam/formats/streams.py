"""Reference streams of a stored tensor (spec section 1.3) and the writers'
recording rule, in plain Python. Tests of scanners, writers and whole graphs
use these as the expected token streams; they are not meant to be fast."""

from __future__ import annotations

import numpy as np

from ..tokens import D, N, S, Stop, TokenError, fmt as fmt_tokens
from .assemble import WrittenLevel
from .tensor import Tensor

__all__ = ["scan_level", "tensor_streams", "value_stream", "record_level", "record_vals"]


def scan_level(tensor: Tensor, level: int, in_refs: list) -> tuple[list, list]:
    """The ``(crd, ref)`` streams a level scanner of storage level ``level``
    produces for the input reference stream ``in_refs``.

    A reference ``r`` emits the fiber below parent position ``r`` and closes
    it by the peek rule (next input ``Sk`` is consumed and the closing is
    ``S(k+1)``, otherwise ``S0``); a stop token ``Sk`` where a reference is
    expected emits ``S(k+1)`` (an empty parent fiber); ``N`` emits ``N`` and
    closes it like a fiber; ``D`` ends both streams.
    """
    lv = tensor.levels[level]
    parent_size = 1 if level == 0 else tensor.levels[level - 1].size
    where = f"tensor {tensor.name} level {level}"
    crd_out: list = []
    ref_out: list = []
    i, n = 0, len(in_refs)
    while i < n:
        tok = in_refs[i]
        i += 1
        if tok is D:
            if i != n:
                raise TokenError(f"{where}: tokens after D in input ref stream "
                                 f"{fmt_tokens(in_refs, 40)}")
            crd_out.append(D)
            ref_out.append(D)
            return crd_out, ref_out
        if type(tok) is Stop:
            crd_out.append(S(tok.level + 1))
            ref_out.append(S(tok.level + 1))
            continue
        if tok is N:
            crd_out.append(N)
            ref_out.append(N)
        elif type(tok) is int and 0 <= tok < parent_size:
            crds, poss = lv.fiber(tok)
            crd_out.extend(int(c) for c in crds)
            ref_out.extend(int(p) for p in poss)
        else:
            raise TokenError(f"{where}: bad input reference {tok!r} (expected 0.."
                             f"{parent_size - 1}, a stop token, N or D)")
        nxt = in_refs[i] if i < n else None
        if type(nxt) is Stop:
            i += 1
            close = S(nxt.level + 1)
        else:
            close = S(0)
        crd_out.append(close)
        ref_out.append(close)
    raise TokenError(f"{where}: input ref stream does not end with D: "
                     f"{fmt_tokens(in_refs, 40)}")


def tensor_streams(tensor: Tensor) -> list[tuple[list, list]]:
    """``(crd_stream, ref_stream)`` of every storage level, outermost first,
    when the root scanner is fed ``[0, D]`` and each level's scanner is fed
    the ref stream of the level above (a full scan of the tensor)."""
    refs: list = [0, D]
    out = []
    for l in range(tensor.order):
        crd, refs = scan_level(tensor, l, refs)
        out.append((crd, refs))
    return out


def value_stream(tensor: Tensor, refs: list | None = None) -> list:
    """What an ``arrayvals`` node emits for ``refs`` (default: the innermost
    ref stream of a full scan, or ``[0, D]`` for a scalar): each reference
    loads its value, ``N`` loads 0, stop tokens and ``D`` pass."""
    if refs is None:
        refs = tensor_streams(tensor)[-1][1] if tensor.order else [0, D]
    zero = tensor.vals.dtype.type(0).item()
    out = []
    for tok in refs:
        if type(tok) is int:
            out.append(tensor.vals[tok].item())
        elif tok is N:
            out.append(zero)
        else:
            out.append(tok)
    return out


def record_level(crd_stream: list, dim: int | None = None) -> WrittenLevel:
    """The raw arrays a level writer records from ``crd_stream``: every
    coordinate is appended to ``crd``; every stop token closes one fiber and
    appends the running count to ``seg`` (which starts with 0)."""
    crd: list[int] = []
    seg = [0]
    for i, tok in enumerate(crd_stream):
        if type(tok) is int:
            crd.append(tok)
        elif type(tok) is Stop:
            seg.append(len(crd))
        elif tok is D:
            if i != len(crd_stream) - 1:
                raise TokenError(f"level writer: tokens after D in {fmt_tokens(crd_stream, 40)}")
            return WrittenLevel(np.array(crd, dtype=np.int64), np.array(seg, dtype=np.int64), dim)
        else:
            raise TokenError(f"level writer: unexpected token {tok!r} at position {i} of "
                             f"{fmt_tokens(crd_stream, 40)}; expected coordinates, stop "
                             f"tokens and a final D")
    raise TokenError(f"level writer: stream does not end with D: {fmt_tokens(crd_stream, 40)}")


def record_vals(val_stream: list) -> list:
    """The values a values writer records: every number, in order; stop
    tokens are skipped; the stream must end with ``D``."""
    out = []
    for i, tok in enumerate(val_stream):
        t = type(tok)
        if t is int or t is float:
            out.append(tok)
        elif t is Stop:
            continue
        elif tok is D:
            if i != len(val_stream) - 1:
                raise TokenError(f"values writer: tokens after D in {fmt_tokens(val_stream, 40)}")
            return out
        else:
            raise TokenError(f"values writer: unexpected token {tok!r} at position {i} of "
                             f"{fmt_tokens(val_stream, 40)}")
    raise TokenError(f"values writer: stream does not end with D: {fmt_tokens(val_stream, 40)}")
