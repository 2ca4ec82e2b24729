"""Repeat-signal generator (``repsiggen``): each coordinate (or ``N``) ->
``R``, each stop token of any level -> ``S``, ``D`` -> ``D``. One token per
firing."""

from __future__ import annotations

from sam.tokens import D, N, R, RS, Stop

from ..primitive import SimPrimitive, register

__all__ = ["RepSigGen"]


@register
class RepSigGen(SimPrimitive):
    """Ports: ``crd`` in (crd or ref stream), ``repsig`` out."""

    type_name = "repsiggen"

    def run(self, ins, log):
        (s,) = self.inputs_of(ins)
        out = []
        app = out.append
        for i, t in enumerate(s):
            tt = type(t)
            if tt is int or tt is float or t is N:
                app(R)
            elif tt is Stop:
                app(RS)
            elif t is D:
                self.check_end("crd", s, i)
                app(D)
                break
            else:
                raise self.error(f"{t!r} is not a coordinate or stop token", ("crd", i))
        else:
            raise self.missing_d("crd", s)
        log.extend([self.cbit("crd") | self.obit("repsig")] * len(out))
        return {"repsig": out}
