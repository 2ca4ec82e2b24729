"""rtl.ram.Ram: the generic RAM against a Python model (Amaranth simulator),
the ECP5 DP16KD implementation against the generic one (Icarus, with the
behavioural DP16KD model tests/data/dp16kd_model.v), parameter checks."""

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from amaranth.back import verilog
from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from rtl.ram import Ram, dp16kd_mode

MODEL = Path(__file__).parent / "data" / "dp16kd_model.v"


class RamModel:
    """Python model: one write port, read ports of latency 1 or 2 (reads of
    the address written in the same cycle return the old word)."""

    def __init__(self, depth, latencies, init=()):
        self.mem = list(init) + [0] * (depth - len(init))
        self.lat = list(latencies)
        self.stage = [[0, 0] for _ in latencies]     # [array read, output register]

    def data(self, k):
        return self.stage[k][0] if self.lat[k] == 1 else self.stage[k][1]

    def tick(self, wr, reads):
        for k, (en, addr) in enumerate(reads):
            if en:
                self.stage[k] = [self.mem[addr], self.stage[k][0]]
        if wr is not None:
            self.mem[wr[0]] = wr[1]


def _traffic(rng, n, aw, width, nreads, collisions=True):
    """Random cycles ``(write or None, [(en, addr)] per read port)``; reads
    favour recently written addresses. Without ``collisions`` no enabled read
    hits the address written in the same cycle (its low ``aw`` bits)."""
    recent = [0]
    cycles = []
    for _ in range(n):
        wr = None
        if rng.random() < 0.4:
            wr = (rng.randrange(1 << aw), rng.randrange(1 << width))
            recent = (recent + [wr[0]])[-8:]
        reads = []
        for _ in range(nreads):
            addr = rng.choice(recent) if rng.random() < 0.6 else rng.randrange(1 << aw)
            en = int(rng.random() < 0.6)
            if not collisions and en and wr is not None and addr == wr[0]:
                en = 0
            reads.append((en, addr))
        cycles.append((wr, reads))
    return cycles


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("shape, depth", [(8, 16), (-12, 64), (32, 5)])
def test_generic_against_model(seed, shape, depth):
    """Latency 1 and 2 read ports with random en/addr and writes, with init."""
    rng = random.Random(seed)
    signed, width = shape < 0, abs(shape)
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    init = [rng.randint(lo, hi) for _ in range(depth // 2)]
    from amaranth.hdl import signed as sgn, unsigned
    ram = Ram(shape=sgn(width) if signed else unsigned(width), depth=depth, init=init)
    wp = ram.write_port()
    rps = [ram.read_port(latency=1), ram.read_port(latency=2), ram.read_port(latency=2)]
    model = RamModel(depth, [1, 2, 2], init)
    aw = ram.addr_width
    cycles = []
    for wr, reads in _traffic(rng, 400, aw, width, len(rps)):
        wr = None if wr is None or wr[0] >= depth else (wr[0], wr[1])
        reads = [(en, a % depth) for en, a in reads]
        if wr is not None and signed and wr[1] > hi:
            wr = (wr[0], wr[1] - (1 << width))
        cycles.append((wr, reads))

    async def bench(ctx):
        for t, (wr, reads) in enumerate(cycles):
            for k, rp in enumerate(rps):
                got = ctx.get(rp.data)
                assert got == model.data(k), \
                    f"seed {seed}: cycle {t} port {k} (latency {model.lat[k]}): {got} != {model.data(k)}"
            ctx.set(wp.en, wr is not None)
            if wr is not None:
                ctx.set(wp.addr, wr[0])
                ctx.set(wp.data, wr[1])
            for rp, (en, addr) in zip(rps, reads):
                ctx.set(rp.en, en)
                ctx.set(rp.addr, addr)
            await ctx.tick()
            model.tick(wr, reads)

    sim = Simulator(ram)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()


# -- ECP5 (DP16KD) against generic, under Icarus --------------------------------

CONFIGS = [(w, d) for w in (16, 32) for d in (512, 1024, 2048, 4096)]
AW = 12                       # widest address of CONFIGS


class _Pairs(wiring.Component):
    """Every config twice (generic, ecp5), one write and two read ports
    (latency 1, 2) each, all fed from the same pins (addresses truncated)."""

    def __init__(self):
        members = {"w_en": In(1), "w_addr": In(AW), "w_data": In(32)}
        for r in (1, 2):
            members.update({f"r{r}_en": In(1), f"r{r}_addr": In(AW)})
        for k, (w, _) in enumerate(CONFIGS):
            for impl in ("g", "e"):
                for r in (1, 2):
                    members[f"{impl}{k}_{r}"] = Out(w)
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        for k, (w, d) in enumerate(CONFIGS):
            for impl, target in (("g", "generic"), ("e", "ecp5")):
                ram = Ram(shape=w, depth=d, target=target)
                m.submodules[f"{impl}{k}"] = ram
                wp = ram.write_port()
                aw = ram.addr_width
                m.d.comb += [wp.en.eq(self.w_en), wp.addr.eq(self.w_addr[:aw]),
                             wp.data.eq(self.w_data[:w])]
                for r in (1, 2):
                    rp = ram.read_port(latency=r)
                    m.d.comb += [rp.en.eq(getattr(self, f"r{r}_en")),
                                 rp.addr.eq(getattr(self, f"r{r}_addr")[:aw]),
                                 getattr(self, f"{impl}{k}_{r}").eq(rp.data)]
        return m


def _bench_verilog(ncycles):
    outs = [f"{i}{k}_{r}" for k in range(len(CONFIGS)) for i in "ge" for r in (1, 2)]
    fmt = " ".join("%h" for _ in outs)
    return f"""`timescale 1ns/1ps
module bench;
  reg clk = 0, rst = 1;
  reg w_en = 0, r1_en = 0, r2_en = 0;
  reg [{AW - 1}:0] w_addr = 0, r1_addr = 0, r2_addr = 0;
  reg [31:0] w_data = 0;
  reg [{3 * AW + 35 - 1}:0] stim [0:{ncycles - 1}];
""" + "".join(f"  wire [{CONFIGS[int(o[1:-2])][0] - 1}:0] {o};\n" for o in outs) + f"""
  pairs dut(.clk(clk), .rst(rst), .w_en(w_en), .w_addr(w_addr), .w_data(w_data),
            .r1_en(r1_en), .r1_addr(r1_addr), .r2_en(r2_en), .r2_addr(r2_addr),
            {", ".join(f".{o}({o})" for o in outs)});
  integer t;
  initial begin
    $readmemh("stim.hex", stim);
    #1 clk = 1; #1 clk = 0; rst = 0;
    for (t = 0; t < {ncycles}; t = t + 1) begin
      {{w_en, w_addr, w_data, r1_en, r1_addr, r2_en}} = stim[t][{3 * AW + 35 - 1}:{AW}];
      r2_addr = stim[t][{AW - 1}:0];
      #1 $display("{fmt}", {", ".join(outs)});
      clk = 1; #1 clk = 0;
    end
    $finish;
  end
endmodule
"""


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog not installed")
@pytest.mark.parametrize("seed", [7])
def test_ecp5_matches_generic(seed, tmp_path):
    """``Ram(target="ecp5")`` (DP16KD instances on the behavioural model) reads
    what ``Ram(target="generic")`` reads, cycle for cycle, on random traffic:
    widths 16 and 32, depths 512..4096 (aspect ratios x18, x9, x4), read
    latencies 1 and 2."""
    rng = random.Random(seed)
    n = 1500
    traffic = _traffic(rng, n, AW, 32, 2, collisions=False)
    lines = []
    for t, (wr, ((e1, a1), (e2, a2))) in enumerate(traffic):
        # the smallest config decodes 9 address bits: keep reads off the written word there too
        if wr is not None:
            if e1 and (a1 - wr[0]) % 512 == 0:
                e1 = 0
            if e2 and (a2 - wr[0]) % 512 == 0:
                e2 = 0
            traffic[t] = (wr, [(e1, a1), (e2, a2)])
        wen, wa, wd = (1, wr[0], wr[1]) if wr is not None else (0, 0, 0)
        word = (((((((wen << AW | wa) << 32 | wd) << 1 | e1) << AW | a1) << 1) | e2) << AW) | a2
        lines.append(f"{word:x}")
    (tmp_path / "stim.hex").write_text("\n".join(lines) + "\n")
    (tmp_path / "pairs.v").write_text(verilog.convert(_Pairs(), name="pairs", emit_src=False))
    (tmp_path / "bench.v").write_text(_bench_verilog(n))
    subprocess.run(["iverilog", "-g2012", "-o", "bench.vvp", "-s", "bench", "bench.v", "pairs.v",
                    str(MODEL)], cwd=tmp_path, check=True, capture_output=True, text=True)
    res = subprocess.run(["vvp", "-n", "bench.vvp"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0 and "FATAL" not in res.stdout.upper(), res.stdout + res.stderr
    rows = [ln.split() for ln in res.stdout.splitlines() if re.fullmatch(r"[0-9a-fxz ]+", ln)]
    assert len(rows) == n, res.stdout[-2000:]
    nonzero = 0
    enables = {1: 0, 2: 0}          # enabled reads before cycle t, per port
    for t, (row, (_, reads)) in enumerate(zip(rows, traffic)):
        for k, (w, d) in enumerate(CONFIGS):
            for r in (1, 2):
                if enables[r] < r:  # no word read yet (the generic port starts as X)
                    continue
                g = row[4 * k + r - 1]
                e = row[4 * k + 2 + r - 1]
                assert g == e and "x" not in g, (
                    f"seed {seed}: cycle {t}, width {w} depth {d} read latency {r}: "
                    f"generic {g}, ecp5 {e}")
                nonzero += int(g, 16) != 0
        for r in (1, 2):
            enables[r] += reads[r - 1][0]
    assert nonzero > n, "traffic read back too few written words to mean anything"


def test_ecp5_tiles():
    """The aspect ratio and tile count per width and depth."""
    assert [dp16kd_mode(d) for d in (2, 1024, 1025, 2048, 4096, 8192, 16384)] == \
        [(1024, 18), (1024, 18), (2048, 9), (2048, 9), (4096, 4), (8192, 2), (16384, 1)]
    for (w, d), tiles in {(16, 1024): 1, (32, 1024): 2, (32, 2048): 4, (16, 4096): 4,
                          (32, 512): 2, (36, 1024): 2}.items():
        ram = Ram(shape=w, depth=d, target="ecp5")
        ports = [ram.write_port(), ram.read_port(latency=2), ram.read_port(latency=1)]
        text = verilog.convert(ram, name="top", emit_src=False,
                               ports=[s for p in ports for s in (p.addr, p.en, p.data)])
        assert len(re.findall(r"^\s*DP16KD\b", text, re.M)) == 2 * tiles, (w, d)
        assert text.count('"OUTREG"') == tiles and text.count('"NOREG"') == 3 * tiles


def test_parameters():
    with pytest.raises(ValueError, match=r"target must be one of \('generic', 'ecp5'\), not 'xilinx'"):
        Ram(shape=8, depth=16, target="xilinx")
    with pytest.raises(ValueError, match=r"at most 16384 words .* not 32768"):
        Ram(shape=8, depth=32768, target="ecp5")
    with pytest.raises(ValueError, match="no initial contents"):
        Ram(shape=8, depth=16, init=[1, 2], target="ecp5")
    ram = Ram(shape=8, depth=16, target="ecp5")
    ram.write_port()
    with pytest.raises(ValueError, match="one write port"):
        ram.write_port()
    with pytest.raises(ValueError, match=r"read latency must be one of \(1, 2\), not 3"):
        Ram(shape=8, depth=16).read_port(latency=3)
    with pytest.raises(ValueError, match="init has 3 words, more than depth 2"):
        Ram(shape=8, depth=2, init=[1, 2, 3])


@pytest.mark.slow
def test_ecp5_synthesis(tmp_path):
    """Yosys + nextpnr: an ecp5 Ram (32 x 2048, latency 2) is 4 DP16KD with
    output registers and runs far above 250 MHz (measured 446 MHz; the
    generic Ram with its register behind the array: 138 MHz)."""
    from amaranth.lib.wiring import flipped
    from rtl.stream import read_port, write_port
    from rtl.synth import synth_component

    class Top(wiring.Component):
        wr: Out(write_port(11, 32))
        rd: Out(read_port(11, 32))

        def elaborate(self, platform):
            m = Module()
            m.submodules.ram = ram = Ram(shape=32, depth=2048, target="ecp5")
            wiring.connect(m, flipped(self.wr), ram.write_port())
            wiring.connect(m, flipped(self.rd), ram.read_port(latency=2))
            return m

    res = synth_component(Top(), "ramtop", "ecp5", tmp_path)
    assert res.cells.get("DP16KD") == 4, res.cells
    netlist = json.loads((tmp_path / "netlist.json").read_text())
    modes = [c["parameters"].get("REGMODE_B") for mod in netlist["modules"].values()
             for c in mod.get("cells", {}).values() if c["type"] == "DP16KD"]
    assert modes == ["OUTREG"] * 4, modes
    assert res.fmax_mhz > 250, res.fmax_mhz


def test_accel_ram_target():
    """AccelParams.ram_target: checked, recorded only when not generic, and the
    ECP5 depth limit is named before anything is built."""
    from rtl.accel import AccelParams
    from sam.errors import UserError
    assert "ram_target" not in AccelParams().to_dict()
    assert AccelParams(ram_target="ecp5").to_dict()["ram_target"] == "ecp5"
    with pytest.raises(UserError, match="ram_target must be one of generic, ecp5, not 'asic'"):
        AccelParams(ram_target="asic")
    with pytest.raises(UserError, match="mem_depth 32768 is above 16384"):
        AccelParams(ram_target="ecp5", mem_depth=32768)
    AccelParams(mem_depth=32768)                     # fine with the generic RAMs


def test_accel_spaccumulator_follows_ram_target():
    """The accelerator's sparse accumulators get the arrays' RAM implementation
    (their scratch RAM is a Ram too): generic by default, ecp5 when asked."""
    import sys
    from pathlib import Path as _P
    sys.path.insert(0, str(_P(__file__).parent))
    import graphs
    from rtl.accel import AccelParams, _plan
    from sam.lower import lower_graph

    g, _ = lower_graph(graphs.matmul_ikj())
    spaccs = [n for n in g.nodes.values() if n.type == "spaccumulator"]
    assert spaccs
    for target in ("generic", "ecp5"):
        p = AccelParams(ram_target=target)
        for node in spaccs:
            plan = _plan(node, g, p, lambda key: 10)
            assert plan.params.get("ram_target", "generic") == target
