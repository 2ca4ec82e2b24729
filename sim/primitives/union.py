"""Unioner (``union``), binary.

Equal coordinates are emitted with both references; otherwise the smaller
coordinate (or the coordinate facing a stop token or ``N``) is emitted with
its reference and ``N`` on the other side's reference; equal stop tokens
pass; ``N`` (no fiber on that side) facing a stop token is dropped, ``N``
facing ``N`` gives ``N``. Mismatched stop tokens are an error.
Timing: one step per firing."""

from __future__ import annotations

from ..primitive import register
from ._joiner import BinaryJoiner

__all__ = ["Union"]


@register
class Union(BinaryJoiner):
    type_name = "union"
    union = True
