"""Coordinate drop (rtl/primitives/crddrop.py) under cocotb: spec vectors,
random fibertrees against the golden model (design.md difference 1 on the
inner stream) with random valid gaps and backpressure, the vals=true
variant, and throughput vectors."""

import pytest

from cocotb_tests import primitive_cases as pc
from cocotb_tests.harness import run_vectors, sim_params

NAME = "crddrop"


@pytest.mark.parametrize("sim", sim_params())
def test_crddrop(sim):
    run_vectors(NAME, lambda: pc.factory(NAME, {}), pc.vectors(NAME, seeds=range(1, 8)), sim=sim)


@pytest.mark.parametrize("sim", sim_params())
def test_crddrop_vals(sim):
    run_vectors("crddrop_vals", lambda: pc.factory(NAME, {"vals": True}),
                pc.vectors(NAME, vals=True)
                + pc.vectors(NAME, seeds=range(10, 13), throughput=False, vals=True,
                             nlevels=2, lone_zeros=0.7), sim=sim)


@pytest.mark.parametrize("sim", sim_params())
@pytest.mark.parametrize("deep", [1, 2])
def test_crddrop_deep(sim, deep):
    # deep streams lose the extra closings of the removed inner fibers
    # (design.md, deliberate difference 1)
    run_vectors(f"crddrop_deep{deep}", lambda: pc.factory(NAME, {"deep": ["k", "l"][:deep]}),
                pc.vectors(NAME, seeds=range(20, 26), deep=deep), sim=sim)
