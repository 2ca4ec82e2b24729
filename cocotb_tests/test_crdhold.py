"""Coordinate hold (rtl/primitives/crdhold.py) under cocotb: spec vectors,
random fibertrees against the golden model with random valid gaps and
backpressure, and a throughput vector."""

import pytest

from cocotb_tests import primitive_cases as pc
from cocotb_tests.harness import run_vectors, sim_params

NAME = "crdhold"


@pytest.mark.parametrize("sim", sim_params())
def test_crdhold(sim):
    run_vectors(NAME, lambda: pc.factory(NAME, {}), pc.vectors(NAME, seeds=range(1, 8)), sim=sim)
