"""ALUs (``mul``, ``add`` with ``sub``, ``max``, ``min``).

Both inputs must carry the same token kind at the same position: two
values combine (``val0 op val1``; ``add`` with ``sub=1`` computes
``val0 - val1``); equal stop tokens and ``D`` pass. A stop token facing a
value, or two different stop tokens, is a malformed stream and an error
(the reference's int-only fill patch is not copied; design.md, deliberate
difference 3). Python arithmetic keeps ints ints and floats floats.
One token pair per firing."""

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
        out = []
        app = out.append
        n = min(len(x), len(y))
        for i in range(n):
            a = x[i]
            b = y[i]
            ta = type(a)
            tb = type(b)
            if (ta is int or ta is float) and (tb is int or tb is float):
                app(f(a, b))
            elif a is b and ta is Stop:
                app(a)
            elif a is D and b is D:
                self.check_end("val0", x, i)
                self.check_end("val1", y, i)
                app(D)
                break
            else:
                raise self.error(f"token kinds differ: {a} vs {b}", ("val0", i), ("val1", i))
        else:
            port, s = ("val0", x) if len(x) <= len(y) else ("val1", y)
            raise self.missing_d(port, s)
        log.extend([self.cbit("val0") | self.cbit("val1") | self.obit("val")] * len(out))
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
