"""Two-input integer ALU: catalogue types ``mul``, ``add`` (``sub``), ``max``, ``min``."""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import Kind, token_stream, check_width
from ..stream import OutReg, check_bool
from . import RtlPrimitive, register

__all__ = ["Alu", "ALU_OPS"]

#: Operations of :class:`Alu`; catalogue ``add`` with ``sub=1`` is ``"sub"``.
ALU_OPS = ("add", "sub", "mul", "max", "min")


class Alu(wiring.Component):
    """Element-wise operation on two aligned value streams.

    Ports
        In: ``val0``, ``val1``; Out: ``val``; all
        ``token_stream(val_width, signed_data=True)``.
    Behaviour (spec 2.5)
        Both heads are consumed together. Two values give ``op(val0, val1)``:
        ``add`` val0 + val1, ``sub`` val0 - val1, ``mul`` val0 * val1, ``max``,
        ``min`` (signed two's complement; results wrap modulo 2**val_width).
        Two stop tokens, two ``N`` or two ``D`` pass through (the token of
        ``val0``). A zero facing a stop token while the current fiber has no
        value yet is a reducer's sum over an empty fiber (design.md, reducer
        on empty parent fibers): it is consumed alone, without an output. Any
        other kind mismatch (or two different stop tokens) is a malformed
        stream (the golden model raises an error; design.md difference 3):
        the hardware consumes both heads, emits ``val0``'s token, so it never
        deadlocks, and raises ``error``.
    Ports (status)
        ``error: Out(1)``: sticky; a malformed pair was consumed. Cleared by
        reset.
    Parameters
        ``op``: one of ``add``, ``sub``, ``mul``, ``max``, ``min``;
        ``val_width``: value bits, 1..64 (default 32).
    Timing
        Output registered, latency 1 cycle, one token per cycle. Input
        ``ready`` = output free (combinational through one gate).
    """

    def __init__(self, op: str, val_width: int = 32):
        if op not in ALU_OPS:
            raise ValueError(f"op must be one of {', '.join(ALU_OPS)}, not {op!r}")
        self.op = op
        self.val_width = check_width("val_width", val_width)
        t = token_stream(val_width, signed_data=True)
        super().__init__({"val0": In(t), "val1": In(t), "val": Out(t), "error": Out(1)})

    def elaborate(self, platform):
        m = Module()
        out = OutReg(m, self.val, "val")
        a, b = self.val0.payload, self.val1.payload
        both = self.val0.valid & self.val1.valid
        # A lone zero facing the closing of an empty fiber is a reducer's sum
        # over nothing (design.md): dropped alone, without an output.
        fiber_empty = Signal(init=1)          # no value pair since the last stop pair
        drop0 = Signal()
        drop1 = Signal()
        m.d.comb += [
            drop0.eq(fiber_empty & (b.kind == Kind.STOP) & (a.kind == Kind.DATA) & (a.data == 0)),
            drop1.eq(fiber_empty & (a.kind == Kind.STOP) & (b.kind == Kind.DATA) & (b.data == 0)),
        ]
        fire = Signal()
        m.d.comb += [
            fire.eq(both & ~drop0 & ~drop1 & out.free),
            self.val0.ready.eq(fire | (both & drop0)),
            self.val1.ready.eq(fire | (both & drop1)),
        ]
        with m.If(fire):
            m.d.sync += fiber_empty.eq(~((a.kind == Kind.DATA) & (b.kind == Kind.DATA)))
        x, y = a.data, b.data
        result = {
            "add": x + y,
            "sub": x - y,
            "mul": x * y,
            "max": Mux(x < y, y, x),
            "min": Mux(x < y, x, y),
        }[self.op]
        with m.If(fire):
            with m.If((a.kind == Kind.DATA) & (b.kind == Kind.DATA)):
                out.load(kind=Kind.DATA, data=result[:self.val_width])
            with m.Else():
                out.load(kind=a.kind, data=a.data)
                with m.If((a.kind != b.kind) | (a.data != b.data)):
                    m.d.sync += self.error.eq(1)
        return m


def _factory(op):
    def make(val_width: int = 32):
        return Alu(op, val_width)
    make.__name__ = f"alu_{op}"
    return make


def _add_factory(val_width: int = 32, sub: bool = False):
    return Alu("sub" if check_bool("sub", sub) else "add", val_width)


register(RtlPrimitive("add", _add_factory,
                      formal_params=({"val_width": 3}, {"val_width": 3, "sub": True}),
                      doc=Alu.__doc__))
for _op in ("mul", "max", "min"):
    register(RtlPrimitive(_op, _factory(_op), formal_params=({"val_width": 3},),
                          doc=Alu.__doc__))
