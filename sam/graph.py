"""The SAM graph: nodes (primitive instances), typed edges, fan-out.

An output port may feed any number of edges (fan-out); an input port takes
exactly one edge. ``broadcast`` nodes from reference DOT files are kept as
nodes (they are legal, zero-cost fan-out points) and can be folded away with
:meth:`Graph.fold_broadcasts`.

``Graph.formats`` is the header of the reference's DOT files: tensor name ->
format string in the reference spelling (``ss01``, ``d0``, ``none``), output
first, then the inputs in expression order.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from . import primitives as prims
from .errors import read_text

__all__ = ["Node", "Edge", "Graph", "GraphError"]


class GraphError(ValueError):
    """One or more problems with a graph; ``problems`` lists them all."""

    def __init__(self, problems: list[str], source: str = ""):
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        if len(problems) == 1:
            msg = head + problems[0]
        else:
            msg = head + f"{len(problems)} problems:\n  " + "\n  ".join(problems)
        super().__init__(msg)


@dataclass
class Node:
    """One primitive instance: a unique integer ``id`` (the DOT node id), a
    catalogue ``type`` and its typed parameters ``attrs`` (normalized by
    :meth:`PrimitiveSpec.normalize` when added through :meth:`Graph.add_node`
    or a reader)."""
    id: int
    type: str
    attrs: dict = field(default_factory=dict)
    #: Cosmetic DOT attributes (label, color, shape, ...), kept for round trips.
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        bits = [f"{k}={v}" for k, v in self.attrs.items()
                if v is not None and v is not False
                and k in ("tensor", "index", "mode", "format")]
        return f"node {self.id} ({self.type}{' ' + ' '.join(bits) if bits else ''})"

    @property
    def spec(self) -> prims.PrimitiveSpec:
        """The catalogue entry (CatalogueError for an unknown type)."""
        return prims.get(self.type, f"node {self.id}")

    def ports(self) -> tuple[dict, dict]:
        """``(inputs, outputs)``: port name -> stream type, in catalogue order."""
        return self.spec.ports(self.attrs)


@dataclass
class Edge:
    """A stream from output port ``src_port`` of node ``src`` to input port
    ``dst_port`` of node ``dst``; ``type`` is ``crd``, ``ref``, ``val`` or
    ``repsig``. ``extra`` keeps cosmetic DOT attributes."""
    src: int
    src_port: str
    dst: int
    dst_port: str
    type: str
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.src}.{self.src_port} -> {self.dst}.{self.dst_port} ({self.type})"


class Graph:
    """A SAM graph: ``nodes`` (id -> :class:`Node`), ``edges`` (list of
    :class:`Edge`; an output port may feed several), the ``formats`` header
    and free-form ``meta``. Building does not validate; call
    :meth:`validate` (or :meth:`problems`) when the graph is complete."""

    def __init__(self, name: str = "sam", formats: dict | None = None):
        self.name = name
        self.formats: dict[str, str] = dict(formats or {})
        self.nodes: dict[int, Node] = {}
        self.edges: list[Edge] = []
        #: Free-form metadata (expression, schedule, compiler version...).
        self.meta: dict = {}

    # -- building ---------------------------------------------------------
    def add_node(self, type: str, id: int | None = None, extra: dict | None = None,
                 **attrs) -> int:
        """Add a node of catalogue ``type`` with parameters ``attrs``
        (checked and defaulted now); ``id`` defaults to one more than the
        largest. Returns the id."""
        spec = prims.get(type)
        if id is None:
            id = max(self.nodes, default=-1) + 1
        if id in self.nodes:
            raise GraphError([f"node id {id} is used twice"])
        self.nodes[id] = Node(id, type, spec.normalize(attrs, f"node {id} ({type})"),
                              dict(extra or {}))
        return id

    def connect(self, src: int, src_port: str, dst: int, dst_port: str,
                type: str | None = None, extra: dict | None = None) -> Edge:
        """Add an edge; ``type`` defaults to the one stream type both port
        declarations allow. Ports are checked by :meth:`validate`."""
        if type is None:
            type = self._infer_type(src, src_port, dst, dst_port)
        e = Edge(src, src_port, dst, dst_port, type, dict(extra or {}))
        self.edges.append(e)
        return e

    def _infer_type(self, src: int, src_port: str, dst: int, dst_port: str) -> str:
        """The one stream type both port declarations allow (a broadcast
        passes on the type of its input edge); GraphError if ambiguous."""
        for nid in (src, dst):
            if nid not in self.nodes:
                raise GraphError([f"edge {src}.{src_port} -> {dst}.{dst_port} names "
                                  f"missing node {nid}"])
        cands = set(prims.STREAM_TYPES)
        declared = (self.nodes[src].ports()[1].get(src_port),
                    self.nodes[dst].ports()[0].get(dst_port))
        for d in declared:
            if d and d != "any":
                cands &= set(d.split("|"))
        if len(cands) > 1 and self.nodes[src].type == "broadcast":
            feed = self.input_edge(src, "in")
            if feed is not None and feed.type in cands:
                cands = {feed.type}
        if len(cands) != 1:
            raise GraphError([f"cannot infer the stream type of edge {src}.{src_port} -> "
                              f"{dst}.{dst_port} (ports declare {declared[0]} and "
                              f"{declared[1]}); pass type="])
        return cands.pop()

    # -- queries ----------------------------------------------------------
    def in_edges(self, node: int) -> list[Edge]:
        return [e for e in self.edges if e.dst == node]

    def out_edges(self, node: int, port: str | None = None) -> list[Edge]:
        return [e for e in self.edges
                if e.src == node and (port is None or e.src_port == port)]

    def input_edge(self, node: int, port: str) -> Edge | None:
        for e in self.edges:
            if e.dst == node and e.dst_port == port:
                return e
        return None

    def nodes_of_type(self, type: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.type == type]

    def tensors(self) -> dict[str, str]:
        """Tensor name -> role ('input' or 'output'), from the nodes."""
        roles: dict[str, str] = {}
        for n in self.nodes.values():
            t = n.attrs.get("tensor")
            if not t:
                continue
            if n.type == "fiberwrite":
                roles[t] = "output"
            else:
                roles.setdefault(t, "input")
        return roles

    def output_tensor(self) -> str | None:
        outs = [t for t, r in self.tensors().items() if r == "output"]
        return outs[0] if outs else None

    def topological_order(self) -> list[int]:
        """Node ids in an order where every producer precedes its consumers.
        Raises GraphError naming the nodes on a cycle."""
        indeg = {n: 0 for n in self.nodes}
        succ: dict[int, list[int]] = {n: [] for n in self.nodes}
        for e in self.edges:
            if e.src in self.nodes and e.dst in self.nodes:
                indeg[e.dst] += 1
                succ[e.src].append(e.dst)
        ready = sorted(n for n, d in indeg.items() if d == 0)
        order = []
        while ready:
            n = ready.pop(0)
            order.append(n)
            for m in succ[n]:
                indeg[m] -= 1
                if indeg[m] == 0:
                    ready.append(m)
        if len(order) != len(self.nodes):
            # Unsorted nodes are on a cycle or downstream of one; drop those
            # that feed no other unsorted node until only cycles remain.
            left = {n for n, d in indeg.items() if d > 0}
            while True:
                tail = {n for n in left if not any(m in left for m in succ[n])}
                if not tail:
                    break
                left -= tail
            raise GraphError([f"cycle through nodes {', '.join(map(str, sorted(left)))}"])
        return order

    # -- checking ---------------------------------------------------------
    def problems(self) -> list[str]:
        """Every problem with the graph, each naming its node(s)."""
        from .formats import Format, FormatError   # sam.formats does not import graph
        out: list[str] = []
        for t, f in self.formats.items():
            try:
                Format.parse(f)
            except FormatError as ex:
                out.append(f"header: tensor {t}: {ex}")
        ports: dict[int, tuple[dict, dict]] = {}
        for n in self.nodes.values():
            try:
                spec = prims.get(n.type, str(n))
            except prims.CatalogueError as ex:
                out.append(str(ex))
                continue
            try:
                n.attrs = spec.normalize(n.attrs, str(n))
                ports[n.id] = spec.ports(n.attrs)
            except prims.CatalogueError as ex:
                out.append(str(ex))
        fed: dict[tuple[int, str], int] = {}
        for e in self.edges:
            for end, port, side in ((e.src, e.src_port, 1), (e.dst, e.dst_port, 0)):
                if end not in self.nodes:
                    out.append(f"edge {e} names missing node {end}")
                    continue
                if end not in ports:
                    continue
                declared = ports[end][side]
                if port not in declared:
                    kind = "output" if side else "input"
                    out.append(
                        f"{self.nodes[end]}: no {kind} port {port!r} (has "
                        f"{', '.join(declared) or 'none'}) for edge {e}")
                elif not prims.type_matches(declared[port], e.type):
                    out.append(
                        f"{self.nodes[end]}: port {port!r} takes {declared[port]} "
                        f"but edge {e} carries {e.type}")
            key = (e.dst, e.dst_port)
            fed[key] = fed.get(key, 0) + 1
        for (dst, port), k in fed.items():
            if k > 1 and dst in self.nodes:
                out.append(f"{self.nodes[dst]}: input port {port!r} is driven by {k} edges")
        for nid, (ins, _) in ports.items():
            for p in ins:
                if (nid, p) not in fed:
                    out.append(f"{self.nodes[nid]}: input port {p!r} is not connected")
        for nid, (_, outs) in ports.items():
            n = self.nodes[nid]
            if n.type == "broadcast":
                if not self.out_edges(nid):
                    out.append(f"{n}: broadcast has no consumers")
        try:
            self.topological_order()
        except GraphError as ex:
            out.extend(ex.problems)
        if not any(n.spec.sink for n in self.nodes.values() if n.type in prims.CATALOGUE):
            out.append("graph has no fiberwrite (output) node")
        return out

    def validate(self, source: str = "") -> "Graph":
        probs = self.problems()
        if probs:
            raise GraphError(probs, source or self.name)
        return self

    # -- transforms -------------------------------------------------------
    def copy(self) -> "Graph":
        return copy.deepcopy(self)

    def fold_broadcasts(self) -> "Graph":
        """A copy with every broadcast node replaced by direct fan-out edges."""
        g = self.copy()
        for b in [n.id for n in g.nodes.values() if n.type == "broadcast"]:
            src = g.input_edge(b, "in")
            outs = g.out_edges(b)
            g.edges = [e for e in g.edges if e.src != b and e.dst != b]
            if src is not None:
                for o in outs:
                    g.edges.append(Edge(src.src, src.src_port, o.dst, o.dst_port,
                                        src.type if src.type != "any" else o.type,
                                        dict(o.extra)))
            del g.nodes[b]
        return g

    # -- comparison and summary -----------------------------------------
    def differences(self, other: "Graph", meta: bool = True) -> list[str]:
        """How ``other`` differs from this graph, one line per difference
        (empty when they are equal). Compares formats, node ids, types and
        parameters (unset parameters and cosmetic extras are ignored), the
        multiset of edges (order does not matter) and, if ``meta``, the
        metadata. The name is not compared."""
        out: list[str] = []
        if self.formats != other.formats:
            out.append(f"formats {self.formats} != {other.formats}")
        for nid in sorted(set(self.nodes) | set(other.nodes)):
            a, b = self.nodes.get(nid), other.nodes.get(nid)
            if a is None or b is None:
                out.append(f"node {nid} only in {'second' if a is None else 'first'} graph")
                continue
            if a.type != b.type:
                out.append(f"node {nid}: type {a.type} != {b.type}")
                continue
            pa = {k: v for k, v in a.attrs.items() if v is not None}
            pb = {k: v for k, v in b.attrs.items() if v is not None}
            if pa != pb:
                out.append(f"node {nid}: attrs {pa} != {pb}")

        def key(e: Edge):
            return (e.src, e.src_port, e.dst, e.dst_port, e.type)

        ea = sorted(map(key, self.edges), key=str)
        eb = sorted(map(key, other.edges), key=str)
        if ea != eb:
            only_a = [k for k in ea if ea.count(k) > eb.count(k)]
            only_b = [k for k in eb if eb.count(k) > ea.count(k)]
            for k in dict.fromkeys(only_a):
                out.append("edge {}.{} -> {}.{} ({}) only in first graph".format(*k))
            for k in dict.fromkeys(only_b):
                out.append("edge {}.{} -> {}.{} ({}) only in second graph".format(*k))
        if meta and self.meta != other.meta:
            out.append(f"meta {self.meta} != {other.meta}")
        return out

    def summary(self) -> str:
        """A few lines for humans: size, tensors with formats, nodes by type."""
        roles = self.tensors()
        names = list(self.formats) + [t for t in roles if t not in self.formats]
        tens = ", ".join(
            f"{t} ({roles.get(t, 'unused')}{', ' + self.formats[t] if t in self.formats else ''})"
            for t in names)
        counts: dict[str, int] = {}
        for n in self.nodes.values():
            counts[n.type] = counts.get(n.type, 0) + 1
        types = ", ".join(f"{t} {k}" for t, k in sorted(counts.items(), key=lambda x: (-x[1], x[0])))
        return (f"{self.name}: {len(self.nodes)} nodes, {len(self.edges)} edges\n"
                f"tensors: {tens or 'none'}\n"
                f"nodes: {types or 'none'}")

    # -- files ------------------------------------------------------------
    @staticmethod
    def load(path) -> "Graph":
        """Read a graph file: ``.json`` through :mod:`sam.jsonio`, anything
        else (``.gv``, ``.dot``) through :mod:`sam.dot`; a file whose first
        character is ``{`` is read as JSON whatever its name."""
        from pathlib import Path
        from . import dot, jsonio
        p = Path(path)
        if p.suffix.lower() == ".json":
            return jsonio.load(p)
        if p.suffix.lower() not in (".gv", ".dot"):
            if read_text(p, 4096).lstrip().startswith("{"):
                return jsonio.load(p)
        return dot.load(p)

    def save(self, path) -> None:
        """Write by file suffix: ``.gv``/``.dot`` (reference DOT), ``.json``,
        or an image format graphviz renders (``.png``, ``.svg``, ``.pdf``)."""
        from pathlib import Path
        from . import dot, jsonio, render
        suffix = Path(path).suffix.lower()
        if suffix in (".gv", ".dot"):
            dot.dump(self, path)
        elif suffix == ".json":
            jsonio.dump(self, path)
        elif suffix.lstrip(".") in render.FORMATS:
            render.render(self, path)
        else:
            raise GraphError([f"cannot tell the file format from the suffix {suffix!r}; "
                              "use .gv, .dot, .json, or .png/.svg/.pdf"], str(path))

    def __repr__(self) -> str:
        return f"<Graph {self.name}: {len(self.nodes)} nodes, {len(self.edges)} edges>"
