"""arrayvals against the spec vectors and the golden model."""

import random

import pytest

from cocotb_tests.harness import Vector, run_vectors, sim_params
from cocotb_tests.streamgen import golden, random_stream
from rtl.primitives.arrayvals import ArrayVals
from sim.primitive import SimContext
from sam.tokens import parse

CW, VW, AW = 8, 16, 8
SEEDS = (1, 2, 3, 4, 5)


def _vec(name, vals, ref, seed, **kw):
    ins = {"ref": parse(ref) if isinstance(ref, str) else ref}
    want = golden("arrayvals", ins, SimContext(values={"B": vals}), tensor="B")
    return Vector(name, inputs=ins, expected=want, preload={"vals": vals}, seed=seed, **kw)


def arrayvals_vectors(seeds=SEEDS):
    spec = [([1, 2, 3, 4], "0 1 N 2 N 3 S0 D", "1 2 0 3 0 4 S0 D"),
            ([1, 2, 3, 4, 5, 6], "0 1 S0 2 3 S0 N S0 4 5 S1 D", "1 2 S0 3 4 S0 0 S0 5 6 S1 D")]
    vecs = []
    for k, (vals, ref, out) in enumerate(spec):
        v = _vec(f"spec{k}", vals, ref, k, p_valid=0.7, p_ready=0.7)
        assert v.expected["val"] == parse(out), "golden model disagrees with spec"
        vecs.append(v)
    for seed in seeds:
        rng = random.Random(seed)
        vals = [rng.randint(-(1 << (VW - 1)), (1 << (VW - 1)) - 1) for _ in range(rng.randint(1, 200))]
        ref = random_stream(rng, rng.randint(1, 3), data=lambda r: r.randrange(len(vals)),
                            p_n=0.1, p_empty=0.15, dim=20)
        vecs.append(_vec(f"rand{seed}", vals, ref, seed, p_valid=0.6, p_ready=0.6))
    ref = parse(" ".join(str(i) for i in range(200)) + " S0 D")
    # one token per cycle behind the 2-cycle read latency
    vecs.append(_vec("throughput", list(range(-100, 100)), ref, 0, expect_cycles_max=len(ref) + 2))
    return vecs


@pytest.mark.parametrize("sim", sim_params())
def test_arrayvals(sim):
    res = run_vectors("arrayvals", lambda: ArrayVals(crd_width=CW, val_width=VW, addr_width=AW),
                      arrayvals_vectors(), sim=sim)
    print(f"arrayvals throughput vector: {res[-1].cycles} cycles for 202 tokens")


@pytest.mark.slow
def test_sweep_icarus():
    """40 more seeds (make test-full)."""
    run_vectors("arrayvals", lambda: ArrayVals(crd_width=CW, val_width=VW, addr_width=AW),
                arrayvals_vectors(range(100, 140)), sim="icarus")
