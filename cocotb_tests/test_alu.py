"""ALU (rtl/primitives/alu.py; catalogue mul, add/sub, max, min) under cocotb:
spec vector, random value streams against the golden model with random
valid gaps and backpressure, and a throughput vector, for every op."""

import dataclasses

import pytest

from cocotb_tests import primitive_cases as pc
from cocotb_tests.harness import run_vectors, sim_params
from rtl.primitives.alu import ALU_OPS

#: input-to-output latency (Alu docstring, Timing); the shared throughput
#: vector allows golden firings + 3 cycles; each op gets firings + latency
LATENCY = {"mul": 5, "add": 3}


@pytest.mark.parametrize("op", ALU_OPS)
@pytest.mark.parametrize("sim", sim_params())
def test_alu(sim, op):
    extra = LATENCY.get(op, 4) - 3
    vecs = [dataclasses.replace(v, expect_cycles_max=v.expect_cycles_max + extra)
            if v.expect_cycles_max is not None else v
            for v in pc.vectors(op, seeds=range(1, 4))]
    # reducer zeros over empty fibers facing empty fibers (design.md)
    vecs += pc.vectors(op, seeds=range(10, 12), throughput=False, nlevels=2, lone_zeros=0.7)
    run_vectors(f"alu_{op}", lambda: pc.factory(op, {}), vecs, sim=sim)


def _mult18x18d_model() -> str:
    """Behavioural Verilog of the ECP5 MULT18X18D subset ``Alu`` uses
    (unsigned; input A/B and output registers on CLK0 with a CE pin each;
    RST pins tied low): enough to run the ECP5 variant under Icarus."""
    ins = [f"{p}{i}" for p in "ABC" for i in range(18)] + \
          ["SIGNEDA", "SIGNEDB", "SOURCEA", "SOURCEB"] + \
          [f"{p}{i}" for p in ("CLK", "CE", "RST") for i in range(4)]
    outs = [f"P{i}" for i in range(36)]
    cat = lambda p, n: "{" + ", ".join(f"{p}{i}" for i in reversed(range(n))) + "}"
    return "\n".join([
        "module MULT18X18D(" + ", ".join(ins + outs) + ");",
        *(f"  input {p};" for p in ins), *(f"  output {p};" for p in outs),
        *(f'  parameter {r}_{k} = "{d}";' for r in ("REG_INPUTA", "REG_INPUTB", "REG_INPUTC",
                                                   "REG_PIPELINE", "REG_OUTPUT")
          for k, d in (("CLK", "NONE"), ("CE", "CE0"), ("RST", "RST0"))),
        '  parameter GSR = "ENABLED";', '  parameter RESETMODE = "SYNC";',
        f"  wire [17:0] a = {cat('A', 18)}, b = {cat('B', 18)};",
        "  wire [3:0] ce = {CE3, CE2, CE1, CE0};",
        "  function pick(input [3:0] v, input [23:0] name); pick = v[name[7:0] - 8'h30]; endfunction",
        "  reg [17:0] ra, rb; reg [35:0] rp;",
        "  wire [17:0] ea = REG_INPUTA_CLK == \"NONE\" ? a : ra;",
        "  wire [17:0] eb = REG_INPUTB_CLK == \"NONE\" ? b : rb;",
        "  wire [35:0] prod = ea * eb;",
        "  always @(posedge CLK0) begin",
        "    if (pick(ce, REG_INPUTA_CE)) ra <= a;",
        "    if (pick(ce, REG_INPUTB_CE)) rb <= b;",
        "    if (pick(ce, REG_OUTPUT_CE)) rp <= prod;",
        "    if (SIGNEDA | SIGNEDB | RST0 | RST1 | RST2 | RST3) $fatal(1, \"model: unsupported\");",
        "  end",
        "  wire [35:0] p = REG_OUTPUT_CLK == \"NONE\" ? prod : rp;",
        f"  assign {cat('P', 36)} = p;",
        "endmodule", ""])


def _wide_vectors(op: str, width: int) -> list:
    """Full-range random values at ``width`` bits, with stalls, and a
    throughput vector (no stalls) allowing golden firings + latency."""
    import random
    from cocotb_tests.harness import Vector
    lim = 1 << (width - 1)
    vecs = []
    for seed, (pv, pr) in zip(range(3), ((0.7, 0.7), (0.4, 0.9), (1.0, 1.0))):
        attrs, ins = pc.random_case(op, random.Random(seed), nlevels=2, big=seed == 2,
                                    range=(-lim, lim - 1))
        want = pc.expected(op, attrs, ins, width)
        cap = pc.firings(op, attrs, ins) + LATENCY.get(op, 4) if seed == 2 else None
        vecs.append(Vector(f"wide{seed}", inputs=pc.rtl_ports(op, ins, "in"),
                           expected=pc.rtl_ports(op, want, "out", ins), seed=seed,
                           p_valid=pv, p_ready=pr, expect_cycles_max=cap))
    return vecs


@pytest.mark.parametrize("width", [32, 16])
def test_alu_mul_ecp5_dsp(monkeypatch, width):
    # the ECP5 variant (MULT18X18D instances with their registers, on a
    # behavioural model) gives the golden streams with the same timing;
    # 16 bits: one multiplier, 32: three partial products
    from amaranth.back import verilog
    from cocotb_tests import harness
    from rtl.primitives.alu import Alu
    from rtl.synth import TargetPlatform

    class AluEcp5(Alu):
        def elaborate(self, platform):
            return super().elaborate(TargetPlatform("ecp5"))

    def build_top(name, factory):
        top = factory()
        text = verilog.convert(top, name=f"sam_{name}", emit_src=False)
        assert text.count("MULT18X18D ") == (3 if width == 32 else 1)
        return text + _mult18x18d_model(), harness.port_info(top)
    monkeypatch.setattr(harness, "build_top", build_top)
    if width == 32:
        vecs = _wide_vectors("mul", 32)
    else:
        vecs = [dataclasses.replace(v, expect_cycles_max=v.expect_cycles_max + LATENCY["mul"] - 3)
                if v.expect_cycles_max is not None else v
                for v in pc.vectors("mul", seeds=range(1, 4))]
        vecs += pc.vectors("mul", seeds=range(10, 12), throughput=False, nlevels=2,
                           lone_zeros=0.7)
    run_vectors(f"alu_mul_ecp5_w{width}", lambda: AluEcp5("mul", width), vecs, sim="icarus")


@pytest.mark.parametrize("op", ALU_OPS)
def test_alu_wide(op):
    # 32-bit full-range values (halves, three partial products), generic
    run_vectors(f"alu_{op}_w32", lambda: pc.factory(op, {}, val_width=32),
                _wide_vectors(op, 32), sim="icarus")
