"""Binary intersecter ("intersect")."""

from __future__ import annotations

from amaranth.hdl import Signal

from ..encoding import Kind
from . import RtlPrimitive, register
from ._joiner import BinaryJoiner

__all__ = ["Intersect"]


class Intersect(BinaryJoiner):
    """Coordinates present in both operands, with both operands' references.

    The catalogue node has one ``crd_<T>``/``ref_<T>`` input pair and one
    ``ref_<T>`` output per operand ``T`` (``operands`` parameter, ordered).
    This component is the binary form; operand ``operands[0]`` maps to index
    0 and ``operands[1]`` to index 1. An n-ary node is lowered by the
    generator to a chain of binary joiners.

    Ports (all ``token_stream(crd_width)``)
        In: ``crd0``, ``ref0`` (operand 0), ``crd1``, ``ref1`` (operand 1).
        Out: ``crd``, ``ref0_out``, ``ref1_out`` (catalogue ``crd``,
        ``ref_<T0>``, ``ref_<T1>``; the ``_out`` suffix keeps the names
        apart from the inputs).
    Behaviour (spec 2.3, one step per cycle, on the heads of both operands;
    ``crdK``/``refK`` are consumed together)
        both coordinates equal: emit the coordinate and both references,
        advance both; different: advance the smaller side; one side a
        coordinate and the other a stop token or ``D``: advance the coordinate
        side; ``N`` facing a coordinate or ``N``: emit ``N`` on all outputs,
        advance both; ``N`` facing a stop token: drop the ``N``; both
        stop tokens (or both ``D``): emit them (levels from operand 0 on
        ``crd``, each operand's own token on its ``ref``), advance both.
    Parameters
        ``crd_width``: data bits of every crd/ref stream, 1..64.
    Timing
        Outputs registered (latency 1 cycle). One input step per cycle: a
        step consumes a token from at least one operand, so with inputs always
        valid and outputs always ready the joiner never idles. Input ``ready``
        depends combinationally on output ``ready`` (one gate); chain through
        FIFOs.
    """

    def step(self, m, outs, free, valid):
        oc, o0, o1 = outs
        v0, v1 = valid

        c0, r0, c1, r1 = (p.payload for p in (self.crd0, self.ref0, self.crd1, self.ref1))
        k0, k1 = c0.kind, c1.kind
        take0, take1, emit, emit_n = Signal(), Signal(), Signal(), Signal()

        with m.If(v0 & v1):
            with m.If((k0 == Kind.DATA) & (k1 == Kind.DATA)):
                with m.If(c0.data == c1.data):
                    m.d.comb += [emit.eq(1), take0.eq(1), take1.eq(1)]
                with m.Elif(c0.data < c1.data):
                    m.d.comb += take0.eq(1)
                with m.Else():
                    m.d.comb += take1.eq(1)
            with m.Elif((k0 == Kind.EMPTY) & (k1 == Kind.STOP)):
                m.d.comb += take0.eq(1)                 # N facing a stop token: drop it
            with m.Elif((k1 == Kind.EMPTY) & (k0 == Kind.STOP)):
                m.d.comb += take1.eq(1)
            with m.Elif((k0 == Kind.EMPTY) | (k1 == Kind.EMPTY)):
                m.d.comb += [emit.eq(1), emit_n.eq(1), take0.eq(1), take1.eq(1)]
            with m.Elif(k0 == Kind.DATA):
                m.d.comb += take0.eq(1)
            with m.Elif(k1 == Kind.DATA):
                m.d.comb += take1.eq(1)
            with m.Else():
                m.d.comb += [emit.eq(1), take0.eq(1), take1.eq(1)]

        go = Signal()
        m.d.comb += go.eq(~emit | free)
        with m.If(emit & free):
            with m.If(emit_n):
                oc.load(kind=Kind.EMPTY)
                o0.load(kind=Kind.EMPTY)
                o1.load(kind=Kind.EMPTY)
            with m.Else():
                oc.load(kind=c0.kind, data=c0.data)
                o0.load(kind=r0.kind, data=r0.data)
                o1.load(kind=r1.kind, data=r1.data)
        return take0, take1, go


register(RtlPrimitive("intersect", Intersect, formal_params=({"crd_width": 3},),
                      doc=Intersect.__doc__))
