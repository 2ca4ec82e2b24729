"""Fan-out (``broadcast``): the output stream is the input stream. The engine
folds broadcast nodes into direct fan-out edges (they are zero-cost); this
model exists for running the node alone. One token per firing."""

from __future__ import annotations

from sam.tokens import D

from ..primitive import SimPrimitive, register

__all__ = ["Broadcast"]


@register
class Broadcast(SimPrimitive):
    """Ports: ``in`` in, ``out`` out (any stream type)."""

    type_name = "broadcast"

    def run(self, ins, log):
        (s,) = self.inputs_of(ins)
        if not s or s[-1] is not D:
            raise self.missing_d("in", s)
        k = s.index(D)
        self.check_end("in", s, k)
        log.extend([self.cbit("in") | self.obit("out")] * len(s))
        return {"out": list(s)}
