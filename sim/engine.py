"""Running a SAM graph on the golden model.

:func:`run_graph` lowers the graph (:mod:`sim.lower`), checks and binds the
inputs (:mod:`sim.bind`), runs every node once in topological order on whole
token lists (functional mode), assembles the output tensor from the writers
and, in cycle mode, replays the firing logs through the timing model
(:mod:`sim.cycle`). Both modes compute the same streams and output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sam.formats import Format, Tensor, WrittenLevel, assemble_output
from sam.graph import Edge, Graph
from sam.tokens import D

from .bind import SimInputError, bind
from .lower import lower_graph
from .primitive import SimError, create

__all__ = ["run_graph", "SimResult", "MODES"]

MODES = ("functional", "cycle")


@dataclass
class SimResult:
    """What a run produced.

    ``output``: the output tensor; ``streams``: ``(node, port) -> token
    list`` for every output port, under the lowered graph's ids and the
    original graph's ids (folded broadcasts and split joiners alias to the
    stream they carry); ``tokens``: tokens summed over the lowered graph's
    edges; ``cycles``/``stats`` (cycle mode): total cycles and, per node
    name, ``busy``, ``stall_in`` and ``stall_out`` cycle counts;
    ``graph``: the lowered graph; ``logs``: node id -> firing log.
    """
    output: Tensor | None
    streams: dict
    tokens: int
    graph: Graph
    logs: dict
    dims: dict
    cycles: int | None = None
    stats: dict = field(default_factory=dict)
    mode: str = "functional"

    def stream(self, edge: Edge) -> list:
        """Tokens carried by ``edge`` (an edge of the original or lowered graph)."""
        return self.streams[(edge.src, edge.src_port)]


def node_name(node) -> str:
    """A readable unique key for statistics: ``type_tensor_index_mode_id``."""
    a = node.attrs
    bits = [node.type]
    for k in ("tensor", "index", "mode"):
        if a.get(k) not in (None, ""):
            bits.append(str(a[k]))
    return "_".join(bits) + f"_{node.id}"


def run_graph(graph: Graph, inputs: dict, *, mode: str = "functional",
              fifo_depth: int = 2, backend: str = "auto") -> SimResult:
    """Run ``graph`` on ``inputs`` (tensor name -> :class:`Tensor` or number).

    ``mode`` is ``"functional"`` or ``"cycle"``; in cycle mode every edge is
    a FIFO of ``fifo_depth`` tokens and ``backend`` picks the replay
    implementation (``"auto"``, ``"c"`` or ``"python"``, see
    :func:`sim.cycle.replay`). Raises :class:`SimInputError` for inputs that do
    not fit the graph, :class:`SimError` for malformed streams, and
    :class:`sim.cycle.DeadlockError` when the FIFOs deadlock.
    """
    if mode not in MODES:
        raise SimError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    if not isinstance(fifo_depth, int) or isinstance(fifo_depth, bool) or fifo_depth < 1:
        raise SimError(f"fifo_depth must be a positive integer, got {fifo_depth!r}")
    graph.validate()
    low, alias = lower_graph(graph)
    binding = bind(low, inputs)
    ctx = binding.ctx
    order = low.topological_order()
    in_edges: dict = {nid: [] for nid in low.nodes}
    for e in low.edges:
        in_edges[e.dst].append(e)
    prims = {nid: create(low.nodes[nid], ctx) for nid in order}
    streams: dict = {}
    logs: dict = {}
    for nid in order:
        ins = {e.dst_port: streams[(e.src, e.src_port)] for e in in_edges[nid]}
        log: list = []
        outs = prims[nid].run(ins, log)
        for port, s in outs.items():
            streams[(nid, port)] = s
        logs[nid] = log
    for key in alias:
        cur = key
        seen = set()
        while cur not in streams and cur in alias and cur not in seen:
            seen.add(cur)
            cur = alias[cur]
        if cur in streams:
            streams[key] = streams[cur]
    tokens = sum(len(streams[(e.src, e.src_port)]) for e in low.edges)
    output = _assemble(graph, low, prims, binding.dims, isinstance(ctx.zero, float))
    res = SimResult(output, streams, tokens, low, logs, dict(binding.dims), mode=mode)
    if mode == "cycle":
        from .cycle import replay_graph
        cyc = replay_graph(low, logs, streams, fifo_depth=fifo_depth, backend=backend)
        res.cycles = cyc.cycles
        res.stats = {node_name(low.nodes[nid]): s for nid, s in cyc.per_node.items()}
    return res


def _assemble(graph: Graph, low: Graph, prims: dict, dims: dict,
              float_vals: bool) -> Tensor | None:
    writers = [prims[n.id] for n in low.nodes.values() if n.type == "fiberwrite"]
    if not writers:
        return None
    names = sorted({w.attrs["tensor"] for w in writers})
    if len(names) > 1:
        raise SimError(f"writers name several output tensors ({', '.join(names)}); "
                       f"the golden model assembles one output")
    name = names[0]
    vals_w = [w for w in writers if w.is_vals]
    levels_w = [w for w in writers if not w.is_vals]
    if len(vals_w) != 1:
        raise SimError(f"output {name} needs exactly one values writer "
                       f"(fiberwrite mode=vals), found {len(vals_w)}")
    # storage level of each writer: the depth of its stream (final stop level)
    by_depth = {}
    for w in levels_w:
        d = w.depth
        if d is None:
            raise SimError(f"{w.node}: its stream has no stop token, so its level is unknown")
        if d in by_depth:
            raise SimError(f"{w.node} and {by_depth[d].node} both write storage level {d} "
                           f"of {name}")
        by_depth[d] = w
    if sorted(by_depth) != list(range(len(levels_w))):
        raise SimError(f"output {name}: level writers cover storage levels "
                       f"{sorted(by_depth)}, expected 0..{len(levels_w) - 1}")
    fmt = None
    if name in graph.formats:
        try:
            fmt = Format.parse(graph.formats[name])
        except ValueError:
            fmt = None
    if fmt is None or fmt.order != len(levels_w):
        letters = []
        modes = []
        for d in range(len(levels_w)):
            w = by_depth[d]
            from sam.formats import LEVEL_FORMATS
            letters.append(LEVEL_FORMATS[w.attrs["format"]].letter)
            modes.append(w.mode)
        fmt = Format(tuple(letters), tuple(modes))
    shape = [0] * fmt.order
    written = []
    for d in range(fmt.order):
        w = by_depth[d]
        idx = w.attrs.get("index")
        if idx not in dims:
            raise SimInputError(f"{w.node}: the size of index {idx!r} is unknown (no input "
                                f"tensor is scanned along it)")
        if fmt.mode_order[d] != w.mode:
            raise SimError(f"{w.node} writes mode {w.mode} at storage level {d}, but the "
                           f"output format {fmt} stores mode {fmt.mode_order[d]} there")
        shape[w.mode] = dims[idx]
        written.append(WrittenLevel(np.asarray(w.crd, dtype=np.int64),
                                    np.asarray(w.seg, dtype=np.int64), dims[idx]))
    vals = vals_w[0].vals
    is_float = float_vals or any(type(v) is float for v in vals)
    arr = np.asarray(vals, dtype=np.float64 if is_float else np.int64)
    return assemble_output(tuple(shape), fmt, written, arr, name)


def check_stream_ends(streams: dict) -> None:
    """Every stream ends with its only ``D`` (debug helper for tests)."""
    for key, s in streams.items():
        if not s or s[-1] is not D or s.count(D) != 1:
            raise SimError(f"stream {key} is not closed by exactly one D")
