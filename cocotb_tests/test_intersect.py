"""Intersecter (rtl/primitives/intersect.py) under cocotb: spec vectors,
random fibertree streams against the golden model with random valid gaps and
backpressure, and a throughput vector."""

import pytest

from cocotb_tests import primitive_cases as pc
from cocotb_tests.harness import run_vectors, sim_params

NAME = "intersect"


@pytest.mark.parametrize("sim", sim_params(verilator_default=True))
def test_intersect(sim):
    run_vectors(NAME, lambda: pc.factory(NAME, {}), pc.vectors(NAME), sim=sim)
