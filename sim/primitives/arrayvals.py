"""Value array load (``arrayvals``): reference ``r`` -> ``vals[r]``; ``N``
loads the zero of the value type; stop tokens and ``D`` pass. A scalar is a
one-element value array read with reference 0. One token per firing."""

from __future__ import annotations

from sam.tokens import D, N, Stop

from ..primitive import SimPrimitive, register

__all__ = ["ArrayVals"]


@register
class ArrayVals(SimPrimitive):
    """Ports: ``ref`` in, ``val`` out. Parameter: ``tensor``."""

    type_name = "arrayvals"

    def __init__(self, node, ctx):
        super().__init__(node, ctx)
        self.vals = ctx.vals(node, self.attrs["tensor"])

    def run(self, ins, log):
        (s,) = self.inputs_of(ins)
        vals = self.vals
        nv = len(vals)
        zero = self.ctx.zero
        out = []
        app = out.append
        for i, t in enumerate(s):
            tt = type(t)
            if tt is int:
                if 0 <= t < nv:
                    app(vals[t])
                else:
                    raise self.error(f"reference {t} is outside the value array of "
                                     f"{self.attrs['tensor']} ({nv} values)", ("ref", i))
            elif tt is Stop:
                app(t)
            elif t is N:
                app(zero)
            elif t is D:
                self.check_end("ref", s, i)
                app(D)
                break
            else:
                raise self.error(f"{t!r} is not a reference", ("ref", i))
        else:
            raise self.missing_d("ref", s)
        log.extend([self.cbit("ref") | self.obit("val")] * len(out))
        return {"val": out}
