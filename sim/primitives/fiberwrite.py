"""Level and value writers (``fiberwrite``).

A level writer (``mode=<dim>``, any level format) records the raw arrays of
its level: every coordinate in arrival order (``crd``) and, for **every**
stop token, the running count of coordinates (``seg``, starting at 0), so an
empty fiber is a repeated seg entry. ``sam.formats.assemble_output`` decodes
the raw levels top-down into a canonical tensor (design.md, deliberate
difference 2). A value writer (``mode=vals``) records the values in arrival
order and ignores stop tokens. ``N`` is not storable and is an error.

After :meth:`run`: ``crd``, ``seg``, ``depth`` (level writers; ``depth`` =
level of the last stop token = storage level of the written stream) or
``vals`` (value writers). Timing: one token consumed per firing.
"""

from __future__ import annotations

from sam.tokens import D, Stop

from ..primitive import SimPrimitive, register

__all__ = ["FiberWrite"]


@register
class FiberWrite(SimPrimitive):
    """Ports: ``crd`` in (levels) or ``val`` in (``mode=vals``); no outputs."""

    type_name = "fiberwrite"

    def __init__(self, node, ctx):
        super().__init__(node, ctx)
        self.is_vals = self.attrs.get("mode") == "vals"
        if not self.is_vals:
            try:
                self.mode = int(self.attrs.get("mode"))
            except (TypeError, ValueError):
                raise self.error(f"mode={self.attrs.get('mode')!r} must be a tensor "
                                 f"dimension number or 'vals'") from None
            if not self.attrs.get("format"):
                raise self.error("a level writer needs format=compressed|dense")
        self.crd: list = []
        self.seg: list = [0]
        self.vals: list = []
        self.depth: int | None = None

    def run(self, ins, log):
        (s,) = self.inputs_of(ins)
        port = self.inputs[0]
        if not s or s[-1] is not D:
            raise self.missing_d(port, s)
        body = s[:-1]
        if self.is_vals:
            vals = [t for t in body if type(t) is not Stop]
            for k, v in enumerate(vals):
                if type(v) is not int and type(v) is not float:
                    pos = [i for i, t in enumerate(body) if type(t) is not Stop][k]
                    raise self.error(f"cannot store {v!r} as a value", (port, pos))
            self.vals = vals
        else:
            crd: list = []
            seg = [0]
            last = None
            for i, t in enumerate(body):
                if type(t) is int:
                    crd.append(t)
                elif type(t) is Stop:
                    seg.append(len(crd))
                    last = t
                else:
                    raise self.error(f"cannot store {t!r} as a coordinate", (port, i))
            self.crd, self.seg = crd, seg
            self.depth = last.level if last is not None else None
        log.extend([self.cbit(port)] * len(s))
        return {}
