"""ALU (rtl/primitives/alu.py; catalogue mul, add/sub, max, min) under cocotb:
spec vector, random value streams against the golden model with random
valid gaps and backpressure, and a throughput vector, for every op."""

import dataclasses

import pytest

from cocotb_tests import primitive_cases as pc
from cocotb_tests.harness import run_vectors, sim_params
from rtl.primitives.alu import ALU_OPS

#: input-to-output latency (Alu docstring, Timing); the shared throughput
#: vector allows golden firings + 3 cycles, which covers latency 3
LATENCY = {"mul": 5}


@pytest.mark.parametrize("op", ALU_OPS)
@pytest.mark.parametrize("sim", sim_params())
def test_alu(sim, op):
    extra = LATENCY.get(op, 3) - 3
    vecs = [dataclasses.replace(v, expect_cycles_max=v.expect_cycles_max + extra)
            if v.expect_cycles_max is not None else v
            for v in pc.vectors(op, seeds=range(1, 4))]
    # reducer zeros over empty fibers facing empty fibers (design.md)
    vecs += pc.vectors(op, seeds=range(10, 12), throughput=False, nlevels=2, lone_zeros=0.7)
    run_vectors(f"alu_{op}", lambda: pc.factory(op, {}), vecs, sim=sim)
