"""rtl/primitives/crddrop.py on the Amaranth simulator: spec vectors (outer
stream as the spec states it, inner stream as design.md difference 1 says),
random fibertrees against the golden model with stalls, the vals=true
variant, deep streams (hand-derived and random, 1 and 2 deep levels),
throughput, parameter checks."""

import random

import pytest

from cocotb_tests import primitive_cases as pc
from rtl.primitives import build
from rtl.primitives.crddrop import CrdDrop
from rtl_sim import PROFILES, check_case, expect_param_error, golden_firings

NAME = "crddrop"


@pytest.mark.parametrize("case", pc.spec_cases(NAME), ids=lambda c: c[0])
@pytest.mark.parametrize("profile", PROFILES[:3])
def test_spec(case, profile):
    _, attrs, ins, stated = case
    check_case(NAME, attrs, ins, stated=stated, seed=4, p_valid=profile[0], p_ready=profile[1])


def test_design_difference_inner_stream():
    # dropped coordinates take their empty fibers with them; an outer fiber
    # that loses every coordinate keeps its closing
    check_case(NAME, {}, {"outer": "0 1 2 3 S0 D", "inner": "1 S0 1 S0 S0 1 S1 D"},
               stated={"inner": "1 S0 1 S0 1 S1 D"})
    check_case(NAME, {}, {"outer": "0 S0 1 S1 D", "inner": "S1 1 S2 D"},
               stated={"outer": "S0 1 S1 D", "inner": "S1 1 S2 D"})


@pytest.mark.parametrize("seed", range(12))
def test_random(seed):
    rng = random.Random(seed)
    for k in range(3):
        attrs, ins = pc.random_case(NAME, rng)
        pv, pr = PROFILES[(seed + k) % len(PROFILES)]
        check_case(NAME, attrs, ins, seed=seed, p_valid=pv, p_ready=pr)


@pytest.mark.parametrize("seed", range(6))
def test_random_vals(seed):
    rng = random.Random(100 + seed)
    for k in range(2):
        attrs, ins = pc.random_case(NAME, rng, vals=True)
        pv, pr = PROFILES[(seed + k) % len(PROFILES)]
        check_case(NAME, attrs, ins, seed=seed, p_valid=pv, p_ready=pr)


def test_vals_lone_zero_of_empty_fiber():
    check_case(NAME, {"vals": True}, {"outer": "S0 D", "inner": "0 S0 D"},
               stated={"outer": "S0 D", "inner": "S0 D"})
    rng = random.Random(23)
    for seed in range(4):
        attrs, ins = pc.random_case(NAME, rng, vals=True, nlevels=2, lone_zeros=0.7)
        check_case(NAME, attrs, ins, seed=seed, p_valid=0.6, p_ready=0.6)


@pytest.mark.parametrize("vals", [False, True])
def test_throughput(vals):
    # one inner token per cycle; the structural exception (an empty fiber
    # that closes its outer fiber: 2 cycles) is a golden-model firing too
    attrs, ins = pc.random_case(NAME, random.Random(8), nlevels=3, big=True, vals=vals)
    r = check_case(NAME, attrs, ins)
    n = golden_firings(NAME, attrs, ins)
    print(f"crddrop vals={vals}: {len(ins['inner'])} inner tokens, {n} golden firings, "
          f"{r.cycles} cycles")
    assert r.cycles <= n + 2


def test_registry():
    dut = build(NAME, crd_width=8)
    assert not dut.vals
    check_case(NAME, {}, {"outer": "0 1 S0 D", "inner": "1 S0 S1 D"}, dut=dut)
    dut = build(NAME, crd_width=8, vals=True, val_width=12)
    assert dut.val_width == 12
    check_case(NAME, {"vals": True}, {"outer": "0 1 S0 D", "inner": "0 5 S0 D"}, dut=dut,
               val_width=12, stated={"outer": "1 S0 D", "inner": "5 S0 D"})


def test_bad_params():
    expect_param_error(lambda: CrdDrop(0), "crd_width must be an integer in 1..64")
    expect_param_error(lambda: CrdDrop(8, vals=1), "vals must be True or False")
    expect_param_error(lambda: CrdDrop(8, vals=True, val_width=99), "val_width must be")


# -- deep streams (design.md, deliberate difference 1) --------------------------

DEEP_CASES = [
    ({"outer": "0 1 S0 D", "inner": "5 S0 S1 D", "deep_k": "7 S1 S2 D"},
     {"outer": "0 S0 D", "inner": "5 S1 D", "deep_k": "7 S2 D"}),
    ({"outer": "0 1 2 S0 D", "inner": "5 S0 S0 6 S1 D", "deep_k": "7 8 S1 S1 9 S2 D"},
     {"outer": "0 2 S0 D", "inner": "5 S0 6 S1 D", "deep_k": "7 8 S1 9 S2 D"}),
    ({"outer": "0 1 S0 2 S1 D", "inner": "S0 S1 5 S2 D", "deep_k": "S1 S2 7 S3 D"},
     {"outer": "S0 2 S1 D", "inner": "S1 5 S2 D", "deep_k": "S2 7 S3 D"}),
    ({"outer": "S0 D", "inner": "S1 D", "deep_k": "S2 D"}, None),
    ({"outer": "0 S0 D", "inner": "5 6 S1 D", "deep_k": "1 S0 2 3 S2 D"}, None),
]


@pytest.mark.parametrize("k", range(len(DEEP_CASES)))
@pytest.mark.parametrize("profile", PROFILES[:3])
def test_deep_hand_derived(k, profile):
    ins, stated = DEEP_CASES[k]
    check_case(NAME, {"deep": ["k"]}, ins, stated=stated, seed=k,
               p_valid=profile[0], p_ready=profile[1])


def test_two_deep_streams():
    check_case(NAME, {"deep": ["k", "l"]},
               {"outer": "0 1 S0 D", "inner": "5 S0 S1 D", "deep_k": "7 S1 S2 D",
                "deep_l": "3 S2 S3 D"},
               stated={"outer": "0 S0 D", "inner": "5 S1 D", "deep_k": "7 S2 D",
                       "deep_l": "3 S3 D"})


@pytest.mark.parametrize("seed", range(8))
def test_random_deep(seed):
    rng = random.Random(300 + seed)
    for k in range(2):
        attrs, ins = pc.random_case(NAME, rng, deep=1 + (seed + k) % 2)
        pv, pr = PROFILES[(seed + k) % len(PROFILES)]
        check_case(NAME, attrs, ins, seed=seed, p_valid=pv, p_ready=pr)


def test_throughput_deep():
    # deep tokens move concurrently with the inner stream: at most the golden
    # model's firings (which move them one after the other)
    attrs, ins = pc.random_case(NAME, random.Random(8), nlevels=4, big=True, deep=2)
    r = check_case(NAME, attrs, ins)
    n = golden_firings(NAME, attrs, ins)
    tokens = max(len(s) for s in ins.values())
    print(f"crddrop deep=2: {tokens} tokens on the longest input, {n} golden firings, "
          f"{r.cycles} cycles")
    assert r.cycles <= n + 2
    assert r.cycles <= 1.5 * tokens + 10


def test_deep_params():
    expect_param_error(lambda: CrdDrop(8, deep=9), "deep must be an integer in 0..8")
    expect_param_error(lambda: CrdDrop(2, deep=4), "deep must be an integer in 0..3")
    expect_param_error(lambda: CrdDrop(8, vals=True, deep=1), "deep must be 0 with vals=True")
    assert build(NAME, crd_width=8, deep=2).deep == 2


def test_at_least_without_carry_chain():
    # the deep streams' paired test: exhaustive against >= for small widths
    from amaranth.hdl import Module, Signal
    from amaranth.sim import Simulator
    from rtl.primitives.crddrop import _at_least

    for width in (1, 2, 3, 5):
        v = Signal(width)
        ds = [d for d in range(1, 9) if d < 2 ** width]
        outs = [Signal(name=f"ge{d}") for d in ds]
        m = Module()
        m.d.comb += [o.eq(_at_least(v, d)) for o, d in zip(outs, ds)]
        sim = Simulator(m)
        bad = []

        async def bench(ctx):
            for x in range(2 ** width):
                ctx.set(v, x)
                bad.extend((width, x, d) for o, d in zip(outs, ds) if ctx.get(o) != (x >= d))

        sim.add_testbench(bench)
        sim.run()
        assert not bad, f"_at_least wrong for (width, value, d): {bad[:5]}"
