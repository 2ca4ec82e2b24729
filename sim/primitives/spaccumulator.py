"""Sparse accumulators (``spaccumulator``, order 1 and 2).

They reduce over an index that is not innermost and work directly on the
stop-token-structured streams the compiler wires to them (no StknDrop
blocks; design.md, deliberate difference 4). The inputs ``crd_inner`` (the
kept inner index ``in0``), ``val`` and, if ``in1`` is given, ``crd_outer``
(the kept outer index, held per inner coordinate by crdhold) all have the
structure of the innermost loop level, e.g. for matmul:

* ikj, order 1 (``in0=j in1=i``): nest i, k, j. ``S0`` ends a j fiber (next
  k), ``S1`` ends the k loop of one i: the *group* to reduce. One output i
  coordinate per group with values, its j fiber sorted.
* kij, order 2 (``in0=j in1=i``): nest k, i, j. ``S2`` ends the k loop: the
  group; all (i, j) sums of the group leave sorted by i then j.
* order 1 without ``in1`` (vectors, e.g. ``x(i)=B(i,j)c(j)`` in ji order):
  nest j, i; ``S1`` ends the group, which always gives one output fiber.

A group ends at an input stop ``Sn`` with ``n >= order``; the outputs have
one nesting level fewer than the inputs: ``crd_inner`` and ``val`` close
with ``S(n-1)``, ``crd_outer`` with ``S(n-2)`` when ``n >= 2``. Closings merge
by the peek rule, and an outer fiber with no output coordinates keeps its
closing in the inner stream (as a scanner of the result would emit).
Sums that cancel to zero are kept (as in the reference).

Timing: one input token triple per firing; a group's results leave after
its closing stop token, one token per port per firing. Order 2 leaves row
by row: an outer coordinate in the firing of its row's first inner token
(as the RTL drains its scratch), so a consumer that takes an outer
coordinate's inner subtree before the next outer coordinate (crddrop with
deep streams) is not blocked behind outer tokens sent ahead.
"""

from __future__ import annotations

from sam.tokens import D, S, Stop

from ..primitive import SimPrimitive, register
from ._burst import burst

__all__ = ["SpAccumulator"]


@register
class SpAccumulator(SimPrimitive):
    """Ports: ``crd_outer`` (if ``in1``), ``crd_inner``, ``val`` in; the same
    out. Parameters: ``order`` (1 or 2), ``in0``, ``in1``."""

    type_name = "spaccumulator"

    def __init__(self, node, ctx):
        super().__init__(node, ctx)
        self.order = int(self.attrs["order"])
        self.has_outer = bool(self.attrs.get("in1"))
        if self.order == 2 and not self.has_outer:
            raise self.error("order 2 needs the outer index in1")

    def run(self, ins, log):
        streams = self.inputs_of(ins)
        if self.has_outer:
            so, si, sv = streams
        else:
            si, sv = streams
            so = None
        n_in = len(si)
        for port, st in (("crd_outer", so), ("val", sv)):
            if st is not None and len(st) != n_in:
                raise self.error(f"{port} and crd_inner differ in length "
                                 f"({len(st)} vs {n_in} tokens)", (port, min(len(st), n_in)))
        CIN = 0
        for p in self.inputs:
            CIN |= self.cbit(p)
        BO = self.obit("crd_outer") if self.has_outer else 0
        BI, BV = self.obit("crd_inner"), self.obit("val")
        order = self.order
        has_outer = self.has_outer
        S0 = S(0)
        oo: list = []
        oi: list = []
        ov: list = []
        lapp = log.append
        pending = False          # order 1 with in1: a fiber awaits its closing
        acc: dict = {}           # order 1: inner -> sum; order 2: outer -> {inner -> sum}
        gouter = None            # order 1 with in1: the group's outer coordinate
        for i in range(n_in):
            c = si[i]
            v = sv[i]
            tc = type(c)
            if tc is int:
                tv = type(v)
                if not (tv is int or tv is float):
                    raise self.error(f"coordinate {c} pairs with {v}, not a value",
                                     ("crd_inner", i), ("val", i))
                if order == 1:
                    if has_outer:
                        u = so[i]
                        if type(u) is not int:
                            raise self.error(f"coordinate {c} pairs with outer {u}",
                                             ("crd_inner", i), ("crd_outer", i))
                        if gouter is None:
                            gouter = u
                        elif u != gouter:
                            raise self.error(f"outer coordinate changes from {gouter} to "
                                             f"{u} inside one reduction group",
                                             ("crd_outer", i))
                    if c in acc:
                        acc[c] = acc[c] + v
                    else:
                        acc[c] = v
                else:
                    u = so[i]
                    if type(u) is not int:
                        raise self.error(f"coordinate {c} pairs with outer {u}",
                                         ("crd_inner", i), ("crd_outer", i))
                    row = acc.get(u)
                    if row is None:
                        acc[u] = {c: v}
                    elif c in row:
                        row[c] = row[c] + v
                    else:
                        row[c] = v
                lapp(CIN)
            elif tc is Stop:
                if sv[i] is not c or (so is not None and so[i] is not c):
                    where = [("crd_inner", i), ("val", i)]
                    if so is not None:
                        where.append(("crd_outer", i))
                    raise self.error(f"input streams disagree at stop token {c}", *where)
                n = c.level
                if n < order:
                    lapp(CIN)
                    continue
                cnt_o = cnt_i = 0
                if order == 1:
                    if has_outer:
                        if acc:
                            if pending:
                                oi.append(S0); ov.append(S0); cnt_i += 1
                            oo.append(gouter); cnt_o += 1
                            for k in sorted(acc):
                                oi.append(k); ov.append(acc[k])
                            cnt_i += len(acc)
                            pending = True
                        if n >= 2:
                            oo.append(S(n - 2)); cnt_o += 1
                            oi.append(S(n - 1)); ov.append(S(n - 1)); cnt_i += 1
                            pending = False
                    else:
                        for k in sorted(acc):
                            oi.append(k); ov.append(acc[k])
                        oi.append(S(n - 1)); ov.append(S(n - 1))
                        cnt_i = len(acc) + 1
                else:
                    first = True
                    row_log = []        # per inner token: does an outer token go with it
                    for u in sorted(acc):
                        row = acc[u]
                        if not first:
                            oi.append(S0); ov.append(S0); row_log.append(False)
                        first = False
                        oo.append(u)
                        row_log += [True] + [False] * (len(row) - 1)
                        for k in sorted(row):
                            oi.append(k); ov.append(row[k])
                    oo.append(S(n - 2))
                    oi.append(S(n - 1)); ov.append(S(n - 1)); row_log.append(True)
                    m = CIN
                    for with_outer in row_log:
                        lapp(m | BI | BV | (BO if with_outer else 0))
                        m = 0
                    acc = {}
                    gouter = None
                    continue
                acc = {}
                gouter = None
                burst(log, CIN, ((BO, cnt_o), (BI, cnt_i), (BV, cnt_i)))
            elif c is D:
                if sv[i] is not D or (so is not None and so[i] is not D):
                    raise self.error("crd_inner is done but another input is not",
                                     ("crd_inner", i), ("val", i))
                if acc or pending:
                    raise self.error("D inside an unclosed reduction group", ("crd_inner", i))
                self.check_end("crd_inner", si, i)
                oi.append(D); ov.append(D)
                if has_outer:
                    oo.append(D)
                lapp(CIN | BO | BI | BV)
                break
            else:
                raise self.error(f"{c!r} is not a coordinate", ("crd_inner", i))
        else:
            raise self.missing_d("crd_inner", si)
        out = {"crd_inner": oi, "val": ov}
        if has_outer:
            out["crd_outer"] = oo
        return out
