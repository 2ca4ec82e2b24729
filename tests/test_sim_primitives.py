"""Golden-model primitives: every "(test)" stream of spec section 2 (skip
lists, bitvector and split blocks excepted), the documented deliberate
differences, malformed-stream errors and random streams."""

from __future__ import annotations

import random

import pytest

from sam.tokens import D, N, S, Stop, fmt, parse
from sim.primitive import LevelData, SimContext, SimError, create, make_node


def run(type_name, ins, ctx=None, **attrs):
    node = make_node(type_name, **attrs)
    prim = create(node, ctx)
    log: list = []
    out = prim.run({k: parse(v) for k, v in ins.items()}, log)
    _check_log(prim, {k: parse(v) for k, v in ins.items()}, out, log)
    return {k: fmt(v) for k, v in out.items()}, prim


def _check_log(prim, ins, outs, log):
    """Every firing moves a token; the log accounts for every token."""
    nin = prim.nin
    assert all(m for m in log), "a firing that moves nothing"
    for i, p in enumerate(prim.inputs):
        assert sum((m >> i) & 1 for m in log) == len(ins[p]), f"consumed tokens of {p}"
    for j, p in enumerate(prim.outputs):
        assert sum((m >> (2 * nin + j)) & 1 for m in log) == len(outs.get(p, [])), \
            f"produced tokens of {p}"


def comp_ctx(seg, crd, tensor="B", mode=0, dim=None):
    return SimContext(levels={(tensor, mode): LevelData(
        "compressed", dim or (max(crd) + 1 if crd else 1), {"seg": seg, "crd": crd})})


def dense_ctx(dim, tensor="B", mode=0):
    return SimContext(levels={(tensor, mode): LevelData("dense", dim, {})})


SCAN = dict(tensor="B", index="i", mode=0, format="compressed")
DSCAN = dict(tensor="B", index="i", mode=0, format="dense")


# -- 2.1 scanners -------------------------------------------------------------

@pytest.mark.parametrize("seg,crd,ref,ocrd,oref", [
    ([0, 2, 3, 4], [0, 2, 2, 2], "0 1 2 S0 D", "0 2 S0 2 S0 2 S1 D", "0 1 S0 2 S0 3 S1 D"),
    ([0, 3, 4, 6], [0, 2, 3, 0, 2, 3], "0 0 S0 1 S0 2 S1 D",
     "0 2 3 S0 0 2 3 S1 0 S1 2 3 S2 D", "0 1 2 S0 0 1 2 S1 3 S1 4 5 S2 D"),
    ([0, 1], [28], "0 S0 S0 0 S0 D", "28 S1 S1 28 S1 D", "0 S1 S1 0 S1 D"),
    ([0, 2, 3, 4], [0, 1, 2, 3], "0 1 N 2 N S0 D",
     "0 1 S0 2 S0 N S0 3 S0 N S1 D", "0 1 S0 2 S0 N S0 3 S0 N S1 D"),
])
def test_compressed_scanner(seg, crd, ref, ocrd, oref):
    out, _ = run("fiberlookup", {"ref": ref}, comp_ctx(seg, crd), **SCAN)
    assert out == {"crd": ocrd, "ref": oref}


def test_dense_scanner_direct_2d():
    out, _ = run("fiberlookup", {"ref": "0 1 2 3 S0 D"}, dense_ctx(4), **DSCAN)
    assert out["crd"] == "0 1 2 3 S0 0 1 2 3 S0 0 1 2 3 S0 0 1 2 3 S1 D"
    assert out["ref"] == "0 1 2 3 S0 4 5 6 7 S0 8 9 10 11 S0 12 13 14 15 S1 D"


def test_dense_scanner_nested():
    out, _ = run("fiberlookup", {"ref": "0 1 2 S0 3 4 S0 5 6 S1 D"}, dense_ctx(3), **DSCAN)
    closings = [t for t in parse(out["crd"]) if type(t) is Stop]
    assert closings == parse("S0 S0 S1 S0 S1 S0 S2")
    assert parse(out["crd"]).count(0) == 7


def test_dense_scanner_n_like_compressed():
    # deliberate difference: the reference's dense scanner has no N handling
    out, _ = run("fiberlookup", {"ref": "0 N S0 D"}, dense_ctx(2), **DSCAN)
    assert out == {"crd": "0 1 S0 N S1 D", "ref": "0 1 S0 N S1 D"}


def test_root_scanner():
    out, _ = run("fiberlookup", {}, comp_ctx([0, 2], [0, 2], dim=3), root=True, **SCAN)
    assert out == {"crd": "0 2 S0 D", "ref": "0 1 S0 D"}


def test_scanner_through_plugin_interface():
    """A level format without a fast scanner is read through its plug-in."""
    from sim.primitives import fiberlookup as fl
    saved = fl.LEVEL_SCANNERS.pop("compressed")
    try:
        out, prim = run("fiberlookup", {"ref": "0 0 S0 1 S0 2 S1 D"},
                        comp_ctx([0, 3, 4, 6], [0, 2, 3, 0, 2, 3]), **SCAN)
        assert type(prim.scanner).__name__ == "PluginScanner"
        assert out["crd"] == "0 2 3 S0 0 2 3 S1 0 S1 2 3 S2 D"
    finally:
        fl.LEVEL_SCANNERS["compressed"] = saved


def test_scanner_ref_out_of_range():
    with pytest.raises(SimError, match=r"node 0 \(fiberlookup.*outside the seg array"):
        run("fiberlookup", {"ref": "0 5 S0 D"}, comp_ctx([0, 2, 3], [0, 1, 1]), **SCAN)


# -- 2.2 repsiggen, repeat --------------------------------------------------------

@pytest.mark.parametrize("inp,out", [
    ("0 1 S0 2 S0 3 S1 D", "R R S R S R S D"),
    ("0 1 2 S0 0 1 2 S1 S1 4 5 S2 D", "R R R S R R R S S R R S D"),
])
def test_repsiggen(inp, out):
    assert run("repsiggen", {"crd": inp})[0] == {"repsig": out}


@pytest.mark.parametrize("ref,sig,out", [
    ("0 1 2 S0 D", "R R S R S R S D", "0 0 S0 1 S0 2 S1 D"),
    ("0 S0 1 2 3 S1 D", "R R R S R R R S R S R R S D", "0 0 0 S1 1 1 1 S0 2 S0 3 3 S2 D"),
    ("0 S0 S0 S0 S1 D", "R S S S S D", "0 S1 S1 S1 S2 D"),
    ("0 S0 1 S1 D", "S R S D", "S1 1 S2 D"),
    ("N 0 1 S0 D", "R S R S R S D", "N S0 0 S0 1 S1 D"),
])
def test_repeat(ref, sig, out):
    assert run("repeat", {"ref": ref, "repsig": sig})[0] == {"ref": out}


def test_root_repeat():
    assert run("repeat", {"repsig": "R R S D"}, root=True)[0] == {"ref": "0 0 S0 D"}


def test_repeat_mismatched_done():
    with pytest.raises(SimError, match="repeat signal ended while reference 1 was held"):
        run("repeat", {"ref": "0 S0 1 S0 D", "repsig": "R S D"})


# -- 2.3 joiners ------------------------------------------------------------------

def _join(kind, c1, r1, c2, r2):
    return run(kind, {"crd_B": c1, "ref_B": r1, "crd_C": c2, "ref_C": r2},
               operands=["B", "C"])[0]


def test_intersect_spec():
    out = _join("intersect", "0 S0 0 1 2 S1 D", "0 S0 1 2 3 S1 D",
                "0 1 2 S0 0 1 2 S1 D", "0 1 2 S0 0 1 2 S1 D")
    assert out == {"crd": "0 S0 0 1 2 S1 D", "ref_B": "0 S0 1 2 3 S1 D",
                   "ref_C": "0 S0 0 1 2 S1 D"}


def test_intersect_empty_first_fiber():
    c1 = "0 1 2 3 S0 0 1 2 3 S0 0 1 2 3 S1 D"
    c2 = "4 S0 0 1 S0 0 S1 D"
    assert _join("intersect", c1, c1, c2, c2)["crd"] == "S0 0 1 S0 0 S1 D"


def test_union_spec():
    out = _join("union", "0 1 3 5 S0 D", "0 1 2 3 S0 D", "0 2 3 4 S0 D", "0 1 2 3 S0 D")
    assert out == {"crd": "0 1 2 3 4 5 S0 D", "ref_B": "0 1 N 2 N 3 S0 D",
                   "ref_C": "0 N 1 2 3 N S0 D"}


def test_union_spec_nested():
    out = _join("union", "0 1 S0 2 3 S0 S0 4 5 S1 D", "0 1 S0 2 3 S0 S0 4 5 S1 D",
                "1 2 3 S0 S0 0 1 2 S0 S1 D", "0 1 2 S0 S0 2 3 4 S0 S1 D")
    assert out == {"crd": "0 1 2 3 S0 2 3 S0 0 1 2 S0 4 5 S1 D",
                   "ref_B": "0 1 N N S0 2 3 S0 N N N S0 4 5 S1 D",
                   "ref_C": "N 0 1 2 S0 N N S0 2 3 4 S0 N N S1 D"}


def test_joiner_n_handling():
    # N (no fiber) facing coordinates: intersect emits N, union passes the others
    assert _join("intersect", "N S0 D", "N S0 D", "0 2 S0 D", "0 1 S0 D")["crd"] == "N S0 D"
    out = _join("union", "N S0 D", "N S0 D", "0 2 S0 D", "0 1 S0 D")
    assert out == {"crd": "0 2 S0 D", "ref_B": "N N S0 D", "ref_C": "0 1 S0 D"}


def test_joiner_mismatched_stops():
    with pytest.raises(SimError, match=r"mismatched stop tokens S0 and S1") as ex:
        _join("intersect", "0 S0 1 S1 D", "0 S0 1 S1 D", "0 S1 D", "0 S1 D")
    assert "crd_B @1" in str(ex.value) and "[S1]" in str(ex.value)


def test_joiner_binary_only():
    with pytest.raises(SimError, match="lower_graph"):
        create(make_node("union", operands=["B", "C", "D"]))


# -- 2.4 arrayvals ------------------------------------------------------------------

@pytest.mark.parametrize("arr,ref,out", [
    ([1, 2, 3, 4], "0 1 N 2 N 3 S0 D", "1 2 0 3 0 4 S0 D"),
    ([1, 2, 3, 4, 5, 6], "0 1 S0 2 3 S0 N S0 4 5 S1 D", "1 2 S0 3 4 S0 0 S0 5 6 S1 D"),
])
def test_arrayvals(arr, ref, out):
    ctx = SimContext(values={"B": arr})
    assert run("arrayvals", {"ref": ref}, ctx, tensor="B")[0] == {"val": out}


def test_arrayvals_out_of_range():
    with pytest.raises(SimError, match="outside the value array"):
        run("arrayvals", {"ref": "0 4 S0 D"}, SimContext(values={"B": [1, 2]}), tensor="B")


# -- 2.5 ALUs -------------------------------------------------------------------

@pytest.mark.parametrize("kind,attrs,out", [
    ("add", {}, "0 3 6 9 S0 D"),
    ("add", {"sub": True}, "0 -1 -2 -3 S0 D"),
    ("mul", {}, "0 2 8 18 S0 D"),
    ("max", {}, "0 2 4 6 S0 D"),
    ("min", {}, "0 1 2 3 S0 D"),
])
def test_alu(kind, attrs, out):
    res = run(kind, {"val0": "0 1 2 3 S0 D", "val1": "0 2 4 6 S0 D"}, **attrs)[0]
    assert res == {"val": out}


def test_alu_types():
    node = create(make_node("mul"))
    out = node.run({"val0": [2, 1.5, D], "val1": [3, 2, D]}, [])["val"]
    assert out == [6, 3.0, D] and type(out[0]) is int and type(out[1]) is float


def test_alu_stop_vs_value_is_an_error():
    with pytest.raises(SimError, match="token kinds differ: S0 vs 4"):
        run("add", {"val0": "1 S0 D", "val1": "1 4 D"})


# -- 2.6 reduce -----------------------------------------------------------------

@pytest.mark.parametrize("inp,out", [
    ("5 5 S0 5 S0 4 8 S0 4 3 S0 4 3 S1 D", "10 5 12 7 7 S0 D"),
    ("1 2 3 4 5 6 7 8 9 S2 D", "45 S1 D"),
    ("5 5 S0 S0 4 8 S0 4 3 S0 S1 D", "10 0 12 7 0 S0 D"),
])
def test_reduce(inp, out):
    assert run("reduce", {"val": inp})[0] == {"val": out}


# -- 2.7 sparse accumulators (stop-token streams) ---------------------------------

def test_spacc1_spec_example():
    # the spec's point stream as nest (i, k, j): i=0 has one k, i=2 has two
    out, _ = run("spaccumulator", {
        "crd_outer": "0 0 0 S1 2 2 2 S0 2 2 2 S2 D",
        "crd_inner": "0 2 3 S1 0 2 3 S0 0 2 3 S2 D",
        "val": "50 5 10 S1 40 4 8 S0 -40 33 36 S2 D"}, order=1, in0="j", in1="i")
    assert out == {"crd_outer": "0 2 S0 D", "crd_inner": "0 2 3 S0 0 2 3 S1 D",
                   "val": "50 5 10 S0 0 37 44 S1 D"}


def test_spacc1_empty_groups_and_outer_fibers():
    # nest (l, i, k, j): l=0: i groups {empty, j0}; l=1: only an empty group
    out, _ = run("spaccumulator", {
        "crd_outer": "S1 4 S2 S3 D", "crd_inner": "S1 1 S2 S3 D", "val": "S1 7 S2 S3 D"},
        order=1, in0="j", in1="i")
    assert out == {"crd_outer": "4 S0 S1 D", "crd_inner": "1 S1 S2 D", "val": "7 S1 S2 D"}


def test_spacc1_vector():
    # x(i) = B(i,j) c(j) in ji order: nest (j, i)
    out, _ = run("spaccumulator", {"crd_inner": "2 0 S0 0 1 S1 D", "val": "1 2 S0 3 4 S1 D"},
                 order=1, in0="i")
    assert out == {"crd_inner": "0 1 2 S0 D", "val": "5 4 1 S0 D"}


def test_spacc2_spec_example():
    c1 = [0, 2, 3, 0, 0, 2, 2, 2, 3, 3, 3, 3, 3, 0]
    c0 = [0, 2, 3, 0, 2, 0, 0, 3, 0, 2, 3, 0, 2, 0]
    v = [50, 5, 10, 40, 4, 8, -40, 33, 36, 1, 2, 3, 4, 5]

    def stream(xs):     # one k element per point: nest (k, i, j)
        toks = []
        for x in xs[:-1]:
            toks += [x, S(1)]
        return toks + [xs[-1], S(2), D]
    node = create(make_node("spaccumulator", order=2, in0="j", in1="i"))
    out = node.run({"crd_outer": stream(c1), "crd_inner": stream(c0), "val": stream(v)}, [])
    assert fmt(out["crd_outer"]) == "0 2 3 S0 D"
    assert fmt(out["crd_inner"]) == "0 2 S0 0 2 3 S0 0 2 3 S1 D"
    assert fmt(out["val"]) == "95 4 S0 -32 5 33 S0 39 5 12 S1 D"


def test_spacc_streams_must_agree():
    with pytest.raises(SimError, match="disagree at stop token"):
        run("spaccumulator", {"crd_outer": "0 S1 D", "crd_inner": "0 S2 D", "val": "1 S2 D"},
            order=1, in0="j", in1="i")


# -- 2.8 crddrop, crdhold ---------------------------------------------------------

@pytest.mark.parametrize("outer,inner,oout,iout", [
    ("0 1 S0 D", "1 S0 S1 D", "0 S0 D", "1 S1 D"),
    ("0 1 S0 D", "1 S0 1 S1 D", "0 1 S0 D", "1 S0 1 S1 D"),
    ("0 1 2 3 S0 D", "1 S0 1 S0 S0 1 S1 D", "0 1 3 S0 D", "1 S0 1 S0 1 S1 D"),
    ("S0 D", "S1 D", "S0 D", "S1 D"),
    # an outer fiber losing every coordinate keeps its closing in the inner stream
    ("0 1 S0 2 S1 D", "S0 S1 5 S2 D", "S0 2 S1 D", "S1 5 S2 D"),
])
def test_crddrop(outer, inner, oout, iout):
    # outer outputs are the spec's (test) streams; inner outputs follow
    # deliberate difference 1 (empty fibers of dropped coordinates removed)
    out, _ = run("crddrop", {"outer": outer, "inner": inner}, outer="i", inner="j")
    assert out == {"outer": oout, "inner": iout}


def test_crddrop_vals():
    out, _ = run("crddrop", {"outer": "0 1 2 3 S0 D", "inner": "1 0 3 0 S0 D"},
                 outer="i", inner="vals", vals=True)
    assert out == {"outer": "0 2 S0 D", "inner": "1 3 S0 D"}


@pytest.mark.parametrize("outer,inner,oout", [
    ("0 1 2 S0 D", "0 2 S0 2 S0 2 S1 D", "0 0 S0 1 S0 2 S1 D"),
    ("0 2 S0 3 S0 4 S1 D", "0 2 3 S0 0 2 3 S1 0 S1 2 3 S2 D", "0 0 0 S0 2 2 2 S1 3 S1 4 4 S2 D"),
    ("0 1 S0 S0 D", "S0 5 S1 S1 D", "S0 1 S1 S1 D"),
])
def test_crdhold(outer, inner, oout):
    out, _ = run("crdhold", {"outer": outer, "inner": inner}, outer="i", inner="j")
    assert out == {"outer": oout, "inner": inner}


# -- 2.9 writers, broadcast ---------------------------------------------------------

def test_compressed_writer():
    _, w = run("fiberwrite", {"crd": "0 2 3 S0 0 2 3 S1 D"}, tensor="X", index="j",
               mode="1", format="compressed")
    assert (w.crd, w.seg, w.depth) == ([0, 2, 3, 0, 2, 3], [0, 3, 6], 1)


def test_writer_records_every_closing():
    _, w = run("fiberwrite", {"crd": "1 S0 S0 4 S1 D"}, tensor="X", index="j",
               mode="1", format="dense")
    assert (w.crd, w.seg) == ([1, 4], [0, 1, 1, 2])


def test_vals_writer():
    _, w = run("fiberwrite", {"val": "1 2 S0 3.5 S1 D"}, tensor="X", mode="vals")
    assert w.vals == [1, 2, 3.5]


def test_broadcast():
    assert run("broadcast", {"in": "0 1 S0 D"})[0] == {"out": "0 1 S0 D"}


# -- generic malformed streams ------------------------------------------------------

@pytest.mark.parametrize("type_name,ins,attrs,match", [
    ("repsiggen", {"crd": "0 1 S0"}, {}, "stream ended without D"),
    ("repsiggen", {"crd": "0 D 1 D"}, {}, "tokens after D"),
    ("reduce", {"val": "1 S0 D 3"}, {}, "tokens after D"),
    ("add", {"val0": "1 S0", "val1": "1 S0"}, {}, "without D"),
    ("crdhold", {"outer": "0 S0 D", "inner": "1 S0 2 S0 D"}, {}, "where a coordinate"),
    ("broadcast", {"in": "0 1"}, {}, "without D"),
])
def test_malformed(type_name, ins, attrs, match):
    with pytest.raises(SimError, match=match) as ex:
        run(type_name, ins, **attrs)
    assert str(ex.value).startswith("node 0 (")


# -- random streams -------------------------------------------------------------------

def _random_fibers(rng, nfib, dim, p):
    return [sorted(rng.sample(range(dim), rng.randint(0, int(dim * p) + 1)))
            for _ in range(nfib)]


def _stream(fibers):
    toks = []
    for k, f in enumerate(fibers):
        toks += f
        toks.append(S(1) if k == len(fibers) - 1 else S(0))
    return toks + [D]


@pytest.mark.parametrize("seed", range(20))
def test_random_joiners(seed):
    rng = random.Random(seed)
    nfib = rng.randint(1, 6)
    fa = _random_fibers(rng, nfib, 12, rng.random())
    fb = _random_fibers(rng, nfib, 12, rng.random())
    sa, sb = _stream(fa), _stream(fb)
    ins = {"crd_B": sa, "ref_B": sa, "crd_C": sb, "ref_C": sb}
    for kind, op in (("intersect", set.intersection), ("union", set.union)):
        node = create(make_node(kind, operands=["B", "C"]))
        log = []
        out = node.run(dict(ins), log)
        want = _stream([sorted(op(set(a), set(b))) for a, b in zip(fa, fb)])
        assert out["crd"] == want, f"seed {seed}"
        for c, rb, rc in zip(out["crd"], out["ref_B"], out["ref_C"]):
            if type(c) is int:
                assert rb == c or rb is N
                assert rc == c or rc is N
        _check_log(node, ins, out, log)


@pytest.mark.parametrize("seed", range(10))
def test_random_scan_reduce(seed):
    rng = random.Random(seed)
    fibers = _random_fibers(rng, rng.randint(1, 8), 10, rng.random())
    seg = [0]
    crd = []
    for f in fibers:
        crd += f
        seg.append(len(crd))
    vals = [rng.randint(-5, 5) for _ in crd]
    ctx = SimContext(levels={("B", 1): LevelData("compressed", 10, {"seg": seg, "crd": crd})},
                     values={"B": vals})
    refs = list(range(len(fibers))) + [S(0), D]
    sc = create(make_node("fiberlookup", tensor="B", index="j", mode=1, format="compressed"), ctx)
    out = sc.run({"ref": refs}, [])
    assert out["crd"] == _stream(fibers), f"seed {seed}"
    v = create(make_node("arrayvals", tensor="B"), ctx).run({"ref": out["ref"]}, [])["val"]
    red = create(make_node("reduce"), ctx).run({"val": v}, [])["val"]
    sums = [sum(vals[seg[k]:seg[k + 1]]) for k in range(len(fibers))]
    assert red == sums + [S(0), D], f"seed {seed}"


def test_reduce_unclosed_fiber():
    with pytest.raises(SimError, match="not closed by a stop token"):
        run("reduce", {"val": "1 2 S0 3 D"})


def test_repeat_ref_left_over():
    with pytest.raises(SimError, match="repeat signal is done but the reference input is not"):
        run("repeat", {"ref": "0 S0 S0 D", "repsig": "R S D"})


def test_crddrop_vals_reducer_on_empty_parent():
    out, _ = run("crddrop", {"outer": "S0 D", "inner": "0 S0 D"},
                 outer="i", inner="vals", vals=True)
    assert out == {"outer": "S0 D", "inner": "S0 D"}
    out, _ = run("crddrop", {"outer": "1 S0 S1 D", "inner": "2 S0 0 S1 D"},
                 outer="i", inner="vals", vals=True)
    assert out == {"outer": "1 S0 S1 D", "inner": "2 S0 S1 D"}
    with pytest.raises(SimError, match="does not pair"):
        run("crddrop", {"outer": "S0 D", "inner": "3 S0 D"},
            outer="i", inner="vals", vals=True)


@pytest.mark.parametrize("seed", range(8))
def test_random_tensor_scan_matches_formats(seed):
    """Scanner chains over random 3-tensors (any level format mix) give
    sam.formats' reference streams; identity writers give the tensor back."""
    import numpy as np
    from sam.formats import Tensor, WrittenLevel, assemble_output, tensor_streams
    rng = np.random.default_rng(seed)
    shape = tuple(int(x) for x in rng.integers(1, 5, 3))
    dense = rng.integers(1, 9, shape) * (rng.random(shape) < rng.random())
    letters = "".join(rng.choice(list("sd"), 3))
    order = [int(x) for x in rng.permutation(3)]
    t = Tensor.from_dense(dense, f"{letters}{''.join(map(str, order))}", name="B")
    ctx = SimContext(levels={("B", lv.mode): LevelData(lv.format, lv.dim,
                                                      {k: v.tolist() for k, v in lv.arrays.items()})
                             for lv in t.levels},
                     values={"B": t.vals.tolist()})
    refs = None
    written = []
    for l, (want_crd, want_ref) in enumerate(tensor_streams(t)):
        lv = t.levels[l]
        node = make_node("fiberlookup", tensor="B", index="ijk"[lv.mode], mode=lv.mode,
                         format=lv.format, root=l == 0)
        out = create(node, ctx).run({} if l == 0 else {"ref": refs}, [])
        assert out["crd"] == want_crd and out["ref"] == want_ref, f"seed {seed} level {l}"
        refs = out["ref"]
        w = create(make_node("fiberwrite", tensor="X", index="ijk"[lv.mode], mode=str(lv.mode),
                             format=lv.format), ctx)
        w.run({"crd": out["crd"]}, [])
        written.append(WrittenLevel(np.array(w.crd, dtype=np.int64),
                                    np.array(w.seg, dtype=np.int64), lv.dim))
    vals = create(make_node("arrayvals", tensor="B"), ctx).run({"ref": refs}, [])["val"]
    vw = create(make_node("fiberwrite", tensor="X", mode="vals"), ctx)
    vw.run({"val": vals}, [])
    x = assemble_output(t.shape, t.format, written, np.array(vw.vals, dtype=np.int64), "X")
    assert np.array_equal(x.to_dense(), dense), f"seed {seed}"


def test_alu_reducer_zero_over_empty_fiber():
    assert run("add", {"val0": "S0 D", "val1": "0 S0 D"}, sub=True)[0] == {"val": "S0 D"}
    assert run("mul", {"val0": "2 S0 0 S1 D", "val1": "3 S0 S1 D"})[0] == {"val": "6 S0 S1 D"}
    with pytest.raises(SimError, match="token kinds differ"):
        run("add", {"val0": "S0 D", "val1": "1 S0 D"})
    with pytest.raises(SimError, match="token kinds differ"):
        run("add", {"val0": "4 S0 D", "val1": "4 0 S0 D"})
