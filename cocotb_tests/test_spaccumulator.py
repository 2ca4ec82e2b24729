"""Sparse accumulator (rtl/primitives/spaccumulator.py) under cocotb: the
spec vectors in stop-token form, random fibertrees against the golden model
with random valid gaps and backpressure (order 1 with and without the outer
index, order 2), and throughput vectors (drain cost included in the bound)."""

import pytest

from cocotb_tests import primitive_cases as pc
from cocotb_tests.harness import run_vectors, sim_params

NAME = "spaccumulator"


def _with_drain(vecs):
    # the drain of each group costs a few cycles beyond the golden model's
    # firings, independent of dim and word (documented in the component)
    for v in vecs:
        if v.expect_cycles_max is not None:
            groups = sum(1 for t in v.inputs["crd_inner"]
                         if type(t).__name__ == "Stop" and t.level >= 1)
            v.expect_cycles_max += groups * 4
    return vecs


@pytest.mark.parametrize("sim", sim_params(verilator_default=True))
def test_spaccumulator(sim):
    vecs = [v for v in pc.vectors(NAME) if v.name != "spec2"]      # spec2 is order 2
    run_vectors(NAME, lambda: pc.factory(NAME, {"in1": "i"}, word=4),
                _with_drain(vecs), sim=sim)


@pytest.mark.parametrize("sim", sim_params())
def test_spaccumulator_no_outer(sim):
    run_vectors("spaccumulator_vec", lambda: pc.factory(NAME, {}, word=16),
                _with_drain(pc.vectors(NAME, outer=False)), sim=sim)


@pytest.mark.parametrize("sim", sim_params())
def test_spaccumulator_order2(sim):
    # rows = outer_dim = 16: per group at most two cycles per row with entries
    vecs = pc.vectors(NAME, seeds=range(1, 5), order=2)
    vecs.insert(0, next(v for v in pc.vectors(NAME, seeds=(), throughput=False)
                        if v.name == "spec2"))
    for v in vecs:
        if v.expect_cycles_max is not None:
            groups = sum(1 for t in v.inputs["crd_inner"]
                         if type(t).__name__ == "Stop" and t.level >= 2)
            v.expect_cycles_max += groups * (2 * pc.SPACC_DIM + 4)
    run_vectors("spaccumulator_o2", lambda: pc.factory(NAME, {"in1": "i", "order": 2}, word=16),
                vecs, sim=sim)
