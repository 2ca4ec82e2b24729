"""rtl/primitives/crdhold.py on the Amaranth simulator: spec vectors, random
fibertrees (empty inner and outer fibers, N coordinates) against the golden
model with stalls, throughput, parameter checks."""

import random

import pytest

from cocotb_tests import primitive_cases as pc
from rtl.primitives.crdhold import CrdHold
from rtl_sim import PROFILES, check_case, expect_param_error, golden_firings

NAME = "crdhold"


@pytest.mark.parametrize("case", pc.spec_cases(NAME), ids=lambda c: c[0])
@pytest.mark.parametrize("profile", PROFILES[:3])
def test_spec(case, profile):
    _, attrs, ins, stated = case
    check_case(NAME, attrs, ins, stated=stated, seed=6, p_valid=profile[0], p_ready=profile[1])


def test_n_coordinate():
    # an N outer coordinate (below a union) is held like a coordinate
    check_case(NAME, {}, {"outer": "0 N S0 D", "inner": "1 2 S0 3 S1 D"},
               stated={"outer": "0 0 S0 N S1 D"}, p_valid=0.5, p_ready=0.5)


@pytest.mark.parametrize("seed", range(12))
def test_random(seed):
    rng = random.Random(seed)
    for k in range(3):
        attrs, ins = pc.random_case(NAME, rng)
        pv, pr = PROFILES[(seed + k) % len(PROFILES)]
        check_case(NAME, attrs, ins, seed=seed, p_valid=pv, p_ready=pr)


def test_throughput():
    attrs, ins = pc.random_case(NAME, random.Random(9), nlevels=3, big=True)
    r = check_case(NAME, attrs, ins)
    n = golden_firings(NAME, attrs, ins)
    print(f"crdhold: {len(ins['inner'])} inner tokens, {n} golden firings, {r.cycles} cycles")
    assert r.cycles <= n + 1


def test_bad_params():
    expect_param_error(lambda: CrdHold(65), "crd_width must be an integer in 1..64")
