"""The primitive catalogue: every SAM node type, its parameters and its typed
ports, in one place. The golden model (``sim/``), the compiler (``custard/``),
the RTL generator (``rtl/``) and DOT/JSON I/O all read this module; none of
them keeps its own list.

Node type names are the reference compiler's DOT ``type`` names
(``fiberlookup``, ``intersect``, ...). Ports of some types depend on the
node's parameters (a root scanner has no ``ref`` input; a joiner has one
``crd_<T>``/``ref_<T>`` pair per operand ``T``), so each entry computes its
ports from the node attributes with :meth:`PrimitiveSpec.ports`.

Stream types are ``crd``, ``ref``, ``val`` and ``repsig``. A port that accepts
several types lists them (``"crd|ref"``); ``"any"`` matches every type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .formats.levels import LEVEL_FORMATS as _LEVEL_REGISTRY

__all__ = [
    "STREAM_TYPES", "ParamSpec", "PrimitiveSpec", "CATALOGUE", "get",
    "CatalogueError", "type_matches", "LEVEL_FORMATS",
]

STREAM_TYPES = ("crd", "ref", "val", "repsig")

#: Level formats a scanner or level writer may name (``format=`` attribute):
#: every plug-in registered in ``sam/formats/levels/``.
LEVEL_FORMATS = tuple(_LEVEL_REGISTRY)


class CatalogueError(ValueError):
    """An unknown node type or a bad parameter."""


def type_matches(accepted: str, actual: str) -> bool:
    """Does a port declared as ``accepted`` take a stream of type ``actual``?"""
    return accepted == "any" or actual == "any" or actual in accepted.split("|")


@dataclass(frozen=True)
class ParamSpec:
    """One node parameter.

    ``kind`` is ``str``, ``int``, ``bool``, ``list`` (list of str) or ``expr``
    (a size expression such as ``B0_dim*C1_dim``, kept as a string).
    """
    name: str
    kind: str
    required: bool = False
    default: Any = None
    choices: tuple | None = None
    doc: str = ""

    def coerce(self, value, where: str):
        """Convert a DOT/JSON attribute value to this parameter's kind."""
        try:
            if self.kind == "bool":
                if isinstance(value, bool):
                    v = value
                elif str(value).lower() in ("true", "1", "yes"):
                    v = True
                elif str(value).lower() in ("false", "0", "no", ""):
                    v = False
                else:
                    raise ValueError
            elif self.kind == "int":
                v = int(value)
            elif self.kind == "list":
                v = list(value) if isinstance(value, (list, tuple)) else \
                    [s for s in str(value).split(",") if s]
            else:
                v = value if isinstance(value, str) else str(value)
        except (TypeError, ValueError):
            raise CatalogueError(
                f"{where}: parameter {self.name}={value!r} is not a valid {self.kind}") from None
        if self.choices is not None and v not in self.choices:
            raise CatalogueError(
                f"{where}: parameter {self.name}={v!r} is not one of "
                f"{', '.join(map(str, self.choices))}")
        return v


PortMap = dict[str, str]


@dataclass(frozen=True)
class PrimitiveSpec:
    """A SAM node type.

    ``ports_fn(attrs) -> (inputs, outputs)`` gives ordered dicts of port name
    to stream type for a node with attributes ``attrs`` (already coerced).
    """
    name: str
    doc: str
    params: tuple[ParamSpec, ...]
    ports_fn: Callable[[dict], tuple[PortMap, PortMap]]
    #: True for nodes that end a graph (level and value writers).
    sink: bool = False
    aliases: tuple[str, ...] = field(default=())

    def param(self, name: str) -> ParamSpec | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    def normalize(self, attrs: dict, where: str = "") -> dict:
        """Coerce ``attrs`` to typed parameters, fill defaults, reject missing
        required ones. Other attributes are kept as they are (reference
        DOT files carry extras such as ``src`` and ``sink``)."""
        where = where or self.name
        out = dict(attrs)
        for p in self.params:
            if p.name in attrs and attrs[p.name] is not None:
                out[p.name] = p.coerce(attrs[p.name], where)
            elif p.required:
                raise CatalogueError(f"{where}: missing required parameter {p.name!r}")
            else:
                out[p.name] = p.default
        return out

    def ports(self, attrs: dict) -> tuple[PortMap, PortMap]:
        return self.ports_fn(attrs)


# --------------------------------------------------------------------------
# Port functions

def _scanner_ports(a):
    ins = {} if a.get("root") else {"ref": "ref"}
    return ins, {"crd": "crd", "ref": "ref"}


def _writer_ports(a):
    if a.get("mode") == "vals":
        return {"val": "val"}, {}
    return {"crd": "crd"}, {}


def _repeat_ports(a):
    ins = {} if a.get("root") else {"ref": "ref"}
    ins["repsig"] = "repsig"
    return ins, {"ref": "ref"}


def _joiner_ports(a):
    ops = a.get("operands") or []
    ins, outs = {}, {"crd": "crd"}
    for t in ops:
        ins[f"crd_{t}"] = "crd"
        ins[f"ref_{t}"] = "ref"
    for t in ops:
        outs[f"ref_{t}"] = "ref"
    return ins, outs


def _alu_ports(a):
    return {"val0": "val", "val1": "val"}, {"val": "val"}


def _spacc_ports(a):
    ins: PortMap = {}
    outs: PortMap = {}
    if a.get("in1"):
        ins["crd_outer"] = "crd"
    ins["crd_inner"] = "crd"
    ins["val"] = "val"
    if a.get("in1"):
        outs["crd_outer"] = "crd"
    outs["crd_inner"] = "crd"
    outs["val"] = "val"
    return ins, outs


def _crddrop_ports(a):
    inner = "val" if a.get("vals") else "crd|val"
    ins = {"outer": "crd", "inner": inner}
    deep = list(a.get("deep") or ())
    if deep and a.get("vals"):
        raise CatalogueError(f"crddrop deep={','.join(deep)}: the vals=true variant "
                             f"has no deep streams; drop deep or vals")
    named = [x for x in (a.get("outer"), a.get("inner")) if x]
    if deep and len(set(deep) | set(named)) != len(deep) + len(set(named)):
        raise CatalogueError(f"crddrop deep={','.join(deep)}: deep indices must differ "
                             f"from each other and from outer/inner")
    # deep pass-through: one crd stream per level below inner (design.md,
    # deliberate difference 1)
    for idx in deep:
        ins[f"deep_{idx}"] = "crd"
    return ins, dict(ins)


def _crdhold_ports(a):
    inner = "val" if a.get("vals") else "crd|ref"
    return {"outer": "crd", "inner": inner}, {"outer": "crd", "inner": inner}


_T = ParamSpec("tensor", "str", required=True, doc="tensor name")
_IDX = ParamSpec("index", "str", required=True, doc="index variable")
_IDX_OPT = ParamSpec("index", "str", doc="index variable")

CATALOGUE: dict[str, PrimitiveSpec] = {}


def _add(spec: PrimitiveSpec):
    CATALOGUE[spec.name] = spec
    return spec


_add(PrimitiveSpec(
    "fiberlookup",
    "Level scanner: for each input reference, stream the coordinates and "
    "references of that fiber of one storage level, closed by a stop token "
    "(peek-merge rule). Root scanners read the root reference [0, D].",
    (_T, _IDX,
     ParamSpec("mode", "int", required=True, doc="tensor dimension this level stores"),
     ParamSpec("format", "str", required=True, choices=LEVEL_FORMATS),
     ParamSpec("root", "bool", default=False),
     ParamSpec("src", "bool", default=True)),
    _scanner_ports))

_add(PrimitiveSpec(
    "fiberwrite",
    "Level or value writer: stores an output level (crd stream; compressed "
    "or dense) or the output values (mode=vals).",
    (_T, _IDX_OPT,
     ParamSpec("mode", "str", required=True, doc="tensor dimension, or 'vals'"),
     ParamSpec("format", "str", choices=LEVEL_FORMATS + (None,)),
     ParamSpec("segsize", "expr"), ParamSpec("crdsize", "expr"),
     ParamSpec("size", "expr"),
     ParamSpec("sink", "bool", default=True)),
    _writer_ports, sink=True))

_add(PrimitiveSpec(
    "arrayvals",
    "Value array load: reference -> value; N loads 0; stop tokens and D pass.",
    (_T,),
    lambda a: ({"ref": "ref"}, {"val": "val"})))

_add(PrimitiveSpec(
    "repsiggen",
    "Repeat-signal generator: each coordinate -> R, each stop token -> S, D -> D.",
    (_IDX_OPT,),
    lambda a: ({"crd": "crd|ref"}, {"repsig": "repsig"})))

_add(PrimitiveSpec(
    "repeat",
    "Repeater: emit the held reference once per R; S advances (peek-merge rule).",
    (_IDX_OPT, ParamSpec("tensor", "str"), ParamSpec("root", "bool", default=False)),
    _repeat_ports))

for _j, _doc in (("intersect", "Intersecter: coordinates present in every operand."),
                 ("union", "Unioner: coordinates present in any operand; N for absent refs.")):
    _add(PrimitiveSpec(
        _j, _doc + " Operands are named by tensor; n-ary nodes are lowered to "
        "binary ones by the golden model and the RTL generator.",
        (_IDX_OPT, ParamSpec("operands", "list", required=True,
                             doc="tensor names, one crd/ref port pair each")),
        _joiner_ports))

_add(PrimitiveSpec("mul", "ALU: val0 * val1.", (), _alu_ports))
_add(PrimitiveSpec("add", "ALU: val0 + val1, or val0 - val1 when sub=1.",
                   (ParamSpec("sub", "bool", default=False),), _alu_ports))
_add(PrimitiveSpec("max", "ALU: max(val0, val1).", (), _alu_ports))
_add(PrimitiveSpec("min", "ALU: min(val0, val1).", (), _alu_ports))

_add(PrimitiveSpec(
    "reduce",
    "Reducer: sums each innermost fiber; output has one nesting level fewer.",
    (), lambda a: ({"val": "val"}, {"val": "val"})))

_add(PrimitiveSpec(
    "spaccumulator",
    "Sparse accumulator of order 1 or 2: reduces over an index that is not "
    "innermost, keeping the inner (in0) and, if given, outer (in1) index.",
    (ParamSpec("order", "int", required=True, choices=(1, 2)),
     ParamSpec("in0", "str", required=True, doc="inner kept index"),
     ParamSpec("in1", "str", doc="outer kept index (absent for vectors)")),
    _spacc_ports))

_add(PrimitiveSpec(
    "crddrop",
    "Coordinate drop: removes outer coordinates whose inner fiber is empty "
    "(vals=true: inner values that are zero). deep=k,l,..: crd streams of "
    "the levels below inner (ports deep_<idx>) pass through with the "
    "closings of the removed inner fibers removed too.",
    (ParamSpec("outer", "str"), ParamSpec("inner", "str"),
     ParamSpec("vals", "bool", default=False),
     ParamSpec("deep", "list",
               doc="index names of the levels below inner, top down (coordinate "
                   "variant only)")),
    _crddrop_ports))

_add(PrimitiveSpec(
    "crdhold",
    "Coordinate hold: repeats each outer coordinate once per coordinate of "
    "its inner fiber, with the inner stream's stop tokens (vals=true: the "
    "inner stream is the values of the outer coordinates, one each, so "
    "both streams pass unchanged; sam.lower folds such a node into wires).",
    (ParamSpec("outer", "str"), ParamSpec("inner", "str"),
     ParamSpec("vals", "bool", default=False)),
    _crdhold_ports))

_add(PrimitiveSpec(
    "broadcast",
    "Fan-out: one producer, many consumers, same stream.",
    (), lambda a: ({"in": "any"}, {"out": "any"})))


def get(type_name: str, where: str = "") -> PrimitiveSpec:
    """The catalogue entry of ``type_name``; a clear error if unknown."""
    try:
        return CATALOGUE[type_name]
    except KeyError:
        w = f"{where}: " if where else ""
        raise CatalogueError(
            f"{w}unknown node type {type_name!r}; known types: "
            f"{', '.join(sorted(CATALOGUE))}") from None
