"""Repeater ("repeat")."""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..encoding import Kind, token_stream, check_width, token_layout
from ..stream import OutReg, RootSource, check_bool
from . import RtlPrimitive, register

__all__ = ["Repeat"]


class Repeat(wiring.Component):
    """Repeat each input reference as the repeat signal says.

    The next input reference (or ``N``) is *held*; each ``R`` emits it; ``S``
    releases it and emits the closing stop token by the peek rule
    (``S(k+1)`` if the next input reference is ``Sk``, which is consumed,
    else ``S0``). ``S`` when the next input is a stop token ``Sk`` (an empty
    parent fiber) emits ``S(k+1)``. ``D`` on both inputs gives ``D``. A
    malformed pair (``R`` against a stop token or ``D`` with no reference
    held, ``S`` against ``D``, ``D`` against a held or a pending reference or
    stop token) stalls and raises ``error``; the bench reports the stall as a
    timeout. In root mode the reference input is the internal stream ``0 D``.

    Ports
        ``ref: In(token_stream(crd_width))`` (absent when ``root``);
        ``repsig: In(token_stream(0))``; ``ref_out: Out(token_stream(crd_width))``;
        ``error: Out(1)``: sticky, a malformed pair was seen; cleared by reset.
    Parameters
        ``crd_width`` 1..64 (default 16), ``root``.
    Attributes
        ``latency = 1`` (cycles from an input token to its output; the
        generator balances fork/join paths with it).
    Timing
        One output token per repeat-signal token per cycle. The next input
        reference is loaded as soon as it is visible (while the previous one
        is released, or while the repeat signal waits), so a reference
        repeated zero times costs no extra cycle; it does cost one when it
        arrives together with its ``S``, right after a stop token or after an
        ``S`` that found no reference. Output registered, latency 1 cycle.
        ``ready`` of both inputs depends combinationally on ``ref_out.ready``
        (and ``ref.ready`` on ``ref.valid``).
    """

    def __init__(self, crd_width: int = 16, root: bool = False):
        self.crd_width = check_width("crd_width", crd_width)
        self.root = check_bool("root", root)
        self.latency = 1
        t = token_stream(crd_width)
        ports = {} if root else {"ref": In(t)}
        ports.update({"repsig": In(token_stream(0)), "ref_out": Out(t), "error": Out(1)})
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        if self.root:
            m.submodules.root = src = RootSource(self.crd_width)
            inp = src.o
        else:
            inp = self.ref
        rs = self.repsig
        out = OutReg(m, self.ref_out, "ref_out")
        held = Signal(token_layout(self.crd_width))
        held_v = Signal()
        tok = inp.payload
        go = Signal()
        m.d.comb += go.eq(rs.valid & out.free)
        # malformed pairs (they stall below; the flag makes them visible)
        sig, ref_end = rs.payload.kind, (tok.kind == Kind.STOP) | (tok.kind == Kind.DONE)
        with m.If(rs.valid & inp.valid & (
                ((sig == Kind.DATA) & ~held_v & ref_end)
                | ((sig == Kind.STOP) & ~held_v & (tok.kind == Kind.DONE))
                | ((sig == Kind.DONE) & (held_v | (tok.kind != Kind.DONE))))):
            m.d.sync += self.error.eq(1)
        in_ref = Signal()
        m.d.comb += in_ref.eq(inp.valid & ((tok.kind == Kind.DATA) | (tok.kind == Kind.EMPTY)))
        # load the next reference as soon as it is visible, so that an S for
        # it (zero repeats) can peek at the token behind it at once
        with m.If(~go & ~held_v & in_ref):
            m.d.comb += inp.ready.eq(1)
            m.d.sync += [held.eq(tok), held_v.eq(1)]
        with m.If(go):
            with m.Switch(rs.payload.kind):
                with m.Case(Kind.DATA):                       # R
                    with m.If(held_v):
                        m.d.comb += rs.ready.eq(1)
                        out.load(kind=held.kind, data=held.data)
                    with m.Elif(inp.valid & ((tok.kind == Kind.DATA) | (tok.kind == Kind.EMPTY))):
                        m.d.comb += [rs.ready.eq(1), inp.ready.eq(1)]
                        out.load(kind=tok.kind, data=tok.data)
                        m.d.sync += [held.eq(tok), held_v.eq(1)]
                with m.Case(Kind.STOP):                       # S
                    with m.If(held_v):
                        with m.If(inp.valid):
                            m.d.comb += rs.ready.eq(1)
                            m.d.sync += held_v.eq(0)
                            with m.If(tok.kind == Kind.STOP):
                                m.d.comb += inp.ready.eq(1)
                                out.load(kind=Kind.STOP, data=tok.data + 1)
                            with m.Else():
                                out.load(kind=Kind.STOP, data=0)
                                with m.If(in_ref):            # the peeked reference: load it now
                                    m.d.comb += inp.ready.eq(1)
                                    m.d.sync += [held.eq(tok), held_v.eq(1)]
                    with m.Elif(inp.valid):
                        with m.If(tok.kind == Kind.STOP):
                            m.d.comb += [rs.ready.eq(1), inp.ready.eq(1)]
                            out.load(kind=Kind.STOP, data=tok.data + 1)
                        with m.Elif(tok.kind != Kind.DONE):   # zero repeats: load first
                            m.d.comb += inp.ready.eq(1)
                            m.d.sync += [held.eq(tok), held_v.eq(1)]
                with m.Case(Kind.DONE):
                    with m.If(~held_v & inp.valid & (tok.kind == Kind.DONE)):
                        m.d.comb += [rs.ready.eq(1), inp.ready.eq(1)]
                        out.load(kind=Kind.DONE)
        return m


register(RtlPrimitive("repeat", Repeat,
                      formal_params=({"crd_width": 3}, {"crd_width": 3, "root": True}),
                      doc=Repeat.__doc__))
