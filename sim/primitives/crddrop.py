"""Coordinate drop (``crddrop``).

Coordinate variant (``inner`` is a crd stream one level below ``outer``):
removes every outer coordinate whose inner fiber is empty. The outer stream
is token for token the reference's. Unlike the reference, the inner stream
loses the empty fibers of the dropped coordinates, so it stays aligned with
the outer stream (design.md, deliberate difference 1): the closing of the
last kept fiber of an outer fiber merges with the outer fiber's closing
(peek rule), and an outer fiber that loses every coordinate keeps its
closing ``Sn`` in the inner stream, as any empty parent fiber does.

Value variant (``vals=true``; ``inner`` is the value stream of the outer
coordinates, same structure): drops every (coordinate, value) pair whose
value is zero; stop tokens pass on both. A single zero value closed by the
same stop token as an empty coordinate fiber (what a reducer emits for an
empty parent fiber, e.g. outer ``S0 D`` with inner ``0 S0 D``) is dropped
too (design.md, reducer on empty parent fibers).

Timing: an outer coordinate moves into a register in a firing of its own
(so the outer FIFO never waits on the inner fiber, which may need the next
outer element upstream to close); then one inner token per firing; outputs
leave as soon as they are known, one per port per firing.
"""

from __future__ import annotations

from sam.tokens import D, N, S, Stop

from ..primitive import SimPrimitive, register
from ._burst import burst

__all__ = ["CrdDrop"]


@register
class CrdDrop(SimPrimitive):
    """Ports: ``outer``, ``inner`` in; ``outer``, ``inner`` out.
    Parameters: ``outer``, ``inner`` (index names), ``vals``."""

    type_name = "crddrop"

    def run(self, ins, log):
        o, s = self.inputs_of(ins)
        if self.attrs.get("vals"):
            return self._run_vals(o, s, log)
        return self._run_crd(o, s, log)

    def _run_vals(self, o, s, log):
        CO, CI = self.cbit("outer"), self.cbit("inner")
        CC = CO | CI
        OUT = self.obit("outer") | self.obit("inner")
        oo, oi = [], []
        lapp = log.append
        io = ii = 0
        no, ni = len(o), len(s)
        fiber_empty = True        # no coordinate since the last outer stop token
        while True:
            if io >= no:
                raise self.missing_d("outer", o)
            if ii >= ni:
                raise self.missing_d("inner", s)
            c, v = o[io], s[ii]
            tc, tv = type(c), type(v)
            if tc is int and (tv is int or tv is float):
                if v != 0:
                    oo.append(c); oi.append(v)
                    lapp(CC | OUT)
                else:
                    lapp(CC)
                io += 1; ii += 1
                fiber_empty = False
            elif tc is Stop and c is v:
                oo.append(c); oi.append(v)
                lapp(CC | OUT)
                io += 1; ii += 1
                fiber_empty = True
            elif (tc is Stop and fiber_empty and (tv is int or tv is float) and v == 0
                  and ii + 1 < ni and s[ii + 1] is c):
                # a reducer's sum over an empty parent fiber (design.md): the
                # coordinate fiber is empty, the value fiber holds one zero
                lapp(CI)
                ii += 1
            elif c is D and v is D:
                self.check_end("outer", o, io)
                self.check_end("inner", s, ii)
                oo.append(D); oi.append(D)
                lapp(CC | OUT)
                break
            else:
                raise self.error(f"outer token {c} does not pair with value {v}",
                                 ("outer", io), ("inner", ii))
        return {"outer": oo, "inner": oi}

    def _run_crd(self, o, s, log):
        CO, CI = self.cbit("outer"), self.cbit("inner")
        BO, BI = self.obit("outer"), self.obit("inner")
        S0 = S(0)
        oo: list = []
        oi: list = []
        pending = False           # a kept inner fiber awaits its closing
        io = ii = 0
        no, ni = len(o), len(s)
        while True:
            if io >= no:
                raise self.missing_d("outer", o)
            t = o[io]
            tt = type(t)
            if tt is int or t is N:
                io += 1
                log.append(CO)          # into the held-coordinate register
                first = False
                kept = False
                while True:
                    if ii >= ni:
                        raise self.missing_d("inner", s)
                    x = s[ii]
                    tx = type(x)
                    mask = CI | (CO if first else 0)
                    first = False
                    if tx is Stop:
                        break
                    if x is D:
                        raise self.error(f"inner stream done inside the fiber of outer "
                                         f"coordinate {t}", ("inner", ii), ("outer", io - 1))
                    if not kept:
                        kept = True
                        nout = 1
                        if pending:
                            oi.append(S0)
                            nout = 2
                        oo.append(t)
                        oi.append(x)
                        burst(log, mask, ((BO, 1), (BI, nout)))
                    else:
                        oi.append(x)
                        log.append(mask | BI)
                    ii += 1
                n = x.level
                ii += 1
                if kept:
                    pending = True
                if n == 0:
                    log.append(mask)
                    continue
                h = self.outer_closing(o, io, x, ii - 1)
                if mask & CO:
                    log.append(CO)      # the outer coordinate and its stop: two firings
                    mask &= ~CO
                io += 1
                oo.append(h)
                oi.append(x)
                pending = False
                log.append(mask | CO | BO | BI)
            elif tt is Stop:          # empty outer fiber: pairs with S(k+1) inside
                if ii >= ni:
                    raise self.missing_d("inner", s)
                x = s[ii]
                if type(x) is not Stop or x.level != t.level + 1:
                    raise self.error(f"outer {t} (empty fiber) must pair with inner "
                                     f"S{t.level + 1}, got {x}", ("outer", io), ("inner", ii))
                oo.append(t)
                oi.append(x)
                io += 1
                ii += 1
                log.append(CO | CI | BO | BI)
            elif t is D:
                if ii >= ni or s[ii] is not D:
                    raise self.error("outer stream is done but the inner is not",
                                     ("outer", io), ("inner", ii))
                self.check_end("outer", o, io)
                self.check_end("inner", s, ii)
                oo.append(D)
                oi.append(D)
                log.append(CO | CI | BO | BI)
                break
            else:
                raise self.error(f"{t!r} is not a coordinate", ("outer", io))
        return {"outer": oo, "inner": oi}
