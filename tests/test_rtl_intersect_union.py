"""The binary joiners (rtl/primitives/intersect.py, union.py) on the Amaranth
simulator: spec vectors, random streams against the golden model with
stalls, throughput, parameter checks. One file: the two share their ports,
their base class and every test."""

import random

import pytest

from cocotb_tests import primitive_cases as pc
from rtl.primitives import build
from rtl_sim import PROFILES, check_case, expect_param_error, golden_firings

JOINERS = ("intersect", "union")
SPEC = [(name, case) for name in JOINERS for case in pc.spec_cases(name)]


@pytest.mark.parametrize("name, case", SPEC, ids=[f"{n}-{c[0]}" for n, c in SPEC])
@pytest.mark.parametrize("profile", PROFILES[:2])
def test_spec(name, case, profile):
    _, attrs, ins, stated = case
    check_case(name, attrs, ins, stated=stated, seed=3, p_valid=profile[0], p_ready=profile[1])


@pytest.mark.parametrize("name", JOINERS)
@pytest.mark.parametrize("seed", range(10))
def test_random(name, seed):
    rng = random.Random(seed)
    for k in range(3):
        attrs, ins = pc.random_case(name, rng, p_n=0.1 if k == 2 else 0.03)
        pv, pr = PROFILES[(seed + k) % len(PROFILES)]
        check_case(name, attrs, ins, seed=seed, p_valid=pv, p_ready=pr)


@pytest.mark.parametrize("name", JOINERS)
def test_throughput(name):
    attrs, ins = pc.random_case(name, random.Random(7), nlevels=3, big=True)
    r = check_case(name, attrs, ins)
    firings = golden_firings(name, attrs, ins)
    print(f"{name}: {firings} golden firings, {r.cycles} cycles")
    # one step per cycle; latency 3 (input buffer, head, output register)
    assert r.cycles <= firings + 3, f"{r.cycles} cycles for {firings} steps"


@pytest.mark.parametrize("name", JOINERS)
@pytest.mark.parametrize("w", [0, 65, "8", True])
def test_bad_width(name, w):
    expect_param_error(lambda: build(name, crd_width=w), "crd_width must be an integer in 1..64")
