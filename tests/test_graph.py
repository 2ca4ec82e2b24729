"""Graph IR: building, validation, comparison, summary, file dispatch.

The builders here (``spmv_ij``, ``matmul_ikj``, ``matmul_kij``,
``residual``) are hand-built IR graphs that test_dot.py and test_cli.py reuse.
"""

from __future__ import annotations

import pytest

from sam.graph import Graph, GraphError


def spmv_ij() -> Graph:
    """Spec 3.4: x(i) = B(i,j) * c(j), loop order ij (mat_vecmul_ij.gv)."""
    g = Graph("mat_vecmul_ij", {"x": "s0", "B": "ss01", "c": "s0"})
    g.add_node("fiberlookup", 12, index="i", tensor="B", mode=0, format="compressed", root=True)
    g.add_node("broadcast", 11)
    g.add_node("fiberwrite", 1, index="i", tensor="x", mode="0", format="compressed",
               segsize="2", crdsize="B0_dim")
    g.add_node("repsiggen", 10, index="i")
    g.add_node("repeat", 9, index="i", tensor="c", root=True)
    g.add_node("fiberlookup", 8, index="j", tensor="c", mode=0, format="compressed")
    g.add_node("fiberlookup", 7, index="j", tensor="B", mode=1, format="compressed")
    g.add_node("intersect", 6, index="j", operands=["B", "c"])
    g.add_node("arrayvals", 4, tensor="B")
    g.add_node("arrayvals", 5, tensor="c")
    g.add_node("mul", 3)
    g.add_node("reduce", 2)
    g.add_node("fiberwrite", 0, tensor="x", mode="vals", size="1*B0_dim")
    for src, sp, dst, dp in [
            (12, "crd", 11, "in"), (11, "out", 1, "crd"), (11, "out", 10, "crd"),
            (10, "repsig", 9, "repsig"), (9, "ref", 8, "ref"), (12, "ref", 7, "ref"),
            (7, "crd", 6, "crd_B"), (7, "ref", 6, "ref_B"),
            (8, "crd", 6, "crd_c"), (8, "ref", 6, "ref_c"),
            (6, "ref_B", 4, "ref"), (6, "ref_c", 5, "ref"),
            (4, "val", 3, "val0"), (5, "val", 3, "val1"), (3, "val", 2, "val"),
            (2, "val", 0, "val")]:
        g.connect(src, sp, dst, dp)
    return g


def matmul_ikj() -> Graph:
    """X(i,j) = B(i,k) * C(k,j), order ikj: two crdholds and an order-1
    accumulator keeping i (outer) and j (inner)."""
    g = Graph("matmul_ikj", {"X": "ss01", "B": "ss01", "C": "ss01"})
    g.add_node("fiberlookup", 19, index="i", tensor="B", mode=0, format="compressed", root=True)
    g.add_node("broadcast", 18)
    g.add_node("repsiggen", 17, index="i")
    g.add_node("repeat", 16, index="i", tensor="C", root=True)
    g.add_node("fiberlookup", 15, index="k", tensor="C", mode=0, format="compressed")
    g.add_node("fiberlookup", 14, index="k", tensor="B", mode=1, format="compressed")
    g.add_node("intersect", 13, index="k", operands=["B", "C"])
    g.add_node("fiberlookup", 12, index="j", tensor="C", mode=1, format="compressed")
    g.add_node("broadcast", 11)
    g.add_node("repsiggen", 10, index="j")
    g.add_node("repeat", 9, index="j", tensor="B")
    g.add_node("arrayvals", 7, tensor="B")
    g.add_node("arrayvals", 8, tensor="C")
    g.add_node("mul", 6)
    g.add_node("crdhold", 5, outer="i", inner="k")
    g.add_node("crdhold", 4, outer="i", inner="j")
    g.add_node("spaccumulator", 3, order=1, in0="j", in1="i")
    g.add_node("fiberwrite", 2, index="i", tensor="X", mode="0", format="compressed",
               segsize="2", crdsize="B0_dim")
    g.add_node("fiberwrite", 1, index="j", tensor="X", mode="1", format="compressed",
               segsize="B0_dim+1", crdsize="B0_dim*C1_dim")
    g.add_node("fiberwrite", 0, tensor="X", mode="vals", size="1*B0_dim*C1_dim")
    for src, sp, dst, dp in [
            (19, "crd", 18, "in"), (18, "out", 5, "outer"), (18, "out", 17, "crd"),
            (17, "repsig", 16, "repsig"), (16, "ref", 15, "ref"), (19, "ref", 14, "ref"),
            (14, "crd", 13, "crd_B"), (14, "ref", 13, "ref_B"),
            (15, "crd", 13, "crd_C"), (15, "ref", 13, "ref_C"),
            (13, "crd", 5, "inner"), (13, "ref_B", 9, "ref"), (13, "ref_C", 12, "ref"),
            (12, "crd", 11, "in"), (11, "out", 4, "inner"), (11, "out", 10, "crd"),
            (10, "repsig", 9, "repsig"), (9, "ref", 7, "ref"), (12, "ref", 8, "ref"),
            (7, "val", 6, "val0"), (8, "val", 6, "val1"),
            (5, "outer", 4, "outer"), (4, "outer", 3, "crd_outer"),
            (4, "inner", 3, "crd_inner"), (6, "val", 3, "val"),
            (3, "crd_outer", 2, "crd"), (3, "crd_inner", 1, "crd"), (3, "val", 0, "val")]:
        g.connect(src, sp, dst, dp)
    return g


def residual() -> Graph:
    """x(i) = b(i) - C(i,j) * d(j): union, subtracting add (val0 - val1)."""
    g = Graph("mat_residual", {"x": "s0", "b": "s0", "C": "ss01", "d": "s0"})
    g.add_node("fiberlookup", 17, index="i", tensor="b", mode=0, format="compressed", root=True)
    g.add_node("fiberlookup", 18, index="i", tensor="C", mode=0, format="compressed", root=True)
    g.add_node("union", 16, index="i", operands=["b", "C"])
    g.add_node("broadcast", 15)
    g.add_node("fiberwrite", 1, index="i", tensor="x", mode="0", format="compressed",
               segsize="2", crdsize="b0_dim")
    g.add_node("repsiggen", 14, index="i")
    g.add_node("repeat", 13, index="i", tensor="d", root=True)
    g.add_node("fiberlookup", 12, index="j", tensor="d", mode=0, format="compressed")
    g.add_node("fiberlookup", 11, index="j", tensor="C", mode=1, format="compressed")
    g.add_node("intersect", 10, index="j", operands=["C", "d"])
    g.add_node("arrayvals", 4, tensor="b")
    g.add_node("arrayvals", 6, tensor="C")
    g.add_node("arrayvals", 7, tensor="d")
    g.add_node("mul", 5)
    g.add_node("reduce", 2)
    g.add_node("add", 3, sub=True)
    g.add_node("fiberwrite", 0, tensor="x", mode="vals", size="1*b0_dim")
    for src, sp, dst, dp in [
            (17, "crd", 16, "crd_b"), (17, "ref", 16, "ref_b"),
            (18, "crd", 16, "crd_C"), (18, "ref", 16, "ref_C"),
            (16, "crd", 15, "in"), (15, "out", 1, "crd"), (15, "out", 14, "crd"),
            (14, "repsig", 13, "repsig"), (13, "ref", 12, "ref"),
            (16, "ref_C", 11, "ref"), (16, "ref_b", 4, "ref"),
            (11, "crd", 10, "crd_C"), (11, "ref", 10, "ref_C"),
            (12, "crd", 10, "crd_d"), (12, "ref", 10, "ref_d"),
            (10, "ref_C", 6, "ref"), (10, "ref_d", 7, "ref"),
            (6, "val", 5, "val0"), (7, "val", 5, "val1"), (5, "val", 2, "val"),
            # val1 listed first on purpose: port names, not list order, carry meaning
            (2, "val", 3, "val1"), (4, "val", 3, "val0"), (3, "val", 0, "val")]:
        g.connect(src, sp, dst, dp)
    return g


def matmul_kij() -> Graph:
    """X(i,j) = B(i,k) * C(k,j), order kij: order-2 accumulator."""
    g = Graph("matmul_kij", {"X": "ss01", "B": "ss10", "C": "ss01"})
    g.add_node("fiberlookup", 17, index="k", tensor="B", mode=1, format="compressed", root=True)
    g.add_node("fiberlookup", 18, index="k", tensor="C", mode=0, format="compressed", root=True)
    g.add_node("intersect", 16, index="k", operands=["B", "C"])
    g.add_node("fiberlookup", 15, index="i", tensor="B", mode=0, format="compressed")
    g.add_node("broadcast", 14)
    g.add_node("repsiggen", 13, index="i")
    g.add_node("repeat", 12, index="i", tensor="C")
    g.add_node("fiberlookup", 11, index="j", tensor="C", mode=1, format="compressed")
    g.add_node("broadcast", 10)
    g.add_node("repsiggen", 9, index="j")
    g.add_node("repeat", 8, index="j", tensor="B")
    g.add_node("arrayvals", 6, tensor="B")
    g.add_node("arrayvals", 7, tensor="C")
    g.add_node("mul", 5)
    g.add_node("crdhold", 4, outer="i", inner="j")
    g.add_node("spaccumulator", 3, order=2, in0="j", in1="i")
    g.add_node("fiberwrite", 2, index="i", tensor="X", mode="0", format="compressed",
               segsize="2", crdsize="B0_dim")
    g.add_node("fiberwrite", 1, index="j", tensor="X", mode="1", format="compressed",
               segsize="B0_dim+1", crdsize="B0_dim*C1_dim")
    g.add_node("fiberwrite", 0, tensor="X", mode="vals", size="1*B0_dim*C1_dim")
    for src, sp, dst, dp in [
            (17, "crd", 16, "crd_B"), (17, "ref", 16, "ref_B"),
            (18, "crd", 16, "crd_C"), (18, "ref", 16, "ref_C"),
            (16, "ref_B", 15, "ref"), (16, "ref_C", 12, "ref"),
            (15, "crd", 14, "in"), (14, "out", 4, "outer"), (14, "out", 13, "crd"),
            (13, "repsig", 12, "repsig"), (12, "ref", 11, "ref"),
            (11, "crd", 10, "in"), (10, "out", 4, "inner"), (10, "out", 9, "crd"),
            (9, "repsig", 8, "repsig"), (15, "ref", 8, "ref"), (8, "ref", 6, "ref"),
            (11, "ref", 7, "ref"), (6, "val", 5, "val0"), (7, "val", 5, "val1"),
            (4, "outer", 3, "crd_outer"), (4, "inner", 3, "crd_inner"), (5, "val", 3, "val"),
            (3, "crd_outer", 2, "crd"), (3, "crd_inner", 1, "crd"), (3, "val", 0, "val")]:
        g.connect(src, sp, dst, dp)
    return g


ALL_BUILDERS = [spmv_ij, matmul_ikj, residual, matmul_kij]


@pytest.mark.parametrize("build", ALL_BUILDERS)
def test_builders_are_valid(build):
    g = build()
    assert g.problems() == []
    order = g.topological_order()
    pos = {n: i for i, n in enumerate(order)}
    assert all(pos[e.src] < pos[e.dst] for e in g.edges)


def test_differences_empty_for_copy_and_edge_order():
    g = residual()
    h = g.copy()
    h.edges.reverse()
    assert g.differences(h) == []


def test_differences_finds_each_kind():
    g = spmv_ij()
    h = g.copy()
    h.formats["c"] = "d0"
    h.nodes[8].attrs["format"] = "dense"
    h.nodes[3].type = "add"
    del h.nodes[2]
    h.add_node("reduce", 20)
    e = next(e for e in h.edges if e.dst == 3 and e.dst_port == "val1")
    e.dst_port = "val0"
    h.meta["expr"] = "x(i)=B(i,j)*c(j)"
    d = g.differences(h)
    text = "\n".join(d)
    assert "formats" in text
    assert "node 8: attrs" in text and "dense" in text
    assert "node 3: type mul != add" in text
    assert "node 2 only in first graph" in text
    assert "node 20 only in second graph" in text
    assert "edge 5.val -> 3.val1 (val) only in first graph" in text
    assert "edge 5.val -> 3.val0 (val) only in second graph" in text
    assert "meta" in text
    assert g.differences(h, meta=False) == [x for x in d if not x.startswith("meta")]


def test_differences_counts_duplicate_edges():
    g = spmv_ij()
    h = g.copy()
    h.edges.append(h.edges[0])
    assert g.differences(h) == ["edge 12.crd -> 11.in (crd) only in second graph"]


def test_summary_lists_tensors_and_types():
    s = spmv_ij().summary()
    assert s.splitlines()[0] == "mat_vecmul_ij: 13 nodes, 16 edges"
    assert "tensors: x (output, s0), B (input, ss01), c (input, s0)" in s
    assert "fiberlookup 3" in s and "broadcast 1" in s


def test_validate_lists_every_problem():
    g = spmv_ij()
    g.edges = [e for e in g.edges if not (e.dst == 3 and e.dst_port == "val1")]
    g.connect(4, "val", 2, "val")           # reduce input driven twice
    g.connect(2, "val", 4, "ref", type="val")  # cycle and a type mismatch
    g.formats["B"] = "qq01"                  # a level format we do not have
    with pytest.raises(GraphError) as ei:
        g.validate("spmv")
    p = "\n".join(ei.value.problems)
    assert "input port 'val1' is not connected" in p
    assert "input port 'val' is driven by 2 edges" in p
    assert "port 'ref' takes ref but edge" in p
    assert "cycle through nodes 2, 3, 4\n" in p + "\n"   # not the writer downstream
    assert "header: tensor B: format 'qq01': unknown level format letter 'q'" in p
    assert str(ei.value).startswith("spmv: ")
    assert len(ei.value.problems) >= 5


def test_fold_broadcasts_keeps_fanout():
    g = spmv_ij().fold_broadcasts()
    assert not g.nodes_of_type("broadcast")
    assert {(e.dst, e.dst_port) for e in g.out_edges(12, "crd")} == {(1, "crd"), (10, "crd")}
    assert g.problems() == []


@pytest.mark.parametrize("suffix", [".gv", ".dot", ".json"])
def test_save_load_dispatch_by_suffix(tmp_path, suffix):
    g = matmul_ikj()
    p = tmp_path / f"g{suffix}"
    g.save(p)
    h = Graph.load(p)
    assert g.differences(h) == []
    text = p.read_text()
    assert text.startswith("{") == (suffix == ".json")


def test_load_sniffs_json_without_suffix(tmp_path):
    g = spmv_ij()
    p = tmp_path / "graph.json"
    g.save(p)
    q = tmp_path / "graph.txt"
    q.write_text(p.read_text())
    assert g.differences(Graph.load(q)) == []


def test_save_unknown_suffix():
    with pytest.raises(GraphError, match="suffix '.xyz'"):
        spmv_ij().save("out.xyz")


def test_node_str_shows_mode_zero():
    assert str(spmv_ij().nodes[12]) == \
        "node 12 (fiberlookup index=i tensor=B mode=0 format=compressed)"


def test_connect_infers_stream_types():
    g = spmv_ij()
    assert {e.type for e in g.out_edges(11)} == {"crd"}      # through the broadcast
    h = Graph()
    h.add_node("broadcast", 0)
    h.add_node("repsiggen", 1)
    with pytest.raises(GraphError, match=r"cannot infer the stream type of edge "
                                         r"0.out -> 1.crd .*pass type="):
        h.connect(0, "out", 1, "crd")
    assert h.connect(0, "out", 1, "crd", type="ref").type == "ref"
    with pytest.raises(GraphError, match="names missing node 5"):
        h.connect(0, "out", 5, "crd")
