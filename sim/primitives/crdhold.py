"""Coordinate hold (``crdhold``).

Repeats each outer coordinate once per coordinate of its inner fiber, with
the inner stream's stop tokens; the inner stream passes unchanged. One
inner fiber belongs to each outer coordinate, plus one closing per empty
outer fiber (``Sk`` on the outer stream where a coordinate is expected
pairs with ``S(k+1)`` on the inner stream). An inner ``Sn`` with ``n >= 1``
also closes the outer fiber, whose ``S(n-1)`` is consumed.
``vals=true`` (inner = the values of the outer coordinates) is the identity
and never reaches this model: ``sam.lower`` folds it into wires.
Timing: an outer coordinate moves into the hold register in a firing of
its own as soon as the register is free (so the outer FIFO never waits on
an inner fiber that needs the next outer element upstream to close); then
one inner token per firing."""

from __future__ import annotations

from sam.tokens import D, N, Stop

from ..primitive import SimPrimitive, register

__all__ = ["CrdHold"]

_NONE = object()


@register
class CrdHold(SimPrimitive):
    """Ports: ``outer``, ``inner`` in; ``outer``, ``inner`` out."""

    type_name = "crdhold"

    def __init__(self, node, ctx):
        super().__init__(node, ctx)
        if self.attrs.get("vals"):
            raise self.error("crdhold vals=true is the identity and is folded into "
                             "wires by sam.lower.lower_graph; run the graph through "
                             "sim.run_graph, which lowers it")

    def run(self, ins, log):
        o, s = self.inputs_of(ins)
        CO, CI = self.cbit("outer"), self.cbit("inner")
        OUT = self.obit("outer") | self.obit("inner")
        oo: list = []
        lapp = log.append
        held = _NONE
        io = 0
        no = len(o)
        for ii, t in enumerate(s):
            tt = type(t)
            if held is _NONE and io < no and (type(o[io]) is int or o[io] is N):
                held = o[io]            # load the register in a firing of its own
                io += 1
                lapp(CO)
            if tt is int or t is N or tt is float:
                mask = CI | OUT
                if held is _NONE:
                    h = o[io] if io < no else None
                    raise self.error(f"inner fiber has coordinates but the outer "
                                     f"stream has {h} where a coordinate is expected",
                                     ("outer", io), ("inner", ii))
                oo.append(held)
                lapp(mask)
            elif tt is Stop:
                n = t.level
                mask = CI | OUT
                if held is _NONE:
                    if io >= no:
                        raise self.missing_d("outer", o)
                    h = o[io]
                    if type(h) is Stop:       # empty outer fiber
                        if h.level != n - 1:
                            raise self.error(f"outer {h} (empty fiber) must pair with "
                                             f"inner S{h.level + 1}, got {t}",
                                             ("outer", io), ("inner", ii))
                        io += 1
                        oo.append(t)
                        lapp(mask | CO)
                        continue
                    if not (type(h) is int or h is N):
                        raise self.error(f"expected an outer coordinate, got {h}",
                                         ("outer", io), ("inner", ii))
                    io += 1             # coordinate with an empty inner fiber
                    if n == 0:
                        mask |= CO
                    else:
                        lapp(CO)
                held = _NONE
                if n >= 1:
                    self.outer_closing(o, io, t, ii)
                    io += 1
                    mask |= CO
                oo.append(t)
                lapp(mask)
            elif t is D:
                if held is not _NONE:
                    raise self.error("inner stream done inside a fiber", ("inner", ii))
                if io >= no or o[io] is not D:
                    raise self.error("inner stream is done but the outer is not",
                                     ("outer", io), ("inner", ii))
                self.check_end("inner", s, ii)
                self.check_end("outer", o, io)
                oo.append(D)
                lapp(CO | CI | OUT)
                break
            else:
                raise self.error(f"{t!r} is not a coordinate", ("inner", ii))
        else:
            raise self.missing_d("inner", s)
        return {"outer": oo, "inner": list(s)}
