"""Generic cocotb bench: drives and monitors every port of any primitive.

Run through :mod:`cocotb_tests.harness` (never directly). The environment
variable ``SAM_TB_VECTORS`` names a JSON file::

    {"ports": {...port description, see harness.port_info...},
     "report": "<path of the JSON report this bench writes>",
     "vectors": [{"name", "seed", "p_valid", "p_ready", "max_cycles",
                  "config": {signal: int}, "preload": {mem: [int]},
                  "inputs": {port: [word]}, "expected": {port: [word]},
                  "expect_mem": {mem: [int]}, "expect_signals": {signal: int},
                  "check_form": bool, "expect_cycles_max": int|null}, ...]}

Each vector runs after a reset: memories are loaded through the ``load_*``
ports during reset, then all drivers and monitors run concurrently until
every input is consumed and every output has delivered ``D`` (or the cycle
limit). Outputs are compared word for word with the expected streams; the
first mismatch is reported with the port name, the token index and both
streams around it. ``dump_*`` memories and status signals are checked after
the streams finish. The report lists, per vector, ``ok``, ``message`` and
``cycles`` (reset release to the last token moved).
"""

from __future__ import annotations

import json
import os
import random
import traceback

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge

from cocotb_tests.sam_streams import (PortCodec, StreamDriver, StreamMonitor, check_stream,
                                      first_mismatch, fmt_words)

WINDOW = 6


def _codec(p) -> PortCodec:
    return PortCodec(p["width"], p.get("repsig", False), p.get("signed", False))


def _mask(value: int, width: int) -> int:
    return value & ((1 << width) - 1)


def _signed(value: int, width: int, signed: bool) -> int:
    if signed and value >> (width - 1):
        return value - (1 << width)
    return value


async def _load(dut, mem: str, spec: dict, values: list[int]):
    addr = getattr(dut, f"load_{mem}__addr")
    data = getattr(dut, f"load_{mem}__data")
    en = getattr(dut, f"load_{mem}__en")
    if len(values) > (1 << spec["addr_width"]):
        raise AssertionError(f"preload of memory {mem!r}: {len(values)} words do not fit "
                             f"in {1 << spec['addr_width']} entries")
    for a, v in enumerate(values):
        addr.value, data.value, en.value = a, _mask(v, spec["width"]), 1
        await RisingEdge(dut.clk)
    en.value = 0


async def _dump(dut, mem: str, spec: dict, n: int) -> list[int]:
    addr = getattr(dut, f"dump_{mem}__addr")
    data = getattr(dut, f"dump_{mem}__data")
    en = getattr(dut, f"dump_{mem}__en")
    out = []
    for a in range(n):
        await FallingEdge(dut.clk)
        addr.value, en.value = a, 1
        await RisingEdge(dut.clk)      # dump ports have read latency 2 (rtl.testtop):
        await RisingEdge(dut.clk)      # the word after two enabled edges
        await ReadOnly()
        out.append(_signed(data.value.to_unsigned(), spec["width"], spec.get("signed", False)))
    await FallingEdge(dut.clk)
    en.value = 0
    return out


def _mismatch_message(vec, port, codec, got, want) -> str | None:
    i = first_mismatch(got, want)
    if i is None:
        return None
    lo, hi = max(0, i - WINDOW), i + WINDOW + 1
    return (f"vector {vec['name']!r} (seed {vec['seed']}): port {port!r} differs at token {i} "
            f"({len(got)} received, {len(want)} expected)\n"
            f"  expected: {fmt_words(codec, want, lo, hi)}\n"
            f"  received: {fmt_words(codec, got, lo, hi)}")


async def _run_vector(dut, ports: dict, vec: dict) -> dict:
    streams = ports["streams"]
    ins = [n for n, p in streams.items() if p["dir"] == "in"]
    outs = [n for n, p in streams.items() if p["dir"] == "out"]
    seed = vec["seed"]

    # Idle everything, apply configuration, reset and load memories.
    for n in ins:
        getattr(dut, f"{n}__valid").value = 0
        getattr(dut, f"{n}__payload").value = 0
    for n in outs:
        getattr(dut, f"{n}__ready").value = 0
    for mem in ports["loads"]:
        getattr(dut, f"load_{mem}__en").value = 0
    for mem in ports["dumps"]:
        getattr(dut, f"dump_{mem}__en").value = 0
    for sig in ports["inputs"]:
        getattr(dut, sig).value = _mask(vec.get("config", {}).get(sig, 0), ports["inputs"][sig])
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    for mem, values in vec.get("preload", {}).items():
        await _load(dut, mem, ports["loads"][mem], values)
    dut.rst.value = 0

    cycle = [0]
    drivers = [StreamDriver(dut, n, vec["inputs"][n], random.Random(seed * 1009 + k),
                            vec["p_valid"]) for k, n in enumerate(ins)]
    monitors = {n: StreamMonitor(dut, n, _codec(streams[n]),
                                 random.Random(seed * 1009 + 500 + k), vec["p_ready"])
                for k, n in enumerate(outs)}
    tasks = [cocotb.start_soon(d.run(cycle)) for d in drivers]
    tasks += [cocotb.start_soon(mon.run(cycle)) for mon in monitors.values()]

    limit = vec["max_cycles"]
    while cycle[0] < limit:
        await RisingEdge(dut.clk)
        cycle[0] += 1
        if all(d.done for d in drivers) and all(m.finished for m in monitors.values()):
            break
    timed_out = cycle[0] >= limit
    for t in tasks:
        t.cancel()
    for d in drivers:
        d.idle()
    for mon in monitors.values():
        mon.idle()

    last = [d.last_cycle for d in drivers] + [m.last_cycle for m in monitors.values()]
    last = [c for c in last if c is not None]
    cycles = max(last) + 1 if last else 0
    result = {"name": vec["name"], "seed": seed, "cycles": cycles, "ok": True, "message": ""}

    def fail(msg):
        result["ok"], result["message"] = False, msg
        return result

    for mon in monitors.values():
        if mon.errors:
            return fail(f"vector {vec['name']!r} (seed {seed}): " + "; ".join(mon.errors))
    for n, mon in monitors.items():
        codec = _codec(streams[n])
        msg = _mismatch_message(vec, n, codec, mon.words, vec["expected"][n])
        if msg:
            if timed_out:
                msg = f"timeout after {limit} cycles (deadlock or a missing D?); " + msg
            return fail(msg)
        if vec.get("check_form", True):
            problem = check_stream(codec, mon.words)
            if problem:
                return fail(f"vector {vec['name']!r} (seed {seed}): port {n!r} is not a "
                            f"well-formed SAM stream: {problem}\n"
                            f"  received: {fmt_words(codec, mon.words, 0, 40)}")
    if timed_out:
        stuck = [d.prefix for d in drivers if not d.done]
        return fail(f"vector {vec['name']!r} (seed {seed}): timeout after {limit} cycles; "
                    f"inputs not fully consumed: {stuck or 'none'}; "
                    + "; ".join(f"{n} received {fmt_words(_codec(streams[n]), m.words, 0, 30)}"
                                for n, m in monitors.items()))

    # Sinks: let the last writes land, then check status and memories.
    await ClockCycles(dut.clk, 3)
    await ReadOnly()
    for sig, want in vec.get("expect_signals", {}).items():
        got = int(getattr(dut, sig).value)
        if got != want:
            return fail(f"vector {vec['name']!r} (seed {seed}): signal {sig} = {got}, "
                        f"expected {want}")
    await RisingEdge(dut.clk)
    for mem, want in vec.get("expect_mem", {}).items():
        got = await _dump(dut, mem, ports["dumps"][mem], len(want))
        i = first_mismatch(got, want)
        if i is not None:
            return fail(f"vector {vec['name']!r} (seed {seed}): memory {mem!r} differs at "
                        f"address {i}\n  expected: {want[max(0, i - WINDOW):i + WINDOW]}\n"
                        f"  received: {got[max(0, i - WINDOW):i + WINDOW]}")
    cmax = vec.get("expect_cycles_max")
    if cmax is not None and cycles > cmax:
        return fail(f"vector {vec['name']!r}: took {cycles} cycles, expected at most {cmax} "
                    f"(throughput regression)")
    return result


@cocotb.test()
async def run_vectors(dut):
    """Run every vector of ``$SAM_TB_VECTORS``; stop at the first failure."""
    with open(os.environ["SAM_TB_VECTORS"]) as f:
        cfg = json.load(f)
    report = []
    Clock(dut.clk, 10, unit="ns").start()
    try:
        for vec in cfg["vectors"]:
            try:
                res = await _run_vector(dut, cfg["ports"], vec)
            except Exception as ex:   # a bench error is reported like a mismatch
                res = {"name": vec["name"], "seed": vec["seed"], "cycles": 0, "ok": False,
                       "message": f"vector {vec['name']!r} (seed {vec['seed']}): bench error "
                                  f"{type(ex).__name__}: {ex}\n{traceback.format_exc(limit=4)}"}
            report.append(res)
            if not res["ok"]:
                raise AssertionError(res["message"])
    finally:
        with open(cfg["report"], "w") as f:
            json.dump(report, f, indent=1)
