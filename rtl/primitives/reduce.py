"""Reducer ("reduce"): sums each innermost fiber."""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import Kind, token_stream, check_width, STOP_LEVEL_BITS
from ..stream import OutReg
from . import RtlPrimitive, register

__all__ = ["Reduce"]


class Reduce(wiring.Component):
    """Sum of each innermost fiber; the output has one nesting level fewer.

    Ports
        In: ``val``; Out: ``val_out`` (catalogue output ``val``); both
        ``token_stream(val_width, signed_data=True)``.
    Behaviour (spec 2.6)
        A value is added to the running sum (``N`` adds nothing). ``S0``
        emits the sum (0 for an empty fiber) and clears it. ``Sn`` (n >= 1)
        emits the sum, then ``S(n-1)`` in the next output slot. ``D`` emits
        ``D``. Sums wrap modulo 2**val_width.
    Parameters
        ``val_width``: value bits, 1..64 (default 32).
    Timing
        Output registered, latency 1 cycle. One input token per cycle, except
        the structural extra output: ``Sn`` with n >= 1 produces two tokens,
        so the input stalls one cycle after it. Input ``ready`` depends
        combinationally on output ``ready`` only for tokens that emit.
    """

    def __init__(self, val_width: int = 32):
        self.val_width = check_width("val_width", val_width)
        t = token_stream(val_width, signed_data=True)
        super().__init__({"val": In(t), "val_out": Out(t)})

    def elaborate(self, platform):
        m = Module()
        out = OutReg(m, self.val_out, "val_out")
        acc = Signal(self.val_width)
        pend = Signal()                        # S(n-1) still to be emitted
        pend_level = Signal(STOP_LEVEL_BITS)
        p = self.val.payload
        is_data = (p.kind == Kind.DATA) | (p.kind == Kind.EMPTY)

        with m.If(pend):
            m.d.comb += self.val.ready.eq(0)
            with m.If(out.free):
                out.load(kind=Kind.STOP, data=pend_level)
                m.d.sync += pend.eq(0)
        with m.Elif(is_data):
            m.d.comb += self.val.ready.eq(1)
            with m.If(self.val.valid & (p.kind == Kind.DATA)):
                m.d.sync += acc.eq(acc + p.data)
        with m.Else():
            m.d.comb += self.val.ready.eq(out.free)
            with m.If(self.val.valid & out.free):
                with m.If(p.kind == Kind.STOP):
                    out.load(kind=Kind.DATA, data=acc)
                    m.d.sync += acc.eq(0)
                    with m.If(p.data != 0):
                        m.d.sync += [pend.eq(1), pend_level.eq(p.data - 1)]
                with m.Else():
                    out.load(kind=Kind.DONE)
        return m


register(RtlPrimitive("reduce", Reduce, formal_params=({"val_width": 3},),
                      doc=Reduce.__doc__))
