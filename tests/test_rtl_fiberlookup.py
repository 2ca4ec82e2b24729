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


@pytest.mark.parametrize("n", [0, 1, 2, 6, 15])
def test_compressed_root_and_timing(n):
    seg, crd = [0, n], [1, 3, 4, 9, 10, 12, 13, 14, 15, 17, 20, 21, 22, 25, 30][:n]
    dut = MemTestTop(CompressedScanner(crd_width=8, addr_width=4, root=True),
                     init={"seg": seg, "crd": crd})
    assert dut.dut.latency == 4
    res = run_stream_sim(dut, {})
    assert res.outputs == _want({}, seg, crd, 32, root=True), f"n={n}"
    # n + 2 tokens: latency 4 (seg[1] read 2, copy 1, output register 1;
    # the crd reads start before seg[1] is known), then one token per cycle
    assert res.cycles <= 4 + n + 2, f"n={n}: {res.cycles} cycles"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compressed_root_stalls(seed):
    rng = random.Random(seed)
    seg, crd = random_level(rng, 1, dim=60, p_empty=0.2, p_long=0.5, long_len=40)
    dut = MemTestTop(CompressedScanner(crd_width=8, addr_width=6, root=True),
                     init={"seg": seg, "crd": crd})
    res = run_stream_sim(dut, {}, seed=seed, p_ready=0.4)
    assert res.outputs == _want({}, seg, crd, 60, root=True), f"seed {seed}"


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


def _scanner_cycles(seg, crd, ref):
    from sam.tokens import parse
    ins = {"ref": parse(ref)}
    dut = MemTestTop(CompressedScanner(crd_width=8, addr_width=7), init={"seg": seg, "crd": crd})
    res = run_stream_sim(dut, ins)
    want = _want(ins, seg, crd, 30)
    assert res.outputs == want
    return res.cycles, max(len(ins["ref"]), len(want["crd"]))


# fibers of 0..3 coordinates: fiber r has r % 4 of them
_SEG = [0]
for _r in range(40):
    _SEG.append(_SEG[-1] + _r % 4)
_CRD = [c % 30 for c in range(_SEG[-1])]


@pytest.mark.parametrize("pattern, ref", [
    # short fibers in many parent fibers (spmspm_jik's B_k/C_k scanners)
    ("stops", " ".join(["1 2 3 5 6 7 S0"] * 30) + " S1 D"),
    ("repeated refs", " ".join(f"{r} {r} {r} S0" for r in range(1, 40)) + " D"),
    # one-coordinate fibers back to back, empty fibers, empty parent fibers
    ("length 1", " ".join(["1 5 9 13"] * 30) + " S0 D"),
    ("empty fibers", " ".join(["0 1 4 2 S0 8 3 S0 S0 5"] * 20) + " S1 D"),
    ("N", " ".join(["N 2 N S0 3 N"] * 20) + " S0 D"),
])
def test_compressed_throughput_patterns(pattern, ref):
    # one token per cycle (of the longer of input and output) after the
    # latency of 9 (seg pipeline, queue, crd read) and at most one more
    # cycle: no bubble per fiber, stop, N or empty fiber
    cycles, ntok = _scanner_cycles(_SEG, _CRD, ref)
    assert cycles <= ntok + 10, f"{pattern}: {cycles} cycles for {ntok} tokens"
