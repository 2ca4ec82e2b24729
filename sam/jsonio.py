"""JSON form of a :class:`~sam.graph.Graph`, for tools.

::

    {"format": "sam-graph", "version": 1,
     "name": "spmv", "formats": {"x": "s0", "B": "ss01", "c": "s0"}, "meta": {},
     "nodes": [{"id": 12, "type": "fiberlookup",
                "attrs": {"tensor": "B", "index": "i", "mode": 0, ...}}, ...],
     "edges": [{"src": 7, "src_port": "crd", "dst": 6, "dst_port": "crd_B",
                "type": "crd"}, ...]}

Ports are the IR ports of :mod:`sam.primitives` (no DOT comment decoding).
Parameters keep their JSON types (``mode: 0``, ``root: true``, ``operands:
["B", "c"]``); unset ones are left out. Nodes and edges may carry an optional
``extra`` object (cosmetic DOT attributes). Reading checks the schema and
reports every problem with its JSON path (``$.nodes[3].type``), plus unknown
node types, bad parameters, edges naming missing nodes or ports.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import primitives as prims
from .errors import read_text
from .graph import Edge, Graph, GraphError, Node

__all__ = ["FORMAT", "VERSION", "load", "loads", "dump", "dumps", "to_dict", "from_dict"]

FORMAT = "sam-graph"
VERSION = 1

_TOP = {"format", "version", "name", "formats", "meta", "nodes", "edges"}
_NODE = {"id", "type", "attrs", "extra"}
_EDGE = {"src", "src_port", "dst", "dst_port", "type", "extra"}


def to_dict(graph: Graph) -> dict:
    """The JSON-ready dict of ``graph``."""
    nodes = []
    for n in graph.nodes.values():
        d = {"id": n.id, "type": n.type,
             "attrs": {k: (list(v) if isinstance(v, tuple) else v)
                       for k, v in n.attrs.items() if v is not None}}
        if n.extra:
            d["extra"] = dict(n.extra)
        nodes.append(d)
    edges = []
    for e in graph.edges:
        d = {"src": e.src, "src_port": e.src_port, "dst": e.dst,
             "dst_port": e.dst_port, "type": e.type}
        if e.extra:
            d["extra"] = dict(e.extra)
        edges.append(d)
    return {"format": FORMAT, "version": VERSION, "name": graph.name,
            "formats": dict(graph.formats), "meta": dict(graph.meta),
            "nodes": nodes, "edges": edges}


def dumps(graph: Graph) -> str:
    return json.dumps(to_dict(graph), indent=1) + "\n"


def dump(graph: Graph, path) -> None:
    Path(path).write_text(dumps(graph), encoding="utf-8")


def loads(text: str, source: str = "<string>") -> Graph:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as ex:
        raise GraphError([f"line {ex.lineno}, column {ex.colno}: malformed JSON "
                          f"({ex.msg})"], source) from None
    return from_dict(data, source)


def load(path) -> Graph:
    p = Path(path)
    return loads(read_text(p), source=str(p))


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def from_dict(data, source: str = "<dict>") -> Graph:
    """Build a Graph from the JSON form; raises GraphError with every problem."""
    probs: list[str] = []

    def need(obj, key, kind, path, check=None, what=None):
        if key not in obj:
            probs.append(f"{path}.{key}: missing")
            return None
        v = obj[key]
        if not (check(v) if check else isinstance(v, kind)):
            probs.append(f"{path}.{key}: expected {what or kind.__name__}, got {v!r}")
            return None
        return v

    if not isinstance(data, dict):
        raise GraphError([f"$: expected an object, got {type(data).__name__}"], source)
    for k in sorted(set(data) - _TOP):
        probs.append(f"$.{k}: unknown key (known: {', '.join(sorted(_TOP))})")
    fmt = data.get("format")
    if fmt != FORMAT:
        probs.append(f"$.format: expected {FORMAT!r}, got {fmt!r}")
    ver = data.get("version")
    if ver != VERSION:
        probs.append(f"$.version: this reader knows version {VERSION}, got {ver!r}")
    name = data.get("name", "sam")
    if not isinstance(name, str):
        probs.append(f"$.name: expected a string, got {name!r}")
        name = "sam"
    formats = data.get("formats", {})
    if not isinstance(formats, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in formats.items()):
        probs.append(f"$.formats: expected an object of tensor name -> format string, "
                     f"got {formats!r}")
        formats = {}
    meta = data.get("meta", {})
    if not isinstance(meta, dict):
        probs.append(f"$.meta: expected an object, got {meta!r}")
        meta = {}

    nodes: dict[int, Node] = {}
    ports: dict[int, tuple[dict, dict]] = {}
    raw_nodes = need(data, "nodes", list, "$", what="a list")
    for i, nd in enumerate(raw_nodes or []):
        path = f"$.nodes[{i}]"
        if not isinstance(nd, dict):
            probs.append(f"{path}: expected an object, got {nd!r}")
            continue
        for k in sorted(set(nd) - _NODE):
            probs.append(f"{path}.{k}: unknown key (known: {', '.join(sorted(_NODE))})")
        nid = need(nd, "id", int, path, _is_int, "an integer")
        ntype = need(nd, "type", str, path, what="a string")
        attrs = nd.get("attrs", {})
        if not isinstance(attrs, dict):
            probs.append(f"{path}.attrs: expected an object, got {attrs!r}")
            continue
        extra = nd.get("extra", {})
        if not isinstance(extra, dict):
            probs.append(f"{path}.extra: expected an object, got {extra!r}")
            extra = {}
        if nid is None or ntype is None:
            continue
        if nid in nodes:
            probs.append(f"{path}.id: node id {nid} is used twice")
            continue
        where = f"{path} (node {nid}, {ntype})"
        try:
            spec = prims.get(ntype, where)
            norm = spec.normalize(attrs, where)
            ports[nid] = spec.ports(norm)
        except prims.CatalogueError as ex:
            probs.append(str(ex))
            continue
        nodes[nid] = Node(nid, ntype, norm, dict(extra))

    edges: list[Edge] = []
    raw_edges = need(data, "edges", list, "$", what="a list")
    for i, ed in enumerate(raw_edges or []):
        path = f"$.edges[{i}]"
        if not isinstance(ed, dict):
            probs.append(f"{path}: expected an object, got {ed!r}")
            continue
        for k in sorted(set(ed) - _EDGE):
            probs.append(f"{path}.{k}: unknown key (known: {', '.join(sorted(_EDGE))})")
        src = need(ed, "src", int, path, _is_int, "an integer")
        dst = need(ed, "dst", int, path, _is_int, "an integer")
        sp = need(ed, "src_port", str, path, what="a string")
        dp = need(ed, "dst_port", str, path, what="a string")
        et = need(ed, "type", str, path, lambda v: v in prims.STREAM_TYPES,
                  f"one of {', '.join(prims.STREAM_TYPES)}")
        extra = ed.get("extra", {})
        if not isinstance(extra, dict):
            probs.append(f"{path}.extra: expected an object, got {extra!r}")
            extra = {}
        if None in (src, dst, sp, dp, et):
            continue
        ok = True
        for end, port, side, key in ((src, sp, 1, "src"), (dst, dp, 0, "dst")):
            if end not in nodes:
                if raw_nodes is not None and not any(
                        isinstance(n, dict) and n.get("id") == end for n in raw_nodes):
                    probs.append(f"{path}.{key}: names missing node {end}")
                ok = False
                continue
            declared = ports[end][side]
            if port not in declared:
                kind = "output" if side else "input"
                probs.append(f"{path}.{key}_port: {nodes[end]} has no {kind} port "
                             f"{port!r} (has {', '.join(declared) or 'none'})")
                ok = False
        if ok:
            edges.append(Edge(src, sp, dst, dp, et, dict(extra)))

    if probs:
        raise GraphError(probs, source)
    g = Graph(name, formats)
    g.nodes = nodes
    g.edges = edges
    g.meta = meta
    return g
