"""Shared part of the binary joiners (intersect, union)."""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import token_stream, check_width
from ..stream import OutReg

__all__ = ["BinaryJoiner"]


class BinaryJoiner(wiring.Component):
    """Ports ``crd0``, ``ref0``, ``crd1``, ``ref1`` in and ``crd``,
    ``ref0_out``, ``ref1_out`` out, all ``token_stream(crd_width)``.
    Subclasses implement :meth:`step`: the decision of one cycle. Outputs
    are registered (:class:`~rtl.stream.OutReg`); input ``ready`` is
    combinational in the output ``ready`` (one gate)."""

    def __init__(self, crd_width: int = 16):
        self.crd_width = check_width("crd_width", crd_width)
        t = token_stream(crd_width)
        super().__init__({
            "crd0": In(t), "ref0": In(t), "crd1": In(t), "ref1": In(t),
            "crd": Out(t), "ref0_out": Out(t), "ref1_out": Out(t),
        })

    def elaborate(self, platform):
        m = Module()
        outs = (OutReg(m, self.crd, "crd"), OutReg(m, self.ref0_out, "ref0_out"),
                OutReg(m, self.ref1_out, "ref1_out"))
        free = Signal()
        m.d.comb += free.eq(outs[0].free & outs[1].free & outs[2].free)
        # crdK/refK are consumed together: operand K is valid when both are
        valid = (self.crd0.valid & self.ref0.valid, self.crd1.valid & self.ref1.valid)
        take0, take1, go = self.step(m, outs, free, valid)
        m.d.comb += [
            self.crd0.ready.eq(take0 & go), self.ref0.ready.eq(take0 & go),
            self.crd1.ready.eq(take1 & go), self.ref1.ready.eq(take1 & go),
        ]
        return m

    def step(self, m, outs, free, valid):
        """Add the cycle's logic to ``m``; return ``(take0, take1, go)``:
        operand K is consumed when ``takeK & go``."""
        raise NotImplementedError
