"""Binary unioner ("union")."""

from __future__ import annotations

from amaranth.hdl import Signal

from ..encoding import Kind
from . import RtlPrimitive, register
from ._joiner import BinaryJoiner

__all__ = ["Union"]


class Union(BinaryJoiner):
    """Coordinates present in either operand; ``N`` for the absent reference.

    Binary form of the catalogue's ``union`` (operand ``operands[0]`` is index
    0, ``operands[1]`` index 1); an n-ary node is lowered by the generator to
    a chain of binary unioners.

    Ports (all ``token_stream(crd_width)``)
        In: ``crd0``, ``ref0``, ``crd1``, ``ref1``.
        Out: ``crd``, ``ref0_out``, ``ref1_out`` (catalogue ``crd``,
        ``ref_<T0>``, ``ref_<T1>``).
    Behaviour (spec 2.3; ``crdK``/``refK`` are consumed together)
        equal coordinates: emit it and both references, advance both; a
        smaller coordinate, or a coordinate facing a stop token, ``N`` or
        ``D``: emit it with its reference and ``N`` for the other operand,
        advance that side; neither side a coordinate (equal stop tokens,
        ``D``, two ``N``): emit operand 0's crd token and each operand's own
        ref token, advance both; ``N`` facing a stop token (no fiber on that
        side): drop the ``N``, emit nothing.
    Parameters
        ``crd_width``: data bits of every crd/ref stream, 1..64.
    Timing
        Outputs registered (latency 1 cycle); one step per cycle, every step
        consumes at least one input token. Input ``ready``
        depends combinationally on output ``ready`` (one gate).
    """

    def step(self, m, outs, free, valid):
        oc, o0, o1 = outs
        v0, v1 = valid

        c0, r0, c1, r1 = (p.payload for p in (self.crd0, self.ref0, self.crd1, self.ref1))
        d0 = c0.kind == Kind.DATA
        d1 = c1.kind == Kind.DATA
        take0, take1, skip = Signal(), Signal(), Signal()

        with m.If(v0 & v1):
            with m.If(d0 & d1):
                with m.If(c0.data == c1.data):
                    m.d.comb += [take0.eq(1), take1.eq(1)]
                with m.Elif(c0.data < c1.data):
                    m.d.comb += take0.eq(1)
                with m.Else():
                    m.d.comb += take1.eq(1)
            with m.Elif(d0):
                m.d.comb += take0.eq(1)
            with m.Elif(d1):
                m.d.comb += take1.eq(1)
            with m.Elif((c0.kind == Kind.EMPTY) & (c1.kind == Kind.STOP)):
                m.d.comb += [take0.eq(1), skip.eq(1)]   # no fiber on side 0: drop N
            with m.Elif((c1.kind == Kind.EMPTY) & (c0.kind == Kind.STOP)):
                m.d.comb += [take1.eq(1), skip.eq(1)]
            with m.Else():
                m.d.comb += [take0.eq(1), take1.eq(1)]

        go = Signal()
        m.d.comb += go.eq(skip | free)
        with m.If((take0 | take1) & ~skip & free):
            with m.If(take0):
                oc.load(kind=c0.kind, data=c0.data)
            with m.Else():
                oc.load(kind=c1.kind, data=c1.data)
            with m.If(take0):
                o0.load(kind=r0.kind, data=r0.data)
            with m.Else():
                o0.load(kind=Kind.EMPTY)
            with m.If(take1):
                o1.load(kind=r1.kind, data=r1.data)
            with m.Else():
                o1.load(kind=Kind.EMPTY)
        return take0, take1, go


register(RtlPrimitive("union", Union, formal_params=({"crd_width": 3},),
                      doc=Union.__doc__))
