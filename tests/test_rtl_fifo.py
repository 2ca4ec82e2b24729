"""Fifo (registered output, no fall-through) against a Python deque model."""

import random
from collections import deque

import pytest
from amaranth.hdl import unsigned
from amaranth.sim import Simulator

from rtl.primitives.fifo import Fifo


def _run(depth, seed, cycles, p_valid, p_ready):
    """Drive random valid/ready; check every cycle against a deque model.

    In each cycle: ``o.valid`` == model non-empty, ``o.payload`` == oldest
    token, ``i.ready`` == model holds fewer than ``depth`` (whatever
    ``o.ready`` is). Since every token in the model was written in an earlier
    cycle, this checks latency 1, capacity exactly ``depth``, order and no
    loss or duplication. Returns the number of tokens moved out.
    """
    dut = Fifo(unsigned(8), depth)
    rng = random.Random(seed)
    model = deque()
    moved = [0, 0]
    errors = []

    async def bench(ctx):
        for cyc in range(cycles):
            v, r = rng.random() < p_valid, rng.random() < p_ready
            d = rng.randrange(256)
            ctx.set(dut.i.valid, v)
            ctx.set(dut.i.payload, d)
            ctx.set(dut.o.ready, r)
            ov, op, ir = ctx.get(dut.o.valid), ctx.get(dut.o.payload), ctx.get(dut.i.ready)
            want = (bool(model), model[0] if model else None, len(model) < depth)
            got = (bool(ov), op if ov else None, bool(ir))
            if got != want:
                errors.append(f"cycle {cyc}: (valid, payload, i.ready) = {got}, "
                              f"model {want}, model {list(model)}")
                return
            if ov and r:
                model.popleft()
                moved[1] += 1
            if v and ir:
                model.append(d)
                moved[0] += 1
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert not errors, f"depth {depth} seed {seed}: {errors[0]}"
    return moved


@pytest.mark.parametrize("depth", [2, 3, 4, 5, 8])
@pytest.mark.parametrize("seed", [1, 2])
def test_random_against_deque(depth, seed):
    for p_valid, p_ready in [(0.7, 0.4), (0.4, 0.7), (0.6, 0.6)]:
        moved = _run(depth, seed, 600, p_valid, p_ready)
        assert moved[1] > 100, (depth, seed, moved)    # traffic really flowed


@pytest.mark.parametrize("depth", [2, 3, 8])
def test_one_token_per_cycle(depth):
    # always valid, always ready: after the 1-cycle latency one token leaves per cycle
    moved = _run(depth, 0, 200, 1.0, 1.0)
    assert moved == [200, 199], moved


@pytest.mark.parametrize("depth", [2, 5])
def test_fills_to_depth_then_flows(depth):
    # never ready: exactly depth tokens go in (the model check enforces i.ready)
    moved = _run(depth, 0, 50, 1.0, 0.0)
    assert moved == [depth, 0], moved


def test_latency_attribute():
    assert Fifo(unsigned(8), 3).latency == 1
    assert Fifo(unsigned(8), 3, fall_through=True).latency == 0
