"""DOT read/write in the reference compiler's vocabulary.

Reading (:func:`load`, :func:`loads`) accepts the graphs the reference
compiler (Custard, a TACO fork) prints, see ``sam_spec.md`` section 3::

    digraph SAM {
        comment="x=s0,B=ss01,c=s0"
        12 [comment="type=fiberlookup,index=i,..." label="FiberLookup i: B0\\ncompressed"
            color=green4 shape=box style=filled type="fiberlookup" index="i" ...]
        7 -> 6 [label="crd_in-B" style=dashed type="crd" comment="in-B"]
    }

Node parameters come from the typed attributes; a key missing there is taken
from the packed ``comment`` string. ``label``/``color``/``shape``/``style``
are cosmetic and kept in :attr:`Node.extra`. Edges name their ports only
through ``type`` + ``comment``; the mapping to the IR ports of
:mod:`sam.primitives` (``docs/design.md`` "Ports") is:

==================  =========================================================
node type           DOT edge -> IR port
==================  =========================================================
intersect, union    in ``crd``/``ref`` with comment ``in-T`` -> ``crd_T``/``ref_T``;
                    out ``ref`` ``out-T`` -> ``ref_T``; out ``crd`` -> ``crd``.
                    ``operands`` = the ``in-T`` tensors in file order
                    (or the typed ``operands`` attribute, which we write).
mul, add, max, min  first ``val`` input in file order -> ``val0``, second -> ``val1``
spaccumulator       in/out ``crd`` whose comment ends in index ``in1`` ->
                    ``crd_outer``, ``in0`` -> ``crd_inner`` (``i``,
                    ``outer-i``, ``inner-j``, ``out-j`` ...); ``val`` -> ``val``.
                    The reference also feeds the *reduced* index's crd stream
                    to the accumulator (e.g. ``crd_k`` in matmul kij); no
                    accumulator consumes it, so that edge is dropped with a
                    :class:`DotWarning`.
crddrop, crdhold    in: comment ends in the ``outer``/``inner`` index
                    (``i``, ``in-i``, ``outer-i``, ``vals``) -> ``outer``/``inner``,
                    or in a crddrop ``deep`` index ``k`` -> ``deep_k``;
                    out: ``outer-<idx>`` -> ``outer``, ``inner-<idx>`` -> ``inner``,
                    ``deep-<idx>`` -> ``deep_<idx>``
others              the one port of that direction whose type matches
                    (``broadcast``: ``in``/``out``)
==================  =========================================================

Writing (:func:`dump`, :func:`dumps`) prints the same vocabulary (typed
attributes, packed comment, label, colours; edge type/label/comment/style),
so the reference's tools read our graphs. Two additions, both ignored by the
reference's readers: joiners carry a typed ``operands`` attribute, and an
edge whose two ends the comment cannot both name (a crdhold output feeding a
joiner input, say) carries typed ``src_port``/``dst_port`` attributes.
``Graph.meta`` travels as the graph attribute ``meta`` (JSON text).

Every problem found while reading is collected; the reader raises one
:class:`~sam.graph.GraphError` listing them all, each naming its node ids.
"""

from __future__ import annotations

import json
import re
import threading
import warnings
from pathlib import Path

with warnings.catch_warnings():
    # pydot 4.0 builds its grammar with deprecated pyparsing names; not ours to fix.
    warnings.simplefilter("ignore")
    from pyparsing import ParseException
    import pydot
    import pydot.dot_parser

from . import primitives as prims
from .errors import read_text
from .graph import Edge, Graph, GraphError, Node

__all__ = ["load", "loads", "dump", "dumps", "DotWarning", "parse_formats",
           "format_formats"]


class DotWarning(UserWarning):
    """A DOT file was read, but something in it was repaired or ignored."""


# pyparsing parsers are not thread-safe (pydot says so).
_PARSE_LOCK = threading.Lock()

#: Node attributes that only affect drawing.
COSMETIC = frozenset((
    "label", "color", "shape", "style", "fillcolor", "fontcolor", "fontname",
    "fontsize", "width", "height", "pos", "xlabel", "tooltip", "penwidth",
))
_JOINERS = ("intersect", "union")
_ALUS = ("mul", "add", "max", "min")
_CRDMGR = ("crddrop", "crdhold")

_FORMAT_RE = re.compile(r"^([dsuzqc]+)([0-9]+)$")


# --------------------------------------------------------------------------
# Header: tensor formats

def parse_formats(text: str) -> tuple[dict[str, str], list[str]]:
    """Parse the graph comment ``"X=ss01,B=ss01,c=s0,b=none"``.

    Returns (formats, problems): tensor name -> reference format string, in
    file order, and one message per malformed entry."""
    formats: dict[str, str] = {}
    problems: list[str] = []
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        name, eq, fmt = item.partition("=")
        name, fmt = name.strip(), fmt.strip()
        if not eq or not name or not fmt:
            problems.append(f"graph comment: entry {item!r} is not Name=format "
                            "(e.g. B=ss01)")
            continue
        bad = _format_problem(fmt)
        if bad:
            problems.append(f"graph comment: tensor {name}: {bad}")
            continue
        if name in formats:
            problems.append(f"graph comment: tensor {name} is listed twice")
            continue
        formats[name] = fmt
    return formats, problems


def _format_problem(fmt: str) -> str | None:
    if fmt == "none":
        return None
    m = _FORMAT_RE.match(fmt)
    if not m or len(m.group(1)) != len(m.group(2)) or \
            sorted(m.group(2)) != [str(i) for i in range(len(m.group(2)))]:
        return (f"format {fmt!r} is not level letters (d s u z q c) followed by "
                "a mode order (e.g. ss01, ss10, d0) or 'none'")
    return None


def format_formats(formats: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in formats.items())


# --------------------------------------------------------------------------
# Reading

def load(path) -> Graph:
    """Read a DOT file; the graph is named after the file."""
    p = Path(path)
    g = loads(read_text(p), source=str(p))
    g.name = p.stem
    return g


_ESCAPE = re.compile(r'\\(["\\])')


def _unquote(v) -> str:
    """A DOT ID as text: quotes removed, ``\\"`` and ``\\\\`` unescaped, escaped
    newlines joined; other backslash sequences (``\\n`` in labels) kept."""
    v = str(v)
    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        v = _ESCAPE.sub(r"\1", v[1:-1].replace("\\\r\n", "").replace("\\\n", ""))
    return v


def _parse(text: str, source: str):
    with _PARSE_LOCK:
        try:
            toks = pydot.dot_parser.graphparser.parse_string(text, parse_all=True)
        except ParseException as ex:
            raise GraphError([f"line {ex.lineno}, column {ex.col}: malformed DOT "
                              f"({ex.msg}): {ex.line.strip()!r}"], source) from None
        except Exception as ex:  # pydot's parse actions on odd input
            raise GraphError([f"malformed DOT: {ex}"], source) from None
    graphs = list(toks)
    if len(graphs) != 1:
        raise GraphError([f"expected one digraph, found {len(graphs)} graphs"], source)
    pg = graphs[0]
    if pg.get_type() != "digraph":
        raise GraphError([f"expected a digraph, found an undirected {pg.get_type()}"],
                         source)
    return pg


def _tail(comment: str) -> str:
    """The name at the end of an edge comment: ``in-B`` -> ``B``, ``i`` -> ``i``."""
    return comment.rsplit("-", 1)[-1]


def _prefix(comment: str) -> str:
    return comment.rsplit("-", 1)[0] if "-" in comment else ""


class _RawEdge:
    __slots__ = ("pos", "src", "dst", "type", "comment", "label", "src_port",
                 "dst_port", "extra")

    def __str__(self):
        c = f" ({self.label or self.type})" if (self.label or self.type) else ""
        return f"edge {self.src} -> {self.dst}{c}"


def loads(text: str, source: str = "<string>") -> Graph:
    """Read a graph from DOT text. ``source`` names it in error messages."""
    pg = _parse(text, source)
    problems: list[str] = []

    gattrs = {k: _unquote(v) for k, v in pg.get_attributes().items()}
    formats, fprobs = parse_formats(gattrs.get("comment", ""))
    problems += fprobs
    meta = {}
    if "meta" in gattrs:
        try:
            meta = json.loads(gattrs["meta"])
            if not isinstance(meta, dict):
                raise ValueError("not an object")
        except ValueError as ex:
            problems.append(f"graph attribute meta is not a JSON object ({ex})")
            meta = {}
    if pg.get_subgraphs():
        problems.append("subgraphs are not part of the SAM graph vocabulary; "
                        "flatten them")

    # -- nodes: merge duplicated node statements --------------------------
    raw_nodes: dict[str, dict] = {}
    for pn in pg.get_nodes():
        name = _unquote(pn.get_name())
        if name in ("node", "edge", "graph"):   # default-attribute statements
            continue
        attrs = {k: _unquote(v) for k, v in pn.get_attributes().items()}
        if name in raw_nodes:
            old = raw_nodes[name]
            clash = sorted(k for k in attrs if k in old and old[k] != attrs[k])
            what = (f"; later values win for {', '.join(clash)}" if clash
                    else " with the same attributes")
            warnings.warn(f"{source}: node {name} is declared more than once{what}",
                          DotWarning, stacklevel=2)
            old.update(attrs)
        else:
            raw_nodes[name] = attrs

    ids: dict[str, int] = {}
    for name in raw_nodes:
        try:
            ids[name] = int(name)
        except ValueError:
            problems.append(f"node {name!r}: node ids must be integers")

    parsed: dict[int, tuple[str, dict, dict]] = {}   # id -> (type, params, extra)
    specs: dict[int, prims.PrimitiveSpec] = {}
    for name, raw in raw_nodes.items():
        if name not in ids:
            continue
        nid = ids[name]
        if nid in parsed:
            problems.append(f"node {nid}: declared under two spellings of its id")
            continue
        typed = {k: v for k, v in raw.items() if k not in COSMETIC and k != "comment"}
        extra = {k: v for k, v in raw.items() if k in COSMETIC}
        packed: dict[str, str] = {}
        bad_packed = []
        for item in raw.get("comment", "").split(","):
            if not item.strip():
                continue
            k, eq, v = item.partition("=")
            if eq:
                packed[k.strip()] = v.strip()
            else:
                bad_packed.append(item)
        if "type" not in typed:
            if bad_packed:
                problems.append(f"node {nid}: comment entries {bad_packed} are not key=value")
            if "type" not in packed:
                problems.append(f"node {nid}: no type (neither a type attribute nor "
                                "type=... in its comment)")
                continue
        params = dict(packed)
        params.update(typed)
        ntype = params.pop("type")
        try:
            specs[nid] = prims.get(ntype, f"node {nid}")
        except prims.CatalogueError as ex:
            problems.append(str(ex))
            continue
        if isinstance(params.get("operands"), str):
            params["operands"] = [s for s in params["operands"].split(",") if s]
        parsed[nid] = (ntype, params, extra)

    # -- edges --------------------------------------------------------------
    raw_edges: list[_RawEdge] = []
    for pos, pe in enumerate(pg.get_edges()):
        r = _RawEdge()
        r.pos = pos
        a = {k: _unquote(v) for k, v in pe.get_attributes().items()}
        s, d = _unquote(pe.get_source()), _unquote(pe.get_destination())
        r.label = a.get("label", "")
        r.comment = a.get("comment")
        r.type = a.get("type")
        if r.type is None and r.label:
            head, _, rest = r.label.partition("_")
            if head in prims.STREAM_TYPES:
                r.type = head
                if r.comment is None:
                    r.comment = rest
        r.comment = r.comment or ""
        r.src_port = a.get("src_port")
        r.dst_port = a.get("dst_port")
        r.extra = {k: v for k, v in a.items()
                   if k not in ("label", "comment", "type", "style", "src_port", "dst_port")}
        ok = True
        for end, attr in ((s, "src"), (d, "dst")):
            if end not in ids:
                if end in raw_nodes:
                    ok = False   # non-integer id, already reported
                elif ":" in end:
                    problems.append(f"edge {s} -> {d}: DOT node ports ({end!r}) are not "
                                    "used by SAM graphs; name the port in the comment")
                    ok = False
                else:
                    problems.append(f"edge {s} -> {d} names missing node {end}")
                    ok = False
            else:
                setattr(r, attr, ids[end])
        if not ok:
            continue
        if r.type is None:
            problems.append(f"{r}: no type attribute (crd, ref, val or repsig)")
            continue
        if r.type not in prims.STREAM_TYPES:
            problems.append(f"{r}: type {r.type!r} is not one of "
                            f"{', '.join(prims.STREAM_TYPES)}")
            continue
        raw_edges.append(r)

    # -- joiner operands from in-T comments, in file order ------------------
    for nid, (ntype, params, _) in parsed.items():
        if ntype not in _JOINERS or params.get("operands"):
            continue
        ops: list[str] = []
        for r in raw_edges:
            if r.dst == nid and r.dst_port is None:
                if not r.comment:
                    problems.append(f"node {nid} ({ntype}): {r} has no in-<T> comment "
                                    "naming the operand it belongs to")
                    continue
                t = _tail(r.comment)
                if t not in ops:
                    ops.append(t)
        params["operands"] = ops

    # -- typed parameters -----------------------------------------------------
    nodes: dict[int, Node] = {}
    ports: dict[int, tuple[dict, dict]] = {}
    for nid, (ntype, params, extra) in parsed.items():
        spec = specs[nid]
        try:
            norm = spec.normalize(params, f"node {nid} ({ntype})")
            ports[nid] = spec.ports(norm)
        except prims.CatalogueError as ex:
            problems.append(str(ex))
            continue
        nodes[nid] = Node(nid, ntype, norm, extra)

    # -- ports ----------------------------------------------------------------
    edges: list[Edge] = []
    alu_seen: dict[int, int] = {}
    with warnings.catch_warnings(record=True) as dropped:
        warnings.simplefilter("always", DotWarning)
        for r in raw_edges:
            if r.src not in nodes or r.dst not in nodes:
                continue   # the node's own problem is already reported
            sp = _src_port(nodes[r.src], ports[r.src][1], r, problems)
            dp = _dst_port(nodes[r.dst], ports[r.dst][0], r, problems, alu_seen)
            if sp is None or dp is None:
                continue
            if dp == "":
                continue   # deliberately dropped (warned)
            edges.append(Edge(r.src, sp, r.dst, dp, r.type, dict(r.extra)))
    for w in dropped:          # again, naming the file
        warnings.warn(f"{source}: {w.message}", w.category, stacklevel=2)

    if problems:
        raise GraphError(problems, source)

    stem = Path(source).stem if source and not source.startswith("<") else "sam"
    g = Graph(stem if pg.get_name() in ("", "SAM", "G") else _unquote(pg.get_name()),
              formats)
    g.nodes = nodes
    g.edges = edges
    g.meta = meta
    return g


def _explicit(node: Node, ports: dict, port: str, r: _RawEdge, side: str,
              problems: list[str]) -> str | None:
    if port in ports:
        return port
    problems.append(f"{r}: {node} has no {side} port {port!r} "
                    f"(has {', '.join(ports) or 'none'})")
    return None


def _by_type(node: Node, ports: dict, r: _RawEdge, side: str,
             problems: list[str]) -> str | None:
    if r.comment in ports:
        return r.comment
    cands = [p for p, t in ports.items() if prims.type_matches(t, r.type)]
    if len(cands) == 1:
        return cands[0]
    if not cands:
        problems.append(f"{r}: {node} has no {side} port for a {r.type} stream "
                        f"(has {', '.join(f'{p}:{t}' for p, t in ports.items()) or 'none'})")
    else:
        problems.append(f"{r}: {node} has several {side} ports for a {r.type} "
                        f"stream ({', '.join(cands)}); name one in the comment")
    return None


def _src_port(node: Node, outs: dict, r: _RawEdge, problems: list[str]) -> str | None:
    if r.src_port is not None:
        return _explicit(node, outs, r.src_port, r, "output", problems)
    t, a = node.type, node.attrs
    if t in _JOINERS:
        if r.type == "crd":
            return "crd"
        if r.type == "ref":
            port = f"ref_{_tail(r.comment)}"
            if port in outs:
                return port
            problems.append(f"{r}: comment {r.comment!r} names no ref output of {node} "
                            f"(operands {', '.join(a['operands'])}; expected out-<T>)")
            return None
    elif t == "spaccumulator" and r.type == "crd":
        port = _spacc_crd_port(a, _tail(r.comment))
        if port:
            return port
        problems.append(f"{r}: comment {r.comment!r} names no crd output of {node} "
                        f"(in0={a['in0']}, in1={a.get('in1')}; expected out-<index>)")
        return None
    elif t in _CRDMGR:
        pre = _prefix(r.comment)
        port = pre if pre in ("outer", "inner") else _crdmgr_port(a, r)
        if port:
            return port
        problems.append(f"{r}: comment {r.comment!r} names no output of {node} "
                        f"(expected outer-{a.get('outer')} or inner-{a.get('inner')})")
        return None
    return _by_type(node, outs, r, "output", problems)


def _spacc_crd_port(a: dict, idx: str) -> str | None:
    """The accumulator crd port of index ``idx`` (``in1`` outer, ``in0`` inner)."""
    if a.get("in1") and idx == a["in1"]:
        return "crd_outer"
    if idx == a["in0"]:
        return "crd_inner"
    return None


def _crdmgr_port(a: dict, r: "_RawEdge") -> str | None:
    """The crddrop/crdhold port an edge comment's index names; a val edge is
    the inner stream of the vals variant."""
    idx = _tail(r.comment)
    if idx and idx == a.get("outer"):
        return "outer"
    if idx and idx == a.get("inner"):
        return "inner"
    if idx and idx in (a.get("deep") or ()):
        return f"deep_{idx}"
    if r.type == "val":
        return "inner"
    return None


def _dst_port(node: Node, ins: dict, r: _RawEdge, problems: list[str],
              alu_seen: dict[int, int]) -> str | None:
    if r.dst_port is not None:
        return _explicit(node, ins, r.dst_port, r, "input", problems)
    t, a = node.type, node.attrs
    if t in _JOINERS and r.type in ("crd", "ref"):
        port = f"{r.type}_{_tail(r.comment)}"
        if port in ins:
            return port
        problems.append(f"{r}: comment {r.comment!r} names no input of {node} "
                        f"(operands {', '.join(a['operands'])}; expected in-<T>)")
        return None
    if t in _ALUS and r.type == "val":
        k = alu_seen.get(node.id, 0)
        alu_seen[node.id] = k + 1
        if k < 2:
            return f"val{k}"
        problems.append(f"{r}: {node} takes two val inputs; this is input number {k + 1}")
        return None
    if t == "spaccumulator" and r.type == "crd":
        idx = _tail(r.comment)
        port = _spacc_crd_port(a, idx)
        if port:
            return port
        if idx:
            # The reference compiler also wires the reduced index's crd into
            # the accumulator; no accumulator reads it (groups end at stop
            # tokens), so the edge is dropped and the result is unchanged.
            warnings.warn(
                f"{node}: dropping {r}: it carries the reduced index {idx!r}, which "
                f"the accumulator does not read (it keeps in0={a['in0']}"
                f"{', in1=' + a['in1'] if a.get('in1') else ''}); the result is "
                f"unaffected", DotWarning, stacklevel=4)
            return ""
        problems.append(f"{r}: crd input of {node} has no comment naming its index "
                        f"(in0={a['in0']}, in1={a.get('in1')})")
        return None
    if t in _CRDMGR:
        port = _crdmgr_port(a, r)
        if port:
            return port
        problems.append(f"{r}: comment {r.comment!r} names no input of {node} "
                        f"(expected the index {a.get('outer')} or {a.get('inner')})")
        return None
    return _by_type(node, ins, r, "input", problems)


# --------------------------------------------------------------------------
# Writing

#: Reference key order of the packed comment (and typed attributes) per type.
_KEY_ORDER = {
    "fiberlookup": ("index", "tensor", "mode", "format", "src", "root"),
    "fiberwrite": ("index", "tensor", "mode", "format", "segsize", "crdsize", "size", "sink"),
    "repeat": ("index", "tensor", "root"),
    "spaccumulator": ("order", "in0", "in1"),
    "crddrop": ("outer", "inner", "vals"),
    "crdhold": ("outer", "inner", "vals"),
}
#: Booleans the reference prints even when false.
_ALWAYS_BOOL = {"src", "root", "sink", "sub"}
_COLORS = {
    "fiberlookup": "green4", "fiberwrite": "green3", "arrayvals": "green2",
    "repeat": "cyan2", "repsiggen": "cyan3", "intersect": "purple", "union": "purple",
    "mul": "brown", "add": "brown", "max": "brown", "min": "brown", "reduce": "brown",
    "spaccumulator": "brown", "crddrop": "orange", "crdhold": "orange",
}
_EDGE_STYLE = {"crd": "dashed", "ref": "bold", "repsig": "dotted"}


def _q(s, label: bool = False) -> str:
    """Quote a DOT string. Labels keep their backslash escapes (``\\n`` is a
    line break); other values escape backslashes too."""
    s = str(s)
    if not label:
        s = s.replace("\\", "\\\\")
    return '"' + s.replace('"', '\\"') + '"'


def _fmt_value(key: str, v) -> str:
    if isinstance(v, bool):
        return ("1" if v else "0") if key == "sub" else ("true" if v else "false")
    if isinstance(v, (list, tuple)):
        return ",".join(map(str, v))
    return str(v)


def _node_params(n: Node) -> list[tuple[str, str]]:
    """(key, text) pairs in reference order, skipping unset values."""
    spec = prims.CATALOGUE.get(n.type)
    order = list(_KEY_ORDER.get(n.type, ()))
    if spec:
        order += [p.name for p in spec.params if p.name not in order]
    order += [k for k in n.attrs if k not in order]
    out = []
    for k in order:
        v = n.attrs.get(k)
        if v is None or (v is False and k not in _ALWAYS_BOOL):
            continue
        out.append((k, _fmt_value(k, v)))
    return out


def _label(n: Node) -> str | None:
    a, t = n.attrs, n.type
    if t == "fiberlookup":
        return f"FiberLookup {a.get('index')}: {a.get('tensor')}{a.get('mode')}\\n{a.get('format')}"
    if t == "fiberwrite":
        if a.get("mode") == "vals":
            return f"FiberWrite Vals: {a.get('tensor')}"
        return (f"FiberWrite {a.get('index')}: {a.get('tensor')}{a.get('mode')}"
                f"\\n{a.get('format')}")
    if t == "arrayvals":
        return f"Array Vals: {a.get('tensor')}"
    if t == "repsiggen":
        return f"RepeatSignalGenerator {a.get('index')}"
    if t == "repeat":
        return f"Repeat {a.get('index')}: {a.get('tensor')}"
    if t in _JOINERS:
        return f"{t} {a.get('index')}" if a.get("index") else t
    if t == "add":
        return "Add\\nsubtract" if a.get("sub") else "Add"
    if t in ("mul", "max", "min", "reduce"):
        return t.capitalize()
    if t == "spaccumulator":
        return (f"SparseAccumulator {a.get('order')}\\n0={a.get('in0')}"
                + (f" 1={a['in1']}" if a.get("in1") else ""))
    if t == "crddrop":
        return f"CrdDrop {a.get('outer')},{a.get('inner')}"
    if t == "crdhold":
        return f"CrdHold {a.get('outer')},{a.get('inner')}"
    return None


def _node_line(n: Node) -> str:
    params = _node_params(n)
    packed_keys = [(k, v) for k, v in params
                   if not isinstance(n.attrs.get(k), (list, tuple))]
    order = list(packed_keys)
    if n.type == "fiberwrite" and n.attrs.get("mode") == "vals":
        # the reference packs mode before tensor for value writers
        order.sort(key=lambda kv: {"mode": 0, "tensor": 1}.get(kv[0], 2))
    comment = ",".join([f"type={n.type}"] + [f"{k}={v}" for k, v in order])
    parts = [f"comment={_q(comment)}"]
    if n.type == "broadcast":
        parts += ["shape=point", "style=invis"]
    else:
        label = _label(n)
        if label is not None:
            parts.append(f"label={_q(label, label=True)}")
        parts += [f"color={_COLORS.get(n.type, 'gray')}", "shape=box", "style=filled"]
    regenerated = {"label", "color", "shape", "style"}
    parts += [f"{k}={_q(v, label=True)}" for k, v in n.extra.items()
              if k not in regenerated]
    parts.append(f"type={_q(n.type)}")
    parts += [f"{k}={_q(v)}" for k, v in params]
    return f"    {n.id} [{' '.join(parts)}]"


def _edge_comment(g: Graph, e: Edge) -> tuple[str, str | None, str | None]:
    """(comment, explicit src_port, explicit dst_port) for an edge."""
    src, dst = g.nodes.get(e.src), g.nodes.get(e.dst)

    def src_says():
        if src is None:
            return None
        a = src.attrs
        if src.type in _JOINERS and e.src_port.startswith("ref_"):
            return "out-" + e.src_port[4:]
        if src.type in _CRDMGR and e.src_port in ("outer", "inner"):
            return f"{e.src_port}-{a.get(e.src_port)}"
        if src.type == "crddrop" and e.src_port.startswith("deep_"):
            return "deep-" + e.src_port[5:]
        if src.type == "spaccumulator" and e.src_port in ("crd_outer", "crd_inner"):
            return "out-" + str(a.get("in1" if e.src_port == "crd_outer" else "in0"))
        return None

    def dst_says():
        if dst is None:
            return None
        a = dst.attrs
        if dst.type in _JOINERS and "_" in e.dst_port:
            return "in-" + e.dst_port.split("_", 1)[1]
        if dst.type in _CRDMGR and e.dst_port in ("outer", "inner"):
            return str(a.get(e.dst_port))
        if dst.type == "crddrop" and e.dst_port.startswith("deep_"):
            return e.dst_port[5:]
        if dst.type == "spaccumulator" and e.dst_port in ("crd_outer", "crd_inner"):
            return str(a.get("in1" if e.dst_port == "crd_outer" else "in0"))
        return None

    s, d = src_says(), dst_says()
    if s is None and d is None:
        comment = ""
    elif d is None:
        comment = s
    elif s is None:
        comment = d
    else:
        comment = s
    # Would a reader map this comment back to the same ports?
    r = _RawEdge()
    r.src, r.dst, r.type, r.comment, r.label = e.src, e.dst, e.type, comment, ""
    r.src_port = r.dst_port = None
    sp = dp = None
    probs: list[str] = []
    if src is not None:
        try:
            outs = src.ports()[1]
            if _src_port(src, outs, r, probs) != e.src_port:
                sp = e.src_port
        except prims.CatalogueError:
            pass
    if dst is not None and dst.type not in _ALUS:
        try:
            ins = dst.ports()[0]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DotWarning)
                if _dst_port(dst, ins, r, probs, {}) != e.dst_port:
                    dp = e.dst_port
        except prims.CatalogueError:
            pass
    return comment, sp, dp


def _edge_order(g: Graph) -> list[Edge]:
    """``g.edges`` with each node's input edges in catalogue port order (the
    reader tells ALU operands apart by file order)."""
    per_dst: dict[int, list[Edge]] = {}
    for e in g.edges:
        per_dst.setdefault(e.dst, []).append(e)
    for dst, es in per_dst.items():
        n = g.nodes.get(dst)
        try:
            rank = {p: i for i, p in enumerate(n.ports()[0])} if n else {}
        except prims.CatalogueError:
            rank = {}
        es.sort(key=lambda e: rank.get(e.dst_port, len(rank)))
    nxt = {d: iter(es) for d, es in per_dst.items()}
    return [next(nxt[e.dst]) for e in g.edges]


def dumps(graph: Graph) -> str:
    """The graph as DOT text in the reference compiler's vocabulary."""
    lines = ["digraph SAM {"]
    lines.append(f"    comment={_q(format_formats(graph.formats))}")
    if graph.meta:
        lines.append(f"    meta={_q(json.dumps(graph.meta, sort_keys=True))}")
    for n in graph.nodes.values():
        lines.append(_node_line(n))
    for e in _edge_order(graph):
        comment, sp, dp = _edge_comment(graph, e)
        label = e.type + (f"_{comment}" if comment else "")
        parts = [f"label={_q(label, label=True)}"]
        if e.type in _EDGE_STYLE:
            parts.append(f"style={_EDGE_STYLE[e.type]}")
        parts.append(f"type={_q(e.type)}")
        if comment:
            parts.append(f"comment={_q(comment)}")
        if sp is not None:
            parts.append(f"src_port={_q(sp)}")
        if dp is not None:
            parts.append(f"dst_port={_q(dp)}")
        parts += [f"{k}={_q(v)}" for k, v in e.extra.items()
                  if k not in ("label", "style", "type", "comment", "src_port", "dst_port")]
        lines.append(f"    {e.src} -> {e.dst} [{' '.join(parts)}]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def dump(graph: Graph, path) -> None:
    """Write :func:`dumps` to ``path``."""
    Path(path).write_text(dumps(graph), encoding="utf-8")
