"""Coordinate drop ("crddrop"): coordinate and value variants."""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import data
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import Kind, token_stream, check_width
from ..stream import check_bool, check_int
from . import RtlPrimitive, register
from ._skid import InBuf
from ._joiner import OutBuf, _data_reg


class _Out:
    """:class:`._joiner.OutBuf` (``free`` from a register, so the output ready
    reaches no decision) with a ``put``."""

    def __init__(self, m, port, name, choice=False):
        self._m, self._buf = m, OutBuf(m, port, name, choice=choice)
        self._layout = port.payload.shape()
        self.free = self._buf.free

    def put(self, when, **fields):
        """Load when ``when``; the data are driven whatever ``when``."""
        self._m.d.comb += self._buf.load.eq(when)
        if fields:
            self._buf.set(**fields)

    def choose(self, sel, **fields):
        """Emit the token ``fields`` if ``sel`` else the constant ``choice``,
        chosen after the output registers."""
        tok = Signal(self._layout)
        self._m.d.comb += [getattr(tok, k).eq(v) for k, v in fields.items()]
        self._buf.choose(sel, tok)


def _at_least(value, d):
    """``value >= d`` for a small constant ``d`` without a carry chain: the
    bits above ``d``'s width any set, or the low bits compared."""
    k = d.bit_length()
    if k >= len(value):
        return value >= d
    return value[k:].any() | (value[:k] >= d)


class _Stream:
    """An internal stream (``valid``, ``ready``, ``payload``) feeding an
    :class:`~rtl.primitives._skid.InBuf`."""

    def __init__(self, layout):
        self.valid, self.ready, self.payload = Signal(), Signal(), Signal(layout)


__all__ = ["CrdDrop"]


class CrdDrop(wiring.Component):
    """Remove outer coordinates whose inner fiber is empty (or, with
    ``vals=True``, whose value is zero).

    Ports
        In: ``outer`` (``token_stream(crd_width)``), ``inner``
        (``token_stream(crd_width)``; with ``vals=True`` the value stream,
        ``token_stream(val_width, signed_data=True)``).
        Out: ``outer_out``, ``inner_out`` (catalogue outputs ``outer``,
        ``inner``), same shapes as the inputs.
        Deep streams (coordinate variant, ``deep=n``): In ``deep1`` ..
        ``deep<n>``, Out ``deep1_out`` .. (catalogue ``deep_<idx>``, top
        down: ``deep<d>`` is the crd stream ``d`` levels below ``inner``),
        ``token_stream(crd_width)``.
    Behaviour (spec 2.8, golden model ``sim/primitives/crddrop.py``)
        Coordinate variant: ``inner`` is one level below ``outer``. An outer
        coordinate (or ``N``) is dropped with its inner fiber when that fiber
        is empty; the outer stream is token for token the reference's. The
        inner stream also loses the empty fibers of dropped coordinates
        (design.md, deliberate difference 1): a kept fiber's ``S0`` is held
        back until the next kept fiber starts (then emitted) or the outer
        fiber ends (then replaced by the closing ``Sn``); an outer fiber that
        loses every coordinate keeps its closing ``Sn`` in the inner stream.
        An empty outer fiber (outer ``Sk`` where a coordinate is expected)
        passes with its inner closing ``S(k+1)``.
        Deep stream ``d``: a stop token of level ``>= d`` (or ``D``) is the
        counterpart of an inner stop token (or ``D``): it is consumed in the
        cycle the inner stop token is, and leaves only when the inner
        output emits a stop token ``SL``, as ``S(L+d)`` (so it is dropped
        and held back/raised like the inner one; the held ``S0`` leaves as
        ``S(d)``). Every other deep token passes unchanged, except while an
        inner ``S0`` is held (it belongs to the next inner fiber).
        Value variant: ``outer`` and ``inner`` have the same structure; a
        (coordinate, value) pair whose value is zero is dropped, everything
        else passes. A zero value facing an outer stop token that closes an
        empty coordinate fiber (a reducer's sum over nothing, design.md
        difference 7) is dropped alone.
    Parameters
        ``crd_width``: data bits of crd streams, 1..64 (default 16);
        ``vals``: value variant (default False); ``val_width``: value bits of
        the value variant's ``inner`` streams, 1..64 (default 32);
        ``deep``: number of deep streams, 0..8 and ``< 2**crd_width``
        (default 0; coordinate variant only).
    Timing
        Coordinate variant: inputs through :class:`~rtl.primitives._skid.InBuf`
        (registered ``ready``; the decision reads registers); outputs
        buffered (:class:`._joiner.OutBuf`, registered ``free``), latency 2
        cycles (3 for inner tokens behind a held ``S0``: a one-entry skid
        register on ``inner_out`` lets the held ``S0`` and the next fiber's
        first coordinate leave in consecutive cycles without stalling the
        input). One inner token per cycle; one structural exception: an empty
        inner fiber that closes the outer fiber (inner ``Sn``, n >= 1, right
        after the outer coordinate) takes two cycles. Deep streams are
        decoupled from the inner decision: each inner stop token consumed
        (and each held ``S0`` emitted) queues a command (two entries per deep
        stream, registered ready; the inner stream waits only while a queue
        is full) that the deep stream executes on its paired token; deep
        tokens pass one per cycle per deep stream, concurrently with the
        inner stream, latency 2 (a paired token leaves 2 cycles after
        its inner counterpart is consumed, at the earliest). The value
        variant reads its inputs directly (its ``ready`` depends on both
        inputs' ``valid`` and kinds and on registers) into a stage register
        that also registers the zero test, then the output registers:
        latency 2, one pair per cycle. Every output has a skid register, and
        takes a token whenever that register is empty (``free``, a
        register: the output ready reaches no decision).
    """

    def __init__(self, crd_width: int = 16, vals: bool = False, val_width: int = 32,
                 deep: int = 0):
        self.crd_width = check_width("crd_width", crd_width)
        self.vals = check_bool("vals", vals)
        self.val_width = check_width("val_width", val_width)
        self.deep = check_int("deep", deep, 0, min(8, 2 ** crd_width - 1))
        #: Cycles from an input token to its first output token.
        self.latency = 2
        if deep and vals:
            raise ValueError("deep must be 0 with vals=True (the value variant has no "
                             "deep streams)")
        t = token_stream(crd_width)
        ti = token_stream(val_width, signed_data=True) if vals else t
        members = {"outer": In(t), "inner": In(ti), "outer_out": Out(t), "inner_out": Out(ti)}
        for d in range(1, deep + 1):
            members[f"deep{d}"] = In(t)
            members[f"deep{d}_out"] = Out(t)
        super().__init__(members)

    def elaborate(self, platform):
        return self._elab_vals() if self.vals else self._elab_crd()

    def _elab_vals(self):
        m = Module()
        oo = OutBuf(m, self.outer_out, "outer_out")
        oi = OutBuf(m, self.inner_out, "inner_out")
        # inputs straight from the FIFOs (behind input buffers the spmspm_ijk
        # graph deadlocked under Icarus, issue 6 report); a pair goes to the
        # stage register ``a`` with its zero test, then to the output
        # registers: the wide zero test ends in a register of its own
        c, v = self.outer.payload, self.inner.payload
        both = self.outer.valid & self.inner.valid
        fiber_empty = Signal(init=1)       # no coordinate since the last outer stop token
        # A value facing the stop token that closes an empty coordinate fiber
        # is a reducer's zero over nothing (design.md): consumed alone. The
        # decision reads the kinds only (the zero test stays off the ready
        # path); a nonzero value there is a malformed stream (the golden
        # model raises an error) and is dropped alike.
        lone = Signal()
        m.d.comb += lone.eq(fiber_empty & (c.kind == Kind.STOP) & (v.kind == Kind.DATA))
        a_valid, a_keep = Signal(name="a_valid"), Signal(name="a_keep")
        a_c = _data_reg(c.shape(), "a_outer")
        a_v = _data_reg(v.shape(), "a_inner")
        # both output registers free: registers (no output ready on this path)
        out_free = oo.free & oi.free
        a_free = Signal()                  # stage a takes a pair (registers only)
        fire = Signal()
        m.d.comb += [
            a_free.eq(~a_valid | ~a_keep | out_free),
            fire.eq(both & ~lone & a_free),
            self.outer.ready.eq(fire),
            self.inner.ready.eq(both & (lone | a_free)),
        ]
        with m.If(fire):
            m.d.sync += fiber_empty.eq(c.kind != Kind.DATA)
        with m.If(a_free):
            m.d.sync += [a_valid.eq(fire), a_c.eq(c), a_v.eq(v),
                         a_keep.eq(~((c.kind == Kind.DATA) & (v.kind == Kind.DATA) &
                                     (v.data == 0)))]
        load = a_valid & a_keep & out_free
        m.d.comb += [oo.load.eq(load), oi.load.eq(load)]
        oo.set(kind=a_c.kind, data=a_c.data)
        oi.set(kind=a_v.kind, data=a_v.data)
        return m

    def _elab_crd(self):
        m = Module()
        oo = _Out(m, self.outer_out, "outer_out")
        w = self.crd_width
        # the held S0 is the constant second candidate (see the inner output)
        s0 = self.inner_out.payload.shape().const({"kind": Kind.STOP}).as_value().value
        oi = _Out(m, self.inner_out, "inner_out", choice=s0)
        crd_taken = Signal()   # the current fiber's outer coordinate was consumed
        kept = Signal()        # the current fiber has a coordinate (it is kept)
        pending = Signal()     # a kept fiber's S0 is held back
        sk_valid, sk_kind, sk_data = Signal(), Signal(Kind), Signal(w)   # inner skid

        # input buffers: the decision reads registers (and flags computed on
        # the way in), the input ready is a register
        ib = InBuf(m, self.inner, "inner", flags={"zero": lambda p: p.data == 0})
        ob = InBuf(m, self.outer, "outer",
                   flags={"crd": lambda p: (p.kind == Kind.DATA) | (p.kind == Kind.EMPTY)})
        x, h = ib.payload, ob.payload
        xv, hv = ib.valid, ob.valid
        h_crd = ob.flags["crd"]
        take_i, take_o, emit_i, emit_o, pre_s0 = (Signal(name=n) for n in
                                                  ("take_i", "take_o", "emit_i", "emit_o", "pre_s0"))
        set_taken, clr_taken, set_pending, clr_pending = Signal(), Signal(), Signal(), Signal()

        with m.If(xv):
            with m.If(~crd_taken):
                with m.If(hv):
                    with m.If(h_crd):
                        with m.Switch(x.kind):
                            with m.Case(Kind.DATA, Kind.EMPTY):   # first coordinate: keep
                                m.d.comb += [take_i.eq(1), take_o.eq(1), emit_i.eq(1),
                                             emit_o.eq(1), pre_s0.eq(pending),
                                             clr_pending.eq(1), set_taken.eq(1)]
                            with m.Case(Kind.STOP):
                                with m.If(ib.flags["zero"]):      # empty fiber: drop both
                                    m.d.comb += [take_i.eq(1), take_o.eq(1)]
                                with m.Else():                    # drop; outer stop next
                                    m.d.comb += [take_o.eq(1), set_taken.eq(1)]
                    with m.Else():     # empty outer fiber (Sk with S(k+1)) or D with D
                        m.d.comb += [take_i.eq(1), take_o.eq(1), emit_i.eq(1), emit_o.eq(1),
                                     clr_pending.eq(1)]
            with m.Else():
                with m.Switch(x.kind):
                    with m.Case(Kind.DATA, Kind.EMPTY):
                        m.d.comb += [take_i.eq(1), emit_i.eq(1)]
                    with m.Case(Kind.STOP):
                        with m.If(ib.flags["zero"]):
                            m.d.comb += [take_i.eq(1), clr_taken.eq(1), set_pending.eq(kept)]
                        with m.Elif(hv):                          # closes the outer fiber
                            m.d.comb += [take_i.eq(1), take_o.eq(1), emit_i.eq(1), emit_o.eq(1),
                                         clr_taken.eq(1), clr_pending.eq(1)]
                    with m.Default():                             # malformed: pass it
                        m.d.comb += [take_i.eq(1), emit_i.eq(1), clr_taken.eq(1)]

        # Deep streams, decoupled from the inner decision: every inner stop
        # token (or D) consumed and every held S0 emitted pushes a command
        # into a two-entry queue per deep stream (registered ready), which
        # that stream executes on its own paired token: ``pre`` emits S(d)
        # (the held S0), else the paired head is taken and, with ``emit``,
        # passed; ``pend`` is the inner ``pending`` after the step, which
        # holds back the unpaired deep tokens like ``pending`` does.
        x_s, x_c = x.kind == Kind.STOP, ~x.kind.as_value()[0]
        x_d, z, fo = x.kind == Kind.DONE, ib.flags["zero"], oo.free
        # pre_s0 for the data selects: without the valid bits (whenever x
        # is emitted in that state, it is the keep step, i.e. pre_s0)
        pre_s0_d = Signal()
        m.d.comb += pre_s0_d.eq(~crd_taken & ob.flags["crd"] & ~x.kind.as_value()[0] & pending)
        # emit_i / emit_o given that the head is taken (the valid bits and
        # the output room are in the takes): loads are ``take & emit_*_d``
        emit_i_d, emit_o_d = Signal(), Signal()
        m.d.comb += [emit_i_d.eq(Mux(crd_taken, ~(x_s & z), ~h_crd | x_c)),
                     emit_o_d.eq(Mux(crd_taken, x_s & ~z, ~h_crd | x_c))]
        cmd_ready = Signal(init=1)
        cmd_push = Signal()
        cmd_layout = data.StructLayout({"pre": 1, "emit": 1, "pend": 1})
        pend_next = Signal()
        # (a take of a stop token or the keep step that emits the held S0)
        m.d.comb += [cmd_push.eq(ib.take & (x.kind.as_value()[0] | pre_s0_d)),
                     pend_next.eq(~clr_pending & (pending | set_pending))]
        readies = []
        for d in range(1, self.deep + 1):
            port = _Stream(cmd_layout)
            m.d.comb += [port.valid.eq(cmd_push), port.payload.pre.eq(pre_s0_d),
                         port.payload.emit.eq(emit_i_d), port.payload.pend.eq(pend_next)]
            readies.append(port.ready)
            cq = InBuf(m, port, f"deep{d}_cmd")
            di = InBuf(m, getattr(self, f"deep{d}"), f"deep{d}",
                       flags={"paired": lambda p, d=d: ((p.kind == Kind.STOP) & _at_least(p.data, d)) |
                              (p.kind == Kind.DONE)})
            dr = OutBuf(m, getattr(self, f"deep{d}_out"), f"deep{d}_out")
            y, paired, c = di.payload, di.flags["paired"], cq.payload
            dpend = Signal(name=f"deep{d}_pend")
            passing, execute = Signal(name=f"deep{d}_pass"), Signal(name=f"deep{d}_exec")
            m.d.comb += [
                passing.eq(di.valid & ~paired & ~dpend & dr.free),
                execute.eq(cq.valid & Mux(c.pre, dr.free,
                                          di.valid & paired & (~c.emit | dr.free))),
                cq.take.eq(execute),
                di.take.eq(passing | (execute & ~c.pre)),
                dr.load.eq(passing | (execute & (c.pre | c.emit))),
            ]
            dr.set(kind=Mux(c.pre, Kind.STOP, y.kind), data=Mux(c.pre, d, y.data))
            with m.If(execute):
                m.d.sync += dpend.eq(c.pend)
        if readies:
            m.d.comb += cmd_ready.eq(Cat(*readies).all())

        # (no term for the inner skid register: only pre_s0 sets it and
        # clears pending in the same step, and the S0 step that sets
        # pending empties it, so pending implies an empty skid register)
        # The takes (the head registers' clock enables) written out as
        # ``valid & free & g`` with ``g`` a function of seven registers,
        # kept as a net of its own so it maps to one LUT tree: two LUT
        # levels to the enables. Same as ``take_i & go`` / ``take_o & go``
        # with go = oi.free & (~emit_o | oo.free) & cmd_ready.
        g_i = Signal(name="take_i_g", attrs={"keep": 1})
        g_o = Signal(name="take_o_g", attrs={"keep": 1})
        m.d.comb += [
            g_i.eq(Mux(crd_taken, ~(x_s & ~z) | (hv & fo),
                       hv & (((~h_crd | x_c) & fo) | (h_crd & x_s & z)))),
            g_o.eq(Mux(crd_taken, x_s & ~z & fo,
                       (~h_crd | ~x_d) & (~(~h_crd | x_c) | fo))),
            ib.take.eq(xv & oi.free & cmd_ready & g_i),
            ob.take.eq(xv & hv & oi.free & cmd_ready & g_o),
        ]
        with m.If(ib.take | ob.take):          # go & (take_i | take_o)
            with m.If(set_taken):
                m.d.sync += [crd_taken.eq(1), kept.eq(emit_i)]
            with m.If(clr_taken):
                m.d.sync += [crd_taken.eq(0), kept.eq(0)]
            with m.If(set_pending):
                m.d.sync += pending.eq(1)
            with m.If(clr_pending):
                m.d.sync += pending.eq(0)
        oo.put(ob.take & emit_o_d, kind=h.kind, data=h.data)

        # Inner output through the skid register (which takes the inner head
        # whenever the output is free: it matters only when it is set).
        emit_now = Signal()
        m.d.comb += emit_now.eq(ib.take & emit_i_d)
        # the held S0 is chosen after the output registers (``pre_s0_d``, a
        # wide fan-out, reaches only the select bit; it never meets
        # ``sk_valid``, see above)
        oi.put(oi.free & (sk_valid | emit_now))
        oi.choose(~pre_s0_d, kind=Mux(sk_valid, sk_kind, x.kind),
                  data=Mux(sk_valid, sk_data, x.data))
        with m.If(oi.free):
            m.d.sync += [sk_kind.eq(x.kind), sk_data.eq(x.data)]
            with m.If(sk_valid):
                with m.If(~emit_now):
                    m.d.sync += sk_valid.eq(0)
            with m.Elif(emit_now & pre_s0_d):
                m.d.sync += sk_valid.eq(1)
        return m


def _factory(crd_width: int = 16, vals: bool = False, val_width: int = 32, deep: int = 0):
    return CrdDrop(crd_width=crd_width, vals=vals, val_width=val_width, deep=deep)


register(RtlPrimitive("crddrop", _factory,
                      formal_params=({"crd_width": 3}, {"crd_width": 3, "vals": True,
                                                        "val_width": 3},
                                     {"crd_width": 3, "deep": 2}),
                      doc=CrdDrop.__doc__))
