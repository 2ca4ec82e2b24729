"""Intersecter (``intersect``), binary.

Equal coordinates are emitted with both references; the smaller coordinate
(or a coordinate facing a stop token) is dropped; equal stop tokens pass
(so an empty intersection still closes its fiber); ``N`` facing a
coordinate or ``N`` emits ``N`` on all outputs (the reference's rule), ``N``
facing a stop token is dropped. Mismatched stop tokens are an error.
Timing: one step (advance one or both sides) per firing."""

from __future__ import annotations

from ..primitive import register
from ._joiner import BinaryJoiner

__all__ = ["Intersect"]


@register
class Intersect(BinaryJoiner):
    type_name = "intersect"
    union = False
