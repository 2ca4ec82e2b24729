"""Binary unioner ("union")."""

from __future__ import annotations

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
        As :class:`~rtl.primitives.intersect.Intersect` (latency 3, one step
        per cycle); the output payloads are multiplexers after the output
        registers (functions of registers only).
    """

    EXTRA = ("emit",)
    CRD_EXTRA = {"emit": 1}

    EMIT_ALL_CRDS = True

    @property
    def LATE_SELECT(self):
        # the refs' second candidate is the constant N: not registered
        n = Kind.EMPTY.value << self.crd_width
        return (True, n, n)

    def kind_rule(self, m, out, k0, k1):
        take0, take1, emit = out["take0"], out["take1"], out["emit"]
        with m.If(k0 == Kind.DATA):
            m.d.comb += [take0.eq(1), emit.eq(1)]
        with m.Elif(k1 == Kind.DATA):
            m.d.comb += [take1.eq(1), emit.eq(1)]
        with m.Elif((k0 == Kind.EMPTY) & (k1 == Kind.STOP)):
            m.d.comb += take0.eq(1)                 # no fiber on side 0: drop N
        with m.Elif((k1 == Kind.EMPTY) & (k0 == Kind.STOP)):
            m.d.comb += take1.eq(1)
        with m.Else():
            m.d.comb += [take0.eq(1), take1.eq(1), emit.eq(1)]

    def emits(self, dec):
        return dec["emit"]

    def emit(self, m, outs, dec, heads):
        oc, o0, o1 = outs
        c0, r0, c1, r1 = heads
        # take0/take1 come late (the comparison of the heads): chosen after
        # the output registers (the refs' other candidate, N, is constant)
        oc.choose(dec["take0"], c0, c1)
        o0.choose(dec["take0"], r0)
        o1.choose(dec["take1"], r1)


register(RtlPrimitive("union", Union, formal_params=({"crd_width": 3},),
                      doc=Union.__doc__))
