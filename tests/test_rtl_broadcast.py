"""broadcast, fifo and fiberwrite: Amaranth simulator + parameter checks."""

import random

import pytest

from cocotb_tests.streamgen import random_stream
from rtl.primitives.broadcast import Broadcast
from rtl.primitives.fiberwrite import LevelWriter, ValsWriter, fiberwrite
from rtl.primitives.fifo import Fifo, token_fifo
from rtl.encoding import token_layout
from sam.tokens import parse
from tests.rtl_sim import run_stream_sim


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_broadcast_random(seed):
    rng = random.Random(seed)
    s = random_stream(rng, 2, p_n=0.1, p_empty=0.2)
    res = run_stream_sim(Broadcast(n=3, width=8), {"i": s}, seed=seed, p_valid=0.7, p_ready=0.5)
    assert res.outputs == {"o0": s, "o1": s, "o2": s}, f"seed {seed}"


@pytest.mark.parametrize("depth", [2, 3, 8])
def test_fifo_random_and_throughput(depth):
    rng = random.Random(depth)
    s = random_stream(rng, 2, p_empty=0.2)
    res = run_stream_sim(token_fifo(width=8, depth=depth), {"i": s}, seed=depth,
                         p_valid=0.6, p_ready=0.6)
    assert res.outputs["o"] == s
    long = parse(" ".join(map(str, range(100))) + " S0 D")
    res = run_stream_sim(token_fifo(width=8, depth=depth), {"i": long})
    assert res.cycles <= len(long) + 1, f"depth {depth}: {res.cycles} cycles"


def test_parameters():
    with pytest.raises(ValueError, match="depth must be an integer >= 2, not 1"):
        Fifo(token_layout(8), 1)
    with pytest.raises(ValueError, match=r"depth must be an integer in 2\.\.65536, not 0"):
        Fifo(token_layout(8), 0)
    with pytest.raises(ValueError, match=r"n must be an integer in 1\.\.64, not 0"):
        Broadcast(n=0)
    with pytest.raises(ValueError, match=r"width must be an integer in 0\.\.64, not -1"):
        Broadcast(width=-1)
    with pytest.raises(ValueError, match="format must be 'compressed' or 'dense'"):
        LevelWriter(format="bitvector")
    with pytest.raises(ValueError, match=r"addr_width must be an integer in 1\.\.32, not 0"):
        ValsWriter(addr_width=0)
    with pytest.raises(ValueError, match=r"addr_width must be an integer in 1\.\.7, not 8"):
        LevelWriter(crd_width=8, addr_width=8)
    with pytest.raises(ValueError, match="shape must be an Amaranth shape"):
        Fifo("token", 2)
    assert isinstance(fiberwrite(vals=True), ValsWriter)


@pytest.mark.parametrize("depth", [2, 4])
def test_fifo_fall_through(depth):
    rng = random.Random(10 + depth)
    s = random_stream(rng, 2, p_empty=0.2)
    res = run_stream_sim(token_fifo(width=8, depth=depth, fall_through=True), {"i": s},
                         seed=depth, p_valid=0.6, p_ready=0.6)
    assert res.outputs["o"] == s, f"seed {10 + depth}"
    # no latency: a token offered to an empty FIFO leaves in the same cycle
    long = parse(" ".join(map(str, range(100))) + " S0 D")
    res = run_stream_sim(token_fifo(width=8, depth=depth, fall_through=True), {"i": long})
    plain = run_stream_sim(token_fifo(width=8, depth=depth), {"i": long})
    assert res.cycles == plain.cycles - 1, (res.cycles, plain.cycles)
    with pytest.raises(ValueError, match="fall_through must be True or False"):
        token_fifo(fall_through=1)
