"""Custard: parser, checks and messages, graph structure against the
reference compiler's graphs, DOT/JSON round trips, CLI, compile time.
(End-to-end numerical checks on the golden model: test_custard_verify.py.)"""

from __future__ import annotations

import collections
import json
import shutil
import time

import pytest

import custard
from custard.analysis import parse_format_flag, parse_schedule
from custard.cli import main
from custard.parser import Access, BinOp
from sam import dot, jsonio


def types(g):
    return collections.Counter(n.type for n in g.nodes.values() if n.type != "broadcast")


def only(g, type_):
    ns = [n for n in g.nodes.values() if n.type == type_]
    assert len(ns) == 1, (type_, ns)
    return ns[0]


# ----------------------------------------------------------------------------
# parser

@pytest.mark.parametrize("text", [
    "X(i,j) = B(i,k) * C(k,j)",
    "x(i) = b(i) - C(i,j) * d(j)",
    "x = B(i,j,k) * C(i,j,k)",
    "x(i) = b * C(j,i) * d(j) + e * f(i)",
    "X(i,j)=(B(i,j)+C(i,j))*D(i,j)",
    "  X ( i , j ) =B(i,j)  ",
])
def test_parse_issue_examples(text):
    st = custard.parse(text)
    assert st.text == text
    assert all(isinstance(a, Access) for a in st.accesses)


def test_parse_tree_shape_and_columns():
    st = custard.parse("x(i) = b(i) - C(i,j) * d(j)")
    assert isinstance(st.rhs, BinOp) and st.rhs.op == "-"
    assert isinstance(st.rhs.right, BinOp) and st.rhs.right.op == "*"
    assert [a.name for a in st.accesses] == ["b", "C", "d"]
    assert st.accesses[1].col == 14 and st.accesses[1].index_cols == (16, 18)
    sc = custard.parse("x = b * c(i)")
    assert sc.lhs.indices == () and sc.accesses[0].indices == ()
    # left associative, * binds tighter than +
    t = custard.parse("X(i)=a(i)+b(i)*c(i)+d(i)").rhs
    assert t.op == "+" and t.left.op == "+" and t.left.right.op == "*"


@pytest.mark.parametrize("text,col,needle", [
    ("X(i,j) = B(i,k) * * C(k,j)", 18, "expected a tensor access"),
    ("X(i,j) = B(i,k) C(k,j)", 16, "expected an operator"),
    ("X(i,j) = B(i,k", 14, "expected ',' or ')'"),
    ("X(i,j) B(i,j)", 7, "expected '='"),
    ("X(i,j) = B(i,j) / C(i,j)", 16, "division"),
    ("X(i,j) = 2 * B(i,j)", 9, "constants"),
    ("X(i,j) = B(i,j) $ C", 16, "unexpected character"),
    ("X(i,j) = B()", 11, "expected an index variable"),
    ("X(i,j) = (B(i,j)", 16, "expected ')'"),
])
def test_syntax_errors_point_at_the_column(text, col, needle):
    with pytest.raises(custard.CustardError) as ei:
        custard.parse(text)
    err = ei.value
    assert needle in str(err) and err.col == col
    lines = str(err).splitlines()
    caret = next(l for l in lines if l.strip().startswith("^"))
    src = lines[lines.index(caret) - 1]
    assert caret.index("^") - src.index(text[0]) == col


# ----------------------------------------------------------------------------
# flags

def test_format_and_schedule_flags():
    n, f = parse_format_flag("-f=C:ss:1,0")
    assert n == "C" and str(f) == "ss10"
    assert str(parse_format_flag("B:ds")[1]) == "ds01"
    assert str(parse_format_flag("b:none")[1]) == "none"
    assert parse_schedule("-s=reorder(i, k,j)") == ["i", "k", "j"]
    for bad in ("C", "C:sx", "C:ss:1;0", "C:ss:0,0"):
        with pytest.raises(custard.CustardError):
            parse_format_flag(bad)
    with pytest.raises(custard.CustardError, match="reorder"):
        parse_schedule("order(i,j)")


# ----------------------------------------------------------------------------
# semantic errors and the support check

MATMUL = "X(i,j) = B(i,k) * C(k,j)"


@pytest.mark.parametrize("kw,needle,fix", [
    (dict(formats={"Q": "ss"}), "-f names tensor Q", "tensors are X, B, C"),
    (dict(formats={"B": "s"}), "has 1 level(s) but B(i,k) has 2", "-f=B:ss"),
    (dict(formats={"B": "sss"}), "has 3 level(s)", "-f=B:ss"),
    (dict(schedule="reorder(i,q,j)"), "q not in the expression", "reorder(i,j,k)"),
    (dict(schedule="reorder(i,i,j)"), "more than once", "reorder"),
])
def test_bad_flags(kw, needle, fix):
    with pytest.raises(custard.CustardError) as ei:
        custard.compile(MATMUL, **kw)
    assert needle in str(ei.value) and fix in str(ei.value)


@pytest.mark.parametrize("text,needle,col", [
    ("X(i,l) = B(i,k) * C(k,j)", "output index l does not appear", 4),
    ("X(i,j) = B(i,i) * C(i,j)", "index i appears twice in the access B(i,i)", 13),
    ("X(i,i) = B(i,j)", "index i appears twice", 4),
    ("X(i,j) = B(i,j) * B(i,j)", "tensor B is used twice", 18),
    ("X(i,j) = X(i,j) + B(i,j)", "also appears on the right-hand side", 9),
    ("x = b * c", "no index variables", None),
])
def test_semantic_errors(text, needle, col):
    with pytest.raises(custard.CustardError) as ei:
        custard.compile(text)
    assert needle in str(ei.value)
    if col is not None:
        assert ei.value.col == col


def test_check_reports_discordance_with_both_fixes():
    probs = custard.check(MATMUL)
    assert len(probs) == 1
    p = probs[0]
    assert p.message == ("C is stored ss with mode order 0,1 but the loop order visits "
                         "j before k")
    assert p.fix == "give -f=C:ss:1,0 or -s=reorder(i,k,j)"
    assert custard.check(MATMUL, {"C": "ss:1,0"}) == []
    assert custard.check(MATMUL, schedule="reorder(i,k,j)") == []


def test_check_lists_every_problem():
    probs = custard.check(MATMUL, {"X": "ss:1,0", "B": "ss:1,0"})
    msgs = [p.message for p in probs]
    assert any(m.startswith("X is stored") for m in msgs)
    assert any(m.startswith("B is stored") for m in msgs)
    assert any(m.startswith("C is stored") for m in msgs)
    # the schedule fix, when offered, is itself supported
    for p in probs:
        if "-s=" in (p.fix or ""):
            sched = p.fix.split("-s=")[1]
            assert custard.check(MATMUL, {"X": "ss:1,0", "B": "ss:1,0"}, sched) == []


@pytest.mark.parametrize("text,kw,sched,needle", [
    ("x(i) = b + c(i)", {}, None, "b does not depend on i but is added"),
    ("x(i) = B(i,j) * c(j) + D(i,k) * e(k)", {}, None, "independent reductions"),
    ("X(i,j) = B(k,l,i) * C(k,l,j)", {}, "reorder(k,l,i,j)",
     "visits reduced index k, l before output index j"),
    ("x(i) = b(i) - C(i,j) * d(j)", {"C": "ss:1,0"}, "reorder(j,i)",
     "visits reduced index j before output index i"),
    ("X(i,j,l) = B(i,k) * C(k,j,l)", {"B": "ss:1,0"}, "reorder(k,i,j,l)",
     "visits reduced index k before"),
])
def test_refusals(text, kw, sched, needle):
    probs = custard.check(text, kw, sched)
    assert any(needle in p.message for p in probs), [p.message for p in probs]
    with pytest.raises(custard.CustardError):
        custard.compile(text, kw, sched)


def test_accumulator_below_outer_output_levels():
    g = custard.compile("X(i,j,l) = B(i,k) * C(k,j,l)", schedule="reorder(i,k,j,l)")
    sp = only(g, "spaccumulator").attrs
    assert (sp["order"], sp["in0"], sp["in1"]) == (2, "l", "j")
    g = custard.compile("tensor3_ttm", schedule="reorder(i,j,l,k)", formats={"C": "ss:1,0"})
    sp = only(g, "spaccumulator").attrs
    assert (sp["order"], sp["in0"], sp["in1"]) == (1, "k", "j")


def test_accumulator_with_a_reduction_after_it():
    g = custard.compile("tensor3_mttkrp", schedule="reorder(i,k,j,l)",
                        formats={"C": "ss:1,0", "D": "ss"})
    assert types(g)["reduce"] == 1 and types(g)["spaccumulator"] == 1
    drop = only(g, "crddrop")
    assert drop.attrs["vals"] and drop.attrs["outer"] == "j"
    sp = only(g, "spaccumulator")
    assert g.input_edge(sp.id, "val").src == drop.id


def test_partial_reorder_is_taco_like():
    # default i,j,k; reorder(j,i) puts j and i, in that order, in their slots
    p = custard.plan(MATMUL, {"X": "ss:1,0", "C": "ss:1,0"}, "reorder(j,i)")
    assert p.order == ["j", "i", "k"]


def test_default_loop_order_is_first_appearance():
    assert custard.plan("X(i,j) = B(i,k,l) * C(j,k) * D(j,l)").order == ["i", "j", "k", "l"]
    assert custard.plan("x(i) = b * C(j,i) * d(j)", {"C": "ss:1,0"}).order == ["i", "j"]


# ----------------------------------------------------------------------------
# structure: the reference compiler's graphs (spec 3.5, commit e84a882f and
# the onyx-dot graphs), node types without broadcasts

REF_IKJ = {"fiberlookup": 4, "repsiggen": 2, "repeat": 2, "intersect": 1, "arrayvals": 2,
           "mul": 1, "crdhold": 2, "spaccumulator": 1, "fiberwrite": 3}
REF_KIJ = {"fiberlookup": 4, "repsiggen": 2, "repeat": 2, "intersect": 1, "arrayvals": 2,
           "mul": 1, "crdhold": 1, "spaccumulator": 1, "fiberwrite": 3}
REF_IJK = {"fiberlookup": 4, "repsiggen": 2, "repeat": 2, "intersect": 1, "arrayvals": 2,
           "mul": 1, "reduce": 1, "fiberwrite": 3}
REF_RESIDUAL = {"fiberlookup": 4, "union": 1, "intersect": 1, "repsiggen": 1, "repeat": 1,
                "arrayvals": 3, "add": 1, "mul": 1, "reduce": 1, "fiberwrite": 2}
REF_MATTRANSMUL = {"fiberlookup": 4, "union": 1, "intersect": 1, "repsiggen": 2, "repeat": 4,
                   "arrayvals": 5, "mul": 3, "add": 1, "reduce": 1, "fiberwrite": 2}
REF_MTTKRP = {"fiberlookup": 7, "intersect": 3, "repsiggen": 4, "repeat": 5, "arrayvals": 3,
              "mul": 2, "reduce": 2, "fiberwrite": 3}
REF_ELEMADD3 = {"fiberlookup": 6, "union": 2, "arrayvals": 3, "add": 2, "fiberwrite": 3}


@pytest.mark.parametrize("name,ref,extra", [
    ("spmspm_ikj", REF_IKJ, {}),
    ("spmspm_jki", REF_IKJ, {}),
    ("spmspm_kij", REF_KIJ, {}),
    ("spmspm_kji", REF_KIJ, {}),
    ("spmspm_ijk", REF_IJK, {"crddrop": 2}),      # onyx matmul_ijk_crddrop has two too
    ("spmspm_jik", REF_IJK, {"crddrop": 2}),
    ("mat_residual", REF_RESIDUAL, {"crddrop": 1}),
    ("mat_mattransmul", REF_MATTRANSMUL, {"crddrop": 1}),
    ("tensor3_mttkrp", REF_MTTKRP, {"crddrop": 2}),
    ("mat_elemadd3", REF_ELEMADD3, {}),
])
def test_node_vocabulary_matches_reference(name, ref, extra):
    want = collections.Counter(ref) + collections.Counter(extra)
    assert types(custard.compile(name)) == want


def test_spmv_against_reference_dot_files():
    ij = dot.load("tests/data/mat_vecmul_ij.gv")
    assert types(custard.compile("spmv")) == types(ij) + collections.Counter({"crddrop": 1})
    with pytest.warns(Warning):
        ji = dot.load("tests/data/mat_vecmul_ji.gv")
    g = custard.compile("x(i)=B(i,j)*c(j)", {"B": "ss:1,0"}, "reorder(j,i)")
    assert types(g) == types(ji)
    assert g.formats == ji.formats == {"x": "s0", "B": "ss10", "c": "s0"}


def test_ikj_attributes_match_reference():
    g = custard.compile("spmspm_ikj")
    assert g.formats == {"X": "ss01", "B": "ss01", "C": "ss01"}
    sp = only(g, "spaccumulator").attrs
    assert (sp["order"], sp["in0"], sp["in1"]) == (1, "j", "i")
    w = {n.attrs["mode"]: n.attrs for n in g.nodes_of_type("fiberwrite")}
    assert (w["0"]["segsize"], w["0"]["crdsize"]) == ("2", "B0_dim")
    assert (w["1"]["segsize"], w["1"]["crdsize"]) == ("B0_dim+1", "B0_dim*C1_dim")
    assert w["vals"]["size"] == "1*B0_dim*C1_dim"
    holds = sorted((n.attrs["outer"], n.attrs["inner"]) for n in g.nodes_of_type("crdhold"))
    assert holds == [("i", "j"), ("i", "k")]
    scans = sorted((n.attrs["tensor"], n.attrs["index"], n.attrs["mode"], n.attrs["root"])
                   for n in g.nodes_of_type("fiberlookup"))
    assert scans == [("B", "i", 0, True), ("B", "k", 1, False),
                     ("C", "j", 1, False), ("C", "k", 0, False)]
    rep = sorted((n.attrs["tensor"], n.attrs["index"], n.attrs["root"])
                 for n in g.nodes_of_type("repeat"))
    assert rep == [("B", "j", False), ("C", "i", True)]


def test_kji_spacc_and_writer_sizes():
    g = custard.compile("spmspm_kji")
    sp = only(g, "spaccumulator").attrs
    assert (sp["order"], sp["in0"], sp["in1"]) == (2, "i", "j")
    w = {n.attrs["mode"]: n.attrs for n in g.nodes_of_type("fiberwrite")}
    assert w["1"]["crdsize"] == "C1_dim" and w["0"]["segsize"] == "C1_dim+1"
    assert w["vals"]["size"] == "1*C1_dim*B0_dim"


def test_scalars_and_scalar_output():
    g = custard.compile("mat_mattransmul")
    assert g.formats == {"x": "s0", "b": "none", "C": "ss10", "d": "s0", "e": "none", "f": "s0"}
    roots = {n.attrs["tensor"] for n in g.nodes_of_type("repeat") if n.attrs["root"]}
    assert {"b", "e", "d"} <= roots
    ip = custard.compile("tensor3_innerprod")
    ws = ip.nodes_of_type("fiberwrite")
    assert len(ws) == 1 and ws[0].attrs["mode"] == "vals" and ws[0].attrs["size"] == "1"
    assert types(ip)["reduce"] == 3
    assert ip.formats == {"x": "none", "B": "sss012", "C": "sss012"}


def test_dense_output_levels_and_no_drop_for_dense_parent():
    g = custard.compile("X(i,j) = B(i,k) * C(k,j)", {"X": "ds", "B": "ds", "C": "dd:1,0"},
                        "reorder(i,j,k)")
    w = {n.attrs["mode"]: n.attrs for n in g.nodes_of_type("fiberwrite")}
    assert w["0"]["format"] == "dense" and "segsize" not in w["0"] or w["0"]["segsize"] is None
    drops = g.nodes_of_type("crddrop")
    assert [d.attrs["vals"] for d in drops] == [True]      # no (i,j) drop under dense X0


def test_three_operand_union_is_one_node():
    g = custard.compile("mat_elemadd3")
    for u in g.nodes_of_type("union"):
        assert u.attrs["operands"] == ["B", "C", "D"]


def test_mixed_join_splits_per_reference():
    g = custard.compile("X(i,j) = (B(i,j) + C(i,j)) * D(i,j)")
    per_index = collections.defaultdict(list)
    for n in g.nodes_of_type("intersect"):
        per_index[n.attrs["index"]].append(tuple(n.attrs["operands"]))
    assert sorted(per_index["i"]) == [("B", "D"), ("C", "D")]


@pytest.mark.parametrize("name", list(custard.KERNELS))
def test_every_kernel_round_trips_json(name):
    g = custard.compile(name)
    g.validate()
    back = jsonio.loads(jsonio.dumps(g))
    assert types(back) == types(g) and back.formats == g.formats
    assert len(back.edges) == len(g.edges)


@pytest.mark.parametrize("name", ["spmv", "spmspm_ikj", "spmspm_kij", "mat_mattransmul",
                                  "tensor3_innerprod", "mat_elemadd3"])
def test_round_trips_dot(name):
    g = custard.compile(name)
    for back in (dot.loads(dot.dumps(g)),):
        assert types(back) == types(g)
        assert back.formats == g.formats
        assert len(back.edges) == len(g.edges)


def test_compile_time_under_one_second():
    worst = 0.0
    for name in custard.KERNELS:
        t0 = time.perf_counter()
        custard.compile(name)
        worst = max(worst, time.perf_counter() - t0)
    print(f"slowest library kernel compile: {worst * 1e3:.2f} ms")
    assert worst < 1.0


def test_library_covers_the_issue_list():
    need = """vec_elemadd vec_elemmul vec_scalar_mul mat_identity mat_elemadd mat_elemmul
    mat_elemadd3 spmv spmm spmspm_ijk spmspm_ikj spmspm_jik spmspm_jki spmspm_kij spmspm_kji
    sddmm mat_residual mat_mattransmul plus3 tensor3_elemadd tensor3_elemmul tensor3_innerprod
    tensor3_ttv tensor3_ttm tensor3_mttkrp""".split()
    assert set(need) <= set(custard.KERNELS)
    assert custard.get_kernel("matmul_kij").name == "spmspm_kij"


def test_unknown_kernel_suggests_names():
    with pytest.raises(custard.CustardError) as ei:
        custard.compile("spmspm_ikk")
    assert "unknown kernel 'spmspm_ikk'" in str(ei.value) and "spmspm_ikj" in str(ei.value)


def test_kernel_formats_are_overridable():
    g = custard.compile("spmv", {"B": "ds", "c": "d"})
    assert g.formats == {"x": "s0", "B": "ds01", "c": "d0"}
    assert custard.compile("spmspm_ikj", schedule="reorder(i,j,k)",
                           formats={"C": "ss:1,0"}).nodes_of_type("reduce")


# ----------------------------------------------------------------------------
# CLI

def test_cli_list(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in custard.KERNELS:
        assert name in out


def test_cli_compile_outputs(tmp_path, capsys):
    gv, js, png = tmp_path / "m.gv", tmp_path / "m.json", tmp_path / "m.png"
    argv = [MATMUL, "-f=C:ss:1,0", "-s=reorder(i,j,k)", "-o", str(gv), "--json", str(js)]
    if shutil.which("dot"):
        argv += ["--png", str(png)]
    assert main(argv) == 0
    g = dot.load(gv)
    assert g.formats == {"X": "ss01", "B": "ss01", "C": "ss10"}
    assert json.loads(js.read_text())
    if shutil.which("dot"):
        assert png.read_bytes()[:4] == b"\x89PNG"
    assert main(["spmv"]) == 0
    assert capsys.readouterr().out.startswith("digraph SAM {")


def test_cli_check(capsys, tmp_path):
    assert main([MATMUL, "--check", "-o", str(tmp_path / "no.gv")]) == 1
    out = capsys.readouterr().out
    assert "not supported" in out and "-f=C:ss:1,0" in out and "-s=reorder(i,k,j)" in out
    assert not (tmp_path / "no.gv").exists()
    assert main(["spmspm_kij", "--check"]) == 0
    assert "supported" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    [MATMUL, "-f=Q:ss"],
    [MATMUL, "-f=B:s"],
    ["X(i,l) = B(i,k) * C(k,j)"],
    ["X(i,j) = B(i,i) * C(i,j)"],
    [MATMUL],
    [MATMUL, "-s=reorder(i,j)x"],
    ["X(i,j) = B(i,k) * * C(k,j)"],
    ["no_such_kernel"],
])
def test_cli_bad_input_is_one_message(argv, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert "fix" in err or "^" in err or "expected" in err
