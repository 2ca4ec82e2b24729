"""Binary intersecter ("intersect")."""

from __future__ import annotations

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
        Latency 3 cycles (input buffer, head, output register; see
        :class:`~rtl.primitives._joiner.BinaryJoiner`). One step per cycle:
        a step consumes a token from at least one operand, so with inputs
        always valid and outputs always ready the joiner never idles; a step
        that loads the outputs waits while an output's skid register is
        full (after a stall that caught a token). Each input's ``ready`` is a
        register ANDed with its partner input's ``valid`` (``crdK`` with
        ``refK``).
    """

    EXTRA = ("emit_n",)
    CRD_EXTRA = {"emit_n": 0}

    EMIT_ALL_CRDS = False

    def kind_rule(self, m, out, k0, k1):
        take0, take1, emit_n = out["take0"], out["take1"], out["emit_n"]
        with m.If((k0 == Kind.EMPTY) & (k1 == Kind.STOP)):
            m.d.comb += take0.eq(1)                 # N facing a stop token: drop it
        with m.Elif((k1 == Kind.EMPTY) & (k0 == Kind.STOP)):
            m.d.comb += take1.eq(1)
        with m.Elif((k0 == Kind.EMPTY) | (k1 == Kind.EMPTY)):
            m.d.comb += [emit_n.eq(1), take0.eq(1), take1.eq(1)]
        with m.Elif(k0 == Kind.DATA):
            m.d.comb += take0.eq(1)
        with m.Elif(k1 == Kind.DATA):
            m.d.comb += take1.eq(1)
        with m.Else():
            m.d.comb += [take0.eq(1), take1.eq(1)]

    def emits(self, dec):
        return dec["take0"] & dec["take1"]      # a match, N, or stop tokens

    def emit(self, m, outs, dec, heads):
        oc, o0, o1 = outs
        c0, r0, c1, r1 = heads
        with m.If(dec["emit_n"]):
            oc.set(kind=Kind.EMPTY)
            o0.set(kind=Kind.EMPTY)
            o1.set(kind=Kind.EMPTY)
        with m.Else():
            oc.set(kind=c0.kind, data=c0.data)
            o0.set(kind=r0.kind, data=r0.data)
            o1.set(kind=r1.kind, data=r1.data)


register(RtlPrimitive("intersect", Intersect, formal_params=({"crd_width": 3},),
                      doc=Intersect.__doc__))
