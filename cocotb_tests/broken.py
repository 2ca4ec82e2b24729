"""Components broken on purpose, shared by the negative controls of the
generic bench (cocotb_tests/test_bench.py) and of the formal stream-rule
check (tests/test_formal.py): each must be caught."""

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from rtl.encoding import token_stream

__all__ = ["DropsValid"]


class DropsValid(wiring.Component):
    """Broken on purpose: valid falls after one stalled cycle.

    Ports ``i`` and ``o``: token streams of ``width`` data bits.
    """

    def __init__(self, width: int = 8):
        super().__init__({"i": In(token_stream(width)), "o": Out(token_stream(width))})

    def elaborate(self, platform):
        m = Module()
        age = Signal()
        m.d.comb += self.i.ready.eq(~self.o.valid)
        with m.If(self.o.valid):
            m.d.sync += age.eq(~age)
            with m.If(self.o.ready | age):
                m.d.sync += [self.o.valid.eq(0), age.eq(0)]
        with m.Elif(self.i.valid):
            m.d.sync += [self.o.valid.eq(1), self.o.payload.eq(self.i.payload)]
        return m
