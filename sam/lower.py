"""Graph rewrites applied before running or building a graph (golden model
and RTL generator alike; moved here from ``sim/lower.py``, which re-exports it).

* ``broadcast`` nodes are folded into direct fan-out edges (zero cost).
* ``crdhold vals=true`` (the reference's sparse-to-dense graph
  ``vec_sd_compression``) is folded into wires: its inner stream is the
  values of the outer coordinates, one value per coordinate, so holding
  each coordinate "once per value" is the identity on both streams.
* n-ary joiners (``intersect``/``union`` with more than two operands) become
  trees of binary ones, as the reference's hand-written
  ``test_mat_elemadd3`` does: ``J = join(T0, T1)``; then every further
  operand ``Tt`` is joined with the running coordinate stream once per
  operand already joined, carrying that operand's reference, so every
  binary node sees the same coordinates and all references stay aligned.
  For two operands nothing changes, so the streams are the binary model's.

:func:`lower_graph` returns the new graph and ``alias``: for every output
port ``(node, port)`` of the original graph that no longer exists, the
``(node, port)`` of the lowered graph carrying the same stream.
"""

from __future__ import annotations

from .graph import Edge, Graph

__all__ = ["lower_graph"]

_JOINERS = ("intersect", "union")


def _resolve_broadcasts(graph: Graph) -> dict:
    alias = {}
    src_of = {}
    for e in graph.edges:
        if graph.nodes[e.dst].type == "broadcast" and e.dst_port == "in":
            src_of[e.dst] = (e.src, e.src_port)
    for b in src_of:
        seen = set()
        cur = src_of[b]
        while graph.nodes[cur[0]].type == "broadcast" and cur[0] in src_of:
            if cur[0] in seen:
                break
            seen.add(cur[0])
            cur = src_of[cur[0]]
        alias[(b, "out")] = cur
    return alias


def lower_graph(graph: Graph) -> tuple[Graph, dict]:
    """The graph with broadcasts folded and joiners binary; see module doc."""
    alias = _resolve_broadcasts(graph)
    g = graph.fold_broadcasts()
    for nid in sorted(g.nodes):
        node = g.nodes[nid]
        if node.type == "crdhold" and node.attrs.get("vals"):
            _bypass(g, nid, alias)
    for nid in sorted(g.nodes):
        node = g.nodes[nid]
        ops = list(node.attrs.get("operands") or [])
        if node.type not in _JOINERS or len(ops) <= 2:
            continue
        _split_joiner(g, nid, ops, alias)
    return g, alias


def _split_joiner(g: Graph, nid: int, ops: list, alias: dict) -> None:
    node = g.nodes[nid]
    kind = node.type
    index = node.attrs.get("index")
    feed = {e.dst_port: (e.src, e.src_port, e.type) for e in g.edges if e.dst == nid}
    outs = [e for e in g.edges if e.src == nid]
    g.edges = [e for e in g.edges if e.src != nid and e.dst != nid]
    del g.nodes[nid]

    def new_join(a: str, b: str, src_a, src_b) -> int:
        j = g.add_node(kind, index=index, operands=[a, b],
                       extra={"lowered_from": nid})
        for name, (crd, ref) in ((a, src_a), (b, src_b)):
            g.edges.append(Edge(crd[0], crd[1], j, f"crd_{name}", "crd"))
            g.edges.append(Edge(ref[0], ref[1], j, f"ref_{name}", "ref"))
        return j

    def operand(t: str):
        c, r = feed[f"crd_{t}"], feed[f"ref_{t}"]
        return (c[0], c[1]), (r[0], r[1])

    first = new_join(ops[0], ops[1], operand(ops[0]), operand(ops[1]))
    crd_src = (first, "crd")
    ref_src = {ops[0]: (first, f"ref_{ops[0]}"), ops[1]: (first, f"ref_{ops[1]}")}
    for t in ops[2:]:
        new_refs = {}
        head = None
        for p in list(ref_src):
            j = new_join(t, p, operand(t), (crd_src, ref_src[p]))
            new_refs[p] = (j, f"ref_{p}")
            if head is None:
                head = j
        new_refs[t] = (head, f"ref_{t}")
        crd_src = (head, "crd")
        ref_src = new_refs
    mapping = {"crd": crd_src}
    for t in ops:
        mapping[f"ref_{t}"] = ref_src[t]
    for port, src in mapping.items():
        alias[(nid, port)] = src
    for e in outs:
        s = mapping[e.src_port]
        g.edges.append(Edge(s[0], s[1], e.dst, e.dst_port, e.type, dict(e.extra)))


def _bypass(g: Graph, nid: int, alias: dict) -> None:
    """Remove node ``nid`` whose every output port ``p`` carries its input
    ``p`` unchanged: consumers read the producers directly."""
    feed = {e.dst_port: (e.src, e.src_port) for e in g.edges if e.dst == nid}
    outs = [e for e in g.edges if e.src == nid]
    g.edges = [e for e in g.edges if e.src != nid and e.dst != nid]
    del g.nodes[nid]
    for port, src in feed.items():
        alias[(nid, port)] = src
    for key, val in alias.items():
        if val[0] == nid:
            alias[key] = feed[val[1]]
    for e in outs:
        s = feed[e.src_port]
        g.edges.append(Edge(s[0], s[1], e.dst, e.dst_port, e.type, dict(e.extra)))
