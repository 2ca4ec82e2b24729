"""The sub, max and min ALUs inside whole accelerators.

No Custard library kernel uses max or min, and only ``mat_residual`` uses sub,
so these cases take a library graph and retype its ALU node(s) (the golden
model and the RTL generator both implement every ALU), then run it under
Icarus with random host-side stalls against the golden model. Inputs hold
negative values, so a union's absent operand (0) matters for max and min.
"""

from __future__ import annotations

import pytest

from cocotb_tests.test_accel import PARAMS, custard, random_inputs   # skips without custard
from rtl.verify import build, verify

# (kernel, ALU type in its graph, new type): both joiners, 1-3 levels, reduce
CASES = [
    ("mat_elemadd", "add", "max"),        # union, 2 levels
    ("mat_elemmul", "mul", "min"),        # intersect + crddrop
    ("vec_elemmul", "mul", "max"),
    ("vec_elemadd", "add", "sub"),
    ("mat_elemadd3", "add", "max"),       # two chained ALUs
    ("spmv", "mul", "min"),               # into a reducer
    ("tensor3_elemadd", "add", "sub"),
]
FAST = {"mat_elemadd", "mat_elemmul"}


def retyped(kernel: str, old: str, new: str):
    g = custard.compile(kernel)
    n = 0
    for node in g.nodes.values():
        if node.type == old:
            node.type = "add" if new == "sub" else new
            node.attrs.pop("sub", None)
            if new == "sub":
                node.attrs["sub"] = True
            n += 1
    assert n, f"{kernel} has no {old} node"
    return g


@pytest.mark.parametrize("kernel,old,new", [
    pytest.param(*c, marks=() if c[0] in FAST else pytest.mark.slow) for c in CASES])
def test_retyped_alu_icarus(kernel, old, new):
    g = retyped(kernel, old, new)
    expr = custard.get_kernel(kernel).expr
    built = build(g, PARAMS)
    for input_seed in (0, 1):
        ins = random_inputs(g, expr, input_seed)
        for seed in (1, 2):
            res = verify(None, ins, built=built, sim="icarus", seed=seed, stall=0.25)
            assert res.ok, (f"{kernel} with {old} -> {new} (stall seed {seed}, input seed "
                            f"{input_seed}): {res.status}\n{res.difference}")
