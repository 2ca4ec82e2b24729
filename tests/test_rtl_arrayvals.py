"""arrayvals on the Amaranth simulator + parameter checks."""

import random

import pytest

from cocotb_tests.streamgen import golden, random_stream
from rtl.primitives.arrayvals import ArrayVals
from rtl.testtop import MemTestTop
from sim.primitive import SimContext
from tests.rtl_sim import run_stream_sim


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random(seed):
    rng = random.Random(seed)
    vals = [rng.randint(-500, 500) for _ in range(rng.randint(1, 60))]
    ins = {"ref": random_stream(rng, rng.randint(1, 3), data=lambda r: r.randrange(len(vals)),
                                p_n=0.1, p_empty=0.15)}
    dut = MemTestTop(ArrayVals(crd_width=8, val_width=12, addr_width=6), init={"vals": vals})
    res = run_stream_sim(dut, ins, seed=seed, p_valid=0.6, p_ready=0.6)
    want = golden("arrayvals", ins, SimContext(values={"B": vals}), tensor="B")
    assert res.outputs["val"] == want["val"], f"seed {seed}"
    assert res.signals["error"] == 0


@pytest.mark.parametrize("ref, flagged", [("63 S0 D", 0), ("64 S0 D", 1), ("N 255 S0 D", 1)])
def test_out_of_range_reference(ref, flagged):
    dut = MemTestTop(ArrayVals(crd_width=8, val_width=8, addr_width=6), init={"vals": [5] * 64})
    res = run_stream_sim(dut, {"ref": ref})
    assert res.signals["error"] == flagged


def test_throughput():
    dut = MemTestTop(ArrayVals(crd_width=8, val_width=8, addr_width=6), init={"vals": list(range(64))})
    res = run_stream_sim(dut, {"ref": " ".join(map(str, range(64))) + " S0 D"})
    assert res.cycles <= 66 + 2          # one token per cycle after the 2-cycle read latency


def test_parameters():
    with pytest.raises(ValueError, match=r"val_width must be an integer in 1\.\.64, not 0"):
        ArrayVals(val_width=0)
    with pytest.raises(ValueError, match=r"addr_width must be an integer in 1\.\.16, not 17"):
        ArrayVals(addr_width=17)
    with pytest.raises(ValueError, match="init names unknown memories"):
        MemTestTop(ArrayVals(), init={"crd": [1]})
