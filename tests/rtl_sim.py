"""Amaranth-simulator bench for stream primitives (fast unit tests).

:func:`run_stream_sim` drives token lists into a component's input streams
with random valid gaps, accepts outputs with random ready, checks the stream
rules on every output (valid held and payload stable while stalled), and
returns the output token lists and the cycle count. One testbench coroutine
does everything per cycle (faster than one per port).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from amaranth.hdl import Shape
from amaranth.lib import wiring
from amaranth.sim import Simulator

from rtl.encoding import Kind, decode, encode
from rtl.stream import is_stream
from sam import tokens as T

__all__ = ["SimResult", "run_stream_sim", "stream_ports"]


@dataclass
class SimResult:
    outputs: dict          # port -> token list
    cycles: int            # cycles until the last output D was accepted
    signals: dict = None   # plain (non-stream) outputs at the end, e.g. error


def _codec(member):
    layout = member.signature.members["payload"].shape
    fields = dict(layout.members)
    if "data" not in fields:
        return 0, True, False
    s = Shape.cast(fields["data"])
    return s.width, False, s.signed


def stream_ports(dut) -> tuple[dict, dict]:
    ins, outs = {}, {}
    for name, member in dut.signature.members.items():
        if is_stream(member):
            (ins if member.flow == wiring.In else outs)[name] = _codec(member)
    return ins, outs


def run_stream_sim(dut, inputs: dict, *, seed: int = 0, p_valid: float = 1.0,
                   p_ready: float = 1.0, max_cycles: int | None = None,
                   vcd: str | None = None) -> SimResult:
    """Run ``dut`` on ``inputs`` (port -> tokens or text) until every output
    has produced ``D``; a few more cycles check that nothing follows ``D``."""
    ins, outs = stream_ports(dut)
    if set(inputs) != set(ins):
        raise KeyError(f"inputs {sorted(inputs)} do not match the input ports {sorted(ins)}")
    words = {}
    for p, toks in inputs.items():
        w, rep, sg = ins[p]
        words[p] = [encode(t, w, repsig=rep, signed_data=sg)
                    for t in (T.parse(toks) if isinstance(toks, str) else toks)]
    ntok = sum(len(v) for v in words.values())
    if max_cycles is None:
        max_cycles = 200 + int(20 * ntok / max(min(p_valid, p_ready), 0.05))
    rng = random.Random(seed)
    got = {p: [] for p in outs}
    state = {"cycles": None, "error": None, "signals": {}}

    async def bench(ctx):
        pos = {p: 0 for p in ins}
        presenting = {p: False for p in ins}
        prev = {p: None for p in outs}      # (valid, payload, ready) last cycle
        done_at = None
        for cycle in range(max_cycles):
            for p in ins:
                port = getattr(dut, p)
                if not presenting[p] and pos[p] < len(words[p]) and rng.random() < p_valid:
                    presenting[p] = True
                ctx.set(port.valid, int(presenting[p]))
                if presenting[p]:
                    ctx.set(port.payload.as_value(), words[p][pos[p]])
            rdy = {p: rng.random() < p_ready for p in outs}
            for p in outs:
                ctx.set(getattr(dut, p).ready, int(rdy[p]))
            for p in ins:
                if presenting[p] and ctx.get(getattr(dut, p).ready):
                    presenting[p] = False
                    pos[p] += 1
            for p in outs:
                port = getattr(dut, p)
                v, pl = ctx.get(port.valid), ctx.get(port.payload.as_value())
                if prev[p] is not None and prev[p][0] and not prev[p][2]:
                    if not v or pl != prev[p][1]:
                        state["error"] = (f"stream rule broken on {p} in cycle {cycle}: "
                                          f"valid {prev[p][0]}->{v}, payload "
                                          f"{prev[p][1]:#x}->{pl:#x} while stalled")
                        return
                prev[p] = (v, pl, rdy[p])
                if v and rdy[p]:
                    w, rep, sg = outs[p]
                    got[p].append(decode(pl, w, repsig=rep, signed_data=sg))
            await ctx.tick()
            if done_at is None and all(g and g[-1] is T.D for g in got.values()):
                done_at = cycle + 1
                state["cycles"] = done_at
            if done_at is not None and cycle >= done_at + 8:
                for name, member in dut.signature.members.items():
                    if member.is_port and member.flow == wiring.Out:
                        state["signals"][name] = ctx.get(getattr(dut, name))
                return

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    if vcd:
        with sim.write_vcd(vcd):
            sim.run()
    else:
        sim.run()
    if state["error"]:
        raise AssertionError(f"seed {seed}: {state['error']}")
    if state["cycles"] is None:
        raise AssertionError(
            f"seed {seed}: no D on every output after {max_cycles} cycles (deadlock?); got "
            + "; ".join(f"{p}: {T.fmt(g)}" for p, g in got.items()))
    return SimResult(got, state["cycles"], state["signals"])


def check_case(type_name: str, attrs: dict, ins: dict, *, seed: int = 0,
               p_valid: float = 1.0, p_ready: float = 1.0, stated: dict | None = None,
               dut=None, val_width: int | None = None) -> SimResult:
    """Run one case of :mod:`cocotb_tests.primitive_cases` on the Amaranth
    simulator and compare every output token for token with the golden model
    (and with the ``stated`` outputs, e.g. the spec's). Raises with the seed."""
    from cocotb_tests import primitive_cases as pc
    vw = val_width or pc.VAL_WIDTH
    ins = {p: T.parse(s) if isinstance(s, str) else list(s) for p, s in ins.items()}
    want = pc.expected(type_name, attrs, ins, vw)
    for p, s in (stated or {}).items():
        s = T.parse(s) if isinstance(s, str) else s
        assert T.fmt(want[p]) == T.fmt(s), \
            f"golden model disagrees with the stated {p}: {T.fmt(want[p])} vs {T.fmt(s)}"
    dut = dut if dut is not None else pc.factory(type_name, attrs, val_width=vw)
    r = run_stream_sim(dut, pc.rtl_ports(type_name, ins, "in"), seed=seed,
                       p_valid=p_valid, p_ready=p_ready)
    want_rtl = pc.rtl_ports(type_name, want, "out", ins)
    for p, s in want_rtl.items():
        got = r.outputs[p]
        if T.fmt(got) != T.fmt(s):
            i = next((k for k, (a, b) in enumerate(zip(got, s)) if T.fmt([a]) != T.fmt([b])),
                     min(len(got), len(s)))
            raise AssertionError(
                f"{type_name} {attrs} seed {seed} (p_valid {p_valid}, p_ready {p_ready}): "
                f"port {p} differs at token {i}\n  inputs: "
                + "; ".join(f"{k}: {T.fmt(v)}" for k, v in ins.items())
                + f"\n  expected: {T.fmt(s)}\n  received: {T.fmt(got)}")
    # a case the golden model accepts must not raise a module's error flag
    assert not r.signals.get("error"), \
        f"{type_name} {attrs} seed {seed}: error flag raised on well-formed inputs"
    return r


def golden_firings(type_name: str, attrs: dict, ins: dict) -> int:
    """Golden-model firings on ``ins`` (see :func:`cocotb_tests.primitive_cases.firings`)."""
    from cocotb_tests.primitive_cases import firings
    return firings(type_name, attrs, ins)


#: Stall profiles (p_valid, p_ready) cycled through by the random tests.
PROFILES = ((1.0, 1.0), (0.7, 0.7), (0.4, 0.9), (0.9, 0.3), (0.5, 0.5))


def expect_param_error(fn, match: str):
    """``fn()`` raises ValueError matching ``match``; the half-built
    component is collected with Amaranth's 'never used' warning silenced."""
    import gc
    import re
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn()
        except ValueError as ex:
            msg = str(ex)
            del ex
        else:
            raise AssertionError(f"no ValueError (expected {match!r})")
        gc.collect()
    assert re.search(match, msg), f"message {msg!r} does not match {match!r}"
    return msg
