"""Order-1 sparse accumulator (rtl/primitives/spaccumulator.py) under
cocotb: the spec vector in stop-token form, random fibertrees against the
golden model with random valid gaps and backpressure (with and without the
outer index), and throughput vectors (drain cost included in the bound)."""

import pytest

from cocotb_tests import primitive_cases as pc
from cocotb_tests.harness import run_vectors, sim_params

NAME = "spaccumulator"


def _with_drain(vecs, word):
    # the drain of each group costs about dim/word + 3 cycles beyond the
    # golden model's firings (documented in the component)
    for v in vecs:
        if v.expect_cycles_max is not None:
            groups = sum(1 for t in v.inputs["crd_inner"]
                         if type(t).__name__ == "Stop" and t.level >= 1)
            v.expect_cycles_max += groups * (pc.SPACC_DIM // word + 3)
    return vecs


@pytest.mark.parametrize("sim", sim_params(verilator_default=True))
def test_spaccumulator(sim):
    run_vectors(NAME, lambda: pc.factory(NAME, {"in1": "i"}, word=4),
                _with_drain(pc.vectors(NAME), 4), sim=sim)


@pytest.mark.parametrize("sim", sim_params())
def test_spaccumulator_no_outer(sim):
    run_vectors("spaccumulator_vec", lambda: pc.factory(NAME, {}, word=16),
                _with_drain(pc.vectors(NAME, outer=False), 16), sim=sim)
