"""Unioner (rtl/primitives/union.py) under cocotb: spec vectors, random
fibertree streams (with N fibers) against the golden model with random valid
gaps and backpressure, and a throughput vector."""

import pytest

from cocotb_tests import primitive_cases as pc
from cocotb_tests.harness import run_vectors, sim_params

NAME = "union"


@pytest.mark.parametrize("sim", sim_params())
def test_union(sim):
    run_vectors(NAME, lambda: pc.factory(NAME, {}), pc.vectors(NAME, p_n=0.1), sim=sim)
