"""Reducer (``reduce``): sums each innermost fiber. ``S0`` emits the sum
(the zero of the value type for an empty fiber) and resets; ``Sn`` with
``n >= 1`` emits the sum and then ``S(n-1)``; ``D`` passes. The output has
one nesting level fewer. Timing: one input token per firing, the sum leaves
in the firing that consumes the stop token, ``S(n-1)`` in the next one."""

from __future__ import annotations

from sam.tokens import D, S, Stop

from ..primitive import SimPrimitive, register

__all__ = ["Reduce"]


@register
class Reduce(SimPrimitive):
    """Ports: ``val`` in, ``val`` out."""

    type_name = "reduce"

    def run(self, ins, log):
        (s,) = self.inputs_of(ins)
        C, O = self.cbit("val"), self.obit("val")
        zero = self.ctx.zero
        out = []
        app = out.append
        lapp = log.append
        acc = zero
        open_ = False
        for i, t in enumerate(s):
            tt = type(t)
            if tt is int or tt is float:
                acc = acc + t
                open_ = True
                lapp(C)
            elif tt is Stop:
                app(acc)
                acc = zero
                open_ = False
                lapp(C | O)
                if t.level:
                    app(S(t.level - 1))
                    lapp(O)
            elif t is D:
                if open_:
                    raise self.error("values before D are not closed by a stop token",
                                     ("val", i))
                self.check_end("val", s, i)
                app(D)
                lapp(C | O)
                break
            else:
                raise self.error(f"{t!r} is not a value", ("val", i))
        else:
            raise self.missing_d("val", s)
        return {"val": out}
