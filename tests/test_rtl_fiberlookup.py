"""Level scanners on the Amaranth simulator (fast) + parameter checks."""

import random

import pytest

from cocotb_tests.streamgen import golden, random_level, random_stream
from rtl.primitives import build
from rtl.primitives.fiberlookup import CompressedScanner, DenseScanner, fiberlookup
from rtl.testtop import MemTestTop
from sim.primitive import LevelData, SimContext
from tests.rtl_sim import run_stream_sim


def _want(ins, seg, crd, dim, root=False):
    ctx = SimContext(levels={("B", 0): LevelData("compressed", dim, {"seg": seg, "crd": crd})})
    w = golden("fiberlookup", ins, ctx, tensor="B", index="i", mode=0, format="compressed",
               root=root)
    return {"crd": w["crd"], "ref_out": w["ref"]}


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_compressed_random(seed):
    rng = random.Random(seed)
    nfib = rng.randint(1, 10)
    seg, crd = random_level(rng, nfib, dim=30, p_empty=0.3)
    ins = {"ref": random_stream(rng, rng.randint(1, 3), data=lambda r: r.randrange(nfib),
                                p_n=0.1, p_empty=0.15, dim=12)}
    dut = MemTestTop(CompressedScanner(crd_width=8, addr_width=7), init={"seg": seg, "crd": crd})
    res = run_stream_sim(dut, ins, seed=seed, p_valid=0.6, p_ready=0.6)
    assert res.outputs == _want(ins, seg, crd, 30), f"seed {seed}"
    assert res.signals["error"] == 0


@pytest.mark.parametrize("ref, flagged", [("126 D", 0), ("127 D", 1), ("200 S0 D", 1)])
def test_compressed_out_of_range_reference(ref, flagged):
    # addr_width 7: seg[r+1] must lie below 128, so references up to 126
    seg = list(range(128))
    dut = MemTestTop(CompressedScanner(crd_width=8, addr_width=7), init={"seg": seg, "crd": seg})
    res = run_stream_sim(dut, {"ref": ref})
    assert res.signals["error"] == flagged


def test_compressed_root_and_timing():
    seg, crd = [0, 6], [1, 3, 4, 9, 10, 12]
    dut = MemTestTop(CompressedScanner(crd_width=8, addr_width=4, root=True),
                     init={"seg": seg, "crd": crd})
    res = run_stream_sim(dut, {})
    assert res.outputs == _want({}, seg, crd, 16, root=True)
    # 8 tokens: seg read, crd read, then one token per cycle
    assert res.cycles <= 8 + 3


def test_parameters():
    with pytest.raises(ValueError, match=r"crd_width must be an integer in 2\.\.64, not 1"):
        CompressedScanner(crd_width=1)
    with pytest.raises(ValueError, match=r"crd_width must be an integer in 1\.\.64, not 0"):
        DenseScanner(crd_width=0)
    with pytest.raises(ValueError, match=r"addr_width must be an integer in 1\.\.7, not 8"):
        CompressedScanner(crd_width=8, addr_width=8)
    with pytest.raises(ValueError, match="root must be True or False"):
        DenseScanner(root="yes")
    with pytest.raises(ValueError, match="format must be 'compressed' or 'dense'"):
        fiberlookup(format="bitvector")
    assert isinstance(build("fiberlookup", format="dense", crd_width=4), DenseScanner)
    assert "dim" in DenseScanner(crd_width=4).signature.members
    assert set(CompressedScanner().memory_ports.values()) == {"seg", "crd"}
