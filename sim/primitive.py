"""Base class, registry and context of the golden model's primitives.

A primitive model (:class:`SimPrimitive`) runs one graph node on whole token
lists: :meth:`SimPrimitive.run` takes one list per input port and returns one
list per output port. It also appends one bitmask per *firing* to ``log``
(a firing is one cycle in which the node moves tokens):

* bit ``i``            consumes one token from input port ``i``;
* bit ``nin + i``      needs input ``i`` present without consuming it (peek);
* bit ``2*nin + j``    produces one token on output port ``j``.

Ports are numbered in catalogue order (:mod:`sam.primitives`). At most one
token moves per port per firing. The cycle model (:mod:`sim.cycle`) replays
these logs; it knows nothing about the primitives themselves.

Malformed input streams raise :class:`SimError` naming the node and showing
the tokens around the problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from sam import primitives as prims
from sam.errors import UserError
from sam.graph import Node
from sam.tokens import D, Stop, fmt

__all__ = [
    "SimError", "SimPrimitive", "SimContext", "LevelData", "REGISTRY",
    "register", "create", "make_node",
]


class SimError(UserError):
    """A malformed stream or a graph/tensor mismatch found while simulating."""


@dataclass
class LevelData:
    """One storage level bound to a scanner or writer.

    ``format`` is the level-format name (``compressed``, ``dense``, ...),
    ``arrays`` maps array names (``seg``, ``crd``) to Python lists.
    """
    format: str
    dim: int
    arrays: dict = field(default_factory=dict)


class SimContext:
    """What the primitives read from outside the streams: tensor levels and
    values, index dimensions, and the zero of the value type.

    Parameters
    ----------
    levels : dict
        ``(tensor, mode) -> LevelData`` for every scanned tensor mode.
    values : dict
        ``tensor -> list`` of values (a scalar has one value, read by ref 0).
    dims : dict
        ``index -> int`` dimension of each index variable.
    zero : int or float
        value loaded for ``N`` references and emitted for empty reductions.
    """

    def __init__(self, levels: dict | None = None, values: dict | None = None,
                 dims: dict | None = None, zero=0):
        self.levels = dict(levels or {})
        self.values = {k: list(v) for k, v in (values or {}).items()}
        self.dims = dict(dims or {})
        self.zero = zero

    def level(self, node: Node, tensor: str, mode: int) -> LevelData:
        try:
            return self.levels[(tensor, mode)]
        except KeyError:
            raise SimError(f"{node}: no data bound for tensor {tensor!r} mode {mode}; "
                           f"give tensor {tensor!r} as an input") from None

    def vals(self, node: Node, tensor: str) -> list:
        try:
            return self.values[tensor]
        except KeyError:
            raise SimError(f"{node}: no values bound for tensor {tensor!r}; "
                           f"give tensor {tensor!r} as an input") from None

    def dim(self, node: Node, index: str | None) -> int:
        try:
            return self.dims[index]
        except KeyError:
            raise SimError(f"{node}: dimension of index {index!r} is unknown "
                           f"(no input tensor is scanned along it)") from None


#: Primitive models by catalogue type name.
REGISTRY: dict[str, type["SimPrimitive"]] = {}


def register(cls):
    """Class decorator: register a model under its ``type_name``."""
    if cls.type_name not in prims.CATALOGUE:
        raise TypeError(f"{cls.__name__}: {cls.type_name!r} is not a catalogue type")
    REGISTRY[cls.type_name] = cls
    return cls


def create(node: Node, ctx: SimContext | None = None) -> "SimPrimitive":
    """The model of ``node`` (its type's registered class)."""
    from . import primitives  # noqa: F401  (registers every model)
    try:
        cls = REGISTRY[node.type]
    except KeyError:
        raise SimError(f"{node}: the golden model has no model for type "
                       f"{node.type!r}") from None
    return cls(node, ctx if ctx is not None else SimContext())


def make_node(type_name: str, id: int = 0, **attrs) -> Node:
    """A :class:`Node` with attributes normalized by the catalogue (for
    running one primitive alone, e.g. in unit tests)."""
    spec = prims.get(type_name)
    return Node(id, type_name, spec.normalize(attrs, f"node {id} ({type_name})"))


_CONTEXT = 6


def _window(stream: list, pos: int) -> str:
    lo = max(0, pos - _CONTEXT)
    before = fmt(stream[lo:pos])
    if pos < len(stream):
        here = f"[{fmt([stream[pos]])}]"
        after = fmt(stream[pos + 1:], limit=_CONTEXT)
    else:
        here, after = "[end of stream]", ""
    parts = [p for p in (("... " if lo else "") + before, here, after) if p.strip()]
    return " ".join(parts)


class SimPrimitive:
    """Model of one node. Subclasses set ``type_name`` and implement
    :meth:`run`; the constructor reads the node attributes and checks them.

    Attributes set here: ``node``, ``ctx``, ``attrs``, ``inputs`` and
    ``outputs`` (port names in catalogue order), ``nin``.
    """

    type_name: ClassVar[str] = ""

    def __init__(self, node: Node, ctx: SimContext):
        if node.type != self.type_name:
            raise SimError(f"{node}: {type(self).__name__} models {self.type_name!r} nodes")
        self.node = node
        self.ctx = ctx
        self.attrs = node.attrs
        ins, outs = node.ports()
        self.inputs = list(ins)
        self.outputs = list(outs)
        self.nin = len(self.inputs)
        self._ins: dict = {}

    # -- firing-log bits --------------------------------------------------
    def cbit(self, port: str) -> int:
        """Bit meaning 'consumes a token from input ``port``' (0 if absent)."""
        return 1 << self.inputs.index(port) if port in self.inputs else 0

    def pbit(self, port: str) -> int:
        """Bit meaning 'peeks input ``port``' (0 if absent)."""
        return 1 << (self.nin + self.inputs.index(port)) if port in self.inputs else 0

    def obit(self, port: str) -> int:
        """Bit meaning 'produces a token on output ``port``'."""
        return 1 << (2 * self.nin + self.outputs.index(port))

    # -- running ------------------------------------------------------------
    def run(self, ins: dict[str, list], log: list) -> dict[str, list]:
        raise NotImplementedError

    def inputs_of(self, ins: dict[str, list]) -> list[list]:
        """The input lists in port order; an error naming a missing port."""
        self._ins = ins
        try:
            return [ins[p] for p in self.inputs]
        except KeyError as ex:
            raise SimError(f"{self.node}: input port {ex.args[0]!r} has no stream") from None

    # -- errors -------------------------------------------------------------
    def error(self, msg: str, *where: tuple[str, int]) -> SimError:
        """A :class:`SimError` for this node; each ``(port, position)`` in
        ``where`` adds that input stream's tokens around ``position``."""
        lines = [f"{self.node}: {msg}"]
        for port, pos in where:
            s = self._ins.get(port)
            if s is not None:
                lines.append(f"  {port} @{pos}: {_window(s, pos)}")
        return SimError("\n".join(lines))

    def check_end(self, port: str, stream: list, pos: int) -> None:
        """``pos`` is the index of the ``D`` just read; nothing may follow."""
        if pos != len(stream) - 1:
            raise self.error("tokens after D", (port, pos + 1))

    def missing_d(self, port: str, stream: list) -> SimError:
        return self.error("stream ended without D", (port, len(stream)))

    def outer_closing(self, outer: list, io: int, inner: Stop, ii: int) -> Stop:
        """``outer[io]``, which must be ``S(n-1)`` because the inner stop
        token ``inner`` = ``Sn`` (``n >= 1``, at ``ii`` of port ``inner``)
        also closes the outer fiber (crddrop, crdhold)."""
        if io >= len(outer):
            raise self.missing_d("outer", outer)
        h = outer[io]
        if type(h) is not Stop or h.level != inner.level - 1:
            raise self.error(f"inner {inner} closes the outer fiber, so the outer stream "
                             f"must have S{inner.level - 1} here, got {h}",
                             ("outer", io), ("inner", ii))
        return h

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.node}>"


def check_done(prim: SimPrimitive, port: str, stream: list, pos: int):
    """Shared check: ``stream[pos]`` must be ``D`` and the last token."""
    if pos >= len(stream):
        raise prim.missing_d(port, stream)
    if stream[pos] is not D:
        raise prim.error("expected D", (port, pos))
    prim.check_end(port, stream, pos)
