"""Level scanner (``fiberlookup``).

For each input reference ``r`` the scanner streams the coordinates and
positions of fiber ``r`` of one storage level, then closes the fiber by the
peek rule (spec 1.2): it looks at the next input token and, if it is a stop
token ``Sk``, consumes it and emits ``S(k+1)``; otherwise it emits ``S0``.
A stop token ``Sk`` where a reference is expected (an empty parent fiber)
becomes ``S(k+1)``; ``N`` becomes the one-element fiber ``N`` + closing, for
every level format (the reference's dense scanner lacks this); ``D`` passes.
A root scanner reads the root reference stream ``0 D``.

The fiber of a reference comes from a *level scanner* chosen by the level's
format name: :data:`LEVEL_SCANNERS` holds fast ones for ``compressed`` and
``dense``; any other registered level format of :mod:`sam.formats` is
scanned through its plug-in's ``fiber()`` method, so a new level format
needs no change here.

Timing: one output token pair per firing; the first coordinate of a fiber
leaves in the firing that consumes its reference; an empty fiber takes one
firing to consume its reference and one to close.
"""

from __future__ import annotations

from sam.tokens import D, N, S, Stop

from ..primitive import LevelData, SimPrimitive, register

__all__ = ["FiberLookup", "LEVEL_SCANNERS", "register_level_scanner", "LevelScanner"]


class LevelScanner:
    """Iterates fibers of one bound level. ``fiber(r)`` returns
    ``(coordinates, positions)`` as sequences, or raises ``LookupError``
    with a message when ``r`` is not a position of the parent level."""

    def __init__(self, level: LevelData):
        self.level = level

    def fiber(self, r: int):
        raise NotImplementedError


#: Level scanners by level-format name.
LEVEL_SCANNERS: dict[str, type[LevelScanner]] = {}


def register_level_scanner(name: str):
    def deco(cls):
        LEVEL_SCANNERS[name] = cls
        return cls
    return deco


@register_level_scanner("compressed")
class CompressedScanner(LevelScanner):
    def __init__(self, level):
        super().__init__(level)
        self.seg = list(level.arrays["seg"])
        self.crd = list(level.arrays["crd"])
        self.nfib = len(self.seg) - 1

    def fiber(self, r):
        if not 0 <= r < self.nfib:
            raise LookupError(f"reference {r} is outside the seg array "
                              f"({self.nfib} fibers, refs 0..{self.nfib - 1})")
        lo, hi = self.seg[r], self.seg[r + 1]
        return self.crd[lo:hi], range(lo, hi)


@register_level_scanner("dense")
class DenseScanner(LevelScanner):
    def __init__(self, level):
        super().__init__(level)
        self.dim = level.dim
        self.crds = list(range(level.dim))

    def fiber(self, r):
        if r < 0:
            raise LookupError(f"negative reference {r}")
        base = r * self.dim
        return self.crds, range(base, base + self.dim)


class PluginScanner(LevelScanner):
    """Any level format of :mod:`sam.formats` through its ``fiber()``."""

    def __init__(self, level):
        super().__init__(level)
        from sam.formats.levels import level_format
        self.cls = level_format(level.format)
        import numpy as np
        self.arrays = {k: np.asarray(v) for k, v in level.arrays.items()}

    def fiber(self, r):
        try:
            crds, pos = self.cls.fiber(self.arrays, self.level.dim, r)
        except (IndexError, ValueError) as ex:
            raise LookupError(f"reference {r}: {ex}") from None
        return [int(c) for c in crds], [int(p) for p in pos]


def level_scanner(level: LevelData) -> LevelScanner:
    cls = LEVEL_SCANNERS.get(level.format, PluginScanner)
    return cls(level)


@register
class FiberLookup(SimPrimitive):
    """Ports: ``ref`` in (absent if ``root``); ``crd``, ``ref`` out.
    Parameters: ``tensor``, ``mode`` (tensor dimension), ``format``, ``root``."""

    type_name = "fiberlookup"

    def __init__(self, node, ctx):
        super().__init__(node, ctx)
        a = self.attrs
        self.root = bool(a.get("root"))
        self.level = ctx.level(node, a["tensor"], a["mode"])
        if self.level.format != a["format"]:
            raise self.error(
                f"scans tensor {a['tensor']} mode {a['mode']} as {a['format']} but that "
                f"level is stored {self.level.format}")
        self.scanner = level_scanner(self.level)

    def run(self, ins, log):
        if self.root:
            s = [0, D]
            self._ins = {"ref": s}
        else:
            s = self.inputs_of(ins)[0]
        C, P = self.cbit("ref"), self.pbit("ref")
        O = self.obit("crd") | self.obit("ref")
        CO, PO = C | O, P | O
        fiber = self.scanner.fiber
        crd_out: list = []
        ref_out: list = []
        app = log.append
        n = len(s)
        i = 0
        while True:
            if i >= n:
                raise self.missing_d("ref", s)
            t = s[i]
            tt = type(t)
            if tt is int:
                try:
                    crds, refs = fiber(t)
                except LookupError as ex:
                    raise self.error(str(ex), ("ref", i)) from None
                k = len(crds)
                i += 1
                if k:
                    crd_out.extend(crds)
                    ref_out.extend(refs)
                    app(CO)
                    if k > 1:
                        log.extend([O] * (k - 1))
                elif C:
                    app(C)
            elif t is N:
                crd_out.append(N)
                ref_out.append(N)
                app(CO)
                i += 1
            elif tt is Stop:
                st = S(t.level + 1)
                crd_out.append(st)
                ref_out.append(st)
                app(CO)
                i += 1
                continue
            elif t is D:
                self.check_end("ref", s, i)
                crd_out.append(D)
                ref_out.append(D)
                app(CO)
                break
            else:
                raise self.error(f"{t!r} is not a reference", ("ref", i))
            # closing of the fiber just streamed: peek rule
            if i >= n:
                raise self.missing_d("ref", s)
            nx = s[i]
            if type(nx) is Stop:
                st = S(nx.level + 1)
                i += 1
                app(CO)
            else:
                st = S(0)
                app(PO)
            crd_out.append(st)
            ref_out.append(st)
        return {"crd": crd_out, "ref": ref_out}
