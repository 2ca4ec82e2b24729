"""Reducer ("reduce"): sums each innermost fiber."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal
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
        combinationally on output ``ready`` only for tokens that emit. The
        running sum is kept in two halves (low ``val_width // 2`` bits and
        the rest): a value's high half and the low half's carry are added
        one cycle later (and when the sum is emitted), so no carry chain is
        longer than about half the width.
    """

    def __init__(self, val_width: int = 32):
        self.val_width = check_width("val_width", val_width)
        #: Cycles from an input token to its output (see Timing).
        self.latency = 1
        t = token_stream(val_width, signed_data=True)
        super().__init__({"val": In(t), "val_out": Out(t)})

    def elaborate(self, platform):
        m = Module()
        out = OutReg(m, self.val_out, "val_out")
        w = self.val_width
        lo_w = w // 2                          # 0 for val_width 1: no split
        hi_w = w - lo_w
        acc_lo = Signal(lo_w)
        acc_hi = Signal(hi_w)
        hi_in = Signal(hi_w)                   # last value's high half, not yet added
        carry = Signal()                       # carry out of the last low-half add
        # acc_hi + hi_in + carry in one chain: the carry enters both LSBs
        hi_sum = ((Cat(carry, acc_hi) + Cat(carry, hi_in))[1:hi_w + 1])
        pend = Signal()                        # S(n-1) still to be emitted
        pend_level = Signal(STOP_LEVEL_BITS)
        p = self.val.payload
        x = p.data.as_unsigned()
        is_data = (p.kind == Kind.DATA) | (p.kind == Kind.EMPTY)

        # fold the pending high half every cycle (a no-op once it is zero)
        m.d.sync += [acc_hi.eq(hi_sum), hi_in.eq(0), carry.eq(0)]
        with m.If(pend):
            m.d.comb += self.val.ready.eq(0)
            with m.If(out.free):
                out.load(kind=Kind.STOP, data=pend_level)
                m.d.sync += pend.eq(0)
        with m.Elif(is_data):
            m.d.comb += self.val.ready.eq(1)
            with m.If(self.val.valid & (p.kind == Kind.DATA)):
                m.d.sync += hi_in.eq(x[lo_w:])
                if lo_w:
                    lo = acc_lo + x[:lo_w]
                    m.d.sync += [acc_lo.eq(lo[:lo_w]), carry.eq(lo[lo_w])]
        with m.Else():
            m.d.comb += self.val.ready.eq(out.free)
            with m.If(self.val.valid & out.free):
                with m.If(p.kind == Kind.STOP):
                    out.load(kind=Kind.DATA, data=Cat(acc_lo, hi_sum))
                    m.d.sync += [acc_lo.eq(0), acc_hi.eq(0)]
                    level = x[:STOP_LEVEL_BITS]      # encoding: levels fit these bits
                    with m.If(level != 0):
                        m.d.sync += [pend.eq(1), pend_level.eq(level - 1)]
                with m.Else():
                    out.load(kind=Kind.DONE)
        return m


register(RtlPrimitive("reduce", Reduce, formal_params=({"val_width": 3},),
                      doc=Reduce.__doc__))
