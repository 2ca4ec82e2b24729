"""ALUs (``mul``, ``add`` with ``sub``, ``max``, ``min``).

Both inputs must carry the same token kind at the same position: two
values combine (``val0 op val1``; ``add`` with ``sub=1`` computes
``val0 - val1``); equal stop tokens and ``D`` pass. A stop token facing a
value, or two different stop tokens, is a malformed stream and an error
(the reference's int-only fill patch is not copied; design.md, deliberate
difference 3), except for the reducer-on-empty-parent case: an empty fiber
on one side (a stop token right after a stop token or the stream start)
facing a lone zero closed by the same stop token drops the zero (design.md).
Python arithmetic keeps ints ints and floats floats. One token pair per
firing."""

from __future__ import annotations

import operator

from sam.tokens import D, Stop

from ..primitive import SimPrimitive, register

__all__ = ["Alu", "Mul", "Add", "Max", "Min"]


class Alu(SimPrimitive):
    """Ports: ``val0``, ``val1`` in; ``val`` out."""

    def op(self):
        raise NotImplementedError

    def run(self, ins, log):
        x, y = self.inputs_of(ins)
        f = self.op()
        C0, C1 = self.cbit("val0"), self.cbit("val1")
        BOTH = C0 | C1 | self.obit("val")
        out = []
        app = out.append
        lapp = log.append
        nx, ny = len(x), len(y)
        i = j = 0
        fiber_empty = True        # no value since the last stop token
        while i < nx and j < ny:
            a = x[i]
            b = y[j]
            ta = type(a)
            tb = type(b)
            if (ta is int or ta is float) and (tb is int or tb is float):
                app(f(a, b))
                fiber_empty = False
            elif a is b and ta is Stop:
                app(a)
                fiber_empty = True
            elif a is D and b is D:
                self.check_end("val0", x, i)
                self.check_end("val1", y, j)
                app(D)
                lapp(BOTH)
                break
            elif (fiber_empty and ta is Stop and (tb is int or tb is float) and b == 0
                  and j + 1 < ny and y[j + 1] is a):
                j += 1            # a reducer's zero over an empty fiber (design.md)
                lapp(C1)
                continue
            elif (fiber_empty and tb is Stop and (ta is int or ta is float) and a == 0
                  and i + 1 < nx and x[i + 1] is b):
                i += 1
                lapp(C0)
                continue
            else:
                raise self.error(f"token kinds differ: {a} vs {b}; both inputs must have "
                                 f"the same fibers (a joiner or repeat upstream of this node "
                                 f"is missing or miswired)", ("val0", i), ("val1", j))
            lapp(BOTH)
            i += 1
            j += 1
        else:
            port, s = ("val0", x) if i >= nx else ("val1", y)
            raise self.missing_d(port, s)
        return {"val": out}


@register
class Mul(Alu):
    type_name = "mul"

    def op(self):
        return operator.mul


@register
class Add(Alu):
    type_name = "add"

    def op(self):
        return operator.sub if self.attrs.get("sub") else operator.add


@register
class Max(Alu):
    type_name = "max"

    def op(self):
        return max


@register
class Min(Alu):
    type_name = "min"

    def op(self):
        return min
