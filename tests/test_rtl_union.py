"""rtl/primitives/union.py on the Amaranth simulator: spec vectors, random
streams against the golden model with stalls, throughput, parameter checks."""

import random

import pytest

from cocotb_tests import primitive_cases as pc
from rtl.primitives.union import Union
from rtl_sim import PROFILES, check_case, expect_param_error, golden_firings

NAME = "union"


@pytest.mark.parametrize("case", pc.spec_cases(NAME), ids=lambda c: c[0])
@pytest.mark.parametrize("profile", PROFILES[:2])
def test_spec(case, profile):
    _, attrs, ins, stated = case
    check_case(NAME, attrs, ins, stated=stated, seed=3, p_valid=profile[0], p_ready=profile[1])


@pytest.mark.parametrize("seed", range(10))
def test_random(seed):
    rng = random.Random(seed)
    for k in range(3):
        attrs, ins = pc.random_case(NAME, rng, p_n=0.1 if k == 2 else 0.03)
        pv, pr = PROFILES[(seed + k) % len(PROFILES)]
        check_case(NAME, attrs, ins, seed=seed, p_valid=pv, p_ready=pr)


def test_throughput():
    attrs, ins = pc.random_case(NAME, random.Random(7), nlevels=3, big=True)
    r = check_case(NAME, attrs, ins)
    firings = golden_firings(NAME, attrs, ins)
    print(f"{NAME}: {firings} golden firings, {r.cycles} cycles")
    assert r.cycles <= firings + 2, f"{r.cycles} cycles for {firings} steps"


@pytest.mark.parametrize("w", [0, 65, "8", True])
def test_bad_width(w):
    expect_param_error(lambda: Union(crd_width=w), "crd_width must be an integer in 1..64")
