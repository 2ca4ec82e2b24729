"""Coordinate hold ("crdhold")."""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import Kind, token_stream, check_width
from ..stream import OutReg
from . import RtlPrimitive, register
from ._skid import InBuf

__all__ = ["CrdHold"]


class CrdHold(wiring.Component):
    """Repeat each outer coordinate once per coordinate of its inner fiber.

    Ports (all ``token_stream(crd_width)``)
        In: ``outer`` (level k crd stream), ``inner`` (level k+1 crd or ref
        stream). Out: ``outer_out`` (catalogue out ``outer``: the held outer
        coordinates with the inner stream's stop tokens), ``inner_out``
        (catalogue out ``inner``: the inner stream unchanged).
    Behaviour (spec 2.8; golden model ``sim/primitives/crdhold.py``)
        One inner fiber belongs to each outer coordinate (``N`` counts as a
        coordinate), plus one closing ``S(k+1)`` per empty outer fiber (an
        outer ``Sk`` where a coordinate is expected). An inner ``Sn`` with
        n >= 1 also consumes the outer stop token ``S(n-1)``.
    Parameters
        ``crd_width``: data bits of both streams, 1..64.
    Timing
        Outputs registered, latency 2 cycles, one inner token per cycle. Each
        input has a two-entry buffer (head and skid registers): input
        ``ready`` is a flip-flop and the consume decision reads registers. One
        structural exception: an empty inner fiber that also closes the outer
        fiber (inner ``Sn``, n >= 1, right after the outer coordinate) takes
        two cycles (the outer coordinate and the outer stop token are two
        tokens).
    """

    def __init__(self, crd_width: int = 16):
        self.crd_width = check_width("crd_width", crd_width)
        #: Cycles from an inner token to its output pair (see Timing).
        self.latency = 2
        t = token_stream(crd_width)
        super().__init__({"outer": In(t), "inner": In(t),
                          "outer_out": Out(t), "inner_out": Out(t)})

    def elaborate(self, platform):
        m = Module()
        oo = OutReg(m, self.outer_out, "outer_out")
        oi = OutReg(m, self.inner_out, "inner_out")
        held = Signal(self.crd_width)
        held_n = Signal()        # held coordinate is N
        held_valid = Signal()    # the current fiber's outer coordinate was consumed
        # heads in registers, with the inner stop level's zero test: the
        # consume decision reads flip-flops only
        bi = InBuf(m, self.inner, "inner", {"s0": lambda p: p.data == 0})
        bo = InBuf(m, self.outer, "outer")
        x, h = bi.payload, bo.payload
        free = Signal()
        m.d.comb += free.eq(oo.free & oi.free)
        take_i, take_o, emit, crd_out = Signal(), Signal(), Signal(), Signal()
        hv = bo.valid
        h_crd = (h.kind == Kind.DATA) | (h.kind == Kind.EMPTY)

        with m.If(bi.valid):
            with m.Switch(x.kind):
                with m.Case(Kind.DATA, Kind.EMPTY):
                    with m.If(held_valid):
                        m.d.comb += [take_i.eq(1), emit.eq(1), crd_out.eq(1)]
                    with m.Elif(hv):
                        m.d.comb += [take_i.eq(1), take_o.eq(1), emit.eq(1), crd_out.eq(1)]
                with m.Case(Kind.STOP):
                    with m.If(held_valid):
                        with m.If(bi.flags["s0"]):
                            m.d.comb += [take_i.eq(1), emit.eq(1)]
                        with m.Elif(hv):
                            m.d.comb += [take_i.eq(1), take_o.eq(1), emit.eq(1)]
                    with m.Elif(hv):
                        with m.If(h_crd & ~bi.flags["s0"]):
                            m.d.comb += take_o.eq(1)          # coordinate of an empty fiber
                        with m.Else():                        # S0 of an empty fiber, or
                            m.d.comb += [take_i.eq(1), take_o.eq(1), emit.eq(1)]  # empty outer fiber
                with m.Case(Kind.DONE):
                    with m.If(hv):
                        m.d.comb += [take_i.eq(1), take_o.eq(1), emit.eq(1)]

        go = Signal()
        m.d.comb += [
            go.eq(~emit | free),
            bi.take.eq(take_i & go),
            bo.take.eq(take_o & go),
        ]
        with m.If(go):
            with m.If(take_o & h_crd):
                m.d.sync += [held.eq(h.data), held_n.eq(h.kind == Kind.EMPTY)]
            with m.If(take_i & (x.kind == Kind.STOP)):
                m.d.sync += held_valid.eq(0)
            with m.Elif(take_o & h_crd):
                m.d.sync += held_valid.eq(1)
            with m.If(emit):
                oi.load(kind=x.kind, data=x.data)
                with m.If(crd_out):
                    with m.If(held_valid & held_n):
                        oo.load(kind=Kind.EMPTY)
                    with m.Elif(held_valid):
                        oo.load(kind=Kind.DATA, data=held)
                    with m.Else():
                        oo.load(kind=h.kind, data=h.data)
                with m.Else():
                    oo.load(kind=x.kind, data=x.data)
        return m


register(RtlPrimitive("crdhold", CrdHold, formal_params=({"crd_width": 3},),
                      doc=CrdHold.__doc__))
