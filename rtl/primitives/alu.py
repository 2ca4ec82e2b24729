"""Two-input integer ALU: catalogue types ``mul``, ``add`` (``sub``), ``max``, ``min``."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import Kind, token_stream, check_width
from ..stream import OutReg, check_bool
from . import RtlPrimitive, register
from ._skid import InBuf

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
        ``error: Out(1)``: sticky; a malformed pair was consumed (raised
        the cycle after). Cleared by reset.
    Parameters
        ``op``: one of ``add``, ``sub``, ``mul``, ``max``, ``min``;
        ``val_width``: value bits, 1..64 (default 32).
    Timing
        One token per cycle. Each input has a two-entry buffer (head and skid
        registers): input ``ready`` is a flip-flop, and the consume decision
        reads registers only. Output registered. Latency 2 cycles (input to
        output); ``mul`` 3 (a register stage holds the partial products, so a
        DSP block's delay is a path of its own).
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
        # kind decodes and zero tests are registered with the heads: the
        # consume decision below is a few gates from flip-flops
        flags = {"zero": lambda p: (p.kind == Kind.DATA) & (p.data == 0),
                 "data": lambda p: p.kind == Kind.DATA,
                 "stop": lambda p: p.kind == Kind.STOP}
        h0, h1 = InBuf(m, self.val0, "val0", flags), InBuf(m, self.val1, "val1", flags)
        f0, f1 = h0.flags, h1.flags
        a, b = h0.payload, h1.payload
        both = h0.valid & h1.valid
        # A lone zero facing the closing of an empty fiber is a reducer's sum
        # over nothing (design.md): dropped alone, without an output.
        fiber_empty = Signal(init=1)          # no value pair since the last stop pair
        drop0 = Signal()
        drop1 = Signal()
        m.d.comb += [
            drop0.eq(fiber_empty & f1["stop"] & f0["zero"]),
            drop1.eq(fiber_empty & f0["stop"] & f1["zero"]),
        ]
        both_data = f0["data"] & f1["data"]
        free = Signal()       # the stage after the heads can take a result
        fire = Signal()
        m.d.comb += [
            fire.eq(both & ~drop0 & ~drop1 & free),
            h0.take.eq(fire | (both & drop0)),
            h1.take.eq(fire | (both & drop1)),
        ]
        with m.If(fire):
            m.d.sync += fiber_empty.eq(~both_data)
        # error: the token pair's difference, 2 bits per flip-flop, is checked
        # in the next cycle (a wide compare off the consume path)
        av, bv = a.as_value(), b.as_value()
        differs = Signal((len(av) + 1) // 2)
        pair_check = Signal()
        m.d.sync += [differs.eq(Cat(av[i:i + 2] != bv[i:i + 2] for i in range(0, len(av), 2))),
                     pair_check.eq(fire & ~both_data)]
        with m.If(pair_check & differs.any()):
            m.d.sync += self.error.eq(1)
        x, y = a.data, b.data
        if self.op == "mul":
            self._mul(m, out, free, fire, both_data, a, b)
            return m
        m.d.comb += free.eq(out.free)
        # max/min: the sign of the exact (val_width + 1)-bit difference, a
        # carry chain, not a comparator in LUTs
        lt = (x - y)[-1]
        result = {
            "add": x + y,
            "sub": x - y,
            "max": Mux(lt, y, x),
            "min": Mux(lt, x, y),
        }[self.op]
        with m.If(fire):
            with m.If(both_data):
                out.load(kind=Kind.DATA, data=result[:self.val_width])
            with m.Else():
                out.load(kind=a.kind, data=a.data)
        return m

    def _mul(self, m, out, free, fire, both_data, a, b):
        """Two stages: partial products of the heads' values into registers
        (the DSP blocks' combinational delay alone), then their sum into the
        output register."""
        w = self.val_width
        x, y = a.data.as_unsigned(), b.data.as_unsigned()
        # the low w bits of a product do not depend on signedness
        if w <= 18:                           # one ECP5 MULT18X18D
            parts = [Signal(w, name="mul_p")]
            m_prod = [x * y]
        else:                                 # (xh*2^h + xl)(yh*2^h + yl) mod 2^w
            h = w // 2
            xl, xh, yl, yh = x[:h], x[h:], y[:h], y[h:]
            parts = [Signal(w, name="mul_ll"), Signal(w - h, name="mul_lh"),
                     Signal(w - h, name="mul_hl")]
            m_prod = [xl * yl, xl * yh, xh * yl]
        p_valid = Signal()
        p_data = Signal()                     # the token is a value pair,
        p_kind, p_pass = Signal(Kind), Signal(w)  # else val0's token
        m.d.comb += free.eq(~p_valid | out.free)
        with m.If(p_valid & out.free):
            m.d.sync += p_valid.eq(0)
            with m.If(p_data):
                if len(parts) == 1:
                    out.load(kind=Kind.DATA, data=parts[0])
                else:
                    h = w // 2
                    out.load(kind=Kind.DATA,
                             data=(parts[0] + ((parts[1] + parts[2])[:w - h] << h))[:w])
            with m.Else():
                out.load(kind=p_kind, data=p_pass)
        with m.If(fire):
            m.d.sync += [p_valid.eq(1), p_data.eq(both_data), p_kind.eq(a.kind),
                         p_pass.eq(a.data)]
            m.d.sync += [p.eq(v[:len(p)]) for p, v in zip(parts, m_prod)]


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
