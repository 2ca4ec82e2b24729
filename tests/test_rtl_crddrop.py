"""rtl/primitives/crddrop.py on the Amaranth simulator: spec vectors (outer
stream as the spec states it, inner stream as design.md difference 1 says),
random fibertrees against the golden model with stalls, the vals=true
variant, throughput, parameter checks."""

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
