"""rtl/primitives/reduce.py on the Amaranth simulator: spec vectors, random
streams against the golden model with stalls, wrap-around, throughput."""

import random

import pytest

from cocotb_tests import primitive_cases as pc
from rtl.primitives.reduce import Reduce
from rtl_sim import PROFILES, check_case, expect_param_error, golden_firings

NAME = "reduce"


@pytest.mark.parametrize("case", pc.spec_cases(NAME), ids=lambda c: c[0])
@pytest.mark.parametrize("profile", PROFILES[:3])
def test_spec(case, profile):
    _, attrs, ins, stated = case
    check_case(NAME, attrs, ins, stated=stated, seed=2, p_valid=profile[0], p_ready=profile[1])


@pytest.mark.parametrize("seed", range(10))
def test_random(seed):
    rng = random.Random(seed)
    for k in range(3):
        attrs, ins = pc.random_case(NAME, rng, nlevels=1 + (seed + k) % 3)
        pv, pr = PROFILES[(seed + k) % len(PROFILES)]
        check_case(NAME, attrs, ins, seed=seed, p_valid=pv, p_ready=pr)


def test_wraparound():
    attrs, ins = pc.random_case(NAME, random.Random(3), nlevels=2, big=True, range=(-128, 127))
    check_case(NAME, attrs, ins, dut=Reduce(8), val_width=8, p_valid=0.7, p_ready=0.7)


def test_throughput():
    # one input token per cycle; Sn (n >= 1) costs one extra cycle (two outputs)
    attrs, ins = pc.random_case(NAME, random.Random(4), nlevels=3, big=True)
    r = check_case(NAME, attrs, ins)
    n = golden_firings(NAME, attrs, ins)
    print(f"reduce: {len(ins['val'])} tokens, {n} golden firings, {r.cycles} cycles")
    assert r.cycles <= n + 1


@pytest.mark.parametrize("w", [0, 65, None])
def test_bad_width(w):
    expect_param_error(lambda: Reduce(w), "val_width must be an integer in 1..64")
