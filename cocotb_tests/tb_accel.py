"""cocotb bench of a generated accelerator (:mod:`rtl.accel`): a host on the bus.

Run through :func:`rtl.verify.run_rtl` (never directly). The environment
variable ``SAM_ACCEL_PLAN`` names a JSON file::

    {"writes": [[sel, addr, word], ...],            # inputs + configuration
     "reads": [{"name", "sel", "length_addr"}, ...], # output arrays
     "edge_status_base": int, "n_edges": int, "flags": {"busy": 0, ...},
     "read_latency": int,                            # manifest bus: rd_data delay
     "counter_addrs": [addr, ...],                   # optional: per-edge counters
     "stall": P, "seed": N, "limit_cycles": L, "runs": R, "report": "<path>"}

The bench resets the design, performs the writes (an idle cycle before each
transaction with probability ``stall``: random stalls on the host side),
pulses ``start`` and then waits, without touching the design on every
clock, for ``done``, ``deadlock`` or ``limit_cycles``. Afterwards it reads
the flags, the cycle counter, every output length and array (and, on a
deadlock or timeout, every edge's FIFO status; with ``counter_addrs``,
the per-edge counters of ``AccelParams(counters=True)``, decoded by
:meth:`rtl.host.HostDriver.decode_counters`) and writes them to the
report: ``{"status": "done"|"deadlock"|"timeout", "flags", "cycles",
"lengths", "arrays", "fifo_status", "counters", "sim_time_ns"}`` of the last run, and
``"runs"``: the same for each of the ``runs`` (default 1) start/done cycles
on the once-loaded inputs (the datapath is reset by every ``start``).
"""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, First, ReadOnly, RisingEdge, Timer

PERIOD_NS = 10


class _Bus:
    def __init__(self, dut, rng, stall, read_latency=1):
        self.dut, self.rng, self.stall = dut, rng, stall
        self.read_latency = read_latency      # manifest bus "read_latency"

    async def _idle(self):
        while self.stall and self.rng.random() < self.stall:
            await FallingEdge(self.dut.clk)

    async def write_all(self, writes):
        dut = self.dut
        for sel, addr, word in writes:
            await FallingEdge(dut.clk)
            if self.stall:
                dut.wr_en.value = 0
                await self._idle()
            dut.wr_sel.value = sel
            dut.wr_addr.value = addr
            dut.wr_data.value = word
            dut.wr_en.value = 1
        await FallingEdge(dut.clk)
        dut.wr_en.value = 0

    async def read(self, sel, addrs):
        dut = self.dut
        out = []
        for a in addrs:
            await FallingEdge(dut.clk)
            await self._idle()
            dut.rd_sel.value = sel
            dut.rd_addr.value = a
            for _ in range(self.read_latency):
                await RisingEdge(dut.clk)    # address held until its data is out
            await ReadOnly()
            out.append(int(dut.rd_data.value))
        return out


@cocotb.test()
async def run_accel(dut):
    with open(os.environ["SAM_ACCEL_PLAN"]) as f:
        plan = json.load(f)
    rng = random.Random(plan.get("seed", 0))
    bus = _Bus(dut, rng, plan.get("stall", 0.0), plan.get("read_latency", 1))
    Clock(dut.clk, PERIOD_NS, unit="ns").start()
    for s in (dut.start, dut.wr_en, dut.wr_sel, dut.wr_addr, dut.wr_data, dut.rd_sel,
              dut.rd_addr):
        s.value = 0
    dut.rst.value = 1
    await ClockCycles(dut.clk, 3)
    await FallingEdge(dut.clk)
    dut.rst.value = 0

    await bus.write_all(plan["writes"])
    runs = []
    for _ in range(plan.get("runs", 1)):
        runs.append(await _run_once(dut, bus, plan))
    report = dict(runs[-1], runs=runs)
    with open(plan["report"], "w") as f:
        json.dump(report, f)


async def _run_once(dut, bus, plan) -> dict:
    await bus._idle()
    await FallingEdge(dut.clk)
    dut.start.value = 1
    await FallingEdge(dut.clk)
    dut.start.value = 0
    t0 = cocotb.utils.get_sim_time("ns")
    limit = Timer(plan["limit_cycles"] * PERIOD_NS, "ns")
    fired = await First(RisingEdge(dut.done), RisingEdge(dut.deadlock), limit)
    status = "timeout" if fired is limit else ("done" if int(dut.done.value) else "deadlock")
    elapsed = cocotb.utils.get_sim_time("ns") - t0

    (flags, cycles) = await bus.read(0, [0, 1])
    reads = plan["reads"]
    lens = await bus.read(0, [r["length_addr"] for r in reads])
    lengths = {r["name"]: n for r, n in zip(reads, lens)}
    arrays = {}
    if status == "done":
        for r in reads:
            arrays[r["name"]] = await bus.read(r["sel"], range(lengths[r["name"]]))
    fifo = []
    if status != "done":
        base = plan["edge_status_base"]
        fifo = await bus.read(0, range(base, base + plan["n_edges"]))
    counters = await bus.read(0, plan.get("counter_addrs") or [])
    return {"status": status, "flags": flags, "cycles": cycles, "lengths": lengths,
            "arrays": arrays, "fifo_status": fifo, "counters": counters,
            "sim_time_ns": elapsed}
