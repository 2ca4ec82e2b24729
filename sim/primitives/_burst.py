"""Firing-log helper for nodes that may have several tokens ready for one
output port after consuming one input token."""

from __future__ import annotations

__all__ = ["burst"]


def burst(log: list, in_mask: int, outs) -> None:
    """Log one firing that consumes ``in_mask`` and emits one token on each
    port of ``outs`` (``(bit, count)`` pairs) with ``count > 0``, then extra
    firings until every port has emitted ``count`` tokens."""
    mask = in_mask
    rest = []
    for bit, count in outs:
        if count > 0:
            mask |= bit
            if count > 1:
                rest.append((bit, count - 1))
    if mask:
        log.append(mask)
    while rest:
        mask = 0
        nxt = []
        for bit, count in rest:
            mask |= bit
            if count > 1:
                nxt.append((bit, count - 1))
        log.append(mask)
        rest = nxt
