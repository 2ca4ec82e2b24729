"""Shared part of the binary joiners (``intersect``, ``union``)."""

from __future__ import annotations

from sam.tokens import D, N, Stop

from ..primitive import SimPrimitive

__all__ = ["BinaryJoiner"]


class BinaryJoiner(SimPrimitive):
    """Two operands ``A``, ``B`` (the ``operands`` parameter); ports
    ``crd_A``, ``ref_A``, ``crd_B``, ``ref_B`` in, ``crd``, ``ref_A``,
    ``ref_B`` out. Each side's crd and ref streams advance together.
    Graph nodes with more operands are lowered to binary ones first
    (:mod:`sim.lower`)."""

    union = False

    def __init__(self, node, ctx):
        super().__init__(node, ctx)
        ops = list(self.attrs.get("operands") or [])
        if len(ops) != 2:
            raise self.error(
                f"has {len(ops)} operands; the models are binary (run the graph "
                f"through sim.lower.lower_graph, as run_graph does)")
        if ops[0] == ops[1]:
            raise self.error(f"operand {ops[0]!r} is named twice")
        self.ops = ops

    def run(self, ins, log):
        a_, b_ = self.ops
        pa_c, pa_r, pb_c, pb_r = f"crd_{a_}", f"ref_{a_}", f"crd_{b_}", f"ref_{b_}"
        ins_l = self.inputs_of(ins)
        ca, ra, cb, rb = (ins_l[self.inputs.index(p)] for p in (pa_c, pa_r, pb_c, pb_r))
        for c, r, pc in ((ca, ra, pa_c), (cb, rb, pb_c)):
            if len(c) != len(r):
                raise self.error(f"crd and ref streams of operand {pc[4:]} differ in "
                                 f"length ({len(c)} vs {len(r)} tokens)",
                                 (pc, min(len(c), len(r))))
        CA = self.cbit(pa_c) | self.cbit(pa_r)
        CB = self.cbit(pb_c) | self.cbit(pb_r)
        OC, OA, OB = self.obit("crd"), self.obit(f"ref_{a_}"), self.obit(f"ref_{b_}")
        ALL = CA | CB | OC | OA | OB
        OUT_A = CA | OC | OA | OB      # union: emit side A's coordinate
        OUT_B = CB | OC | OA | OB
        union = self.union
        oc: list = []
        oa: list = []
        ob: list = []
        lapp = log.append
        na, nb = len(ca), len(cb)
        ia = ib = 0
        while True:
            if ia >= na:
                raise self.missing_d(pa_c, ca)
            if ib >= nb:
                raise self.missing_d(pb_c, cb)
            a = ca[ia]
            b = cb[ib]
            ta = type(a)
            tb = type(b)
            if ta is int and tb is int:
                if a == b:
                    oc.append(a); oa.append(ra[ia]); ob.append(rb[ib])
                    ia += 1; ib += 1
                    lapp(ALL)
                elif a < b:
                    if union:
                        oc.append(a); oa.append(ra[ia]); ob.append(N)
                        lapp(OUT_A)
                    else:
                        lapp(CA)
                    ia += 1
                else:
                    if union:
                        oc.append(b); oa.append(N); ob.append(rb[ib])
                        lapp(OUT_B)
                    else:
                        lapp(CB)
                    ib += 1
            elif ta is Stop and tb is Stop:
                if a is not b:
                    raise self.error(f"mismatched stop tokens {a} and {b}",
                                     (pa_c, ia), (pb_c, ib))
                if ra[ia] is not a or rb[ib] is not b:
                    raise self.error("crd and ref streams disagree on a stop token",
                                     (pa_r, ia), (pb_r, ib))
                oc.append(a); oa.append(a); ob.append(a)
                ia += 1; ib += 1
                lapp(ALL)
            elif (ta is int or a is N) and (tb is Stop or b is N):
                if a is N and b is N:
                    oc.append(N); oa.append(N); ob.append(N)
                    ia += 1; ib += 1
                    lapp(ALL)
                elif b is N and not union and a is not N:
                    oc.append(N); oa.append(N); ob.append(N)
                    ia += 1; ib += 1
                    lapp(ALL)
                elif a is N:      # N facing a stop token: no fiber on side A
                    ia += 1
                    lapp(CA)
                elif union:
                    oc.append(a); oa.append(ra[ia]); ob.append(N)
                    ia += 1
                    lapp(OUT_A)
                else:
                    ia += 1
                    lapp(CA)
            elif (tb is int or b is N) and (ta is Stop or a is N):
                if a is N and not union:
                    oc.append(N); oa.append(N); ob.append(N)
                    ia += 1; ib += 1
                    lapp(ALL)
                elif b is N:
                    ib += 1
                    lapp(CB)
                elif union:
                    oc.append(b); oa.append(N); ob.append(rb[ib])
                    ib += 1
                    lapp(OUT_B)
                else:
                    ib += 1
                    lapp(CB)
            elif a is D and b is D:
                self.check_end(pa_c, ca, ia)
                self.check_end(pb_c, cb, ib)
                if ra[ia] is not D or rb[ib] is not D:
                    raise self.error("crd and ref streams disagree on D", (pa_r, ia), (pb_r, ib))
                oc.append(D); oa.append(D); ob.append(D)
                lapp(ALL)
                break
            elif a is D or b is D:
                raise self.error("one operand is done before the other",
                                 (pa_c, ia), (pb_c, ib))
            else:
                raise self.error(f"unexpected tokens {a!r} / {b!r}", (pa_c, ia), (pb_c, ib))
        return {"crd": oc, f"ref_{a_}": oa, f"ref_{b_}": ob}
