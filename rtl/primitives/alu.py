"""Two-input integer ALU: catalogue types ``mul``, ``add`` (``sub``), ``max``, ``min``."""

from __future__ import annotations

from amaranth.hdl import C, Cat, ClockSignal, Instance, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import Kind, token_stream, check_width
from ..stream import check_bool
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
        stream (the golden model raises an error; design.md difference 3)
        and raises ``error``: a value or ``N`` facing a stop token or ``D``
        is consumed alone, like the zero (the consume decision reads one
        flag per head); any other pair is consumed together and emits
        ``val0``'s token.
    Ports (status)
        ``error: Out(1)``: sticky; a malformed pair was consumed (raised
        three cycles later). Cleared by reset.
    Parameters
        ``op``: one of ``add``, ``sub``, ``mul``, ``max``, ``min``;
        ``val_width``: value bits, 1..64 (default 32).
    Platform
        Elaborated with ``platform.family == "ecp5"`` (``amaranth.vendor``
        Lattice platforms, ``rtl.synth.TargetPlatform``), ``mul`` with
        ``val_width`` <= 36 instantiates MULT18X18D blocks whose input and
        output registers are pipeline stages (no path through a DSP's
        combinational delay). Otherwise the same stages are fabric registers
        around a ``*``; the cycle behaviour is the same.
    Timing
        One token per cycle, none lost or repeated under any stall pattern.
        Each input has a two-entry buffer (head and skid registers): input
        ``ready`` is a flip-flop, and the consume decision reads registers
        only. Behind the heads a pipeline that moves as one while the output
        buffer (output register plus skid, an InBuf) has room, so that
        condition is a flip-flop too. Latency (input to output): ``add`` 3
        cycles: head, stage (low half of the sum and its carry), output
        (the high half's carry chain feeds the output buffer); ``sub``,
        ``max`` and ``min`` 4: head, stage (low half / per-segment
        comparisons), result register, output. ``mul`` 5: head (its copy
        is the operand registers, the DSP input registers), partial
        products (DSP output registers), sum of the cross products, result
        register, output; 4 for ``val_width`` <= 18 (one product, no sum).
    """

    def __init__(self, op: str, val_width: int = 32):
        if op not in ALU_OPS:
            raise ValueError(f"op must be one of {', '.join(ALU_OPS)}, not {op!r}")
        self.op = op
        self.val_width = check_width("val_width", val_width)
        #: Cycles from an input pair to its result (see Timing).
        self.latency = {"mul": 5 if val_width > 18 else 4, "add": 3}.get(op, 4)
        t = token_stream(val_width, signed_data=True)
        super().__init__({"val0": In(t), "val1": In(t), "val": Out(t), "error": Out(1)})

    def elaborate(self, platform):
        m = Module()
        # kind decodes are registered with the heads: the consume decision
        # below is a few gates from flip-flops
        flags = {"data": lambda p: p.kind == Kind.DATA,
                 "stop": lambda p: p.kind == Kind.STOP,
                 "vn": lambda p: (p.kind == Kind.DATA) | (p.kind == Kind.EMPTY)}
        h0, h1 = InBuf(m, self.val0, "val0", flags), InBuf(m, self.val1, "val1", flags)
        f0, f1 = h0.flags, h1.flags
        a, b = h0.payload, h1.payload
        both = h0.valid & h1.valid
        # The pipeline behind the heads moves as one (``adv``) whenever the
        # output buffer has room; that buffer is an InBuf too (output register
        # plus skid), so ``adv`` is a flip-flop and no path runs from the
        # output's ready into the consume decision.
        res = token_stream(self.val_width, signed_data=True).create()
        ob = InBuf(m, res, "val_out")
        adv = res.ready
        m.d.comb += [self.val.valid.eq(ob.valid), self.val.payload.eq(ob.payload),
                     ob.take.eq(self.val.ready & ob.valid)]
        # A lone zero facing the closing of an empty fiber is a reducer's sum
        # over nothing (design.md): dropped alone, without an output. The
        # decision looks at one flag per head, "value or N" (a value or N
        # facing a stop token or D is dropped alone: a five-input function
        # of registers drives each head's clock enable); whether the drop
        # was such a zero is checked a cycle later, off this path, and any
        # other drop raises ``error``.
        fiber_empty = Signal(init=1)          # no value pair since the last stop pair
        drop0 = Signal()
        drop1 = Signal()
        m.d.comb += [
            drop0.eq(f0["vn"] & ~f1["vn"]),
            drop1.eq(~f0["vn"] & f1["vn"]),
        ]
        both_data = f0["data"] & f1["data"]
        fire = Signal()
        m.d.comb += [
            fire.eq(both & ~drop0 & ~drop1 & adv),
            h0.take.eq(fire | (both & drop0)),
            h1.take.eq(fire | (both & drop1)),
        ]
        with m.If(fire):
            m.d.sync += fiber_empty.eq(~both_data)
        # error, off the consume path in three registered steps: 1) per
        # 2-bit slice, the pair's difference and each value's nonzero bits
        # (one LUT each); 2) their ORs; 3) the flag
        av, bv = a.as_value(), b.as_value()
        slices = range(0, len(av), 2)
        differs = Signal(len(slices))
        nz0, nz1 = Signal(len(slices)), Signal(len(slices))
        pair_check = Signal()
        dropped = Signal(2)                   # a head was dropped alone
        dropped_ok = Signal(2)                # ... facing the closing of an empty fiber
        m.d.sync += [differs.eq(Cat(av[i:i + 2] != bv[i:i + 2] for i in slices)),
                     nz0.eq(Cat(a.data[i:i + 2] != 0 for i in slices)),
                     nz1.eq(Cat(b.data[i:i + 2] != 0 for i in slices)),
                     pair_check.eq(fire & ~both_data),
                     dropped.eq(Cat(both & drop0, both & drop1)),
                     dropped_ok.eq(Cat(fiber_empty & f1["stop"], fiber_empty & f0["stop"]))]
        any_diff, any_nz, check2, dropped2 = Signal(), Signal(2), Signal(), Signal(2)
        dropped2_ok = Signal(2)
        m.d.sync += [any_diff.eq(differs.any()), any_nz.eq(Cat(nz0.any(), nz1.any())),
                     check2.eq(pair_check), dropped2.eq(dropped), dropped2_ok.eq(dropped_ok)]
        with m.If((check2 & any_diff) | (dropped2 & (any_nz | ~dropped2_ok)).any()):
            m.d.sync += self.error.eq(1)
        if self.op == "mul":
            data, depth = self._mul(m, platform, adv, h0, h1, both_data)
        else:
            build = self._addsub if self.op in ("add", "sub") else self._maxmin
            data, depth = build(m, platform, adv, a, b, both_data)
        # the result in a register of its own (the output buffer's input mux
        # is not behind the last carry chain), except for add, whose last
        # carry chain is half the width: it feeds the output buffer (ECP5
        # seeds 1-3 >= 209 MHz; sub's fell to 202 without the register)
        if self.op == "add":
            result = data
        else:
            result = Signal(self.val_width, name="result")
            with m.If(adv):
                m.d.sync += result.eq(data)
            depth += 1
        # valid bit and kind of each stage travel beside the op's registers
        valid, kind = fire, a.kind
        for k in range(depth):
            v, kd = Signal(name=f"s{k}_valid"), Signal(Kind, name=f"s{k}_kind")
            with m.If(adv):
                m.d.sync += [v.eq(valid), kd.eq(kind)]
            valid, kind = v, kd
        # one assignment of the whole payload (design.md, Icarus hazard)
        m.d.comb += [res.valid.eq(valid), res.payload.as_value().eq(Cat(result, kind))]
        return m

    # Each helper loads its pipeline registers while ``en`` is high (whatever
    # the valid bits say) and returns (the result from its last registers,
    # the number of register stages). A pair that is not two values must
    # come out as val0's data, so the operand of val1 is replaced by the op's
    # identity (0 for add/sub, 1 for mul, val0 for max/min); the token's kind
    # travels beside the pipeline.

    def _addsub(self, m, platform, en, a, b, both_data):
        """Stage 1: low half of the sum (and its carry), high operands;
        output: high half. Each carry chain is about half the width."""
        w = self.val_width
        lo_w = w // 2
        x = a.data.as_unsigned()
        y = Mux(both_data, b.data.as_unsigned(), 0)
        cin = int(self.op == "sub")                    # x - y = x + ~y + 1
        if cin:
            y = ~y
        lo = Signal(lo_w, name="sum_lo")
        carry = Signal(name="sum_carry")
        xh, yh = Signal(w - lo_w, name="sum_xh"), Signal(w - lo_w, name="sum_yh")
        with m.If(en):
            m.d.sync += [xh.eq(x[lo_w:]), yh.eq(y[lo_w:])]
            if lo_w:
                t = Cat(C(cin, 1), x[:lo_w]) + Cat(C(cin, 1), y[:lo_w])
                m.d.sync += [lo.eq(t[1:lo_w + 1]), carry.eq(t[lo_w + 1])]
            else:
                m.d.sync += carry.eq(cin)
        hi = (Cat(carry, xh) + Cat(carry, yh))[1:w - lo_w + 1]
        return Cat(lo, hi), 1

    def _maxmin(self, m, platform, en, a, b, both_data):
        """Stage 1: operands, and per 8-bit segment whether val0's is below
        or above val1's (short parallel carry chains; the top segment
        signed); stage 2: the highest unequal segment decides, the result
        picks one."""
        w = self.val_width
        x, y = Signal(w, name="cmp_x"), Signal(w, name="cmp_y")
        ax, bx = a.data, b.data
        segs = [(i, min(i + 8, w)) for i in range(0, w, 8)]
        lts = [Signal(name=f"cmp_lt{k}") for k in range(len(segs))]
        gts = [Signal(name=f"cmp_gt{k}") for k in range(len(segs))]
        with m.If(en):
            # not two values: y = x, so the pick is val0's data either way
            m.d.sync += [x.eq(ax), y.eq(Mux(both_data, bx, ax))]
            for (lo, hi), lt, gt in zip(segs, lts, gts):
                sa, sb = ax[lo:hi], bx[lo:hi]
                if hi == w:                   # the sign bit's segment
                    sa, sb = sa.as_signed(), sb.as_signed()
                m.d.sync += [lt.eq(sa < sb), gt.eq(sb < sa)]
        lt = C(0, 1)                          # x < y (signed), lowest segment first
        for l, g in zip(lts, gts):
            lt = l | (~g & lt)
        return (Mux(lt, y, x) if self.op == "max" else Mux(lt, x, y)), 1

    def _mul(self, m, platform, en, h0, h1, both_data):
        """The operand registers are copies of the heads ``h0``, ``h1``
        (loaded with them, :class:`InBuf` ``load``/``next``), so they add no
        stage; stage 1: partial products; output: their sum. On ECP5
        (``platform.family == "ecp5"``, ``val_width`` <= 36) the operand
        and stage 1 registers are the input and output registers of
        MULT18X18D blocks, so no path crosses a DSP's combinational delay;
        elsewhere they are fabric registers around a ``*`` (the same
        cycles). The operands are the raw data (no logic before the DSP
        inputs); a pair that is not two values gives val0's data, kept
        beside the products and selected after them."""
        w = self.val_width
        # the low w bits of a product do not depend on signedness
        x, y = h0.next.data.as_unsigned(), h1.next.data.as_unsigned()
        h = (w + 1) // 2                      # 2h >= w: xh*yh vanishes mod 2^w
        if w <= 18:                           # one 18x18 multiplier
            pairs, widths = [(x, y)], [w]
        else:                                 # (xh*2^h + xl)(yh*2^h + yl) mod 2^w
            pairs = [(x[:h], y[:h]), (x[:h], y[h:]), (x[h:], y[:h])]
            widths = [w, w - h, w - h]
        dsp = getattr(platform, "family", None) == "ecp5" and w <= 36
        parts = []
        for k, ((pa, pb), pw) in enumerate(zip(pairs, widths)):
            p = Signal(pw, name=f"mul_p{k}")
            if dsp:
                _ecp5_mult(m, f"mul_dsp{k}", pa, pb, p, h0.load, h1.load, en)
            else:
                ra, rb = Signal(len(pa), name=f"mul_a{k}"), Signal(len(pb), name=f"mul_b{k}")
                with m.If(h0.load):
                    m.d.sync += ra.eq(pa)
                with m.If(h1.load):
                    m.d.sync += rb.eq(pb)
                with m.If(en):
                    m.d.sync += p.eq((ra * rb)[:pw])
            parts.append(p)
        # beside stage 1: val0's data and whether the pair is two values
        x1, bd1 = Signal(w, name="mul_x1"), Signal(name="mul_bd1")
        with m.If(en):
            m.d.sync += [x1.eq(h0.payload.data), bd1.eq(both_data)]
        if len(parts) == 1:
            return Mux(bd1, parts[0], x1), 1
        # stage 2: the two cross products summed, the low product (or val0's
        # data) kept; output: its high half plus that sum (or 0)
        ll, cross = Signal(w, name="mul_ll"), Signal(w - h, name="mul_cross")
        bd2 = Signal(name="mul_bd2")
        with m.If(en):
            m.d.sync += [ll.eq(Mux(bd1, parts[0], x1)), cross.eq(parts[1] + parts[2]),
                         bd2.eq(bd1)]
        return Cat(ll[:h], (ll[h:] + Mux(bd2, cross, 0))[:w - h]), 2


def _ecp5_mult(m, name, a, b, p, ce_a, ce_b, ce_out):
    """An ECP5 MULT18X18D, unsigned, with its input registers (clock enables
    ``ce_a``, ``ce_b``) and output register (``ce_out``): ``p`` = low bits
    of the product of the input registers at the last ``ce_out``."""
    ports = {"i_CLK0": ClockSignal(), "i_CE0": ce_a, "i_CE2": ce_b, "i_CE1": ce_out,
             "i_SIGNEDA": C(0, 1), "i_SIGNEDB": C(0, 1),
             "i_SOURCEA": C(0, 1), "i_SOURCEB": C(0, 1)}
    for k in range(1, 4):
        ports[f"i_CLK{k}"] = C(0, 1)
    ports["i_CE3"] = C(0, 1)
    for k in range(4):
        ports[f"i_RST{k}"] = C(0, 1)
    for i in range(18):
        ports[f"i_A{i}"] = a[i] if i < len(a) else C(0, 1)
        ports[f"i_B{i}"] = b[i] if i < len(b) else C(0, 1)
        ports[f"i_C{i}"] = C(0, 1)
    prod = Signal(36, name=f"{name}_p")
    for i in range(36):
        ports[f"o_P{i}"] = prod[i]
    m.submodules[name] = Instance(
        "MULT18X18D",
        p_REG_INPUTA_CLK="CLK0", p_REG_INPUTA_CE="CE0", p_REG_INPUTA_RST="RST0",
        p_REG_INPUTB_CLK="CLK0", p_REG_INPUTB_CE="CE2", p_REG_INPUTB_RST="RST0",
        p_REG_OUTPUT_CLK="CLK0", p_REG_OUTPUT_CE="CE1", p_REG_OUTPUT_RST="RST0",
        p_GSR="DISABLED", p_RESETMODE="SYNC", **ports)
    m.d.comb += p.eq(prod[:len(p)])


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
