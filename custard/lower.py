"""Lowering: a checked :class:`~custard.analysis.Plan` -> :class:`sam.graph.Graph`.

One pass per index variable in loop order, then the value computation and
the writers. Nothing here depends on a particular kernel.

For the index ``v`` at loop position ``p``:

* the accesses still iterated at ``p`` (their value is computed at depth
  ``>= p``) are *active*;
* the expression tree restricted to active accesses that have ``v`` gives
  the join: ``*`` -> ``intersect``, ``+``/``-`` -> ``union``; nested joins of
  one kind are flattened into one n-ary node; an operand that is itself a
  join carrying several tensors' references feeds one joiner node per
  reference (all of them see the same coordinates);
* each joined tensor gets a level scanner (``fiberlookup``) on the storage
  level that holds ``v``; every other active tensor's reference is repeated
  once per joined coordinate (``repsiggen`` on the joined coordinates, one
  per index, + ``repeat``; a tensor not scanned yet repeats the root).

Values: ``arrayvals`` per access, one ALU per operator (``mul``, ``add``
with ``sub=1`` for ``-``), one ``reduce`` per reduced index that follows
every output index, at the node that scopes the sum. A reduction placed
before the last output index is a ``spaccumulator`` (its outer coordinate
is held down to the value stream's depth with ``crdhold``, as the reference
does).

Writers: one ``fiberwrite`` per output storage level, in the output's
format, and one values writer. Empty fibers and structural zeros are
removed where the output is compressed: ``crddrop vals=true`` on the last
level drops the zeros that reductions leave (sums over nothing), and
``crddrop`` nodes, bottom-up from the last two levels, drop the coordinates
of every compressed level whose fiber ended up empty; each passes the
levels below as ``deep`` streams so that every written level stays aligned
(deliberate difference 1).
"""

from __future__ import annotations

from sam.graph import Graph

from .analysis import Plan
from .parser import Access

__all__ = ["lower"]

_BC = "broadcast-operand"


class _Lowering:
    def __init__(self, plan: Plan, name: str):
        self.plan = plan
        self.g = Graph(name, formats=plan.header())
        self.ref: dict[str, tuple | None] = {a.name: None for a in plan.inputs}
        self.crd: dict[str, tuple] = {}
        self.full: dict[str, bool] = {}       # index -> every fiber is full (dense)
        self.can_empty: dict[str, bool] = {}  # index -> a fiber may be empty
        self.repsig: dict[str, tuple] = {}

    # -- helpers ------------------------------------------------------------
    def node(self, type_: str, **attrs) -> int:
        attrs = {k: v for k, v in attrs.items() if v is not None}
        return self.g.add_node(type_, **attrs)

    def wire(self, src: tuple, dst: int, port: str) -> None:
        self.g.connect(src[0], src[1], dst, port)

    def level_name(self, letter: str) -> str:
        return {"s": "compressed", "d": "dense"}[letter]

    # -- iteration ------------------------------------------------------------
    def join_tree(self, node, v: str, p: int):
        din = self.plan.din
        if isinstance(node, Access):
            if din[id(node)] < p:
                return None
            return ("leaf", node) if v in node.indices else _BC
        lt = self.join_tree(node.left, v, p)
        rt = self.join_tree(node.right, v, p)
        if lt is None or rt is None:
            return lt if rt is None else rt
        if node.op == "*":
            if lt is _BC:
                return rt
            if rt is _BC:
                return lt
            kind = "intersect"
        else:
            if lt is _BC and rt is _BC:
                return _BC
            kind = "union"      # mixed cases were refused by the analysis
        kids = []
        for t in (lt, rt):
            if t[0] == kind:
                kids.extend(t[1])
            else:
                kids.append(t)
        return (kind, kids)

    def lower_join(self, t, v: str):
        """-> (crd stream, {tensor: ref stream}, full, can_empty)."""
        if t[0] == "leaf":
            a: Access = t[1]
            fmt = self.plan.formats[a.name]
            mode = a.indices.index(v)
            lvl = fmt.mode_order.index(mode)
            letter = fmt.levels[lvl]
            parent = self.ref[a.name]
            nid = self.node("fiberlookup", index=v, tensor=a.name, mode=mode,
                            format=self.level_name(letter), src=True, root=parent is None)
            if parent is not None:
                self.wire(parent, nid, "ref")
            full = letter == "d"
            # A canonical compressed level below a compressed level has no
            # empty fibers; below a dense level (or repeated) it may.
            empty = not full and not (lvl > 0 and fmt.levels[lvl - 1] == "s")
            return (nid, "crd"), {a.name: (nid, "ref")}, full, empty
        kind, kids = t
        low = [self.lower_join(k, v) for k in kids]
        width = max(len(refs) for _, refs, _, _ in low)
        nodes = []
        for m in range(width):
            picks = [list(refs)[min(m, len(refs) - 1)] for _, refs, _, _ in low]
            nid = self.node(kind, index=v, operands=picks)
            for (crd, refs, _, _), tname in zip(low, picks):
                self.wire(crd, nid, f"crd_{tname}")
                self.wire(refs[tname], nid, f"ref_{tname}")
            nodes.append(nid)
        out: dict[str, tuple] = {}
        for _, refs, _, _ in low:
            for j, tname in enumerate(refs):
                out[tname] = (nodes[j], f"ref_{tname}")
        fulls = [f for _, _, f, _ in low]
        empties = [e for _, _, _, e in low]
        if kind == "intersect":
            full = all(fulls)
            empty = not full
        else:
            full = any(fulls)
            empty = all(empties)
        return (nodes[0], "crd"), out, full, empty

    def repsig_of(self, v: str) -> tuple:
        if v not in self.repsig:
            nid = self.node("repsiggen", index=v)
            self.wire(self.crd[v], nid, "crd")
            self.repsig[v] = (nid, "repsig")
        return self.repsig[v]

    def iterate(self) -> None:
        plan = self.plan
        for v in plan.order:
            p = plan.pos[v]
            t = self.join_tree(plan.stmt.rhs, v, p)
            assert t not in (None, _BC), f"no tensor iterates {v}"
            crd, refs, full, empty = self.lower_join(t, v)
            self.crd[v] = crd
            self.full[v] = full
            self.can_empty[v] = empty
            for a in plan.inputs:
                if plan.din[id(a)] < p or a.name in refs:
                    continue
                parent = self.ref[a.name]
                nid = self.node("repeat", index=v, tensor=a.name, root=parent is None)
                if parent is not None:
                    self.wire(parent, nid, "ref")
                self.wire(self.repsig_of(v), nid, "repsig")
                self.ref[a.name] = (nid, "ref")
            self.ref.update(refs)

    # -- values ---------------------------------------------------------------
    def value(self, node) -> tuple:
        plan = self.plan
        if isinstance(node, Access):
            nid = self.node("arrayvals", tensor=node.name)
            self.wire(self.ref[node.name], nid, "ref")
            s = (nid, "val")
        else:
            a = self.value(node.left)
            b = self.value(node.right)
            if node.op == "*":
                nid = self.node("mul")
            else:
                nid = self.node("add", sub=node.op == "-")
            self.wire(a, nid, "val0")
            self.wire(b, nid, "val1")
            s = (nid, "val")
        for _ in range(plan.din[id(node)] - plan.dout[id(node)]):
            nid = self.node("reduce")
            self.wire(s, nid, "val")
            s = (nid, "val")
        return s

    # -- output ---------------------------------------------------------------
    def dim_expr(self, v: str) -> str:
        for a in self.plan.inputs:
            if v in a.indices:
                return f"{a.name}{a.indices.index(v)}_dim"
        raise AssertionError(v)

    def writers(self, crds: list[tuple], vals: tuple) -> None:
        plan = self.plan
        out = plan.out
        fmt = plan.formats[out.name]
        dims = [self.dim_expr(v) for v in plan.out_levels]
        prev_crdsize = None
        for l, v in enumerate(plan.out_levels):
            letter = fmt.levels[l]
            attrs = {}
            if letter == "s":
                crdsize = "*".join(dims[:l + 1])
                attrs["segsize"] = "2" if l == 0 else f"{prev_crdsize}+1"
                attrs["crdsize"] = crdsize
            prev_crdsize = "*".join(dims[:l + 1])
            nid = self.node("fiberwrite", index=v, tensor=out.name, mode=str(fmt.mode_order[l]),
                            format=self.level_name(letter), sink=True, **attrs)
            self.wire(crds[l], nid, "crd")
        size = "*".join(["1"] + dims)
        nid = self.node("fiberwrite", tensor=out.name, mode="vals", size=size, sink=True)
        self.wire(vals, nid, "val")

    def output(self) -> None:
        plan = self.plan
        levels = plan.out_levels
        fmt = plan.formats[plan.out.name]
        if plan.spacc is not None:
            self.output_spacc()
            return
        vals = self.value(plan.stmt.rhs)
        crds = [self.crd[v] for v in levels]
        n = len(levels)
        if n == 0:
            self.writers([], vals)
            return
        empty = [self.can_empty[v] for v in levels]
        last = levels[-1]
        sparse_iter = not all(self.full[v] for v in levels)
        if plan.reductions and (fmt.levels[-1] == "s" or sparse_iter):
            # Sums over nothing leave zeros (and a reducer emits one value
            # per closed fiber): drop zero values with their coordinates.
            nid = self.node("crddrop", outer=last, inner="vals", vals=True)
            self.wire(crds[-1], nid, "outer")
            self.wire(vals, nid, "inner")
            crds[-1] = (nid, "outer")
            vals = (nid, "inner")
            empty[-1] = True
        self.drops(levels, crds, empty, n - 2)
        self.writers(crds, vals)

    def drops(self, levels: list, crds: list, empty: list, start: int) -> None:
        """Drops bottom-up from the pair (``start``, ``start+1``): a compressed
        level loses the coordinates whose fiber below ended up empty (which
        may empty its own fibers); the levels further down pass through the
        same node as deep streams, which lose the extra closings of the
        removed fibers (design.md, deliberate difference 1), so every written
        level stays aligned. Updates ``crds`` and ``empty`` in place."""
        fmt = self.plan.formats[self.plan.out.name]
        for top in range(start, -1, -1):
            if fmt.levels[top] != "s" or not empty[top + 1]:
                continue
            below = levels[top + 2:]
            nid = self.node("crddrop", outer=levels[top], inner=levels[top + 1],
                            deep=list(below) or None)
            self.wire(crds[top], nid, "outer")
            self.wire(crds[top + 1], nid, "inner")
            crds[top] = (nid, "outer")
            crds[top + 1] = (nid, "inner")
            for l, v in enumerate(below, top + 2):
                self.wire(crds[l], nid, f"deep_{v}")
                crds[l] = (nid, f"deep_{v}")
            empty[top] = True

    def output_spacc(self) -> None:
        """Levels before the reduced index come from their joins; the one or
        two after it (and, for order 1, the one just before it, ``in1``)
        from the accumulator, whose outer output keeps one fiber per
        coordinate of the level above."""
        plan = self.plan
        sp = plan.spacc
        vals = self.value(plan.stmt.rhs)
        o = plan.out_levels
        inner = o.index(sp["in0"])
        inner_crd = self.crd[sp["in0"]]
        if len(plan.reductions) > 1:
            # reductions after the accumulated index were summed by reduce
            # nodes; drop their sums over nothing so that values and inner
            # coordinates pair one to one.
            d = self.node("crddrop", outer=sp["in0"], inner="vals", vals=True)
            self.wire(inner_crd, d, "outer")
            self.wire(vals, d, "inner")
            inner_crd, vals = (d, "outer"), (d, "inner")
        if sp["in1"] is None:
            nid = self.node("spaccumulator", order=1, in0=sp["in0"])
            self.wire(inner_crd, nid, "crd_inner")
            self.wire(vals, nid, "val")
            self.writers([(nid, "crd_inner")], (nid, "val"))
            return
        outer_l = o.index(sp["in1"])
        outer = self.crd[sp["in1"]]
        if sp["order"] == 1:
            # o1, r, o2: hold o1 over r, then over o2.
            h = self.node("crdhold", outer=sp["in1"], inner=sp["r"])
            self.wire(outer, h, "outer")
            self.wire(self.crd[sp["r"]], h, "inner")
            outer = (h, "outer")
        h = self.node("crdhold", outer=sp["in1"], inner=sp["in0"])
        self.wire(outer, h, "outer")
        self.wire(inner_crd, h, "inner")
        nid = self.node("spaccumulator", order=sp["order"], in0=sp["in0"], in1=sp["in1"])
        self.wire((h, "outer"), nid, "crd_outer")
        self.wire((h, "inner"), nid, "crd_inner")
        self.wire(vals, nid, "val")
        crds = [self.crd[v] for v in o]
        crds[outer_l] = (nid, "crd_outer")
        crds[inner] = (nid, "crd_inner")
        # A coordinate above the accumulator whose groups all came out empty
        # has an empty fiber of the accumulator's outer level: drop it (and
        # the levels above that empty in turn), the accumulator's levels
        # passing through as deep streams.
        empty = [self.can_empty[v] for v in o]
        empty[outer_l] = True
        self.drops(o, crds, empty, outer_l - 1)
        self.writers(crds, (nid, "val"))


def lower(plan: Plan, name: str = "custard") -> Graph:
    """Build the SAM graph of ``plan`` (validated before it is returned)."""
    low = _Lowering(plan, name)
    low.iterate()
    low.output()
    g = low.g
    g.meta = {"compiler": "custard", "expression": plan.stmt.text.strip(),
              "schedule": list(plan.order)}
    return g.validate(name)
