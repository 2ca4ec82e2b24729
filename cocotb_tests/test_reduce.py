"""Reducer (rtl/primitives/reduce.py) under cocotb: spec vectors, random
value streams against the golden model with random valid gaps and
backpressure, and a throughput vector."""

import pytest

from cocotb_tests import primitive_cases as pc
from cocotb_tests.harness import run_vectors, sim_params

NAME = "reduce"


@pytest.mark.parametrize("sim", sim_params())
def test_reduce(sim):
    run_vectors(NAME, lambda: pc.factory(NAME, {}), pc.vectors(NAME), sim=sim)
