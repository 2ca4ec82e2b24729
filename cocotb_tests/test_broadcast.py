"""broadcast (fan-out with per-consumer ready) and the stream FIFO."""

import random

import pytest

from cocotb_tests.harness import Vector, run_vectors, sim_params
from cocotb_tests.streamgen import random_stream
from rtl.primitives.broadcast import Broadcast
from rtl.primitives.fifo import token_fifo
from sam.tokens import parse

SEEDS = (1, 2, 3, 4, 5)


def _streams(signed=False):
    out = [("spec0", parse("0 1 S0 2 S0 3 S1 D"))]
    for seed in SEEDS:
        rng = random.Random(seed)
        data = (lambda r: r.randint(-100, 100)) if signed else None
        out.append((f"rand{seed}", random_stream(rng, rng.randint(1, 3), data=data, p_n=0.1,
                                                 p_empty=0.2, dim=30)))
    return out


@pytest.mark.parametrize("sim", sim_params())
@pytest.mark.parametrize("n", [1, 3])
def test_broadcast(sim, n):
    vecs = [Vector(name, inputs={"i": s}, expected={f"o{k}": s for k in range(n)}, seed=j,
                   p_valid=0.7, p_ready=0.6) for j, (name, s) in enumerate(_streams(signed=True))]
    long = parse(" ".join(map(str, range(100))) + " S0 D")
    vecs.append(Vector("throughput", inputs={"i": long}, expected={f"o{k}": long for k in range(n)},
                       expect_cycles_max=len(long) + 1))
    res = run_vectors(f"broadcast{n}", lambda: Broadcast(n=n, width=8, signed=True), vecs, sim=sim)
    print(f"broadcast n={n} throughput vector: {res[-1].cycles} cycles for {len(long)} tokens")


@pytest.mark.parametrize("sim", sim_params())
@pytest.mark.parametrize("depth, fall_through", [(2, False), (5, False), (2, True)])
def test_fifo(sim, depth, fall_through):
    vecs = [Vector(name, inputs={"i": s}, expected={"o": s}, seed=j, p_valid=0.6, p_ready=0.6)
            for j, (name, s) in enumerate(_streams())]
    long = parse(" ".join(map(str, range(100))) + " S0 D")
    vecs.append(Vector("throughput", inputs={"i": long}, expected={"o": long},
                       expect_cycles_max=len(long) + 1))
    res = run_vectors(f"fifo{depth}{'ft' if fall_through else ''}",
                      lambda: token_fifo(width=8, depth=depth, fall_through=fall_through),
                      vecs, sim=sim)
    print(f"fifo depth={depth} throughput vector: {res[-1].cycles} cycles for {len(long)} tokens")
