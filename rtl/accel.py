"""The accelerator generator: one Amaranth top for a whole SAM graph.

:class:`Accelerator` lowers the graph (:func:`sam.lower.lower_graph`:
broadcasts folded into fan-out, joiners binary), instantiates one RTL
primitive per node (:func:`rtl.primitives.build`), one
:class:`~rtl.primitives.fifo.Fifo` per edge (not fall-through,
:data:`FIFO_FALL_THROUGH`: one cycle per hop, no timing path through a FIFO; deeper on the short side of
paths that fork and meet again, by the difference of the paths' latencies in
cycles: :func:`edge_depths`, :func:`primitive_latency`; at least
:data:`JOIN_BURST` after a joiner whose matches are expanded into fibers
further down, :func:`outer_joiners`; fan-out: one FIFO per consumer
with a joint ``ready``, so a producer moves a token only when every consumer
FIFO has room, as in the golden model's cycle mode), one on-chip memory per
input level array, input value array and output array, and a small host bus.

Host interface (all synchronous to ``clk``; ``rst`` is the global reset)

=========  =====  ==========================================================
port       dir    meaning
=========  =====  ==========================================================
start      in     pulse: reset the datapath and run it once
busy       out    high from the cycle after ``start`` until done/deadlock
done       out    every writer consumed ``D`` (stays high until ``start``)
deadlock   out    no token moved for ``watchdog`` cycles while busy
error      out    a primitive flagged malformed input, an out-of-range reference or a memory overflow
cycles     out    cycles spent busy in the last run (32 bits)
wr_en      in     write ``wr_data`` at ``wr_addr`` of ``wr_sel``
wr_sel     in     0: configuration registers; k >= 1: input array k
wr_addr    in     word address
wr_data    in     word (low bits used)
rd_sel     in     0: status space; k >= 1: output array k
rd_addr    in     word address
rd_data    out    word at ``rd_sel``/``rd_addr`` of three cycles before (``HOST_READ_LATENCY``)
=========  =====  ==========================================================

The status space (``rd_sel = 0``) holds, by address: 0 flags (bit 0 busy,
1 done, 2 deadlock, 3 error), 1 cycles, then the length of each output array
(in :attr:`Accelerator.outputs` order), then per lowered edge bit 0
"FIFO not empty" and bit 1 "FIFO full" (for the deadlock report), then,
only with ``AccelParams(counters=True)``, three 32-bit counters per lowered
edge (address ``counter_base + 3*edge + k``; k = 0 tokens transferred into
the edge's FIFO, 1 cycles the producer was stalled by that FIFO being full,
2 cycles the consumer was ready but the FIFO empty), counted while ``busy``
and cleared by ``start``. The
configuration registers (``wr_sel = 0``) are the runtime dimensions of dense
input levels (:attr:`Accelerator.registers`). :meth:`Accelerator.manifest`
describes all of it (the host driver reads nothing else).

The datapath (primitives and FIFOs) is held in reset until the first
``start`` and reset again in the cycle after every ``start`` (the reset is a
register: a high-fanout net driven by a flip-flop), so one bitstream runs
many times; memories and configuration registers are not reset by ``start``.
``cycles`` counts that reset cycle too. The watchdog sees "some token moved"
two cycles late (registered handshakes, then their registered OR).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from amaranth.hdl import Elaboratable, Module, Mux, ResetInserter, Shape, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from sam.errors import UserError
from sam.graph import Graph
from sam.lower import lower_graph

from . import primitives as rtl_prims
from .encoding import ENCODING_VERSION, check_width
from .ram import DP16KD_MODES, RAM_TARGETS, Ram, read_latency
from .stream import check_int

__all__ = ["PARAM_RANGES", "AccelParams", "Accelerator", "UnsupportedGraphError", "ArraySpec",
           "RegisterSpec", "unsupported_nodes", "STATUS_FLAGS", "COUNTERS", "node_name",
           "HOST_READ_LATENCY", "edge_depths", "primitive_latency", "outer_joiners",
           "JOIN_BURST"]

#: Cycles from ``rd_sel``/``rd_addr`` to ``rd_data`` (the output arrays'
#: read ports use the block RAM's output register, :mod:`rtl.ram`, behind a
#: registered address; the status word is a registered two-level mux behind
#: registered ``rd_sel``/``rd_addr``).
HOST_READ_LATENCY = 3

# status words per first-level group of the status read mux (low address bits)
_STATUS_GROUP_BITS = 3

#: bit positions in status word 0
STATUS_FLAGS = {"busy": 0, "done": 1, "deadlock": 2, "error": 3}

#: The per-edge counters (``AccelParams.counters``), in address order.
COUNTERS = ("transfers", "stalled", "starved")

#: Accepted range of each generator parameter (``mem_depth``: powers of two,
#: at most ``2**(crd_width-1)``).
PARAM_RANGES = {"fifo_depth": (2, 1 << 16), "crd_width": (2, 32), "val_width": (2, 64),
                "mem_depth": (2, 1 << 32), "spacc_dim": (1, 1 << 16),
                "spacc_outer_dim": (1, 1 << 16),
                "watchdog": (16, 1 << 30)}
_STATUS_FIXED = 2          # flags, cycles; output lengths follow


class UnsupportedGraphError(UserError):
    """The graph has nodes (or parameters) the RTL library cannot build."""

    def __init__(self, problems: list[str], name: str = ""):
        self.problems = list(problems)
        head = f"{name}: " if name else ""
        super().__init__(
            f"{head}{len(problems)} node{'s' if len(problems) != 1 else ''} without RTL "
            f"(the golden model runs them; `sam scope` lists what has RTL):\n  "
            + "\n  ".join(problems))


@dataclass(frozen=True)
class AccelParams:
    """Generator parameters.

    ``fifo_depth`` entries per edge FIFO (>= 2; edges on the short side of
    paths that fork and meet again get more, :func:`edge_depths`); ``crd_width``/``val_width``
    data bits of crd/ref and value streams; ``mem_depth`` default entries of
    every array memory and ``mem_depths`` per-array overrides
    (``{"B1_crd": 4096}``), powers of two up to ``2**(crd_width-1)`` (the two
    arrays of one level share the larger depth); ``spacc_dim`` the largest
    inner dimension a sparse accumulator handles (its scratch memory);
    ``spacc_outer_dim`` the largest outer dimension of an order-2 one;
    ``watchdog`` cycles without any token moving before ``deadlock``;
    ``ram_target`` the array memories' implementation (:class:`rtl.ram.Ram`:
    ``"generic"`` for simulation and any synthesis, ``"ecp5"`` DP16KD block
    RAMs with output registers, at most 16384 words; ``sam synth --target
    ecp5`` sets it); ``counters`` adds the per-edge transfer/stall/starve
    counters to the status space (off by default: no logic at all).
    """
    fifo_depth: int = 2
    crd_width: int = 16
    val_width: int = 32
    mem_depth: int = 1024
    mem_depths: tuple = ()
    spacc_dim: int = 256
    spacc_outer_dim: int = 64
    watchdog: int = 4096
    ram_target: str = "generic"
    counters: bool = False

    def __post_init__(self):
        if not isinstance(self.counters, bool):
            raise UserError(f"counters must be True or False, not {self.counters!r}")
        R = PARAM_RANGES
        if self.ram_target not in RAM_TARGETS:
            raise UserError(f"ram_target must be one of {', '.join(RAM_TARGETS)}, "
                            f"not {self.ram_target!r}")
        check_int("fifo_depth", self.fifo_depth, *R["fifo_depth"])
        check_width("crd_width", self.crd_width, minimum=R["crd_width"][0],
                    maximum=R["crd_width"][1])
        check_width("val_width", self.val_width, minimum=R["val_width"][0],
                    maximum=R["val_width"][1])
        if isinstance(self.mem_depths, dict):
            object.__setattr__(self, "mem_depths", tuple(sorted(self.mem_depths.items())))
        for name, d in (("mem_depth", self.mem_depth),) + tuple(
                (f"mem_depth {k}", v) for k, v in self.mem_depths):
            self._check_depth(name, d)
        check_int("spacc_dim", self.spacc_dim, *R["spacc_dim"])
        check_int("spacc_outer_dim", self.spacc_outer_dim, *R["spacc_outer_dim"])
        check_int("watchdog", self.watchdog, *R["watchdog"])

    def _check_depth(self, name, d):
        # lengths and seg entries (up to the depth) must fit in crd_width bits
        top = 1 << (self.crd_width - 1)
        check_int(name, d, 2, top)
        if d & (d - 1):
            raise UserError(f"{name} must be a power of two (up to 2**(crd_width-1) = "
                            f"{top}), not {d}")
        if self.ram_target == "ecp5" and d > DP16KD_MODES[-1][0]:
            raise UserError(f"{name} {d} is above {DP16KD_MODES[-1][0]}, the deepest "
                            f"ram_target=ecp5 memory (one DP16KD deep)")

    def depth_of(self, array: str) -> int:
        return dict(self.mem_depths).get(array, self.mem_depth)

    def to_dict(self) -> dict:
        return {"fifo_depth": self.fifo_depth, "crd_width": self.crd_width,
                "val_width": self.val_width, "mem_depth": self.mem_depth,
                "mem_depths": dict(self.mem_depths), "spacc_dim": self.spacc_dim,
                "spacc_outer_dim": self.spacc_outer_dim,
                "watchdog": self.watchdog,
                **({"ram_target": self.ram_target} if self.ram_target != "generic" else {}),
                **({"counters": True} if self.counters else {})}


@dataclass
class ArraySpec:
    """One memory: ``sel`` on the host bus, ``name`` (``B1_crd``: tensor B,
    mode 1, array crd; ``B_vals``), ``role`` input/output."""
    sel: int
    name: str
    tensor: str
    mode: int | None
    kind: str            # seg | crd | vals
    role: str            # input | output
    width: int
    signed: bool
    depth: int
    format: str | None = None    # level format of the level it belongs to
    length_addr: int | None = None   # status address of its length (outputs)

    def to_dict(self) -> dict:
        d = {"sel": self.sel, "name": self.name, "tensor": self.tensor, "mode": self.mode,
             "kind": self.kind, "role": self.role, "width": self.width,
             "signed": self.signed, "depth": self.depth, "format": self.format}
        if self.length_addr is not None:
            d["length_addr"] = self.length_addr
        return d


@dataclass
class RegisterSpec:
    """A configuration register (``wr_sel = 0``, address ``addr``)."""
    addr: int
    name: str
    tensor: str
    mode: int
    width: int

    def to_dict(self) -> dict:
        return {"addr": self.addr, "name": self.name, "tensor": self.tensor,
                "mode": self.mode, "width": self.width}


def node_name(node) -> str:
    """Stable instance name of a node: ``n<id>_<type>``."""
    return f"n{node.id}_{node.type}"


# --------------------------------------------------------------------------
# Catalogue node -> RTL primitive

@dataclass
class _Plan:
    """How one lowered node becomes a component."""
    rtl: str
    params: dict
    ins: dict                 # catalogue input port -> component member
    outs: dict                # catalogue output port -> component member
    mems: dict = field(default_factory=dict)     # member -> array name
    config: dict = field(default_factory=dict)   # member -> register name


def _level_array(tensor, mode, kind):
    return f"{tensor}{mode}_{kind}"


def _plan(node, graph: Graph, p: AccelParams, aw) -> _Plan:
    """``aw(level_key) -> addr_width``; raises ValueError for no RTL."""
    a, t = node.attrs, node.type
    cw, vw = p.crd_width, p.val_width
    if t == "fiberlookup":
        tensor, mode, fmt = a["tensor"], a["mode"], a["format"]
        ins = {} if a.get("root") else {"ref": "ref"}
        plan = _Plan("fiberlookup", {"format": fmt, "root": bool(a.get("root")),
                                     "crd_width": cw}, ins, {"crd": "crd", "ref": "ref_out"})
        if fmt == "compressed":
            w = aw((tensor, mode))
            plan.params["addr_width"] = w
            plan.mems = {"seg_lo": _level_array(tensor, mode, "seg"),
                         "seg_hi": _level_array(tensor, mode, "seg"),
                         "crd_rd": _level_array(tensor, mode, "crd")}
        elif fmt == "dense":
            plan.config = {"dim": f"{tensor}{mode}_dim"}
        return plan
    if t == "fiberwrite":
        tensor = a["tensor"]
        if a.get("mode") == "vals":
            return _Plan("fiberwrite", {"vals": True, "val_width": vw,
                                        "addr_width": aw((tensor, "vals"))},
                         {"val": "val"}, {}, {"vals_wr": f"{tensor}_vals"})
        mode = int(a["mode"])
        return _Plan("fiberwrite", {"vals": False, "format": a.get("format") or "compressed",
                                    "crd_width": cw, "addr_width": aw((tensor, mode))},
                     {"crd": "crd"}, {},
                     {"crd_wr": _level_array(tensor, mode, "crd"),
                      "seg_wr": _level_array(tensor, mode, "seg")})
    if t == "arrayvals":
        tensor = a["tensor"]
        return _Plan("arrayvals", {"crd_width": cw, "val_width": vw,
                                   "addr_width": aw((tensor, "vals"))},
                     {"ref": "ref"}, {"val": "val"}, {"vals_rd": f"{tensor}_vals"})
    if t == "repsiggen":
        return _Plan("repsiggen", {"crd_width": cw}, {"crd": "crd"}, {"repsig": "repsig"})
    if t == "repeat":
        ins = {"repsig": "repsig"} if a.get("root") else {"ref": "ref", "repsig": "repsig"}
        return _Plan("repeat", {"crd_width": cw, "root": bool(a.get("root"))}, ins,
                     {"ref": "ref_out"})
    if t in ("intersect", "union"):
        ops = list(a.get("operands") or [])
        if len(ops) != 2:
            raise ValueError(f"{t} with {len(ops)} operands (the generator lowers "
                             f"joiners to binary ones first)")
        return _Plan(t, {"crd_width": cw},
                     {f"crd_{ops[0]}": "crd0", f"ref_{ops[0]}": "ref0",
                      f"crd_{ops[1]}": "crd1", f"ref_{ops[1]}": "ref1"},
                     {"crd": "crd", f"ref_{ops[0]}": "ref0_out", f"ref_{ops[1]}": "ref1_out"})
    if t in ("mul", "max", "min"):
        return _Plan(t, {"val_width": vw}, {"val0": "val0", "val1": "val1"}, {"val": "val"})
    if t == "add":
        return _Plan("add", {"val_width": vw, "sub": bool(a.get("sub"))},
                     {"val0": "val0", "val1": "val1"}, {"val": "val"})
    if t == "reduce":
        return _Plan("reduce", {"val_width": vw}, {"val": "val"}, {"val": "val_out"})
    if t == "spaccumulator":
        outer = bool(a.get("in1"))
        ins = {"crd_inner": "crd_inner", "val": "val"}
        outs = {"crd_inner": "crd_inner_out", "val": "val_out"}
        if outer:
            ins["crd_outer"] = "crd_outer"
            outs["crd_outer"] = "crd_outer_out"
        params = {"dim": p.spacc_dim, "order": a.get("order"), "outer": outer,
                  "crd_width": cw, "val_width": vw}
        if p.ram_target != "generic":      # its scratch RAM follows the arrays' RAMs
            params["ram_target"] = p.ram_target
        if a.get("order") == 2:
            params["outer_dim"] = p.spacc_outer_dim
        return _Plan("spaccumulator", params, ins, outs)
    if t == "crddrop":
        vals = bool(a.get("vals"))
        inner_edge = graph.input_edge(node.id, "inner")
        inner_val = inner_edge is not None and inner_edge.type == "val"
        if vals:
            params = {"crd_width": cw, "vals": True, "val_width": vw}
        else:
            # the coordinate variant passes the inner stream through; a value
            # stream one level below gets a width that holds both
            params = {"crd_width": max(cw, vw) if inner_val else cw, "vals": False}
        deep = {f"deep_{x}": f"deep{d}" for d, x in enumerate(a.get("deep") or (), 1)}
        if deep:
            params["deep"] = len(deep)
        return _Plan("crddrop", params, {"outer": "outer", "inner": "inner", **deep},
                     {"outer": "outer_out", "inner": "inner_out",
                      **{k: v + "_out" for k, v in deep.items()}})
    if t == "crdhold":
        return _Plan("crdhold", {"crd_width": cw}, {"outer": "outer", "inner": "inner"},
                     {"outer": "outer_out", "inner": "inner_out"})
    raise ValueError(f"no RTL for node type {t!r}")


#: Edge FIFOs are not fall-through: their ``o.valid``/``o.payload`` do not
#: follow the producer combinationally and their write enable does not
#: depend on the consumer's ``ready`` (no timing path runs through a FIFO),
#: at the cost of one cycle per hop.
FIFO_FALL_THROUGH = False
#: Latency of an edge FIFO (a fall-through FIFO adds none when empty).
FIFO_LATENCY = 0 if FIFO_FALL_THROUGH else 1
#: Most entries balancing adds to one edge FIFO.
MAX_BALANCE = 30
#: Least depth of every output edge of a joiner whose outputs are expanded
#: into fibers further down (:func:`outer_joiners`). Such a joiner emits its
#: matches in bursts (one per cycle where the operands overlap) while the
#: expansion below takes one of them per fiber; the edges hold a burst so
#: the joiner keeps stepping (sddmm on lp_scsd1: 1.106 -> 1.003 times the
#: ideal bound; 16 entries: 1.022).
JOIN_BURST = 32


def primitive_latency(rtl_name: str, comp) -> int:
    """Cycles from an input token of ``comp`` (an RTL primitive named
    ``rtl_name``) to its first output token: the component's ``latency``
    attribute, which every RTL primitive sets from its own pipeline (the
    generator balances fork/join paths with it, :func:`edge_depths`)."""
    lat = getattr(comp, "latency", None)
    if not isinstance(lat, int) or lat < 0:
        raise TypeError(f"RTL primitive {rtl_name!r} ({type(comp).__name__}) has no integer "
                        f"`latency` attribute; set it in its constructor")
    return lat


def edge_depths(graph: Graph, edges: list, fifo_depth: int,
                latency: dict | None = None) -> list[int]:
    """FIFO depth of each of ``edges`` (of the lowered ``graph``): ``fifo_depth``
    plus room for the cycles by which the edge's path is shorter than the
    longest path into its consumer.

    Where paths fork (fan-out, or a node with several outputs) and meet again
    (a node with several inputs), the short path must buffer the tokens that
    the long path still has in flight, or the producer stalls on the full
    short-path FIFO (joint ready) and the whole pipeline runs at the rate its
    latency allows. ``latency`` maps node id -> cycles (default 2 for every
    node); a token reaches node ``v`` at ``t(v) = max(t(u) + latency[u] +
    FIFO_LATENCY)`` over its producers ``u`` (sources at 0), and an edge
    ``u -> v`` gets ``t(v) - t(u) - latency[u] - FIFO_LATENCY`` extra entries
    (one per cycle of slack, one token per cycle), at most ``MAX_BALANCE``.
    Every output edge of a joiner in :func:`outer_joiners` gets at least
    :data:`JOIN_BURST` entries.
    """
    lat = latency or {}
    arrive: dict = {}
    ins: dict = {}
    for e in graph.edges:
        ins.setdefault(e.dst, []).append(e.src)

    def out_time(u):
        return arrive[u] + lat.get(u, 2) + FIFO_LATENCY

    for nid in graph.topological_order():
        arrive[nid] = max((out_time(u) for u in ins.get(nid, ())), default=0)
    bursty = outer_joiners(graph)
    return [max(fifo_depth + min(MAX_BALANCE, arrive[e.dst] - out_time(e.src)),
                JOIN_BURST if e.src in bursty else 0) for e in edges]


def outer_joiners(graph: Graph) -> set:
    """Ids of the joiners (intersect, union) of the lowered ``graph`` whose
    outputs lead to a level expansion: an edge into a non-root scanner or
    into a repeat's ``ref`` (one token in, a fiber out) is reachable from
    them."""
    outs: dict = {}
    for e in graph.edges:
        outs.setdefault(e.src, []).append(e)

    def expands(e):
        n = graph.nodes[e.dst]
        return ((n.type == "fiberlookup" and not n.attrs.get("root"))
                or (n.type == "repeat" and e.dst_port == "ref"))

    found = set()
    for nid, n in graph.nodes.items():
        if n.type not in ("intersect", "union"):
            continue
        seen, frontier = set(), list(outs.get(nid, ()))
        while frontier:
            e = frontier.pop()
            if expands(e):
                found.add(nid)
                break
            if e.dst not in seen:
                seen.add(e.dst)
                frontier.extend(outs.get(e.dst, ()))
    return found


def _why_not(node, graph, p) -> str | None:
    """None if ``node`` can be built, else the reason."""
    try:
        rtl_prims.get(node.type)
    except rtl_prims.RtlPrimitiveError:
        return f"node type {node.type!r} has no RTL primitive"
    try:
        plan = _plan(node, graph, p, lambda key: ceil_log2(p.mem_depth))
        comp = rtl_prims.build(plan.rtl, **plan.params)
        comp._MustUse__silence = True     # built only to check its parameters
    except (ValueError, KeyError, TypeError) as ex:
        return str(ex)
    return None


def unsupported_nodes(graph: Graph, params: AccelParams | None = None) -> list[str]:
    """One line per node of ``graph`` (after lowering) the RTL cannot build."""
    p = params or AccelParams()
    low, _ = lower_graph(graph)
    out = []
    for nid in sorted(low.nodes):
        n = low.nodes[nid]
        why = _why_not(n, low, p)
        if why:
            out.append(f"{n}: {why}")
    tensors = sorted({n.attrs["tensor"] for n in low.nodes.values() if n.type == "fiberwrite"})
    if len(tensors) > 1:
        out.append(f"writers name several output tensors ({', '.join(tensors)}); "
                   f"the accelerator writes one")
    return out


# --------------------------------------------------------------------------

class _Datapath(Elaboratable):
    """Primitives, FIFOs and their connections (reset by ``start``)."""

    def __init__(self, comps, fifos, stmts_fn):
        self.comps, self.fifos, self.stmts_fn = comps, fifos, stmts_fn

    def elaborate(self, platform):
        m = Module()
        for name, c in self.comps:
            m.submodules[name] = c
        for name, f in self.fifos:
            m.submodules[name] = f
        self.stmts_fn(m)
        return m


class Accelerator(wiring.Component):
    """Fixed-function accelerator for ``graph``; see the module docstring.

    Raises :class:`UnsupportedGraphError` listing every node without RTL
    (checked before anything is built) and ``GraphError`` for an invalid
    graph. Attributes: ``graph`` (as given), ``lowered``, ``params``,
    ``arrays`` (:class:`ArraySpec`, inputs then outputs), ``registers``,
    ``edges`` (the lowered graph's edges, in status-space order).
    """

    def __init__(self, graph: Graph, params: AccelParams | None = None, **kw):
        p = params if params is not None else AccelParams(**kw)
        if params is not None and kw:
            raise TypeError("give either params= or keyword parameters, not both")
        self.params = p
        self.graph = graph
        graph.validate()
        bad = unsupported_nodes(graph, p)
        if bad:
            raise UnsupportedGraphError(bad, graph.name)
        low, _ = lower_graph(graph)
        self.lowered = low
        self.edges = list(low.edges)
        self._layout()
        self.latencies = self._latencies()
        self.edge_depths = edge_depths(low, self.edges, p.fifo_depth, self.latencies)
        self.sel_width = max(1, ceil_log2(len(self.arrays) + 1))
        naddr = max([a.depth for a in self.arrays] +
                    [self._status_size, len(self.registers), 2])
        self.addr_width = max(1, ceil_log2(naddr))
        self.data_width = max(32, p.crd_width, p.val_width)
        super().__init__({
            "start": In(1), "busy": Out(1), "done": Out(1), "deadlock": Out(1),
            "error": Out(1), "cycles": Out(32),
            "wr_en": In(1), "wr_sel": In(self.sel_width), "wr_addr": In(self.addr_width),
            "wr_data": In(self.data_width),
            "rd_sel": In(self.sel_width), "rd_addr": In(self.addr_width),
            "rd_data": Out(self.data_width),
        })

    # -- layout: arrays, registers, status addresses -------------------------
    def _layout(self):
        p, low = self.params, self.lowered
        order = sorted(low.nodes)
        level_depth: dict = {}        # level key -> depth (both arrays of a level)
        arrays_in: dict = {}          # name -> (tensor, mode, kind, fmt)
        arrays_out: dict = {}
        regs: dict = {}

        def level_key_depth(key, names):
            d = max(p.depth_of(n) for n in names)
            level_depth[key] = max(level_depth.get(key, 0), d)

        for nid in order:
            n = low.nodes[nid]
            a = n.attrs
            if n.type == "fiberlookup":
                t, mode = a["tensor"], a["mode"]
                if a["format"] == "compressed":
                    names = [_level_array(t, mode, "seg"), _level_array(t, mode, "crd")]
                    level_key_depth((t, mode), names)
                    for k, nm in zip(("seg", "crd"), names):
                        arrays_in.setdefault(nm, (t, mode, k, "compressed"))
                else:
                    regs.setdefault(f"{t}{mode}_dim", (t, mode))
            elif n.type == "arrayvals":
                t = a["tensor"]
                level_key_depth((t, "vals"), [f"{t}_vals"])
                arrays_in.setdefault(f"{t}_vals", (t, None, "vals", None))
            elif n.type == "fiberwrite":
                t = a["tensor"]
                if a.get("mode") == "vals":
                    level_key_depth((t, "vals"), [f"{t}_vals"])
                    arrays_out.setdefault(f"{t}_vals", (t, None, "vals", None))
                else:
                    mode = int(a["mode"])
                    names = [_level_array(t, mode, "seg"), _level_array(t, mode, "crd")]
                    level_key_depth((t, mode), names)
                    for k, nm in zip(("seg", "crd"), names):
                        arrays_out.setdefault(nm, (t, mode, k, a.get("format") or "compressed"))
        self._level_depth = level_depth
        self.arrays: list[ArraySpec] = []
        sel = 1
        for role, table in (("input", arrays_in), ("output", arrays_out)):
            for name in sorted(table):
                t, mode, kind, fmt = table[name]
                key = (t, "vals") if kind == "vals" else (t, mode)
                is_val = kind == "vals"
                self.arrays.append(ArraySpec(
                    sel, name, t, mode, kind, role,
                    p.val_width if is_val else p.crd_width, is_val, level_depth[key], fmt))
                sel += 1
        self.outputs = [a for a in self.arrays if a.role == "output"]
        for k, a in enumerate(self.outputs):
            a.length_addr = _STATUS_FIXED + k
        self.edge_status_base = _STATUS_FIXED + len(self.outputs)
        self._status_size = self.edge_status_base + len(self.edges)
        # per-edge counters (AccelParams.counters) after every older entry
        self.counter_base = self._status_size if p.counters else None
        if p.counters:
            self._status_size += len(COUNTERS) * len(self.edges)
        self.registers = [RegisterSpec(k, name, regs[name][0], regs[name][1], p.crd_width)
                          for k, name in enumerate(sorted(regs))]

    def _latencies(self) -> dict:
        """Node id -> latency in cycles (:func:`primitive_latency`)."""
        out = {}
        for nid, n in self.lowered.nodes.items():
            plan = _plan(n, self.lowered, self.params, self._aw)
            comp = rtl_prims.build(plan.rtl, **plan.params)
            comp._MustUse__silence = True     # built only to read its latency
            out[nid] = primitive_latency(plan.rtl, comp)
        return out

    def _aw(self, key) -> int:
        return max(1, ceil_log2(self._level_depth[key]))

    # -- description -----------------------------------------------------------
    def manifest_body(self) -> dict:
        """Everything the host driver needs (no versions or hashes; see
        :func:`rtl.artifacts.manifest`)."""
        low = self.lowered
        return {
            "name": self.graph.name,
            "params": self.params.to_dict(),
            "encoding_version": ENCODING_VERSION,
            "bus": {"sel_width": self.sel_width, "addr_width": self.addr_width,
                    "data_width": self.data_width,
                    "read_latency": HOST_READ_LATENCY,
                    "status_flags": dict(STATUS_FLAGS), "status_cycles_addr": 1,
                    "edge_status_base": self.edge_status_base,
                    **({"counters": {"base": self.counter_base, "width": 32,
                                     "per_edge": list(COUNTERS)}}
                       if self.params.counters else {})},
            "arrays": [a.to_dict() for a in self.arrays],
            "registers": [r.to_dict() for r in self.registers],
            "edges": [{"index": k, "src": e.src, "src_port": e.src_port, "dst": e.dst,
                       "dst_port": e.dst_port, "type": e.type, "depth": self.edge_depths[k],
                       "src_name": node_name(low.nodes[e.src]),
                       "dst_name": node_name(low.nodes[e.dst])}
                      for k, e in enumerate(self.edges)],
            "fifo_latency": FIFO_LATENCY,
            "nodes": [{"id": nid, "name": node_name(low.nodes[nid]), "type": low.nodes[nid].type,
                       "latency": self.latencies[nid],
                       "attrs": {k: v for k, v in low.nodes[nid].attrs.items()
                                 if v is not None and v is not False}}
                      for nid in sorted(low.nodes)],
            "spaccumulators": [
                {"id": nid, "index": low.nodes[nid].attrs.get("in0"), "dim": self.params.spacc_dim,
                 "outer_index": low.nodes[nid].attrs.get("in1")
                 if low.nodes[nid].attrs.get("order") == 2 else None,
                 "outer_dim": self.params.spacc_outer_dim
                 if low.nodes[nid].attrs.get("order") == 2 else None}
                for nid in sorted(low.nodes) if low.nodes[nid].type == "spaccumulator"],
        }

    def ports(self) -> list[dict]:
        """Top-level ports: name, direction, width (Verilog names)."""
        out = [{"name": "clk", "dir": "in", "width": 1}, {"name": "rst", "dir": "in", "width": 1}]
        for name, member in self.signature.members.items():
            out.append({"name": name, "dir": "in" if member.flow == In else "out",
                        "width": Shape.cast(member.shape).width})
        return out

    # -- hardware --------------------------------------------------------------
    def elaborate(self, platform):
        p, low = self.params, self.lowered
        m = Module()
        comps: list = []
        plans: dict = {}
        for nid in sorted(low.nodes):
            n = low.nodes[nid]
            plan = _plan(n, low, p, self._aw)
            comp = rtl_prims.build(plan.rtl, **plan.params)
            plans[nid] = (plan, comp)
            comps.append((node_name(n), comp))

        # FIFOs: one per edge, grouped by producer port for the joint ready
        fifos = []
        for k, e in enumerate(self.edges):
            f = rtl_prims.build("fifo", width=0 if e.type == "repsig" else
                                (p.val_width if e.type == "val" else p.crd_width),
                                depth=self.edge_depths[k], signed=e.type == "val",
                                fall_through=FIFO_FALL_THROUGH)
            fifos.append((f"fifo{k}", f))
        groups: dict = {}
        for k, e in enumerate(self.edges):
            groups.setdefault((e.src, e.src_port), []).append(k)

        progress = Signal()
        # per edge: push, producer stalled by this FIFO, consumer starved
        events = ([[Signal(name=f"ev{k}_{c}") for c in COUNTERS]
                   for k in range(len(self.edges))] if p.counters else None)
        writers_done = []
        writers_err = []

        def connect(dm: Module):
            moved = []
            for (src, port), ks in groups.items():
                plan, comp = plans[src]
                out = getattr(comp, plan.outs[port])
                fs = [fifos[k][1] for k in ks]
                all_ready = fs[0].i.ready
                for f in fs[1:]:
                    all_ready = all_ready & f.i.ready
                dm.d.comb += out.ready.eq(all_ready)
                for f in fs:
                    dm.d.comb += f.i.valid.eq(out.valid & all_ready)
                    _assign_payload(dm, f.i.payload, out.payload)
                # registered per port (each edge's push is this port's move)
                mv = Signal(name=f"moved_out{len(moved)}")
                dm.d.sync += mv.eq(out.valid & all_ready)
                moved.append(mv)
                if events is not None:
                    for k, f in zip(ks, fs):
                        dm.d.comb += [events[k][0].eq(out.valid & all_ready),
                                      events[k][1].eq(out.valid & ~f.i.ready)]
            for k, e in enumerate(self.edges):
                f = fifos[k][1]
                plan, comp = plans[e.dst]
                inp = getattr(comp, plan.ins[e.dst_port])
                dm.d.comb += [inp.valid.eq(f.o.valid), f.o.ready.eq(inp.ready)]
                _assign_payload(dm, inp.payload, f.o.payload)
                mv = Signal(name=f"moved_in{k}")
                dm.d.sync += mv.eq(f.o.valid & inp.ready)
                moved.append(mv)
                if events is not None:
                    dm.d.comb += events[k][2].eq(inp.ready & ~f.o.valid)
            # output ports nobody reads: drain them
            for nid, (plan, comp) in plans.items():
                for port, member in plan.outs.items():
                    if (nid, port) not in groups:
                        dm.d.comb += getattr(comp, member).ready.eq(1)
            any_moved = 0
            for x in moved:
                any_moved = any_moved | x
            # the handshakes are registered, then their OR: the watchdog sees
            # a move two cycles late (no wide OR behind a handshake, none in
            # front of the idle counter)
            dm.d.sync += progress.eq(any_moved)

        dp = _Datapath(comps, fifos, connect)
        # registered datapath reset (high-fanout net from a flip-flop): held
        # until the first start, then high in the cycle after each start
        dp_rst = Signal(init=1)
        m.submodules.datapath = ResetInserter({"sync": dp_rst})(dp)

        # memories
        mems = {}
        for a in self.arrays:
            shape = signed(a.width) if a.signed else unsigned(a.width)
            mem = Ram(shape=shape, depth=a.depth, target=p.ram_target)
            m.submodules[f"mem_{a.name}"] = mem
            mems[a.name] = mem
            if a.role == "input":
                wp = mem.write_port()
                m.d.comb += [wp.en.eq(self.wr_en & (self.wr_sel == a.sel)),
                             wp.addr.eq(self.wr_addr), wp.data.eq(self.wr_data)]
        host_rd = {}
        for a in self.outputs:
            rp = mems[a.name].read_port(latency=HOST_READ_LATENCY - 1)
            m.d.comb += rp.en.eq(1)
            host_rd[a.name] = rp

        lengths = {}
        for nid in sorted(plans):
            plan, comp = plans[nid]
            for member, arr in plan.mems.items():
                port = getattr(comp, member)
                mem = mems[arr]
                if "wr" in member:
                    wiring.connect(m, port, mem.write_port())
                else:
                    wiring.connect(m, port, mem.read_port(latency=read_latency(comp, member)))
            if "error" in comp.signature.members:
                # every primitive's sticky malformed-input / overflow flag
                writers_err.append(comp.error)
            if plan.rtl == "fiberwrite":
                writers_done.append(comp.done)
                if plan.params.get("vals"):
                    lengths[plan.mems["vals_wr"]] = comp.vals_len
                else:
                    lengths[plan.mems["crd_wr"]] = comp.crd_len
                    lengths[plan.mems["seg_wr"]] = comp.seg_len

        # configuration registers
        regs = {}
        for r in self.registers:
            reg = Signal(r.width, name=f"cfg_{r.name}")
            regs[r.name] = reg
            with m.If(self.wr_en & (self.wr_sel == 0) & (self.wr_addr == r.addr)):
                m.d.sync += reg.eq(self.wr_data)
        for nid in sorted(plans):
            plan, comp = plans[nid]
            for member, rname in plan.config.items():
                m.d.comb += getattr(comp, member).eq(regs[rname])

        # control
        running = Signal()
        all_done = Signal()
        any_err = Signal()
        idle = Signal(range(p.watchdog + 1))
        d = 1
        for x in writers_done:
            d = d & x
        e = 0
        for x in writers_err:
            e = e | x
        m.d.sync += dp_rst.eq(~running | self.start)
        # while dp_rst is high the datapath's flags are the last run's
        m.d.comb += [all_done.eq(d & ~dp_rst), any_err.eq(e),
                     self.error.eq(any_err & running & ~dp_rst)]
        with m.If(self.start):
            m.d.sync += [running.eq(1), self.busy.eq(1), self.done.eq(0),
                         self.deadlock.eq(0), self.cycles.eq(0), idle.eq(0)]
        with m.Elif(self.busy):
            m.d.sync += self.cycles.eq(self.cycles + 1)
            with m.If(all_done):
                m.d.sync += [self.busy.eq(0), self.done.eq(1)]
            with m.Elif(progress):
                m.d.sync += idle.eq(0)
            with m.Elif(idle == p.watchdog - 1):
                m.d.sync += [self.busy.eq(0), self.deadlock.eq(1)]
            with m.Else():
                m.d.sync += idle.eq(idle + 1)
        counters = []
        if events is not None:
            for k, evs in enumerate(events):
                for c, ev in zip(COUNTERS, evs):
                    cnt = Signal(32, name=f"cnt{k}_{c}")
                    counters.append(cnt)
                    with m.If(self.start):
                        m.d.sync += cnt.eq(0)
                    with m.Elif(self.busy & ~dp_rst & ev):
                        m.d.sync += cnt.eq(cnt + 1)

        # host read path, latency 3 (HOST_READ_LATENCY): rd_sel/rd_addr are
        # registered first (the bus pins are far from the status sources);
        # the status word is a two-level registered mux (groups of
        # 2**_STATUS_GROUP_BITS words by the low address bits, then the
        # group by the high bits); the arrays' read ports (latency 2) take
        # the registered address, so their data lines up with the status word
        rd_sel_q = [Signal.like(self.rd_sel, name=f"rd_sel_q{i + 1}") for i in range(2)]
        rd_addr_q = Signal.like(self.rd_addr)
        rd_addr_q2 = Signal.like(self.rd_addr)
        status_q = Signal(self.data_width)
        m.d.sync += [rd_sel_q[0].eq(self.rd_sel), rd_sel_q[1].eq(rd_sel_q[0]),
                     rd_addr_q.eq(self.rd_addr), rd_addr_q2.eq(rd_addr_q)]
        for a in self.outputs:
            m.d.comb += host_rd[a.name].addr.eq(rd_addr_q)
        words = {0: (self.busy << STATUS_FLAGS["busy"]) | (self.done << STATUS_FLAGS["done"])
                 | (self.deadlock << STATUS_FLAGS["deadlock"])
                 | (self.error << STATUS_FLAGS["error"]),
                 1: self.cycles}
        for a in self.outputs:
            words[a.length_addr] = lengths[a.name]
        for k in range(len(self.edges)):
            f = fifos[k][1]
            words[self.edge_status_base + k] = f.o.valid | (~f.i.ready << 1)
        for k, cnt in enumerate(counters):
            words[self.counter_base + k] = cnt
        gb = _STATUS_GROUP_BITS
        n_groups = (max(words) >> gb) + 1
        group_q = [Signal(self.data_width, name=f"status_grp{g}") for g in range(n_groups)]
        for g, gq in enumerate(group_q):
            with m.Switch(rd_addr_q[:gb]):
                for lo in range(1 << gb):
                    if (g << gb) + lo in words:
                        with m.Case(lo):
                            m.d.sync += gq.eq(words[(g << gb) + lo])
                with m.Default():
                    m.d.sync += gq.eq(0)
        with m.Switch(rd_addr_q2[gb:]):
            for g, gq in enumerate(group_q):
                with m.Case(g):
                    m.d.sync += status_q.eq(gq)
            with m.Default():
                m.d.sync += status_q.eq(0)
        # the last stage is an AND-OR of the sources with a one-hot select
        # decoded into registers (no compare on rd_sel in front of rd_data)
        sources = [(0, status_q)] + [
            (a.sel, host_rd[a.name].data.as_unsigned() if a.signed else host_rd[a.name].data)
            for a in self.outputs]
        rd = 0
        for sel, data in sources:
            hot = Signal(name=f"rd_hot{sel}")
            m.d.sync += hot.eq(rd_sel_q[1] == sel)
            rd = rd | Mux(hot, data, 0)
        m.d.comb += self.rd_data.eq(rd)
        return m


def _assign_payload(m, dst, src):
    """``dst = src`` field by field (data zero/sign-extended or truncated)."""
    m.d.comb += dst.kind.eq(src.kind)
    dfields = set(dst.shape().members)
    sfields = set(src.shape().members)
    if "data" in dfields and "data" in sfields:
        m.d.comb += dst.data.eq(src.data)
    elif "data" in dfields:
        m.d.comb += dst.data.eq(0)
