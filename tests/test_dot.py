"""DOT and JSON graph I/O: the reference vocabulary, round trips, and one
clear message per malformed input (every problem listed, with node ids)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from sam import dot, jsonio, render
from sam.graph import Graph, GraphError
from graphs import SPEC_34_STREAMS
from test_graph import ALL_BUILDERS, matmul_ikj, residual, spmv_ij

DATA = Path(__file__).parent / "data"
REFERENCE_STYLE = sorted(DATA.glob("*.gv"))


def load_quiet(path) -> Graph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dot.DotWarning)
        return dot.load(path)


def problems_of(text: str) -> list[str]:
    with pytest.raises(GraphError) as ei:
        dot.loads(text, source="t.gv")
    assert str(ei.value).startswith("t.gv: ")
    return ei.value.problems


HEAD = 'digraph SAM {\n    comment="x=s0,b=s0"\n'
SCAN_B = ('    1 [type="fiberlookup" index="i" tensor="b" mode="0" format="compressed" '
          'root="true"]\n')
WRITE_X = ('    0 [type="fiberwrite" index="i" tensor="x" mode="0" format="compressed"]\n')


# --------------------------------------------------------------------------
# The spec 3.4 graph, written by hand in the reference compiler's format

def test_spec_spmv_loads_to_expected_ir():
    g = dot.load(DATA / "mat_vecmul_ij.gv")
    assert g.name == "mat_vecmul_ij"
    assert g.formats == {"x": "s0", "B": "ss01", "c": "s0"}
    assert list(g.formats) == ["x", "B", "c"]       # output first, then inputs
    assert spmv_ij().differences(g) == []
    assert g.problems() == []
    # cosmetic attributes are kept, typed ones are typed
    assert g.nodes[12].extra["label"] == "FiberLookup i: B0\\ncompressed"
    assert g.nodes[12].attrs["mode"] == 0 and g.nodes[12].attrs["root"] is True
    assert g.nodes[6].attrs["operands"] == ["B", "c"]


def test_spec_spmv_dump_matches_reference_lines():
    """Every node and edge line we print for the spec graph is the reference
    compiler's line, except the joiner's added operands attribute and the
    empty comment="" the reference prints on some edges."""
    src = (DATA / "mat_vecmul_ij.gv").read_text().splitlines()
    out = dot.dumps(dot.load(DATA / "mat_vecmul_ij.gv")).splitlines()
    assert out[:2] == src[:2] and out[-1] == "}"
    for line in src[2:-1]:
        want = line.replace(' comment=""', "")
        if want.lstrip().startswith("6 ["):
            want = want[:-1] + ' operands="B,c"]'
        assert want in out, f"missing: {want}"
    assert len(out) == len(src)


@pytest.mark.parametrize("path", REFERENCE_STYLE, ids=lambda p: p.name)
def test_reference_style_files_round_trip(path):
    g = load_quiet(path)
    assert g.problems() == []
    text = dot.dumps(g)
    assert load_quiet_text(text).differences(g) == []
    assert jsonio.loads(jsonio.dumps(g)).differences(g) == []
    assert dot.dumps(load_quiet_text(text)) == text   # printing is deterministic


def load_quiet_text(text: str) -> Graph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dot.DotWarning)
        return dot.loads(text)


@pytest.mark.parametrize("build", ALL_BUILDERS, ids=lambda b: b.__name__)
def test_hand_built_graphs_round_trip(build):
    g = build()
    g.meta = {"expr": 'x(i) = "b" \\ c', "schedule": ["i", "j"], "n": 3}
    d = dot.loads(dot.dumps(g))
    assert g.differences(d) == []
    j = jsonio.loads(jsonio.dumps(g))
    assert g.differences(j) == []
    # DOT -> JSON -> DOT
    assert g.differences(dot.loads(dot.dumps(jsonio.loads(jsonio.dumps(d))))) == []


def test_dump_writes_reference_vocabulary_for_spacc_and_crdhold():
    text = dot.dumps(matmul_ikj())
    lines = text.splitlines()
    # crdhold/spacc edge comments as the reference compiler prints them
    for want in ['18 -> 5 [label="crd_i" style=dashed type="crd" comment="i"]',
                 '13 -> 5 [label="crd_k" style=dashed type="crd" comment="k"]',
                 '5 -> 4 [label="crd_outer-i" style=dashed type="crd" comment="outer-i"]',
                 '4 -> 3 [label="crd_outer-i" style=dashed type="crd" comment="outer-i"]',
                 '4 -> 3 [label="crd_inner-j" style=dashed type="crd" comment="inner-j"]',
                 '3 -> 2 [label="crd_out-i" style=dashed type="crd" comment="out-i"]',
                 '3 -> 1 [label="crd_out-j" style=dashed type="crd" comment="out-j"]',
                 '13 -> 9 [label="ref_out-B" style=bold type="ref" comment="out-B"]',
                 '10 -> 9 [label="repsig" style=dotted type="repsig"]',
                 '3 -> 0 [label="val" type="val"]']:
        assert "    " + want in lines, want
    node3 = next(x for x in lines if x.startswith("    3 ["))
    assert 'comment="type=spaccumulator,order=1,in0=j,in1=i"' in node3
    assert 'type="spaccumulator" order="1" in0="j" in1="i"' in node3
    node0 = next(x for x in lines if x.startswith("    0 ["))
    assert node0 == ('    0 [comment="type=fiberwrite,mode=vals,tensor=X,size=1*B0_dim*C1_dim,'
                     'sink=true" label="FiberWrite Vals: X" color=green3 shape=box style=filled '
                     'type="fiberwrite" tensor="X" mode="vals" size="1*B0_dim*C1_dim" sink="true"]')
    assert "src_port" not in text and "dst_port" not in text


def test_alu_operands_follow_port_names_not_list_order():
    g = residual()                           # val1 edge of node 3 listed before val0
    text = dot.dumps(g)
    lines = [x.strip() for x in text.splitlines()]
    assert lines.index('4 -> 3 [label="val" type="val"]') < \
        lines.index('2 -> 3 [label="val" type="val"]')
    h = dot.loads(text)
    assert h.input_edge(3, "val0").src == 4 and h.input_edge(3, "val1").src == 2
    assert 'comment="type=add,sub=1"' in text and 'sub="1"' in text


def test_alu_inputs_by_file_order():
    g = dot.load(DATA / "mat_vecmul_ij.gv")
    assert g.input_edge(3, "val0").src == 4 and g.input_edge(3, "val1").src == 5
    text = (DATA / "mat_vecmul_ij.gv").read_text()
    swapped = text.replace('    4 -> 3 [label="val" type="val"]\n', "").replace(
        '    5 -> 3 [label="val" type="val"]\n',
        '    5 -> 3 [label="val" type="val"]\n    4 -> 3 [label="val" type="val"]\n')
    h = dot.loads(swapped)
    assert h.input_edge(3, "val0").src == 5 and h.input_edge(3, "val1").src == 4


def test_joiner_operands_from_in_comments_in_file_order():
    text = (DATA / "mat_vecmul_ij.gv").read_text()
    lines = text.splitlines()
    b = [x for x in lines if "7 -> 6" in x]
    c = [x for x in lines if "8 -> 6" in x]
    rest = [x for x in lines if x not in b + c]
    moved = rest[:-1] + c + b + rest[-1:]
    g = dot.loads("\n".join(moved))
    assert g.nodes[6].attrs["operands"] == ["c", "B"]
    assert g.input_edge(6, "crd_B").src == 7 and g.input_edge(6, "ref_c").src == 8
    # a typed operands attribute wins over file order
    typed = "\n".join(moved).replace('type="intersect" index="j"',
                                     'type="intersect" index="j" operands="B,c"')
    assert dot.loads(typed).nodes[6].attrs["operands"] == ["B", "c"]


def test_spacc_reduced_index_edge_is_dropped_with_warning():
    with pytest.warns(dot.DotWarning) as rec:
        g = dot.load(DATA / "mat_vecmul_ji.gv")
    msgs = [str(w.message) for w in rec]
    assert any(m.startswith(f"{DATA / 'mat_vecmul_ji.gv'}: node 2 (spaccumulator)")
               and "edge 10 -> 2 (crd_j)" in m
               and "reduced index 'j'" in m and "unaffected" in m for m in msgs), msgs
    assert any("node 3 is declared more than once" in m for m in msgs), msgs
    assert g.input_edge(2, "crd_inner").src == 8
    assert not [e for e in g.edges if e.src == 10 and e.dst == 2]
    assert g.out_edges(2, "crd_inner")[0].dst == 1
    assert g.nodes[2].attrs["in1"] is None
    assert g.problems() == []


IKJ_TAIL = '''
    5 [comment="type=crdhold,outer=i,inner=k" label="CrdHold i,k
outer=i,inner=k" color=orange shape=box style=filled type="crdhold" outer="i" inner="k"]
    4 [comment="type=crdhold,outer=i,inner=j" type="crdhold" outer="i" inner="j"]
    3 [comment="type=spaccumulator,order=1,in0=j,in1=i" label="SparseAccumulator 1 
0=j 1=i " color=brown shape=box style=filled type="spaccumulator" order="1" in0="j" in1="i"]
    6 [type="mul"]
    2 [type="fiberwrite" index="i" tensor="X" mode="0" format="compressed"]
    1 [type="fiberwrite" index="j" tensor="X" mode="1" format="compressed"]
    0 [type="fiberwrite" tensor="X" mode="vals"]
    18 [type="broadcast"]
    13 [type="intersect" index="k" operands="B,C"]
    11 [type="broadcast"]
    18 -> 5 [label="crd_i" style=dashed type="crd" comment="i"]
    5 -> 4 [label="crd_outer-i" style=dashed type="crd" comment="outer-i"]
    4 -> 3 [label="crd_outer-i" style=dashed type="crd" comment="outer-i"]
    3 -> 0 [label="val" type="val"]
    3 -> 1 [label="crd_out-j" style=dashed type="crd" comment="out-j"]
    3 -> 2 [label="crd_out-i" style=dashed type="crd" comment="out-i"]
    4 -> 3 [label="crd_inner-j" style=dashed type="crd" comment="inner-j"]
    5 -> 3 [label="crd_inner-k" style=dashed type="crd" comment="inner-k"]
    13 -> 5 [label="crd_k" style=dashed type="crd" comment="k"]
    11 -> 4 [label="crd_j" style=dashed type="crd" comment="j"]
    6 -> 3 [label="val" type="val"]
}
'''


def test_crdhold_and_spacc_ports_from_reference_comments():
    with pytest.warns(dot.DotWarning, match=r"edge 5 -> 3 \(crd_inner-k\)"):
        g = dot.loads('digraph SAM {\n    comment="X=ss01,B=ss01,C=ss01"' + IKJ_TAIL)
    got = {(e.src, e.src_port, e.dst, e.dst_port) for e in g.edges}
    assert got == {
        (18, "out", 5, "outer"), (5, "outer", 4, "outer"), (4, "outer", 3, "crd_outer"),
        (3, "val", 0, "val"), (3, "crd_inner", 1, "crd"), (3, "crd_outer", 2, "crd"),
        (4, "inner", 3, "crd_inner"), (13, "crd", 5, "inner"), (11, "out", 4, "inner"),
        (6, "val", 3, "val")}
    assert g.nodes[5].extra["label"] == "CrdHold i,k\nouter=i,inner=k"


def test_vals_variant_crddrop():
    g = dot.load(DATA / "vec_ds_compression.gv")
    assert g.input_edge(4, "outer").src == 3        # comment "in-i"
    assert g.input_edge(4, "inner").src == 2        # comment "in-vals"
    assert g.out_edges(4, "inner")[0].dst == 0      # comment "inner-vals"
    assert g.nodes[4].attrs["vals"] is True


def test_typed_attributes_win_and_comment_is_the_fallback():
    text = HEAD + (
        '    1 [comment="type=fiberlookup,index=i,tensor=b,mode=0,format=compressed,'
        'src=true,root=true"]\n'
        '    0 [comment="type=fiberwrite,index=i,tensor=x,mode=0,format=compressed" '
        'tensor="y"]\n'
        '    1 -> 0 [label="crd_"]\n}\n')
    g = dot.loads(text)
    assert g.nodes[1].type == "fiberlookup" and g.nodes[1].attrs["root"] is True
    assert g.nodes[0].attrs["tensor"] == "y" and g.nodes[0].attrs["index"] == "i"
    assert g.edges[0].type == "crd"                 # type inferred from the label


def test_conflicting_duplicate_node_warns_and_later_wins():
    text = HEAD + SCAN_B + SCAN_B.replace('tensor="b"', 'tensor="c"') + WRITE_X + \
        '    1 -> 0 [type="crd"]\n}\n'
    with pytest.warns(dot.DotWarning, match="node 1 is declared more than once; "
                                            "later values win for tensor"):
        g = dot.loads(text)
    assert g.nodes[1].attrs["tensor"] == "c"


def test_unexpressible_comment_uses_explicit_ports():
    """A crdhold output feeding a joiner input: one comment cannot name both
    ends, so the writer adds src_port/dst_port and the reader uses them."""
    g = Graph("odd", {})
    g.add_node("fiberlookup", 0, index="i", tensor="B", mode=0, format="compressed", root=True)
    g.add_node("fiberlookup", 1, index="j", tensor="B", mode=1, format="compressed")
    g.add_node("crdhold", 2, outer="i", inner="j")
    g.add_node("fiberlookup", 3, index="j", tensor="C", mode=0, format="compressed", root=True)
    g.add_node("intersect", 4, index="j", operands=["B", "C"])
    g.connect(0, "crd", 2, "outer")
    g.connect(0, "ref", 1, "ref")
    g.connect(1, "crd", 2, "inner")
    g.connect(2, "outer", 4, "crd_B")
    g.connect(1, "ref", 4, "ref_B")
    g.connect(3, "crd", 4, "crd_C")
    g.connect(3, "ref", 4, "ref_C")
    text = dot.dumps(g)
    assert 'comment="outer-i" dst_port="crd_B"' in text
    assert g.differences(dot.loads(text)) == []


def test_graph_without_formats_or_meta():
    g = Graph("empty")
    text = dot.dumps(g)
    assert text == 'digraph SAM {\n    comment=""\n}\n'
    h = dot.loads(text)
    assert h.nodes == {} and h.formats == {} and h.meta == {}


# --------------------------------------------------------------------------
# Malformed DOT: one GraphError listing every problem

def test_syntax_error_names_line_and_column():
    p = problems_of('digraph SAM {\n    comment="x=s0"\n    1 [type="mul"\n    2 -> 1\n}\n')
    assert len(p) == 1
    assert p[0].startswith("line 3, column ") and "malformed DOT" in p[0]


def test_syntax_error_from_file_names_the_file(tmp_path):
    f = tmp_path / "broken.gv"
    f.write_text("digraph SAM {\n  1 -> \n")
    with pytest.raises(GraphError, match=r"broken\.gv: line \d+, column \d+: malformed DOT"):
        dot.load(f)


@pytest.mark.parametrize("text, expected", [
    ("", "malformed DOT"),
    ("graph SAM { 1 -- 2 }", "expected a digraph"),
    ("digraph A {} digraph B {}", "expected one digraph, found 2"),
])
def test_not_one_digraph(text, expected):
    p = problems_of(text)
    assert len(p) == 1 and expected in p[0]


def test_every_problem_is_listed_with_node_ids():
    text = ('digraph SAM {\n    comment="x=s0,b=q1,oops"\n' + SCAN_B + WRITE_X +
            '    2 [type="flubber"]\n'
            '    3 [type="intersect" index="i"]\n'
            '    4 [type="mul"]\n'
            '    5 [label="no type here"]\n'
            '    6 [type="fiberlookup" index="j" mode="x" format="compressed"]\n'
            '    abc [type="mul"]\n'
            '    1 -> 3 [type="crd" comment="in-b"]\n'
            '    1 -> 3 [type="ref" comment="in-b"]\n'
            '    3 -> 0 [type="ref" comment="out-q"]\n'
            '    3 -> 9 [type="crd"]\n'
            '    1 -> 4 [type="val"]\n'
            '    4 -> 4 [type="val"]\n'
            '    4 -> 4 [type="val"]\n'
            '    1 -> 0 [label="fancy"]\n'
            '    1 -> 0 [type="bits"]\n'
            '}\n')
    p = problems_of(text)
    text_p = "\n".join(p)
    for want in ["graph comment: tensor b: format 'q1'",
                 "graph comment: entry 'oops' is not Name=format",
                 "node 2: unknown node type 'flubber'",
                 "node 5: no type",
                 "node 6 (fiberlookup): missing required parameter 'tensor'",
                 "node 'abc': node ids must be integers",
                 "edge 3 -> 9 names missing node 9",
                 "edge 3 -> 0 (ref): comment 'out-q' names no ref output of node 3",
                 "edge 3 -> 0 (ref): node 0 (fiberwrite",
                 "edge 1 -> 4 (val): node 1 (fiberlookup",
                 "has no output port for a val stream",
                 "edge 4 -> 4 (val): node 4 (mul) takes two val inputs; this is input number 3",
                 "edge 1 -> 0 (fancy): no type attribute",
                 "edge 1 -> 0 (bits): type 'bits' is not one of crd, ref, val, repsig"]:
        assert want in text_p, f"{want!r} not in:\n{text_p}"
    assert len(p) == 13, text_p


@pytest.mark.parametrize("edge, want", [
    ('1 -> 3 [type="crd" comment="in-z"]', "comment 'in-z' names no input of node 3"),
    ('1 -> 3 [type="crd"]', "comment '' names no input of node 3 (intersect"),
    ('1 -> 5 [type="crd" comment="q"]', "comment 'q' names no input of node 5 (crdhold"),
    ('5 -> 0 [type="crd" comment="side-q"]', "comment 'side-q' names no output of node 5"),
    ('7 -> 0 [type="crd" comment="out-q"]', "comment 'out-q' names no crd output of node 7"),
    ('1 -> 7 [type="crd"]', "crd input of node 7 (spaccumulator) has no comment naming"),
    ('1 -> 0 [type="crd" src_port="bogus"]', "node 1 (fiberlookup index=i tensor=b mode=0 "
                                            "format=compressed) has no output port 'bogus'"),
])
def test_comment_naming_no_port(edge, want):
    text = (HEAD + SCAN_B + WRITE_X +
            '    3 [type="intersect" index="i" operands="b"]\n'
            '    5 [type="crdhold" outer="i" inner="j"]\n'
            '    7 [type="spaccumulator" order="2" in0="j" in1="i"]\n'
            f'    {edge}\n}}\n')
    p = problems_of(text)
    assert any(want in x for x in p), p


def test_joiner_without_operands_needs_in_comments():
    p = problems_of(HEAD + SCAN_B + WRITE_X + '    3 [type="union" index="i"]\n'
                    '    1 -> 3 [type="crd"]\n}\n')
    assert any("node 3 (union): edge 1 -> 3 (crd) has no in-<T> comment naming the "
               "operand" in x for x in p), p


def test_node_ports_and_subgraphs_rejected():
    p = problems_of(HEAD + SCAN_B + WRITE_X + '    1:crd -> 0 [type="crd"]\n'
                    '    subgraph cluster_a { 7 }\n}\n')
    t = "\n".join(p)
    assert "DOT node ports ('1:crd')" in t and "subgraphs" in t


def test_bad_meta_reported():
    p = problems_of('digraph SAM {\n    comment=""\n    meta="[1, 2"\n}\n')
    assert p and "graph attribute meta is not a JSON object" in p[0]


# --------------------------------------------------------------------------
# JSON form

def test_json_layout():
    d = json.loads(jsonio.dumps(spmv_ij()))
    assert d["format"] == "sam-graph" and d["version"] == 1
    assert d["name"] == "mat_vecmul_ij" and d["formats"] == {"x": "s0", "B": "ss01", "c": "s0"}
    n6 = next(n for n in d["nodes"] if n["id"] == 6)
    assert n6 == {"id": 6, "type": "intersect", "attrs": {"index": "j", "operands": ["B", "c"]}}
    assert {"src": 7, "src_port": "crd", "dst": 6, "dst_port": "crd_B", "type": "crd"} \
        in d["edges"]


def test_json_schema_errors_name_their_paths():
    d = json.loads(jsonio.dumps(spmv_ij()))
    d["version"] = 7
    d["colour"] = "red"
    d["nodes"][0]["id"] = "12"
    d["nodes"][1]["type"] = "flubber"
    d["nodes"][3]["shape"] = "box"
    d["edges"][0]["dst"] = 99
    d["edges"][4]["src_port"] = "nope"
    d["edges"][2]["type"] = "bits"
    del d["edges"][3]["dst_port"]
    with pytest.raises(GraphError) as ei:
        jsonio.loads(json.dumps(d), source="g.json")
    p = "\n".join(ei.value.problems)
    for want in ["$.version: this reader knows version 1, got 7",
                 "$.colour: unknown key",
                 "$.nodes[0].id: expected an integer, got '12'",
                 "$.nodes[1] (node 11, flubber): unknown node type 'flubber'",
                 "$.nodes[3].shape: unknown key",
                 "$.edges[0].dst: names missing node 99",
                 "$.edges[4].src_port: node 9 (repeat index=i tensor=c) has no output "
                 "port 'nope' (has ref)",
                 "$.edges[2].type: expected one of crd, ref, val, repsig, got 'bits'",
                 "$.edges[3].dst_port: missing"]:
        assert want in p, f"{want!r} not in:\n{p}"
    assert str(ei.value).startswith("g.json: ")


def test_json_bad_parameter_value_names_node():
    d = json.loads(jsonio.dumps(spmv_ij()))
    d["nodes"][0]["attrs"]["root"] = "maybe"
    with pytest.raises(GraphError, match=r"\$\.nodes\[0\] \(node 12, fiberlookup\): "
                                         r"parameter root='maybe' is not a valid bool"):
        jsonio.loads(json.dumps(d))


@pytest.mark.parametrize("text, want", [
    ("{\n  \"format\": ", "line 2, column 13: malformed JSON"),
    ("[]", "$: expected an object, got list"),
    ('{"format": "sam-graph", "version": 1}', "$.nodes: missing"),
])
def test_json_malformed(text, want):
    with pytest.raises(GraphError) as ei:
        jsonio.loads(text)
    assert want in str(ei.value)


# --------------------------------------------------------------------------
# Pictures

def test_render_png(tmp_path):
    try:
        render.find_dot()
    except render.RenderError:
        pytest.skip("graphviz not installed")
    out = render.render_png(spmv_ij(), tmp_path / "g.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = render.render(spmv_ij(), tmp_path / "g.svg")
    assert "FiberLookup i: B0" in svg.read_text()


def test_render_without_graphviz_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(render.RenderError, match=r"apt-get install graphviz"):
        render.render_png(spmv_ij(), tmp_path / "g.png")


def test_render_unknown_format(tmp_path):
    with pytest.raises(render.RenderError, match="choose one of png, svg, pdf"):
        render.render(spmv_ij(), tmp_path / "g.bmp")


# --------------------------------------------------------------------------
# The hand-written spec 3.4 file carries the spec's streams (golden model)



def test_spec_spmv_file_runs_to_the_spec_streams(spec_b):
    engine = pytest.importorskip("sim.engine")
    import numpy as np
    from sam import tokens
    from sam.formats import Format, Tensor
    g = dot.load(DATA / "mat_vecmul_ij.gv")
    coords, vals, shape = spec_b
    B = Tensor.from_coo(coords, vals, shape, Format.parse("ss01"), name="B")
    c = Tensor.from_coo(np.array([[0, 1, 3]]), np.array([10, 30, 20]), (4,),
                        Format.parse("s0"), name="c")
    r = engine.run_graph(g, {"B": B, "c": c})
    for (nid, port), want in SPEC_34_STREAMS.items():
        assert tokens.fmt(r.streams[(nid, port)]) == want, (nid, port)
    crd, v = r.output.to_coo()
    assert crd.tolist() == [[0, 2]] and v.tolist() == [10, 170]
