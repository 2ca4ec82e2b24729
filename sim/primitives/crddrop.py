"""Coordinate drop (``crddrop``).

Coordinate variant (``inner`` is a crd stream one level below ``outer``):
removes every outer coordinate whose inner fiber is empty. The outer stream
is token for token the reference's. Unlike the reference, the inner stream
loses the empty fibers of the dropped coordinates, so it stays aligned with
the outer stream (design.md, deliberate difference 1): the closing of the
last kept fiber of an outer fiber merges with the outer fiber's closing
(peek rule), and an outer fiber that loses every coordinate keeps its
closing ``Sn`` in the inner stream, as any empty parent fiber does.

Deep pass-through (coordinate variant, ``deep=k,l,..``): ports
``deep_<idx>`` carry the crd streams of the levels below ``inner`` (``k``
one level below, ``l`` two, ...). Every deep token inside the subtree of a
inner coordinate passes unchanged (all inner coordinates are kept); a deep
stop token of level ``>= d`` (``d`` = depth below inner) is the deep
counterpart ``S(n+d)`` of an inner stop token ``Sn``: it is consumed with
that inner stop token and emitted as ``S(L+d)`` exactly when the inner
output emits a stop ``SL`` (held back and raised alike). So the extra
closings that the removed empty inner fibers cause below go too, and a chain
``crddrop(j,k) -> crddrop(i,j,deep=k)`` makes every level canonical
(design.md, deliberate difference 1).

Value variant (``vals=true``; ``inner`` is the value stream of the outer
coordinates, same structure): drops every (coordinate, value) pair whose
value is zero; stop tokens pass on both. A single zero value closed by the
same stop token as an empty coordinate fiber (what a reducer emits for an
empty parent fiber, e.g. outer ``S0 D`` with inner ``0 S0 D``) is dropped
too (design.md, reducer on empty parent fibers).

Timing: an outer coordinate moves into a register in a firing of its own
(so the outer FIFO never waits on the inner fiber, which may need the next
outer element upstream to close); then one inner token per firing; outputs
leave as soon as they are known, one per port per firing. The deep subtree
of an inner coordinate moves right after it, depth first (a coordinate,
then its own subtree; a closing with its counterparts below in one
firing), which is the order an upstream drop or scanner chain produces it
(the RTL moves each deep stream concurrently with the inner stream).
"""

from __future__ import annotations

from sam.tokens import D, N, S, Stop

from ..primitive import SimPrimitive, register
from ._burst import burst

__all__ = ["CrdDrop"]


@register
class CrdDrop(SimPrimitive):
    """Ports: ``outer``, ``inner``, ``deep_<idx>`` per deep index in; the
    same out. Parameters: ``outer``, ``inner`` (index names), ``vals``,
    ``deep`` (index names below inner, top down)."""

    type_name = "crddrop"

    def run(self, ins, log):
        o, s = self.inputs_of(ins)[:2]
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
        dports = [p for p in self.inputs if p.startswith("deep_")]
        dstreams = [self._ins[p] for p in dports]
        douts: list[list] = [[] for _ in dports]
        dpos = [0] * len(dports)
        DC = DO = 0
        for p in dports:
            DC |= self.cbit(p)
            DO |= self.obit(p)

        def deep_subtree(e=0):
            """Move the deep tokens under the coordinate just consumed at
            depth ``e`` (0 = inner) in depth-first order, as the levels were
            produced: each coordinate of ``deep_(e+1)`` is followed by its
            own subtree; a closing ``S0`` leaves with its counterparts below
            (``S(f-e-1)`` on deep port ``f``) in one firing and ends the
            subtree; a higher closing is the counterpart of the parent's
            closing and is left for it."""
            k = e                      # index of deep port e+1
            p, st = dports[k], dstreams[k]
            while True:
                i = dpos[k]
                if i >= len(st):
                    raise self.missing_d(p, st)
                y = st[i]
                if y is D:
                    raise self.error(f"{p} is done inside the fiber of inner "
                                     f"coordinate {s[ii - 1]}", (p, i), ("inner", ii - 1))
                if type(y) is Stop:
                    if y.level >= 1:
                        return
                    m = 0
                    for f in range(k, len(dports)):
                        pf, sf, j = dports[f], dstreams[f], dpos[f]
                        want = S(f - k)
                        if j >= len(sf) or sf[j] is not want:
                            raise self.error(f"{p} {y} must pair with {pf} {want}, got "
                                             f"{sf[j] if j < len(sf) else 'nothing'}",
                                             (p, i), (pf, j))
                        douts[f].append(want)
                        dpos[f] = j + 1
                        m |= self.cbit(pf) | self.obit(pf)
                    log.append(m)
                    return
                douts[k].append(y)
                dpos[k] = i + 1
                log.append(self.cbit(p) | self.obit(p))
                if k + 1 < len(dports):
                    deep_subtree(e + 1)

        def deep_pair(x, pos):
            """Consume the deep counterparts of inner token ``x`` (``Sn`` or
            ``D``, at ``pos``): ``S(n+d)`` / ``D`` at the head of each deep port."""
            for k, (p, st) in enumerate(zip(dports, dstreams)):
                i = dpos[k]
                if i >= len(st):
                    raise self.missing_d(p, st)
                y = st[i]
                want = D if x is D else S(x.level + k + 1)
                if y is not want:
                    raise self.error(f"inner {x} must pair with {p} {want}, got {y}",
                                     ("inner", pos), (p, i))
                if x is D:
                    self.check_end(p, st, i)
                dpos[k] = i + 1

        def deep_emit(x):
            """The inner output emits stop ``x`` (or ``D``): so do the deep ports."""
            for k in range(len(dports)):
                douts[k].append(D if x is D else S(x.level + k + 1))
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
                            deep_emit(S0)
                            nout = 2
                        oo.append(t)
                        oi.append(x)
                        burst(log, mask, ((BO, 1), (BI, nout), (DO, nout - 1)))
                    else:
                        oi.append(x)
                        log.append(mask | BI)
                    ii += 1
                    if dports:
                        deep_subtree()
                n = x.level
                deep_pair(x, ii)
                ii += 1
                if kept:
                    pending = True
                if n == 0:
                    log.append(mask | DC)
                    continue
                h = self.outer_closing(o, io, x, ii - 1)
                if mask & CO:
                    log.append(CO)      # the outer coordinate and its stop: two firings
                    mask &= ~CO
                io += 1
                oo.append(h)
                oi.append(x)
                deep_emit(x)
                pending = False
                log.append(mask | CO | BO | BI | DC | DO)
            elif tt is Stop:          # empty outer fiber: pairs with S(k+1) inside
                if ii >= ni:
                    raise self.missing_d("inner", s)
                x = s[ii]
                if type(x) is not Stop or x.level != t.level + 1:
                    raise self.error(f"outer {t} (empty fiber) must pair with inner "
                                     f"S{t.level + 1}, got {x}", ("outer", io), ("inner", ii))
                deep_pair(x, ii)
                oo.append(t)
                oi.append(x)
                deep_emit(x)
                io += 1
                ii += 1
                log.append(CO | CI | BO | BI | DC | DO)
            elif t is D:
                if ii >= ni or s[ii] is not D:
                    raise self.error("outer stream is done but the inner is not",
                                     ("outer", io), ("inner", ii))
                self.check_end("outer", o, io)
                self.check_end("inner", s, ii)
                deep_pair(D, ii)
                oo.append(D)
                oi.append(D)
                deep_emit(D)
                log.append(CO | CI | BO | BI | DC | DO)
                break
            else:
                raise self.error(f"{t!r} is not a coordinate", ("outer", io))
        outs = {"outer": oo, "inner": oi}
        outs.update(zip(dports, douts))
        return outs
