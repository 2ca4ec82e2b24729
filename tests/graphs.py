"""Hand-built SAM graphs for tests (the catalogue's IR ports, no compiler).

Each builder returns a validated :class:`sam.graph.Graph` whose ``formats``
header names the output first, then the inputs, as the reference does.
"""

from __future__ import annotations

from sam.graph import Graph

__all__ = ["spmv", "mat_elemadd", "mat_elemmul", "mat_elemadd3", "matmul_ikj",
           "matmul_kij", "vec_scalar_mul", "GRAPHS", "SPEC_34_STREAMS"]


#: Spec 3.4: the stream on every output port of :func:`spmv` (node ids as
#: there) for B = the 3x4 DCSR of spec 1.3 and c = {0: 10, 1: 30, 3: 20}.
SPEC_34_STREAMS = {
    (12, "crd"): "0 2 S0 D", (12, "ref"): "0 1 S0 D", (10, "repsig"): "R R S D",
    (9, "ref"): "0 0 S0 D", (8, "crd"): "0 1 3 S0 0 1 3 S1 D",
    (8, "ref"): "0 1 2 S0 0 1 2 S1 D", (7, "crd"): "0 2 S0 1 3 S1 D",
    (7, "ref"): "0 1 S0 2 3 S1 D", (6, "crd"): "0 S0 1 3 S1 D",
    (6, "ref_B"): "0 S0 2 3 S1 D", (6, "ref_c"): "0 S0 1 2 S1 D",
    (4, "val"): "1 S0 3 4 S1 D", (5, "val"): "10 S0 30 20 S1 D",
    (3, "val"): "10 S0 90 80 S1 D", (2, "val"): "10 170 S0 D",
}


def spmv(crddrop: bool = False) -> Graph:
    """x(i) = B(i,j) * c(j), loop order ij (spec 3.4; node ids as there).

    With ``crddrop``, a ``crddrop vals=true`` (outer = B's i, inner = the
    sums) drops the rows whose sum is zero from x0 and the values together
    (custard's convention, design.md), which also handles an empty B.
    """
    g = Graph("spmv_crddrop" if crddrop else "spmv",
              formats={"x": "s0", "B": "ss01", "c": "s0"})
    g.add_node("fiberlookup", 12, index="i", tensor="B", mode=0, format="compressed", root=True)
    g.add_node("fiberwrite", 1, index="i", tensor="x", mode="0", format="compressed")
    g.add_node("repsiggen", 10, index="i")
    g.add_node("repeat", 9, index="i", tensor="c", root=True)
    g.add_node("fiberlookup", 8, index="j", tensor="c", mode=0, format="compressed")
    g.add_node("fiberlookup", 7, index="j", tensor="B", mode=1, format="compressed")
    g.add_node("intersect", 6, index="j", operands=["B", "c"])
    g.add_node("arrayvals", 4, tensor="B")
    g.add_node("arrayvals", 5, tensor="c")
    g.add_node("mul", 3)
    g.add_node("reduce", 2)
    g.add_node("fiberwrite", 0, tensor="x", mode="vals")
    g.connect(12, "crd", 10, "crd")
    g.connect(10, "repsig", 9, "repsig")
    g.connect(9, "ref", 8, "ref")
    g.connect(12, "ref", 7, "ref")
    g.connect(7, "crd", 6, "crd_B")
    g.connect(7, "ref", 6, "ref_B")
    g.connect(8, "crd", 6, "crd_c")
    g.connect(8, "ref", 6, "ref_c")
    g.connect(6, "ref_B", 4, "ref")
    g.connect(6, "ref_c", 5, "ref")
    g.connect(4, "val", 3, "val0")
    g.connect(5, "val", 3, "val1")
    g.connect(3, "val", 2, "val")
    if crddrop:
        g.add_node("crddrop", 13, outer="i", inner="vals", vals=True)
        g.connect(12, "crd", 13, "outer")
        g.connect(2, "val", 13, "inner")
        g.connect(13, "outer", 1, "crd")
        g.connect(13, "inner", 0, "val")
    else:
        g.connect(12, "crd", 1, "crd")
        g.connect(2, "val", 0, "val")
    return g.validate()


def _elementwise(name: str, joiner: str, alu: str, tensors: list[str],
                 crddrop: bool) -> Graph:
    g = Graph(name, formats={"X": "ss01", **{t: "ss01" for t in tensors}})
    ids = iter(range(100))
    scan_i = {t: g.add_node("fiberlookup", next(ids), index="i", tensor=t, mode=0,
                            format="compressed", root=True) for t in tensors}
    ji = g.add_node(joiner, next(ids), index="i", operands=tensors)
    for t in tensors:
        g.connect(scan_i[t], "crd", ji, f"crd_{t}")
        g.connect(scan_i[t], "ref", ji, f"ref_{t}")
    scan_j = {}
    for t in tensors:
        scan_j[t] = g.add_node("fiberlookup", next(ids), index="j", tensor=t, mode=1,
                               format="compressed")
        g.connect(ji, f"ref_{t}", scan_j[t], "ref")
    jj = g.add_node(joiner, next(ids), index="j", operands=tensors)
    for t in tensors:
        g.connect(scan_j[t], "crd", jj, f"crd_{t}")
        g.connect(scan_j[t], "ref", jj, f"ref_{t}")
    vals = {}
    for t in tensors:
        vals[t] = g.add_node("arrayvals", next(ids), tensor=t)
        g.connect(jj, f"ref_{t}", vals[t], "ref")
    acc = (vals[tensors[0]], "val")
    for t in tensors[1:]:
        a = g.add_node(alu, next(ids))
        g.connect(acc[0], acc[1], a, "val0")
        g.connect(vals[t], "val", a, "val1")
        acc = (a, "val")
    x0 = g.add_node("fiberwrite", next(ids), index="i", tensor="X", mode="0", format="compressed")
    x1 = g.add_node("fiberwrite", next(ids), index="j", tensor="X", mode="1", format="compressed")
    xv = g.add_node("fiberwrite", next(ids), tensor="X", mode="vals")
    if crddrop:
        cd = g.add_node("crddrop", next(ids), outer="i", inner="j")
        g.connect(ji, "crd", cd, "outer")
        g.connect(jj, "crd", cd, "inner")
        g.connect(cd, "outer", x0, "crd")
        g.connect(cd, "inner", x1, "crd")
    else:
        g.connect(ji, "crd", x0, "crd")
        g.connect(jj, "crd", x1, "crd")
    g.connect(acc[0], acc[1], xv, "val")
    return g.validate()


def mat_elemadd() -> Graph:
    """X(i,j) = B(i,j) + C(i,j), all DCSR (unions at i and j)."""
    return _elementwise("mat_elemadd", "union", "add", ["B", "C"], crddrop=False)


def mat_elemadd3() -> Graph:
    """X(i,j) = B(i,j) + C(i,j) + D(i,j) with 3-operand union nodes."""
    return _elementwise("mat_elemadd3", "union", "add", ["B", "C", "D"], crddrop=False)


def mat_elemmul(crddrop: bool = True) -> Graph:
    """X(i,j) = B(i,j) * C(i,j), all DCSR (intersections + crddrop on i, j)."""
    return _elementwise("mat_elemmul", "intersect", "mul", ["B", "C"], crddrop=crddrop)


def matmul_ikj() -> Graph:
    """Gustavson X(i,j) = B(i,k) * C(k,j), loop order ikj, all DCSR: two
    crdholds build the outer coordinate for a spaccumulator of order 1
    (the reference compiler's matmul_ikj.gv, node ids as there)."""
    g = Graph("matmul_ikj", formats={"X": "ss01", "B": "ss01", "C": "ss01"})
    g.add_node("fiberlookup", 19, index="i", tensor="B", mode=0, format="compressed", root=True)
    g.add_node("crdhold", 5, outer="i", inner="k")
    g.add_node("crdhold", 4, outer="i", inner="j")
    g.add_node("spaccumulator", 3, order=1, in0="j", in1="i")
    g.add_node("fiberwrite", 0, tensor="X", mode="vals")
    g.add_node("fiberwrite", 1, index="j", tensor="X", mode="1", format="compressed")
    g.add_node("fiberwrite", 2, index="i", tensor="X", mode="0", format="compressed")
    g.add_node("repsiggen", 17, index="i")
    g.add_node("repeat", 16, index="i", tensor="C", root=True)
    g.add_node("fiberlookup", 15, index="k", tensor="C", mode=0, format="compressed")
    g.add_node("intersect", 13, index="k", operands=["C", "B"])
    g.add_node("repeat", 9, index="j", tensor="B")
    g.add_node("arrayvals", 7, tensor="B")
    g.add_node("mul", 6)
    g.add_node("fiberlookup", 12, index="j", tensor="C", mode=1, format="compressed")
    g.add_node("repsiggen", 10, index="j")
    g.add_node("arrayvals", 8, tensor="C")
    g.add_node("fiberlookup", 14, index="k", tensor="B", mode=1, format="compressed")
    g.connect(19, "crd", 5, "outer")
    g.connect(5, "outer", 4, "outer")
    g.connect(4, "outer", 3, "crd_outer")
    g.connect(3, "val", 0, "val")
    g.connect(3, "crd_inner", 1, "crd")
    g.connect(3, "crd_outer", 2, "crd")
    g.connect(4, "inner", 3, "crd_inner")
    g.connect(19, "crd", 17, "crd")
    g.connect(17, "repsig", 16, "repsig")
    g.connect(16, "ref", 15, "ref")
    g.connect(15, "crd", 13, "crd_C")
    g.connect(15, "ref", 13, "ref_C")
    g.connect(13, "crd", 5, "inner")
    g.connect(13, "ref_B", 9, "ref")
    g.connect(9, "ref", 7, "ref")
    g.connect(7, "val", 6, "val0")
    g.connect(6, "val", 3, "val")
    g.connect(13, "ref_C", 12, "ref")
    g.connect(12, "crd", 4, "inner")
    g.connect(12, "crd", 10, "crd")
    g.connect(10, "repsig", 9, "repsig")
    g.connect(12, "ref", 8, "ref")
    g.connect(8, "val", 6, "val1")
    g.connect(19, "ref", 14, "ref")
    g.connect(14, "crd", 13, "crd_B")
    g.connect(14, "ref", 13, "ref_B")
    return g.validate()


def matmul_kij() -> Graph:
    """Outer product X(i,j) = B(i,k) * C(k,j), loop order kij: B is DCSC
    (ss10), C DCSR; a crdhold and a spaccumulator of order 2 (the reference's
    matmul_kij test wiring)."""
    g = Graph("matmul_kij", formats={"X": "ss01", "B": "ss10", "C": "ss01"})
    g.add_node("fiberlookup", 17, index="k", tensor="B", mode=1, format="compressed", root=True)
    g.add_node("fiberlookup", 18, index="k", tensor="C", mode=0, format="compressed", root=True)
    g.add_node("intersect", 16, index="k", operands=["B", "C"])
    g.add_node("fiberlookup", 15, index="i", tensor="B", mode=0, format="compressed")
    g.add_node("repsiggen", 13, index="i")
    g.add_node("repeat", 12, index="i", tensor="C")
    g.add_node("fiberlookup", 11, index="j", tensor="C", mode=1, format="compressed")
    g.add_node("arrayvals", 7, tensor="C")
    g.add_node("crdhold", 4, outer="i", inner="j")
    g.add_node("repsiggen", 9, index="j")
    g.add_node("repeat", 8, index="j", tensor="B")
    g.add_node("arrayvals", 6, tensor="B")
    g.add_node("mul", 5)
    g.add_node("spaccumulator", 3, order=2, in0="j", in1="i")
    g.add_node("fiberwrite", 0, tensor="X", mode="vals")
    g.add_node("fiberwrite", 1, index="j", tensor="X", mode="1", format="compressed")
    g.add_node("fiberwrite", 2, index="i", tensor="X", mode="0", format="compressed")
    g.connect(17, "crd", 16, "crd_B")
    g.connect(17, "ref", 16, "ref_B")
    g.connect(18, "crd", 16, "crd_C")
    g.connect(18, "ref", 16, "ref_C")
    g.connect(16, "ref_B", 15, "ref")
    g.connect(15, "crd", 13, "crd")
    g.connect(16, "ref_C", 12, "ref")
    g.connect(13, "repsig", 12, "repsig")
    g.connect(12, "ref", 11, "ref")
    g.connect(11, "ref", 7, "ref")
    g.connect(15, "crd", 4, "outer")
    g.connect(11, "crd", 4, "inner")
    g.connect(11, "crd", 9, "crd")
    g.connect(15, "ref", 8, "ref")
    g.connect(9, "repsig", 8, "repsig")
    g.connect(8, "ref", 6, "ref")
    g.connect(6, "val", 5, "val0")
    g.connect(7, "val", 5, "val1")
    g.connect(4, "outer", 3, "crd_outer")
    g.connect(4, "inner", 3, "crd_inner")
    g.connect(5, "val", 3, "val")
    g.connect(3, "val", 0, "val")
    g.connect(3, "crd_inner", 1, "crd")
    g.connect(3, "crd_outer", 2, "crd")
    return g.validate()


def vec_scalar_mul() -> Graph:
    """x(i) = b * c(i): the scalar b is read by a root repeater + arrayvals
    (the reference's vec_scalar_mul.gv, with its broadcast node)."""
    g = Graph("vec_scalar_mul", formats={"x": "s0", "b": "none", "c": "s0"})
    g.add_node("fiberlookup", 8, index="i", tensor="c", mode=0, format="compressed", root=True)
    g.add_node("broadcast", 7)
    g.add_node("fiberwrite", 1, index="i", tensor="x", mode="0", format="compressed")
    g.add_node("repsiggen", 6, index="i")
    g.add_node("repeat", 5, index="i", tensor="b", root=True)
    g.add_node("arrayvals", 3, tensor="b")
    g.add_node("mul", 2)
    g.add_node("fiberwrite", 0, tensor="x", mode="vals")
    g.add_node("arrayvals", 4, tensor="c")
    g.connect(8, "crd", 7, "in")
    g.connect(7, "out", 1, "crd")
    g.connect(7, "out", 6, "crd")
    g.connect(6, "repsig", 5, "repsig")
    g.connect(5, "ref", 3, "ref")
    g.connect(3, "val", 2, "val0")
    g.connect(2, "val", 0, "val")
    g.connect(8, "ref", 4, "ref")
    g.connect(4, "val", 2, "val1")
    return g.validate()


GRAPHS = {
    "spmv": spmv, "mat_elemadd": mat_elemadd, "mat_elemadd3": mat_elemadd3,
    "mat_elemmul": mat_elemmul, "matmul_ikj": matmul_ikj, "matmul_kij": matmul_kij,
    "vec_scalar_mul": vec_scalar_mul,
}
