"""Fan-out ("broadcast"): one producer, n consumers."""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import token_stream, check_width
from ..stream import OutReg, check_int
from . import RtlPrimitive, register

__all__ = ["Broadcast"]


class Broadcast(wiring.Component):
    """Copy one stream to ``n`` consumers.

    Each output has its own register and handshakes on its own: a consumer
    may take a token in a later cycle than another. The next input token is
    taken once every output register is free (empty, or being accepted this
    cycle).

    Ports
        ``i: In(token_stream(width))``; ``o0 .. o{n-1}: Out(token_stream(width))``
        (catalogue ports ``in`` / ``out``).
    Parameters
        ``n`` 1..64 consumers; ``width`` 0..64 data bits (0: repsig);
        ``signed`` for value streams.
    Attributes
        ``latency = 1`` (input token to output token, cycles).
    Timing
        One token per cycle when every consumer is ready; latency 1 cycle.
        Output ``valid`` is registered; ``i.ready`` is the AND of the
        outputs' ``~valid | ready`` (combinational, no path from any
        ``valid`` to a ``ready``, so consumers cannot form a loop through it).
    """

    def __init__(self, n: int = 2, width: int = 16, signed: bool = False):
        self.n = check_int("n", n, 1, 64)
        self.latency = 1
        self.width = check_width("width", width, minimum=0)
        t = token_stream(width, signed_data=signed)
        ports = {"i": In(t)}
        ports.update({f"o{k}": Out(t) for k in range(n)})
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        regs = [OutReg(m, getattr(self, f"o{k}"), f"o{k}") for k in range(self.n)]
        all_free = regs[0].free
        for r in regs[1:]:
            all_free = all_free & r.free
        free = Signal()
        m.d.comb += [free.eq(all_free), self.i.ready.eq(free)]
        with m.If(self.i.valid & free):
            for k in range(self.n):
                m.d.sync += [getattr(self, f"o{k}").valid.eq(1),
                             getattr(self, f"o{k}").payload.eq(self.i.payload)]
        return m


register(RtlPrimitive("broadcast", Broadcast,
                      formal_params=({"n": 2, "width": 3}, {"n": 3, "width": 0}),
                      doc=Broadcast.__doc__))
