"""rtl/primitives/alu.py on the Amaranth simulator: every op against the spec
vector and the golden model (random streams, stalls, wrap-around),
throughput, parameter checks."""

import random

import pytest

from cocotb_tests import primitive_cases as pc
from rtl.primitives import build
from rtl.primitives.alu import ALU_OPS, Alu
from rtl_sim import PROFILES, check_case, expect_param_error, golden_firings, run_stream_sim
from sam import tokens as T


@pytest.mark.parametrize("op", ALU_OPS)
def test_spec(op):
    for _, attrs, ins, stated in pc.spec_cases(op):
        for pv, pr in PROFILES[:2]:
            check_case(op, attrs, ins, stated=stated, seed=1, p_valid=pv, p_ready=pr)


@pytest.mark.parametrize("op", ALU_OPS)
@pytest.mark.parametrize("seed", range(4))
def test_random(op, seed):
    rng = random.Random(seed)
    for k in range(2):
        attrs, ins = pc.random_case(op, rng)
        pv, pr = PROFILES[(seed + k) % len(PROFILES)]
        check_case(op, attrs, ins, seed=seed, p_valid=pv, p_ready=pr)


@pytest.mark.parametrize("op", ALU_OPS)
def test_lone_zero_of_empty_fiber(op):
    # a reducer's 0 for an empty fiber facing the other side's empty fiber
    check_case(op, {}, {"val0": "S0 D", "val1": "0 S0 D"}, stated={"val": "S0 D"})
    check_case(op, {}, {"val0": "3 S0 0 S1 D", "val1": "2 S0 S1 D"}, p_valid=0.5,
               p_ready=0.5)
    rng = random.Random(17)
    for seed in range(3):
        attrs, ins = pc.random_case(op, rng, nlevels=2, lone_zeros=0.7)
        check_case(op, attrs, ins, seed=seed, p_valid=0.7, p_ready=0.7)


@pytest.mark.parametrize("op", ALU_OPS)
def test_wraparound(op):
    # 8-bit values: sums and products overflow and wrap (two's complement)
    attrs, ins = pc.random_case(op, random.Random(11), nlevels=1, big=True, range=(-128, 127))
    check_case(op, attrs, ins, dut=Alu(op, 8), val_width=8, p_valid=0.8, p_ready=0.8)


@pytest.mark.parametrize("op", ["mul", "add"])
def test_throughput(op):
    attrs, ins = pc.random_case(op, random.Random(5), nlevels=3, big=True)
    r = check_case(op, attrs, ins)
    n = golden_firings(op, attrs, ins)
    print(f"alu {op}: {n} tokens, {r.cycles} cycles")
    latency = {"mul": 5, "add": 3}[op]          # Alu docstring, Timing
    assert r.cycles <= n + latency


def test_registry_catalogue_names():
    # catalogue types add (sub=0/1), mul, max, min all build the one ALU
    for name, kw, op in (("add", {"sub": True}, "sub"), ("add", {}, "add"),
                         ("mul", {}, "mul"), ("max", {}, "max"), ("min", {}, "min")):
        dut = build(name, val_width=8, **kw)
        assert dut.op == op
        check_case(op, {}, pc.spec_cases(op)[0][2], dut=dut, val_width=8)


def test_bad_params():
    expect_param_error(lambda: Alu("div"), "op must be one of add, sub, mul, max, min, not 'div'")
    expect_param_error(lambda: Alu("add", 0), "val_width must be an integer in 1..64, not 0")
    expect_param_error(lambda: build("add", sub="yes"), "sub must be True or False")
    expect_param_error(lambda: build("add", op="div"),
                       "RTL primitive 'add' has no parameter 'op'; parameters: val_width, sub")


@pytest.mark.parametrize("val0, val1", [("1 2 S0 D", "1 S0 S0 D"),  # value vs stop token
                                        ("1 S0 D", "1 S1 D"),    # different stop levels
                                        ("0 N S0 D", "0 1 S0 D"),  # N vs value
                                        ("5 S0 D", "S0 D"),      # nonzero vs empty fiber
                                        ("S0 D", "5 S0 D")])     # the same, on val1
def test_kind_mismatch_raises_error(val0, val1):
    # the golden model refuses these; the hardware consumes them (a value
    # facing a stop token alone, other pairs together, emitting val0's
    # token) and raises its sticky error flag
    res = run_stream_sim(Alu("add", 8), {"val0": val0, "val1": val1}, p_valid=0.7, p_ready=0.7)
    assert res.signals["error"] == 1
    assert res.outputs["val"][-1] is T.D


@pytest.mark.parametrize("op", ALU_OPS)
@pytest.mark.parametrize("width", [19, 32, 37, 64])
def test_wide(op, width):
    # full-range values at widths that split into halves (mul: three
    # partial products above 18 bits), odd widths included
    lim = 1 << (width - 1)
    rng = random.Random(width)
    for seed in range(2):
        attrs, ins = pc.random_case(op, rng, nlevels=2, range=(-lim, lim - 1))
        check_case(op, attrs, ins, dut=Alu(op, width), val_width=width, seed=seed,
                   p_valid=0.8, p_ready=0.7)
    # operand pairs where one carry or borrow crosses from the low half
    h = width // 2
    vals0 = [(1 << h) - 1, -1, -lim, lim - 1, 0, -(1 << h), (1 << h)]
    vals1 = [1, 1, -1, -lim, -lim, (1 << h) - 1, -(1 << h)]
    fmt = lambda vs: " ".join(map(str, vs)) + " S0 D"
    check_case(op, {}, {"val0": fmt(vals0), "val1": fmt(vals1)}, dut=Alu(op, width),
               val_width=width)
