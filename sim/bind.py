"""Binding input tensors to a graph, with the checks done before a run.

The storage level each scanner reads is found by following reference
streams from the root: a root scanner reads storage level 0 of its tensor;
a scanner fed (through repeaters, joiners, crdhold/crddrop) by references
that a scanner of level ``d`` produced reads level ``d + 1``; an
``arrayvals`` must be fed references into the last level (a scalar's value
array is read with the root reference of a root repeater). From this
:func:`expected_formats` derives the format each input must have (level
letters and mode order) and its order.

:func:`bind` checks the given inputs (every tensor given, order and format
as the graph uses them, one dimension per index variable) and builds the
:class:`~sim.primitive.SimContext` the primitives read.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from sam.formats import Format, LEVEL_FORMATS, Tensor
from sam.graph import Graph

from .primitive import LevelData, SimContext, SimError

__all__ = ["TensorUse", "expected_formats", "graph_uses", "bind", "Binding", "SimInputError"]


class SimInputError(SimError):
    """Inputs that do not fit the graph (missing, wrong order/format/shape)."""


@dataclass
class TensorUse:
    """How a graph reads one input tensor."""
    name: str
    #: storage level -> (tensor mode, level-format name, node) of its scanners
    levels: dict = field(default_factory=dict)
    #: storage depth at which arrayvals nodes read the values, with the node
    vals_depth: list = field(default_factory=list)
    #: (tensor mode, node) of every scanner (to check modes against the order)
    modes: list = field(default_factory=list)

    @property
    def order(self) -> int | None:
        if self.vals_depth:
            return self.vals_depth[0][0]
        if self.levels:
            return max(self.levels) + 1
        return None

    def format(self) -> Format | None:
        """The format the graph reads this tensor in, if its scanners say."""
        order = self.order
        if order is None:
            return None
        if sorted(self.levels) != list(range(order)):
            return None
        letters = tuple(LEVEL_FORMATS[self.levels[l][1]].letter for l in range(order))
        modes = tuple(self.levels[l][0] for l in range(order))
        try:
            return Format(letters, modes)
        except ValueError:
            return None


def graph_uses(graph: Graph) -> dict[str, TensorUse]:
    """Every input tensor of ``graph`` (a lowered graph: no broadcasts) and
    how it is read. Raises :class:`SimError` for contradictory reads."""
    uses: dict[str, TensorUse] = {}
    prov: dict = {}                      # (node, out port) -> (tensor, depth)
    feeds = {(e.dst, e.dst_port): (e.src, e.src_port) for e in graph.edges}

    def src(nid, port):
        key = feeds.get((nid, port))
        return prov.get(key) if key else None

    def use(t):
        return uses.setdefault(t, TensorUse(t))

    problems = []
    for nid in graph.topological_order():
        n = graph.nodes[nid]
        a = n.attrs
        if n.type == "fiberlookup":
            t = a["tensor"]
            u = use(t)
            u.modes.append((a["mode"], n))
            depth = 0 if a.get("root") else None
            if depth is None:
                p = src(nid, "ref")
                if p is not None and p[0] in (t, None):
                    depth = p[1]
            if depth is not None:
                have = u.levels.get(depth)
                if have is not None and (have[0], have[1]) != (a["mode"], a["format"]):
                    problems.append(
                        f"{n} and {have[2]} both read storage level {depth} of {t} but as "
                        f"mode {a['mode']} {a['format']} vs mode {have[0]} {have[1]}")
                else:
                    u.levels.setdefault(depth, (a["mode"], a["format"], n))
                prov[(nid, "ref")] = (t, depth + 1)
        elif n.type == "repeat":
            prov[(nid, "ref")] = (a.get("tensor"), 0) if a.get("root") else src(nid, "ref")
        elif n.type in ("intersect", "union"):
            for t in a.get("operands") or []:
                prov[(nid, f"ref_{t}")] = src(nid, f"ref_{t}")
        elif n.type in ("crdhold", "crddrop"):
            prov[(nid, "inner")] = src(nid, "inner")
        elif n.type == "arrayvals":
            t = a["tensor"]
            p = src(nid, "ref")
            u = use(t)
            if p is not None and p[0] in (t, None):
                u.vals_depth.append((p[1], n))
    for u in uses.values():
        depths = {d for d, _ in u.vals_depth}
        if len(depths) > 1:
            problems.append(f"tensor {u.name}: value arrays are read at storage depths "
                            f"{sorted(depths)} by {', '.join(str(nd) for _, nd in u.vals_depth)}")
    if problems:
        raise SimError("graph reads its tensors inconsistently:\n  " + "\n  ".join(problems))
    return uses


def expected_formats(graph: Graph) -> dict[str, Format]:
    """Input tensor name -> the format the graph reads it in; the graph
    header (``graph.formats``) fills in tensors without scanners."""
    from .lower import lower_graph
    low, _ = lower_graph(graph)
    out = {}
    for name, u in graph_uses(low).items():
        f = u.format()
        if f is None and name in graph.formats:
            try:
                f = Format.parse(graph.formats[name])
            except ValueError:
                f = None
        if f is None and u.order == 0:
            f = Format((), ())
        if f is not None:
            out[name] = f
    return out


@dataclass
class Binding:
    """What :func:`bind` derived from a graph and its inputs: the context the
    primitives read (level arrays, values, dims, zero), ``dims`` (index ->
    size), ``uses`` (tensor -> :class:`TensorUse`) and the converted input
    ``tensors``."""
    ctx: SimContext
    dims: dict
    uses: dict
    tensors: dict


def _as_tensor(name: str, value) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        v = value.item() if hasattr(value, "item") else value
        if isinstance(v, numbers.Integral):
            v = int(v)
        elif isinstance(v, numbers.Real):
            v = float(v)
        else:
            raise SimInputError(f"input {name}: {value!r} is not a real number")
        return Tensor((), "none", [], np.array([v]), name)
    raise SimInputError(f"input {name}: expected a sam.formats.Tensor or a number, "
                        f"got {type(value).__name__}")


def bind(graph: Graph, inputs: dict) -> Binding:
    """Check ``inputs`` against the lowered ``graph``; build the context."""
    uses = graph_uses(graph)
    missing = sorted(t for t in uses if t not in inputs)
    if missing:
        raise SimInputError(
            f"missing input tensor{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}: the graph reads {', '.join(sorted(uses))}; "
            f"give every one")
    tensors = {name: _as_tensor(name, inputs[name]) for name in uses}
    problems = []
    dims: dict = {}
    dim_src: dict = {}
    levels = {}
    for name, u in uses.items():
        t = tensors[name]
        order = t.order
        kind = {0: "a scalar", 1: "a vector", 2: "a matrix"}.get(order, f"an order-{order} tensor")
        bad_mode = [(m, nd) for m, nd in u.modes if not 0 <= m < order]
        if bad_mode:
            m, nd = bad_mode[0]
            problems.append(f"{nd} reads {name} mode {m} but {name} is {kind} "
                            f"(shape {t.shape})")
            continue
        if u.order is not None and u.order != order:
            nd = u.vals_depth[0][1] if u.vals_depth else None
            problems.append(f"the graph reads {name} as an order-{u.order} tensor"
                            f"{f' ({nd} loads its values after {u.order} levels)' if nd else ''}"
                            f" but {name} is {kind} (shape {t.shape})")
            continue
        for depth, (mode, fmt_name, nd) in sorted(u.levels.items()):
            if depth >= order:
                problems.append(f"{nd} reads storage level {depth} of {name}, which has "
                                f"only {order}")
                continue
            lv = t.levels[depth]
            if lv.mode != mode or lv.format != fmt_name:
                want = u.format()
                hint = (f"; convert it to {want} (Tensor.convert('{want}'))"
                        if want is not None else "")
                problems.append(
                    f"{nd} reads mode {mode} as a {fmt_name} level at storage level "
                    f"{depth} of {name}, but {name} is stored as {t.format} (level {depth} "
                    f"is mode {lv.mode}, {lv.format}){hint}")
        for mode, nd in u.modes:
            idx = nd.attrs.get("index")
            d = t.shape[mode]
            if idx is None:
                continue
            if idx in dims and dims[idx] != d:
                pt, pm = dim_src[idx]
                problems.append(f"index {idx} has size {dims[idx]} in {pt} mode {pm} "
                                f"but {d} in {name} mode {mode} ({nd})")
            else:
                dims.setdefault(idx, d)
                dim_src.setdefault(idx, (name, mode))
        for lv in t.levels:
            levels[(name, lv.mode)] = LevelData(
                lv.format, lv.dim, {k: np.asarray(v).tolist() for k, v in lv.arrays.items()})
    if problems:
        raise SimInputError("inputs do not fit the graph:\n  " + "\n  ".join(problems)
                            if len(problems) > 1 else "inputs do not fit the graph: " + problems[0])
    is_float = any(np.asarray(t.vals).dtype.kind == "f" for t in tensors.values())
    ctx = SimContext(levels=levels,
                     values={n: np.asarray(t.vals).tolist() for n, t in tensors.items()},
                     dims=dims, zero=0.0 if is_float else 0)
    return Binding(ctx, dims, uses, tensors)
